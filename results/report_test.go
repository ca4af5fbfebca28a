package results

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat"
)

func TestFitLine(t *testing.T) {
	// Exact line: y = 1 + 2x.
	slope, icpt, r2, ok := fitLine([]float64{0, 1, 2}, []float64{1, 3, 5})
	if !ok || slope != 2 || icpt != 1 || r2 != 1 {
		t.Errorf("exact line: slope %v intercept %v R2 %v ok %v", slope, icpt, r2, ok)
	}
	// Noisy points, against gonum's regression as an independent reference.
	x := []float64{9.2, 4.6, 0, 9.2, 4.6, 0, 6.9, 2.3}
	y := []float64{30.1, 15.2, 2.2, 29.0, 16.1, 1.9, 23.0, 9.4}
	slope, icpt, r2, ok = fitLine(x, y)
	a, b := stat.LinearRegression(x, y, nil, false)
	wantR2 := stat.RSquared(x, y, nil, a, b)
	if !ok || math.Abs(slope-b) > 1e-12 || math.Abs(icpt-a) > 1e-12 || math.Abs(r2-wantR2) > 1e-12 {
		t.Errorf("noisy: got %v %v %v, gonum %v %v %v", slope, icpt, r2, b, a, wantR2)
	}
	if _, _, _, ok := fitLine([]float64{1, 1, 1}, []float64{1, 2, 3}); ok {
		t.Error("a single x value gave a fit")
	}
	if _, _, r2, ok := fitLine([]float64{1, 2}, []float64{4, 4}); !ok || !math.IsNaN(r2) {
		t.Errorf("constant y: R2 %v ok %v, want NaN (undefined)", r2, ok)
	}
}

func TestLog10Ticks(t *testing.T) {
	labels := func(lo, hi float64) (ls []string, n int) {
		for _, tk := range (log10Ticks{}).Ticks(math.Log10(lo), math.Log10(hi)) {
			if tk.Value < math.Log10(lo)-1e-9 || tk.Value > math.Log10(hi)+1e-9 {
				t.Errorf("tick %v outside [%v, %v]", math.Pow(10, tk.Value), lo, hi)
			}
			if tk.Label != "" {
				ls = append(ls, tk.Label)
			}
			n++
		}
		return ls, n
	}
	got, n := labels(3e-5, 2)
	if want := "0.0001 0.001 0.01 0.1 1"; strings.Join(got, " ") != want {
		t.Errorf("labels %v, want %s", got, want)
	}
	// Minor ticks: 3e-5..9e-5 (7), then 9 per decade for 4 decades, then 1 and 2.
	if n != 7+4*9+2 {
		t.Errorf("%d ticks, want %d", n, 7+4*9+2)
	}
	if got, _ := labels(0.02, 0.3); strings.Join(got, " ") != "0.02 0.05 0.1 0.2" {
		t.Errorf("short range labels %v", got)
	}
	// 11 decades: every other power labelled, even exponents.
	if got, _ := labels(1e-11, 0.5); strings.Join(got, " ") != "1e-10 1e-08 1e-06 0.0001 0.01" {
		t.Errorf("long range labels %v", got)
	}
	// A 1e-6..1 axis, widened a little (the series dodge), labels every power.
	if got, _ := labels(0.9e-6, 1.1); strings.Join(got, " ") != "1e-06 1e-05 0.0001 0.001 0.01 0.1 1" {
		t.Errorf("long range labels %v", got)
	}
}

