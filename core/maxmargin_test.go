package core

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// mmCheck asserts MaxMargin(x) = (gamma, u) to the given tolerances, and
// that u is a unit vector certifying the margin: min_i <x_i, u> = gamma.
func mmCheck(t *testing.T, name string, x []float64, n, d int, gamma float64, u []float64, relTol, uTol float64) {
	t.Helper()
	g, got, err := MaxMargin(x, n, d)
	if err != nil {
		t.Fatalf("%s: MaxMargin: %v", name, err)
	}
	if math.Abs(g-gamma) > relTol*gamma {
		t.Errorf("%s: gamma = %.17g, want %.17g (rel err %.2g)", name, g, gamma, math.Abs(g-gamma)/gamma)
	}
	if u != nil {
		if len(got) != d {
			t.Fatalf("%s: len(u) = %d, want %d", name, len(got), d)
		}
		for i := range u {
			if math.Abs(got[i]-u[i]) > uTol {
				t.Errorf("%s: u = %v, want %v", name, got, u)
				break
			}
		}
	}
	if nrm := vecNorm(got); math.Abs(nrm-1) > 1e-14 {
		t.Errorf("%s: |u| = %.17g, want 1", name, nrm)
	}
	lo := math.Inf(1)
	for i := 0; i < n; i++ {
		lo = math.Min(lo, vecDot(x[i*d:(i+1)*d], got))
	}
	if math.Abs(lo-g) > 1e-10*g {
		t.Errorf("%s: min_i <x_i, u> = %.17g but gamma = %.17g: u does not certify the margin", name, lo, g)
	}
}

func TestMaxMarginHand(t *testing.T) {
	s3 := 1 / math.Sqrt(3)
	cases := []struct {
		name  string
		x     []float64
		n, d  int
		gamma float64
		u     []float64
	}{
		{"single point", []float64{3, 4}, 1, 2, 5, []float64{0.6, 0.8}},
		{"segment interior", []float64{1, 1, 1, -1}, 2, 2, 1, []float64{1, 0}},
		// min-norm point at a vertex: (1, 0) is nearest, (2, 1) is beyond it.
		{"vertex", []float64{2, 1, 1, 0, 3, -1}, 3, 2, 1, []float64{1, 0}},
		// Unit simplex face (1/3, 1/3, 1/3), with a fourth point behind it.
		{"face", []float64{1, 0, 0, 0, 1, 0, 0, 0, 1, 2, 3, 1}, 4, 3, s3, []float64{s3, s3, s3}},
		// Orthogonal points: weights proportional to 1/|x_i|^2 = (1/4, 1, 1),
		// p = (2/9, 4/9, 4/9), |p| = 2/3.
		{"orthogonal face", []float64{2, 0, 0, 0, 1, 0, 0, 0, 1}, 3, 3, 2.0 / 3, []float64{1.0 / 3, 2.0 / 3, 2.0 / 3}},
		// Same face, translated out of the coordinate planes by a direction
		// orthogonal to it: x_i + 5 e_4 in R^4, p = (2/9, 4/9, 4/9, 5).
		{"lifted face", []float64{2, 0, 0, 5, 0, 1, 0, 5, 0, 0, 1, 5}, 3, 4, math.Sqrt(4.0/9 + 25),
			[]float64{2.0 / 9 / math.Sqrt(4.0/9+25), 4.0 / 9 / math.Sqrt(4.0/9+25), 4.0 / 9 / math.Sqrt(4.0/9+25), 5 / math.Sqrt(4.0/9+25)}},
		// Duplicated points must not break the corral.
		{"duplicates", []float64{1, 1, 1, 1, 1, -1, 1, -1}, 4, 2, 1, []float64{1, 0}},
	}
	for _, c := range cases {
		mmCheck(t, c.name, c.x, c.n, c.d, c.gamma, c.u, 1e-14, 1e-14)
	}
}

func TestMaxMarginOriginInHull(t *testing.T) {
	cases := []struct {
		name string
		x    []float64
		n, d int
	}{
		{"triangle around origin", []float64{1, 0, -1, 1, -1, -1}, 3, 2},
		{"origin on a segment", []float64{1, 2, -1, -2}, 2, 2},
		{"zero point", []float64{0, 0, 0}, 1, 3},
		{"origin on a face", []float64{1, 0, 5, 0, 1, 5, -1, -1, -10}, 3, 3},
	}
	for _, c := range cases {
		_, _, err := MaxMargin(c.x, c.n, c.d)
		if !errors.Is(err, ErrOriginInHull) {
			t.Errorf("%s: err = %v, want ErrOriginInHull", c.name, err)
		}
	}
	for _, c := range []struct {
		name string
		x    []float64
		n, d int
	}{
		{"no points", nil, 0, 2},
		{"short slice", []float64{1, 2, 3}, 2, 2},
		{"NaN", []float64{1, math.NaN()}, 1, 2},
		{"Inf", []float64{1, math.Inf(-1)}, 1, 2},
	} {
		if _, _, err := MaxMargin(c.x, c.n, c.d); err == nil || errors.Is(err, ErrOriginInHull) {
			t.Errorf("%s: err = %v, want an input error", c.name, err)
		}
	}
}

