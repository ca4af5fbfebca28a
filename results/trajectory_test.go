package results

import (
	"database/sql"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ncsweep/ncsweep/core"
	"github.com/ncsweep/ncsweep/sweep"
)

func TestTrajectoryRows(t *testing.T) {
	run := sweep.RunConfig{ID: "r1", Sweep: "s"}
	res := core.Result{
		SeparationStep: ip(20),
		Trajectory: []core.Checkpoint{
			{Step: 0, GradEvals: 0, Time: 0, Metrics: core.Metrics{Loss: fp(69.3), ThetaNorm: 1e-4, DeadFrac: 0}},
			{Step: 20, GradEvals: 21, Time: 0.2, Metrics: core.Metrics{Loss: fp(50), NC1Norm: fp(0.5), ThetaNorm: 0.1,
				DeadFrac: 0.25, Separated: true, ResidV: fp(math.NaN()), CosWUMin: fp(0.75), TestAcc: fp(1)}},
			{Step: 30, Time: math.Inf(1), Metrics: core.Metrics{ThetaNorm: 1}}, // broken: left out
			{Step: 40, GradEvals: 41, Time: 0.4, Metrics: core.Metrics{NC1: fp(0), ThetaNorm: 2, DeadFrac: 0.5, Separated: true}},
		},
	}
	rows := TrajectoryRows(run, res)
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3 (the Inf-time checkpoint dropped)", len(rows))
	}
	wantCP := []int64{0, 1, 3}
	wantSep := []bool{false, true, false}
	for i, r := range rows {
		if r.RunID != "r1" || r.Sweep != "s" || r.Checkpoint != wantCP[i] || r.AtSeparation != wantSep[i] {
			t.Errorf("row %d: id %q sweep %q checkpoint %d at_separation %v", i, r.RunID, r.Sweep, r.Checkpoint, r.AtSeparation)
		}
	}
	r := rows[1]
	if r.Step != 20 || r.GradEvals != 21 || r.GFTime != 0.2 || *r.Loss != 50 || *r.NC1Norm != 0.5 || r.ThetaNorm != 0.1 ||
		r.DeadFrac != 0.25 || !r.Separated || r.ResidV != nil || *r.CosWUMin != 0.75 || r.NC1 != nil || *r.TestAcc != 1 {
		t.Errorf("checkpoint 1 = %+v", r)
	}
	if rows[2].NC1 == nil || *rows[2].NC1 != 0 {
		t.Errorf("a measured 0 became %v", rows[2].NC1)
	}
	*res.Trajectory[1].Metrics.Loss = 7
	if *rows[1].Loss != 50 {
		t.Error("row aliases the checkpoint")
	}
	if got := TrajectoryRows(run, core.Result{}); got != nil {
		t.Errorf("no checkpoints gave %v", got)
	}
}

// trajOf returns n checkpoint rows of run id.
func trajOf(id string, n int) []TrajectoryRow {
	var rows []TrajectoryRow
	for i := range n {
		rows = append(rows, TrajectoryRow{RunID: id, Sweep: "s", Checkpoint: int64(i), Step: int64(10 * i),
			GFTime: 0.1 * float64(i), Loss: fp(1 / float64(i+1)), ThetaNorm: float64(i)})
	}
	return rows
}

// TestTrajectoryPublishOrder checks that a flush publishes the trajectory
// part before the runs part, and that a failed trajectory publish holds
// back the run rows.
func TestTrajectoryPublishOrder(t *testing.T) {
	dir := t.TempDir()
	var created []string
	failTraj := false
	w, err := NewWriter(dir, WriterOptions{Prefix: "o", FlushRows: 2, CreateTemp: func(d, pattern string) (*os.File, error) {
		created = append(created, filepath.Base(d))
		if failTraj && filepath.Base(d) == TrajectoriesDir {
			return nil, errors.New("disk full (simulated)")
		}
		return os.CreateTemp(d, pattern)
	}})
	if err != nil {
		t.Fatal(err)
	}
	rows := sampleRows()
	for _, r := range rows[:2] { // the second Write reaches FlushRows
		if err := w.WriteTrajectory(trajOf(r.RunID, 3)); err != nil {
			t.Fatal(err)
		}
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{TrajectoriesDir, RunsDir}; !reflect.DeepEqual(created, want) {
		t.Fatalf("publish order %v, want %v", created, want)
	}
	if len(w.TrajectoryParts()) != 1 || len(w.Parts()) != 1 {
		t.Fatalf("parts: %v %v", w.TrajectoryParts(), w.Parts())
	}

	// The trajectory publish fails: the run row stays buffered too.
	failTraj = true
	w.WriteTrajectory(trajOf(rows[2].RunID, 2))
	w.Write(rows[2])
	err = w.Flush()
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, TrajectoriesDir)) {
		t.Fatalf("Flush error = %v, want one naming the trajectories folder", err)
	}
	if got, _ := ReadRuns(dir); len(got) != 2 {
		t.Fatalf("%d run rows published after a failed trajectory publish, want 2", len(got))
	}
	failTraj = false
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := ReadTrajectories(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 8 || got[7].RunID != "c3" || got[7].Checkpoint != 1 || *got[7].Loss != 0.5 {
		t.Errorf("read %d trajectory rows, last %+v", len(got), got[len(got)-1])
	}
	if err := w.WriteTrajectory(trajOf("z", 1)); err == nil {
		t.Error("WriteTrajectory after Close succeeded")
	}
}

