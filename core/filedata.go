package core

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// table is a labelled table as read from a file, before validation against
// the spec: Names are the feature columns in file order, X is len(Y) x
// len(Names) row-major, and Where[i] locates row i for error messages.
type table struct {
	Names []string
	X     []float64
	Y     []int64
	Where []string
	// Notes are facts about the reading a user should see.
	Notes []string
}

// FileDataset reads the "file" dataset of spec: the training table from
// spec.Path and, when spec.TestPath is set, the test table from it. A table
// is a CSV file with a header row of column names (".csv") or a Parquet
// file (".parquet" or ".parq"); the column spec.LabelColumn ("label" when
// empty) holds integer labels 0..spec.Classes-1 and every other column is a
// float feature, in file order (Parquet columns pandas writes for a
// non-default index, "__index_level_N__", are skipped with a note).
//
// Checks, each an error naming the file and, where it applies, the row or
// column: each path is a regular file (after following symbolic links) of at
// most MaxDataFileSize bytes with CSV lines of at most MaxLineBytes, the
// label column exists and holds integers in 0..Classes-1, every class
// occurs in the training table, every feature is a finite number, the
// training table has at least one row and one feature and is not zero
// everywhere (individual zero rows are kept: ComputeStats leaves them out
// of the cosine statistics, with a note), and the test table
// has the training table's feature columns (matched by name, in any order;
// it may be empty or miss classes). Points are then ordered class by class,
// keeping file order within a class, as the other datasets are. Stats are
// left for BuildDataset; the file's content is read, not hashed (runs are
// identified by the path).
func FileDataset(spec DataSpec) (*Dataset, error) {
	k := spec.Classes
	if k < 2 {
		return nil, fmt.Errorf("file data: data.classes = %d: need at least 2 classes", k)
	}
	if spec.Path == "" {
		return nil, errors.New("file data: data.path is empty: name the training table (.csv or .parquet)")
	}
	label := spec.LabelColumn
	if label == "" {
		label = "label"
	}
	train, err := readTableFile(spec.Path, label, k)
	if err != nil {
		return nil, err
	}
	if len(train.Y) == 0 {
		return nil, fmt.Errorf("file data %s: the training table has no rows", spec.Path)
	}
	if len(train.Names) == 0 {
		return nil, fmt.Errorf("file data %s: the training table has no feature columns besides %q", spec.Path, label)
	}
	count := make([]int, k)
	for _, y := range train.Y {
		count[y]++
	}
	for c, n := range count {
		if n == 0 {
			return nil, fmt.Errorf("file data %s: class %d has no training row (data.classes = %d: labels must cover 0..%d)", spec.Path, c, k, k-1)
		}
	}
	if !slices.ContainsFunc(train.X, func(v float64) bool { return v != 0 }) {
		return nil, fmt.Errorf("file data %s: every feature row of the training table is zero (no direction to learn or measure)", spec.Path)
	}
	ds := &Dataset{K: k}
	ds.Train = splitByClass(train, nil, k)
	ds.Notes = append(ds.Notes, train.Notes...)
	from := spec.Path
	if spec.TestPath != "" {
		test, err := readTableFile(spec.TestPath, label, k)
		if err != nil {
			return nil, err
		}
		perm, err := matchColumns(train.Names, test.Names)
		if err != nil {
			return nil, fmt.Errorf("file data: test table %s does not match training table %s: %w", spec.TestPath, spec.Path, err)
		}
		ds.Test = splitByClass(test, perm, k)
		ds.Notes = append(ds.Notes, test.Notes...)
		from += " and " + spec.TestPath
	}
	ds.Notes = append(ds.Notes, fmt.Sprintf("file: %d training and %d test rows, %d features, from %s",
		ds.Train.N, ds.Test.N, ds.Train.D, from))
	return ds, nil
}

// readTableFile reads a CSV or Parquet table by the file's extension and
// checks its labels and features.
func readTableFile(path, label string, k int) (*table, error) {
	var (
		t   *table
		err error
	)
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv":
		t, err = readCSVTableFile(path, label)
	case ".parquet", ".parq":
		t, err = readParquetTableFile(path, label)
	default:
		return nil, fmt.Errorf("file data %s: unknown table format %q (valid: .csv with a header row, .parquet)", path, ext)
	}
	if err != nil {
		return nil, fmt.Errorf("file data %s: %w", path, err)
	}
	d := len(t.Names)
	for i, y := range t.Y {
		if y < 0 || y >= int64(k) {
			return nil, fmt.Errorf("file data %s: %s: label %d is outside 0..%d (data.classes = %d)", path, t.Where[i], y, k-1, k)
		}
		for c, v := range t.X[i*d : (i+1)*d] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("file data %s: %s, column %q: feature %v is not finite", path, t.Where[i], t.Names[c], v)
			}
		}
	}
	return t, nil
}

