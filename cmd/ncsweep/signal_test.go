package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ncsweep/ncsweep/core"
	"github.com/ncsweep/ncsweep/results"
)

// mixedSpec alternates a run of a few milliseconds with one of a minute or
// more (grid order: seed, then train.time): with 2 jobs, the short runs of
// the first seed finish at once and two long runs are then in flight.
const mixedSpec = `
name = "mixed"
seed = [1, 2, 3]
[data]
per_class = 40
test_per_class = 10
dim = 20
[model]
width = 60
[train]
lr = 0.05
time = [0.5, 100000]
`

// syncBuffer is a bytes.Buffer safe for a process writing and a test
// reading.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startSweep starts the binary and waits until it has begun running.
func startSweep(t *testing.T, bin string, args ...string) (*exec.Cmd, *syncBuffer, chan error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stderr.String(), "runs to do") {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("sweep did not start:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cmd, &stderr, done
}

// TestSignalStopsCancelsFlushes sends SIGTERM (and, separately, SIGINT) to
// a running sweep whose two runs in flight would take minutes: it must exit
// promptly with 143 (130), having saved the runs that finished (nothing was
// published before the signal: --flush-rows 100), recorded the canceled
// ones in the manifest, and started nothing more.
func TestSignalStopsCancelsFlushes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	bin := buildBinary(t)
	spec := writeSpec(t, mixedSpec)
	for _, c := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGTERM, 143}, {syscall.SIGINT, 130}} {
		t.Run(c.sig.String(), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			cmd, stderr, done := startSweep(t, bin, "run", spec, "--out", out, "--jobs", "2", "--flush-rows", "100")
			time.Sleep(1500 * time.Millisecond) // the short runs of seed 1 are done
			sent := time.Now()
			if err := cmd.Process.Signal(c.sig); err != nil {
				t.Fatal(err)
			}
			var err error
			select {
			case err = <-done:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("still running 20 s after %v:\n%s", c.sig, stderr)
			}
			if code := exitCode(err); code != c.code {
				t.Errorf("exit %d, want %d\n%s", code, c.code, stderr)
			}
			if d := time.Since(sent); d > 10*time.Second {
				t.Errorf("took %v to stop: runs in flight were not cancelled", d)
			}
			if !strings.Contains(stderr.String(), "starting no more runs") {
				t.Errorf("no message about the signal:\n%s", stderr)
			}
			rows, rerr := results.ReadRuns(out)
			if rerr != nil {
				t.Fatal(rerr)
			}
			ok := 0
			for _, r := range rows {
				if r.Status == core.StatusOK && r.TrainTime == 0.5 {
					ok++
				} else {
					t.Errorf("run %s (time %g) saved with status %s: only finished short runs belong on disk", r.RunID, r.TrainTime, r.Status)
				}
			}
			if ok < 1 {
				t.Errorf("no finished run was saved\n%s", stderr)
			}
			inv, merr := results.ReadManifest(out)
			if merr != nil || len(inv) != 1 {
				t.Fatalf("manifest: %d invocations, %v", len(inv), merr)
			}
			m := inv[0].Counts
			if m.OK != ok || m.Canceled < 1 || m.OK+m.Canceled > m.Planned {
				t.Errorf("manifest counts %+v, want ok = %d rows and some canceled", m, ok)
			}
		})
	}
}

// bigDataSpec is one run whose dataset takes seconds to build (16,000
// points: the data statistics are quadratic in the points). The build is
// not interruptible, so a graceful stop during it is slow.
const bigDataSpec = `
name = "big-data"
[data]
per_class = 8000
test_per_class = 1
dim = 500
[model]
width = 10
[train]
lr = 0.01
time = 0.01
`

// TestSecondSignalExitsAtOnce sends SIGTERM while the data are being
// prepared (the graceful stop must wait for it), then a second SIGTERM,
// which must end the process at once with 143, leaving no output.

// TestSignalDuringDataPrepExitsAtOnce sends SIGTERM while the data are
// being prepared: nothing has been written and no run has started, so the
// process must end at once with 143, say so, and leave no output.
func TestSignalDuringDataPrepExitsAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real process")
	}
	bin := buildBinary(t)
	spec := writeSpec(t, bigDataSpec)
	out := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command(bin, "run", spec, "--out", out, "--jobs", "1")
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer cmd.Process.Kill()
	time.Sleep(300 * time.Millisecond)
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if code := exitCode(err); code != 143 {
			t.Errorf("exit %d, want 143", code)
		}
		if d := time.Since(sent); d > 2*time.Second {
			t.Errorf("took %v after the signal", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the signal did not end the process")
	}
	if !strings.Contains(stderr.String(), "nothing written") {
		t.Errorf("no message saying nothing was written:\n%s", stderr.String())
	}
	if fileExists(out) {
		t.Errorf("output created by a sweep interrupted before any run")
	}
}

