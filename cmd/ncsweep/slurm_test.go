package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ncsweep/ncsweep/results"
)

// slurmSpec is 24 short runs for the array test.
const slurmSpec = `
name = "slurm"
seed = [1, 2, 3, 4, 5, 6]
[data]
per_class = 10
test_per_class = 10
dim = 6
[model]
width = [8, 16]
init_scale = [1e-3, 1]
[train]
lr = 0.01
time = 2
`

// slurmSlowSpec has, for each seed, two runs of milliseconds and two that
// would take many minutes (grid order: seed, then train.time). Over 2
// shards each task gets, per seed, one short run and then one long one, so
// a task signalled a second after it started has finished one run and is
// in the middle of the next, whatever the machine's speed.
const slurmSlowSpec = `
name = "slurm-slow"
seed = [1, 2, 3]
[data]
per_class = 40
test_per_class = 10
dim = 20
[model]
width = 60
[train]
lr = 0.05
time = [0.5, 0.6, 1000000, 1000001]
`

// slurmEnv prepares a SLURM test: skipped unless NCSWEEP_SLURM=1 (CI starts
// a local cluster with ../shared/slurm/local-slurm.sh). It returns the
// binary, the sbatch script and a world-accessible scratch folder.
func slurmEnv(t *testing.T) (bin, script, dir string) {
	if os.Getenv("NCSWEEP_SLURM") != "1" {
		t.Skip("set NCSWEEP_SLURM=1 with a SLURM cluster running (see .ci/run)")
	}
	if _, err := exec.LookPath("sbatch"); err != nil {
		t.Fatal("NCSWEEP_SLURM=1 but sbatch is not on PATH")
	}
	script, err := filepath.Abs(filepath.Join("..", "..", "sweeps", "slurm-array.sbatch"))
	if err != nil {
		t.Fatal(err)
	}
	// Jobs may run as another user than the submitter: make everything they
	// touch world-accessible.
	dir, err = os.MkdirTemp("", "ncsweep-slurm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	bin = buildBinary(t)
	if err := os.Rename(bin, filepath.Join(dir, "ncsweep")); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "ncsweep"), script, dir
}

// sbatch submits the array script and returns the array's job id. With
// wait it blocks until every task ended and returns their highest exit
// status as err.
func sbatch(t *testing.T, dir, bin, script, array, spec, out string, wait bool, extra ...string) (string, error) {
	t.Helper()
	args := []string{"--parsable", "--array=" + array, "--chdir=" + dir, "-o", filepath.Join(dir, "%A_%a.out"),
		"--export=ALL,NCSWEEP_BIN=" + bin}
	if wait {
		args = append(args, "--wait")
	}
	args = append(args, script, spec, out)
	args = append(args, extra...)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	b, err := exec.CommandContext(ctx, "sbatch", args...).Output()
	id := strings.TrimSpace(strings.Split(strings.TrimSpace(string(b)), ";")[0])
	if id == "" {
		t.Fatalf("sbatch %v: no job id (%v)", args, err)
	}
	return id, err
}

// taskLogs returns the concatenated output files of the array job id.
func taskLogs(t *testing.T, dir, id string) string {
	paths, _ := filepath.Glob(filepath.Join(dir, id+"_*.out"))
	var b strings.Builder
	for _, p := range paths {
		data, _ := os.ReadFile(p)
		b.WriteString("--- " + filepath.Base(p) + "\n")
		b.Write(data)
	}
	return b.String()
}

