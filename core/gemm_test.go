package core

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// gemmKernelsHere lists the fast kernels this CPU runs (none off amd64).
func gemmKernelsHere() []gemmKernel {
	var ks []gemmKernel
	for k := gemmAVX2; k <= cpuGemmKernelForTest(); k++ {
		ks = append(ks, k)
	}
	return ks
}

// gemmCase is one random product with padded, NaN-poisoned operands.
type gemmCase struct {
	ta, tb      blas.Transpose
	m, n, k     int
	alpha, beta float64
	lda, ldb    int
	ldc         int
	a, b, c     []float64
}

// newGemmCase draws operands; the padding columns of A and B (between the
// row width and the stride) hold NaN, so a kernel that reads them into a
// result fails the comparison, and C's padding holds a sentinel that must
// survive.
func newGemmCase(r *rand.Rand, ta, tb blas.Transpose, m, n, k int, alpha, beta float64, pad int) gemmCase {
	g := gemmCase{ta: ta, tb: tb, m: m, n: n, k: k, alpha: alpha, beta: beta}
	fill := func(rows, cols int, ld *int) []float64 {
		*ld = max(1, cols) + r.IntN(pad+1)
		x := make([]float64, max(0, (rows-1)*(*ld)+cols))
		for i := range x {
			if i%*ld < cols {
				x[i] = r.NormFloat64()
			} else {
				x[i] = math.NaN()
			}
		}
		return x
	}
	ar, ac := m, k
	if ta == blas.Trans {
		ar, ac = k, m
	}
	br, bc := k, n
	if tb == blas.Trans {
		br, bc = n, k
	}
	g.a = fill(ar, ac, &g.lda)
	g.b = fill(br, bc, &g.ldb)
	g.ldc = max(1, n) + r.IntN(pad+1)
	g.c = make([]float64, m*g.ldc+3)
	for i := range g.c {
		if i < m*g.ldc && i%g.ldc < n {
			g.c[i] = r.NormFloat64()
			if beta == 0 && r.IntN(4) == 0 {
				g.c[i] = math.NaN() // beta = 0 must overwrite, not scale
			}
		} else {
			g.c[i] = -12345
		}
	}
	return g
}

// opA and opB read op(A)[i,p] and op(B)[p,j].
func (g *gemmCase) opA(i, p int) float64 {
	if g.ta == blas.Trans {
		return g.a[p*g.lda+i]
	}
	return g.a[i*g.lda+p]
}

func (g *gemmCase) opB(p, j int) float64 {
	if g.tb == blas.Trans {
		return g.b[j*g.ldb+p]
	}
	return g.b[p*g.ldb+j]
}

// check runs kernel kern on a copy of C and compares every entry with an
// independent triple loop to within 1e-13 of the scale sum |alpha a b| +
// |beta c|, and checks that the padding of C is untouched.
func (g *gemmCase) check(t *testing.T, kern gemmKernel) {
	t.Helper()
	got := append([]float64(nil), g.c...)
	gemmWith(kern, g.ta, g.tb, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, got, g.ldc)
	for i := range got {
		if i >= g.m*g.ldc || i%g.ldc >= g.n {
			if got[i] != -12345 {
				t.Fatalf("%s %v: padding entry %d of C changed to %g", kern, g, i, got[i])
			}
			continue
		}
		r, j := i/g.ldc, i%g.ldc
		var want, scale float64
		if g.beta != 0 {
			want = g.beta * g.c[i]
			scale = math.Abs(want)
		}
		if g.alpha != 0 {
			for p := 0; p < g.k; p++ {
				ab := g.opA(r, p) * g.opB(p, j)
				want += g.alpha * ab
				scale += math.Abs(g.alpha * ab)
			}
		}
		if d := math.Abs(got[i] - want); !(d <= 1e-13*scale+1e-300) {
			t.Fatalf("%s %v: C[%d,%d] = %.17g, want %.17g (scale %g)", kern, g, r, j, got[i], want, scale)
		}
	}
}

func (g gemmCase) String() string {
	return fmt.Sprintf("gemm(%c%c m=%d n=%d k=%d alpha=%g beta=%g lda=%d ldb=%d ldc=%d)",
		g.ta, g.tb, g.m, g.n, g.k, g.alpha, g.beta, g.lda, g.ldb, g.ldc)
}

