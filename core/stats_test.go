package core

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestComputeStatsHand checks a 5-point example computed by hand. Points
// (class): a=(-1,0) (1), b=(1,0) (0), c=(0,-2) (1), d=(1,1) (0), z=(0,0) (1).
// z has norm 0 and is left out of every pair. Same-class pairs: cos(b,d) =
// 1/sqrt2, cos(a,c) = 0 (a violation). Cross-class pairs: cos(b,a) = -1,
// cos(b,c) = 0 (a violation), cos(d,a) = cos(d,c) = -1/sqrt2.
// So MuS = 0, MuD = 0, SameViolFrac = 1/2, CrossViolFrac = 1/4,
// ViolFrac = 2/6, XMaxOverMin = 2/1, PerClass = [2, 3].
func TestComputeStatsHand(t *testing.T) {
	s := &Split{N: 5, D: 2,
		X: []float64{-1, 0, 1, 0, 0, -2, 1, 1, 0, 0},
		Y: []int{1, 0, 1, 0, 1}}
	st := ComputeStats(s, 2)
	want := DataStats{MuS: 0, MuD: 0, SameViolFrac: 0.5, CrossViolFrac: 0.25, ViolFrac: 2.0 / 6, XMaxOverMin: 2, PerClass: []int{2, 3}}
	if math.Abs(st.MuS) > 1e-15 || math.Abs(st.MuD) > 1e-15 || st.SameViolFrac != want.SameViolFrac ||
		st.CrossViolFrac != want.CrossViolFrac || st.ViolFrac != want.ViolFrac || st.XMaxOverMin != 2 ||
		!slices.Equal(st.PerClass, want.PerClass) || st.Separable {
		t.Errorf("got %+v\nwant %+v", st, want)
	}

	// Move c to (-0.1,-2) and a to (-1,-0.1): cos(a,c) > 0 and cos(b,c) < 0,
	// so every defined pair satisfies Assumption 1, with MuS =
	// min(cos(a,c), cos(b,d)); but z has no cosine, so the data are not
	// separable until z is dropped.
	s.X[1], s.X[4] = -0.1, -0.1
	st = ComputeStats(s, 2)
	if st.Separable || st.ViolFrac != 0 {
		t.Errorf("with the zero point: separable %v viol %v, want false 0", st.Separable, st.ViolFrac)
	}
	s.N, s.X, s.Y = 4, s.X[:8], s.Y[:4]
	st = ComputeStats(s, 2)
	a, b, c, d := []float64{-1, -0.1}, []float64{1, 0}, []float64{-0.1, -2}, []float64{1, 1}
	wantMuS := math.Min(pairCos(a, c), pairCos(b, d))
	wantMuD := -max(pairCos(b, a), pairCos(b, c), pairCos(d, a), pairCos(d, c))
	if !st.Separable || math.Abs(st.MuS-wantMuS) > 1e-15 || math.Abs(st.MuD-wantMuD) > 1e-15 || st.ViolFrac != 0 {
		t.Errorf("got MuS %v MuD %v viol %v separable %v; want %v %v 0 true", st.MuS, st.MuD, st.ViolFrac, st.Separable, wantMuS, wantMuD)
	}
}

// naiveStats is the O(n^2) definition, pair by pair.
func naiveStats(s *Split, k int) DataStats {
	st := DataStats{PerClass: make([]int, k), MuS: 1, MuD: 1}
	minSame, maxCross := math.Inf(1), math.Inf(-1)
	var same, cross, sv, cv, zeros int
	xmax, xmin := 0.0, math.Inf(1)
	for i := 0; i < s.N; i++ {
		st.PerClass[s.Y[i]]++
		ni := math.Sqrt(pairDot(s.Row(i), s.Row(i)))
		if ni == 0 {
			zeros++
			continue
		}
		xmax, xmin = math.Max(xmax, ni), math.Min(xmin, ni)
		for j := i + 1; j < s.N; j++ {
			nj := math.Sqrt(pairDot(s.Row(j), s.Row(j)))
			if nj == 0 {
				continue
			}
			cs := pairDot(s.Row(i), s.Row(j)) / (ni * nj)
			if s.Y[i] == s.Y[j] {
				same++
				minSame = math.Min(minSame, cs)
				if cs <= 0 {
					sv++
				}
			} else {
				cross++
				maxCross = math.Max(maxCross, cs)
				if cs >= 0 {
					cv++
				}
			}
		}
	}
	if zeros > 0 {
		st.MuS, st.MuD = 0, 0 // pairs with a zero point are undefined
	}
	if same > 0 {
		st.MuS, st.SameViolFrac = minSame, float64(sv)/float64(same)
	}
	if cross > 0 {
		st.MuD, st.CrossViolFrac = -maxCross, float64(cv)/float64(cross)
	}
	st.ViolFrac = float64(sv+cv) / float64(same+cross)
	st.XMaxOverMin = xmax / xmin
	st.Separable = zeros == 0 && st.MuS > 0 && st.MuD > 0
	return st
}

