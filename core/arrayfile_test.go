package core

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixtureW0 and fixtureV0 are the formulas core/testdata/files/gen_fixtures.py
// used to write the NumPy fixtures. The explicit float64 conversions round
// every product, as NumPy does, so that no fused multiply-add can change a
// bit.
func fixtureW0(i, j int) float64 { return float64(float64(i+1)*0.1) - float64(float64(j)*0.01) }
func fixtureV0(o, j int) float64 { return float64(float64(o+1)*0.5) - float64(float64(j+1)*0.3) }

func checkMatrix(t *testing.T, name string, m *Matrix, rows, cols int, want func(r, c int) float64) {
	t.Helper()
	if m.Rows != rows || m.Cols != cols || len(m.Data) != rows*cols {
		t.Fatalf("%s: %d x %d with %d values, want %d x %d", name, m.Rows, m.Cols, len(m.Data), rows, cols)
	}
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			if got, w := m.At(r, c), want(r, c); got != w {
				t.Errorf("%s[%d][%d] = %v, want %v", name, r, c, got, w)
			}
		}
	}
}

// TestReadNumpyFixtures: our reader returns exactly the values NumPy 1.24
// wrote, in every layout NumPy produces for a 2-D float array.
func TestReadNumpyFixtures(t *testing.T) {
	f32 := func(r, c int) float64 { return float64(float32(fixtureW0(r, c))) }
	for _, c := range []struct {
		file string
		want func(r, c int) float64
	}{
		{"np_w0.npy", fixtureW0},
		{"np_w0_fortran.npy", fixtureW0},
		{"np_w0_big.npy", fixtureW0},
		{"np_w0_v2.npy", fixtureW0},
		{"np_w0_v3.npy", fixtureW0},
		{"np_w0_f4.npy", f32},
		{"np_w0.csv", fixtureW0}, // np.savetxt with a '#' header line, %.17g
	} {
		m, err := ReadMatrixFile(filepath.Join("testdata", "files", c.file))
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		checkMatrix(t, c.file, m, 3, 4, c.want)
	}
	m, err := ReadMatrixFile(filepath.Join("testdata", "files", "np_v0.npy"))
	if err != nil {
		t.Fatal(err)
	}
	checkMatrix(t, "np_v0.npy", m, 2, 4, fixtureV0)

	for file, want := range map[string]string{
		"np_vec.npy": "(4,) is 1-D",
		"np_i8.npy":  `dtype "<i8" is not supported`,
	} {
		path := filepath.Join("testdata", "files", file)
		if _, err := ReadMatrixFile(path); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: err = %v, want one naming the file and %q", file, err, want)
		}
	}
}

// npyBytes encodes a .npy file the way NumPy does (header padded with
// spaces to a multiple of 64 bytes, ending in a newline). data is in the
// order it is stored (column-major when fortran).
func npyBytes(major byte, descr string, fortran bool, shape string, data []float64) []byte {
	py := map[bool]string{true: "True", false: "False"}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, py[fortran], shape)
	pre := 10
	if major > 1 {
		pre = 12
	}
	pad := 64 - (pre+len(dict)+1)%64
	hdr := dict + strings.Repeat(" ", pad%64) + "\n"
	var b bytes.Buffer
	b.WriteString(npyMagic)
	b.Write([]byte{major, 0})
	if major == 1 {
		binary.Write(&b, binary.LittleEndian, uint16(len(hdr)))
	} else {
		binary.Write(&b, binary.LittleEndian, uint32(len(hdr)))
	}
	b.WriteString(hdr)
	var order binary.ByteOrder = binary.LittleEndian
	if descr[0] == '>' {
		order = binary.BigEndian
	}
	for _, v := range data {
		if strings.HasSuffix(descr, "f4") {
			binary.Write(&b, order, float32(v))
		} else {
			binary.Write(&b, order, v)
		}
	}
	return b.Bytes()
}

