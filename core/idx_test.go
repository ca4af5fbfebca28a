package core

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

var updateIDX = flag.Bool("update-idx", false, "rewrite core/testdata/idx from idxTestFiles")

// idxHeader returns a big-endian IDX header: the magic then the dimensions.
func idxHeader(magic uint32, dims ...uint32) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return b
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	z, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	z.Write(b)
	z.Close()
	return buf.Bytes()
}

func idxCat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// idxTestFiles builds the contents of core/testdata/idx: small valid and
// broken IDX files. Run `go test ./core -run TestIDXTestdataUpToDate
// -update-idx` to rewrite them.
func idxTestFiles() map[string][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	noisy := make([]byte, 50*4*4)
	for i := range noisy {
		noisy[i] = byte(rng.IntN(256))
	}
	okImages := idxCat(idxHeader(idxImagesMagic, 2, 2, 3), []byte{0, 255, 51, 102, 153, 204, 1, 2, 3, 4, 5, 6})
	okLabels := idxCat(idxHeader(idxLabelsMagic, 4), []byte{0, 9, 3, 7})
	gz50 := gzipBytes(idxCat(idxHeader(idxImagesMagic, 50, 4, 4), noisy))
	return map[string][]byte{
		"ok-images.idx3":              okImages,
		"ok-images.idx3.gz":           gzipBytes(okImages),
		"ok-labels.idx1":              okLabels,
		"ok-labels.idx1.gz":           gzipBytes(okLabels),
		"empty.idx3":                  {},
		"trunc-header.idx3":           idxHeader(idxImagesMagic, 7)[:6],
		"trunc-payload.idx3":          idxCat(idxHeader(idxImagesMagic, 2, 3, 3), make([]byte, 10)),
		"bad-magic.idx3":              idxCat(idxHeader(0x00000804, 1, 2, 2), make([]byte, 4)),
		"labels-as-images.idx3":       okLabels,
		"beyond-file.idx3":            idxCat(idxHeader(idxImagesMagic, 1000, 28, 28), make([]byte, 84)),
		"huge-count.idx3":             idxCat(idxHeader(idxImagesMagic, 1<<31, 28, 28), make([]byte, 84)),
		"zero-rows.idx3":              idxCat(idxHeader(idxImagesMagic, 5, 0, 28), make([]byte, 4)),
		"wide.idx3":                   idxCat(idxHeader(idxImagesMagic, 1, 1, 20000), make([]byte, 4)),
		"trailing.idx3":               idxCat(idxHeader(idxImagesMagic, 1, 2, 2), make([]byte, 4+3)),
		"trunc-gzip.idx3.gz":          gz50[:len(gz50)/2],
		"gzip-garbage.idx3.gz":        idxCat(gzipBytes(okImages), []byte("garbage")),
		"bomb.idx3.gz":                gzipBytes(idxCat(idxHeader(idxImagesMagic, 1, 2, 2), make([]byte, 1<<20))),
		"label-10.idx1":               idxCat(idxHeader(idxLabelsMagic, 3), []byte{3, 10, 1}),
		"trunc-labels.idx1":           idxCat(idxHeader(idxLabelsMagic, 100), []byte{1, 2, 3, 4, 5}),
		"zero-labels.idx1":            idxHeader(idxLabelsMagic, 0),
		"images-as-labels.idx1":       okImages,
		"trailing-labels.idx1.gz":     gzipBytes(idxCat(okLabels, []byte{0})),
		"trunc-labels-header.idx1":    idxHeader(idxLabelsMagic, 4)[:7],
		"huge-labels.idx1":            idxCat(idxHeader(idxLabelsMagic, 0xffffffff), []byte{1, 2}),
		"corrupt-gzip-header.idx3.gz": {0x1f, 0x8b, 0x08},
	}
}

const idxTestdata = "testdata/idx"