var gemmTransposes = [][2]blas.Transpose{
	{blas.NoTrans, blas.NoTrans}, {blas.NoTrans, blas.Trans},
	{blas.Trans, blas.NoTrans}, {blas.Trans, blas.Trans},
}

// TestGemmKernelsSmallShapes: every kernel, including the pure-Go
// reference, agrees with a triple loop on all shapes up to 37 (all tile
// edges of both instruction sets), all transposes, several alpha/beta and
// padded strides.
func TestGemmKernelsSmallShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	kernels := append([]gemmKernel{gemmGo}, gemmKernelsHere()...)
	coefs := [][2]float64{{1, 0}, {1, 1}, {-0.7, 0.3}, {0, 0.5}, {2.5, 0}}
	for _, tr := range gemmTransposes {
		for trial := 0; trial < 300; trial++ {
			m, n, k := r.IntN(38), r.IntN(38), r.IntN(38)
			if trial < 38 { // every size at least once in each role
				m, n, k = trial, 37-trial, (trial*7)%38
			}
			ab := coefs[trial%len(coefs)]
			g := newGemmCase(r, tr[0], tr[1], m, n, k, ab[0], ab[1], 3)
			for _, kern := range kernels {
				g.check(t, kern)
			}
		}
	}
}

// TestGemmKernelsLargeShapes covers the blocking: k beyond one k block
// (256), A B^T beyond the dot kernels' width (packed path), and the shapes
// of a training step and of the MNIST protocol.
func TestGemmKernelsLargeShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	shapes := []struct {
		ta, tb  blas.Transpose
		m, n, k int
	}{
		{blas.NoTrans, blas.NoTrans, 33, 50, 600},
		{blas.Trans, blas.NoTrans, 50, 100, 531},
		{blas.NoTrans, blas.Trans, 45, 70, 300},
		{blas.Trans, blas.Trans, 19, 61, 270},
		{blas.NoTrans, blas.Trans, 200, 1, 100},
		{blas.NoTrans, blas.Trans, 40, 33, 257},
		{blas.NoTrans, blas.NoTrans, 200, 100, 50},
		{blas.Trans, blas.NoTrans, 4, 200, 400},
		{blas.NoTrans, blas.NoTrans, 400, 200, 4},
		{blas.NoTrans, blas.NoTrans, 120, 50, 784},
	}
	for _, s := range shapes {
		g := newGemmCase(r, s.ta, s.tb, s.m, s.n, s.k, 1, 0, 2)
		for _, kern := range gemmKernelsHere() {
			g.check(t, kern)
		}
		g = newGemmCase(r, s.ta, s.tb, s.m, s.n, s.k, -1.5, 1, 2)
		for _, kern := range gemmKernelsHere() {
			g.check(t, kern)
		}
	}
}

// TestGemmDeterministic: the same product twice gives the same bits, and
// the result does not depend on what C held when beta = 0.
func TestGemmDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, kern := range append([]gemmKernel{gemmGo}, gemmKernelsHere()...) {
		for _, tr := range gemmTransposes {
			g := newGemmCase(r, tr[0], tr[1], 29, 53, 300, 1, 0, 0)
			c1 := make([]float64, len(g.c))
			c2 := make([]float64, len(g.c))
			for i := range c2 {
				c2[i] = r.NormFloat64()
			}
			gemmWith(kern, tr[0], tr[1], g.m, g.n, g.k, 1, g.a, g.lda, g.b, g.ldb, 0, c1, g.ldc)
			gemmWith(kern, tr[0], tr[1], g.m, g.n, g.k, 1, g.a, g.lda, g.b, g.ldb, 0, c2, g.ldc)
			for i := 0; i < g.m*g.ldc; i++ {
				if math.Float64bits(c1[i]) != math.Float64bits(c2[i]) {
					t.Fatalf("%s %c%c: entry %d differs between calls: %v vs %v", kern, tr[0], tr[1], i, c1[i], c2[i])
				}
			}
		}
	}
}