// writeNPY writes a rows x cols row-major matrix as a C-order '<f8' .npy file.
func writeNPY(t *testing.T, path string, rows, cols int, data []float64) {
	t.Helper()
	if err := os.WriteFile(path, npyBytes(1, "<f8", false, fmt.Sprintf("(%d, %d)", rows, cols), data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReadNPYLayouts round-trips a 2 x 3 matrix through every supported
// encoding, including a column-major one written by hand.
func TestReadNPYLayouts(t *testing.T) {
	want := func(r, c int) float64 { return float64(10*r+c) + 0.25 }
	rowMajor := []float64{want(0, 0), want(0, 1), want(0, 2), want(1, 0), want(1, 1), want(1, 2)}
	colMajor := []float64{want(0, 0), want(1, 0), want(0, 1), want(1, 1), want(0, 2), want(1, 2)}
	for _, c := range []struct {
		major   byte
		descr   string
		fortran bool
		data    []float64
	}{
		{1, "<f8", false, rowMajor}, {2, "<f8", false, rowMajor}, {3, "<f8", false, rowMajor},
		{1, "<f8", true, colMajor}, {1, ">f8", false, rowMajor}, {1, "<f4", false, rowMajor},
		{1, ">f4", true, colMajor},
	} {
		b := npyBytes(c.major, c.descr, c.fortran, "(2, 3)", c.data)
		m, err := ReadNPY(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		checkMatrix(t, fmt.Sprintf("v%d %s fortran=%v", c.major, c.descr, c.fortran), m, 2, 3, want)
	}
	// Empty shapes are valid arrays.
	b := npyBytes(1, "<f8", false, "(0, 5)", nil)
	if m, err := ReadNPY(bytes.NewReader(b), int64(len(b))); err != nil || m.Rows != 0 || m.Cols != 5 {
		t.Errorf("(0, 5): %+v, %v", m, err)
	}
}

// TestReadNPYHostile: malformed or hostile files give errors naming the
// problem, never panics or large allocations.
func TestReadNPYHostile(t *testing.T) {
	good := npyBytes(1, "<f8", false, "(2, 3)", make([]float64, 6))
	withHeader := func(h string, payload int) []byte {
		b := []byte(npyMagic + "\x01\x00")
		b = binary.LittleEndian.AppendUint16(b, uint16(len(h)))
		return append(append(b, h...), make([]byte, payload)...)
	}
	hlen32 := func(n uint32) []byte {
		b := []byte(npyMagic + "\x02\x00")
		return append(binary.LittleEndian.AppendUint32(b, n), "{}"...)
	}
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "reading the magic"},
		{"bad magic", append([]byte("\x93NUMPZ\x01\x00"), good[8:]...), "bad magic"},
		{"version 4", append([]byte(npyMagic+"\x04\x00"), good[8:]...), "version 4.0"},
		{"version 1.1", append([]byte(npyMagic+"\x01\x01"), good[8:]...), "version 1.1"},
		{"header beyond file", hlen32(1 << 30), "header length 1073741824"},
		{"header beyond limit", append(hlen32(1<<17), make([]byte, 1<<17)...), "exceeds the limit"},
		{"truncated header", good[:20], "header length"},
		{"truncated data", good[:len(good)-1], "needs 48 bytes of data but the file has 47"},
		{"trailing data", append(append([]byte(nil), good...), 0), "needs 48 bytes of data but the file has 49"},
		{"huge shape", withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }", 8), "too large"},
		{"dimension too large", withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999, 2), }", 8), "out of range"},
		{"negative dimension", withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 2), }", 8), "expected a dimension"},
		{"3-D", withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1), }", 8), "3-D"},
		{"0-D", withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", 8), "0-D"},
		{"1-tuple without comma", withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (3), }", 24), "trailing comma"},
		{"missing key", withHeader("{'descr': '<f8', 'shape': (1, 1), }", 8), `missing key "fortran_order"`},
		{"extra key", withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), 'x': 1}", 8), `unexpected key "x"`},
		{"repeated key", withHeader("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1, 1)}", 8), "repeated"},
		{"unterminated string", withHeader("{'descr: '<f8'", 8), `no ':' after key "descr: "`},
		{"unterminated value", withHeader("{'descr': '<f8", 8), "unterminated string"},
		{"structured dtype", withHeader("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1, 1)}", 8), "structured"},
		{"complex dtype", withHeader("{'descr': '<c16', 'fortran_order': False, 'shape': (1, 1)}", 16), `dtype "<c16"`},
		{"bad bool", withHeader("{'descr': '<f8', 'fortran_order': Falsey, 'shape': (1, 1)}", 8), "True or False"},
		{"not a dict", withHeader("['descr']", 8), "does not start with '{'"},
		{"trailing text", withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1)} x", 8), "trailing text"},
	} {
		m, err := ReadNPY(bytes.NewReader(c.b), int64(len(c.b)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %+v, err %v, want an error containing %q", c.name, m, err, c.want)
		}
	}
}

// TestReadCSVMatrix covers headers, comments and the errors.
func TestReadCSVMatrix(t *testing.T) {
	m, err := ReadCSVMatrix(strings.NewReader("# a comment\nw0,w1 ,w2\n1, 2.5,-3e-2\n\n4,5,6\n"))
	if err != nil {
		t.Fatal(err)
	}
	checkMatrix(t, "with header", m, 2, 3, func(r, c int) float64 {
		return [][]float64{{1, 2.5, -0.03}, {4, 5, 6}}[r][c]
	})
	m, err = ReadCSVMatrix(strings.NewReader("7\n8\n"))
	if err != nil {
		t.Fatal(err)
	}
	checkMatrix(t, "one column", m, 2, 1, func(r, _ int) float64 { return float64(7 + r) })

	for in, want := range map[string]string{
		"":                  "no rows of numbers",
		"a,b\n":             "no rows of numbers",
		"1,x\n2,3\n":        `line 1, column 2: "x" is not a number`,
		"a,b\n1,2\n3\n":     "wrong number of fields",
		"1,2\n3,4\n5,six\n": `line 3, column 2: "six"`,
		"1,\"2\n":           "csv:",
	} {
		if _, err := ReadCSVMatrix(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", in, err, want)
		}
	}
	if _, err := ReadMatrixFile(filepath.Join(t.TempDir(), "absent.csv")); err == nil || !strings.Contains(err.Error(), "absent.csv") {
		t.Errorf("missing file: err = %v", err)
	}
}

// FuzzReadNPY: any input either fails cleanly or gives a consistent 2-D
// matrix whose data fit in the input.
func FuzzReadNPY(f *testing.F) {
	for _, name := range []string{"np_w0.npy", "np_w0_fortran.npy", "np_w0_f4.npy", "np_w0_v3.npy", "np_vec.npy"} {
		b, err := os.ReadFile(filepath.Join("testdata", "files", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(npyBytes(2, ">f4", true, "(3, 1)", []float64{1, 2, 3}))
	f.Add(npyBytes(1, "<f8", false, "(0, 0)", nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ReadNPY(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			if m != nil {
				t.Fatal("matrix and error both returned")
			}
			return
		}
		if m.Rows < 0 || m.Cols < 0 || len(m.Data) != m.Rows*m.Cols {
			t.Fatalf("inconsistent matrix: %d x %d with %d values", m.Rows, m.Cols, len(m.Data))
		}
		if 4*len(m.Data) > len(b) {
			t.Fatalf("%d values from %d bytes", len(m.Data), len(b))
		}
	})
}
