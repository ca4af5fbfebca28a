package results

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"image/color"

	"github.com/ncsweep/ncsweep/core"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ReportDir is the default folder, inside an output directory, that Report
// writes into.
const ReportDir = "report"

// ReportName is the markdown summary's file name.
const ReportName = "report.md"

// Figure base names (each written as .png and .svg).
const (
	FigNCvsInitScale = "nc_vs_init_scale"
	FigTStar         = "tstar_vs_log_inv_eps"
	FigEscape        = "escape_vs_log_inv_eps"
	FigTrajectories  = "trajectories"
)

// ErrNoRuns is returned (wrapped) by Report when the output directory has no
// run rows: nothing to report.
var ErrNoRuns = errors.New("no run rows")

// ErrUnknownRun is returned (wrapped) by Report when ReportOptions.Runs names
// a run that has no ok row or no trajectory.
var ErrUnknownRun = errors.New("run not reportable")

// maxTrajectoryRuns bounds the runs drawn in the automatic trajectory
// figure, so that it stays legible.
const maxTrajectoryRuns = 8

// ReportOptions tune Report. The zero value is valid.
type ReportOptions struct {
	// Dir is the folder the figures and report.md are written into,
	// created if needed; empty means OUT/report.
	Dir string
	// Runs are the run_ids whose trajectories are drawn, in this order.
	// Empty means automatic: the runs of the first configuration (smallest
	// width first) and smallest seed that have trajectories, one per init
	// scale (at most 8, evenly spread).
	Runs []string
}

