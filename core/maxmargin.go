package core

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// Tolerances of Wolfe's minimum-norm-point algorithm (P. Wolfe, "Finding
// the nearest point in a polytope", Math. Programming 11, 1976), in the
// units of the points scaled by their largest norm M (so every |x_i| <= 1).
const (
	// wolfeZ1 is the stopping tolerance: stop when
	// |p|^2 - min_j <p, x_j> <= Z1 M^2 (Wolfe's criterion). Since
	// |p - p*|^2 <= |p|^2 - min_j <p, x_j>, it bounds the error of p; and a
	// min-norm point with |p|^2 <= Z1 M^2 counts as the origin.
	wolfeZ1 = 1e-12
	// wolfeZ2 is the affine-independence tolerance: a point joins the corral
	// only if its squared distance to the corral's affine hull, in the
	// 1 + <x_a, x_b>/M^2 metric of Wolfe's Cholesky factor, exceeds
	// Z2 (1 + |x|^2/M^2).
	wolfeZ2 = 1e-12
	// wolfeZ3 is the positivity tolerance of barycentric weights: an affine
	// minimiser is inside the simplex when all its weights exceed Z3.
	wolfeZ3 = 1e-12
)

// ErrOriginInHull is returned (wrapped) by MaxMargin when the convex hull of
// the points contains the origin within tolerance, so that no direction has
// a positive margin.
var ErrOriginInHull = errors.New("the convex hull of the points contains the origin: no positive margin")

// maxMargin implements MaxMargin (see its contract in theory.go) with
// Wolfe's minimum-norm-point algorithm:
//
//   - the corral S is a set of affinely independent points whose convex
//     hull contains the current point p = sum_{s in S} lambda_s x_s;
//   - major cycle: j = argmin_i <p, x_i>; stop if |p|^2 - <p, x_j> <= Z1 M^2,
//     otherwise add x_j to S;
//   - minor cycle: the minimiser y of |.| over the affine hull of S has
//     weights alpha proportional to (11^T + X_S X_S^T / M^2)^{-1} 1, solved
//     with an upper-triangular R, R^T R = 11^T + X_S X_S^T / M^2, that is
//     updated in O(|S|^2) when a point joins (one forward substitution) or
//     leaves (Givens rotations) the corral. If every alpha_s > Z3, p = y;
//     else p moves along the segment towards y until the first weight
//     reaches 0, that point leaves, and the minor cycle repeats.
//
// Each major cycle costs one pass over the n x d points (the argmin) plus
// O(|S| d + |S|^2); the corral never exceeds min(n, d+1) points and all
// scratch memory, O(n + d + min(n, d+1)^2), is allocated once.
func maxMargin(x []float64, n, d int) (float64, []float64, error) {
	switch {
	case n < 1 || d < 1:
		return 0, nil, fmt.Errorf("max margin: %d points in %d dimensions: need at least one point and one dimension", n, d)
	case len(x) < n*d:
		return 0, nil, fmt.Errorf("max margin: %d values for %d points in %d dimensions", len(x), n, d)
	}
	for i, v := range x[:n*d] {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, nil, fmt.Errorf("max margin: coordinate %d of point %d is %v", i%d, i/d, v)
		}
	}
	w := newWolfe(x, n, d)
	if w.m2 == 0 {
		return 0, nil, fmt.Errorf("max margin: all %d points are zero: %w", n, ErrOriginInHull)
	}
	if err := w.solve(); err != nil {
		return 0, nil, err
	}
	gamma := vecNorm(w.p)
	u := make([]float64, d)
	for i, v := range w.p {
		u[i] = v / gamma
	}
	return gamma, u, nil
}

// wolfe is the state of one minimum-norm-point computation.
type wolfe struct {
	x     []float64 // n x d points, row-major, not modified
	n, d  int
	m2    float64   // M^2 = max_i |x_i|^2
	norm2 []float64 // |x_i|^2 / M^2
	impl  blas.Float64

	cap    int       // largest corral: min(n, d+1)
	corral []int     // point indices, len m
	lam    []float64 // barycentric weights of p, len m
	// r holds R column-major with stride cap: R[row][col] = r[col*cap+row],
	// upper triangular with a positive diagonal.
	r []float64

	p     []float64 // current point, d
	dots  []float64 // <p, x_i>, n
	alpha []float64 // scratch, cap
	z     []float64 // scratch, cap
}

