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
// returned row-major. It panics if gonum's SVD does not converge, which for a
// finite input does not happen in practice.
func thinSVD(a []float64, r, c int) (u []float64, s []float64, vt []float64) {
	var svd mat.SVD
	if !svd.Factorize(mat.NewDense(r, c, append([]float64(nil), a...)), mat.SVDThin) {
		panic(fmt.Sprintf("core: SVD of a %d x %d matrix did not converge", r, c))
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
	return u, s, vt
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
// a is not modified.
func symEigenvalues(a []float64, n int) []float64 {
	var es mat.EigenSym
	if !es.Factorize(mat.NewSymDense(n, append([]float64(nil), a...)), false) {
		panic(fmt.Sprintf("core: symmetric eigendecomposition of a %d x %d matrix did not converge", n, n))
	}
	return es.Values(nil)
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
