package core

import (
	"math"
	"strings"
	"testing"
)

func pairDot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func pairCos(a, b []float64) float64 { return pairDot(a, b) / math.Sqrt(pairDot(a, a)*pairDot(b, b)) }

// TestSyntheticGuarantee checks the generator's promise on every pair of
// generated points (train and test together): same-class cosines >=
// (1-rho^2)/(1+rho^2) and cross-class cosines <= (-1/(K-1)+rho^2)/(1+rho^2),
// norms within [1, NormSpread sqrt(1+rho^2)], labels class by class.
func TestSyntheticGuarantee(t *testing.T) {
	for _, c := range []struct {
		k, d   int
		noise  float64
		spread float64
	}{
		{2, 3, 0.95, 10}, {2, 40, 0.5, 1}, {3, 4, 0.9, 5}, {5, 6, 0.99, 2}, {4, 30, 0.7, 100},
	} {
		spec := DataSpec{Classes: c.k, Dim: c.d, PerClass: 40, TestPerClass: 7, Noise: c.noise, NormSpread: c.spread}
		ds, err := Synthetic(spec, 42)
		if err != nil {
			t.Fatal(err)
		}
		if ds.K != c.k || ds.Train.N != 40*c.k || ds.Test.N != 7*c.k || ds.Train.D != c.d || len(ds.Train.X) != 40*c.k*c.d {
			t.Fatalf("K=%d D=%d: shapes K=%d train %dx%d test %d", c.k, c.d, ds.K, ds.Train.N, ds.Train.D, ds.Test.N)
		}
		rho := c.noise / math.Sqrt(float64(c.k-1))
		sameBound := (1 - rho*rho) / (1 + rho*rho)
		crossBound := (-1/float64(c.k-1) + rho*rho) / (1 + rho*rho)
		var xs [][]float64
		var ys []int
		for _, s := range []*Split{&ds.Train, &ds.Test} {
			per := s.N / c.k
			for i := 0; i < s.N; i++ {
				if s.Y[i] != i/per {
					t.Fatalf("point %d has label %d, want %d (class by class)", i, s.Y[i], i/per)
				}
				xs = append(xs, s.Row(i))
				ys = append(ys, s.Y[i])
			}
		}
		minSame, maxCross := 2.0, -2.0
		for i := range xs {
			nrm := math.Sqrt(pairDot(xs[i], xs[i]))
			if nrm < 1-1e-12 || nrm > c.spread*math.Sqrt(1+rho*rho)+1e-12 {
				t.Fatalf("K=%d: |x_%d| = %v outside [1, %v]", c.k, i, nrm, c.spread*math.Sqrt(1+rho*rho))
			}
			for j := i + 1; j < len(xs); j++ {
				cs := pairCos(xs[i], xs[j])
				if ys[i] == ys[j] {
					minSame = math.Min(minSame, cs)
				} else {
					maxCross = math.Max(maxCross, cs)
				}
			}
		}
		if minSame < sameBound-1e-12 || maxCross > crossBound+1e-12 {
			t.Errorf("K=%d D=%d noise=%v: min same cos %v (bound %v), max cross cos %v (bound %v)",
				c.k, c.d, c.noise, minSame, sameBound, maxCross, crossBound)
		}
		if maxCross >= 0 || minSame <= 0 {
			t.Errorf("K=%d: not orthogonally separable", c.k)
		}
	}
}

