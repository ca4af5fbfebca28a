package core

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// identityNet returns a network with D = H = h, W = I and the given Out x h
// V, so that phi(x) = relu(x) = x for non-negative points x.
func identityNet(h, out int, v []float64) *Network {
	net := NewNetwork(h, h, out)
	for j := range h {
		net.W[j*h+j] = 1
	}
	copy(net.V, v)
	return net
}

// split builds a training split from rows and labels.
func split(rows [][]float64, y []int) *Split {
	s := &Split{N: len(rows), D: len(rows[0]), Y: y}
	for _, r := range rows {
		s.X = append(s.X, r...)
	}
	return s
}

// checkFinite fails when any pointer or slice field of m holds NaN or Inf.
func checkFinite(t *testing.T, m *Metrics) {
	t.Helper()
	v := reflect.ValueOf(m).Elem()
	for i := range v.NumField() {
		f, name := v.Field(i), v.Type().Field(i).Name
		switch f.Kind() {
		case reflect.Pointer:
			if !f.IsNil() {
				if x := f.Elem().Float(); math.IsNaN(x) || math.IsInf(x, 0) {
					t.Errorf("%s = %v", name, x)
				}
			}
		case reflect.Slice:
			for j := range f.Len() {
				if x := f.Index(j).Float(); math.IsNaN(x) || math.IsInf(x, 0) {
					t.Errorf("%s[%d] = %v", name, j, x)
				}
			}
		case reflect.Float64:
			if x := f.Float(); math.IsNaN(x) || math.IsInf(x, 0) {
				t.Errorf("%s = %v", name, x)
			}
		}
	}
}

// want checks that p is non-nil and within tol of x.
func want(t *testing.T, name string, p *float64, x, tol float64) {
	t.Helper()
	if p == nil {
		t.Errorf("%s = nil, want %v", name, x)
		return
	}
	if math.Abs(*p-x) > tol {
		t.Errorf("%s = %.15g, want %.15g", name, *p, x)
	}
}

// TestMeasureDirectionalCollapse: two classes on the coordinate axes with
// varying lengths, W = I so phi = x.
//
//	class 0: (1,0), (3,0)          mu_0 = (2,0), within = (1+1)/2 = 1
//	class 1: (0,1), (0,2), (0,3)   mu_1 = (0,2), within = (1+0+1)/3 = 2/3
//	mu_G = (1,1), between = |(1,-1)|^2 + |(-1,1)|^2 = 4, NC1 = (5/3)/4 = 5/12.
//
// Normalised features are e_1 and e_2 exactly: NC1Norm = 0. Means are
// orthogonal: NC2 = 0, MaxCosMeans = 0. Papyan: Sigma_W = diag(2,2)/5,
// Sigma_B = (1/2)*2*(1,-1)(1,-1)^T = [[1,-1],[-1,1]] (eigenvalue 2 on
// (1,-1)/sqrt2), Sigma_B^+ = (1/4)[[1,-1],[-1,1]], tr(Sigma_W Sigma_B^+) =
// (2/5)(1/4)(2) = 1/5, so NC1Papyan = 1/10. V = [1,-1]: C = V diag(1/2,1/2)
// = [1/2,-1/2], NC3 = 0. The network predicts class 0 iff x1 > x2, as does
// the nearest mean: NC4 = 1. All cosines are 1. Rank 2 < 3: PCA error 0.
func TestMeasureDirectionalCollapse(t *testing.T) {
	s := split([][]float64{{1, 0}, {3, 0}, {0, 1}, {0, 2}, {0, 3}}, []int{0, 0, 1, 1, 1})
	var m Metrics
	notes := MeasureCollapse(identityNet(2, 1, []float64{1, -1}), s, 2, &m)
	if len(notes) != 0 {
		t.Errorf("notes = %q, want none", notes)
	}
	checkFinite(t, &m)
	want(t, "NC1", m.NC1, 5.0/12, 1e-14)
	want(t, "NC1Norm", m.NC1Norm, 0, 1e-12)
	want(t, "NC1Papyan", m.NC1Papyan, 0.1, 1e-14)
	want(t, "NC2", m.NC2, 0, 1e-14)
	want(t, "NC3", m.NC3, 0, 1e-14)
	want(t, "NC3Paper", m.NC3Paper, 0, 1e-14)
	want(t, "NC4", m.NC4, 1, 0)
	want(t, "MaxCosMeans", m.MaxCosMeans, 0, 0)
	want(t, "PCAFeat", m.PCAFeat, 0, 0)
	for c := range 2 {
		if math.Abs(m.MinCosPerClass[c]-1) > 1e-15 || math.Abs(m.MeanCosPerClass[c]-1) > 1e-15 {
			t.Errorf("class %d cosines min %v mean %v, want 1", c, m.MinCosPerClass[c], m.MeanCosPerClass[c])
		}
	}
	if m.ZeroFeatures != 0 {
		t.Errorf("ZeroFeatures = %d", m.ZeroFeatures)
	}
}

