package main

import (
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" driver

	"github.com/ncsweep/ncsweep/results"
)

// buildBinary builds the ncsweep command into a temporary folder and returns
// its path, for tests that need a real process (signals, kill -9, SLURM).
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ncsweep")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// exitCode returns the exit status of a finished command, or -1 when it was
// killed by a signal.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -2
}

// checkOutput verifies what a finished or killed sweep left in out: every
// published part file is readable by results.ReadRuns and by DuckDB, no
// temporary file is visible as *.parquet, and each run_id appears at most
// once. It returns the number of rows per run_id.
func checkOutput(t *testing.T, out string) map[string]int {
	t.Helper()
	rows, err := results.ReadRuns(out)
	if err != nil {
		t.Fatalf("ReadRuns: %v", err)
	}
	ids := map[string]int{}
	for _, r := range rows {
		ids[r.RunID]++
		if ids[r.RunID] == 2 {
			t.Errorf("run %s appears more than once", r.RunID)
		}
	}
	parts, _ := filepath.Glob(filepath.Join(out, results.RunsDir, "*.parquet"))
	for _, p := range parts {
		if strings.HasPrefix(filepath.Base(p), ".") || strings.Contains(filepath.Base(p), ".tmp") {
			t.Errorf("temporary file visible as a part: %s", p)
		}
	}
	if len(parts) == 0 {
		return ids
	}
	n, distinct := duckCount(t, filepath.Join(out, results.RunsDir, "*.parquet"))
	if n != len(rows) || distinct != len(ids) {
		t.Errorf("DuckDB sees %d rows, %d distinct run_ids; ReadRuns %d rows, %d distinct", n, distinct, len(rows), len(ids))
	}
	return ids
}

// duckCount returns count(*) and count(DISTINCT run_id) of the Parquet files
// matching glob, as DuckDB reads them.
func duckCount(t *testing.T, glob string) (n, distinct int) {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q := "SELECT count(*), count(DISTINCT run_id) FROM read_parquet('" + strings.ReplaceAll(glob, "'", "''") + "')"
	if err := db.QueryRow(q).Scan(&n, &distinct); err != nil {
		t.Fatalf("DuckDB cannot read %s: %v", glob, err)
	}
	return n, distinct
}

// planIDs returns the run_ids that `ncsweep plan` lists for the arguments.
func planIDs(t *testing.T, args ...string) []string {
	t.Helper()
	code, out, errOut := runCLI(t, append([]string{"plan"}, args...)...)
	if code != 0 {
		t.Fatalf("plan %v: exit %d\n%s", args, code, errOut)
	}
	var ids []string
	for _, line := range strings.Split(out, "\n")[2:] {
		if f := strings.Fields(line); len(f) >= 2 {
			ids = append(ids, f[1])
		}
	}
	return ids
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// equalRows compares two rows field by field (pointers by value).
func equalRows(a, b results.Row) bool { return reflect.DeepEqual(a, b) }