// TestComputeStatsNaive compares the blocked computation with the naive one
// on random labelled data large enough to cross both tile boundaries
// (n > statsColBlock > statsRowBlock), with unsorted labels, an empty class
// and some zero rows.
func TestComputeStatsNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, d, k = statsColBlock + 300, 5, 4
	s := &Split{N: n, D: d, X: make([]float64, n*d), Y: make([]int, n)}
	for i := 0; i < n; i++ {
		c := rng.IntN(3) // class 3 stays empty
		s.Y[i] = c
		if i%997 == 5 {
			continue // a zero row
		}
		row := s.Row(i)
		for j := range row {
			row[j] = rng.NormFloat64()
		}
		row[c] += 1.5 // a class offset, so same-class pairs lean positive
	}
	got, want := ComputeStats(s, k), naiveStats(s, k)
	if math.Abs(got.MuS-want.MuS) > 1e-13 || math.Abs(got.MuD-want.MuD) > 1e-13 ||
		got.SameViolFrac != want.SameViolFrac || got.CrossViolFrac != want.CrossViolFrac || got.ViolFrac != want.ViolFrac ||
		math.Abs(got.XMaxOverMin-want.XMaxOverMin) > 1e-12*want.XMaxOverMin || !slices.Equal(got.PerClass, want.PerClass) ||
		got.Separable != want.Separable {
		t.Errorf("blocked %+v\nnaive   %+v", got, want)
	}
	if want.SameViolFrac == 0 || want.CrossViolFrac == 0 || want.SameViolFrac > 0.5 {
		t.Errorf("test data not mixed enough: %+v", want)
	}

	// Separable synthetic data through the same comparison.
	ds, err := Synthetic(DataSpec{Classes: 3, Dim: 8, PerClass: 150, Noise: 0.9, NormSpread: 4}, 9)
	if err != nil {
		t.Fatal(err)
	}
	got, want = ComputeStats(&ds.Train, 3), naiveStats(&ds.Train, 3)
	if !got.Separable || math.Abs(got.MuS-want.MuS) > 1e-13 || math.Abs(got.MuD-want.MuD) > 1e-13 || got.ViolFrac != 0 {
		t.Errorf("synthetic: blocked %+v\nnaive   %+v", got, want)
	}
}

// TestComputeStatsDegenerate: one point per class has no same-class pair.
func TestComputeStatsDegenerate(t *testing.T) {
	s := &Split{N: 2, D: 2, X: []float64{1, 0, -1, 1}, Y: []int{0, 1}}
	st := ComputeStats(s, 2)
	if st.MuS != 1 || math.Abs(st.MuD-1/math.Sqrt2) > 1e-15 || st.SameViolFrac != 0 || st.ViolFrac != 0 || !st.Separable {
		t.Errorf("got %+v, want MuS 1 (vacuous), MuD 1/sqrt2", st)
	}
}

// TestStatsOrderInvariant checks that the in-place path (a split ordered
// class by class) and the copying path (any other order) agree: the same
// points in a shuffled order give the same statistics.
func TestStatsOrderInvariant(t *testing.T) {
	spec := DataSpec{Kind: "synthetic", Classes: 3, PerClass: 40, Dim: 9, Noise: 0.95, NormSpread: 3}
	d, err := Synthetic(spec, 11)
	if err != nil {
		t.Fatal(err)
	}
	s := d.Train
	// Break the guarantee: point 5 opposite point 6 (both class 0), and
	// point 70 (class 1) a copy of point 0 (class 0).
	for j := range s.D {
		s.X[5*s.D+j] = -s.X[6*s.D+j]
		s.X[70*s.D+j] = s.X[j]
	}
	for j := range s.D {
		s.X[17*s.D+j] = 0 // a zero row, left out of every pair
	}
	sorted := ComputeStats(&s, 3)
	perm := rand.New(rand.NewPCG(1, 2)).Perm(s.N)
	sh := Split{N: s.N, D: s.D, X: make([]float64, len(s.X)), Y: make([]int, s.N)}
	for r, i := range perm {
		copy(sh.X[r*s.D:(r+1)*s.D], s.Row(i))
		sh.Y[r] = s.Y[i]
	}
	if sortedLabels(sh.Y) {
		t.Fatal("the shuffle left the labels sorted")
	}
	shuffled := ComputeStats(&sh, 3)
	if math.Abs(sorted.MuS-shuffled.MuS) > 1e-14 || math.Abs(sorted.MuD-shuffled.MuD) > 1e-14 ||
		sorted.SameViolFrac != shuffled.SameViolFrac || sorted.CrossViolFrac != shuffled.CrossViolFrac ||
		sorted.XMaxOverMin != shuffled.XMaxOverMin {
		t.Errorf("class-ordered %+v\nshuffled      %+v", sorted, shuffled)
	}
	if sorted.CrossViolFrac == 0 && sorted.SameViolFrac == 0 {
		t.Error("no violations: the test does not exercise the counting")
	}
}

