package results

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// pngDPI is the resolution of the PNG figures: sharp on a screen, small on
// disk.
const pngDPI = 150

// figure is a grid of panels (nil panels are left blank) with an optional
// legend drawn in its own column to the right of the grid, so that it never
// hides data.
type figure struct {
	panels        [][]*plot.Plot
	legend        *plot.Legend
	width, height vg.Length
}

// legendWidth is the width of the legend column: the widest entry plus
// margins.
func (f figure) legendWidth() vg.Length {
	if f.legend == nil {
		return 0
	}
	r := f.legend.Rectangle(draw.Canvas{})
	return r.Max.X - r.Min.X + 6*vg.Millimeter
}

// draw lays the figure out on c.
func (f figure) draw(c vg.CanvasSizer) {
	dc := draw.New(c)
	lw := f.legendWidth()
	grid := dc
	if f.legend != nil {
		grid = draw.Crop(dc, 0, -lw, 0, 0)
		w := dc.Max.X - dc.Min.X
		f.legend.Draw(draw.Crop(dc, w-lw+2*vg.Millimeter, -2*vg.Millimeter, 0, -8*vg.Millimeter))
	}
	rows := len(f.panels)
	cols := len(f.panels[0])
	tiles := draw.Tiles{
		Rows: rows, Cols: cols,
		PadX: 6 * vg.Millimeter, PadY: 6 * vg.Millimeter,
		PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter,
		PadLeft: 2 * vg.Millimeter, PadRight: 2 * vg.Millimeter,
	}
	// Each panel lays itself out in its tile. (plot.Align, which lines up
	// the data areas, misplaces titles when a panel has error bars on a
	// log axis.)
	for i := range f.panels {
		for j, p := range f.panels[i] {
			if p != nil {
				p.Draw(tiles.At(grid, j, i))
			}
		}
	}
}

// save writes the figure as dir/base.png and dir/base.svg and returns their
// paths.
func (f figure) save(dir, base string) ([]string, error) {
	img := vgimg.NewWith(vgimg.UseWH(f.width, f.height), vgimg.UseDPI(pngDPI))
	f.draw(img)
	svg := vgsvg.New(f.width, f.height)
	f.draw(svg)
	var paths []string
	for _, out := range []struct {
		ext string
		w   io.WriterTo
	}{{"png", vgimg.PngCanvas{Canvas: img}}, {"svg", svg}} {
		p := filepath.Join(dir, base+"."+out.ext)
		if err := writeFile(p, out.w); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// writeFile writes a file through a temporary name and a rename, so that a
// crash never leaves a truncated figure under its final name.
func writeFile(path string, w io.WriterTo) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("results: report: create %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := w.WriteTo(f); err != nil {
		return fmt.Errorf("results: report: write %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("results: report: chmod %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("results: report: close %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("results: report: rename to %s: %w", path, err)
	}
	return nil
}

// newPanel returns a plot with a title, axis labels and a light grid.
func newPanel(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	g := plotter.NewGrid()
	g.Vertical.Color = color.Gray{Y: 225}
	g.Horizontal.Color = color.Gray{Y: 225}
	p.Add(g)
	return p
}

// spansDecades reports whether positive data from lo to hi covers at least
// a factor of 10, the point at which a log axis reads better than a linear
// one (and LogTicks labels at least one power of ten inside the range).
func spansDecades(lo, hi float64) bool {
	return lo > 0 && hi >= 10*lo && !math.IsInf(hi, 0)
}

// axisMap maps data values to plot coordinates along one axis: the
// identity for a linear axis, log10 for a log axis. Log axes are drawn this
// way, as a linear axis over log10 values with tick labels in data units,
// rather than with plot.LogScale, whose layout centres the axis label at
// the arithmetic mean of the range (near the top on a log axis) and then
// pads the panel to make room for it.
type axisMap struct{ log bool }

// f maps a data value (positive on a log axis) to a plot coordinate.
func (m axisMap) f(v float64) float64 {
	if m.log {
		return math.Log10(v)
	}
	return v
}

// apply sets the axis' ticks and notes the scale in its label.
func (m axisMap) apply(a *plot.Axis) {
	if m.log {
		a.Tick.Marker = log10Ticks{}
		a.Label.Text += ", log scale"
	}
}

// log10Ticks marks an axis whose coordinates are log10 of the data:
// labelled powers of ten (every other one, or sparser, beyond 7 decades),
// also labelled 2 and 5 multiples when the range is under 2 decades, and
// unlabelled minor ticks at the other multiples. Labels are the shortest
// decimal of m*10^k ("0.001", "2e-05"), never a float artefact such as
// 9.999999999999999e-05 (which plot.LogTicks prints).
type log10Ticks struct{}

// Ticks implements plot.Ticker; lo and hi are log10 values.
func (log10Ticks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return nil
	}
	k0 := int(math.Floor(lo))
	k1 := int(math.Ceil(hi))
	// Label every this many decades: all up to 7 decades, then sparser,
	// anchored at 10^0 so that 1 is always a label when in range.
	every := 1 + (int(math.Ceil(hi-lo-1e-9))-1)/7
	var ticks []plot.Tick
	for k := k0; k <= k1; k++ {
		for m := 1; m <= 9; m++ {
			v, _ := strconv.ParseFloat(fmt.Sprintf("%de%d", m, k), 64)
			lv := math.Log10(v)
			if lv < lo-1e-12 || lv > hi+1e-12 {
				continue
			}
			t := plot.Tick{Value: lv}
			if (m == 1 && k%every == 0) || (hi-lo < 2 && (m == 2 || m == 5)) {
				t.Label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// styleOf is the colour and marker of series i.
func styleOf(i int) (color.Color, draw.GlyphDrawer) {
	return plotutil.Color(i), plotutil.Shape(i)
}

// newLegend returns a legend for a legend column: icons on the left, entries
// from the top.
func newLegend() *plot.Legend {
	l := plot.NewLegend()
	l.Left = true
	l.Top = true
	l.TextStyle.Font = font.From(plot.DefaultFont, 11)
	l.Padding = vg.Millimeter
	return &l
}

// errPoints are points with asymmetric vertical error bars, for
// plotter.NewYErrorBars.
type errPoints struct {
	plotter.XYs
	plotter.YErrors
}

// meanMinMax returns the mean, min and max of xs (len(xs) > 0).
func meanMinMax(xs []float64) (mean, lo, hi float64) {
	lo, hi = xs[0], xs[0]
	var s float64
	for _, x := range xs {
		s += x
		lo = math.Min(lo, x)
		hi = math.Max(hi, x)
	}
	return s / float64(len(xs)), lo, hi
}
