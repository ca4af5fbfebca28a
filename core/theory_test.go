package core

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// theoryDataset is a Dataset over the given rows and labels.
func theoryDataset(k, d int, rows [][]float64, y []int) *Dataset {
	s := Split{N: len(rows), D: d, Y: y}
	for _, r := range rows {
		s.X = append(s.X, r...)
	}
	return &Dataset{K: k, Train: s}
}

func TestComputeTheoryHand(t *testing.T) {
	// Class 0: (1,1), (1,-1): gamma = 1, u = (1,0). Class 1: (-2,0), (-3,1):
	// the segment's nearest point to 0 is its end (-2,0): gamma = 2,
	// u = (-1,0). s_0 = sqrt(1/(2 (1 + 1/2))) = sqrt(1/3), s_1 = sqrt(1/6).
	ds := theoryDataset(2, 2, [][]float64{{-2, 0}, {1, 1}, {-3, 1}, {1, -1}}, []int{1, 0, 1, 0})
	th, notes := ComputeTheory(ds)
	if th == nil {
		t.Fatalf("no theory: %v", notes)
	}
	if len(notes) != 0 {
		t.Errorf("notes = %v, want none", notes)
	}
	want := []struct {
		gamma, s float64
		u        []float64
	}{{1, math.Sqrt(1.0 / 3), []float64{1, 0}}, {2, math.Sqrt(1.0 / 6), []float64{-1, 0}}}
	for c, w := range want {
		if math.Abs(th.Gamma[c]-w.gamma) > 1e-14 || math.Abs(th.S[c]-w.s) > 1e-14 ||
			math.Abs(th.U[c][0]-w.u[0]) > 1e-14 || math.Abs(th.U[c][1]-w.u[1]) > 1e-14 {
			t.Errorf("class %d: gamma %v s %v u %v, want %v %v %v", c, th.Gamma[c], th.S[c], th.U[c], w.gamma, w.s, w.u)
		}
	}
}

func TestComputeTheoryNoMargin(t *testing.T) {
	// Class 1's hull, the segment from (-1,0) to (1,0)... contains 0; class 2
	// has no points.
	ds := theoryDataset(3, 2, [][]float64{{1, 1}, {1, 0}, {-1, 0}}, []int{0, 1, 1})
	th, notes := ComputeTheory(ds)
	if th != nil {
		t.Fatalf("theory = %+v, want nil", th)
	}
	if len(notes) != 2 || !strings.Contains(notes[0], "class 1") || !strings.Contains(notes[0], "contains the origin") ||
		!strings.Contains(notes[1], "class 2 has no training points") {
		t.Errorf("notes = %q", notes)
	}
}

func TestProp1(t *testing.T) {
	cases := []struct {
		st    DataStats
		k     int
		ratio float64 // 0: nil
		holds bool
	}{
		{DataStats{MuS: 0.5, MuD: 0.25, XMaxOverMin: 2}, 3, 32, false}, // 4 / 0.125
		{DataStats{MuS: 1, MuD: 0.5, XMaxOverMin: 1}, 3, 2, true},      // 2 < 3
		{DataStats{MuS: 0.8, MuD: 0.5, XMaxOverMin: 1.5}, 5, 5.625, true},
		{DataStats{MuS: 1, MuD: 1, XMaxOverMin: 1}, 2, 1, false}, // K = 2: 1 < 1 fails
		{DataStats{MuS: -0.1, MuD: 0.5, XMaxOverMin: 1}, 3, 0, false},
		{DataStats{MuS: 0.5, MuD: 0, XMaxOverMin: 1}, 3, 0, false},
	}
	for i, c := range cases {
		r, holds := prop1(c.st, c.k)
		switch {
		case c.ratio == 0 && r != nil:
			t.Errorf("case %d: ratio %v, want nil", i, *r)
		case c.ratio != 0 && (r == nil || math.Abs(*r-c.ratio) > 1e-12*c.ratio):
			t.Errorf("case %d: ratio %v, want %v", i, r, c.ratio)
		case holds != c.holds:
			t.Errorf("case %d: holds %v, want %v", i, holds, c.holds)
		}
	}
}

func TestPrepareDatasetTheory(t *testing.T) {
	spec := Spec{Seed: 4, Data: DataSpec{Kind: "synthetic", Classes: 3, PerClass: 15, Dim: 8, Noise: 0.3, NormSpread: 1.5}}
	ds, err := PrepareDataset(spec)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Theory == nil {
		t.Fatalf("no theory: %v", ds.Notes)
	}
	for c := 0; c < 3; c++ {
		var x []float64
		for i, y := range ds.Train.Y {
			if y == c {
				x = append(x, ds.Train.Row(i)...)
			}
		}
		g, _, err := MaxMargin(x, len(x)/8, 8)
		if err != nil || g != ds.Theory.Gamma[c] {
			t.Errorf("class %d: gamma %v, MaxMargin of the class %v (%v)", c, ds.Theory.Gamma[c], g, err)
		}
	}
	st := ds.Stats
	if st.Prop1Ratio == nil {
		t.Fatalf("Prop1Ratio nil with mu_s %v mu_d %v", st.MuS, st.MuD)
	}
	want := st.XMaxOverMin * st.XMaxOverMin / (st.MuS * st.MuD)
	if math.Abs(*st.Prop1Ratio-want) > 1e-12*want || st.Prop1Holds != (want < 3) {
		t.Errorf("Prop1Ratio %v holds %v, want %v", *st.Prop1Ratio, st.Prop1Holds, want)
	}
}