// TestMeasurePerfectCollapse: K = 3, class k is two copies of e_k, so
// NC1 = NC1Norm = NC1Papyan = 0 (no within-class spread) and NC2 = 0
// (orthonormal means). M = I so C = V; V = P = I - 11^T/3 gives NC3 = 0 and
// NC3Paper = |P/sqrt2 - sqrt(3/2) P/sqrt2|_F = (sqrt(3/2) - 1) |P|_F/sqrt2
// = sqrt(3/2) - 1 = 0.2247... The outputs f = P e_k = e_k - 1/3 have argmax
// k, the nearest mean: NC4 = 1.
func TestMeasurePerfectCollapse(t *testing.T) {
	p := []float64{2.0 / 3, -1.0 / 3, -1.0 / 3, -1.0 / 3, 2.0 / 3, -1.0 / 3, -1.0 / 3, -1.0 / 3, 2.0 / 3}
	s := split([][]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, []int{0, 1, 2, 0, 1, 2})
	var m Metrics
	if notes := MeasureCollapse(identityNet(3, 3, p), s, 3, &m); len(notes) != 0 {
		t.Errorf("notes = %q", notes)
	}
	checkFinite(t, &m)
	want(t, "NC1", m.NC1, 0, 1e-15)
	want(t, "NC1Norm", m.NC1Norm, 0, 1e-15)
	want(t, "NC1Papyan", m.NC1Papyan, 0, 1e-15)
	want(t, "NC2", m.NC2, 0, 1e-15)
	want(t, "NC3", m.NC3, 0, 1e-14)
	want(t, "NC3Paper", m.NC3Paper, math.Sqrt(1.5)-1, 1e-14)
	want(t, "NC4", m.NC4, 1, 0)
}

// TestMeasureNC2SixtyDegrees: class means (2,0) and (1,sqrt3) at 60
// degrees. G = [[1,1/2],[1/2,1]], |G|_F = sqrt(5/2); the diagonal of
// G/|G|_F - I/sqrt2 is sqrt(2/5) - sqrt(1/2) and the off-diagonal
// (1/2)/sqrt(5/2) = sqrt(1/10), so NC2 = sqrt(2 (sqrt(.4) - sqrt(.5))^2 + .2)
// = 0.4595... and MaxCosMeans = 1/2.
func TestMeasureNC2SixtyDegrees(t *testing.T) {
	r3 := math.Sqrt(3)
	s := split([][]float64{{1, 0}, {3, 0}, {0.5, r3 / 2}, {1.5, 1.5 * r3}}, []int{0, 0, 1, 1})
	var m Metrics
	MeasureCollapse(identityNet(2, 1, []float64{1, -1}), s, 2, &m)
	checkFinite(t, &m)
	d := math.Sqrt(0.4) - math.Sqrt(0.5)
	want(t, "NC2", m.NC2, math.Sqrt(2*d*d+0.2), 1e-14)
	want(t, "MaxCosMeans", m.MaxCosMeans, 0.5, 1e-15)
	want(t, "NC1Norm", m.NC1Norm, 0, 1e-15)
}

