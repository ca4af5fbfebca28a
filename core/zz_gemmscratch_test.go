package core

import (
	"fmt"
	"gonum.org/v1/gonum/blas"
	"math/rand/v2"
	"testing"
)

// BenchmarkScratchMNISTStep mimics one SGD step of the MNIST protocol:
// gather 1000 rows of an 18623 x 784 dataset, gradient, update.
func BenchmarkScratchMNISTStep(b *testing.B) {
	const n, d, h, k, nb = 18623, 784, 50, 3, 1000
	r := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, n*d)
	for i := range x {
		x[i] = r.NormFloat64() * 0.3
	}
	y := make([]int, n)
	for i := range y {
		y[i] = i % k
	}
	split := &Split{N: n, D: d, X: x, Y: y}
	net := NewNetwork(d, h, k)
	for i := range net.W {
		net.W[i] = r.NormFloat64() * 1e-3
	}
	for i := range net.V {
		net.V[i] = r.NormFloat64() * 1e-3
	}
	fn, _ := lossFor("ce")
	tr := newTrainer(net, fn, split, nb)
	xb := make([]float64, nb*d)
	yb := make([]int, nb)
	perm := r.Perm(n)
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		lo := (it * nb) % (n - nb)
		for rr, i := range perm[lo : lo+nb] {
			copy(xb[rr*d:(rr+1)*d], x[i*d:(i+1)*d])
			yb[rr] = y[i]
		}
		tr.gradient(xb, yb, 1.0/nb)
		tr.step(0.1)
	}
}

// gradientFused is trainer.gradient with the ReLU and the backward mask
// fused into the gemm epilogues (scratch: measured for the report).
func (t *trainer) gradientFused(x []float64, y []int, scale float64) float64 {
	net := t.net
	nb, d, h, out := len(y), net.D, net.H, net.Out
	a, dA := t.a[:nb*h], t.dA[:nb*h]
	f, g := t.f[:nb*out], t.g[:nb*out]
	gemmReLU(blas.NoTrans, blas.NoTrans, nb, h, d, x, d, net.W, h, a, h)
	gemm(blas.NoTrans, blas.Trans, nb, out, h, 1, a, h, net.V, h, 0, f, out)
	l := t.loss(f, y, out, scale, g)
	t.gradEvals++
	gemm(blas.Trans, blas.NoTrans, out, h, nb, 1, g, out, a, h, 0, t.gV, h)
	gemmMasked(blas.NoTrans, blas.NoTrans, nb, h, out, g, out, net.V, h, dA, h, a)
	gemm(blas.Trans, blas.NoTrans, d, h, nb, 1, x, d, dA, h, 0, t.gW, h)
	return l
}

func benchmarkStepFused(b *testing.B, loss string, k, per, d, h int, fused bool) {
	data := trainTestClusters(k, per, 0, d, 0.5, 8)
	spec := trainTestSpec(loss, k, h, 0.1, 1e-3, 1)
	net, _ := Initialize(spec, d, k)
	fn, _ := lossFor(loss)
	tr := newTrainer(net, fn, &data.Train, data.Train.N)
	// same gradient both ways, bit for bit
	net2 := net.Clone()
	tr2 := newTrainer(net2, fn, &data.Train, data.Train.N)
	tr.gradient(data.Train.X, data.Train.Y, 1)
	tr2.gradientFused(data.Train.X, data.Train.Y, 1)
	for i := range tr.gW {
		if tr.gW[i] != tr2.gW[i] {
			b.Fatalf("gW differs at %d", i)
		}
	}
	cpu0 := processCPU(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if fused {
			tr.gradientFused(data.Train.X, data.Train.Y, 1)
		} else {
			tr.gradient(data.Train.X, data.Train.Y, 1)
		}
		tr.step(1e-3)
	}
	b.ReportMetric(float64((processCPU(b)-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

func BenchmarkScratchFused(b *testing.B) {
	for _, fused := range []bool{false, true} {
		b.Run(fmt.Sprintf("exp/fused=%v", fused), func(b *testing.B) { benchmarkStepFused(b, "exp", 2, 100, 50, 100, fused) })
		b.Run(fmt.Sprintf("ce/fused=%v", fused), func(b *testing.B) { benchmarkStepFused(b, "ce", 4, 100, 100, 200, fused) })
	}
}
