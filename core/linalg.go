package core

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// dblEps is the float64 machine epsilon (the gap between 1 and the next
// float64), the unit of the relative rank tolerances below.
const dblEps = 0x1p-52

// thinSVD factorises the row-major r x c matrix a as U diag(s) Vt with U
// r x q, Vt q x c, q = min(r, c), and s in decreasing order. U and Vt are
// returned row-major. ok is false, and nothing else is returned, when a
// holds a NaN or Inf or gonum's SVD does not converge: callers measuring
// data leave their metric nil with a note rather than panic.
func thinSVD(a []float64, r, c int) (u []float64, s []float64, vt []float64, ok bool) {
	if !finite(a[:r*c]) {
		return nil, nil, nil, false
	}
	var svd mat.SVD
	if !svd.Factorize(mat.NewDense(r, c, append([]float64(nil), a[:r*c]...)), mat.SVDThin) {
		return nil, nil, nil, false
	}
	s = svd.Values(nil)
	var um, vm mat.Dense
	svd.UTo(&um)
	svd.VTo(&vm)
	q := len(s)
	u = make([]float64, r*q)
	for i := 0; i < r; i++ {
		for j := 0; j < q; j++ {
			u[i*q+j] = um.At(i, j)
		}
	}
	vt = make([]float64, q*c)
	for j := 0; j < q; j++ {
		for i := 0; i < c; i++ {
			vt[j*c+i] = vm.At(i, j)
		}
	}
	if !finite(s) || !finite(u) || !finite(vt) {
		return nil, nil, nil, false
	}
	return u, s, vt, true
}

// pinvRank returns how many of the decreasing singular values s count as
// non-zero for a pseudo-inverse of an r x c matrix: those above
// max(r, c) * eps * s[0] (the tolerance of LAPACK and numpy's pinv).
func pinvRank(s []float64, r, c int) int {
	if len(s) == 0 || s[0] == 0 {
		return 0
	}
	tol := float64(max(r, c)) * dblEps * s[0]
	q := 0
	for q < len(s) && s[q] > tol {
		q++
	}
	return q
}

// symEigenvalues returns the eigenvalues, in increasing order, of the
// symmetric n x n matrix whose upper triangle is stored row-major in a.
// a is not modified. It returns an error naming the problem, instead of
// panicking, when a holds a NaN or Inf or the decomposition does not
// converge.
func symEigenvalues(a []float64, n int) ([]float64, error) {
	if !finite(a[:n*n]) {
		return nil, fmt.Errorf("the %d x %d matrix to decompose has a non-finite entry", n, n)
	}
	var es mat.EigenSym
	if !es.Factorize(mat.NewSymDense(n, append([]float64(nil), a[:n*n]...)), false) {
		return nil, fmt.Errorf("the symmetric eigendecomposition of a %d x %d matrix did not converge", n, n)
	}
	ev := es.Values(nil)
	if !finite(ev) {
		return nil, fmt.Errorf("the symmetric eigendecomposition of a %d x %d matrix gave a non-finite eigenvalue", n, n)
	}
	return ev, nil
}

// maxAbs returns max_i |a_i| (0 for an empty slice), NaN when a holds a
// NaN and +Inf when it holds an infinity.
func maxAbs(a []float64) float64 {
	m := 0.0
	for _, v := range a {
		if v != v {
			return math.NaN()
		}
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// Safe magnitudes: a matrix whose entries are at most 2^safeExp in size
// (and whose largest is at least 2^-safeExp) can be multiplied with itself
// over up to 2^20 terms without overflow, or underflow of its leading terms.
const safeExp = 480

// pow2Scale returns the exponent e such that multiplying by 2^-e (exactly,
// with math.Ldexp) brings a largest magnitude m (finite, > 0) to [0.5, 1),
// or 0 when m already lies within 2^-safeExp..2^safeExp, so that data of
// ordinary size are used as they are, bit for bit.
func pow2Scale(m float64) int {
	if m == 0 || m >= math.Ldexp(1, -safeExp) && m <= math.Ldexp(1, safeExp) {
		return 0
	}
	_, e := math.Frexp(m)
	return e
}

// scaledCopy returns a * 2^-e (exact up to underflow of entries far below
// the largest), or a itself when e is 0.
func scaledCopy(a []float64, e int) []float64 {
	if e == 0 {
		return a
	}
	b := make([]float64, len(a))
	for i, v := range a {
		b[i] = math.Ldexp(v, -e)
	}
	return b
}

// syrkUpper adds alpha op(A)^T op(A)-style products into the upper triangle
// of the row-major n x n matrix c: with t = blas.Trans it adds
// alpha A^T A for A rows x cols (n = cols); with blas.NoTrans it adds
// alpha A A^T (n = rows).
func syrkUpper(t blas.Transpose, rows, cols int, alpha float64, a []float64, c []float64) {
	n := cols
	if t == blas.NoTrans {
		n = rows
	}
	if rows == 0 || cols == 0 {
		return
	}
	blas64.Syrk(t, alpha,
		blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: a},
		1, blas64.Symmetric{Uplo: blas.Upper, N: n, Stride: n, Data: c})
}

// vecDot returns <a, b> for equal-length slices.
func vecDot(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// vecNorm returns |a|_2 without overflow or underflow for extreme entries.
func vecNorm(a []float64) float64 {
	scale, ssq := 0.0, 1.0
	for _, v := range a {
		if v == 0 {
			continue
		}
		av := math.Abs(v)
		if scale < av {
			ssq = 1 + ssq*(scale/av)*(scale/av)
			scale = av
		} else {
			ssq += (av / scale) * (av / scale)
		}
	}
	return scale * math.Sqrt(ssq)
}

// vecSqDist returns |a - b|^2 for equal-length slices.
func vecSqDist(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		d := v - b[i]
		s += d * d
	}
	return s
}
