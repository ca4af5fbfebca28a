package core

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// These tests pin the memory-lean MNIST loader (readIDXImageRows and the
// loadMNISTSplit built on it) to the straightforward path it replaced: read
// the whole image file with ReadIDXImageBytes, select, convert. The
// reference below is that path, kept verbatim as a test helper.

// refLoadMNISTSplit is the loader as it was before streaming: all images
// held as bytes, then the selected ones converted row by row.
func refLoadMNISTSplit(s *Split, dir, imagesName, labelsName string, digits []int, per int, key string, rng *rand.Rand) error {
	labels, lname, err := readIDXFile(dir, labelsName, func(f *os.File) ([]uint8, error) {
		return ReadIDXLabels(f, 0)
	})
	if err != nil {
		return err
	}
	if err := checkDigitLabels(labels); err != nil {
		return fmt.Errorf("mnist: %s: %w", lname, err)
	}
	im, iname, err := readIDXFile(dir, imagesName, func(f *os.File) (*IDXImages, error) {
		return ReadIDXImageBytes(f, 0)
	})
	if err != nil {
		return err
	}
	if im.N != len(labels) {
		return fmt.Errorf("mnist: %s holds %d images but %s holds %d labels", iname, im.N, lname, len(labels))
	}
	byDigit := make([][]int, 10)
	for i, l := range labels {
		byDigit[l] = append(byDigit[l], i)
	}
	var chosen [][]int
	total := 0
	for _, dg := range digits {
		idx := byDigit[dg]
		if per > 0 {
			if len(idx) < per {
				return fmt.Errorf("mnist: %s has only %d images of digit %d but %s = %d", iname, len(idx), dg, key, per)
			}
			idx = slices.Clone(idx)
			for i := 0; i < per; i++ {
				j := i + rng.IntN(len(idx)-i)
				idx[i], idx[j] = idx[j], idx[i]
			}
			idx = idx[:per]
			slices.Sort(idx)
		}
		chosen = append(chosen, idx)
		total += len(idx)
	}
	d := im.Rows * im.Cols
	s.N, s.D = total, d
	s.X = make([]float64, total*d)
	s.Y = make([]int, total)
	r := 0
	for c, idx := range chosen {
		for _, i := range idx {
			s.Y[r] = c
			row := s.Row(r)
			for j, p := range im.Pixels[i*d : (i+1)*d] {
				row[j] = float64(p) / 255
			}
			r++
		}
	}
	return nil
}

// sameSplit reports how two splits differ, comparing every value bit for
// bit ("" when identical).
func sameSplit(a, b *Split) string {
	if a.N != b.N || a.D != b.D || len(a.X) != len(b.X) || len(a.Y) != len(b.Y) {
		return fmt.Sprintf("shapes differ: N %d/%d, D %d/%d, len X %d/%d, len Y %d/%d", a.N, b.N, a.D, b.D, len(a.X), len(b.X), len(a.Y), len(b.Y))
	}
	for i := range a.Y {
		if a.Y[i] != b.Y[i] {
			return fmt.Sprintf("label %d: %d vs %d", i, a.Y[i], b.Y[i])
		}
	}
	for i := range a.X {
		if math.Float64bits(a.X[i]) != math.Float64bits(b.X[i]) {
			return fmt.Sprintf("X[%d] (row %d, pixel %d): %v vs %v", i, i/a.D, i%a.D, a.X[i], b.X[i])
		}
	}
	return ""
}