// matchColumns returns perm with test column perm[c] holding training
// feature c, or an error naming the missing and extra columns.
func matchColumns(train, test []string) ([]int, error) {
	at := make(map[string]int, len(test))
	for i, n := range test {
		at[n] = i
	}
	var missing, extra []string
	perm := make([]int, len(train))
	for c, n := range train {
		i, ok := at[n]
		if !ok {
			missing = append(missing, n)
			continue
		}
		perm[c] = i
		delete(at, n)
	}
	for _, n := range test {
		if _, ok := at[n]; ok {
			extra = append(extra, n)
		}
	}
	if len(missing) > 0 || len(extra) > 0 {
		return nil, fmt.Errorf("test columns missing %q, extra %q", missing, extra)
	}
	return perm, nil
}

// splitByClass turns t into a Split ordered class by class (stable), taking
// feature c from column perm[c] of t (perm nil: the identity).
func splitByClass(t *table, perm []int, k int) Split {
	d := len(t.Names)
	order := make([]int, len(t.Y))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return int(t.Y[a] - t.Y[b]) })
	s := Split{N: len(t.Y), D: d, X: make([]float64, len(t.Y)*d), Y: make([]int, len(t.Y))}
	for r, i := range order {
		s.Y[r] = int(t.Y[i])
		src := t.X[i*d : (i+1)*d]
		dst := s.X[r*d : (r+1)*d]
		if perm == nil {
			copy(dst, src)
			continue
		}
		for c, p := range perm {
			dst[c] = src[p]
		}
	}
	return s
}

// Limits on the data files the readers accept, so that a wrong path (a
// device such as /dev/zero, a FIFO, a huge file without newlines) fails
// with an error instead of exhausting memory.
const (
	// MaxDataFileSize bounds the size of a data file (8 GiB).
	MaxDataFileSize = 8 << 30
	// MaxLineBytes bounds one line of a CSV file (16 MiB).
	MaxLineBytes = 16 << 20
)

