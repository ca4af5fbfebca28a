package core

import (
	"fmt"

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

// gemmKernel names an implementation of gemm. The order is from the most
// portable to the fastest; each gives bit-for-bit the same results on
// every call with the same shapes and inputs, but different kernels round
// differently (they sum in different orders), so results are reproducible
// bit for bit on machines that pick the same kernel.
type gemmKernel int

const (
	gemmGo     gemmKernel = iota // gemmRef, pure Go (gonum's Daxpy/Ddot)
	gemmAVX2                     // AVX2+FMA register-blocked kernels (amd64)
	gemmAVX512                   // AVX-512F/VL register-blocked kernels (amd64)
)

// String names the kernel as NCSWEEP_GEMM does.
func (k gemmKernel) String() string {
	switch k {
	case gemmAVX2:
		return "avx2"
	case gemmAVX512:
		return "avx512"
	}
	return "go"
}

// bestGemmKernel is the kernel gemm uses: the fastest the CPU supports,
// unless NCSWEEP_GEMM names a slower one. It is set once at start-up and
// never changes, so every run of a process uses the same kernel.
var bestGemmKernel = detectGemmKernel()

// gemm computes C = alpha op(A) op(B) + beta C for row-major matrices, where
// op(A) is m x k and op(B) is k x n, with the fastest kernel the CPU
// supports (bestGemmKernel). It runs on the calling goroutine only (gonum's
// Dgemm starts worker goroutines for large products, which would
// oversubscribe the cores a sweep already fills with one run per job),
// allocates nothing, and sums in an order fixed by the shapes alone, so
// every result bit is reproducible for a given kernel. It panics if a
// leading dimension is smaller than its row width or a slice is too short.
func gemm(ta, tb blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	gemmWith(bestGemmKernel, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmWith is gemm with a chosen kernel (tests compare kernels with it).
// A kernel the CPU lacks must not be asked for.
func gemmWith(kern gemmKernel, ta, tb blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	gemmEpiWith(kern, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, gemmEpi{})
}

// gemmEpi is an elementwise step applied to C after the product, fused
// into the kernels' stores where they can (op(B) = B, fast kernels), so a
// training step does not pass over its n x H matrices again.
type gemmEpi struct {
	relu bool      // C = max(C, 0): NaN and -0 become +0, as in relu
	mask []float64 // C = 0 where mask <= 0 (or NaN); laid out like C
}

func (e gemmEpi) active() bool { return e.relu || e.mask != nil }

// apply runs the epilogue on C in Go (the portable path).
func (e gemmEpi) apply(m, n int, c []float64, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if e.relu {
			for j, v := range row {
				if !(v > 0) {
					row[j] = 0
				}
			}
		}
		if e.mask != nil {
			for j, v := range e.mask[i*ldc : i*ldc+n] {
				if !(v > 0) {
					row[j] = 0
				}
			}
		}
	}
}

// gemmReLU computes C = relu(op(A) op(B)) (m x n): the features
// A = relu(X W) of a step in one pass, without a pre-activation matrix
// (A > 0 exactly where X W > 0, so A also serves as the ReLU mask of the
// backward pass).
func gemmReLU(ta, tb blas.Transpose, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	gemmEpiWith(bestGemmKernel, ta, tb, m, n, k, 1, a, lda, b, ldb, 0, c, ldc, gemmEpi{relu: true})
}

// gemmMasked computes C = op(A) op(B) with the entries where mask <= 0
// set to zero (mask m x n with stride ldc, like C): dA = (G V) masked by
// the active features, in one pass.
func gemmMasked(ta, tb blas.Transpose, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, mask []float64) {
	gemmEpiWith(bestGemmKernel, ta, tb, m, n, k, 1, a, lda, b, ldb, 0, c, ldc, gemmEpi{mask: mask})
}

// gemmEpiWith is gemmWith followed by the epilogue epi.
func gemmEpiWith(kern gemmKernel, ta, tb blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int, epi gemmEpi) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("core: gemm: negative shape %d x %d x %d", m, n, k))
	}
	if m == 0 || n == 0 {
		return
	}
	gemmCheck("C", blas.NoTrans, m, n, c, ldc)
	if epi.mask != nil {
		gemmCheck("mask", blas.NoTrans, m, n, epi.mask, ldc)
	}
	if kern == gemmGo {
		if k > 0 && alpha != 0 {
			gemmCheck("A", ta, m, k, a, lda)
			gemmCheck("B", tb, k, n, b, ldb)
		}
		gemmRef(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		epi.apply(m, n, c, ldc)
		return
	}
	if k == 0 || alpha == 0 || (beta != 0 && beta != 1) {
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			if beta == 0 {
				clear(row)
				continue
			}
			for j := range row {
				row[j] *= beta
			}
		}
		if k == 0 || alpha == 0 {
			epi.apply(m, n, c, ldc)
			return
		}
		beta = 1
	}
	gemmCheck("A", ta, m, k, a, lda)
	gemmCheck("B", tb, k, n, b, ldb)
	if gemmArch(kern, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta == 1, c, ldc, epi) {
		return
	}
	if !gemmArch(kern, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta == 1, c, ldc, gemmEpi{}) {
		gemmRef(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	}
	epi.apply(m, n, c, ldc)
}

// gemmCheck panics unless x holds op(X), rows x cols, with leading
// dimension ld (the assembly kernels read memory without bounds checks).
func gemmCheck(name string, t blas.Transpose, rows, cols int, x []float64, ld int) {
	if t != blas.NoTrans {
		rows, cols = cols, rows
	}
	if ld < max(1, cols) {
		panic(fmt.Sprintf("core: gemm: leading dimension of %s is %d, less than its %d columns", name, ld, cols))
	}
	if need := (rows-1)*ld + cols; len(x) < need {
		panic(fmt.Sprintf("core: gemm: %s has %d entries, needs %d for %d x %d with stride %d", name, len(x), need, rows, cols, ld))
	}
}

// gemmRef is the portable gemm and the reference the fast kernels are
// tested against: C = alpha op(A) op(B) + beta C built on gonum's
// Daxpy/Ddot, serial, with a fixed summation order. Rows of B whose
// coefficient in A is exactly zero are skipped, so an Inf or NaN there
// does not reach C (the fast kernels multiply it by the zero).
func gemmRef(ta, tb blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
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