// TestMeasureNC3Binary: orthogonal unit means e_1, e_2 give M = I and C = V.
// V = [1,-1] is the target direction: NC3 = NC3Paper = 0. V = [1,0]:
// |[1,0] - [1,-1]/sqrt2| = sqrt((1-1/sqrt2)^2 + 1/2) = sqrt(2 - sqrt2).
func TestMeasureNC3Binary(t *testing.T) {
	s := split([][]float64{{1, 0}, {0, 1}}, []int{0, 1})
	var m Metrics
	MeasureCollapse(identityNet(2, 1, []float64{1, -1}), s, 2, &m)
	want(t, "NC3 aligned", m.NC3, 0, 1e-15)
	want(t, "NC3Paper aligned", m.NC3Paper, 0, 1e-15)
	MeasureCollapse(identityNet(2, 1, []float64{1, 0}), s, 2, &m)
	want(t, "NC3 [1,0]", m.NC3, math.Sqrt(2-math.Sqrt2), 1e-15)
	want(t, "NC3Paper [1,0]", m.NC3Paper, math.Sqrt(2-math.Sqrt2), 1e-15)
}

// TestMeasureNC3NonOrthogonalMeans checks the pseudo-inverse route on K = 3
// non-orthogonal means in h = 4. With M (h x K) of full column rank,
// (M^T)^+ = M (M^T M)^-1, so V = P M^T gives C = P M^T M (M^T M)^-1 = P:
// NC3 = 0 and NC3Paper = sqrt(3/2) - 1.
func TestMeasureNC3NonOrthogonalMeans(t *testing.T) {
	// One point per class: mu_k = x_k (columns of M).
	xs := [][]float64{{1, 2, 0, 1}, {0, 1, 3, 1}, {2, 0, 1, 4}}
	s := split(xs, []int{0, 1, 2})
	p := [3][3]float64{{2.0 / 3, -1.0 / 3, -1.0 / 3}, {-1.0 / 3, 2.0 / 3, -1.0 / 3}, {-1.0 / 3, -1.0 / 3, 2.0 / 3}}
	v := make([]float64, 3*4) // V = P M^T: V[a][j] = sum_b P[a][b] x_b[j]
	for a := range 3 {
		for j := range 4 {
			for b := range 3 {
				v[a*4+j] += p[a][b] * xs[b][j]
			}
		}
	}
	var m Metrics
	MeasureCollapse(identityNet(4, 3, v), s, 3, &m)
	want(t, "NC3", m.NC3, 0, 1e-14)
	want(t, "NC3Paper", m.NC3Paper, math.Sqrt(1.5)-1, 1e-14)
}

// TestMeasureNC4 has one disagreeing point in each output mode.
//
// Binary, V = [1,-1] (class 0 iff x1 > x2): class 0 = (4,0),(2,0),(3,3),
// mu_0 = (3,1); class 1 = (0,4),(0,2), mu_1 = (0,3). The point (3,3) has
// f = 0, so the network says class 1, but |(3,3)-mu_0|^2 = 4 < 9 =
// |(3,3)-mu_1|^2. The others agree ((4,0): 2 vs 25, (2,0): 2 vs 13,
// (0,4): 18 vs 1, (0,2): 10 vs 1): NC4 = 4/5.
//
// Three classes, V = I: class 0 = (1,0,0),(1,1.2,0), mu_0 = (1,.6,0);
// classes 1, 2 = two copies of e_2, e_3. (1,1.2,0) has argmax 1 but is at
// squared distance .36 from mu_0 and 1.04 from mu_1: NC4 = 5/6.
func TestMeasureNC4(t *testing.T) {
	s := split([][]float64{{4, 0}, {2, 0}, {3, 3}, {0, 4}, {0, 2}}, []int{0, 0, 0, 1, 1})
	var m Metrics
	MeasureCollapse(identityNet(2, 1, []float64{1, -1}), s, 2, &m)
	want(t, "NC4 binary", m.NC4, 0.8, 1e-15)

	s = split([][]float64{{1, 0, 0}, {1, 1.2, 0}, {0, 1, 0}, {0, 1, 0}, {0, 0, 1}, {0, 0, 1}}, []int{0, 0, 1, 1, 2, 2})
	MeasureCollapse(identityNet(3, 3, []float64{1, 0, 0, 0, 1, 0, 0, 0, 1}), s, 3, &m)
	want(t, "NC4 multi-class", m.NC4, 5.0/6, 1e-15)
	checkFinite(t, &m)
}