// TestGemmAllocatesNothing covers every path, the packed one included.
func TestGemmAllocatesNothing(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, tr := range gemmTransposes {
		g := newGemmCase(r, tr[0], tr[1], 20, 40, 300, 1, 0, 0)
		if a := testing.AllocsPerRun(10, func() {
			gemm(tr[0], tr[1], g.m, g.n, g.k, 1, g.a, g.lda, g.b, g.ldb, 0, g.c, g.ldc)
		}); a != 0 {
			t.Errorf("%c%c: %v allocations per call", tr[0], tr[1], a)
		}
	}
}

// TestGemmPanicsOnShortSlices: the assembly kernels must never be handed a
// slice smaller than the shape says.
func TestGemmPanicsOnShortSlices(t *testing.T) {
	a, b, c := make([]float64, 12), make([]float64, 12), make([]float64, 9)
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"short A", func() { gemm(blas.NoTrans, blas.NoTrans, 3, 3, 5, 1, a, 5, b, 3, 0, c, 3) }},
		{"short B", func() { gemm(blas.NoTrans, blas.NoTrans, 3, 3, 4, 1, a, 4, b[:11], 3, 0, c, 3) }},
		{"short C", func() { gemm(blas.NoTrans, blas.NoTrans, 3, 3, 4, 1, a, 4, b, 3, 0, c[:8], 3) }},
		{"small lda", func() { gemm(blas.Trans, blas.NoTrans, 3, 3, 4, 1, a, 2, b, 3, 0, c, 3) }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			tc.f()
		}()
	}
}

// TestGemmEpilogueFused: the ReLU and mask epilogues fused into the
// kernels' stores give bit for bit the unfused product of the same kernel
// followed by the Go epilogue, on tile edges, several k blocks (the
// epilogue must run after the last block only), alpha/beta and strides;
// and the Go kernel's fused path equals the same recipe.
func TestGemmEpilogueFused(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	kernels := append([]gemmKernel{gemmGo}, gemmKernelsHere()...)
	for trial := 0; trial < 120; trial++ {
		tr := gemmTransposes[trial%4]
		m, n, k := 1+r.IntN(37), 1+r.IntN(60), r.IntN(40)
		if trial%10 == 0 {
			k = 257 + r.IntN(300)
		}
		alpha, beta := 1.0, 0.0
		if trial%3 == 1 {
			alpha, beta = -0.5, 1
		}
		g := newGemmCase(r, tr[0], tr[1], m, n, k, alpha, beta, 3)
		for i := range g.c { // C may be read (beta = 1): no NaN there
			if g.c[i] != g.c[i] {
				g.c[i] = 0
			}
		}
		mask := make([]float64, len(g.c))
		for i := range mask {
			switch r.IntN(5) {
			case 0:
				mask[i] = 0
			case 1:
				mask[i] = math.NaN()
			default:
				mask[i] = r.NormFloat64()
			}
		}
		for _, kern := range kernels {
			for _, epi := range []gemmEpi{{relu: true}, {mask: mask}, {relu: true, mask: mask}} {
				want := append([]float64(nil), g.c...)
				gemmWith(kern, g.ta, g.tb, m, n, k, alpha, g.a, g.lda, g.b, g.ldb, beta, want, g.ldc)
				epi.apply(m, n, want, g.ldc)
				got := append([]float64(nil), g.c...)
				gemmEpiWith(kern, g.ta, g.tb, m, n, k, alpha, g.a, g.lda, g.b, g.ldb, beta, got, g.ldc, epi)
				for i := range got {
					if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
						t.Fatalf("%s %v relu=%v mask=%v: entry %d = %v, want %v", kern, g, epi.relu, epi.mask != nil, i, got[i], want[i])
					}
				}
			}
		}
	}
	// relu maps -0 (alpha times a zero product) and NaN to +0, as the
	// training step's "v > 0 ? v : 0" does.
	for _, kern := range kernels {
		for _, av := range []float64{1, math.NaN()} {
			c := []float64{7}
			gemmEpiWith(kern, blas.NoTrans, blas.NoTrans, 1, 1, 1, -1, []float64{av}, 1, []float64{0}, 1, 0, c, 1, gemmEpi{relu: true})
			if math.Float64bits(c[0]) != 0 {
				t.Errorf("%s: relu(-1 * %v * 0) = %v (bits %x), want +0", kern, av, c[0], math.Float64bits(c[0]))
			}
		}
	}
}