// openDataFile opens path for reading after checking, with os.Stat (which
// follows symbolic links) and again on the opened file, that it is a
// regular file of at most MaxDataFileSize bytes; it returns the file and
// its size. A FIFO or device is refused before it is opened (opening a
// FIFO would block). Errors are *fs.PathError values naming the path.
func openDataFile(path string) (*os.File, int64, error) {
	check := func(st fs.FileInfo) error {
		if !st.Mode().IsRegular() {
			kind := "a directory"
			if !st.IsDir() {
				kind = fmt.Sprintf("not a regular file (mode %v)", st.Mode().Type())
			}
			return &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("%s: a data file must be a regular file", kind)}
		}
		if st.Size() > MaxDataFileSize {
			return &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("the file has %d bytes, more than the %d GiB limit on data files", st.Size(), MaxDataFileSize>>30)}
		}
		return nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, 0, err
	}
	if err := check(st); err != nil {
		return nil, 0, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	if st, err = f.Stat(); err == nil {
		err = check(st) // the path may have changed between the two calls
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}

// csvRecords reads CSV records through a lineLimitReader, so that no line
// longer than MaxLineBytes is ever buffered, and reports each record's line.
type csvRecords struct {
	ll *lineLimitReader
	cr *csv.Reader
}

// newCSVRecords reads r; comment, when not 0, starts comment lines.
func newCSVRecords(r io.Reader, comment rune) *csvRecords {
	ll := newLineLimitReader(r, MaxLineBytes)
	cr := csv.NewReader(bufio.NewReader(ll))
	cr.Comment = comment
	cr.ReuseRecord = true
	return &csvRecords{ll: ll, cr: cr}
}

// next returns the next record (reused by the following call) and its line
// number, or io.EOF at the end. Errors name the problem and the line.
func (c *csvRecords) next() (rec []string, line int, err error) {
	rec, err = c.cr.Read()
	if c.ll.err != nil {
		return nil, 0, fmt.Errorf("csv: %w", c.ll.err)
	}
	if err == io.EOF {
		return nil, 0, io.EOF
	}
	if err != nil {
		return nil, 0, fmt.Errorf("csv: %w", err) // includes wrong field counts, with the line
	}
	line, _ = c.cr.FieldPos(0)
	return rec, line, nil
}

// lineLimitReader passes r through and fails, with err, as soon as one line
// (the bytes between two '\n') is longer than max bytes, so a CSV reader
// never buffers an unbounded line.
type lineLimitReader struct {
	r    io.Reader
	max  int
	line int   // 1-based number of the current line
	n    int   // bytes of the current line read so far
	err  error // the line-length error, once it happened
}

// newLineLimitReader limits the lines of r to max bytes.
func newLineLimitReader(r io.Reader, max int) *lineLimitReader {
	return &lineLimitReader{r: r, max: max, line: 1}
}

func (l *lineLimitReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	q := p[:n]
	for off := 0; ; {
		j := bytes.IndexByte(q[off:], '\n')
		seg := j
		if j < 0 {
			seg = len(q) - off
		}
		if l.n+seg > l.max {
			l.err = fmt.Errorf("line %d longer than %s", l.line, byteSize(l.max))
			return off + l.max - l.n, l.err
		}
		if j < 0 {
			l.n += seg
			break
		}
		l.line++
		l.n = 0
		off += j + 1
	}
	return n, err
}

// byteSize writes n bytes as "16 MiB" when a whole number of MiB, else as
// "n bytes".
func byteSize(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

func readCSVTableFile(path, label string) (*table, error) {
	f, _, err := openDataFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readCSVTable(f, label)
}

// readCSVTable reads a CSV table whose first row names the columns. Rows
// must all have the header's number of fields; cells are trimmed of spaces.
// A line longer than MaxLineBytes is an error.
func readCSVTable(r io.Reader, label string) (*table, error) {
	records := newCSVRecords(r, 0)
	head, _, err := records.next()
	if err == io.EOF {
		return nil, errors.New("csv: empty file (want a header row naming the columns)")
	}
	if err != nil {
		return nil, err
	}
	cols := make([]string, len(head))
	for i, h := range head {
		cols[i] = strings.TrimSpace(h)
	}
	cols[0] = strings.TrimPrefix(cols[0], "\ufeff") // a UTF-8 byte-order mark (Excel writes one)
	labelAt, t, err := newTable(cols, label)
	if err != nil {
		return nil, fmt.Errorf("csv header: %w", err)
	}
	for {
		rec, line, err := records.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		where := fmt.Sprintf("line %d (row %d)", line, len(t.Y)+1)
		for c, cell := range rec {
			cell = strings.TrimSpace(cell)
			if c == labelAt {
				y, err := strconv.ParseInt(cell, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("%s: label %q in column %q is not an integer", where, cell, label)
				}
				t.Y = append(t.Y, y)
				continue
			}
			v, err := strconv.ParseFloat(cell, 64)
			if err != nil {
				return nil, fmt.Errorf("%s, column %q: %q is not a number", where, cols[c], cell)
			}
			t.X = append(t.X, v)
		}
		t.Where = append(t.Where, where)
	}
	return t, nil
}

// newTable checks the column names (non-empty, unique, label present) and
// returns the label's index and an empty table of the feature columns.
func newTable(cols []string, label string) (int, *table, error) {
	labelAt := -1
	seen := make(map[string]bool, len(cols))
	t := &table{}
	for i, n := range cols {
		if n == "" {
			return 0, nil, fmt.Errorf("column %d has no name", i+1)
		}
		if seen[n] {
			return 0, nil, fmt.Errorf("column name %q repeated", n)
		}
		seen[n] = true
		if n == label {
			labelAt = i
			continue
		}
		t.Names = append(t.Names, n)
	}
	if labelAt < 0 {
		return 0, nil, fmt.Errorf("no label column %q among %q (set data.label_column)", label, cols)
	}
	return labelAt, t, nil
}

func readParquetTableFile(path, label string) (*table, error) {
	f, size, err := openDataFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readParquetTable(f, size, label)
}

// readParquetTable reads a flat Parquet table: every top-level column a
// required or optional (but null-free) leaf; features of physical type
// double, float, int32 or int64 (not decimal), the label int32 or int64.
func readParquetTable(r io.ReaderAt, size int64, label string) (t *table, err error) {
	defer func() {
		// parquet-go can panic on corrupt input; a reader returns errors.
		if p := recover(); p != nil {
			t, err = nil, fmt.Errorf("parquet: corrupt file: %v", p)
		}
	}()
	pf, err := parquet.OpenFile(r, size)
	if err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	schema := pf.Schema()
	paths := schema.Columns()
	cols := make([]string, len(paths))
	kinds := make([]parquet.Kind, len(paths))
	skip := make([]bool, len(paths))
	var skipped []string
	for i, p := range paths {
		if len(p) != 1 {
			return nil, fmt.Errorf("parquet: column %q is nested: want a flat table", strings.Join(p, "."))
		}
		cols[i] = p[0]
		leaf, ok := schema.Lookup(p...)
		if !ok {
			return nil, fmt.Errorf("parquet: column %q not found in the schema", p[0])
		}
		if leaf.Node.Repeated() {
			return nil, fmt.Errorf("parquet: column %q is a list: want one number per row", p[0])
		}
		typ := leaf.Node.Type()
		kinds[i] = typ.Kind()
		if strings.HasPrefix(p[0], "__index_level_") && p[0] != label {
			skip[i] = true
			skipped = append(skipped, p[0])
			continue
		}
		numeric := kinds[i] == parquet.Double || kinds[i] == parquet.Float || kinds[i] == parquet.Int32 || kinds[i] == parquet.Int64
		if lt := typ.LogicalType(); lt != nil {
			if _, dec := lt.Value.(*format.DecimalType); dec {
				numeric = false // a scaled integer: its stored value is not the number
			}
		}
		if p[0] == label && kinds[i] != parquet.Int32 && kinds[i] != parquet.Int64 {
			return nil, fmt.Errorf("parquet: label column %q has type %v, want an integer column", label, typ)
		}
		if !numeric {
			return nil, fmt.Errorf("parquet: column %q has type %v, want a numeric column (double, float, int32 or int64)", p[0], typ)
		}
	}
	kept := make([]string, 0, len(cols))
	for i, n := range cols {
		if !skip[i] {
			kept = append(kept, n)
		}
	}
	labelAt, t, err := newTable(kept, label)
	if err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	// keptAt[i] is column i's position among the kept columns (-1: skipped).
	keptAt := make([]int, len(cols))
	for i, n := 0, 0; i < len(cols); i++ {
		keptAt[i] = -1
		if !skip[i] {
			keptAt[i], n = n, n+1
		}
	}
	if len(skipped) > 0 {
		t.Notes = append(t.Notes, fmt.Sprintf("file: skipped pandas index columns %q", skipped))
	}

	rd := parquet.NewReader(pf)
	defer rd.Close()
	nrows := pf.NumRows()
	if nrows < 0 || nrows > int64(math.MaxInt32) {
		return nil, fmt.Errorf("parquet: %d rows", nrows)
	}
	d := len(t.Names)
	t.X = make([]float64, 0, min(nrows, 1<<20)*int64(d))
	buf := make([]parquet.Row, 64)
	row := make([]float64, d)
	for {
		n, err := rd.ReadRows(buf)
		for _, pr := range buf[:n] {
			where := fmt.Sprintf("row %d", len(t.Y)+1)
			var y int64
			got := 0
			for _, v := range pr {
				c := v.Column()
				if c < 0 || c >= len(cols) {
					return nil, fmt.Errorf("parquet: %s: value for unknown column %d", where, c)
				}
				kc := keptAt[c]
				if kc < 0 {
					continue
				}
				if v.IsNull() {
					return nil, fmt.Errorf("parquet: %s, column %q: null value", where, cols[c])
				}
				var x float64
				switch kinds[c] {
				case parquet.Double:
					x = v.Double()
				case parquet.Float:
					x = float64(v.Float())
				case parquet.Int32:
					x = float64(v.Int32())
				case parquet.Int64:
					x = float64(v.Int64())
				}
				got++
				if kc == labelAt {
					if kinds[c] == parquet.Int32 {
						y = int64(v.Int32())
					} else {
						y = v.Int64()
					}
					continue
				}
				if kc > labelAt {
					kc--
				}
				row[kc] = x
			}
			if got != d+1 {
				return nil, fmt.Errorf("parquet: %s has %d values, want %d", where, got, d+1)
			}
			t.X = append(t.X, row...)
			t.Y = append(t.Y, y)
			t.Where = append(t.Where, where)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parquet: reading row %d: %w", len(t.Y)+1, err)
		}
	}
	return t, nil
}