func newWolfe(x []float64, n, d int) *wolfe {
	c := min(n, d+1)
	w := &wolfe{
		x: x, n: n, d: d, norm2: make([]float64, n), impl: blas64.Implementation(),
		cap: c, corral: make([]int, 0, c), lam: make([]float64, 0, c), r: make([]float64, c*c),
		p: make([]float64, d), dots: make([]float64, n), alpha: make([]float64, c), z: make([]float64, c),
	}
	for i := 0; i < n; i++ {
		nrm := vecNorm(w.row(i))
		w.norm2[i] = nrm * nrm
		w.m2 = math.Max(w.m2, w.norm2[i])
	}
	if w.m2 > 0 {
		for i := range w.norm2 {
			w.norm2[i] /= w.m2
		}
	}
	return w
}

func (w *wolfe) row(i int) []float64 { return w.x[i*w.d : (i+1)*w.d] }

// solve runs the major cycles until Wolfe's criterion holds, leaving the
// minimum-norm point in w.p.
func (w *wolfe) solve() error {
	// Start from the point of least norm (lowest index on ties).
	start := 0
	for i, v := range w.norm2 {
		if v < w.norm2[start] {
			start = i
		}
	}
	w.corral = append(w.corral, start)
	w.lam = append(w.lam, 1)
	w.r[0] = math.Sqrt(1 + w.norm2[start])
	copy(w.p, w.row(start))

	tol := wolfeZ1 * w.m2
	prev := math.Inf(1)
	maxMajor := 20*(w.n+w.d) + 1000
	for iter := 0; ; iter++ {
		pp := w.impl.Ddot(w.d, w.p, 1, w.p, 1)
		if pp <= tol {
			return fmt.Errorf("max margin: min-norm point has |p|^2 = %.3g <= %.0e max|x|^2 = %.3g: %w", pp, wolfeZ1, tol, ErrOriginInHull)
		}
		j, minDot := w.argminDot()
		gap := pp - minDot
		if gap <= tol {
			return nil
		}
		// Wolfe's algorithm decreases |p| strictly at every major cycle; a
		// cycle that does not, a candidate already in the corral, a
		// candidate affinely dependent on the corral or a full corral can
		// only come from rounding, so the current p is as good as the
		// arithmetic allows. Accept it if its certified relative error is
		// small, else report the failure.
		stalled := pp >= prev || iter >= maxMajor || len(w.corral) == w.cap || w.inCorral(j) || !w.add(j)
		if stalled {
			if gap <= math.Sqrt(wolfeZ1)*pp {
				return nil
			}
			return fmt.Errorf("max margin: Wolfe's algorithm stalled after %d major cycles with |p|^2 = %.6g and gap |p|^2 - min_j <p, x_j> = %.3g (corral of %d points)", iter, pp, gap, len(w.corral))
		}
		prev = pp
		w.minorCycles()
		w.updatePoint()
	}
}

// argminDot fills w.dots with <p, x_i> and returns the index of the least
// (lowest index on ties) and its value.
func (w *wolfe) argminDot() (int, float64) {
	best, bestDot := 0, math.Inf(1)
	for i := 0; i < w.n; i++ {
		v := w.impl.Ddot(w.d, w.p, 1, w.row(i), 1)
		w.dots[i] = v
		if v < bestDot {
			best, bestDot = i, v
		}
	}
	return best, bestDot
}

func (w *wolfe) inCorral(j int) bool {
	for _, c := range w.corral {
		if c == j {
			return true
		}
	}
	return false
}

// add appends point j to the corral with weight 0, extending R by one
// column; it returns false (and changes nothing) when j is affinely
// dependent on the corral within wolfeZ2.
func (w *wolfe) add(j int) bool {
	m, c := len(w.corral), w.cap
	col := w.r[m*c : m*c+m+1]
	xj := w.row(j)
	// Solve R^T col = b, b_s = 1 + <x_s, x_j>/M^2, by forward substitution.
	var ss float64
	for s, idx := range w.corral {
		b := 1 + w.impl.Ddot(w.d, w.row(idx), 1, xj, 1)/w.m2
		b -= w.impl.Ddot(s, w.r[s*c:s*c+s], 1, col[:s], 1)
		col[s] = b / w.r[s*c+s]
		ss += col[s] * col[s]
	}
	rho2 := 1 + w.norm2[j] - ss
	if !(rho2 > wolfeZ2*(1+w.norm2[j])) {
		return false
	}
	col[m] = math.Sqrt(rho2)
	w.corral = append(w.corral, j)
	w.lam = append(w.lam, 0)
	return true
}

