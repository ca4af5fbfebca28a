package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ncsweep/ncsweep/results"
)

// TestSameShardTwiceRefused holds shard 0/2 of an output folder as another
// process would and checks that a second writer of that shard, or of a
// whole-grid run that shares its runs, is refused (exit 2, nothing written)
// while the other shard of the same layout may run.
func TestSameShardTwiceRefused(t *testing.T) {
	spec := writeSpec(t, tinySpec)
	out := filepath.Join(t.TempDir(), "out")
	unlock, err := results.LockShard(out, "0/2")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if code, _, stderr := runCLI(t, "run", spec, "--out", out, "--quiet", "--shard", "0/2"); code != exitUsage || !strings.Contains(stderr, "another ncsweep process") {
		t.Fatalf("same shard: exit %d, want 2 naming the other process:\n%s", code, stderr)
	}
	code, _, stderr := runCLI(t, "run", spec, "--out", out, "--quiet")
	if code != exitUsage || !strings.Contains(stderr, "another ncsweep process") {
		t.Fatalf("exit %d, want 2 naming the other process:\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, results.RunsDir)); !os.IsNotExist(err) {
		t.Errorf("the refused run wrote %s", results.RunsDir)
	}
	if code, _, stderr := runCLI(t, "run", spec, "--out", out, "--quiet", "--shard", "1/2"); code != 0 {
		t.Errorf("shard 1/2 beside a held 0/1: exit %d\n%s", code, stderr)
	}
}

// TestBadInitFilesExit2 checks that init files of the wrong shape are an
// input error found before any run (exit 2, nothing written), like a
// missing file, which the spec parser already refuses.
func TestBadInitFilesExit2(t *testing.T) {
	dir := t.TempDir()
	// The tiny spec's data have D = 8; W0 must be 8 x width.
	if err := os.WriteFile(filepath.Join(dir, "w0.csv"), []byte("1,2,3\n4,5,6\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "v0.csv"), []byte("1,-1,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct{ w, want string }{
		"wrong shape":  {filepath.Join(dir, "w0.csv"), "model.init_w"},
		"missing file": {filepath.Join(dir, "nope.csv"), "model.init_w"},
	} {
		t.Run(name, func(t *testing.T) {
			spec := writeSpec(t, "[data]\nper_class = 5\ndim = 8\n[model]\nwidth = 3\ninit = \"file\"\ninit_scale = 1\n"+
				"init_w = \""+c.w+"\"\ninit_v = \""+filepath.Join(dir, "v0.csv")+"\"\n[train]\ntime = 0.1\n")
			out := filepath.Join(t.TempDir(), "out")
			code, _, stderr := runCLI(t, "run", spec, "--out", out)
			if code != exitUsage || !strings.Contains(stderr, c.want) {
				t.Fatalf("exit %d, want 2 naming %s:\n%s", code, c.want, stderr)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("output created for bad init files")
			}
		})
	}
}

// TestEmptyOutRefused checks that --out "" is a usage error, not a sweep
// written into the current folder.
func TestEmptyOutRefused(t *testing.T) {
	code, _, stderr := runCLI(t, "run", writeSpec(t, tinySpec), "--out", "")
	if code != exitUsage || !strings.Contains(stderr, "--out") {
		t.Fatalf("exit %d, want 2 about --out:\n%s", code, stderr)
	}
}

// TestResumeOverFailedRunsExits1 checks that a resume that skips runs whose
// rows are not ok still exits 1 (the sweep is not all ok), and says how to
// retry them.
func TestResumeOverFailedRunsExits1(t *testing.T) {
	spec := writeSpec(t, tinySpec)
	out := filepath.Join(t.TempDir(), "out")
	// A learning rate that makes the init-scale-1 runs diverge.
	args := []string{"run", spec, "--out", out, "--quiet", "--set", "train.lr=5", "--set", "train.time=50"}
	code, _, stderr := runCLI(t, args...)
	if code != exitRunsFailed || !strings.Contains(stderr, "diverged") {
		t.Fatalf("first run: exit %d, want 1 with diverged runs:\n%s", code, stderr)
	}
	code, _, stderr = runCLI(t, args...)
	if code != exitRunsFailed || !strings.Contains(stderr, "--retry-failed") {
		t.Errorf("resume over diverged rows: exit %d, want 1 pointing at --retry-failed:\n%s", code, stderr)
	}
}
