package core

import (
	"math"
	"strings"
	"testing"
)

func initTestSpec(init, loss string, k, width int, eps float64) Spec {
	return Spec{
		Seed:  7,
		Data:  DataSpec{Kind: "synthetic", Classes: k, PerClass: 10, Dim: 12},
		Model: ModelSpec{Width: width, Init: init, InitScale: eps},
		Train: TrainSpec{Loss: loss, Method: "gd", LR: 0.01, Time: 1},
	}
}

// TestInitializeGaussianBalanced checks Assumption 2: |w_j| = |v_j| = eps,
// and for one output alternating signs so N_+ and N_- are both non-empty.
func TestInitializeGaussianBalanced(t *testing.T) {
	const eps = 0.03
	for _, c := range []struct {
		loss string
		k    int
	}{{"exp", 2}, {"ce", 3}} {
		spec := initTestSpec("gaussian", c.loss, c.k, 9, eps)
		net, err := Initialize(spec, 12, c.k)
		if err != nil {
			t.Fatal(err)
		}
		if net.D != 12 || net.H != 9 || net.Out != spec.Outputs() {
			t.Fatalf("shape %d x %d x %d", net.D, net.H, net.Out)
		}
		for j := 0; j < net.H; j++ {
			w, v := neuronSq(net, j)
			if trainRelErr(math.Sqrt(w), eps) > 1e-14 || trainRelErr(math.Sqrt(v), eps) > 1e-14 {
				t.Errorf("%s neuron %d: |w| = %v, |v| = %v, want %v", c.loss, j, math.Sqrt(w), math.Sqrt(v), eps)
			}
			if net.Out == 1 {
				want := eps
				if j%2 == 1 {
					want = -eps
				}
				if net.V[j] != want {
					t.Errorf("v_%d = %v, want %v", j, net.V[j], want)
				}
			}
		}
	}
}

// TestInitializeShapeIndependentOfScale: runs that differ only in eps start
// from proportional weights (bit-exact for power-of-two scales).
func TestInitializeShapeIndependentOfScale(t *testing.T) {
	for _, init := range []string{"gaussian", "paper"} {
		a, err := Initialize(initTestSpec(init, "ce", 3, 6, 1), 12, 3)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Initialize(initTestSpec(init, "ce", 3, 6, 1.0/1024), 12, 3)
		c, _ := Initialize(initTestSpec(init, "ce", 3, 6, 0.3), 12, 3)
		for _, p := range [][2][]float64{{a.W, b.W}, {a.V, b.V}} {
			for i := range p[0] {
				if p[0][i]/1024 != p[1][i] {
					t.Fatalf("%s: entry %d: %v at eps 1, %v at eps 2^-10", init, i, p[0][i], p[1][i])
				}
			}
		}
		for i := range a.W {
			if trainRelErr(c.W[i], 0.3*a.W[i]) > 1e-15 {
				t.Fatalf("%s: W[%d] not proportional: %v vs %v", init, i, c.W[i], 0.3*a.W[i])
			}
		}
		// A different seed gives a different shape.
		s := initTestSpec(init, "ce", 3, 6, 1)
		s.Seed = 8
		d, _ := Initialize(s, 12, 3)
		if d.W[0] == a.W[0] && d.W[1] == a.W[1] {
			t.Errorf("%s: seed does not change the shape", init)
		}
	}
}

// TestInitializePaper checks that "paper" entries look like iid
// N(0, eps^2) (sample mean and variance of 5000+ entries) and are not
// balanced.
func TestInitializePaper(t *testing.T) {
	const eps = 1e-3
	net, err := Initialize(initTestSpec("paper", "exp", 2, 100, eps), 50, 2)
	if err != nil {
		t.Fatal(err)
	}
	all := append(append([]float64(nil), net.W...), net.V...)
	var mean, sq float64
	for _, x := range all {
		mean += x / eps
		sq += (x / eps) * (x / eps)
	}
	n := float64(len(all))
	mean /= n
	variance := sq/n - mean*mean
	// Standard errors: 1/sqrt(n) ~ 0.014 for the mean, sqrt(2/n) ~ 0.02 for the variance.
	if math.Abs(mean) > 0.06 || math.Abs(variance-1) > 0.08 {
		t.Errorf("entries/eps: mean %v, variance %v, want 0 and 1", mean, variance)
	}
	unbalanced := false
	for j := 0; j < net.H; j++ {
		w, v := neuronSq(net, j)
		if math.Abs(math.Sqrt(w)-math.Sqrt(v)) > 0.1*eps {
			unbalanced = true
		}
	}
	if !unbalanced {
		t.Error("paper init is balanced")
	}
}

func TestInitializeErrors(t *testing.T) {
	for _, c := range []struct {
		spec Spec
		want string
	}{
		{initTestSpec("xavier", "exp", 2, 4, 1), "unknown model.init"},
		{initTestSpec("gaussian", "exp", 2, 4, 0), "init_scale"},
		{initTestSpec("gaussian", "exp", 2, 4, math.Inf(1)), "init_scale"},
		{initTestSpec("gaussian", "exp", 2, 4, math.NaN()), "init_scale"},
		{initTestSpec("gaussian", "exp", 2, 0, 1), "width"},
	} {
		_, err := Initialize(c.spec, 12, 2)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one mentioning %q", c.spec.Model, err, c.want)
		}
	}
}
