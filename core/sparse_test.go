package core

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestNewSparseRows checks the decomposition on a hand-made split: column
// offsets are the majority values (none in column 2), S holds the rest, and
// a split denser than the limit is refused.
func TestNewSparseRows(t *testing.T) {
	s := &Split{N: 4, D: 3, X: []float64{
		0.5, 0, 1,
		0.5, 0, 2,
		0.5, 3, 3,
		-1, 0, 3,
	}}
	sp := newSparseRows(s, 1)
	if sp == nil {
		t.Fatal("no sparse form")
	}
	wantOff := []float64{0.5, 0, 0} // column 2: 3 twice of 4 is not a majority
	for k, o := range wantOff {
		if sp.offset[k] != o {
			t.Fatalf("offset = %v, want %v", sp.offset, wantOff)
		}
	}
	if len(sp.offsetCols) != 1 || sp.offsetCols[0] != 0 {
		t.Fatalf("offsetCols = %v, want [0]", sp.offsetCols)
	}
	checkSparseRows(t, s, sp)
	if len(sp.idx) != 6 { // (3,-1.5), (1,3), and all four of column 2
		t.Fatalf("%d stored entries, want 6", len(sp.idx))
	}
	if math.Abs(sp.density()-0.5) > 0 {
		t.Fatalf("density %v, want 0.5", sp.density())
	}
	if newSparseRows(s, 0.4) != nil {
		t.Fatal("a split of density 0.5 was made sparse under a limit of 0.4")
	}
}

// checkSparseRows rebuilds every row of s from its stored entries
// (columns increasing) and the offsets.
func checkSparseRows(t *testing.T, s *Split, sp *sparseRows) {
	t.Helper()
	d := s.D
	for i := 0; i < s.N; i++ {
		idx, val := sp.row(i)
		x := append([]float64(nil), sp.offset...)
		for q, k := range idx {
			if q > 0 && k <= idx[q-1] {
				t.Fatalf("row %d: columns not increasing", i)
			}
			x[k] += val[q]
		}
		for k := range x {
			if x[k] != s.X[i*d+k] {
				t.Fatalf("row %d rebuilt as %v, want %v", i, x, s.X[i*d:(i+1)*d])
			}
		}
	}
}

// sparseTestSplit is an n x d split shaped like centred images: a few
// columns always 0, the rest mostly -mean (the centred 0) with a fraction
// density of other values.
func sparseTestSplit(rng *rand.Rand, n, d int, density float64) *Split {
	s := &Split{N: n, D: d, X: make([]float64, n*d), Y: make([]int, n)}
	mean := make([]float64, d)
	for k := range mean {
		if k%7 != 3 { // every 7th column is blank, as MNIST's border
			mean[k] = 0.1 * rng.Float64()
		}
	}
	for i := 0; i < n; i++ {
		s.Y[i] = i % 3
		for k := 0; k < d; k++ {
			v := 0.0
			if k%7 != 3 && rng.Float64() < density {
				v = rng.Float64()
			}
			s.X[i*d+k] = v - mean[k]
		}
	}
	return s
}

