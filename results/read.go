package results

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// ReadRuns reads every published part file DIR/runs/*.parquet (temporary
// files never match the pattern) and returns their rows, file by file in
// name order. A missing runs folder is an empty result, not an error, so a
// fresh output directory can be resumed. A part file that cannot be read or
// whose schema is not Row's is an error naming the file.
func ReadRuns(dir string) ([]Row, error) {
	return readParts[Row](filepath.Join(dir, RunsDir))
}

// OKRunIDs returns the run_ids that have a row with status "ok" in DIR/runs,
// the set a resumed sweep skips. It reads only the run_id and status columns.
func OKRunIDs(dir string) (map[string]bool, error) {
	type idStatus struct {
		RunID  string `parquet:"run_id"`
		Status string `parquet:"status"`
	}
	rows, err := readParts[idStatus](filepath.Join(dir, RunsDir))
	if err != nil {
		return nil, err
	}
	ok := make(map[string]bool)
	for _, r := range rows {
		if r.Status == "ok" {
			ok[r.RunID] = true
		}
	}
	return ok, nil
}

// readParts reads every *.parquet file of dir as rows of T. T may name a
// subset of the file's columns; a column of T missing from a file is an
// error.
func readParts[T any](dir string) ([]T, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.parquet"))
	if err != nil {
		return nil, fmt.Errorf("results: list part files in %s: %w", dir, err)
	}
	var rows []T
	for _, p := range paths { // Glob returns names sorted
		rows, err = readPart(p, rows)
		if err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// readPart appends the rows of the part file at path to rows.
func readPart[T any](path string, rows []T) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return rows, fmt.Errorf("results: read part file %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return rows, fmt.Errorf("results: read part file %s: %w", path, err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return rows, fmt.Errorf("results: read part file %s: %w", path, err)
	}
	want := parquet.SchemaOf(new(T))
	for _, col := range want.Columns() {
		if _, ok := pf.Schema().Lookup(col...); !ok {
			return rows, fmt.Errorf("results: read part file %s: column %q missing", path, strings.Join(col, "."))
		}
	}
	n := pf.NumRows()
	start := len(rows)
	rows = append(rows, make([]T, n)...)
	r := parquet.NewGenericReader[T](pf)
	defer r.Close()
	got := 0
	for int64(got) < n {
		k, err := r.Read(rows[start+got:])
		got += k
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return rows[:start], fmt.Errorf("results: read part file %s: %w", path, err)
		}
		if k == 0 {
			break
		}
	}
	if int64(got) != n {
		return rows[:start], fmt.Errorf("results: read part file %s: got %d rows, footer says %d", path, got, n)
	}
	return rows, nil
}
