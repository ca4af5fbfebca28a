package results

import (
	"database/sql"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" driver
)

// TestDuckDBReadsParts checks the promise of the output format: DuckDB reads
// the published part files with a glob and sees the schema we meant (nulls,
// timestamps, lists), across several part files.
func TestDuckDBReadsParts(t *testing.T) {
	dir := t.TempDir()
	rows := sampleRows()
	w, err := NewWriter(dir, WriterOptions{Prefix: "d", FlushRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(w.Parts()); n != 2 {
		t.Fatalf("%d parts, want 2", n)
	}
	wantNull, wantSum := 0, 0.0
	for _, r := range rows {
		if r.NC1 == nil {
			wantNull++
		}
		wantSum += r.DurationS + r.ThetaNorm
	}

	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	glob := filepath.Join(dir, RunsDir, "*.parquet")
	from := " FROM read_parquet('" + strings.ReplaceAll(glob, "'", "''") + "')"

	var n, distinct int
	if err := db.QueryRow("SELECT count(*), count(DISTINCT run_id)"+from).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if n != len(rows) || distinct != len(rows) {
		t.Errorf("count %d distinct %d, want %d", n, distinct, len(rows))
	}
	var nulls int
	if err := db.QueryRow("SELECT count(*)" + from + " WHERE nc1 IS NULL").Scan(&nulls); err != nil {
		t.Fatal(err)
	}
	if nulls != wantNull {
		t.Errorf("nc1 nulls %d, want %d", nulls, wantNull)
	}
	// &0.0 is a value, not a null.
	var zeros int
	if err := db.QueryRow("SELECT count(*)" + from + " WHERE nc1 = 0").Scan(&zeros); err != nil {
		t.Fatal(err)
	}
	if zeros != 1 {
		t.Errorf("nc1 = 0 in %d rows, want 1", zeros)
	}
	var sum float64
	if err := db.QueryRow("SELECT sum(duration_s + theta_norm)" + from).Scan(&sum); err != nil {
		t.Fatal(err)
	}
	if sum != wantSum {
		t.Errorf("sum = %v, want %v", sum, wantSum)
	}

	// Types as DuckDB sees them.
	types := map[string]string{}
	trows, err := db.Query("SELECT column_name, column_type FROM (DESCRIBE SELECT *" + from + ")")
	if err != nil {
		t.Fatal(err)
	}
	for trows.Next() {
		var name, typ string
		if err := trows.Scan(&name, &typ); err != nil {
			t.Fatal(err)
		}
		types[name] = typ
	}
	if err := trows.Err(); err != nil {
		t.Fatal(err)
	}
	for col, want := range map[string]string{
		"started_at": "TIMESTAMP WITH TIME ZONE", "min_cos_per_class": "DOUBLE[]", "run_index": "BIGINT",
		"nc1": "DOUBLE", "separable": "BOOLEAN", "run_id": "VARCHAR",
	} {
		if types[col] != want {
			t.Errorf("column %s has type %q, want %q", col, types[col], want)
		}
	}
	if want := reflect.TypeFor[Row]().NumField(); len(types) != want {
		t.Errorf("DuckDB sees %d columns, Row has %d fields", len(types), want)
	}

	// started_at is the right instant, and a zero time is NULL.
	var epochUS int64
	if err := db.QueryRow("SELECT epoch_us(started_at)" + from + " WHERE run_id = 'a1'").Scan(&epochUS); err != nil {
		t.Fatal(err)
	}
	if want := rows[0].StartedAt.UnixMicro(); epochUS != want {
		t.Errorf("started_at = %d us, want %d", epochUS, want)
	}
	var at time.Time
	if err := db.QueryRow("SELECT started_at" + from + " WHERE run_id = 'a1'").Scan(&at); err != nil {
		t.Fatal(err)
	}
	if !at.Equal(rows[0].StartedAt) {
		t.Errorf("started_at scanned as %v, want %v", at, rows[0].StartedAt)
	}
	var nullTimes int
	if err := db.QueryRow("SELECT count(*)" + from + " WHERE started_at IS NULL").Scan(&nullTimes); err != nil {
		t.Fatal(err)
	}
	if nullTimes != 1 {
		t.Errorf("%d null started_at, want 1 (the zero time)", nullTimes)
	}

	// Lists: length, an element (1-based), null vs empty.
	var ln int
	var second float64
	if err := db.QueryRow("SELECT len(min_cos_per_class), min_cos_per_class[2]"+from+" WHERE run_id = 'a1'").Scan(&ln, &second); err != nil {
		t.Fatal(err)
	}
	if ln != 3 || second != -0.5 {
		t.Errorf("min_cos_per_class len %d [2] %v, want 3 and -0.5", ln, second)
	}
	var emptyLen sql.NullInt64
	var meanNull bool
	if err := db.QueryRow("SELECT len(min_cos_per_class), mean_cos_per_class IS NULL"+from+" WHERE run_id = 'b2'").Scan(&emptyLen, &meanNull); err != nil {
		t.Fatal(err)
	}
	if !emptyLen.Valid || emptyLen.Int64 != 0 || !meanNull {
		t.Errorf("empty list len %v, nil list is null: %v", emptyLen, meanNull)
	}
}
