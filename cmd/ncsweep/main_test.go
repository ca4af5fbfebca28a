package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ncsweep/ncsweep/results"
)

// tinySpec is a small binary sweep: 2 seeds x 2 widths x 3 init scales.
const tinySpec = `
name = "tiny"
seed = [1, 2]
[data]
per_class = 15
test_per_class = 10
dim = 8
[model]
width = [6, 12]
init_scale = { logspace = [-4, 0, 3] }
[train]
lr = 0.005
time = 2
`

func writeSpec(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "spec.toml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = realMain(args, &o, &e)
	return code, o.String(), e.String()
}

// scienceOnly clears the columns that legitimately differ between two
// executions of the same run (wall-clock times, the shard label).
func scienceOnly(rows []results.Row) map[string]results.Row {
	m := map[string]results.Row{}
	for _, r := range rows {
		r.StartedAt, r.DurationS, r.Shard = time.Time{}, 0, ""
		m[r.RunID] = r
	}
	return m
}

func TestRunMatchesPlanAndIsIdenticalAcrossJobs(t *testing.T) {
	spec := writeSpec(t, tinySpec)
	code, planOut, _ := runCLI(t, "plan", spec)
	if code != 0 {
		t.Fatalf("plan exit %d", code)
	}
	planned, err := strconv.Atoi(strings.Fields(planOut)[0])
	if err != nil || planned != 12 {
		t.Fatalf("plan printed %q, want 12 runs first", strings.SplitN(planOut, "\n", 2)[0])
	}

	var got [2]map[string]results.Row
	for i, jobs := range []string{"1", "2"} {
		out := filepath.Join(t.TempDir(), "out")
		code, _, stderr := runCLI(t, "run", spec, "--out", out, "--jobs", jobs, "--quiet")
		if code != 0 {
			t.Fatalf("run --jobs %s: exit %d\n%s", jobs, code, stderr)
		}
		rows, err := results.ReadRuns(out)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != planned {
			t.Fatalf("--jobs %s wrote %d rows, plan has %d", jobs, len(rows), planned)
		}
		got[i] = scienceOnly(rows)
		if len(got[i]) != planned {
			t.Fatalf("--jobs %s: run_ids not unique: %d distinct of %d", jobs, len(got[i]), planned)
		}
		for _, r := range rows {
			if r.Status != "ok" {
				t.Errorf("run %s: status %s: %s", r.RunID, r.Status, r.Error)
			}
		}
		if _, err := os.Stat(filepath.Join(out, "manifest.json")); err != nil {
			t.Errorf("no manifest: %v", err)
		}
	}
	if !reflect.DeepEqual(got[0], got[1]) {
		for id, a := range got[0] {
			if b := got[1][id]; !reflect.DeepEqual(a, b) {
				t.Errorf("run %s differs between --jobs 1 and --jobs 2:\n%+v\n%+v", id, a, b)
				break
			}
		}
	}
}

func TestResumeSkipsFinishedRuns(t *testing.T) {
	spec := writeSpec(t, tinySpec)
	out := filepath.Join(t.TempDir(), "out")
	if code, _, e := runCLI(t, "run", spec, "--out", out, "--quiet", "--shard", "0/2"); code != 0 {
		t.Fatalf("shard 0/2: exit %d\n%s", code, e)
	}
	first, _ := results.ReadRuns(out)
	if len(first) != 6 {
		t.Fatalf("shard 0/2 wrote %d rows, want 6", len(first))
	}
	code, _, stderr := runCLI(t, "run", spec, "--out", out, "--quiet")
	if code != 0 {
		t.Fatalf("resume: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "6 skipped") {
		t.Errorf("resume summary does not report 6 skipped runs:\n%s", stderr)
	}
	rows, _ := results.ReadRuns(out)
	ids := map[string]int{}
	for _, r := range rows {
		ids[r.RunID]++
	}
	if len(rows) != 12 || len(ids) != 12 {
		t.Fatalf("after resume: %d rows, %d distinct run_ids; want 12 and 12", len(rows), len(ids))
	}
}

func TestBadSpecExits2AndWritesNothing(t *testing.T) {
	cases := map[string]struct{ spec, want string }{
		"unknown key":     {"[model]\nwidht = 5\n", "model.widht"},
		"negative eps":    {"[model]\ninit_scale = -1.0\n", "model.init_scale"},
		"syntax":          {"[model\nwidth = 5\n", "invalid TOML"},
		"wrong type":      {"[model]\nwidth = \"wide\"\n", "model.width"},
		"width below K":   {"[data]\nclasses = 4\n[model]\nwidth = 3\n[train]\nloss = \"ce\"\n", "width"},
		"empty axis":      {"seed = []\n", "seed"},
		"exp with K = 3":  {"[data]\nclasses = 3\n[train]\nloss = \"exp\"\n", "train.loss"},
		"mnist bad digit": {"[data]\nkind = \"mnist\"\ndigits = [0, 11]\n", "data.digits"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			spec := writeSpec(t, c.spec)
			out := filepath.Join(t.TempDir(), "out")
			code, _, stderr := runCLI(t, "run", spec, "--out", out)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("error does not name %q:\n%s", c.want, stderr)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("output %s was created for a bad spec", out)
			}
		})
	}
}

func TestBrokenMNISTFilesExit2(t *testing.T) {
	dir := t.TempDir()
	// Headers that declare 60000 images or labels with nothing after them.
	images := []byte{0, 0, 8, 3, 0, 0, 0xea, 0x60, 0, 0, 0, 28, 0, 0, 0, 28}
	labels := []byte{0, 0, 8, 1, 0, 0, 0xea, 0x60}
	for name, b := range map[string][]byte{"train-images-idx3-ubyte": images, "train-labels-idx1-ubyte": labels, "t10k-images-idx3-ubyte": images, "t10k-labels-idx1-ubyte": labels} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	spec := writeSpec(t, "[data]\nkind = \"mnist\"\npath = \""+dir+"\"\n[model]\ninit = \"paper\"\n[train]\nloss = \"ce\"\nmethod = \"sgd\"\nepochs = 1\n")
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := runCLI(t, "run", spec, "--out", out)
	if code != exitUsage {
		t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "-ubyte") || !strings.Contains(stderr, "truncated") {
		t.Errorf("error does not name the broken file and the problem:\n%s", stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output created despite broken data")
	}
}

func TestDefaultSweepRowsEqualPlan(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the built-in sweep (shortened)")
	}
	code, planOut, _ := runCLI(t, "plan")
	if code != 0 {
		t.Fatalf("plan of the built-in sweep: exit %d", code)
	}
	planned, _ := strconv.Atoi(strings.Fields(planOut)[0])
	if planned < 12 {
		t.Fatalf("built-in sweep has %d runs, the README promises at least 12", planned)
	}
	out := filepath.Join(t.TempDir(), "out")
	// The same grid, trained briefly: the row count and identities are what is checked here.
	code, _, stderr := runCLI(t, "run", "--out", out, "--quiet", "--set", "train.time=0.5")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	rows, err := results.ReadRuns(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != planned {
		t.Fatalf("%d rows, plan has %d", len(rows), planned)
	}
	var scales []float64
	for _, r := range rows {
		scales = append(scales, r.ModelInitScale)
	}
	sort.Float64s(scales)
	if scales[0] > 1e-4 || scales[len(scales)-1] < 1 {
		t.Errorf("init scales span [%g, %g], want 1e-4..1", scales[0], scales[len(scales)-1])
	}
}