// Report reads the runs (and trajectories, when there are any) of the output
// directory outDir and writes figures, as PNG and SVG, and a markdown
// summary into opt.Dir. It returns the paths written, sorted.
//
// Only rows with status ok enter the figures and the means. Runs are
// grouped into series by every configuration column except the seed and the
// init scale (in the quick sweep: the width); the legend names the columns
// that vary. The figures:
//   - nc_vs_init_scale: NC1, NC1 of normalised features, NC2 and NC3
//     against the init scale eps, one line per series, the mean over seeds
//     with min-max error bars; log axes where the data spans a decade or
//     more. Skipped when the runs share a single init scale.
//   - tstar_vs_log_inv_eps: T* against ln(1/eps), one point per run, with a
//     least-squares line; slope, intercept and R^2 are in the legend and in
//     report.md. Runs with a null T* are excluded and counted.
//   - trajectories: loss, NC1 of normalised features and the theory
//     residuals against GF time (log axis) for a few runs, T* marked.
//     Skipped when the output has no trajectories.
//
// A figure that cannot be drawn is skipped with a line saying why in
// report.md, which also has the status counts, the data statistics, a table
// of means by series and init scale, and the T* fit.
func Report(outDir string, opt ReportOptions) (files []string, err error) {
	if _, err := os.Stat(outDir); err != nil {
		return nil, fmt.Errorf("results: report: output directory: %w", err)
	}
	rows, err := ReadRuns(outDir)
	if err != nil {
		return nil, fmt.Errorf("results: report: %w", err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("results: report: %s has no part files in %s: %w", outDir, RunsDir, ErrNoRuns)
	}
	traj, err := ReadTrajectories(outDir)
	if err != nil {
		return nil, fmt.Errorf("results: report: %w", err)
	}
	dir := opt.Dir
	if dir == "" {
		dir = filepath.Join(outDir, ReportDir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("results: report: create %s: %w", dir, err)
	}

	rep := newReportData(rows, traj)
	var md bytes.Buffer
	rep.writeHeader(&md, outDir)

	var figNotes []string
	save := func(base string, f *figure, why string) error {
		if f == nil {
			figNotes = append(figNotes, fmt.Sprintf("- `%s`: skipped: %s.", base, why))
			return nil
		}
		paths, err := f.save(dir, base)
		if err != nil {
			return err
		}
		files = append(files, paths...)
		figNotes = append(figNotes, fmt.Sprintf("- `%s.png` / `%s.svg`%s", base, base, why))
		return nil
	}

	f, why := rep.ncFigure()
	if err := save(FigNCvsInitScale, f, why); err != nil {
		return nil, err
	}
	fit := rep.timeFit(tStarMetric)
	f, why = rep.timeFigure(tStarMetric, fit)
	if err := save(FigTStar, f, why); err != nil {
		return nil, err
	}
	escFit := rep.timeFit(escapeMetric)
	f, why = rep.timeFigure(escapeMetric, escFit)
	if err := save(FigEscape, f, why); err != nil {
		return nil, err
	}
	chosen, err := rep.chooseTrajectoryRuns(opt.Runs)
	if err != nil {
		return nil, fmt.Errorf("results: report: %w", err)
	}
	f, why = rep.trajectoryFigure(chosen)
	if err := save(FigTrajectories, f, why); err != nil {
		return nil, err
	}

	rep.writeTimeFit(&md, tStarMetric, fit)
	rep.writeTimeFit(&md, escapeMetric, escFit)
	rep.writeMeans(&md)
	rep.writeData(&md)
	md.WriteString("\n## Figures\n\n")
	for _, n := range figNotes {
		md.WriteString(n + "\n")
	}
	mdPath := filepath.Join(dir, ReportName)
	if err := writeFile(mdPath, &md); err != nil {
		return nil, err
	}
	files = append(files, mdPath)
	sort.Strings(files)
	return files, nil
}

// configColumn is one configuration column of a row, for grouping and
// labelling.
type configColumn struct {
	name  string // short name, e.g. "width"
	value string
}

// seriesColumns are the configuration columns that define a series (all but
// the seed and the init scale), with short names for labels.
func seriesColumns(r Row) []configColumn {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	i := func(x int64) string { return strconv.FormatInt(x, 10) }
	b := strconv.FormatBool
	return []configColumn{
		{"width", i(r.ModelWidth)},
		{"dim", i(r.DataDim)},
		{"classes", i(r.DataClasses)},
		{"per_class", i(r.DataPerClass)},
		{"test_per_class", i(r.DataTestPerClass)},
		{"kind", r.DataKind},
		{"noise", f(r.DataNoise)},
		{"norm_spread", f(r.DataNormSpread)},
		{"digits", r.DataDigits},
		{"path", r.DataPath},
		{"center", b(r.DataCenter)},
		{"test_path", r.DataTestPath},
		{"label_column", r.DataLabelColumn},
		{"init", r.ModelInit},
		{"init_w", r.ModelInitW},
		{"init_v", r.ModelInitV},
		{"loss", r.TrainLoss},
		{"method", r.TrainMethod},
		{"lr", f(r.TrainLR)},
		{"time", f(r.TrainTime)},
		{"epochs", i(r.TrainEpochs)},
		{"batch", i(r.TrainBatch)},
		{"tol", f(r.TrainTol)},
		{"normalized_time", b(r.TrainNormalizedTime)},
		{"checkpoints", i(r.TrainCheckpoints)},
		{"sweep", r.Sweep},
	}
}

// series is a group of ok runs that differ only in seed and init scale.
type series struct {
	label string // the varying columns, "width=20 dim=8"; "all runs" if none vary
	key   []string
	runs  []Row // sorted by init scale, then seed, then run_id
}

// reportData is what the report is computed from.
type reportData struct {
	all      []Row // every run row read
	statuses map[string]int
	nRunIDs  int
	ok       []Row // one ok row per run_id
	series   []*series
	varying  []int // indices into seriesColumns that vary among ok runs
	traj     map[string][]TrajectoryRow
	nTraj    int
}

func newReportData(rows []Row, traj []TrajectoryRow) *reportData {
	rep := &reportData{all: rows, statuses: map[string]int{}, traj: map[string][]TrajectoryRow{}}
	// One final status per run_id: ok if any attempt is ok, else the last
	// row read.
	final := map[string]string{}
	seenOK := map[string]bool{}
	for _, r := range rows {
		if final[r.RunID] != core.StatusOK {
			final[r.RunID] = r.Status
		}
		if r.Status == core.StatusOK && !seenOK[r.RunID] {
			seenOK[r.RunID] = true
			rep.ok = append(rep.ok, r)
		}
	}
	for _, s := range final {
		rep.statuses[s]++
	}
	rep.nRunIDs = len(final)

	okIDs := map[string]bool{}
	for _, r := range rep.ok {
		okIDs[r.RunID] = true
	}
	for _, t := range traj {
		if okIDs[t.RunID] {
			rep.traj[t.RunID] = append(rep.traj[t.RunID], t)
			rep.nTraj++
		}
	}

	// Which series columns vary among the ok runs.
	if len(rep.ok) > 0 {
		first := seriesColumns(rep.ok[0])
		for c := range first {
			for _, r := range rep.ok[1:] {
				if seriesColumns(r)[c].value != first[c].value {
					rep.varying = append(rep.varying, c)
					break
				}
			}
		}
	}
	bySeries := map[string]*series{}
	for _, r := range rep.ok {
		cols := seriesColumns(r)
		var key, parts []string
		for _, c := range rep.varying {
			key = append(key, cols[c].value)
			parts = append(parts, cols[c].name+"="+cols[c].value)
		}
		k := strings.Join(key, "\x00")
		s := bySeries[k]
		if s == nil {
			label := strings.Join(parts, " ")
			if label == "" {
				label = "all runs"
			}
			s = &series{label: label, key: key}
			bySeries[k] = s
			rep.series = append(rep.series, s)
		}
		s.runs = append(s.runs, r)
	}
	sort.Slice(rep.series, func(i, j int) bool { return lessKey(rep.series[i].key, rep.series[j].key) })
	for _, s := range rep.series {
		sort.Slice(s.runs, func(i, j int) bool {
			a, b := s.runs[i], s.runs[j]
			if a.ModelInitScale != b.ModelInitScale {
				return a.ModelInitScale < b.ModelInitScale
			}
			if a.Seed != b.Seed {
				return a.Seed < b.Seed
			}
			return a.RunID < b.RunID
		})
	}
	return rep
}

// lessKey orders series keys column by column, numerically when both values
// are numbers.
func lessKey(a, b []string) bool {
	for i := range a {
		if a[i] == b[i] {
			continue
		}
		x, errX := strconv.ParseFloat(a[i], 64)
		y, errY := strconv.ParseFloat(b[i], 64)
		if errX == nil && errY == nil {
			return x < y
		}
		return a[i] < b[i]
	}
	return false
}

// scales returns the distinct init scales of the ok runs, ascending.
func (rep *reportData) scales() []float64 {
	seen := map[float64]bool{}
	var out []float64
	for _, r := range rep.ok {
		if !seen[r.ModelInitScale] {
			seen[r.ModelInitScale] = true
			out = append(out, r.ModelInitScale)
		}
	}
	sort.Float64s(out)
	return out
}

// metric is a nullable float column of Row.
type metric struct {
	col, title, yLabel string
	get                func(Row) *float64
}

var ncMetrics = []metric{
	{"nc1", "NC1 (paper, raw features)", "NC1 (dimensionless)", func(r Row) *float64 { return r.NC1 }},
	{"nc1_norm", "NC1 of normalised features", "NC1 normalised (dimensionless)", func(r Row) *float64 { return r.NC1Norm }},
	{"nc2", "NC2 (class-mean frame)", "NC2 (dimensionless)", func(r Row) *float64 { return r.NC2 }},
	{"nc3", "NC3 (self-duality)", "NC3 (dimensionless)", func(r Row) *float64 { return r.NC3 }},
}

// aggPoint is the mean and min-max spread over seeds at one init scale.
type aggPoint struct {
	x, mean, lo, hi float64
	n               int
}

// aggregate groups a series' runs by init scale and summarises get over the
// non-null values.
func aggregate(runs []Row, get func(Row) *float64) []aggPoint {
	var out []aggPoint
	for i := 0; i < len(runs); {
		j := i
		var vals []float64
		for ; j < len(runs) && runs[j].ModelInitScale == runs[i].ModelInitScale; j++ {
			if v := get(runs[j]); v != nil {
				vals = append(vals, *v)
			}
		}
		if len(vals) > 0 {
			m, lo, hi := meanMinMax(vals)
			out = append(out, aggPoint{runs[i].ModelInitScale, m, lo, hi, len(vals)})
		}
		i = j
	}
	return out
}

// ncFigure draws NC1, NC1 normalised, NC2 and NC3 against the init scale.
func (rep *reportData) ncFigure() (*figure, string) {
	sc := rep.scales()
	if len(rep.ok) == 0 {
		return nil, "no ok runs"
	}
	if len(sc) < 2 {
		return nil, fmt.Sprintf("the ok runs share a single init scale (%s)", g4(sc[0]))
	}
	xm := axisMap{log: spansDecades(sc[0], sc[len(sc)-1])}
	// Series are shifted sideways by a small fraction of the x range so that
	// equal values do not hide each other's markers and error bars.
	dodge := 0.01 * (xm.f(sc[len(sc)-1]) - xm.f(sc[0]))
	legend := newLegend()
	panels := [][]*plot.Plot{{nil, nil}, {nil, nil}}
	for mi, m := range ncMetrics {
		p := newPanel(m.title, "init scale ε (dimensionless)", m.yLabel)
		agg := make([][]aggPoint, len(rep.series))
		lo, hi := math.Inf(1), math.Inf(-1)
		for si, s := range rep.series {
			agg[si] = aggregate(s.runs, m.get)
			for _, a := range agg[si] {
				lo, hi = math.Min(lo, a.lo), math.Max(hi, a.hi)
			}
		}
		ym := axisMap{log: spansDecades(lo, hi)}
		for si, s := range rep.series {
			pts := agg[si]
			if len(pts) == 0 {
				continue
			}
			xy := make(plotter.XYs, len(pts))
			errs := make(plotter.YErrors, len(pts))
			for k, a := range pts {
				xy[k].X, xy[k].Y = xm.f(a.x)+dodge*(float64(si)-float64(len(rep.series)-1)/2), ym.f(a.mean)
				errs[k].Low, errs[k].High = ym.f(a.mean)-ym.f(a.lo), ym.f(a.hi)-ym.f(a.mean)
			}
			clr, shape := styleOf(si)
			line, scatter, err := plotter.NewLinePoints(xy)
			if err != nil {
				continue // cannot happen: every value is finite
			}
			line.Color = clr
			line.Width = vg.Points(1.5)
			scatter.Color = clr
			scatter.Shape = shape
			scatter.Radius = vg.Points(3)
			bars, err := plotter.NewYErrorBars(errPoints{xy, errs})
			if err != nil {
				continue
			}
			bars.Color = clr
			bars.Width = vg.Points(1)
			p.Add(line, scatter, bars)
			if mi == 0 {
				legend.Add(s.label, line, scatter)
			}
		}
		xm.apply(&p.X)
		ym.apply(&p.Y)
		panels[mi/2][mi%2] = p
	}
	if len(rep.series) == 1 {
		legend = nil // one line per panel: the titles say it all
	}
	f := &figure{panels: panels, legend: legend, width: 11 * vg.Inch, height: 8 * vg.Inch}
	return f, fmt.Sprintf(": NC1, NC1 of normalised features, NC2 and NC3 against the init scale; one line per series (%d), mean over seeds with min-max error bars (series are shifted slightly sideways so that equal values stay visible).", len(rep.series))
}

// timeMetric is a time column fitted against ln(1/eps): the separation
// time T* or the escape time (end of the small-weight phase).
type timeMetric struct {
	sym     string // as printed: "T*"
	title   string // section and figure title
	theory  string // what the theory says, for report.md
	absent  string // why a run has no value
	get     func(Row) *float64
	figName string
	// unresolved, when set, marks runs whose value is below the
	// integrator's resolution: left out of the fit and counted apart.
	unresolved func(Row) bool
}

var (
	tStarMetric = timeMetric{
		sym: "T*", title: "Separation time T*",
		theory: "SCIENCE.md says T* is of order log(1/ε); measured, T* converges to a constant as ε -> 0 (the alignment is done in O(1) time with a balanced start): log(1/ε) bounds T* from above.",
		absent: "no ok run reached inter-class separation (T* is null in every one)",
		get:    func(r Row) *float64 { return r.SeparationTime }, figName: FigTStar,
		// gd and sgd see separation at step resolution: T* at the first
		// step only says T* <= lr (sgd: lr/n), not where it is.
		unresolved: func(r Row) bool {
			return r.TrainMethod != "flow" && r.SeparationStep != nil && *r.SeparationStep == 1
		},
	}
	escapeMetric = timeMetric{
		sym: "T_esc", title: "Escape time T_esc (loss at half its initial value)",
		theory: "The small-weight (alignment) phase lasts of order log(1/ε): T_esc should grow linearly in ln(1/ε).",
		absent: "no ok run has an escape time (sgd does not measure it; or the loss never halved)",
		get:    func(r Row) *float64 { return r.EscapeTime }, figName: FigEscape,
	}
)

// lineFit is a least-squares line y = Intercept + Slope x.
type lineFit struct {
	sym              string // the fitted quantity, e.g. "T*"
	N                int
	Slope, Intercept float64
	R2               float64 // NaN when y is constant
	Excluded         int     // ok runs without a value
	Unresolved       int     // ok runs whose value is below the integrator's resolution
	Reason           string  // why there is no fit; empty when there is one
	points           []fitPoint
	distinctX        int
}

// fitPoint is one run on the T* plot.
type fitPoint struct {
	x, y   float64
	series int
}

// fitLine fits y = a + b x by least squares, with centred sums for
// accuracy. ok is false when x has fewer than two distinct values.
func fitLine(x, y []float64) (slope, intercept, r2 float64, ok bool) {
	n := float64(len(x))
	if len(x) < 2 {
		return 0, 0, 0, false
	}
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= n
	my /= n
	var sxx, sxy, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxx += dx * dx
		sxy += dx * dy
		syy += dy * dy
	}
	if sxx == 0 {
		return 0, 0, 0, false
	}
	slope = sxy / sxx
	intercept = my - slope*mx
	var ssRes float64
	for i := range x {
		e := y[i] - (intercept + slope*x[i])
		ssRes += e * e
	}
	r2 = math.NaN()
	if syy > 0 {
		r2 = 1 - ssRes/syy
	}
	return slope, intercept, r2, true
}

// timeFit fits the metric against ln(1/eps) over the ok runs with a value.
func (rep *reportData) timeFit(tm timeMetric) lineFit {
	fit := lineFit{sym: tm.sym}
	var xs, ys []float64
	seenX := map[float64]bool{}
	for si, s := range rep.series {
		for _, r := range s.runs {
			v := tm.get(r)
			if v == nil {
				fit.Excluded++
				continue
			}
			if tm.unresolved != nil && tm.unresolved(r) {
				fit.Unresolved++
				continue
			}
			x := math.Log(1 / r.ModelInitScale)
			xs = append(xs, x)
			ys = append(ys, *v)
			fit.points = append(fit.points, fitPoint{x, *v, si})
			seenX[x] = true
		}
	}
	fit.N = len(xs)
	fit.distinctX = len(seenX)
	var ok bool
	fit.Slope, fit.Intercept, fit.R2, ok = fitLine(xs, ys)
	switch {
	case len(rep.ok) == 0:
		fit.Reason = "no ok runs"
	case fit.N == 0 && fit.Unresolved > 0:
		fit.Reason = fmt.Sprintf("every ok run with a %s has it at the first integrator step (%d runs), below the step size's resolution: use train.method = \"flow\" or a smaller train.lr", tm.sym, fit.Unresolved)
	case fit.N == 0:
		fit.Reason = tm.absent
	case !ok:
		fit.Reason = fmt.Sprintf("the %d runs with a %s have %d distinct init scale(s); a line needs two", fit.N, tm.sym, fit.distinctX)
	}
	return fit
}

// text is the fit as one line, the line report.md and the legend share.
func (fit lineFit) text() string {
	r2 := "undefined (" + fit.sym + " constant)"
	if !math.IsNaN(fit.R2) {
		r2 = strconv.FormatFloat(fit.R2, 'f', 4, 64)
	}
	return fmt.Sprintf("%s = %s + %s·ln(1/ε): slope %s, intercept %s, R² = %s",
		fit.sym, g4(fit.Intercept), g4(fit.Slope), g4(fit.Slope), g4(fit.Intercept), r2)
}

// timeFigure plots the metric against ln(1/eps) with the fitted line.
func (rep *reportData) timeFigure(tm timeMetric, fit lineFit) (*figure, string) {
	if fit.Reason != "" {
		return nil, fit.Reason
	}
	p := newPanel(tm.title+" against ln(1/ε)", "ln(1/ε) (natural log of the inverse init scale)", tm.sym+" (gradient-flow time)")
	legend := newLegend()
	for si, s := range rep.series {
		var xy plotter.XYs
		for _, pt := range fit.points {
			if pt.series == si {
				xy = append(xy, plotter.XY{X: pt.x, Y: pt.y})
			}
		}
		if len(xy) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(xy)
		if err != nil {
			continue
		}
		clr, shape := styleOf(si)
		sc.Color, sc.Shape, sc.Radius = clr, shape, vg.Points(3.5)
		p.Add(sc)
		legend.Add(s.label, sc)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, pt := range fit.points {
		lo, hi = math.Min(lo, pt.x), math.Max(hi, pt.x)
	}
	line, err := plotter.NewLine(plotter.XYs{{X: lo, Y: fit.Intercept + fit.Slope*lo}, {X: hi, Y: fit.Intercept + fit.Slope*hi}})
	if err == nil {
		line.Color = color.Black
		line.Width = vg.Points(1.5)
		line.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		p.Add(line)
		legend.Add("least-squares fit", line)
		legend.Add(fmt.Sprintf("  slope %s, intercept %s", g4(fit.Slope), g4(fit.Intercept)))
		r2 := "undefined"
		if !math.IsNaN(fit.R2) {
			r2 = strconv.FormatFloat(fit.R2, 'f', 4, 64)
		}
		legend.Add(fmt.Sprintf("  R² = %s, n = %d", r2, fit.N))
		if fit.Excluded > 0 {
			legend.Add(fmt.Sprintf("  (%d run(s) without %s excluded)", fit.Excluded, tm.sym))
		}
	}
	f := &figure{panels: [][]*plot.Plot{{p}}, legend: legend, width: 10 * vg.Inch, height: 6 * vg.Inch}
	return f, fmt.Sprintf(": %s against ln(1/ε), one point per ok run with a %s (%d; %d without excluded), and the least-squares line.", tm.sym, tm.sym, fit.N, fit.Excluded)
}

// chooseTrajectoryRuns returns the ok runs whose trajectories are drawn.
func (rep *reportData) chooseTrajectoryRuns(ids []string) ([]Row, error) {
	if len(ids) > 0 {
		byID := map[string]Row{}
		for _, r := range rep.ok {
			byID[r.RunID] = r
		}
		var out []Row
		for _, id := range ids {
			r, ok := byID[id]
			if !ok {
				return nil, fmt.Errorf("run %q has no ok row: %w", id, ErrUnknownRun)
			}
			if len(rep.traj[id]) == 0 {
				return nil, fmt.Errorf("run %q has no trajectory rows (was train.checkpoints 0?): %w", id, ErrUnknownRun)
			}
			out = append(out, r)
		}
		return out, nil
	}
	for _, s := range rep.series {
		seed, found := int64(0), false
		for _, r := range s.runs {
			if len(rep.traj[r.RunID]) > 0 && (!found || r.Seed < seed) {
				seed, found = r.Seed, true
			}
		}
		if !found {
			continue
		}
		var out []Row
		var last float64
		for _, r := range s.runs { // sorted by init scale, then seed
			if r.Seed == seed && len(rep.traj[r.RunID]) > 0 && (len(out) == 0 || r.ModelInitScale != last) {
				out = append(out, r)
				last = r.ModelInitScale
			}
		}
		if len(out) > maxTrajectoryRuns {
			spread := make([]Row, maxTrajectoryRuns)
			for i := range spread {
				spread[i] = out[i*(len(out)-1)/(maxTrajectoryRuns-1)]
			}
			out = spread
		}
		return out, nil
	}
	return nil, nil
}

// trajMetric is a nullable float column of TrajectoryRow.
type trajMetric struct {
	name string
	get  func(TrajectoryRow) *float64
}

// trajectoryFigure draws loss, NC1 normalised and the residuals against GF
// time for the chosen runs, with T* marked.
func (rep *reportData) trajectoryFigure(runs []Row) (*figure, string) {
	if rep.nTraj == 0 {
		return nil, "the output has no trajectory rows of ok runs (set train.checkpoints > 0)"
	}
	if len(runs) == 0 {
		return nil, "no ok run has trajectory rows"
	}
	// Label runs by what varies among them.
	seeds, multiSeries := false, false
	for _, r := range runs {
		seeds = seeds || r.Seed != runs[0].Seed
		multiSeries = multiSeries || rep.seriesOf(r) != rep.seriesOf(runs[0])
	}
	var labels, ids []string
	for _, r := range runs {
		parts := []string{"ε=" + g4(r.ModelInitScale)}
		if seeds {
			parts = append(parts, fmt.Sprintf("seed=%d", r.Seed))
		}
		if s := rep.seriesOf(r); multiSeries && s != nil {
			parts = append(parts, s.label)
		}
		labels = append(labels, strings.Join(parts, " "))
		ids = append(ids, fmt.Sprintf("%s (`%s`)", labels[len(labels)-1], r.RunID))
	}
	// GF time axis: log when it spans decades; points at t <= 0 are then
	// left out.
	tLo, tHi := math.Inf(1), math.Inf(-1)
	for _, r := range runs {
		for _, t := range rep.traj[r.RunID] {
			if t.GFTime > 0 {
				tLo, tHi = math.Min(tLo, t.GFTime), math.Max(tHi, t.GFTime)
			}
		}
	}
	xm := axisMap{log: spansDecades(tLo, tHi)}
	xLabel := "gradient-flow time t (summed-loss units)"
	panelsSpec := []struct {
		title, yLabel string
		metrics       []trajMetric
	}{
		{"Training loss", "loss L (sum over training points)", []trajMetric{{"", func(t TrajectoryRow) *float64 { return t.Loss }}}},
		{"NC1 of normalised features", "NC1 normalised (dimensionless)", []trajMetric{{"", func(t TrajectoryRow) *float64 { return t.NC1Norm }}}},
		{"Theory residuals", "relative error (dimensionless)", []trajMetric{
			{"features", func(t TrajectoryRow) *float64 { return t.ResidFeatures }},
			{"V", func(t TrajectoryRow) *float64 { return t.ResidV }},
		}},
	}
	// curve is one metric of one run in data units.
	type curve struct {
		run, metric int
		xy, mark    plotter.XYs
	}
	legend := newLegend()
	var panels []*plot.Plot
	dropped := 0
	for pi, ps := range panelsSpec {
		p := newPanel(ps.title, xLabel, ps.yLabel)
		var curves []curve
		lo, hi := math.Inf(1), math.Inf(-1)
		for ri, r := range runs {
			for mi, m := range ps.metrics {
				c := curve{run: ri, metric: mi}
				for _, t := range rep.traj[r.RunID] {
					v := m.get(t)
					if v == nil {
						continue
					}
					if xm.log && t.GFTime <= 0 {
						if pi == 0 && mi == 0 {
							dropped++
						}
						continue
					}
					c.xy = append(c.xy, plotter.XY{X: t.GFTime, Y: *v})
					if isSeparation(t, r) {
						c.mark = append(c.mark, plotter.XY{X: t.GFTime, Y: *v})
					}
					lo, hi = math.Min(lo, *v), math.Max(hi, *v)
				}
				if len(c.xy) > 0 {
					curves = append(curves, c)
				}
			}
		}
		ym := axisMap{log: spansDecades(lo, hi)}
		mapXY := func(xy plotter.XYs) plotter.XYs {
			out := make(plotter.XYs, len(xy))
			for i, q := range xy {
				out[i] = plotter.XY{X: xm.f(q.X), Y: ym.f(q.Y)}
			}
			return out
		}
		var markers []*plotter.Scatter
		for _, c := range curves {
			clr, _ := styleOf(c.run)
			l, err := plotter.NewLine(mapXY(c.xy))
			if err != nil {
				continue
			}
			l.Color = clr
			l.Width = vg.Points(1.5)
			if c.metric == 1 {
				l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
			}
			p.Add(l)
			if pi == 0 && c.metric == 0 {
				legend.Add(labels[c.run], l)
			}
			if len(c.mark) > 0 {
				if s, err := plotter.NewScatter(mapXY(c.mark)); err == nil {
					s.Color, s.Shape, s.Radius = clr, draw.RingGlyph{}, vg.Points(5)
					markers = append(markers, s)
				}
			}
		}
		for _, s := range markers { // on top of every line
			p.Add(s)
		}
		xm.apply(&p.X)
		ym.apply(&p.Y)
		panels = append(panels, p)
	}
	// Legend entries for the styles shared by every run.
	ring, _ := plotter.NewScatter(plotter.XYs{{}})
	ring.Shape, ring.Radius = draw.RingGlyph{}, vg.Points(5)
	legend.Add("T* (separation)", ring)
	solid, _ := plotter.NewLine(plotter.XYs{{}, {X: 1}})
	legend.Add("residual of features", solid)
	dashed, _ := plotter.NewLine(plotter.XYs{{}, {X: 1}})
	dashed.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	legend.Add("residual of V", dashed)

	f := &figure{panels: [][]*plot.Plot{panels}, legend: legend, width: 16 * vg.Inch, height: 5 * vg.Inch}
	common := ""
	if !multiSeries {
		common = " of " + rep.seriesOf(runs[0]).label
		if !seeds {
			common += fmt.Sprintf(", seed %d", runs[0].Seed)
		}
	}
	why := fmt.Sprintf(": loss, NC1 of normalised features and the theory residuals (features solid, V dashed) against GF time for %d run(s)%s: %s; rings mark T*. Choose others with `ncsweep report --runs id,id`.",
		len(runs), common, strings.Join(ids, ", "))
	if dropped > 0 {
		why += fmt.Sprintf(" %d checkpoint(s) at t = 0 are not on the log time axis.", dropped)
	}
	return f, why
}

// isSeparation reports whether checkpoint t is the run's T* checkpoint.
func isSeparation(t TrajectoryRow, r Row) bool {
	if t.AtSeparation {
		return true
	}
	return r.SeparationStep != nil && t.Step == *r.SeparationStep
}

// seriesOf returns the series holding r.
func (rep *reportData) seriesOf(r Row) *series {
	for _, s := range rep.series {
		for _, o := range s.runs {
			if o.RunID == r.RunID {
				return s
			}
		}
	}
	return nil
}

// g4 formats x with 4 significant digits.
func g4(x float64) string { return strconv.FormatFloat(x, 'g', 4, 64) }

// writeHeader writes the title and the status counts.
func (rep *reportData) writeHeader(md *bytes.Buffer, outDir string) {
	sweeps := map[string]bool{}
	var names []string
	for _, r := range rep.all {
		if !sweeps[r.Sweep] {
			sweeps[r.Sweep] = true
			names = append(names, r.Sweep)
		}
	}
	sort.Strings(names)
	fmt.Fprintf(md, "# ncsweep report: %s\n\n", strings.Join(names, ", "))
	fmt.Fprintf(md, "Output directory `%s`: %d run rows for %d runs; %d trajectory rows of ok runs. "+
		"Figures and means use ok runs only.\n\n", outDir, len(rep.all), rep.nRunIDs, rep.nTraj)
	md.WriteString("## Status\n\n| status | runs |\n|---|---:|\n")
	var st []string
	for s := range rep.statuses {
		st = append(st, s)
	}
	sort.Strings(st)
	for _, s := range st {
		fmt.Fprintf(md, "| %s | %d |\n", s, rep.statuses[s])
	}
	md.WriteString("\n(A run retried after a failure counts once, as ok if any attempt is ok.)\n")
}

// writeTimeFit writes the metric's fit, pooled and per series.
func (rep *reportData) writeTimeFit(md *bytes.Buffer, tm timeMetric, fit lineFit) {
	fmt.Fprintf(md, "\n## %s against ln(1/ε)\n\n", tm.title)
	fmt.Fprintf(md, "%s Least squares over the ok runs with a %s, x = ln(1/ε) (natural log).\n\n", tm.theory, tm.sym)
	if fit.Reason != "" {
		fmt.Fprintf(md, "%s fit: not possible: %s (%d ok run(s) without %s excluded).\n", tm.sym, fit.Reason, fit.Excluded, tm.sym)
		return
	}
	fmt.Fprintf(md, "%s fit: %s (n = %d runs; %d ok run(s) without %s excluded).\n", tm.sym, fit.text(), fit.N, fit.Excluded, tm.sym)
	if fit.Unresolved > 0 {
		fmt.Fprintf(md, "\n%d more run(s) have %s at the first integrator step, below the step size's resolution: left out of the fit (use train.method = \"flow\" or a smaller train.lr to place them).\n", fit.Unresolved, tm.sym)
	}
	if len(rep.series) < 2 {
		return
	}
	md.WriteString("\nPer series:\n\n| series | n | excluded | slope | intercept | R² |\n|---|---:|---:|---:|---:|---:|\n")
	for si, s := range rep.series {
		var xs, ys []float64
		excl := 0
		for _, pt := range fit.points {
			if pt.series == si {
				xs = append(xs, pt.x)
				ys = append(ys, pt.y)
			}
		}
		for _, r := range s.runs {
			if tm.get(r) == nil {
				excl++
			}
		}
		slope, icpt, r2, ok := fitLine(xs, ys)
		if !ok {
			fmt.Fprintf(md, "| %s | %d | %d | – | – | – |\n", s.label, len(xs), excl)
			continue
		}
		r2s := "–"
		if !math.IsNaN(r2) {
			r2s = strconv.FormatFloat(r2, 'f', 4, 64)
		}
		fmt.Fprintf(md, "| %s | %d | %d | %s | %s | %s |\n", s.label, len(xs), excl, g4(slope), g4(icpt), r2s)
	}
}

// meanCell formats the mean of the non-null values of get over runs, with
// the count when some are null.
func meanCell(runs []Row, get func(Row) *float64) string {
	var vals []float64
	for _, r := range runs {
		if v := get(r); v != nil {
			vals = append(vals, *v)
		}
	}
	if len(vals) == 0 {
		return "–"
	}
	m, _, _ := meanMinMax(vals)
	if len(vals) < len(runs) {
		return fmt.Sprintf("%s (%d/%d)", g4(m), len(vals), len(runs))
	}
	return g4(m)
}

// writeMeans writes the table of means by series and init scale.
func (rep *reportData) writeMeans(md *bytes.Buffer) {
	md.WriteString("\n## Means over seeds by series and init scale (ok runs)\n\n")
	if len(rep.ok) == 0 {
		md.WriteString("No ok runs.\n")
		return
	}
	fmt.Fprintf(md, "A cell is the mean over the runs where the value is not null; \"m (k/n)\" when only k of n runs have it.\n\n")
	type col struct {
		name string
		get  func(Row) *float64
	}
	val := func(f func(Row) float64) func(Row) *float64 {
		return func(r Row) *float64 { v := f(r); return &v }
	}
	cols := []col{
		{"loss", func(r Row) *float64 { return r.Loss }},
		{"train acc", func(r Row) *float64 { return r.TrainAcc }},
		{"test acc", func(r Row) *float64 { return r.TestAcc }},
		{"NC1", func(r Row) *float64 { return r.NC1 }},
		{"NC1 norm", func(r Row) *float64 { return r.NC1Norm }},
		{"NC2", func(r Row) *float64 { return r.NC2 }},
		{"NC3", func(r Row) *float64 { return r.NC3 }},
		{"T*", func(r Row) *float64 { return r.SeparationTime }},
		{"separated", val(func(r Row) float64 {
			if r.Separated {
				return 1
			}
			return 0
		})},
		{"dead frac", val(func(r Row) float64 { return r.DeadFrac })},
		{"resid feat", func(r Row) *float64 { return r.ResidFeatures }},
		{"resid V", func(r Row) *float64 { return r.ResidV }},
		{"cos(w,u) mean", func(r Row) *float64 { return r.CosWUMean }},
	}
	md.WriteString("| series | init scale | runs |")
	for _, c := range cols {
		md.WriteString(" " + c.name + " |")
	}
	md.WriteString("\n|---|---:|---:|" + strings.Repeat("---:|", len(cols)) + "\n")
	for _, s := range rep.series {
		for i := 0; i < len(s.runs); {
			j := i
			for j < len(s.runs) && s.runs[j].ModelInitScale == s.runs[i].ModelInitScale {
				j++
			}
			group := s.runs[i:j]
			fmt.Fprintf(md, "| %s | %s | %d |", s.label, g4(s.runs[i].ModelInitScale), len(group))
			for _, c := range cols {
				md.WriteString(" " + meanCell(group, c.get) + " |")
			}
			md.WriteString("\n")
			i = j
		}
	}
	md.WriteString("\n\"separated\" is the fraction of runs whose final weights show inter-class separation.\n")
}

// writeData writes the statistics of each distinct training set.
func (rep *reportData) writeData(md *bytes.Buffer) {
	md.WriteString("\n## Data\n\nOne line per distinct training set (seed and data configuration) among all run rows.\n\n")
	md.WriteString("| seed | kind | K | dim | n train | n test | mu_s | mu_d | viol frac | X_max/X_min | min gamma | Prop. 1 ratio (holds) | PCA raw sq | separable |\n")
	md.WriteString("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|\n")
	const maxLines = 30
	seen := map[string]bool{}
	lines, more := 0, 0
	opt := func(p *float64) string {
		if p == nil {
			return "–"
		}
		return g4(*p)
	}
	for _, r := range rep.all {
		if r.NTrain == 0 {
			continue // no dataset (it could not be built)
		}
		key := fmt.Sprintf("%d\x00%s\x00%d\x00%d\x00%d\x00%d\x00%v\x00%v\x00%s\x00%s\x00%v\x00%s\x00%s",
			r.Seed, r.DataKind, r.DataClasses, r.DataPerClass, r.DataTestPerClass, r.DataDim, r.DataNoise,
			r.DataNormSpread, r.DataDigits, r.DataPath, r.DataCenter, r.DataTestPath, r.DataLabelColumn)
		if seen[key] {
			continue
		}
		seen[key] = true
		if lines == maxLines {
			more++
			continue
		}
		lines++
		prop1 := opt(r.Prop1Ratio)
		if r.Prop1Ratio != nil {
			prop1 += fmt.Sprintf(" (%v)", r.Prop1Holds)
		}
		fmt.Fprintf(md, "| %d | %s | %d | %d | %d | %d | %s | %s | %s | %s | %s | %s | %s | %v |\n",
			r.Seed, r.DataKind, r.DataClasses, r.DataDim, r.NTrain, r.NTest, g4(r.MuS), g4(r.MuD), g4(r.ViolFrac),
			g4(r.XMaxOverMin), opt(r.MinGamma), prop1, opt(r.PCARawSq), r.Separable)
	}
	if more > 0 {
		fmt.Fprintf(md, "\n(%d more training sets not shown.)\n", more)
	}
	if lines == 0 {
		md.WriteString("\nNo run row has data statistics.\n")
	}
}