// affineWeights writes into w.alpha the barycentric weights of the
// minimum-norm point of the corral's affine hull:
// alpha = (R^T R)^{-1} 1 / (1^T (R^T R)^{-1} 1).
func (w *wolfe) affineWeights() []float64 {
	m, c := len(w.corral), w.cap
	z, a := w.z[:m], w.alpha[:m]
	for i := 0; i < m; i++ { // R^T z = 1
		z[i] = (1 - w.impl.Ddot(i, w.r[i*c:i*c+i], 1, z[:i], 1)) / w.r[i*c+i]
	}
	for j := m - 1; j >= 0; j-- { // R a = z, column by column
		a[j] = z[j] / w.r[j*c+j]
		if j > 0 {
			w.impl.Daxpy(j, -a[j], w.r[j*c:j*c+j], 1, z[:j], 1)
		}
	}
	var sum float64
	for _, v := range a {
		sum += v
	}
	for i := range a {
		a[i] /= sum
	}
	return a
}

// minorCycles moves the weights to the affine minimiser of the corral, or
// as far towards it as the simplex allows, dropping points whose weight
// reaches zero, until the affine minimiser lies inside the simplex.
func (w *wolfe) minorCycles() {
	for {
		a := w.affineWeights()
		inside := true
		for _, v := range a {
			if !(v > wolfeZ3) {
				inside = false
				break
			}
		}
		if inside {
			copy(w.lam, a)
			return
		}
		// Largest step theta in [0, 1] along lam -> alpha keeping lam >= 0;
		// the weight that limits it (lowest index on ties) leaves.
		theta, out := 1.0, -1
		for s, v := range a {
			if v > wolfeZ3 {
				continue
			}
			t := 0.0
			if l := w.lam[s]; l-v > 0 {
				t = l / (l - v)
			}
			if out < 0 || t < theta {
				theta, out = t, s
			}
		}
		var sum float64
		for s := range w.lam {
			w.lam[s] = (1-theta)*w.lam[s] + theta*a[s]
			if s == out || w.lam[s] < 0 {
				w.lam[s] = 0
			}
			sum += w.lam[s]
		}
		for s := range w.lam {
			w.lam[s] /= sum
		}
		for s := len(w.corral) - 1; s >= 0; s-- {
			if w.lam[s] == 0 {
				w.remove(s)
			}
		}
	}
}

// remove drops corral entry s, restoring R to upper-triangular form with
// Givens rotations.
func (w *wolfe) remove(s int) {
	m, c := len(w.corral), w.cap
	// Shift columns s+1..m-1 left; old column q has rows 0..q.
	for q := s + 1; q < m; q++ {
		copy(w.r[(q-1)*c:(q-1)*c+q+1], w.r[q*c:q*c+q+1])
	}
	w.corral = append(w.corral[:s], w.corral[s+1:]...)
	w.lam = append(w.lam[:s], w.lam[s+1:]...)
	m--
	// Column i (i >= s) now has one sub-diagonal entry at row i+1.
	for i := s; i < m; i++ {
		a, b := w.r[i*c+i], w.r[i*c+i+1]
		h := math.Hypot(a, b)
		cs, sn := a/h, b/h
		w.r[i*c+i], w.r[i*c+i+1] = h, 0
		for q := i + 1; q < m; q++ {
			x, y := w.r[q*c+i], w.r[q*c+i+1]
			w.r[q*c+i] = cs*x + sn*y
			w.r[q*c+i+1] = -sn*x + cs*y
		}
	}
}

// updatePoint sets p = sum_s lambda_s x_s.
func (w *wolfe) updatePoint() {
	clear(w.p)
	for s, idx := range w.corral {
		w.impl.Daxpy(w.d, w.lam[s], w.row(idx), 1, w.p, 1)
	}
}