// TestSparseTilesMatchGoLoops runs the sparse step's two products on every
// kernel the CPU has and on the Go loops, for batch sizes and widths that
// are not multiples of the tiles, D not a multiple of 8: every kernel gives
// the Go loops' bits, and the Go loops agree with the dense products
// relu(X W) and X^T dA computed by plain sums, to 1e-13 of the sums of
// absolute terms.
func TestSparseTilesMatchGoLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, d := range []int{13, 70, 129} {
		s := sparseTestSplit(rng, 61, d, 0.2)
		sp := newSparseRows(s, sparseMaxDensity)
		if sp == nil {
			t.Fatalf("d=%d: no sparse form", d)
		}
		checkSparseRows(t, s, sp)
		for _, h := range []int{1, 5, 24, 50, 70} {
			w := make([]float64, d*h)
			for i := range w {
				w[i] = rng.NormFloat64()
			}
			rows := rng.Perm(s.N)[:53] // 53 = 6*8 + 5: every tile height
			if d == 129 {
				rows = nil
				for len(rows) < 301 { // rows repeat, as they never do in a batch
					rows = append(rows, rng.Perm(s.N)...)
				}
				rows = rows[:301]
			}
			dA := make([]float64, len(rows)*h)
			for i := range dA {
				if rng.Float64() < 0.5 {
					dA[i] = rng.NormFloat64()
				}
			}
			ref := newSparseStep(sp, gemmGo, h)
			aRef := make([]float64, len(rows)*h)
			gRef := make([]float64, d*h)
			ref.forwardReLU(rows, w, h, aRef)
			ref.backward(rows, dA, h, gRef)
			// The Go loops against plain dense sums.
			for r, i := range rows {
				for j := 0; j < h; j++ {
					sum, mag := 0.0, 0.0
					for k := 0; k < d; k++ {
						sum += s.X[i*d+k] * w[k*h+j]
						mag += math.Abs(s.X[i*d+k] * w[k*h+j])
					}
					want := max(sum, 0)
					if math.Abs(aRef[r*h+j]-want) > 1e-13*mag {
						t.Fatalf("d=%d h=%d: relu(XW)[%d,%d] = %v, dense %v", d, h, r, j, aRef[r*h+j], want)
					}
				}
			}
			for k := 0; k < d; k++ {
				for j := 0; j < h; j++ {
					sum, mag := 0.0, 0.0
					for r, i := range rows {
						sum += s.X[i*d+k] * dA[r*h+j]
						mag += math.Abs(s.X[i*d+k] * dA[r*h+j])
					}
					if math.Abs(gRef[k*h+j]-sum) > 1e-13*mag {
						t.Fatalf("d=%d h=%d: (X^T dA)[%d,%d] = %v, dense %v", d, h, k, j, gRef[k*h+j], sum)
					}
				}
			}
			for _, kern := range []gemmKernel{gemmAVX2, gemmAVX512} {
				if kern > cpuGemmKernelForTest() || sparseTileKernel(kern) == gemmGo {
					continue
				}
				st := newSparseStep(sp, kern, h)
				if d == 129 && h == 50 {
					t.Logf("checked %v (tiles %v), %d stored of %d", kern, st.kern, len(sp.idx), s.N*d)
				}
				for rep := 0; rep < 2; rep++ { // the second pass reuses the scratch
					a := make([]float64, len(rows)*h)
					g := make([]float64, d*h)
					for i := range g {
						g[i] = math.NaN() // backward must write every entry
					}
					st.forwardReLU(rows, w, h, a)
					st.backward(rows, dA, h, g)
					for i := range a {
						if math.Float64bits(a[i]) != math.Float64bits(aRef[i]) {
							t.Fatalf("%v d=%d h=%d rep %d: A[%d] = %v, Go loops %v", kern, d, h, rep, i, a[i], aRef[i])
						}
					}
					for i := range g {
						if math.Float64bits(g[i]) != math.Float64bits(gRef[i]) {
							t.Fatalf("%v d=%d h=%d rep %d: gW[%d] = %v, Go loops %v", kern, d, h, rep, i, g[i], gRef[i])
						}
					}
				}
			}
		}
	}
}