// compareLoaders loads one split with the streaming loader and with the
// reference, from identical random streams, and requires the same split
// bit for bit (or the same error) and the same random stream afterwards.
func compareLoaders(t *testing.T, dir, images, labels string, digits []int, per int, seed uint64) {
	t.Helper()
	rngA := rand.New(rand.NewPCG(seed, seed^0x5eed))
	rngB := rand.New(rand.NewPCG(seed, seed^0x5eed))
	var got, want Split
	errGot := loadMNISTSplit(&got, dir, images, labels, digits, per, "data.per_class", rngA)
	errWant := refLoadMNISTSplit(&want, dir, images, labels, digits, per, "data.per_class", rngB)
	what := fmt.Sprintf("%s digits %v per_class %d seed %d", images, digits, per, seed)
	if (errGot == nil) != (errWant == nil) || errGot != nil && errGot.Error() != errWant.Error() {
		t.Fatalf("%s: error %v, reference error %v", what, errGot, errWant)
	}
	if errGot != nil {
		return
	}
	if diff := sameSplit(&got, &want); diff != "" {
		t.Fatalf("%s: %s", what, diff)
	}
	if a, b := rngA.Uint64(), rngB.Uint64(); a != b {
		t.Fatalf("%s: the random stream is left in another state (%x vs %x)", what, a, b)
	}
}

