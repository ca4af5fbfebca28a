//go:build !amd64

package core

import "gonum.org/v1/gonum/blas"

// detectGemmKernel returns gemmGo: there are no assembly kernels for this
// architecture.
func detectGemmKernel() gemmKernel { return gemmGo }

// gemmArch reports false: gemm falls back to gemmRef.
func gemmArch(kern gemmKernel, ta, tb blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, accum bool, c []float64, ldc int, epi gemmEpi) bool {
	return false
}

// cpuGemmKernelForTest is gemmGo: no fast kernels here.
func cpuGemmKernelForTest() gemmKernel { return gemmGo }
