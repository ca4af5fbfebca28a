package core

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// Network is the bias-free two-layer ReLU network f(x) = V relu(W^T x)
// (SCIENCE.md section 2). W is D x H and V is Out x H, both row-major.
type Network struct {
	D, H, Out int
	W         []float64
	V         []float64
}

// NewNetwork returns a zero network of the given shape.
func NewNetwork(d, h, out int) *Network {
	return &Network{D: d, H: h, Out: out, W: make([]float64, d*h), V: make([]float64, out*h)}
}

// Clone returns a deep copy.
func (net *Network) Clone() *Network {
	c := &Network{D: net.D, H: net.H, Out: net.Out}
	c.W = append([]float64(nil), net.W...)
	c.V = append([]float64(nil), net.V...)
	return c
}

// PreActivations writes Z = X W (n x H) for the n x D matrix x.
func (net *Network) PreActivations(x []float64, n int, z []float64) {
	gemm(blas.NoTrans, blas.NoTrans, n, net.H, net.D, 1, x, net.D, net.W, net.H, 0, z, net.H)
}

// Features writes phi = relu(X W) (n x H), the last-layer features.
func (net *Network) Features(x []float64, n int, phi []float64) {
	net.PreActivations(x, n, phi)
	for i, v := range phi {
		if v <= 0 { // relu'(0) = 0 and relu(0) = 0: a zero pre-activation is inactive
			phi[i] = 0
		}
	}
}

// OutputsFromFeatures writes F = phi V^T (n x Out).
func (net *Network) OutputsFromFeatures(phi []float64, n int, f []float64) {
	gemm(blas.NoTrans, blas.Trans, n, net.Out, net.H, 1, phi, net.H, net.V, net.H, 0, f, net.Out)
}

// gemm computes C = alpha op(A) op(B) + beta C for row-major matrices, where
// op(A) is m x k and op(B) is k x n. It runs on the calling goroutine only
// (gonum's Dgemm starts worker goroutines for large products, which would
// oversubscribe the cores a sweep already fills with one run per job) and
// builds on gonum's assembly Daxpy/Ddot, so the summation order, and hence
// every result bit, is fixed.
func gemm(ta, tb blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	impl := blas64.Implementation()
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
	if k == 0 || alpha == 0 {
		return
	}
	switch {
	case tb == blas.NoTrans:
		// C[i,:] += alpha op(A)[i,p] B[p,:]: unit-stride axpy on rows of B.
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			for p := 0; p < k; p++ {
				var aip float64
				if ta == blas.NoTrans {
					aip = a[i*lda+p]
				} else {
					aip = a[p*lda+i]
				}
				if aip != 0 {
					impl.Daxpy(n, alpha*aip, b[p*ldb:p*ldb+n], 1, row, 1)
				}
			}
		}
	case ta == blas.NoTrans:
		// C[i,j] += alpha <A[i,:], B[j,:]>: unit-stride dot products.
		for i := 0; i < m; i++ {
			ai := a[i*lda : i*lda+k]
			for j := 0; j < n; j++ {
				c[i*ldc+j] += alpha * impl.Ddot(k, ai, 1, b[j*ldb:j*ldb+k], 1)
			}
		}
	default:
		// op(A) = A^T and op(B) = B^T: C[i,j] += alpha sum_p A[p,i] B[j,p].
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				c[i*ldc+j] += alpha * impl.Ddot(k, a[i:], lda, b[j*ldb:j*ldb+k], 1)
			}
		}
	}
}