// writeBigFakeMNIST writes a training image file (gzipped when gz) of n
// random 28x28 images and its label file, labels drawn from 0..9 with
// digit 9 rare, and returns the folder. At n = 4000 the images span three
// 1 MiB read chunks, and 784 does not divide 1 MiB, so images straddle
// chunk boundaries.
func writeBigFakeMNIST(t *testing.T, n int, gz bool) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	labels := make([]byte, n)
	for i := range labels {
		labels[i] = byte(rng.IntN(9))
		if rng.IntN(50) == 0 {
			labels[i] = 9
		}
	}
	pix := make([]byte, n*784)
	for i := range pix {
		if rng.IntN(3) == 0 {
			pix[i] = byte(rng.IntN(256))
		}
	}
	images := idxCat(idxHeader(idxImagesMagic, uint32(n), 28, 28), pix)
	name := mnistTrainImages
	if gz {
		images, name = gzipFast(images), name+".gz"
	}
	dir := t.TempDir()
	for file, b := range map[string][]byte{
		name:             images,
		mnistTrainLabels: idxCat(idxHeader(idxLabelsMagic, uint32(n)), labels),
	} {
		if err := os.WriteFile(filepath.Join(dir, file), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestMNISTStreamingMatchesReference: on multi-chunk files, plain and
// gzipped, every selection (all images of some digits, all ten digits,
// per_class samples over several seeds, a digit with too few images) gives
// the reference's split bit for bit, or its error.
func TestMNISTStreamingMatchesReference(t *testing.T) {
	for _, gz := range []bool{false, true} {
		dir := writeBigFakeMNIST(t, 4000, gz)
		for _, digits := range [][]int{{0, 1, 2}, {9, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {8, 0}} {
			compareLoaders(t, dir, mnistTrainImages, mnistTrainLabels, digits, 0, 1)
		}
		for seed := uint64(1); seed <= 4; seed++ {
			compareLoaders(t, dir, mnistTrainImages, mnistTrainLabels, []int{2, 7, 0}, 100, seed)
			compareLoaders(t, dir, mnistTrainImages, mnistTrainLabels, []int{9, 5}, 20, seed)
		}
		compareLoaders(t, dir, mnistTrainImages, mnistTrainLabels, []int{4, 5}, 1, 3)
		// Digit 9 has about 80 images: per_class 300 is an error, the same one.
		compareLoaders(t, dir, mnistTrainImages, mnistTrainLabels, []int{1, 9}, 300, 1)
	}
}

// TestMNISTStreamingMatchesReferenceReal compares the loaders on the real
// MNIST files (skipped when the GoMNIST module is not in the module cache):
// the paper's digits 0, 1, 2 in full on both splits, and per_class samples.
func TestMNISTStreamingMatchesReferenceReal(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	dir, err := DefaultMNISTDir()
	if err != nil {
		t.Skip(err)
	}
	compareLoaders(t, dir, mnistTrainImages, mnistTrainLabels, []int{0, 1, 2}, 0, 1)
	compareLoaders(t, dir, mnistTestImages, mnistTestLabels, []int{0, 1, 2}, 0, 1)
	compareLoaders(t, dir, mnistTrainImages, mnistTrainLabels, []int{7, 3, 8}, 500, 11)
	compareLoaders(t, dir, mnistTestImages, mnistTestLabels, []int{9, 4}, 100, 12)
}

// TestMNISTCentredMatchesReference checks the whole MNIST result on the
// big fake folder with every image of the selected digits (no random
// draws): the reference splits, centred here by the mean training image
// computed in the straightforward order, equal MNIST's bit for bit.
func TestMNISTCentredMatchesReference(t *testing.T) {
	dir := writeBigFakeMNIST(t, 3000, true)
	// The test split: the same files under the t10k names.
	for _, p := range [][2]string{{mnistTrainImages + ".gz", mnistTestImages + ".gz"}, {mnistTrainLabels, mnistTestLabels}} {
		b, err := os.ReadFile(filepath.Join(dir, p[0]))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p[1]), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	digits := []int{3, 0, 9}
	ds, err := MNIST(DataSpec{Digits: digits, Path: dir, Center: true}, 1)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1)) // unused: per_class is 0
	var train, test Split
	if err := refLoadMNISTSplit(&train, dir, mnistTrainImages, mnistTrainLabels, digits, 0, "", rng); err != nil {
		t.Fatal(err)
	}
	if err := refLoadMNISTSplit(&test, dir, mnistTestImages, mnistTestLabels, digits, 0, "", rng); err != nil {
		t.Fatal(err)
	}
	mean := make([]float64, train.D)
	for i := 0; i < train.N; i++ {
		for j := range mean {
			mean[j] += train.X[i*train.D+j]
		}
	}
	for j := range mean {
		mean[j] /= float64(train.N)
	}
	for _, s := range []*Split{&train, &test} {
		for i := range s.X {
			s.X[i] -= mean[i%s.D]
		}
	}
	if diff := sameSplit(&ds.Train, &train); diff != "" {
		t.Errorf("train: %s", diff)
	}
	if diff := sameSplit(&ds.Test, &test); diff != "" {
		t.Errorf("test: %s", diff)
	}
}

// gzipFast gzips b at the fastest level (the big test files need no more).
func gzipFast(b []byte) []byte {
	var buf bytes.Buffer
	z, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	z.Write(b)
	z.Close()
	return buf.Bytes()
}

// refImageRows is what readIDXImageRows must return, computed from
// ReadIDXImageBytes: the rows of the selected images, converted by /255.
func refImageRows(b []byte, limit int64, rowOf func(n int) []int) (*idxRows, error) {
	im, err := ReadIDXImageBytes(bytes.NewReader(b), limit)
	if err != nil {
		return nil, err
	}
	out := &idxRows{N: im.N, Rows: im.Rows, Cols: im.Cols}
	rows := rowOf(im.N)
	if rows == nil {
		return out, nil
	}
	d := im.Rows * im.Cols
	total := 0
	for _, r := range rows {
		if r >= 0 {
			total++
		}
	}
	out.X = make([]float64, total*d)
	for i, r := range rows {
		for j := 0; r >= 0 && j < d; j++ {
			out.X[r*d+j] = float64(im.Pixels[i*d+j]) / 255
		}
	}
	return out, nil
}

// selection returns a place function for readIDXImageRows: mode 0 keeps
// nothing (nil), 1 every image in file order, 2 every image in reverse, 3
// a random subset in a random order, 4 only the last image, 5 none (all
// -1).
func selection(mode int, seed uint64) func(n int) []int {
	return func(n int) []int {
		if mode == 0 {
			return nil
		}
		rowOf := make([]int, n)
		for i := range rowOf {
			rowOf[i] = -1
		}
		switch mode {
		case 1:
			for i := range rowOf {
				rowOf[i] = i
			}
		case 2:
			for i := range rowOf {
				rowOf[i] = n - 1 - i
			}
		case 3:
			rng := rand.New(rand.NewPCG(seed, 3))
			var kept []int
			for i := range rowOf {
				if rng.IntN(3) == 0 {
					kept = append(kept, i)
				}
			}
			for r, k := range rng.Perm(len(kept)) {
				rowOf[kept[k]] = r
			}
		case 4:
			rowOf[n-1] = 0
		}
		return rowOf
	}
}

// checkImageRows compares readIDXImageRows with refImageRows on one file
// and selection: the same error text, or the same rows bit for bit.
func checkImageRows(t *testing.T, name string, b []byte, limit int64, mode int, seed uint64) {
	t.Helper()
	got, errGot := readIDXImageRows(bytes.NewReader(b), limit, selection(mode, seed))
	want, errWant := refImageRows(b, limit, selection(mode, seed))
	if (errGot == nil) != (errWant == nil) || errGot != nil && errGot.Error() != errWant.Error() {
		t.Fatalf("%s, selection %d: error %v, reference error %v", name, mode, errGot, errWant)
	}
	if errGot != nil {
		return
	}
	if got.N != want.N || got.Rows != want.Rows || got.Cols != want.Cols || (got.X == nil) != (want.X == nil) || len(got.X) != len(want.X) {
		t.Fatalf("%s, selection %d: got %d images of %dx%d, %d values (nil %v); want %d of %dx%d, %d values (nil %v)",
			name, mode, got.N, got.Rows, got.Cols, len(got.X), got.X == nil, want.N, want.Rows, want.Cols, len(want.X), want.X == nil)
	}
	for i := range got.X {
		if math.Float64bits(got.X[i]) != math.Float64bits(want.X[i]) {
			t.Fatalf("%s, selection %d: value %d = %v, want %v", name, mode, i, got.X[i], want.X[i])
		}
	}
}

// TestIDXImageRowsMatchesBytes runs readIDXImageRows and the whole-file
// reader on every testdata file (valid and broken) and on multi-chunk
// files cut at various points (inside the first chunk, at a chunk
// boundary, inside an image, one byte short, one byte over), plain and
// gzipped, with every kind of selection.
func TestIDXImageRowsMatchesBytes(t *testing.T) {
	files := map[string][]byte{}
	for name, b := range idxTestFiles() {
		files[name] = b
	}
	rng := rand.New(rand.NewPCG(9, 9))
	// 2500 images of 20x21 = 1,050,000 bytes, just over one chunk; and
	// 1100 images of 33x29 (three chunks, images straddling both borders).
	for _, shape := range [][3]int{{2500, 20, 21}, {1100, 33, 29}} {
		n, rows, cols := shape[0], shape[1], shape[2]
		pix := make([]byte, n*rows*cols)
		for i := range pix {
			pix[i] = byte(rng.IntN(256))
		}
		full := idxCat(idxHeader(idxImagesMagic, uint32(n), uint32(rows), uint32(cols)), pix)
		base := fmt.Sprintf("%dx%dx%d", n, rows, cols)
		for _, cut := range []int{len(full), len(full) - 1, 16 + 1000, 16 + idxChunk, 16 + idxChunk + 7, 16 + len(pix)/2 + 3} {
			if cut > len(full) {
				continue
			}
			files[fmt.Sprintf("%s-cut%d", base, cut)] = full[:cut]
			files[fmt.Sprintf("%s-cut%d.gz", base, cut)] = gzipFast(full[:cut])
		}
		files[base+"-over"] = idxCat(full, []byte{0})
		files[base+"-over.gz"] = gzipFast(idxCat(full, []byte{0}))
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for name := range files {
			if !yield(name) {
				return
			}
		}
	})
	for _, name := range names {
		for mode := 0; mode <= 5; mode++ {
			checkImageRows(t, name, files[name], 0, mode, uint64(len(name)))
		}
	}
	// An explicit limit below the payload is refused the same way.
	checkImageRows(t, "ok-images.idx3 limit 11", files["ok-images.idx3"], 11, 1, 1)
}