// limitNetwork builds the theory's limit thetabar (Theorem 1) for ds and
// th, times scale: group k (sizes[k] consecutive neurons) has
// W_k = s_k u_k g_k^T and V_k = s_k etilde_k g_k^T (binary, out = 1:
// +-s_k g_k^T) with g_k a random unit positive vector; extra neurons at
// the end are zero.
func limitNetwork(ds *Dataset, th *Theory, out int, sizes []int, extra int, scale float64, rng *rand.Rand) *Network {
	k, d := ds.K, ds.Train.D
	h := extra
	for _, s := range sizes {
		h += s
	}
	net := NewNetwork(d, h, out)
	j := 0
	for c := 0; c < k; c++ {
		g := make([]float64, sizes[c])
		for i := range g {
			g[i] = 0.2 + rng.Float64()
		}
		gn := vecNorm(g)
		for _, gi := range g {
			gi *= scale / gn
			for p := 0; p < d; p++ {
				net.W[p*h+j] = th.S[c] * th.U[c][p] * gi
			}
			if out == 1 {
				net.V[j] = binarySign(c) * th.S[c] * gi
			} else {
				for o := 0; o < out; o++ {
					net.V[o*h+j] = th.S[c] * etildeEntry(o, c, k) * gi
				}
			}
			j++
		}
	}
	return net
}

func wantNear(t *testing.T, name string, p *float64, x, tol float64) {
	t.Helper()
	if p == nil {
		t.Errorf("%s = nil, want %v", name, x)
	} else if math.Abs(*p-x) > tol {
		t.Errorf("%s = %.17g, want %.17g (+- %g)", name, *p, x, tol)
	}
}

func TestMeasureTheoryAtLimit(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct {
		k, out int
		sizes  []int
	}{{2, 1, []int{3, 2}}, {3, 3, []int{2, 3, 1}}, {2, 2, []int{1, 2}}, {4, 4, []int{2, 1, 1, 3}}} {
		spec := Spec{Seed: int64(c.k), Data: DataSpec{Kind: "synthetic", Classes: c.k, PerClass: 12, Dim: 9, Noise: 0.6, NormSpread: 3}}
		ds, err := PrepareDataset(spec)
		if err != nil {
			t.Fatal(err)
		}
		th := ds.Theory
		if th == nil {
			t.Fatalf("K=%d: no theory: %v", c.k, ds.Notes)
		}
		net := limitNetwork(ds, th, c.out, c.sizes, 1, 7.5, rng)
		var m Metrics
		notes := MeasureTheory(net, ds, th, &m)
		if len(notes) != 0 {
			t.Errorf("K=%d out=%d: notes %v", c.k, c.out, notes)
		}
		for g, s := range c.sizes {
			if m.GroupSizes[g] != s {
				t.Errorf("K=%d out=%d: GroupSizes %v, want %v (+ one zero neuron in none)", c.k, c.out, m.GroupSizes, c.sizes)
				break
			}
		}
		wantNear(t, "ResidFeatures", m.ResidFeatures, 0, 1e-13)
		wantNear(t, "ResidV", m.ResidV, 0, 1e-13)
		wantNear(t, "CosWUMin", m.CosWUMin, 1, 1e-13)
		wantNear(t, "CosWUMean", m.CosWUMean, 1, 1e-13)

		// V scaled by a = 2: |theta| = sqrt((1 + a^2)/2) times the scale, so
		// the normalised features shrink by 1/sqrt(2.5) and the normalised V
		// grows by 2/sqrt(2.5), with directions unchanged.
		v2 := net.Clone()
		for i := range v2.V {
			v2.V[i] *= 2
		}
		MeasureTheory(v2, ds, th, &m)
		wantNear(t, "ResidFeatures (V doubled)", m.ResidFeatures, 1-1/math.Sqrt(2.5), 1e-13)
		wantNear(t, "ResidV (V doubled)", m.ResidV, 2/math.Sqrt(2.5)-1, 1e-13)
		wantNear(t, "CosWUMin (V doubled)", m.CosWUMin, 1, 1e-13)

		// Random perturbations of W: every measure moves away from the
		// limit, more for a larger perturbation.
		prevF, prevCos := 0.0, 1.0
		for _, delta := range []float64{1e-3, 1e-1} {
			p := net.Clone()
			for i := range p.W {
				p.W[i] += delta * 7.5 * rng.NormFloat64() / math.Sqrt(float64(len(p.W)))
			}
			MeasureTheory(p, ds, th, &m)
			if m.ResidFeatures == nil || *m.ResidFeatures < delta/100 || *m.ResidFeatures <= prevF ||
				m.CosWUMin == nil || *m.CosWUMin >= prevCos {
				t.Errorf("K=%d perturbation %g: ResidFeatures %v CosWUMin %v (previous %v, %v)", c.k, delta, m.ResidFeatures, m.CosWUMin, prevF, prevCos)
			}
			prevF, prevCos = *m.ResidFeatures, *m.CosWUMin
		}

		// One neuron's output weight pointing to another class changes V
		// but not the features.
		w := net.Clone()
		h := w.H
		for o := 0; o < w.Out; o++ {
			w.V[o*h], w.V[(w.Out-1-o)*h] = net.V[(w.Out-1-o)*h], net.V[o*h]
		}
		if w.Out == 1 {
			w.V[0] = -net.V[0]
		}
		MeasureTheory(w, ds, th, &m)
		if m.ResidV == nil || *m.ResidV < 0.05 {
			t.Errorf("K=%d: one neuron's v to the wrong class: ResidV %v, want large", c.k, m.ResidV)
		}
	}
}

