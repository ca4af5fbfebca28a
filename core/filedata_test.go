package core

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/parquet-go/parquet-go"
)

func checkSplit(t *testing.T, name string, s Split, d int, x []float64, y []int) {
	t.Helper()
	if s.N != len(y) || s.D != d || !slices.Equal(s.X, x) || !slices.Equal(s.Y, y) {
		t.Errorf("%s: %d x %d\nX = %v\nY = %v\nwant %d x %d\nX = %v\nY = %v", name, s.N, s.D, s.X, s.Y, len(y), d, x, y)
	}
}

// TestFileDatasetCSV reads the committed CSV fixtures: the label column sits
// between features, rows come out class by class in file order, and the test
// table's columns (in another order) are matched by name.
func TestFileDatasetCSV(t *testing.T) {
	train := filepath.Join("testdata", "files", "train.csv")
	test := filepath.Join("testdata", "files", "test.csv")
	d, err := BuildDataset(DataSpec{Kind: "file", Classes: 3, Path: train, TestPath: test, LabelColumn: "label"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if d.K != 3 {
		t.Errorf("K = %d", d.K)
	}
	// Training rows (f1, f2, f3) by class, in file order within a class.
	checkSplit(t, "train", d.Train, 3, []float64{
		-1, 2, 3, -3, 0, 1, // class 0: file rows 2 and 5
		1.5, -2, 0.25, 2, 1e-3, 4, // class 1: rows 1 and 4
		0.5, 0.5, -0.5, 7, -7, 7, // class 2: rows 3 and 6
	}, []int{0, 0, 1, 1, 2, 2})
	checkSplit(t, "test", d.Test, 3, []float64{4, 5, -1, 1, 2, 9}, []int{0, 2})
	if !slices.Equal(d.Stats.PerClass, []int{2, 2, 2}) {
		t.Errorf("stats not computed: %+v", d.Stats)
	}
	want := "file: 6 training and 2 test rows, 3 features, from " + train + " and " + test
	if !slices.Contains(d.Notes, want) {
		t.Errorf("notes %q, want %q", d.Notes, want)
	}

	// No test table, and the default label column name.
	d, err = FileDataset(DataSpec{Kind: "file", Classes: 3, Path: train})
	if err != nil || d.Test.N != 0 || d.Train.N != 6 {
		t.Errorf("without test_path: %v, %+v", err, d)
	}
}

// TestFileDatasetErrors: every malformed table gives an error naming the
// file and what is wrong, with the row where a row is at fault.
func TestFileDatasetErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.csv", "a,b,label\n1,2,0\n3,4,1\n")
	for _, c := range []struct {
		name, train, test string
		classes           int
		want              []string
	}{
		{"label out of range", "a,label\n1,0\n2,1\n3,2\n", "", 2, []string{"line 4 (row 3)", "label 2 is outside 0..1"}},
		{"negative label", "a,label\n1,0\n2,-1\n", "", 2, []string{"row 2", "label -1"}},
		{"non-integer label", "a,label\n1,0\n2,1.0\n", "", 2, []string{"line 3", `label "1.0"`, "not an integer"}},
		{"non-numeric cell", "a,b,label\n1,x,0\n2,3,1\n", "", 2, []string{"line 2 (row 1)", `column "b"`, `"x" is not a number`}},
		{"missing label column", "a,b,class\n1,2,0\n", "", 2, []string{`no label column "label"`, "data.label_column"}},
		{"ragged rows", "a,b,label\n1,2,0\n3,1\n", "", 2, []string{"line 3", "wrong number of fields"}},
		{"NaN feature", "a,b,label\n1,NaN,0\n3,4,1\n", "", 2, []string{"line 2 (row 1)", `column "b"`, "NaN is not finite"}},
		{"Inf feature", "a,b,label\n1,2,0\n-Inf,4,1\n", "", 2, []string{"row 2", "-Inf is not finite"}},
		{"empty table", "a,b,label\n", "", 2, []string{"training table has no rows"}},
		{"empty file", "", "", 2, []string{"empty file"}},
		{"no features", "label\n0\n1\n", "", 2, []string{"no feature columns"}},
		{"class missing", "a,label\n1,0\n2,0\n", "", 2, []string{"class 1 has no training row"}},
		{"repeated column", "a,a,label\n1,2,0\n", "", 2, []string{`column name "a" repeated`}},
		{"mismatched test columns", "", "a,c,label\n1,2,0\n", 2, []string{"does not match", `missing ["b"]`, `extra ["c"]`}},
		{"bad test label", "", "a,b,label\n1,2,5\n", 2, []string{"label 5 is outside 0..1"}},
		{"one class", "", "", 1, []string{"data.classes = 1"}},
	} {
		train, test := good, ""
		if c.train != "" || c.name == "empty file" {
			train = write(strings.ReplaceAll(c.name, " ", "_")+".csv", c.train)
		}
		if c.test != "" {
			test = write("test_"+strings.ReplaceAll(c.name, " ", "_")+".csv", c.test)
		}
		_, err := FileDataset(DataSpec{Kind: "file", Classes: c.classes, Path: train, TestPath: test, LabelColumn: "label"})
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		named := train
		if test != "" {
			named = test
		}
		if c.classes >= 2 && !strings.Contains(err.Error(), named) {
			t.Errorf("%s: error %q does not name the file", c.name, err)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not contain %q", c.name, err, w)
			}
		}
	}
	if _, err := FileDataset(DataSpec{Kind: "file", Classes: 2, Path: write("t.tsv", "a\tlabel\n")}); err == nil || !strings.Contains(err.Error(), `unknown table format ".tsv"`) {
		t.Errorf("tsv: %v", err)
	}
	if _, err := FileDataset(DataSpec{Kind: "file", Classes: 2, Path: filepath.Join(dir, "absent.csv")}); err == nil || !strings.Contains(err.Error(), "absent.csv") {
		t.Errorf("missing file: %v", err)
	}
}