func waitGone(t *testing.T, id string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		out, err := exec.Command("squeue", "-h", "-j", id).Output()
		if err == nil && strings.TrimSpace(string(out)) == "" {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("job %s still in the queue after %v", id, limit)
}

// TestSLURMArrayEqualsSingleProcess submits sweeps/slurm-array.sbatch as a
// 4-task array into one output folder and checks that the union of the
// shards is the single-process run of the same spec, row for row.
func TestSLURMArrayEqualsSingleProcess(t *testing.T) {
	bin, script, dir := slurmEnv(t)
	spec := filepath.Join(dir, "spec.toml")
	if err := os.WriteFile(spec, []byte(slurmSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	ref := filepath.Join(dir, "ref")
	if b, err := exec.Command(bin, "run", spec, "--out", ref, "--quiet").CombinedOutput(); err != nil {
		t.Fatalf("single-process run: %v\n%s", err, b)
	}
	out := filepath.Join(dir, "out")
	id, err := sbatch(t, dir, bin, script, "0-3", spec, out, true)
	if err != nil {
		t.Fatalf("array job %s failed: %v\n%s", id, err, taskLogs(t, dir, id))
	}
	want, err := results.ReadRuns(ref)
	if err != nil {
		t.Fatal(err)
	}
	got := checkOutput(t, out)
	rows, _ := results.ReadRuns(out)
	if len(rows) != len(want) || len(got) != len(want) {
		t.Fatalf("array wrote %d rows (%d distinct), single process %d\n%s", len(rows), len(got), len(want), taskLogs(t, dir, id))
	}
	shards := map[string]int{}
	for _, r := range rows {
		shards[r.Shard]++
	}
	if len(shards) != 4 || shards["0/4"] != 6 || shards["3/4"] != 6 {
		t.Errorf("rows per shard %v, want 6 in each of 0/4..3/4", shards)
	}
	a, b := scienceOnly(want), scienceOnly(rows)
	for rid, w := range a {
		g, ok := b[rid]
		w.Host, g.Host = "", ""
		if !ok || !reflect.DeepEqual(w, g) {
			t.Errorf("run %s differs between the array and the single process:\n%+v\n%+v", rid, w, g)
		}
	}
	inv, err := results.ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range inv {
		seen[m.Shard] = true
	}
	if len(inv) != 4 || len(seen) != 4 {
		t.Errorf("manifest records %d invocations over shards %v, want 4 distinct", len(inv), seen)
	}
}

// TestSLURMTermFlushesAndResubmitCompletes sends SIGTERM to the batch shells
// of a running 2-task array (scancel --signal=TERM --batch) while each task
// is in the middle of a long run, checks that each exits 143 after saving
// the run it finished, then resubmits (with --timeout 2s, so that the long
// runs end as status timeout) and checks that the sweep completes with
// every run_id exactly once.
func TestSLURMTermFlushesAndResubmitCompletes(t *testing.T) {
	bin, script, dir := slurmEnv(t)
	spec := filepath.Join(dir, "slow.toml")
	if err := os.WriteFile(spec, []byte(slurmSlowSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	plan := planIDs(t, spec)
	out := filepath.Join(dir, "out")
	// --flush-rows 100: nothing is published before the signal, so what is
	// on disk afterwards was flushed by the signal handling.
	id, _ := sbatch(t, dir, bin, script, "0-1", spec, out, false, "--flush-rows", "100")
	deadline := time.Now().Add(2 * time.Minute)
	for strings.Count(taskLogs(t, dir, id), "runs to do") != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("tasks did not start:\n%s", taskLogs(t, dir, id))
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(time.Second)
	if b, err := exec.Command("scancel", "--signal=TERM", "--batch", id).CombinedOutput(); err != nil {
		t.Fatalf("scancel: %v\n%s\n%s", err, b, taskLogs(t, dir, id))
	}
	waitGone(t, id, time.Minute)
	logs := taskLogs(t, dir, id)
	if strings.Count(logs, "terminated: starting no more runs") != 2 {
		t.Errorf("both tasks should report the SIGTERM:\n%s", logs)
	}
	states, _ := exec.Command("scontrol", "show", "job", id).Output()
	if n := strings.Count(string(states), "ExitCode=143:0"); n != 2 {
		t.Errorf("%d tasks exited 143, want 2:\n%s", n, states)
	}
	rows, err := results.ReadRuns(out)
	if err != nil {
		t.Fatal(err)
	}
	checkOutput(t, out)
	if len(rows) < 2 || len(rows) >= len(plan) {
		t.Errorf("%d runs saved after SIGTERM, want the short runs the tasks finished (at least one each)\n%s", len(rows), logs)
	}
	for _, r := range rows {
		if r.Status != "ok" || r.TrainTime > 1 {
			t.Errorf("saved run %s: status %s, time %g; want a finished short run", r.RunID, r.Status, r.TrainTime)
		}
	}
	inv, err := results.ReadManifest(out)
	if err != nil || len(inv) != 2 {
		t.Fatalf("manifest after SIGTERM: %d invocations, %v", len(inv), err)
	}
	saved := 0
	for _, m := range inv {
		// Each task had one long run in flight (two with 2 CPUs); runs
		// already handed to a worker when the signal came count as
		// canceled too.
		if m.Counts.OK < 1 || m.Counts.Canceled < 1 || m.Counts.OK+m.Counts.Canceled > m.Counts.Planned {
			t.Errorf("shard %s: counts %+v, want some ok and some canceled", m.Shard, m.Counts)
		}
		saved += m.Counts.OK
	}
	if saved != len(rows) {
		t.Errorf("manifest counts %d ok runs, %d rows on disk", saved, len(rows))
	}

	id2, err := sbatch(t, dir, bin, script, "0-1", spec, out, true, "--timeout", "2s")
	if code := exitCode(err); code != 1 {
		t.Errorf("resubmitted job %s: %v; want exit 1 (the long runs time out)\n%s", id2, err, taskLogs(t, dir, id2))
	}
	final := checkOutput(t, out)
	for _, rid := range plan {
		if final[rid] != 1 {
			t.Errorf("run %s appears %d times after the resubmission", rid, final[rid])
		}
	}
	if len(final) != len(plan) {
		t.Errorf("%d distinct runs, plan has %d", len(final), len(plan))
	}
	rows, _ = results.ReadRuns(out)
	for _, r := range rows {
		if want := map[bool]string{true: "ok", false: "timeout"}[r.TrainTime < 1]; r.Status != want {
			t.Errorf("run %s (time %g): status %s, want %s", r.RunID, r.TrainTime, r.Status, want)
		}
	}
	inv, _ = results.ReadManifest(out)
	skipped := 0
	for _, m := range inv[2:] {
		skipped += m.Counts.Skipped
	}
	if len(inv) != 4 || skipped != saved {
		t.Errorf("resubmitted tasks skipped %d runs (%d invocations), want the %d saved", skipped, len(inv), saved)
	}
}
