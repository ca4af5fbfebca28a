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
		"gamma_per_class": "DOUBLE[]", "s_per_class": "DOUBLE[]", "a4_group_sizes": "BIGINT[]", "group_sizes": "BIGINT[]",
		"assumption3": "BOOLEAN", "assumption4": "BOOLEAN", "separation_step": "BIGINT", "separation_time": "DOUBLE", "escape_time": "DOUBLE",
		"train_checkpoints": "BIGINT", "train_normalized_time": "BOOLEAN", "data_test_path": "VARCHAR",
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

	// The runs/2 columns, row by row: value or null as written.
	type v2 struct {
		testPath, label, initW, initV      string
		tol                                float64
		normTime                           bool
		checkpoints                        int64
		gammaLen, a4Len, groupsLen         sql.NullInt64
		gamma3, s1, minGamma, prop1, tstar sql.NullFloat64
		prop1Holds, separated              bool
		a3, a4                             sql.NullBool
		a4First, groupsSecond, step        sql.NullInt64
		residF, residV, cosMin, cosMean    sql.NullFloat64
		escape                             sql.NullFloat64
	}
	q := "SELECT data_test_path, data_label_column, model_init_w, model_init_v, train_tol, train_normalized_time, train_checkpoints," +
		" len(gamma_per_class), len(a4_group_sizes), len(group_sizes), gamma_per_class[3], s_per_class[1], min_gamma, prop1_ratio, separation_time," +
		" prop1_holds, separated, assumption3, assumption4, a4_group_sizes[1], group_sizes[2], separation_step," +
		" resid_features, resid_v, cos_wu_min, cos_wu_mean, escape_time" + from + " WHERE run_id = ?"
	got := map[string]v2{}
	for _, id := range []string{"a1", "b2", "c3"} {
		var g v2
		if err := db.QueryRow(q, id).Scan(&g.testPath, &g.label, &g.initW, &g.initV, &g.tol, &g.normTime, &g.checkpoints,
			&g.gammaLen, &g.a4Len, &g.groupsLen, &g.gamma3, &g.s1, &g.minGamma, &g.prop1, &g.tstar,
			&g.prop1Holds, &g.separated, &g.a3, &g.a4, &g.a4First, &g.groupsSecond, &g.step,
			&g.residF, &g.residV, &g.cosMin, &g.cosMean, &g.escape); err != nil {
			t.Fatalf("run %s: %v", id, err)
		}
		got[id] = g
	}
	nf := func(x float64) sql.NullFloat64 { return sql.NullFloat64{Float64: x, Valid: true} }
	ni := func(x int64) sql.NullInt64 { return sql.NullInt64{Int64: x, Valid: true} }
	nb := func(x bool) sql.NullBool { return sql.NullBool{Bool: x, Valid: true} }
	want := map[string]v2{
		"a1": {"/t.csv", "label", "/w.npy", "/v.csv", 1e-7, true, 40, ni(3), ni(3), ni(3), nf(0.125), nf(0.3), nf(0.125), nf(2.5), nf(12.75),
			true, true, sql.NullBool{}, nb(true), ni(3), ni(22), ni(1275), nf(0.01), nf(0), nf(-0.25), nf(0.875), nf(31.5)},
		"b2": {a4Len: ni(0), a3: nb(false)},
		"c3": {"/t.csv", "label", "/w.npy", "/v.csv", 1e-7, true, 40, sql.NullInt64{}, ni(3), ni(3), sql.NullFloat64{}, sql.NullFloat64{}, sql.NullFloat64{}, nf(2.5), sql.NullFloat64{},
			true, true, nb(true), sql.NullBool{}, ni(3), ni(22), sql.NullInt64{}, nf(0.01), nf(0), nf(-0.25), nf(0.875), sql.NullFloat64{}},
	}
	for id, w := range want {
		if g := got[id]; g != w {
			t.Errorf("run %s runs/2 columns:\n got %+v\nwant %+v", id, g, w)
		}
	}
}