// parquetRow is the fixture schema: one column of every numeric type a
// feature may have, the label in the middle, and a pandas index column.
type parquetRow struct {
	Index int64   `parquet:"__index_level_0__"`
	A     float64 `parquet:"a"`
	B     float32 `parquet:"b"`
	Label int32   `parquet:"y"`
	C     int32   `parquet:"c"`
	D     int64   `parquet:"d"`
}

// TestFileDatasetParquet round-trips a table written by parquet-go, with a
// test table of the same schema and a CSV twin of the training table that
// must give the same dataset.
func TestFileDatasetParquet(t *testing.T) {
	dir := t.TempDir()
	rows := []parquetRow{
		{100, 0.1, 0.5, 1, -3, 1 << 40},
		{101, -2.5, -0.25, 0, 7, -9},
		{102, 3e-300, 1.5, 1, 0, 5},
	}
	train := filepath.Join(dir, "train.parquet")
	if err := parquet.WriteFile(train, rows); err != nil {
		t.Fatal(err)
	}
	test := filepath.Join(dir, "test.parquet")
	if err := parquet.WriteFile(test, rows[:1]); err != nil {
		t.Fatal(err)
	}
	d, err := BuildDataset(DataSpec{Kind: "file", Classes: 2, Path: train, TestPath: test, LabelColumn: "y"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	checkSplit(t, "train", d.Train, 4, []float64{
		-2.5, -0.25, 7, -9,
		0.1, 0.5, -3, 1 << 40,
		3e-300, 1.5, 0, 5,
	}, []int{0, 1, 1})
	checkSplit(t, "test", d.Test, 4, []float64{0.1, 0.5, -3, 1 << 40}, []int{1})
	if !slices.ContainsFunc(d.Notes, func(n string) bool { return strings.Contains(n, "__index_level_0__") }) {
		t.Errorf("notes %q do not mention the skipped index column", d.Notes)
	}

	csvPath := filepath.Join(dir, "train.csv")
	os.WriteFile(csvPath, []byte("a,b,y,c,d\n0.1,0.5,1,-3,1099511627776\n-2.5,-0.25,0,7,-9\n3e-300,1.5,1,0,5\n"), 0o644)
	c, err := FileDataset(DataSpec{Kind: "file", Classes: 2, Path: csvPath, LabelColumn: "y"})
	if err != nil {
		t.Fatal(err)
	}
	checkSplit(t, "csv twin", c.Train, 4, d.Train.X, d.Train.Y)

	// A CSV test table may go with a Parquet training table: columns match by name.
	csvTest := filepath.Join(dir, "test.csv")
	os.WriteFile(csvTest, []byte("d,c,b,a,y\n1,2,3,4,0\n"), 0o644)
	m, err := FileDataset(DataSpec{Kind: "file", Classes: 2, Path: train, TestPath: csvTest, LabelColumn: "y"})
	if err != nil {
		t.Fatal(err)
	}
	checkSplit(t, "csv test", m.Test, 4, []float64{4, 3, 2, 1}, []int{0})
}

func TestFileDatasetParquetErrors(t *testing.T) {
	dir := t.TempDir()
	type strCol struct {
		A string `parquet:"a"`
		Y int64  `parquet:"label"`
	}
	type floatLabel struct {
		A float64 `parquet:"a"`
		Y float64 `parquet:"label"`
	}
	type nullable struct {
		A *float64 `parquet:"a,optional"`
		Y int64    `parquet:"label"`
	}
	type list struct {
		A []float64 `parquet:"a,list"`
		Y int64     `parquet:"label"`
	}
	type labelled struct {
		A float64 `parquet:"a"`
		Y int64   `parquet:"label"`
	}
	one := 1.0
	files := map[string]func(string) error{
		"string column": func(p string) error { return parquet.WriteFile(p, []strCol{{"x", 0}, {"y", 1}}) },
		"float label":   func(p string) error { return parquet.WriteFile(p, []floatLabel{{1, 0}, {2, 1}}) },
		"null value":    func(p string) error { return parquet.WriteFile(p, []nullable{{&one, 0}, {nil, 1}}) },
		"list column":   func(p string) error { return parquet.WriteFile(p, []list{{[]float64{1}, 0}, {nil, 1}}) },
		"bad label":     func(p string) error { return parquet.WriteFile(p, []labelled{{1, 0}, {2, 1}, {3, 7}}) },
		"no rows":       func(p string) error { return parquet.WriteFile(p, []labelled{}) },
		"corrupt": func(p string) error {
			return os.WriteFile(p, []byte("PAR1 this is not really a parquet file PAR1"), 0o644)
		},
	}
	want := map[string]string{
		"string column": `column "a" has type`,
		"float label":   `label column "label" has type`,
		"null value":    `row 2, column "a": null value`,
		"list column":   `column "a`,
		"bad label":     "row 3: label 7 is outside 0..1",
		"no rows":       "no rows",
		"corrupt":       "parquet",
	}
	for name, mk := range files {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".parquet")
		if err := mk(p); err != nil {
			t.Fatalf("%s: writing: %v", name, err)
		}
		_, err := FileDataset(DataSpec{Kind: "file", Classes: 2, Path: p})
		if err == nil || !strings.Contains(err.Error(), want[name]) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: err = %v, want one naming %s and containing %q", name, err, p, want[name])
		}
	}
}

