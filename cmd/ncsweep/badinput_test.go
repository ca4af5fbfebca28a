package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ncsweep/ncsweep/results"
	"github.com/ncsweep/ncsweep/sweep"
)

// TestEveryBadSpecExits2 runs the CLI on every malformed spec of
// sweep/testdata/specs: each must exit 2, print the parser's full message
// (which sweep's tests check names the key, the line and the problem), and
// create no output.
func TestEveryBadSpecExits2(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "sweep", "testdata", "specs", "bad_*.toml"))
	if err != nil || len(files) < 30 {
		t.Fatalf("%d bad specs found (%v), want at least 30", len(files), err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, perr := sweep.ParseFile(f, sweep.Options{})
			if perr == nil || !sweep.IsSpecError(perr) {
				t.Fatalf("the parser accepts %s or fails with a non-spec error: %v", f, perr)
			}
			for _, cmd := range []string{"run", "plan"} {
				out := filepath.Join(t.TempDir(), "out")
				code, stdout, stderr := runCLI(t, cmd, f, "--out", out)
				if cmd == "plan" {
					code, stdout, stderr = runCLI(t, cmd, f)
				}
				if code != exitUsage {
					t.Errorf("%s: exit %d, want 2\n%s", cmd, code, stderr)
				}
				if !strings.Contains(stderr, perr.Error()) || !strings.Contains(stderr, filepath.Base(f)) {
					t.Errorf("%s: stderr does not carry the parser's message naming the file:\n%s\nwant:\n%s", cmd, stderr, perr)
				}
				if stdout != "" {
					t.Errorf("%s: wrote to stdout for a bad spec: %q", cmd, stdout)
				}
				if fileExists(out) {
					t.Errorf("%s: output %s was created", cmd, out)
				}
			}
		})
	}
}

// brokenIDX maps each broken file of core/testdata/idx to words its error
// must contain: the MNIST file it was installed as, and the problem.
var brokenIDX = map[string][]string{
	"bad-magic.idx3":              {"train-images", "magic"},
	"beyond-file.idx3":            {"train-images", "truncated"},
	"bomb.idx3.gz":                {"train-images", "trailing"},
	"corrupt-gzip-header.idx3.gz": {"train-images", "gzip"},
	"empty.idx3":                  {"train-images", "header"},
	"gzip-garbage.idx3.gz":        {"train-images", "gzip"},
	"huge-count.idx3":             {"train-images", "2147483648"},
	"labels-as-images.idx3":       {"train-images", "magic"},
	"trailing.idx3":               {"train-images", "trailing"},
	"trunc-gzip.idx3.gz":          {"train-images", "gzip"},
	"trunc-header.idx3":           {"train-images", "header"},
	"trunc-payload.idx3":          {"train-images", "truncated"},
	"wide.idx3":                   {"train-images", "20000"},
	"zero-rows.idx3":              {"train-images", "0"},
	"huge-labels.idx1":            {"train-labels", "4294967295"},
	"images-as-labels.idx1":       {"train-labels", "magic"},
	"label-10.idx1":               {"train-labels", "10"},
	"trailing-labels.idx1.gz":     {"train-labels", "trailing"},
	"trunc-labels-header.idx1":    {"train-labels", "header"},
	"trunc-labels.idx1":           {"train-labels", "truncated"},
	"zero-labels.idx1":            {"train-labels", "0 labels"},
}