// TestIDXImageRowsHostileHeaderMemory: a header declaring a million 28x28
// images (784 MB, within the default limit) over 84 bytes, with every image
// selected, must not allocate the 6.3 GB output: memory follows the bytes
// read, not the header. And a stream holding half of what it declares,
// every image selected, fails before allocating the output too.
func TestIDXImageRowsHostileHeaderMemory(t *testing.T) {
	const n = 1_000_000
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	place := func(int) []int { return all }
	b := idxCat(idxHeader(idxImagesMagic, n, 28, 28), make([]byte, 84))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := readIDXImageRows(bytes.NewReader(b), 0, place)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "truncated: header declares 1000000 images of 28x28 (784000000 bytes) but only 84 follow") {
		t.Fatalf("err = %v, want a truncation error", err)
	}
	// The chunk buffer (1 MiB) and the check of the rows (1 MB) only.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 3<<20 {
		t.Errorf("allocated %d bytes for a 100-byte stream", alloc)
	}

	// 3000 images declared, 1500 present (1.2 MB): the output would be
	// 18.8 MB; what is held is the kept bytes read so far, at most twice.
	half := idxCat(idxHeader(idxImagesMagic, 3000, 28, 28), make([]byte, 1500*784))
	rows := all[:3000]
	runtime.ReadMemStats(&before)
	_, err = readIDXImageRows(bytes.NewReader(half), 0, func(int) []int { return rows })
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "but only 1176000 follow") {
		t.Fatalf("err = %v, want a truncation error", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 5<<20 {
		t.Errorf("allocated %d bytes for a 1.2 MB stream declaring 2.4 MB", alloc)
	}
}

// TestMNISTLoadAllocations measures what loading one split allocates in
// all (an upper bound on what it holds at once): the split itself (X and
// Y), plus the labels, the chunk buffer and the kept bytes read before the
// output is allocated, all small. Holding the whole image file as bytes,
// as the old loader did (4000 x 784 = 3.1 MB, and as much again while its
// buffer grew), does not fit in the slack allowed.
func TestMNISTLoadAllocations(t *testing.T) {
	dir := writeBigFakeMNIST(t, 4000, true)
	var s Split
	rng := rand.New(rand.NewPCG(1, 2))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := loadMNISTSplit(&s, dir, mnistTrainImages, mnistTrainLabels, []int{0, 1, 2}, 0, "data.per_class", rng)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	split := uint64(8*len(s.X) + 8*len(s.Y))
	kept := uint64(len(s.X)) // the kept pixels, one byte each in the file
	slack := uint64(idxChunk) + kept/2 + 512<<10
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("split %d bytes (%d images), allocated %d, slack %d", split, s.N, alloc, alloc-split)
	if s.N < 1000 {
		t.Fatalf("only %d images kept", s.N)
	}
	if alloc > split+slack {
		t.Errorf("loading a %d-byte split allocated %d bytes: more than %d of overhead", split, alloc, slack)
	}
}

// FuzzReadIDXImageRows: on any input, with a selection drawn from the
// fuzzer's mode and seed, the streaming reader agrees with the whole-file
// reader: the same error, or the same rows bit for bit.
func FuzzReadIDXImageRows(f *testing.F) {
	entries, err := os.ReadDir(idxTestdata)
	if err != nil {
		f.Fatal(err)
	}
	for i, e := range entries {
		b, err := os.ReadFile(filepath.Join(idxTestdata, e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(i%6), uint64(i))
	}
	f.Fuzz(func(t *testing.T, b []byte, mode uint8, seed uint64) {
		checkImageRows(t, "fuzz input", b, 1<<20, int(mode%6), seed)
	})
}