// FuzzReadCSVTable: any CSV either fails cleanly or gives a table whose
// shapes agree.
func FuzzReadCSVTable(f *testing.F) {
	for _, name := range []string{"train.csv", "test.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", "files", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("\ufeffa,label\n1,0\n"))
	f.Add([]byte("label,x\n\"1\",\"2\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tab, err := readCSVTable(bytes.NewReader(b), "label")
		if err != nil {
			return
		}
		if len(tab.X) != len(tab.Y)*len(tab.Names) || len(tab.Where) != len(tab.Y) {
			t.Fatalf("%d values for %d rows of %d features (%d locations)", len(tab.X), len(tab.Y), len(tab.Names), len(tab.Where))
		}
		if slices.Contains(tab.Names, "label") {
			t.Fatal("the label column is among the features")
		}
	})
}

// TestDataFileLimits: a path that is not a regular file (a directory, or a
// symbolic link to /dev/zero, which would otherwise be read forever) is
// refused before reading, naming the path; so is a file above
// MaxDataFileSize (a sparse file, so nothing is written), and a CSV line
// longer than MaxLineBytes stops the reader at that line, for the table
// reader and the matrix reader alike.
func TestDataFileLimits(t *testing.T) {
	dir := t.TempDir()
	spec := func(path string) DataSpec { return DataSpec{Kind: "file", Classes: 2, Path: path} }

	sub := filepath.Join(dir, "folder.csv")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	paths := []string{sub}
	if _, err := os.Stat("/dev/zero"); err == nil {
		link := filepath.Join(dir, "zero.csv")
		if err := os.Symlink("/dev/zero", link); err == nil {
			paths = append(paths, link)
			npy := filepath.Join(dir, "zero.npy")
			if err := os.Symlink("/dev/zero", npy); err == nil {
				paths = append(paths, npy)
			}
			pq := filepath.Join(dir, "zero.parquet")
			if err := os.Symlink("/dev/zero", pq); err == nil {
				paths = append(paths, pq)
			}
		}
	}
	if len(paths) == 1 {
		t.Log("no /dev/zero symlink: only the directory case runs")
	}
	for _, p := range paths {
		var err error
		if strings.HasSuffix(p, ".npy") {
			_, err = ReadMatrixFile(p)
		} else {
			_, err = FileDataset(spec(p))
		}
		if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "regular file") {
			t.Errorf("%s: err %v, want a refusal naming the path", p, err)
		}
	}
	if _, err := ReadMatrixFile(filepath.Join(dir, "zero.csv")); len(paths) > 1 && (err == nil || !strings.Contains(err.Error(), "regular file")) {
		t.Errorf("matrix reader on /dev/zero: err %v", err)
	}

	big := filepath.Join(dir, "big.csv")
	if f, err := os.Create(big); err == nil {
		terr := f.Truncate(MaxDataFileSize + 1)
		f.Close()
		if terr == nil {
			_, err := FileDataset(spec(big))
			if err == nil || !strings.Contains(err.Error(), big) || !strings.Contains(err.Error(), "8 GiB limit") {
				t.Errorf("file of 8 GiB + 1 byte: err %v, want the size limit", err)
			}
		} else {
			t.Logf("no sparse file: %v", terr)
		}
		os.Remove(big)
	}

	// Line 2 is one byte too long; line 1 (the header) and line 3 are fine.
	long := "a,label\n" + strings.Repeat(" ", MaxLineBytes-2) + "1,0\n1,1\n"
	if _, err := readCSVTable(strings.NewReader(long), "label"); err == nil || !strings.Contains(err.Error(), "line 2 longer than 16 MiB") {
		t.Errorf("long table line: err %v", err)
	}
	fits := "a,label\n" + strings.Repeat(" ", MaxLineBytes-3) + "1,0\n1,1\n" // cells are trimmed
	if tb, err := readCSVTable(strings.NewReader(fits), "label"); err != nil || len(tb.Y) != 2 {
		t.Errorf("line of exactly MaxLineBytes: err %v", err)
	}
	if _, err := ReadCSVMatrix(strings.NewReader("1,2\n3,4\n" + strings.Repeat("5", MaxLineBytes+1))); err == nil ||
		!strings.Contains(err.Error(), "line 3 longer than 16 MiB") {
		t.Errorf("long matrix line: err %v", err)
	}
}