func TestMeasureTheoryNoTheory(t *testing.T) {
	ds := theoryDataset(2, 2, [][]float64{{1, 0}, {-1, 0}}, []int{0, 1})
	net := NewNetwork(2, 3, 1)
	copy(net.W, []float64{1, -1, 0, 0, 0, 1})
	copy(net.V, []float64{2, -1, 0})
	m := Metrics{ResidV: Float(3)}
	notes := MeasureTheory(net, ds, nil, &m)
	if len(m.GroupSizes) != 2 || m.GroupSizes[0] != 1 || m.GroupSizes[1] != 1 {
		t.Errorf("GroupSizes %v, want [1 1]", m.GroupSizes)
	}
	if m.ResidFeatures != nil || m.ResidV != nil || m.CosWUMin != nil || m.CosWUMean != nil || len(notes) == 0 {
		t.Errorf("without theory: %v %v %v %v notes %v, want nil with a note", m.ResidFeatures, m.ResidV, m.CosWUMin, m.CosWUMean, notes)
	}
	// Zero weights: groups are empty and residuals undefined, never NaN.
	th := &Theory{Gamma: []float64{1, 1}, U: [][]float64{{1, 0}, {-1, 0}}, S: []float64{0.5, 0.5}}
	notes = MeasureTheory(NewNetwork(2, 3, 1), ds, th, &m)
	if m.GroupSizes[0] != 0 || m.GroupSizes[1] != 0 || m.ResidFeatures != nil || m.ResidV != nil || len(notes) == 0 {
		t.Errorf("zero network: %v %v %v notes %v", m.GroupSizes, m.ResidFeatures, m.ResidV, notes)
	}
}

// TestMeasureTheoryTrained trains binary networks with core.Run on a small
// synthetic dataset: from a small initialization the weights approach the
// theory's limit (small residuals, cos(w_j, u_k) near 1), from eps = 1 they
// stay far from it. Measured (T = 1e8, normalised flow): eps = 1e-4 gives
// ResidFeatures 0.0089, ResidV 0.0011, CosWUMin 0.9968; eps = 1 gives
// 0.098, 0.075, 0.37.
func TestMeasureTheoryTrained(t *testing.T) {
	run := func(eps float64) Metrics {
		spec := Spec{Seed: 1,
			Data:  DataSpec{Kind: "synthetic", Classes: 2, PerClass: 20, Dim: 10, Noise: 0.5, NormSpread: 2},
			Model: ModelSpec{Width: 10, Init: "gaussian", InitScale: eps},
			Train: TrainSpec{Loss: "exp", Method: "flow", LR: 1e-3, Time: 1e8, Tol: 1e-6, NormalizedTime: true},
		}
		ds, err := PrepareDataset(spec)
		if err != nil {
			t.Fatal(err)
		}
		r := Run(context.Background(), spec, ds)
		if r.Status != StatusOK {
			t.Fatalf("eps %g: %s %s", eps, r.Status, r.Error)
		}
		f := r.Final
		if f.ResidFeatures == nil || f.ResidV == nil || f.CosWUMin == nil || f.CosWUMean == nil {
			t.Fatalf("eps %g: theory residuals not measured: %v", eps, r.Notes)
		}
		return f
	}
	small, large := run(1e-4), run(1)
	if *small.ResidFeatures > 0.03 || *small.ResidV > 0.01 || *small.CosWUMin < 0.99 {
		t.Errorf("eps 1e-4: ResidFeatures %v ResidV %v CosWUMin %v, want < 0.03, < 0.01, > 0.99",
			*small.ResidFeatures, *small.ResidV, *small.CosWUMin)
	}
	if *large.ResidFeatures < 4**small.ResidFeatures || *large.ResidV < 4**small.ResidV || *large.CosWUMin > 0.9 {
		t.Errorf("eps 1: ResidFeatures %v ResidV %v CosWUMin %v: want far from the limit (eps 1e-4: %v, %v)",
			*large.ResidFeatures, *large.ResidV, *large.CosWUMin, *small.ResidFeatures, *small.ResidV)
	}
}
