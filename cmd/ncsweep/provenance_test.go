package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ncsweep/ncsweep/core"
	"github.com/ncsweep/ncsweep/results"
)

// TestManifestRecordsInvocation runs the real binary with overrides and a
// shard, twice (a resume), and checks the manifest's record of each
// invocation: the arguments including every --set, the shard, the host,
// the times, the counts and the tool's identity.
func TestManifestRecordsInvocation(t *testing.T) {
	bin := buildBinary(t)
	spec := writeSpec(t, tinySpec)
	out := filepath.Join(t.TempDir(), "out")
	args := []string{"run", spec, "--out", out, "--quiet", "--shard", "1/3", "--set", "train.time=1", "--set", "model.width=[6,12]"}
	for i := 0; i < 2; i++ {
		cmd := exec.Command(bin, args...)
		if i == 1 { // the resume with the portable kernels and no sparse form
			cmd.Env = append(os.Environ(), "NCSWEEP_GEMM=go", "NCSWEEP_SPARSE=off")
		}
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, b)
		}
	}
	inv, err := results.ReadManifest(out)
	if err != nil || len(inv) != 2 {
		t.Fatalf("%d invocations, %v; want 2", len(inv), err)
	}
	host, _ := os.Hostname()
	for i, m := range inv {
		if !slices.Equal(m.Args[1:], args) || !strings.HasSuffix(m.Args[0], "ncsweep") {
			t.Errorf("invocation %d: args %q, want the binary then %q", i, m.Args, args)
		}
		if want := []string{"train.time=1", "model.width=[6,12]"}; !slices.Equal(m.Sets, want) {
			t.Errorf("invocation %d: sets %q, want %q", i, m.Sets, want)
		}
		if m.Shard != "1/3" || m.Host != host || m.ToolVersion == "" || m.GoVersion == "" {
			t.Errorf("invocation %d: shard %q host %q tool %q go %q", i, m.Shard, m.Host, m.ToolVersion, m.GoVersion)
		}
		if want := []string{core.Kernels(), "go, sparse off"}[i]; m.Kernels != want {
			t.Errorf("invocation %d: kernels %q, want %q", i, m.Kernels, want)
		}
		if !m.EndedAt.After(m.StartedAt) {
			t.Errorf("invocation %d: ended %v, started %v", i, m.EndedAt, m.StartedAt)
		}
		if m.Counts.Planned != 4 {
			t.Errorf("invocation %d: %d planned, want 4 (shard 1/3 of 12)", i, m.Counts.Planned)
		}
	}
	if inv[0].Counts.OK != 4 || inv[1].Counts.Skipped != 4 || inv[1].Counts.OK != 0 {
		t.Errorf("counts %+v then %+v; want 4 ok, then 4 skipped", inv[0].Counts, inv[1].Counts)
	}
}