// writeSyntheticOut writes an output directory whose values are known: 2
// widths x 2 seeds x 4 init scales of ok runs with T* = 2 + 3 ln(1/eps)
// and nc1 = 0.1*seed + eps, one ok run without T*, one failed run, and a
// trajectory for every ok run.
func writeSyntheticOut(t *testing.T, scales []float64) string {
	t.Helper()
	dir := t.TempDir()
	w, err := NewWriter(dir, WriterOptions{Prefix: "syn"})
	if err != nil {
		t.Fatal(err)
	}
	base := sampleRows()[0]
	id := 0
	for _, width := range []int64{8, 16} {
		for _, seed := range []int64{1, 2} {
			for _, eps := range scales {
				r := base
				r.RunID = "run" + string(rune('a'+id))
				id++
				r.Sweep, r.Seed, r.ModelWidth, r.ModelInitScale = "syn", seed, width, eps
				r.SeparationTime = fp(2 + 3*math.Log(1/eps))
				r.EscapeTime = fp(0.5 + 0.25*math.Log(1/eps))
				r.NC1 = fp(0.1*float64(seed) + eps)
				r.NC1Norm = fp(eps * eps)
				var traj []TrajectoryRow
				for k := range 12 {
					tm := math.Pow(10, float64(k)/3-1) // 0.1 .. ~464
					traj = append(traj, TrajectoryRow{RunID: r.RunID, Sweep: "syn", Checkpoint: int64(k), Step: int64(k),
						GFTime: tm, Loss: fp(100 / (1 + tm)), NC1Norm: fp(eps / (1 + tm*tm)), ResidFeatures: fp(0.5 / (1 + tm)),
						ResidV: fp(0.2 / (1 + tm)), AtSeparation: k == 4, ThetaNorm: tm})
				}
				w.WriteTrajectory(traj)
				w.Write(r)
			}
		}
	}
	noT := base
	noT.RunID, noT.Sweep, noT.ModelWidth, noT.Seed, noT.ModelInitScale, noT.SeparationTime, noT.EscapeTime = "noT", "syn", 8, 3, scales[0], nil, nil
	failed := Row{RunID: "bad", Sweep: "syn", Status: "failed", Error: "boom"}
	w.Write(noT)
	w.Write(failed)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestReport(t *testing.T) {
	out := writeSyntheticOut(t, []float64{1e-4, 1e-3, 1e-2, 1})
	files, err := Report(out, ReportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(out, ReportDir)
	var want []string
	for _, b := range []string{FigNCvsInitScale, ReportName, FigTrajectories, FigTStar, FigEscape} {
		if b == ReportName {
			want = append(want, filepath.Join(dir, b))
			continue
		}
		want = append(want, filepath.Join(dir, b+".png"), filepath.Join(dir, b+".svg"))
	}
	if strings.Join(files, "\n") != strings.Join(sortedCopy(want), "\n") {
		t.Fatalf("files:\n%s\nwant:\n%s", strings.Join(files, "\n"), strings.Join(sortedCopy(want), "\n"))
	}
	// Sizes follow the figure sizes at pngDPI.
	for base, size := range map[string][2]int{FigNCvsInitScale: {11 * pngDPI, 8 * pngDPI}, FigTStar: {10 * pngDPI, 6 * pngDPI}, FigTrajectories: {16 * pngDPI, 5 * pngDPI}} {
		checkPNG(t, filepath.Join(dir, base+".png"), size[0], size[1])
		checkSVG(t, filepath.Join(dir, base+".svg"))
	}
	md, err := os.ReadFile(filepath.Join(dir, ReportName))
	if err != nil {
		t.Fatal(err)
	}
	text := string(md)
	for _, s := range []string{
		// T* = 2 + 3 ln(1/eps) exactly over 16 runs; the run without T* is counted.
		"T* fit: T* = 2 + 3·ln(1/ε): slope 3, intercept 2, R² = 1.0000 (n = 16 runs; 1 ok run(s) without T* excluded)",
		// T_esc = 0.5 + 0.25 ln(1/eps) over the same 16 runs (the run without T* has no escape time either).
		"T_esc fit: T_esc = 0.5 + 0.25·ln(1/ε): slope 0.25, intercept 0.5, R² = 1.0000 (n = 16 runs; 1 ok run(s) without T_esc excluded)",
		"| ok | 17 |", "| failed | 1 |",
		// nc1 = 0.1 seed + eps: the mean over seeds 1 and 2 is 0.15 + eps.
		// At width 8, eps 1e-4 the run without T* (nc1 = 0, from the base
		// row) is a third: (0.1001 + 0.2001 + 0)/3 = 0.1001.
		"| width=8 | 0.001 | 2 | ", " 0.151 |", "| width=16 | 1 | 2 |", " 1.15 |",
		"| width=8 | 0.0001 | 3 |", " 0.1001 |",
		"T* fit", "ε=0.0001 (`runa`)", "ε=1 (`rund`)",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("report.md lacks %q:\n%s", s, text)
		}
	}
	// Per-series fits are exact too.
	if strings.Count(text, "| 3 | 2 | 1.0000 |") != 2 {
		t.Errorf("per-series fits not both exact:\n%s", text)
	}

	// Deterministic: a second report is byte-identical.
	dir2 := t.TempDir()
	files2, err := Report(out, ReportOptions{Dir: dir2})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range files {
		a, _ := os.ReadFile(f)
		b, _ := os.ReadFile(files2[i])
		if filepath.Base(f) != ReportName && !bytes.Equal(a, b) {
			t.Errorf("%s differs between two reports", filepath.Base(f))
		}
	}

	// Chosen runs: known ones are drawn, an unknown one is an error.
	if _, err := Report(out, ReportOptions{Dir: dir2, Runs: []string{"runh", "runa"}}); err != nil {
		t.Fatal(err)
	}
	md2, _ := os.ReadFile(filepath.Join(dir2, ReportName))
	if !strings.Contains(string(md2), "for 2 run(s) of width=8: ε=1 seed=2 (`runh`), ε=0.0001 seed=1 (`runa`)") {
		t.Errorf("chosen runs not described:\n%s", md2)
	}
	if _, err := Report(out, ReportOptions{Dir: dir2, Runs: []string{"bad"}}); !errors.Is(err, ErrUnknownRun) {
		t.Errorf("failed run chosen: %v", err)
	}
}

func TestReportEdgeCases(t *testing.T) {
	// One init scale: the NC figure and the fit are skipped, with reasons.
	out := writeSyntheticOut(t, []float64{1e-3})
	files, err := Report(out, ReportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.Contains(f, FigNCvsInitScale) || strings.Contains(f, FigTStar) {
			t.Errorf("%s written for a single init scale", f)
		}
	}
	md, _ := os.ReadFile(filepath.Join(out, ReportDir, ReportName))
	for _, s := range []string{
		"`nc_vs_init_scale`: skipped: the ok runs share a single init scale (0.001).",
		"T* fit: not possible: the 4 runs with a T* have 1 distinct init scale(s); a line needs two (1 ok run(s) without T* excluded).",
	} {
		if !strings.Contains(string(md), s) {
			t.Errorf("report.md lacks %q:\n%s", s, md)
		}
	}

	// No output, or no rows: errors a caller can tell apart.
	if _, err := Report(filepath.Join(t.TempDir(), "nope"), ReportOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing dir: %v", err)
	}
	empty := t.TempDir()
	if _, err := Report(empty, ReportOptions{}); !errors.Is(err, ErrNoRuns) {
		t.Errorf("empty dir: %v", err)
	}
	if _, err := os.Stat(filepath.Join(empty, ReportDir)); !os.IsNotExist(err) {
		t.Error("report folder created for an empty output")
	}
}

func sortedCopy(xs []string) []string {
	out := append([]string(nil), xs...)
	sort.Strings(out)
	return out
}

// checkPNG decodes a PNG and checks its size.
func checkPNG(t *testing.T, path string, w, h int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Errorf("%s is %dx%d, want %dx%d", path, b.Dx(), b.Dy(), w, h)
	}
}