// TestRetryFailedKeepsOneRowPerRun writes an output whose single part file
// mixes ok rows and failed ones, then resumes with --retry-failed: the
// failed runs are re-run, the ok rows are kept as they were, and every
// run_id appears exactly once on disk (for ReadRuns and DuckDB alike).
func TestRetryFailedKeepsOneRowPerRun(t *testing.T) {
	spec := writeSpec(t, tinySpec)
	ref := filepath.Join(t.TempDir(), "ref")
	if code, _, e := runCLI(t, "run", spec, "--out", ref, "--quiet"); code != 0 {
		t.Fatalf("reference run: exit %d\n%s", code, e)
	}
	rows, err := results.ReadRuns(ref)
	if err != nil || len(rows) != 12 {
		t.Fatalf("reference: %d rows, %v", len(rows), err)
	}
	// An earlier attempt in which every third run failed, all in one file,
	// plus a second file holding only failed runs.
	out := filepath.Join(t.TempDir(), "out")
	kept := map[string]results.Row{}
	write := func(prefix string, rs []results.Row) {
		w, err := results.NewWriter(out, results.WriterOptions{Prefix: prefix, FlushRows: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	var mixed, onlyFailed []results.Row
	for i, r := range rows {
		switch {
		case i%3 == 0:
			r.Status, r.Error = core.StatusFailed, "simulated failure"
			mixed = append(mixed, r)
		case i >= 10:
			r.Status, r.Error = core.StatusTimeout, "simulated timeout"
			onlyFailed = append(onlyFailed, r)
		default:
			r.StartedAt = r.StartedAt.Add(-time.Hour) // marks the row as the old one
			kept[r.RunID] = r
			mixed = append(mixed, r)
		}
	}
	write("old-a", mixed)
	write("old-b", onlyFailed)

	code, _, stderr := runCLI(t, "run", spec, "--out", out, "--quiet")
	if code != exitRunsFailed || !strings.Contains(stderr, "12 skipped") || !strings.Contains(stderr, "--retry-failed") {
		t.Fatalf("resume without --retry-failed: exit %d, want 1 (earlier runs not ok) with 12 skipped\n%s", code, stderr)
	}
	code, _, stderr = runCLI(t, "run", spec, "--out", out, "--quiet", "--retry-failed")
	if code != 0 {
		t.Fatalf("--retry-failed: exit %d\n%s", code, stderr)
	}
	if want := len(kept); !strings.Contains(stderr, itoa(want)+" skipped") || !strings.Contains(stderr, itoa(12-want)+" to do: "+itoa(12-want)+" ok") {
		t.Errorf("summary does not report %d skipped, %d re-run ok:\n%s", want, 12-want, stderr)
	}
	ids := checkOutput(t, out)
	if len(ids) != 12 {
		t.Fatalf("%d distinct runs, want 12", len(ids))
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("run %s appears %d times", id, n)
		}
	}
	after, _ := results.ReadRuns(out)
	want := scienceOnly(rows)
	for _, r := range after {
		if r.Status != core.StatusOK {
			t.Errorf("run %s still %s after --retry-failed", r.RunID, r.Status)
		}
		if k, ok := kept[r.RunID]; ok && !r.StartedAt.Equal(k.StartedAt) {
			t.Errorf("ok run %s was re-run or rewritten with another start time", r.RunID)
		}
		if got := scienceOnly([]results.Row{r})[r.RunID]; !equalRows(got, want[r.RunID]) {
			t.Errorf("run %s differs from the reference after the retry", r.RunID)
		}
	}
	if parts, _ := filepath.Glob(filepath.Join(out, results.RunsDir, "part-old-b-*.parquet")); len(parts) != 0 {
		t.Errorf("a part file holding only retried runs was kept: %v", parts)
	}
	if parts, _ := filepath.Glob(filepath.Join(out, results.RunsDir, "part-old-a-*.parquet")); len(parts) != 1 {
		t.Errorf("the mixed part file should be rewritten in place, found %v", parts)
	}
	if left, _ := filepath.Glob(filepath.Join(out, ".rewrite-*")); len(left) != 0 {
		t.Errorf("scratch folders left: %v", left)
	}
}