// TestMeasureZeroFeatures: W = 0 makes every feature zero. Every class mean
// is zero, so every collapse metric is undefined: all nil, with notes, and
// ZeroFeatures = n.
func TestMeasureZeroFeatures(t *testing.T) {
	s := split([][]float64{{1, 0}, {3, 0}, {0, 1}, {0, 2}}, []int{0, 0, 1, 1})
	net := NewNetwork(2, 3, 1)
	copy(net.V, []float64{1, -1, 1})
	m := Metrics{NC1: Float(7), MinCosPerClass: []float64{1, 1}} // stale values must be cleared
	notes := MeasureCollapse(net, s, 2, &m)
	checkFinite(t, &m)
	for name, p := range map[string]*float64{"NC1": m.NC1, "NC1Norm": m.NC1Norm, "NC1Papyan": m.NC1Papyan,
		"NC2": m.NC2, "NC3": m.NC3, "NC3Paper": m.NC3Paper, "NC4": m.NC4, "MaxCosMeans": m.MaxCosMeans,
		"PCAFeat": m.PCAFeat, "PCAFeatSq": m.PCAFeatSq} {
		if p != nil {
			t.Errorf("%s = %v, want nil", name, *p)
		}
	}
	if m.MinCosPerClass != nil || m.MeanCosPerClass != nil {
		t.Errorf("cosine slices %v %v, want nil", m.MinCosPerClass, m.MeanCosPerClass)
	}
	if m.ZeroFeatures != 4 {
		t.Errorf("ZeroFeatures = %d, want 4", m.ZeroFeatures)
	}
	// One note each for PCA, NC1/Papyan/NC4, NC1Norm, NC2 and cosines, NC3.
	if len(notes) != 5 {
		t.Errorf("notes = %q, want 5", notes)
	}
}

// TestMeasureOneDeadClass: class 1's points are all outside the active
// half-space of the only neuron, so mu_1 = 0: NC2, the cosines and
// NC1Norm are nil, while NC1 stays defined: mu_0 = (2), mu_1 = (0),
// mu_G = 1, between = 2, within = ((1-2)^2 + (3-2)^2)/2 = 1, NC1 = 1/2.
func TestMeasureOneDeadClass(t *testing.T) {
	s := split([][]float64{{1}, {3}, {-1}, {-2}}, []int{0, 0, 1, 1})
	net := NewNetwork(1, 1, 1)
	net.W[0], net.V[0] = 1, 1
	var m Metrics
	notes := MeasureCollapse(net, s, 2, &m)
	checkFinite(t, &m)
	want(t, "NC1", m.NC1, 0.5, 1e-15)
	if m.NC2 != nil || m.NC1Norm != nil || m.MinCosPerClass != nil {
		t.Errorf("NC2 %v NC1Norm %v MinCos %v, want nil", m.NC2, m.NC1Norm, m.MinCosPerClass)
	}
	if m.ZeroFeatures != 2 || len(notes) == 0 {
		t.Errorf("ZeroFeatures = %d, notes %q", m.ZeroFeatures, notes)
	}
}

// TestNC1PapyanDense compares the low-rank route with a direct dense
// computation: Sigma_W and Sigma_B as h x h matrices, Sigma_B^+ from a full
// gonum SVD with the same relative tolerance, tr(Sigma_W Sigma_B^+)/K.
func TestNC1PapyanDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, h, k = 40, 6, 4
	rows := make([][]float64, n)
	y := make([]int, n)
	for i := range rows {
		y[i] = i % k
		rows[i] = make([]float64, h)
		for j := range rows[i] {
			rows[i][j] = rng.Float64() + 0.5*float64(y[i]*j%3)
		}
	}
	var m Metrics
	MeasureCollapse(identityNet(h, k, make([]float64, k*h)), split(rows, y), k, &m)

	mu := mat.NewDense(k, h, nil)
	cnt := make([]float64, k)
	for i, r := range rows {
		for j, v := range r {
			mu.Set(y[i], j, mu.At(y[i], j)+v)
		}
		cnt[y[i]]++
	}
	for c := range k {
		for j := range h {
			mu.Set(c, j, mu.At(c, j)/cnt[c])
		}
	}
	g := make([]float64, h)
	for c := range k {
		for j := range h {
			g[j] += mu.At(c, j) / k
		}
	}
	sw, sb := mat.NewDense(h, h, nil), mat.NewDense(h, h, nil)
	d := mat.NewVecDense(h, nil)
	for i, r := range rows {
		for j := range h {
			d.SetVec(j, r[j]-mu.At(y[i], j))
		}
		var o mat.Dense
		o.Outer(1.0/n, d, d)
		sw.Add(sw, &o)
	}
	for c := range k {
		for j := range h {
			d.SetVec(j, mu.At(c, j)-g[j])
		}
		var o mat.Dense
		o.Outer(1.0/k, d, d)
		sb.Add(sb, &o)
	}
	var svd mat.SVD
	if !svd.Factorize(sb, mat.SVDFull) {
		t.Fatal("SVD failed")
	}
	var u, vt mat.Dense
	svd.UTo(&u)
	svd.VTo(&vt)
	s := svd.Values(nil)
	pinv := mat.NewDense(h, h, nil)
	for a, sv := range s {
		if sv <= float64(h)*dblEps*s[0] {
			continue
		}
		var o mat.Dense
		o.Outer(1/sv, vt.ColView(a), u.ColView(a))
		pinv.Add(pinv, &o)
	}
	var prod mat.Dense
	prod.Mul(sw, pinv)
	ref := mat.Trace(&prod) / k
	if rank := pinvRank(s, h, h); rank != k-1 {
		t.Fatalf("Sigma_B rank %d, want %d", rank, k-1)
	}
	want(t, "NC1Papyan", m.NC1Papyan, ref, 1e-10*ref)
}

