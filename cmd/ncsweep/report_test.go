package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportAfterRun runs the tiny sweep and reports on it: the figures are
// real PNG and SVG files and report.md has the T* fit line.
func TestReportAfterRun(t *testing.T) {
	spec := writeSpec(t, tinySpec)
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := runCLI(t, "run", spec, "--out", out, "--quiet", "--set", "train.checkpoints=8"); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := runCLI(t, "report", out)
	if code != 0 {
		t.Fatalf("report: exit %d\n%s", code, stderr)
	}
	files := strings.Fields(stdout)
	dir := filepath.Join(out, "report")
	has := map[string]bool{}
	for _, f := range files {
		if filepath.Dir(f) != dir {
			t.Errorf("%s written outside %s", f, dir)
		}
		has[filepath.Base(f)] = true
		if _, err := os.Stat(f); err != nil {
			t.Errorf("printed %s: %v", f, err)
		}
	}
	for _, want := range []string{"nc_vs_init_scale.png", "nc_vs_init_scale.svg", "report.md"} {
		if !has[want] {
			t.Errorf("report did not write %s; wrote %v", want, files)
		}
	}
	for _, f := range files {
		switch filepath.Ext(f) {
		case ".png":
			fh, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(fh)
			fh.Close()
			if err != nil {
				t.Errorf("%s: %v", f, err)
				continue
			}
			if b := img.Bounds(); b.Dx() < 800 || b.Dy() < 400 || b.Dx() > 4000 || b.Dy() > 4000 {
				t.Errorf("%s is %dx%d pixels", f, b.Dx(), b.Dy())
			}
		case ".svg":
			b, err := os.ReadFile(f)
			if err != nil || !strings.Contains(string(b), "<svg") || len(b) < 1000 {
				t.Errorf("%s: %d bytes, %v", f, len(b), err)
			}
		}
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "\nT* fit: ") || !strings.Contains(string(md), "| ok | 12 |") {
		t.Errorf("report.md lacks the T* fit line or the status count:\n%s", md)
	}

	// --dir elsewhere; an unknown --runs id is a usage error.
	other := filepath.Join(t.TempDir(), "rep")
	if code, stdout, stderr := runCLI(t, "report", out, "--dir", other); code != 0 || !strings.Contains(stdout, filepath.Join(other, "report.md")) {
		t.Errorf("--dir: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := runCLI(t, "report", out, "--runs", "nosuchrun"); code != exitUsage || !strings.Contains(stderr, "nosuchrun") {
		t.Errorf("--runs nosuchrun: exit %d\n%s", code, stderr)
	}
}

func TestReportUsageErrors(t *testing.T) {
	empty := t.TempDir()
	cases := map[string]struct {
		args []string
		want string
	}{
		"no OUT":      {[]string{"report"}, "output directory"},
		"missing OUT": {[]string{"report", filepath.Join(empty, "nope")}, "nope"},
		"empty OUT":   {[]string{"report", empty}, "no run rows"},
		"two args":    {[]string{"report", empty, empty}, "unexpected arguments"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runCLI(t, c.args...)
			if code != exitUsage || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 naming %q", code, stderr, c.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(empty, "report")); !os.IsNotExist(err) {
		t.Error("report folder created for an empty output")
	}
}