// TestSparseStepMatchesDense trains the same network on the same sparse
// split twice, through the sparse step and through the dense products (the
// path NCSWEEP_SPARSE=off takes), with mini-batch SGD and with full-batch
// gd: the two sum in different orders, so they agree to rounding, not bit
// for bit; after 300 steps every weight agrees to 1e-9 of the largest
// weight and the losses to 1e-9 relative. The sparse path alone is
// deterministic: a second sparse run gives the same bits.
func TestSparseStepMatchesDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n, d, h, k = 240, 90, 30, 3
	base := sparseTestSplit(rng, n, d, 0.2)
	sp := newSparseRows(base, sparseMaxDensity)
	if sp == nil {
		t.Fatal("no sparse form")
	}
	net0 := NewNetwork(d, h, k)
	for i := range net0.W {
		net0.W[i] = 0.3 * rng.NormFloat64()
	}
	for i := range net0.V {
		net0.V[i] = 0.3 * rng.NormFloat64()
	}
	fn, _ := lossFor("ce")
	train := func(sparse bool, method string) (*Network, float64) {
		data := *base
		if sparse {
			data.sparse = sp
		}
		net := net0.Clone()
		tr := newTrainer(net, fn, &data, 64)
		var out trainOutcome
		if method == "sgd" {
			out = tr.train(context.Background(), TrainSpec{Method: "sgd", LR: 0.5, Epochs: 80, Batch: 64}, 7)
		} else {
			tr = newTrainer(net, fn, &data, n)
			out = tr.train(context.Background(), TrainSpec{Method: "gd", LR: 0.01, Time: 3}, 7)
		}
		if out.status != StatusOK {
			t.Fatalf("%s sparse=%v: %s %s", method, sparse, out.status, out.err)
		}
		if (tr.sp != nil) != sparse {
			t.Fatalf("%s sparse=%v: trainer sparse path %v", method, sparse, tr.sp != nil)
		}
		full := newTrainer(net, fn, &data, n)
		x, rows, y := full.fullBatch()
		return net, full.gradient(x, rows, y, 1)
	}
	for _, method := range []string{"sgd", "gd"} {
		dense, lDense := train(false, method)
		sparse, lSparse := train(true, method)
		again, lAgain := train(true, method)
		scale := 0.0
		for _, v := range dense.W {
			scale = max(scale, math.Abs(v))
		}
		moved := 0.0
		for i, v := range dense.W {
			if diff := math.Abs(sparse.W[i] - v); diff > 1e-9*scale {
				t.Fatalf("%s: W[%d] sparse %v, dense %v", method, i, sparse.W[i], v)
			}
			moved = max(moved, math.Abs(v-net0.W[i]))
			if math.Float64bits(again.W[i]) != math.Float64bits(sparse.W[i]) {
				t.Fatalf("%s: two sparse runs differ at W[%d]", method, i)
			}
		}
		for i, v := range dense.V {
			if diff := math.Abs(sparse.V[i] - v); diff > 1e-9*scale {
				t.Fatalf("%s: V[%d] sparse %v, dense %v", method, i, sparse.V[i], v)
			}
		}
		if math.Abs(lSparse-lDense) > 1e-9*lDense || lAgain != lSparse {
			t.Fatalf("%s: loss sparse %v (again %v), dense %v", method, lSparse, lAgain, lDense)
		}
		if moved < 1e-2*scale {
			t.Fatalf("%s: training barely moved the weights (%g): the comparison is vacuous", method, moved)
		}
		t.Logf("%s: loss %.12g (dense %.12g), weights moved up to %.3g", method, lSparse, lDense, moved)
	}
}

// BenchmarkStepMNIST times one SGD step of the paper's MNIST protocol
// (a batch of 1000 of the 18,623 centred training images of digits 0, 1,
// 2; width 50; cross-entropy) through the dense products and through the
// sparse step, on rows drawn like an epoch's shuffle (the batch's rows are
// scattered over the split, so reading them is part of the step), each as
// runSGD does it (dense: a gathered copy of the batch; sparse: the batch
// in class order, read in place). Skipped when the MNIST files are absent.
func BenchmarkStepMNIST(b *testing.B) {
	ds, err := MNIST(DataSpec{Kind: "mnist", Classes: 3, Digits: []int{0, 1, 2}, Center: true}, 1)
	if err != nil {
		b.Skipf("MNIST not available: %v", err)
	}
	sp := newSparseRows(&ds.Train, sparseMaxDensity)
	if sp == nil {
		b.Fatal("MNIST has no sparse form")
	}
	b.Logf("stored %.1f%% of the entries, tile density %.2f", 100*sp.density(), sp.tileDensity(ds.Train.Y))
	benchmarkSparseStep(b, &ds.Train, sp)
}