// orthonormalCols returns an n x q matrix with orthonormal columns; when
// centred is true they are also orthogonal to the all-ones vector (so the
// rows have zero mean).
func orthonormalCols(rng *rand.Rand, n, q int, centred bool) *mat.Dense {
	extra := 0
	if centred {
		extra = 1
	}
	a := mat.NewDense(n, q+extra, nil)
	for i := range n {
		for j := range q + extra {
			a.Set(i, j, rng.NormFloat64())
		}
		if centred {
			a.Set(i, 0, 1)
		}
	}
	var qr mat.QR
	qr.Factorize(a)
	var qm mat.Dense
	qr.QTo(&qm)
	return mat.DenseCopyOf(qm.Slice(0, n, extra, q+extra))
}

// rowsPlus returns the row-major data of U diag(s) V^T plus the row c added
// to every row.
func rowsPlus(u, v *mat.Dense, s, c []float64) []float64 {
	n, _ := u.Dims()
	d, _ := v.Dims()
	us := mat.DenseCopyOf(u)
	for j, sv := range s {
		for i := range n {
			us.Set(i, j, us.At(i, j)*sv)
		}
	}
	var x mat.Dense
	x.Mul(us, v.T())
	out := make([]float64, 0, n*d)
	for i := range n {
		for j := range d {
			out = append(out, x.At(i, j)+c[j])
		}
	}
	return out
}