// TestReadTrajectoriesFiltersAndDedups simulates a crash between the
// trajectory part and the runs part of a flush, then a resume that redoes
// the run.
func TestReadTrajectoriesFiltersAndDedups(t *testing.T) {
	dir := t.TempDir()
	if got, err := ReadTrajectories(dir); err != nil || got != nil {
		t.Fatalf("empty output: %v %v", got, err)
	}
	rows := sampleRows()
	// First invocation: run a1 complete; b2's trajectory published, its run
	// row lost (the crash: Flush publishes the trajectory part alone when no
	// run row is buffered).
	w, _ := NewWriter(dir, WriterOptions{Prefix: "1"})
	w.WriteTrajectory(trajOf("a1", 2))
	w.Write(rows[0])
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	w.WriteTrajectory(trajOf("b2", 3))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	got, err := ReadTrajectories(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].RunID != "a1" || got[1].RunID != "a1" {
		t.Fatalf("orphan b2 rows not dropped: %+v", got)
	}
	// The resume redoes b2: its trajectory is published a second time.
	w2, _ := NewWriter(dir, WriterOptions{Prefix: "2"})
	w2.WriteTrajectory(trajOf("b2", 3))
	w2.Write(rows[1])
	if err := w2.Close(); err != nil {
		t.Fatal(err)
	}
	got, err = ReadTrajectories(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range got {
		ids = append(ids, r.RunID+":"+string(rune('0'+r.Checkpoint)))
	}
	if want := []string{"a1:0", "a1:1", "b2:0", "b2:1", "b2:2"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("rows %v, want %v", ids, want)
	}
	all, err := readParts[TrajectoryRow](filepath.Join(dir, TrajectoriesDir))
	if err != nil || len(all) != 8 {
		t.Errorf("on disk %d rows (%v), want 8 (2 + 3 + 3)", len(all), err)
	}
}

// TestDuckDBReadsTrajectories checks that DuckDB reads the trajectory parts
// with a glob, with nulls, and joins them to the runs.
func TestDuckDBReadsTrajectories(t *testing.T) {
	dir := t.TempDir()
	w, _ := NewWriter(dir, WriterOptions{Prefix: "d", FlushRows: 1})
	rows := sampleRows()
	for i, r := range rows {
		tr := trajOf(r.RunID, i+2)
		tr[0].Loss = nil
		tr[1].NC1Norm, tr[1].Separated, tr[1].AtSeparation = fp(0.25), true, true
		w.WriteTrajectory(tr)
		w.Write(r)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(w.TrajectoryParts()); n != 3 {
		t.Fatalf("%d trajectory parts, want 3", n)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q := func(s string) string {
		return "'" + strings.ReplaceAll(filepath.Join(dir, s, "*.parquet"), "'", "''") + "'"
	}
	var n, nullLoss, sep int
	var sumT, nc1n float64
	if err := db.QueryRow("SELECT count(*), count(*) FILTER (WHERE loss IS NULL), count(*) FILTER (WHERE separated AND at_separation),"+
		" sum(gf_time), max(nc1_norm) FROM "+q(TrajectoriesDir)).Scan(&n, &nullLoss, &sep, &sumT, &nc1n); err != nil {
		t.Fatal(err)
	}
	// 2 + 3 + 4 rows; gf_time sums 0.1*(1 + 3 + 6).
	if n != 9 || nullLoss != 3 || sep != 3 || math.Abs(sumT-1) > 1e-12 || nc1n != 0.25 {
		t.Errorf("count %d null loss %d separated %d sum gf_time %v max nc1_norm %v", n, nullLoss, sep, sumT, nc1n)
	}
	var types []string
	trows, err := db.Query("SELECT column_type FROM (DESCRIBE SELECT checkpoint, loss, separated FROM " + q(TrajectoriesDir) + ")")
	if err != nil {
		t.Fatal(err)
	}
	for trows.Next() {
		var s string
		trows.Scan(&s)
		types = append(types, s)
	}
	if want := []string{"BIGINT", "DOUBLE", "BOOLEAN"}; !reflect.DeepEqual(types, want) {
		t.Errorf("types %v, want %v", types, want)
	}
	var joined int
	var scale float64
	if err := db.QueryRow("SELECT count(*), max(r.model_init_scale) FROM "+q(TrajectoriesDir)+" t JOIN "+q(RunsDir)+
		" r USING (run_id) WHERE r.status = 'ok'").Scan(&joined, &scale); err != nil {
		t.Fatal(err)
	}
	if joined != 2+4 || scale != 1e-6 {
		t.Errorf("join: %d rows, max scale %v; want 6 and 1e-6", joined, scale)
	}
}
