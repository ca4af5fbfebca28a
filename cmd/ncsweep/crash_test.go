package main

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// crashSpec is 300 short runs (100 seeds x 3 widths) of a few tens of
// milliseconds each: a sweep of several seconds on two cores, long enough
// for a kill to land in the middle of it.
const crashSpec = `
name = "crash"
seed = { range = [1, 101, 1] }
[data]
per_class = 20
test_per_class = 5
dim = 10
[model]
width = [20, 30, 40]
[train]
lr = 0.05
time = 150
`

// TestKill9NeverLosesOrDuplicatesARun starts the real binary on a 300-run
// sweep, kills it with SIGKILL at random moments at least 20 times, resumes
// each time, and finally lets it finish. After every kill each published
// file must be whole (read by results.ReadRuns and DuckDB) and no run_id
// may appear twice; at the end every planned run_id appears exactly once.
func TestKill9NeverLosesOrDuplicatesARun(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a real process 20 times (about 10 s)")
	}
	bin := buildBinary(t)
	spec := writeSpec(t, crashSpec)
	plan := planIDs(t, spec)
	if len(plan) != 300 {
		t.Fatalf("plan has %d runs, want 300", len(plan))
	}
	rng := rand.New(rand.NewPCG(20, 4))
	const wantKills = 20
	kills, rounds := 0, 0
	for kills < wantKills {
		rounds++
		out := filepath.Join(t.TempDir(), "out")
		finished := false
		for kills < wantKills {
			cmd := exec.Command(bin, "run", spec, "--out", out, "--jobs", "2", "--flush-rows", "5", "--quiet")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			wait := time.Duration(50+rng.IntN(351)) * time.Millisecond
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done: // finished before the kill
				if code := exitCode(err); code != 0 {
					t.Fatalf("run exited %d before it was killed", code)
				}
				finished = true
			case <-time.After(wait):
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				<-done
				kills++
			}
			ids := checkOutput(t, out)
			if t.Failed() {
				t.Fatalf("after kill %d (at %v): output damaged", kills, wait)
			}
			t.Logf("round %d, kill %d at %v: %d runs on disk", rounds, kills, wait, len(ids))
			if finished {
				break
			}
		}
		if !finished {
			cmd := exec.Command(bin, "run", spec, "--out", out, "--jobs", "2", "--flush-rows", "5", "--quiet")
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("final resume: %v\n%s", err, b)
			}
		}
		ids := checkOutput(t, out)
		if len(ids) != len(plan) {
			t.Errorf("round %d: %d distinct runs on disk, plan has %d", rounds, len(ids), len(plan))
		}
		for _, id := range plan {
			if ids[id] != 1 {
				t.Errorf("round %d: run %s appears %d times", rounds, id, ids[id])
			}
		}
		if _, err := os.Stat(filepath.Join(out, "manifest.json")); err != nil {
			t.Errorf("no manifest after the final resume: %v", err)
		}
	}
}
