package core

import (
	"math"
	"testing"
)

func trainRelErr(got, want float64) float64 {
	if got == want {
		return 0
	}
	return math.Abs(got-want) / math.Max(math.Abs(want), math.SmallestNonzeroFloat64)
}

// TestLossExtremeMargins checks loss values and gradients against
// closed forms, in the tails where naive formulas round to 0 or overflow.
func TestLossExtremeMargins(t *testing.T) {
	e40, e50 := math.Exp(-40), math.Exp(-50)
	cases := []struct {
		name     string
		kind     string
		f        []float64
		y        []int
		out      int
		loss     float64
		grad     []float64 // scale 1
		tol      float64
		infinite bool
	}{
		// Binary: class 0 is y = +1, class 1 is y = -1; margin = y f.
		{name: "logistic margin 50", kind: "logistic", f: []float64{50}, y: []int{0}, out: 1,
			loss: 2 * e50, grad: []float64{-2 * e50 / (1 + e50)}, tol: 1e-12},
		{name: "logistic margin 50 class 1", kind: "logistic", f: []float64{-50}, y: []int{1}, out: 1,
			loss: 2 * e50, grad: []float64{2 * e50 / (1 + e50)}, tol: 1e-12},
		{name: "logistic margin 0", kind: "logistic", f: []float64{0}, y: []int{1}, out: 1,
			loss: 2 * math.Ln2, grad: []float64{1}, tol: 1e-15},
		{name: "logistic margin -50", kind: "logistic", f: []float64{-50}, y: []int{0}, out: 1,
			loss: 100, grad: []float64{-2 / (1 + e50)}, tol: 1e-15},
		{name: "logistic margin -800 stays finite", kind: "logistic", f: []float64{800}, y: []int{1}, out: 1,
			loss: 1600, grad: []float64{2}, tol: 1e-15},
		{name: "exp margin 3", kind: "exp", f: []float64{-3}, y: []int{1}, out: 1,
			loss: math.Exp(-3), grad: []float64{math.Exp(-3)}, tol: 1e-15},
		{name: "exp margin 700", kind: "exp", f: []float64{700}, y: []int{0}, out: 1,
			loss: math.Exp(-700), grad: []float64{-math.Exp(-700)}, tol: 1e-15},
		{name: "exp margin -800 overflows", kind: "exp", f: []float64{-800}, y: []int{0}, out: 1, infinite: true},
		// Cross-entropy, loss = logsumexp(f) - f_y.
		{name: "ce margin 40", kind: "ce", f: []float64{40, 0, 0}, y: []int{0}, out: 3,
			loss: 2 * e40, // log1p(2e^-40) = 2e^-40 (1 - e^-40 + ...)
			grad: []float64{-2 * e40 / (1 + 2*e40), e40 / (1 + 2*e40), e40 / (1 + 2*e40)}, tol: 1e-12},
		{name: "ce margin 800", kind: "ce", f: []float64{0, 800}, y: []int{1}, out: 2,
			loss: 0, grad: []float64{0, 0}, tol: 0}, // exp(-800) underflows: 0 is the exact asymptote
		{name: "ce margin -800", kind: "ce", f: []float64{0, 800}, y: []int{0}, out: 2,
			loss: 800, grad: []float64{-1, 1}, tol: 1e-15},
		{name: "ce not max", kind: "ce", f: []float64{0, 3, 1}, y: []int{0}, out: 3,
			loss: math.Log(1 + math.Exp(3) + math.E),
			grad: []float64{
				1/(1+math.Exp(3)+math.E) - 1,
				math.Exp(3) / (1 + math.Exp(3) + math.E),
				math.E / (1 + math.Exp(3) + math.E)}, tol: 1e-14},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fn, err := lossFor(c.kind)
			if err != nil {
				t.Fatal(err)
			}
			g := make([]float64, len(c.f))
			l := fn(c.f, c.y, c.out, 1, g)
			if c.infinite {
				if !math.IsInf(l, 1) {
					t.Fatalf("loss %v, want +Inf", l)
				}
				return
			}
			if trainRelErr(l, c.loss) > c.tol || math.IsNaN(l) {
				t.Errorf("loss %.17g, want %.17g", l, c.loss)
			}
			for k := range g {
				if trainRelErr(g[k], c.grad[k]) > math.Max(c.tol, 1e-15) || math.IsNaN(g[k]) {
					t.Errorf("grad[%d] %.17g, want %.17g", k, g[k], c.grad[k])
				}
			}
			// The scale multiplies the gradient only; a nil g is allowed.
			g2 := make([]float64, len(c.f))
			if l2 := fn(c.f, c.y, c.out, 0.25, g2); l2 != l {
				t.Errorf("scaled call changed the loss: %v vs %v", l2, l)
			}
			for k := range g2 {
				if g2[k] != 0.25*g[k] {
					t.Errorf("scaled grad[%d] = %v, want %v", k, g2[k], 0.25*g[k])
				}
			}
			if l3 := fn(c.f, c.y, c.out, 1, nil); l3 != l {
				t.Errorf("loss without gradient %v, want %v", l3, l)
			}
		})
	}
}

// TestLossGradientFD checks each loss's dl/df against central differences
// of the loss itself on random outputs, including a batch of several rows.
func TestLossGradientFD(t *testing.T) {
	f := []float64{0.3, -1.2, 2.1, 0.05, -0.7, 1.4}
	for _, c := range []struct {
		kind string
		out  int
		y    []int
	}{
		{"exp", 1, []int{0, 1, 1, 0, 1, 0}},
		{"logistic", 1, []int{0, 1, 1, 0, 1, 0}},
		{"ce", 2, []int{1, 0, 0}},
		{"ce", 3, []int{2, 0}},
	} {
		fn, _ := lossFor(c.kind)
		g := make([]float64, len(f))
		fn(f, c.y, c.out, 1, g)
		for k := range f {
			const h = 1e-6
			fp := append([]float64(nil), f...)
			fm := append([]float64(nil), f...)
			fp[k] += h
			fm[k] -= h
			fd := (fn(fp, c.y, c.out, 1, nil) - fn(fm, c.y, c.out, 1, nil)) / (2 * h)
			if math.Abs(fd-g[k]) > 1e-8*math.Max(1, math.Abs(g[k])) {
				t.Errorf("%s out=%d: grad[%d] = %.12g, finite difference %.12g", c.kind, c.out, k, g[k], fd)
			}
		}
	}
	if _, err := lossFor("hinge"); err == nil {
		t.Error("unknown loss accepted")
	}
}
