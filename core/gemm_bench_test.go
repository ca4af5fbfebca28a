//go:build unix

package core

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
)

// gemmBenchShapes are the products of a training step (StepExp: n=200,
// D=50, h=100, Out=1; StepCE: n=400, D=100, h=200, Out=4) and of an MNIST
// SGD step (batch 1000, D=784, h=50, Out=2).
var gemmBenchShapes = []struct {
	name    string
	ta, tb  blas.Transpose
	m, n, k int
}{
	{"exp/Z=XW", blas.NoTrans, blas.NoTrans, 200, 100, 50},
	{"exp/F=AVt", blas.NoTrans, blas.Trans, 200, 1, 100},
	{"exp/gV=GtA", blas.Trans, blas.NoTrans, 1, 100, 200},
	{"exp/dA=GV", blas.NoTrans, blas.NoTrans, 200, 100, 1},
	{"exp/gW=XtdA", blas.Trans, blas.NoTrans, 50, 100, 200},
	{"ce/Z=XW", blas.NoTrans, blas.NoTrans, 400, 200, 100},
	{"ce/F=AVt", blas.NoTrans, blas.Trans, 400, 4, 200},
	{"ce/gV=GtA", blas.Trans, blas.NoTrans, 4, 200, 400},
	{"ce/dA=GV", blas.NoTrans, blas.NoTrans, 400, 200, 4},
	{"ce/gW=XtdA", blas.Trans, blas.NoTrans, 100, 200, 400},
	{"mnist/Z=XW", blas.NoTrans, blas.NoTrans, 1000, 50, 784},
	{"mnist/gW=XtdA", blas.Trans, blas.NoTrans, 784, 50, 1000},
	{"square/NN", blas.NoTrans, blas.NoTrans, 240, 240, 240},
	{"square/NT", blas.NoTrans, blas.Trans, 240, 240, 240},
}

// BenchmarkGemm times every kernel on the step and MNIST shapes and
// reports GFLOP/s (2mnk per product).
func BenchmarkGemm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	kernels := append([]gemmKernel{gemmGo}, gemmKernelsHere()...)
	for _, s := range gemmBenchShapes {
		g := newGemmCase(r, s.ta, s.tb, s.m, s.n, s.k, 1, 0, 0)
		for _, kern := range kernels {
			b.Run(fmt.Sprintf("%s/%s", s.name, kern), func(b *testing.B) {
				cpu0 := processCPU(b)
				for i := 0; i < b.N; i++ {
					gemmWith(kern, s.ta, s.tb, s.m, s.n, s.k, 1, g.a, g.lda, g.b, g.ldb, 0, g.c, g.ldc)
				}
				cpu := processCPU(b) - cpu0
				flops := 2 * float64(s.m*s.n*s.k) * float64(b.N)
				b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
				b.ReportMetric(flops/cpu.Seconds()/1e9, "cpu-GFLOP/s")
			})
		}
	}
}

// processCPU is the CPU time (user + system) the process has used so far.
// On a shared machine the wall time of a benchmark counts the time other
// processes held the core; CPU time per op does not (it still feels their
// cache traffic), so the kernels report both.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkGemmStepExp and BenchmarkGemmStepCE are BenchmarkStepExp and
// BenchmarkStepCE (one full-batch step, train_test.go) with the CPU time
// per step reported beside the wall time, and the kernel named: run with
// NCSWEEP_GEMM=go for the pure-Go figures.
func BenchmarkGemmStepExp(b *testing.B) {
	b.Run(bestGemmKernel.String(), func(b *testing.B) {
		cpu0 := processCPU(b)
		benchmarkStep(b, "exp", 2, 100, 50, 100)
		b.ReportMetric(float64((processCPU(b)-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	})
}

func BenchmarkGemmStepCE(b *testing.B) {
	b.Run(bestGemmKernel.String(), func(b *testing.B) {
		cpu0 := processCPU(b)
		benchmarkStep(b, "ce", 4, 100, 100, 200)
		b.ReportMetric(float64((processCPU(b)-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	})
}