// TestComputeStatsExtremeScale: cosines and X_max/X_min do not depend on the
// data's scale, so separable synthetic data multiplied by 1e300 or 1e-300
// (where the Gram products would overflow or underflow) give the statistics
// of the unscaled data, finite, without notes.
func TestComputeStatsExtremeScale(t *testing.T) {
	ds, err := Synthetic(DataSpec{Classes: 3, Dim: 8, PerClass: 40, Noise: 0.9, NormSpread: 4}, 5)
	if err != nil {
		t.Fatal(err)
	}
	ref := ComputeStats(&ds.Train, 3)
	if !ref.Separable {
		t.Fatal("reference data not separable")
	}
	for _, f := range []float64{1e300, 1e-300} {
		s := ds.Train
		s.X = make([]float64, len(ds.Train.X))
		for i, v := range ds.Train.X {
			s.X[i] = v * f
		}
		got, notes := computeStats(&s, 3)
		if !got.Separable || math.Abs(got.MuS-ref.MuS) > 1e-13 || math.Abs(got.MuD-ref.MuD) > 1e-13 ||
			got.ViolFrac != 0 || math.Abs(got.XMaxOverMin-ref.XMaxOverMin) > 1e-12*ref.XMaxOverMin || len(notes) != 0 {
			t.Errorf("scaled by %g: got %+v notes %q\nwant %+v", f, got, notes, ref)
		}
	}
	// Rows near the largest float64 (their products overflow): the cosines
	// are those of (1, 1), (1, 0.5) and (-1, -1).
	m := math.MaxFloat64 / 2
	s := &Split{N: 3, D: 2, X: []float64{m, m, m, m / 2, -m, -m}, Y: []int{0, 0, 1}}
	got := ComputeStats(s, 2)
	wantS := 1.5 / (math.Sqrt2 * math.Hypot(1, 0.5)) // cos((1,1),(1,0.5)) = cos((1,0.5),(1,1))
	if !got.Separable || math.Abs(got.MuS-wantS) > 1e-15 || math.Abs(got.MuD-wantS) > 1e-15 ||
		math.Abs(got.XMaxOverMin-math.Sqrt2/math.Hypot(1, 0.5)) > 1e-15 {
		t.Errorf("rows near MaxFloat64: got %+v, want MuS = MuD = %v", got, wantS)
	}
}

// TestComputeStatsZeroPoints: points of norm zero have no cosine, so
// Assumption 1 cannot hold: Separable is false even when every defined pair
// satisfies it, pair-less mu values are 0 (undefined) rather than 1, and
// the notes count the points left out.
func TestComputeStatsZeroPoints(t *testing.T) {
	// All zero: nothing is defined.
	s := &Split{N: 4, D: 3, X: make([]float64, 12), Y: []int{0, 0, 1, 1}}
	st, notes := computeStats(s, 2)
	if st.Separable || st.MuS != 0 || st.MuD != 0 || st.XMaxOverMin != 0 || st.ViolFrac != 0 ||
		!slices.Equal(st.PerClass, []int{2, 2}) {
		t.Errorf("all zero: got %+v", st)
	}
	if len(notes) != 2 || !strings.Contains(notes[0], "4 training point(s) have norm zero") ||
		!strings.Contains(notes[1], "only 0 training point(s)") {
		t.Errorf("all zero: notes %q", notes)
	}
	// One zero point among separable ones: the pairs of the others are
	// measured (cos((1,0),(2,0)) = 1, cos((1,0),(-1,0)) = -1), yet the data
	// are not separable.
	s = &Split{N: 4, D: 2, X: []float64{1, 0, 2, 0, -1, 0, 0, 0}, Y: []int{0, 0, 1, 1}}
	st, notes = computeStats(s, 2)
	if st.Separable || st.MuS != 1 || st.MuD != 1 || st.XMaxOverMin != 2 || len(notes) != 1 ||
		!strings.Contains(notes[0], "1 training point(s) have norm zero") {
		t.Errorf("one zero point: got %+v notes %q", st, notes)
	}
}