// TestEveryBrokenIDXExits2 installs each broken IDX file of
// core/testdata/idx as the first MNIST file read (train labels for .idx1,
// train images, after valid labels, for .idx3) and runs the CLI on an mnist
// spec pointing there: exit 2, a message naming the file and the problem,
// no output.
func TestEveryBrokenIDXExits2(t *testing.T) {
	src := filepath.Join("..", "..", "core", "testdata", "idx")
	all, _ := filepath.Glob(filepath.Join(src, "*"))
	n := 0
	for _, p := range all {
		base := filepath.Base(p)
		if strings.HasPrefix(base, "ok-") {
			continue
		}
		n++
		want, ok := brokenIDX[base]
		if !ok {
			t.Errorf("broken IDX file %s has no expectation in brokenIDX", base)
			continue
		}
		t.Run(base, func(t *testing.T) {
			dir := t.TempDir()
			gz := ""
			if strings.HasSuffix(base, ".gz") {
				gz = ".gz"
			}
			install := func(from, as string) {
				b, err := os.ReadFile(from)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, as), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if strings.Contains(base, ".idx1") {
				install(p, "train-labels-idx1-ubyte"+gz)
				install(filepath.Join(src, "ok-images.idx3"), "train-images-idx3-ubyte")
			} else {
				install(filepath.Join(src, "ok-labels.idx1"), "train-labels-idx1-ubyte")
				install(p, "train-images-idx3-ubyte"+gz)
			}
			install(filepath.Join(src, "ok-images.idx3"), "t10k-images-idx3-ubyte")
			install(filepath.Join(src, "ok-labels.idx1"), "t10k-labels-idx1-ubyte")
			spec := writeSpec(t, "[data]\nkind = \"mnist\"\ndigits = [0, 9]\nper_class = 1\ntest_per_class = 1\npath = \""+dir+"\"\n[model]\ninit = \"paper\"\n[train]\nloss = \"ce\"\nmethod = \"sgd\"\nepochs = 1\n")
			out := filepath.Join(t.TempDir(), "out")
			code, _, stderr := runCLI(t, "run", spec, "--out", out)
			if code != exitUsage {
				t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
			}
			for _, w := range want {
				if !strings.Contains(stderr, w) {
					t.Errorf("error does not mention %q:\n%s", w, stderr)
				}
			}
			if fileExists(out) {
				t.Errorf("output created despite broken data")
			}
		})
	}
	if n < 10 {
		t.Errorf("%d broken IDX files, want at least 10", n)
	}
}

// TestUnwritableOutput points --out below a regular file (which stops even
// root): a clear error, a non-zero exit that is not the bad-spec 2, and the
// file untouched.
func TestUnwritableOutput(t *testing.T) {
	spec := writeSpec(t, tinySpec)
	file := filepath.Join(t.TempDir(), "plain-file")
	if err := os.WriteFile(file, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "run", spec, "--out", filepath.Join(file, "sub"), "--quiet")
	if code != exitRunsFailed {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr, "opening output") || !strings.Contains(stderr, "not a directory") {
		t.Errorf("unclear error:\n%s", stderr)
	}
	if b, _ := os.ReadFile(file); string(b) != "keep me" {
		t.Errorf("the regular file was changed: %q", b)
	}
}

// TestDiskFullStopsSweepAndKeepsFilesWhole simulates a disk that fills up
// after two part files, at the creation of the third temporary file or
// while writing it: the sweep stops with an error naming the cause, the
// published files stay whole, no temporary file is left, and a resume
// once the disk has room completes the sweep with every run once.
func TestDiskFullStopsSweepAndKeepsFilesWhole(t *testing.T) {
	for _, mode := range []string{"create", "write"} {
		t.Run(mode, func(t *testing.T) {
			spec := writeSpec(t, tinySpec)
			out := filepath.Join(t.TempDir(), "out")
			calls := 0
			full := func(dir, pattern string) (*os.File, error) {
				calls++
				if calls <= 2 {
					return os.CreateTemp(dir, pattern)
				}
				if mode == "create" {
					return nil, &os.PathError{Op: "open", Path: filepath.Join(dir, pattern), Err: syscall.ENOSPC}
				}
				// A file that refuses every write, as a full disk does.
				f, err := os.CreateTemp(dir, pattern)
				if err != nil {
					return nil, err
				}
				name := f.Name()
				f.Close()
				return os.OpenFile(name, os.O_RDONLY, 0)
			}
			code, err := runSweep([]string{spec, "--out", out, "--jobs", "1", "--flush-rows", "2", "--quiet"}, io.Discard, io.Discard, runHooks{createTemp: full})
			if code == exitOK || code == exitUsage || err == nil {
				t.Fatalf("exit %d, error %v; want a failure", code, err)
			}
			want := "no space left on device"
			if mode == "write" {
				want = "bad file descriptor"
			}
			if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "writing results") {
				t.Errorf("error %q does not name the problem (%q)", err, want)
			}
			if !errors.Is(err, syscall.ENOSPC) && mode == "create" {
				t.Errorf("error %v does not wrap ENOSPC", err)
			}
			ids := checkOutput(t, out)
			if len(ids) != 4 {
				t.Errorf("%d runs on disk, want the 4 of the two published parts", len(ids))
			}
			left, _ := filepath.Glob(filepath.Join(out, results.RunsDir, ".*"))
			if len(left) != 0 {
				t.Errorf("temporary files left behind: %v", left)
			}
			code, _, stderr := runCLI(t, "run", spec, "--out", out, "--quiet")
			if code != 0 {
				t.Fatalf("resume: exit %d\n%s", code, stderr)
			}
			if ids := checkOutput(t, out); len(ids) != 12 {
				t.Errorf("after the resume %d runs, want 12", len(ids))
			}
		})
	}
}