// refAffineMin solves min |X_S^T a| s.t. sum a = 1 over the points S of x
// through the KKT system [G 1; 1^T 0] [a; -mu] = [0; 1] with a dense LU
// solve; ok is false when the system is singular.
func refAffineMin(x []float64, d int, s []int) (a, p []float64, ok bool) {
	m := len(s)
	kkt := mat.NewDense(m+1, m+1, nil)
	for i, a := range s {
		for j, b := range s {
			kkt.Set(i, j, vecDot(x[a*d:(a+1)*d], x[b*d:(b+1)*d]))
		}
		kkt.Set(i, m, 1)
		kkt.Set(m, i, 1)
	}
	rhs := mat.NewVecDense(m+1, nil)
	rhs.SetVec(m, 1)
	var sol mat.VecDense
	if err := sol.SolveVec(kkt, rhs); err != nil {
		return nil, nil, false
	}
	a = make([]float64, m)
	p = make([]float64, d)
	for i, idx := range s {
		a[i] = sol.AtVec(i)
		for c := 0; c < d; c++ {
			p[c] += a[i] * x[idx*d+c]
		}
	}
	return a, p, true
}

// refKKT reports whether p = X_S^T a with weights a >= 0 is the min-norm
// point of the hull of all n points: <p, x_i> >= |p|^2 for every i.
func refKKT(x []float64, n, d int, a, p []float64) bool {
	scale := 0.0
	for i := 0; i < n; i++ {
		scale = math.Max(scale, vecDot(x[i*d:(i+1)*d], x[i*d:(i+1)*d]))
	}
	for _, v := range a {
		if v < -1e-12 {
			return false
		}
	}
	pp := vecDot(p, p)
	for i := 0; i < n; i++ {
		if vecDot(p, x[i*d:(i+1)*d]) < pp-1e-11*scale {
			return false
		}
	}
	return true
}

// refMinNorm is an exhaustive reference for small n: it tries every subset
// S of at most d+1 points, solves the affine problem on S exactly and keeps
// the subset whose solution satisfies the KKT conditions of the whole
// problem. It returns the min-norm point.
func refMinNorm(t *testing.T, x []float64, n, d int) []float64 {
	var best []float64
	for mask := 1; mask < 1<<n; mask++ {
		var s []int
		for i := 0; i < n; i++ {
			if mask&(1<<i) != 0 {
				s = append(s, i)
			}
		}
		if len(s) > d+1 {
			continue
		}
		a, p, ok := refAffineMin(x, d, s)
		if ok && refKKT(x, n, d, a, p) && (best == nil || vecDot(p, p) < vecDot(best, best)) {
			best = p
		}
	}
	if best == nil {
		t.Fatalf("reference found no KKT point")
	}
	return best
}

// TestMaxMarginExhaustive compares MaxMargin with the exhaustive reference
// on random small instances, both with and without a positive margin.
func TestMaxMarginExhaustive(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	var pos, origin int
	for trial := 0; trial < 300; trial++ {
		d := 2 + rng.IntN(4)
		n := 1 + rng.IntN(9)
		shift := 2 * rng.Float64()
		c := make([]float64, d)
		unitGaussian(rng, c)
		x := make([]float64, n*d)
		for i := 0; i < n; i++ {
			for j := 0; j < d; j++ {
				x[i*d+j] = shift*c[j] + rng.NormFloat64()
			}
		}
		p := refMinNorm(t, x, n, d)
		gamma := vecNorm(p)
		if gamma < 1e-6 {
			origin++
			if _, _, err := MaxMargin(x, n, d); !errors.Is(err, ErrOriginInHull) {
				t.Errorf("trial %d: reference |p| = %.3g but MaxMargin err = %v", trial, gamma, err)
			}
			continue
		}
		pos++
		u := make([]float64, d)
		for j := range u {
			u[j] = p[j] / gamma
		}
		mmCheck(t, "exhaustive", x, n, d, gamma, u, 1e-9, 1e-7)
	}
	if pos < 100 || origin < 30 {
		t.Errorf("random instances: %d with a margin, %d without: want both kinds", pos, origin)
	}
}

// projectSimplex projects v onto {a >= 0, sum a = 1} in place (sort-based).
func projectSimplex(v []float64) {
	s := slices.Clone(v)
	slices.Sort(s)
	slices.Reverse(s)
	cum, tau := 0.0, 0.0
	for i, x := range s {
		cum += x
		if t := (cum - 1) / float64(i+1); x-t > 0 {
			tau = t
		}
	}
	for i := range v {
		v[i] = math.Max(v[i]-tau, 0)
	}
}