// checkSVG parses an SVG as XML and checks its root element.
func checkSVG(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: not XML: %v", path, err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Errorf("%s: root element %q, want svg", path, root)
	}
}

// TestTStarAtFirstStepLeftOutOfFit checks that a gd run whose T* is its
// first step (below the step size's resolution) is counted apart and left
// out of the T* fit, while flow runs at step 1 and gd runs later are kept.
func TestTStarAtFirstStepLeftOutOfFit(t *testing.T) {
	var rows []Row
	for i, eps := range []float64{1e-4, 1e-3, 1e-2, 1e-1} {
		r := Row{RunID: "g" + strconv.Itoa(i), Status: "ok", ModelWidth: 8, ModelInitScale: eps, TrainMethod: "gd",
			SeparationTime: fp(1 + 2*math.Log(1/eps)), SeparationStep: ip(50)}
		rows = append(rows, r)
	}
	first := Row{RunID: "first", Status: "ok", ModelWidth: 8, ModelInitScale: 1, TrainMethod: "gd", SeparationTime: fp(0.01), SeparationStep: ip(1)}
	flow := Row{RunID: "flow", Status: "ok", ModelWidth: 8, ModelInitScale: 0.5, TrainMethod: "flow", SeparationTime: fp(1 + 2*math.Log(2)), SeparationStep: ip(1)}
	rep := newReportData(append(rows, first, flow), nil)
	fit := rep.timeFit(tStarMetric)
	if fit.Unresolved != 1 || fit.N != 5 {
		t.Fatalf("unresolved %d, n %d; want 1 and 5", fit.Unresolved, fit.N)
	}
	if math.Abs(fit.Slope-2) > 1e-12 || math.Abs(fit.Intercept-1) > 1e-12 {
		t.Errorf("fit %v + %v ln(1/eps), want 1 + 2 ln(1/eps)", fit.Intercept, fit.Slope)
	}
}