// TestSyntheticGeometry: with no noise and no spread every point is its
// class centre, so the centres can be read off and checked to be a unit
// simplex; then with noise (same seed, hence same centres, since the centres
// are drawn first) x - c_k must be orthogonal to every centre with length
// below rho.
func TestSyntheticGeometry(t *testing.T) {
	for _, k := range []int{2, 3, 6} {
		d := k + 3
		clean, err := Synthetic(DataSpec{Classes: k, Dim: d, PerClass: 3, Noise: 0, NormSpread: 1}, 7)
		if err != nil {
			t.Fatal(err)
		}
		centres := make([][]float64, k)
		for c := range centres {
			centres[c] = clean.Train.Row(3 * c)
			for p := 1; p < 3; p++ {
				for j, v := range clean.Train.Row(3*c + p) {
					if v != centres[c][j] {
						t.Fatalf("K=%d: noise-free points of class %d differ", k, c)
					}
				}
			}
		}
		for a := 0; a < k; a++ {
			if nrm := pairDot(centres[a], centres[a]); math.Abs(nrm-1) > 1e-12 {
				t.Errorf("K=%d: |c_%d|^2 = %v, want 1", k, a, nrm)
			}
			for b := a + 1; b < k; b++ {
				if cs := pairDot(centres[a], centres[b]); math.Abs(cs+1/float64(k-1)) > 1e-12 {
					t.Errorf("K=%d: <c_%d, c_%d> = %v, want %v", k, a, b, cs, -1/float64(k-1))
				}
			}
		}
		noisy, err := Synthetic(DataSpec{Classes: k, Dim: d, PerClass: 20, Noise: 0.8, NormSpread: 1}, 7)
		if err != nil {
			t.Fatal(err)
		}
		rho := 0.8 / math.Sqrt(float64(k-1))
		r := make([]float64, d)
		longest := 0.0
		for i := 0; i < noisy.Train.N; i++ {
			c := noisy.Train.Y[i]
			for j, v := range noisy.Train.Row(i) {
				r[j] = v - centres[c][j]
			}
			longest = math.Max(longest, math.Sqrt(pairDot(r, r)))
			for b := 0; b < k; b++ {
				if p := pairDot(r, centres[b]); math.Abs(p) > 1e-12 {
					t.Fatalf("K=%d point %d: <r, c_%d> = %v, want 0", k, i, b, p)
				}
			}
		}
		if longest >= rho || longest < 0.5*rho {
			t.Errorf("K=%d: longest noise %v, want in [rho/2, rho) with rho = %v", k, longest, rho)
		}
	}
}

func TestSyntheticDeterminism(t *testing.T) {
	spec := DataSpec{Classes: 3, Dim: 10, PerClass: 5, TestPerClass: 2, Noise: 0.5, NormSpread: 3}
	a, _ := Synthetic(spec, 1)
	b, _ := Synthetic(spec, 1)
	c, _ := Synthetic(spec, 2)
	same := func(x, y []float64) bool {
		for i := range x {
			if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
				return false
			}
		}
		return len(x) == len(y)
	}
	if !same(a.Train.X, b.Train.X) || !same(a.Test.X, b.Test.X) {
		t.Error("same seed gave different data")
	}
	if same(a.Train.X, c.Train.X) || same(a.Test.X, c.Test.X) {
		t.Error("different seeds gave identical data")
	}
	// The training split does not depend on TestPerClass.
	spec.TestPerClass = 0
	d, _ := Synthetic(spec, 1)
	if !same(a.Train.X, d.Train.X) || d.Test.N != 0 || len(d.Test.X) != 0 {
		t.Error("TestPerClass changed the training split or test split not empty")
	}
}

func TestSyntheticErrors(t *testing.T) {
	base := DataSpec{Classes: 3, Dim: 5, PerClass: 5, Noise: 0.5, NormSpread: 2}
	for _, c := range []struct {
		edit func(*DataSpec)
		want string
	}{
		{func(s *DataSpec) { s.Dim = 3 }, "data.dim = 3"},
		{func(s *DataSpec) { s.Classes = 1 }, "data.classes = 1"},
		{func(s *DataSpec) { s.Noise = 1 }, "data.noise = 1"},
		{func(s *DataSpec) { s.Noise = -0.1 }, "data.noise = -0.1"},
		{func(s *DataSpec) { s.Noise = math.NaN() }, "data.noise = NaN"},
		{func(s *DataSpec) { s.NormSpread = 0.5 }, "data.norm_spread = 0.5"},
		{func(s *DataSpec) { s.NormSpread = 0 }, "data.norm_spread = 0"},
		{func(s *DataSpec) { s.PerClass = 0 }, "data.per_class = 0"},
		{func(s *DataSpec) { s.TestPerClass = -1 }, "data.test_per_class = -1"},
	} {
		spec := base
		c.edit(&spec)
		_, err := Synthetic(spec, 1)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want error containing %q, got %v", c.want, err)
		}
	}
	if _, err := Synthetic(base, 1); err != nil {
		t.Errorf("valid spec: %v", err)
	}
}