// refProjectedGradient minimises |X^T a|^2 over the simplex with
// accelerated projected gradient (FISTA), then polishes: the points nearly
// active at the result form the support, whose affine minimiser is solved
// exactly and checked against the KKT conditions.
func refProjectedGradient(t *testing.T, x []float64, n, d, iters int) []float64 {
	xm := mat.NewDense(n, d, x)
	var g mat.Dense
	g.Mul(xm, xm.T())
	var es mat.EigenSym
	es.Factorize(mat.NewSymDense(n, g.RawMatrix().Data), false)
	vals := es.Values(nil)
	step := 1 / (2 * vals[len(vals)-1])
	a := make([]float64, n)
	for i := range a {
		a[i] = 1 / float64(n)
	}
	yv, prev := slices.Clone(a), slices.Clone(a)
	grad := mat.NewVecDense(n, nil)
	tk := 1.0
	for it := 0; it < iters; it++ {
		grad.MulVec(&g, mat.NewVecDense(n, yv))
		copy(prev, a)
		for i := range a {
			a[i] = yv[i] - step*2*grad.AtVec(i)
		}
		projectSimplex(a)
		tn := (1 + math.Sqrt(1+4*tk*tk)) / 2
		for i := range yv {
			yv[i] = a[i] + (tk-1)/tn*(a[i]-prev[i])
		}
		tk = tn
	}
	p := make([]float64, d)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			p[j] += a[i] * x[i*d+j]
		}
	}
	pp := vecDot(p, p)
	var s []int
	for i := 0; i < n; i++ {
		if vecDot(p, x[i*d:(i+1)*d]) < pp+1e-4*pp {
			s = append(s, i)
		}
	}
	w, q, ok := refAffineMin(x, d, s)
	if !ok || !refKKT(x, n, d, w, q) {
		t.Fatalf("projected-gradient reference: polish on %d support points failed", len(s))
	}
	return q
}

// TestMaxMarginProjectedGradient compares MaxMargin with an independent QP
// solution on random instances larger than exhaustive search allows.
func TestMaxMarginProjectedGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for trial := 0; trial < 6; trial++ {
		n, d := 60+20*trial, 8+trial
		c := make([]float64, d)
		unitGaussian(rng, c)
		x := make([]float64, n*d)
		for i := 0; i < n; i++ {
			r := 0.5 + rng.Float64()
			for j := 0; j < d; j++ {
				x[i*d+j] = r * (2.5*c[j] + rng.NormFloat64())
			}
		}
		p := refProjectedGradient(t, x, n, d, 20000)
		gamma := vecNorm(p)
		u := make([]float64, d)
		for j := range u {
			u[j] = p[j] / gamma
		}
		mmCheck(t, "projected gradient", x, n, d, gamma, u, 1e-8, 1e-6)
	}
}

// TestMaxMarginLarge checks the optimality certificate on a larger
// instance with a small margin (the optimal corral has 55 of at most 61
// points), and the origin-in-hull error when the centre is moved closer.
func TestMaxMarginLarge(t *testing.T) {
	for _, c := range []struct {
		shift  float64
		origin bool
	}{{0.3, false}, {0.2, true}} {
		rng := rand.New(rand.NewPCG(31, 32))
		n, d := 1500, 60
		centre := make([]float64, d)
		unitGaussian(rng, centre)
		x := make([]float64, n*d)
		for i := 0; i < n; i++ {
			for j := 0; j < d; j++ {
				x[i*d+j] = c.shift*centre[j] + rng.NormFloat64()/8
			}
		}
		g, u, err := MaxMargin(x, n, d)
		if c.origin {
			if !errors.Is(err, ErrOriginInHull) {
				t.Errorf("shift %v: err = %v, want ErrOriginInHull", c.shift, err)
			}
			continue
		}
		if err != nil || len(u) != d || g < 0.01 {
			t.Fatalf("shift %v: gamma %v, len(u) %d, err %v", c.shift, g, len(u), err)
		}
		mmCheck(t, "large", x, n, d, g, nil, 0, 0)
	}
}

// BenchmarkMaxMarginMNIST times MaxMargin on one full MNIST training class
// (digit 2, 5958 images of 784 pixels), centred by the mean of digits
// 0, 1, 2 as in the paper's run. Skipped when the MNIST files are absent.
func BenchmarkMaxMarginMNIST(b *testing.B) {
	for _, center := range []bool{true, false} {
		ds, err := MNIST(DataSpec{Kind: "mnist", Classes: 3, Digits: []int{0, 1, 2}, Center: center}, 1)
		if err != nil {
			b.Skipf("MNIST not available: %v", err)
		}
		var x []float64
		for i, y := range ds.Train.Y {
			if y == 2 {
				x = append(x, ds.Train.Row(i)...)
			}
		}
		n := len(x) / ds.Train.D
		name := "uncentred"
		if center {
			name = "centred"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := MaxMargin(x, n, ds.Train.D); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMaxMarginOriginInHull times the worst case at MNIST's shape:
// 6000 Gaussian points in 784 dimensions, whose hull contains the origin,
// so the corral grows to hundreds of points before the error.
func BenchmarkMaxMarginOriginInHull(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	n, d := 6000, 784
	x := make([]float64, n*d)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	for b.Loop() {
		if _, _, err := MaxMargin(x, n, d); !errors.Is(err, ErrOriginInHull) {
			b.Fatal(err)
		}
	}
}
