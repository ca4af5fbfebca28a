package results

import (
	"path/filepath"
	"sort"
	"testing"
)

// TestDropRuns writes runs and trajectories in two flushes plus an orphan
// trajectory (a run whose run row never got published), drops one run, and
// checks what is left on disk file by file: the kept rows unchanged, the
// dropped run's trajectory gone, the orphan gone only when it is redone, and
// a part emptied by the drop removed.
func TestDropRuns(t *testing.T) {
	dir := t.TempDir()
	w, err := NewWriter(dir, WriterOptions{Prefix: "t", FlushRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	traj := func(id string, n int) []TrajectoryRow {
		var rows []TrajectoryRow
		for k := range n {
			rows = append(rows, TrajectoryRow{RunID: id, Checkpoint: int64(k), GFTime: float64(k)})
		}
		return rows
	}
	for _, id := range []string{"a", "b", "c", "d"} { // two flushes: {a, b}, {c, d}
		if err := w.WriteTrajectory(traj(id, 3)); err != nil {
			t.Fatal(err)
		}
		status := "ok"
		if id == "c" || id == "d" {
			status = "failed"
		}
		if err := w.Write(Row{RunID: id, Status: status}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteTrajectory(append(traj("orphan", 2), traj("other-shard", 2)...)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil { // publishes the orphans' trajectory part alone
		t.Fatal(err)
	}
	before, _ := filepath.Glob(filepath.Join(dir, RunsDir, "*.parquet"))
	if len(before) != 2 {
		t.Fatalf("%d run parts, want 2", len(before))
	}

	redo := map[string]bool{"c": true, "d": true, "orphan": true}
	n, err := DropRuns(dir, func(r Row) bool { return r.Status == "failed" }, func(id string) bool { return redo[id] }, WriterOptions{Prefix: "drop"})
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("dropped %d run rows, want 2", n)
	}
	runs, err := ReadRuns(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.RunID)
	}
	sort.Strings(ids)
	if len(ids) != 2 || ids[0] != "a" || ids[1] != "b" {
		t.Errorf("runs left %v, want [a b]", ids)
	}
	after, _ := filepath.Glob(filepath.Join(dir, RunsDir, "*.parquet"))
	if len(after) != 1 || after[0] != before[0] {
		t.Errorf("run parts %v, want only %v (the emptied one removed)", after, before[:1])
	}
	// Raw trajectory rows, without ReadTrajectories' filtering.
	raw, err := readParts[TrajectoryRow](filepath.Join(dir, TrajectoriesDir))
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, r := range raw {
		count[r.RunID]++
	}
	want := map[string]int{"a": 3, "b": 3, "other-shard": 2}
	if len(count) != len(want) {
		t.Errorf("trajectory rows per run %v, want %v", count, want)
	}
	for id, c := range want {
		if count[id] != c {
			t.Errorf("trajectory rows per run %v, want %v", count, want)
			break
		}
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, "*", ".part-*")); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}