// TestIDXTestdataUpToDate checks that the committed files match their
// generator (and rewrites them with -update-idx).
func TestIDXTestdataUpToDate(t *testing.T) {
	files := idxTestFiles()
	if *updateIDX {
		if err := os.MkdirAll(idxTestdata, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(idxTestdata, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(idxTestdata, name))
		if err != nil {
			t.Fatalf("%v (run with -update-idx)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from its generator (run with -update-idx)", name)
		}
	}
}

// idxRead parses a testdata file as kind: "images", "labels" or "digits"
// (labels that must be 0..9).
func idxRead(kind string, b []byte) error {
	switch kind {
	case "images":
		_, err := ReadIDXImageBytes(bytes.NewReader(b), 0)
		return err
	case "labels":
		_, err := ReadIDXLabels(bytes.NewReader(b), 0)
		return err
	default:
		l, err := ReadIDXLabels(bytes.NewReader(b), 0)
		if err != nil {
			return err
		}
		return checkDigitLabels(l)
	}
}

func TestIDXBrokenFiles(t *testing.T) {
	cases := []struct {
		file, kind, want string
	}{
		{"empty.idx3", "images", "truncated header: 0 of 16 bytes"},
		{"trunc-header.idx3", "images", "truncated header: 6 of 16 bytes"},
		{"trunc-payload.idx3", "images", "truncated: header declares 2 images of 3x3 (18 bytes) but only 10 follow"},
		{"bad-magic.idx3", "images", "bad magic number 0x00000804: want 0x00000803"},
		{"labels-as-images.idx3", "images", "bad magic number 0x00000801 (a label file)"},
		{"images-as-labels.idx1", "labels", "bad magic number 0x00000803 (an image file): want 0x00000801"},
		{"beyond-file.idx3", "images", "truncated: header declares 1000 images of 28x28 (784000 bytes) but only 84 follow"},
		{"huge-count.idx3", "images", "header declares 2147483648 images of 28x28 (1683627180032 bytes), beyond the limit of 1073741824 bytes"},
		{"zero-rows.idx3", "images", "bad header: declares 5 images of 0x28"},
		{"wide.idx3", "images", "bad header: declares 1 images of 1x20000"},
		{"trailing.idx3", "images", "trailing data: more than the 1 images of 2x2 (4 bytes) the header declares"},
		{"trunc-gzip.idx3.gz", "images", "gzip stream: unexpected EOF"},
		{"gzip-garbage.idx3.gz", "images", "after the 2 images of 2x3 (12 bytes) the header declares: gzip stream: unexpected EOF"},
		{"corrupt-gzip-header.idx3.gz", "images", "gzip stream: bad header"},
		{"bomb.idx3.gz", "images", "trailing data: more than the 1 images of 2x2 (4 bytes)"},
		{"label-10.idx1", "digits", "label 10 of item 1 is not a digit 0..9"},
		{"trunc-labels.idx1", "labels", "truncated: header declares 100 labels (100 bytes) but only 5 follow"},
		{"trunc-labels-header.idx1", "labels", "truncated header: 7 of 8 bytes"},
		{"zero-labels.idx1", "labels", "bad header: declares 0 labels"},
		{"huge-labels.idx1", "labels", "header declares 4294967295 labels (4294967295 bytes), beyond the limit"},
		{"trailing-labels.idx1.gz", "labels", "trailing data: more than the 4 labels (4 bytes)"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(idxTestdata, c.file))
			if err != nil {
				t.Fatal(err)
			}
			err = idxRead(c.kind, b)
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

func TestIDXValidFiles(t *testing.T) {
	for _, name := range []string{"ok-images.idx3", "ok-images.idx3.gz"} {
		f, err := os.Open(filepath.Join(idxTestdata, name))
		if err != nil {
			t.Fatal(err)
		}
		x, n, rows, cols, err := ReadIDXImages(f, 0)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := []float64{0, 1, 0.2, 0.4, 0.6, 0.8, 1.0 / 255, 2.0 / 255, 3.0 / 255, 4.0 / 255, 5.0 / 255, 6.0 / 255}
		if n != 2 || rows != 2 || cols != 3 || len(x) != len(want) {
			t.Fatalf("%s: n, rows, cols = %d, %d, %d, %d values; want 2, 2, 3, 12", name, n, rows, cols, len(x))
		}
		for i := range want {
			if d := x[i] - want[i]; d > 1e-15 || d < -1e-15 {
				t.Errorf("%s: pixel %d = %v, want %v", name, i, x[i], want[i])
			}
		}
	}
	for _, name := range []string{"ok-labels.idx1", "ok-labels.idx1.gz"} {
		b, _ := os.ReadFile(filepath.Join(idxTestdata, name))
		l, err := ReadIDXLabels(bytes.NewReader(b), 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(l, []byte{0, 9, 3, 7}) {
			t.Errorf("%s: labels %v, want [0 9 3 7]", name, l)
		}
	}
	// An explicit limit below the declared payload is refused.
	b, _ := os.ReadFile(filepath.Join(idxTestdata, "ok-images.idx3"))
	if _, err := ReadIDXImageBytes(bytes.NewReader(b), 11); err == nil || !strings.Contains(err.Error(), "beyond the limit of 11 bytes") {
		t.Errorf("limit 11 on a 12-byte payload: err = %v", err)
	}
}

// TestIDXHostileHeaderMemory: a header declaring 2^31 images of 28x28 in a
// 100-byte stream, with the limit lifted, must fail fast without allocating
// anything like the declared 1.6 TB.
func TestIDXHostileHeaderMemory(t *testing.T) {
	b := idxCat(idxHeader(idxImagesMagic, 1<<31, 28, 28), make([]byte, 84))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := ReadIDXImageBytes(bytes.NewReader(b), 1<<62)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "but only 84 follow") {
		t.Fatalf("err = %v, want a truncation error", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("allocated %d bytes for a 100-byte stream", alloc)
	}
	if elapsed > time.Second {
		t.Errorf("took %v", elapsed)
	}
}

func fuzzSeeds(f *testing.F) {
	entries, err := os.ReadDir(idxTestdata)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(idxTestdata, e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzReadIDXImages(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		x, n, rows, cols, err := ReadIDXImages(bytes.NewReader(b), 1<<20)
		if err != nil {
			return
		}
		if n < 1 || rows < 1 || cols < 1 || len(x) != n*rows*cols {
			t.Fatalf("inconsistent success: n=%d rows=%d cols=%d len=%d", n, rows, cols, len(x))
		}
		if len(b) >= 2 && b[0] != 0x1f && len(b) != 16+len(x) {
			t.Fatalf("plain file of %d bytes gave %d pixels", len(b), len(x))
		}
		for _, v := range x {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("pixel %v outside [0,1]", v)
			}
		}
	})
}

func FuzzReadIDXLabels(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := ReadIDXLabels(bytes.NewReader(b), 1<<20)
		if err != nil {
			return
		}
		if len(l) < 1 {
			t.Fatal("success with no labels")
		}
		if len(b) >= 2 && b[0] != 0x1f && len(b) != 8+len(l) {
			t.Fatalf("plain file of %d bytes gave %d labels", len(b), len(l))
		}
		if b[0] != 0x1f {
			if n := binary.BigEndian.Uint32(b[4:8]); int(n) != len(l) {
				t.Fatalf("header declares %d labels, got %d", n, len(l))
			}
		}
	})
}