// benchmarkSparseStep times one batch-1000 step (width 50, K = 3, ce) on s
// dense and through sp.
func benchmarkSparseStep(b *testing.B, s *Split, sp *sparseRows) {
	fn, _ := lossFor("ce")
	const batch, h = 1000, 50
	for _, mode := range []string{"dense", "sparse"} {
		b.Run(mode, func(b *testing.B) {
			data := *s
			data.sparse = nil
			if mode == "sparse" {
				data.sparse = sp
			}
			rng := rand.New(rand.NewPCG(1, 2))
			net := NewNetwork(data.D, h, 3)
			for i := range net.W {
				net.W[i] = 1e-3 * rng.NormFloat64()
			}
			for i := range net.V {
				net.V[i] = 1e-3 * rng.NormFloat64()
			}
			tr := newTrainer(net, fn, &data, batch)
			tr.xb = make([]float64, batch*data.D)
			perm := rng.Perm(data.N)
			y := make([]int, batch)
			lo := 0
			for b.Loop() {
				if lo+batch > data.N {
					lo = 0
				}
				rows := perm[lo : lo+batch]
				lo += batch
				if mode == "sparse" {
					rows = tr.sp.classOrder(rows, data.Y) // as runSGD does
				}
				for r, i := range rows {
					y[r] = data.Y[i]
				}
				if mode == "sparse" {
					tr.gradient(nil, rows, y, 1.0/batch)
				} else {
					for r, i := range rows {
						copy(tr.xb[r*data.D:(r+1)*data.D], data.Row(i))
					}
					tr.gradient(tr.xb, nil, y, 1.0/batch)
				}
			}
		})
	}
}

// uniformSparseSplit is an n x d split with K = 3 classes whose stored
// entries (a fraction density of each row) fall on uniformly random
// columns, so tiles of 8 rows touch most columns whatever their class;
// with banded, each class draws its entries from its own third of the
// columns, as digits of one class share strokes.
func uniformSparseSplit(rng *rand.Rand, n, d int, density float64, banded bool) *Split {
	s := &Split{N: n, D: d, X: make([]float64, n*d), Y: make([]int, n)}
	for i := 0; i < n; i++ {
		c := i % 3
		s.Y[i] = c
		lo, w := 0, d
		if banded {
			lo, w = c*d/3, d/3
		}
		for range int(density * float64(d)) {
			s.X[i*d+lo+rng.IntN(w)] = rng.Float64()
		}
	}
	return s
}

// TestSparseForTraining checks the choice of path: entries scattered
// uniformly at 19% stay dense (8-row tiles touch 1-(0.81)^8 = 81% of the
// columns), the same density banded by class goes sparse (tiles within a
// third of the columns: at most 1/3, about 1-(1-0.57)^8 of it), and a
// split denser than sparseMaxDensity stays dense.
func TestSparseForTraining(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	uniform := uniformSparseSplit(rng, 600, 300, 0.21, false)
	sp := newSparseRows(uniform, 1)
	if got := sp.tileDensity(uniform.Y); math.Abs(got-0.81) > 0.05 {
		t.Fatalf("uniform tile density %.3f, want about 0.81", got)
	}
	if sp, _ := sparseForTraining(uniform); sp != nil {
		t.Fatal("uniformly scattered entries were trained sparse")
	}
	banded := uniformSparseSplit(rng, 600, 300, 0.21, true)
	sp, note := sparseForTraining(banded)
	if sp == nil {
		t.Fatal("class-banded entries were not trained sparse")
	}
	if got := sp.tileDensity(banded.Y); got > 1.0/3+1e-12 || got < 0.25 {
		t.Fatalf("banded tile density %.3f, want in [0.25, 1/3]", got)
	}
	if !strings.Contains(note, "sparse form") {
		t.Fatalf("note %q does not say the inputs are read in sparse form", note)
	}
	dense := uniformSparseSplit(rng, 600, 300, 0.6, false) // 1-e^-0.6 = 45% stored
	if sp, _ := sparseForTraining(dense); sp != nil {
		t.Fatalf("a split with %.0f%% stored was trained sparse", 100*newSparseRows(dense, 1).density())
	}
}