// TestLineLimitReader checks the line counting and the cut-off on a small
// limit, with reads split at arbitrary points.
func TestLineLimitReader(t *testing.T) {
	for _, c := range []struct {
		in   string
		ok   bool
		line int
	}{
		{"abc\nde\n\nxyz", true, 0},
		{"abcd\n", true, 0},
		{"abcde\n", false, 1},
		{"ab\n\nabcdefgh", false, 3},
	} {
		ll := newLineLimitReader(iotestOneByte(c.in), 4)
		got, err := io.ReadAll(ll)
		switch {
		case c.ok && (err != nil || string(got) != c.in):
			t.Errorf("%q: read %q, err %v", c.in, got, err)
		case !c.ok && (err == nil || !strings.Contains(err.Error(), fmt.Sprintf("line %d longer than 4 bytes", c.line))):
			t.Errorf("%q: err %v, want line %d too long", c.in, err, c.line)
		}
	}
}

// iotestOneByte returns a reader that yields s one byte per Read.
func iotestOneByte(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) }

// TestFileDatasetZeroRows: a training table that is zero everywhere is
// refused; a single zero row is kept, and BuildDataset notes that it was
// left out of the statistics, which are then not separable.
func TestFileDatasetZeroRows(t *testing.T) {
	dir := t.TempDir()
	zero := filepath.Join(dir, "zero.csv")
	if err := os.WriteFile(zero, []byte("a,b,label\n0,0,0\n0,0,1\n0,-0,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := FileDataset(DataSpec{Kind: "file", Classes: 2, Path: zero}); err == nil ||
		!strings.Contains(err.Error(), "every feature row of the training table is zero") {
		t.Errorf("all-zero table: err %v", err)
	}
	one := filepath.Join(dir, "one.csv")
	if err := os.WriteFile(one, []byte("a,b,label\n1,0,0\n2,0,0\n-1,0,1\n0,0,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := BuildDataset(DataSpec{Kind: "file", Classes: 2, Path: one}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if d.Stats.Separable || d.Stats.MuS != 1 || d.Stats.MuD != 1 ||
		!slices.ContainsFunc(d.Notes, func(n string) bool { return strings.Contains(n, "1 training point(s) have norm zero") }) {
		t.Errorf("one zero row: stats %+v notes %q", d.Stats, d.Notes)
	}
}