// TestPCAError: X = U S V^T + 1 c^T with U orthonormal and centred, so the
// centred matrix has singular values exactly S.
//   - S = (5, 2, 1): rank 3, error 0 for r = 3; r = 2 leaves 1/30.
//   - S = (4, 3, 2, 1): sum s^2 = 30, r = 3 leaves 1/30 (plain sqrt(1/30)),
//     r = 2 leaves 5/30, r = 0 leaves everything, r >= min(n, d) gives 0.
//
// Both the covariance (d <= n) and the Gram (n < d) routes are checked on
// each matrix and on its transpose-shaped counterpart.
func TestPCAError(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, shape := range [][2]int{{30, 7}, {7, 30}} {
		n, d := shape[0], shape[1]
		c := make([]float64, d)
		for j := range c {
			c[j] = 10 * rng.NormFloat64() // a large offset: centring must remove it
		}
		cases := []struct {
			s    []float64
			r    int
			want float64
		}{
			{[]float64{5, 2, 1}, 3, 0},
			{[]float64{5, 2, 1}, 2, 1.0 / 30},
			{[]float64{4, 3, 2, 1}, 3, 1.0 / 30},
			{[]float64{4, 3, 2, 1}, 2, 5.0 / 30},
			{[]float64{4, 3, 2, 1}, 0, 1},
			{[]float64{4, 3, 2, 1}, min(n, d), 0},
		}
		for _, tc := range cases {
			x := rowsPlus(orthonormalCols(rng, n, len(tc.s), true), orthonormalCols(rng, d, len(tc.s), false), tc.s, c)
			for _, gram := range []bool{false, true} {
				plain, sq, err := pcaError(x, n, d, tc.r, gram)
				if err != nil || math.Abs(sq-tc.want) > 1e-12 || math.Abs(plain-math.Sqrt(tc.want)) > 1e-6 {
					t.Errorf("%dx%d s=%v r=%d gram=%v: plain %v squared %v err %v, want squared %v",
						n, d, tc.s, tc.r, gram, plain, sq, err, tc.want)
				}
				// The errors are scale invariant: data of size 1e300 or
				// 1e-300 give the same figures, without overflow.
				for _, f := range []float64{1e300, 1e-300} {
					xs := make([]float64, len(x))
					for i, v := range x {
						xs[i] = v * f
					}
					ps, ss, err := pcaError(xs, n, d, tc.r, gram)
					if err != nil || math.Abs(ss-tc.want) > 1e-12 || math.Abs(ps-math.Sqrt(tc.want)) > 1e-6 {
						t.Errorf("%dx%d s=%v r=%d gram=%v scaled by %g: plain %v squared %v err %v, want squared %v",
							n, d, tc.s, tc.r, gram, f, ps, ss, err, tc.want)
					}
				}
			}
			plain, sq, _ := PCAError(x, n, d, tc.r)
			ref, refSq, _ := pcaError(x, n, d, tc.r, d > n)
			if plain != ref || sq != refSq {
				t.Errorf("PCAError does not pick the route by shape")
			}
		}
	}
	// Constant rows are zero after centring, as is the zero matrix.
	x := []float64{1, 2, 3, 1, 2, 3, 1, 2, 3}
	if _, _, err := PCAError(x, 3, 3, 1); !errors.Is(err, ErrPCAConstant) {
		t.Errorf("constant rows: err = %v, want ErrPCAConstant", err)
	}
	if _, _, err := PCAError(make([]float64, 12), 4, 3, 1); !errors.Is(err, ErrPCAConstant) {
		t.Errorf("zero matrix: err = %v, want ErrPCAConstant", err)
	}
	// Non-finite entries, and products that would overflow, give an error
	// rather than a panic or a NaN.
	for _, bad := range []float64{math.Inf(1), math.NaN()} {
		y := []float64{1, 2, 3, 4, bad, 6, 7, 8, 10}
		for _, gram := range []bool{false, true} {
			if _, _, err := pcaError(y, 3, 3, 1, gram); err == nil || errors.Is(err, ErrPCAConstant) {
				t.Errorf("entry %v, gram %v: err = %v, want a non-finite error", bad, gram, err)
			}
		}
	}
	huge := []float64{math.MaxFloat64, 0, 0, 0, -math.MaxFloat64, 0, 0, 0, math.MaxFloat64 / 2}
	if p, s, err := PCAError(huge, 3, 3, 1); err != nil || math.IsNaN(p) || math.IsNaN(s) || s <= 0 || s >= 1 {
		t.Errorf("entries near MaxFloat64: plain %v squared %v err %v, want a fraction in (0, 1)", p, s, err)
	}
}

// BenchmarkMeasureMNISTShape times the two PCA computations of a paper-sized
// MNIST run (n = 18623 points, d = 784, width 50) on random data: the raw
// data PCA (done once per dataset) and the whole MeasureCollapse (features,
// their PCA and the NC metrics, done per run).
func BenchmarkMeasureMNISTShape(b *testing.B) {
	const n, d, h, k = 18623, 784, 50, 3
	rng := rand.New(rand.NewPCG(5, 6))
	s := &Split{N: n, D: d, X: make([]float64, n*d), Y: make([]int, n)}
	for i := range s.X {
		s.X[i] = rng.Float64() - 0.5
	}
	for i := range s.Y {
		s.Y[i] = i % k
	}
	net := NewNetwork(d, h, k)
	for i := range net.W {
		net.W[i] = rng.NormFloat64()
	}
	for i := range net.V {
		net.V[i] = rng.NormFloat64()
	}
	b.Run("PCARaw", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := PCAError(s.X, n, d, 3); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("MeasureCollapse", func(b *testing.B) {
		var m Metrics
		for b.Loop() {
			MeasureCollapse(net, s, k, &m)
		}
		if m.PCAFeat == nil || m.NC1 == nil {
			b.Fatal("metrics missing")
		}
	})
}