// BenchmarkStepUniform is BenchmarkStepMNIST's step on 4,000 rows of 784
// columns with 19% of the entries stored on uniformly random columns, the
// sparse form forced: the case sparseForTraining leaves dense.
func BenchmarkStepUniform(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 10))
	s := uniformSparseSplit(rng, 4000, 784, 0.19, false)
	sp := newSparseRows(s, 1)
	b.Logf("tile density %.2f", sp.tileDensity(s.Y))
	benchmarkSparseStep(b, s, sp)
}

// TestSparseMNISTMatchesDense runs a short version of the paper's MNIST
// protocol (300 centred training images per digit 0, 1, 2; SGD batch 100,
// 10 epochs; paper init) on real MNIST: BuildDataset must pick the sparse
// form (and say so in the notes), and the run through it must agree with
// the same run through the dense products to rounding: every final metric
// within 1e-9 relative, the accuracies equal.
func TestSparseMNISTMatchesDense(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	if _, err := DefaultMNISTDir(); err != nil {
		t.Skip(err)
	}
	spec := Spec{Seed: 3,
		Data:  DataSpec{Kind: "mnist", Classes: 3, Digits: []int{0, 1, 2}, PerClass: 300, TestPerClass: 100, Center: true},
		Model: ModelSpec{Width: 50, Init: "paper", InitScale: 1e-3},
		Train: TrainSpec{Loss: "ce", Method: "sgd", LR: 0.1, Epochs: 10, Batch: 100}}
	ds, err := PrepareDataset(spec)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Train.sparse == nil {
		t.Fatalf("MNIST was not given a sparse form; notes %q", ds.Notes)
	}
	if !slices.ContainsFunc(ds.Notes, func(n string) bool { return strings.Contains(n, "sparse form") }) {
		t.Fatalf("notes %q do not say the inputs are read in sparse form", ds.Notes)
	}
	dense := *ds
	dense.Train.sparse = nil
	got := Run(context.Background(), spec, ds)
	want := Run(context.Background(), spec, &dense)
	if got.Status != StatusOK || want.Status != StatusOK {
		t.Fatalf("status sparse %s (%s), dense %s (%s)", got.Status, got.Error, want.Status, want.Error)
	}
	for _, m := range []struct {
		name      string
		got, want *float64
	}{
		{"loss", got.Final.Loss, want.Final.Loss},
		{"nc1", got.Final.NC1, want.Final.NC1},
		{"nc1_norm", got.Final.NC1Norm, want.Final.NC1Norm},
		{"nc2", got.Final.NC2, want.Final.NC2},
		{"nc3", got.Final.NC3, want.Final.NC3},
		{"pca_feat", got.Final.PCAFeat, want.Final.PCAFeat},
	} {
		if m.got == nil || m.want == nil {
			t.Fatalf("%s: sparse %v, dense %v", m.name, m.got, m.want)
		}
		if math.Abs(*m.got-*m.want) > 1e-9*math.Abs(*m.want) {
			t.Errorf("%s: sparse %.17g, dense %.17g", m.name, *m.got, *m.want)
		}
	}
	if *got.Final.TrainAcc != *want.Final.TrainAcc || *got.Final.TestAcc != *want.Final.TestAcc {
		t.Errorf("accuracies sparse %v/%v, dense %v/%v", *got.Final.TrainAcc, *got.Final.TestAcc, *want.Final.TrainAcc, *want.Final.TestAcc)
	}
	if *got.Final.TrainAcc < 0.9 {
		t.Errorf("train accuracy %v: the run did not learn, the comparison is vacuous", *got.Final.TrainAcc)
	}
}
