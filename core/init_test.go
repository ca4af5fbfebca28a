package core

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func initTestSpec(init, loss string, k, width int, eps float64) Spec {
	return Spec{
		Seed:  7,
		Data:  DataSpec{Kind: "synthetic", Classes: k, PerClass: 10, Dim: 12},
		Model: ModelSpec{Width: width, Init: init, InitScale: eps},
		Train: TrainSpec{Loss: loss, Method: "gd", LR: 0.01, Time: 1},
	}
}

// TestInitializeGaussianBalanced checks Assumption 2: |w_j| = |v_j| = eps,
// and for one output alternating signs so N_+ and N_- are both non-empty.
func TestInitializeGaussianBalanced(t *testing.T) {
	const eps = 0.03
	for _, c := range []struct {
		loss string
		k    int
	}{{"exp", 2}, {"ce", 3}} {
		spec := initTestSpec("gaussian", c.loss, c.k, 9, eps)
		net, err := Initialize(spec, 12, c.k)
		if err != nil {
			t.Fatal(err)
		}
		if net.D != 12 || net.H != 9 || net.Out != spec.Outputs() {
			t.Fatalf("shape %d x %d x %d", net.D, net.H, net.Out)
		}
		for j := 0; j < net.H; j++ {
			w, v := neuronSq(net, j)
			if trainRelErr(math.Sqrt(w), eps) > 1e-14 || trainRelErr(math.Sqrt(v), eps) > 1e-14 {
				t.Errorf("%s neuron %d: |w| = %v, |v| = %v, want %v", c.loss, j, math.Sqrt(w), math.Sqrt(v), eps)
			}
			if net.Out == 1 {
				want := eps
				if j%2 == 1 {
					want = -eps
				}
				if net.V[j] != want {
					t.Errorf("v_%d = %v, want %v", j, net.V[j], want)
				}
			}
		}
	}
}

// TestInitializeShapeIndependentOfScale: runs that differ only in eps start
// from proportional weights (bit-exact for power-of-two scales).
func TestInitializeShapeIndependentOfScale(t *testing.T) {
	for _, init := range []string{"gaussian", "paper"} {
		a, err := Initialize(initTestSpec(init, "ce", 3, 6, 1), 12, 3)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Initialize(initTestSpec(init, "ce", 3, 6, 1.0/1024), 12, 3)
		c, _ := Initialize(initTestSpec(init, "ce", 3, 6, 0.3), 12, 3)
		for _, p := range [][2][]float64{{a.W, b.W}, {a.V, b.V}} {
			for i := range p[0] {
				if p[0][i]/1024 != p[1][i] {
					t.Fatalf("%s: entry %d: %v at eps 1, %v at eps 2^-10", init, i, p[0][i], p[1][i])
				}
			}
		}
		for i := range a.W {
			if trainRelErr(c.W[i], 0.3*a.W[i]) > 1e-15 {
				t.Fatalf("%s: W[%d] not proportional: %v vs %v", init, i, c.W[i], 0.3*a.W[i])
			}
		}
		// A different seed gives a different shape.
		s := initTestSpec(init, "ce", 3, 6, 1)
		s.Seed = 8
		d, _ := Initialize(s, 12, 3)
		if d.W[0] == a.W[0] && d.W[1] == a.W[1] {
			t.Errorf("%s: seed does not change the shape", init)
		}
	}
}

// TestInitializePaper checks that "paper" entries look like iid
// N(0, eps^2) (sample mean and variance of 5000+ entries) and are not
// balanced.
func TestInitializePaper(t *testing.T) {
	const eps = 1e-3
	net, err := Initialize(initTestSpec("paper", "exp", 2, 100, eps), 50, 2)
	if err != nil {
		t.Fatal(err)
	}
	all := append(append([]float64(nil), net.W...), net.V...)
	var mean, sq float64
	for _, x := range all {
		mean += x / eps
		sq += (x / eps) * (x / eps)
	}
	n := float64(len(all))
	mean /= n
	variance := sq/n - mean*mean
	// Standard errors: 1/sqrt(n) ~ 0.014 for the mean, sqrt(2/n) ~ 0.02 for the variance.
	if math.Abs(mean) > 0.06 || math.Abs(variance-1) > 0.08 {
		t.Errorf("entries/eps: mean %v, variance %v, want 0 and 1", mean, variance)
	}
	unbalanced := false
	for j := 0; j < net.H; j++ {
		w, v := neuronSq(net, j)
		if math.Abs(math.Sqrt(w)-math.Sqrt(v)) > 0.1*eps {
			unbalanced = true
		}
	}
	if !unbalanced {
		t.Error("paper init is balanced")
	}
}

func TestInitializeErrors(t *testing.T) {
	for _, c := range []struct {
		spec Spec
		want string
	}{
		{initTestSpec("xavier", "exp", 2, 4, 1), "unknown model.init"},
		{initTestSpec("gaussian", "exp", 2, 4, 0), "init_scale"},
		{initTestSpec("gaussian", "exp", 2, 4, math.Inf(1)), "init_scale"},
		{initTestSpec("gaussian", "exp", 2, 4, math.NaN()), "init_scale"},
		{initTestSpec("gaussian", "exp", 2, 0, 1), "width"},
	} {
		_, err := Initialize(c.spec, 12, 2)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one mentioning %q", c.spec.Model, err, c.want)
		}
	}
}

// semiLocalData builds K-class synthetic data (orthogonally separable by
// construction) for the semi-local tests.
func semiLocalData(t *testing.T, k int) (*Dataset, Spec) {
	t.Helper()
	spec := initTestSpec("semi-local", "ce", k, 11, 1)
	if k == 2 {
		spec.Train.Loss = "exp"
	}
	spec.Data.Noise, spec.Data.NormSpread, spec.Data.PerClass = 0.8, 3, 15
	data, err := BuildDataset(spec.Data, spec.DataSeed())
	if err != nil {
		t.Fatal(err)
	}
	if !data.Stats.Separable {
		t.Fatalf("synthetic data not separable: %+v", data.Stats)
	}
	return data, spec
}

// TestInitializeSemiLocalAssumption4 computes Assumption 4's three
// conditions directly from their definitions for every neuron, with the
// partition N_k = {j : k = argmax_k' <etilde_k', v_j>} read off the weights,
// and checks balance, that every class gets neurons, and that each w_j0 is
// the direction of a training point of its class.
func TestInitializeSemiLocalAssumption4(t *testing.T) {
	const k, eps = 4, 0.01
	data, spec := semiLocalData(t, k)
	spec.Model.InitScale = eps
	net, err := InitializeFor(spec, data)
	if err != nil {
		t.Fatal(err)
	}
	if net.D != 12 || net.H != 11 || net.Out != k {
		t.Fatalf("shape %d x %d x %d", net.D, net.H, net.Out)
	}
	// Etilde from its definition, column by column.
	etilde := make([][]float64, k)
	for c := range etilde {
		etilde[c] = make([]float64, k)
		for o := range etilde[c] {
			delta := 0.0
			if o == c {
				delta = 1
			}
			etilde[c][o] = math.Sqrt(float64(k)/float64(k-1)) * (delta - 1/float64(k))
		}
	}
	groupSize := make([]int, k)
	tr := &data.Train
	for j := 0; j < net.H; j++ {
		w := make([]float64, net.D)
		v := make([]float64, k)
		for i := range w {
			w[i] = net.W[i*net.H+j]
		}
		for o := range v {
			v[o] = net.V[o*net.H+j]
		}
		nw, nv := math.Sqrt(initDot(w, w)), math.Sqrt(initDot(v, v))
		if trainRelErr(nw, eps) > 1e-14 || trainRelErr(nv, eps) > 1e-14 {
			t.Errorf("neuron %d: |w| = %v, |v| = %v, want both %v", j, nw, nv, eps)
		}
		// The neuron's group: the class whose etilde v points to most.
		g, best := 0, math.Inf(-1)
		for c := 0; c < k; c++ {
			if b := initDot(etilde[c], v) / nv; b > best {
				g, best = c, b
			}
		}
		groupSize[g]++
		if g != j%k {
			t.Errorf("neuron %d in group %d, want round-robin class %d", j, g, j%k)
		}
		// Condition 3: B_g >= 1 - 1/(2(K-1)).
		if best < 1-1/(2*float64(k-1)) {
			t.Errorf("neuron %d: B = %v < %v", j, best, 1-1/(2*float64(k-1)))
		}
		// Conditions 1 and 2 from the activation sets I_c^w and sums A_c^w.
		count := make([]float64, k)
		a := make([]float64, k)
		for i := 0; i < tr.N; i++ {
			if p := initDot(tr.Row(i), w); p > 0 {
				count[tr.Y[i]]++
				a[tr.Y[i]] += p / nw
			}
		}
		var otherSq, otherA float64
		for c := 0; c < k; c++ {
			if c != g {
				otherSq += count[c] * count[c]
				otherA += a[c]
			}
		}
		if !(count[g]*count[g] > otherSq) || !(a[g] > 2*otherA) {
			t.Errorf("neuron %d (group %d): |I|^2 = %v vs %v, A = %v vs 2*%v", j, g, count[g]*count[g], otherSq, a[g], otherA)
		}
		// w_j0 is the direction of some training point of class g.
		found := false
		for i := 0; i < tr.N && !found; i++ {
			if tr.Y[i] != g {
				continue
			}
			x := tr.Row(i)
			if c := initDot(x, w) / (nw * math.Sqrt(initDot(x, x))); c > 1-1e-14 {
				found = true
			}
		}
		if !found {
			t.Errorf("neuron %d: w is not the direction of a class-%d training point", j, g)
		}
	}
	for c, n := range groupSize {
		if n != 11/k && n != 11/k+1 {
			t.Errorf("class %d has %d neurons, want %d or %d", c, n, 11/k, 11/k+1)
		}
	}

	// The shape does not depend on eps; it does depend on the seed.
	spec.Model.InitScale = 1
	one, err := InitializeFor(spec, data)
	if err != nil {
		t.Fatal(err)
	}
	spec.Model.InitScale = 1.0 / 1024
	small, _ := InitializeFor(spec, data)
	for i := range one.W {
		if one.W[i]/1024 != small.W[i] {
			t.Fatalf("W[%d]: %v at eps 1, %v at eps 2^-10", i, one.W[i], small.W[i])
		}
	}
	for i := range one.V {
		if one.V[i]/1024 != small.V[i] || trainRelErr(net.V[i], eps*one.V[i]) > 1e-15 {
			t.Fatalf("V[%d] not proportional across eps", i)
		}
	}
	spec.Seed++
	other, _ := InitializeFor(spec, data)
	same := true
	for i := range one.W {
		same = same && one.W[i] == other.W[i]
	}
	if same {
		t.Error("a different seed gives the same semi-local shape")
	}
}

// TestInitializeSemiLocalHandComputed: one point per class, so the shape is
// fixed: neuron j copies point j mod 3, and v_j = etilde_{j mod 3} whose
// entries are sqrt(3/2) * (2/3, -1/3, -1/3) = (sqrt(2/3), -1/sqrt(6), -1/sqrt(6)).
func TestInitializeSemiLocalHandComputed(t *testing.T) {
	data := &Dataset{K: 3, Train: Split{N: 3, D: 2, X: []float64{3, 4, 0, -2, -1, 0}, Y: []int{0, 1, 2}}}
	spec := initTestSpec("semi-local", "ce", 3, 4, 2)
	net, err := InitializeFor(spec, data)
	if err != nil {
		t.Fatal(err)
	}
	wantW := [][2]float64{{0.6, 0.8}, {0, -1}, {-1, 0}, {0.6, 0.8}}
	a, b := math.Sqrt(2.0/3), -1/math.Sqrt(6)
	for j := 0; j < 4; j++ {
		for i := 0; i < 2; i++ {
			if got := net.W[i*4+j]; math.Abs(got-2*wantW[j][i]) > 1e-15 {
				t.Errorf("W[%d][%d] = %v, want %v", i, j, got, 2*wantW[j][i])
			}
		}
		for o := 0; o < 3; o++ {
			want := b
			if o == j%3 {
				want = a
			}
			if got := net.V[o*4+j]; math.Abs(got-2*want) > 1e-15 {
				t.Errorf("V[%d][%d] = %v, want %v", o, j, got, 2*want)
			}
		}
	}

	// Binary (one output): +1 for class 0, -1 for class 1.
	bin := &Dataset{K: 2, Train: Split{N: 2, D: 2, X: []float64{1, 1, -2, 0}, Y: []int{0, 1}}}
	net, err = InitializeFor(initTestSpec("semi-local", "logistic", 2, 3, 0.5), bin)
	if err != nil {
		t.Fatal(err)
	}
	r := math.Sqrt(0.5) * 0.5
	for j, want := range [][3]float64{{r, r, 0.5}, {-0.5, 0, -0.5}, {r, r, 0.5}} {
		if math.Abs(net.W[j]-want[0]) > 1e-15 || math.Abs(net.W[3+j]-want[1]) > 1e-15 || net.V[j] != want[2] {
			t.Errorf("neuron %d: w = (%v, %v), v = %v, want %v", j, net.W[j], net.W[3+j], net.V[j], want)
		}
	}
}

// TestInitializeSemiLocalBinaryAssumption3: on binary synthetic data the
// semi-local shape meets Assumption 3 (checked from its definition).
func TestInitializeSemiLocalBinaryAssumption3(t *testing.T) {
	data, spec := semiLocalData(t, 2)
	net, err := InitializeFor(spec, data)
	if err != nil {
		t.Fatal(err)
	}
	tr := &data.Train
	xbar := [2][]float64{make([]float64, tr.D), make([]float64, tr.D)}
	for i := 0; i < tr.N; i++ {
		for p, x := range tr.Row(i) {
			xbar[tr.Y[i]][p] += x
		}
	}
	var pos, neg, posActive, negActive int
	for j := 0; j < net.H; j++ {
		w := make([]float64, tr.D)
		for p := range w {
			w[p] = net.W[p*net.H+j]
		}
		own, other := 0, 1
		if net.V[j] > 0 {
			pos++
		} else {
			neg++
			own, other = 1, 0
		}
		active := false
		for i := 0; i < tr.N; i++ {
			if tr.Y[i] == own && initDot(tr.Row(i), w) > 0 {
				active = true
			}
		}
		if active && own == 0 {
			posActive++
		} else if active {
			negActive++
		}
		if c := initDot(xbar[other], w) / math.Sqrt(initDot(xbar[other], xbar[other])*initDot(w, w)); !(c < 1) {
			t.Errorf("neuron %d: cos with the other class mean = %v", j, c)
		}
	}
	if pos != 6 || neg != 5 || posActive == 0 || negActive == 0 {
		t.Errorf("N+ = %d (%d active), N- = %d (%d active), want 6 and 5, both active", pos, posActive, neg, negActive)
	}
}

func TestInitializeSemiLocalErrors(t *testing.T) {
	spec := initTestSpec("semi-local", "ce", 2, 4, 1)
	if _, err := Initialize(spec, 12, 2); err == nil || !strings.Contains(err.Error(), "InitializeFor") {
		t.Errorf("Initialize without data: err = %v", err)
	}
	zero := &Dataset{K: 2, Train: Split{N: 3, D: 2, X: []float64{1, 0, 0, 0, 0, 0}, Y: []int{0, 1, 1}}}
	if _, err := InitializeFor(spec, zero); err == nil || !strings.Contains(err.Error(), "class 1 has no non-zero training point") {
		t.Errorf("class of zero points: err = %v", err)
	}
	three := &Dataset{K: 3, Train: Split{N: 3, D: 1, X: []float64{1, 2, 3}, Y: []int{0, 1, 2}}}
	if _, err := InitializeFor(initTestSpec("semi-local", "exp", 2, 4, 1), three); err == nil || !strings.Contains(err.Error(), "one output needs 2 classes") {
		t.Errorf("binary loss on 3 classes: err = %v", err)
	}
	if _, err := InitializeFor(spec, nil); err == nil {
		t.Error("nil dataset accepted")
	}
}

// TestInitializeFile reads W0 (.npy) and V0 (.csv), scales them by eps, and
// reports wrong shapes naming the file, the expected and the got shape.
func TestInitializeFile(t *testing.T) {
	dir := t.TempDir()
	const d, h, k = 3, 4, 2
	w0 := make([]float64, d*h)
	for i := range w0 {
		w0[i] = float64(i) - 5.5
	}
	wPath := filepath.Join(dir, "W0.npy")
	writeNPY(t, wPath, d, h, w0)
	vPath := filepath.Join(dir, "V0.csv")
	if err := os.WriteFile(vPath, []byte("a,b,c,d\n1,-2,3,-4\n0.5,0.25,-0.125,8\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	v0 := []float64{1, -2, 3, -4, 0.5, 0.25, -0.125, 8}
	data := &Dataset{K: k, Train: Split{N: 2, D: d, X: []float64{1, 0, 0, -1, 0, 0}, Y: []int{0, 1}}}
	spec := initTestSpec("file", "ce", k, h, 0.25)
	spec.Model.InitW, spec.Model.InitV = wPath, vPath
	net, err := InitializeFor(spec, data)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range w0 {
		if net.W[i] != 0.25*x {
			t.Errorf("W[%d] = %v, want %v", i, net.W[i], 0.25*x)
		}
	}
	for i, x := range v0 {
		if net.V[i] != 0.25*x {
			t.Errorf("V[%d] = %v, want %v", i, net.V[i], 0.25*x)
		}
	}

	// Wrong shapes, a transposed W0, non-finite values, missing files.
	tPath := filepath.Join(dir, "W0T.npy")
	writeNPY(t, tPath, h, d, w0)
	badPath := filepath.Join(dir, "W0bad.csv")
	os.WriteFile(badPath, []byte("1,2,3,4\n1,2,NaN,4\n1,2,3,4\n"), 0o644)
	for _, c := range []struct {
		w, v string
		want []string
	}{
		{tPath, vPath, []string{"model.init_w", tPath, "must be input dimension x model.width = 3 x 4, got 4 x 3", "transposed?"}},
		{wPath, wPath, []string{"model.init_v", wPath, "V0 must be outputs x model.width = 2 x 4, got 3 x 4"}},
		{badPath, vPath, []string{badPath, "W0[1][2] = NaN"}},
		{filepath.Join(dir, "none.npy"), vPath, []string{"model.init_w", "none.npy", "no such file"}},
		{"", vPath, []string{"needs model.init_w"}},
	} {
		s := spec
		s.Model.InitW, s.Model.InitV = c.w, c.v
		_, err := InitializeFor(s, data)
		for _, want := range c.want {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("w=%s v=%s: err = %v, want it to contain %q", c.w, c.v, err, want)
			}
		}
	}
}

// TestInitializeFileNumpyReplay: the NumPy-written fixtures become exactly
// the weights their formulas give when init_scale = 1 (the replay of an
// initialization saved from another framework).
func TestInitializeFileNumpyReplay(t *testing.T) {
	data := &Dataset{K: 2, Train: Split{N: 2, D: 3, X: []float64{1, 0, 0, -1, 0, 0}, Y: []int{0, 1}}}
	spec := initTestSpec("file", "ce", 2, 4, 1)
	spec.Model.InitW = filepath.Join("testdata", "files", "np_w0_fortran.npy")
	spec.Model.InitV = filepath.Join("testdata", "files", "np_v0.npy")
	net, err := InitializeFor(spec, data)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		for j := 0; j < 4; j++ {
			if got := net.W[i*4+j]; got != fixtureW0(i, j) {
				t.Errorf("W[%d][%d] = %v, want %v", i, j, got, fixtureW0(i, j))
			}
		}
	}
	for o := 0; o < 2; o++ {
		for j := 0; j < 4; j++ {
			if got := net.V[o*4+j]; got != fixtureV0(o, j) {
				t.Errorf("V[%d][%d] = %v, want %v", o, j, got, fixtureV0(o, j))
			}
		}
	}
}

// TestRunReplaysFileInit: a run whose init is a saved gaussian shape read
// back from .npy files is bit-identical to the gaussian run itself: the
// file path changes nothing but where the shape comes from.
func TestRunReplaysFileInit(t *testing.T) {
	spec := initTestSpec("gaussian", "ce", 3, 6, 1)
	spec.Data.Noise, spec.Data.NormSpread = 0.5, 2
	spec.Train.Time = 0.5
	data, err := BuildDataset(spec.Data, spec.DataSeed())
	if err != nil {
		t.Fatal(err)
	}
	shape, err := InitializeFor(spec, data) // eps = 1: the shape itself
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	fspec := spec
	fspec.Model.Init = "file"
	fspec.Model.InitW, fspec.Model.InitV = filepath.Join(dir, "W0.npy"), filepath.Join(dir, "V0.npy")
	writeNPY(t, fspec.Model.InitW, shape.D, shape.H, shape.W)
	writeNPY(t, fspec.Model.InitV, shape.Out, shape.H, shape.V)

	spec.Model.InitScale, fspec.Model.InitScale = 1e-3, 1e-3
	want := Run(context.Background(), spec, data)
	got := Run(context.Background(), fspec, data)
	if want.Status != StatusOK || got.Status != StatusOK {
		t.Fatalf("status %v (%s) and %v (%s)", want.Status, want.Error, got.Status, got.Error)
	}
	if *want.Final.Loss != *got.Final.Loss || want.Final.ThetaNorm != got.Final.ThetaNorm || want.Steps != got.Steps {
		t.Errorf("gaussian run: loss %v |theta| %v; replayed: loss %v |theta| %v",
			*want.Final.Loss, want.Final.ThetaNorm, *got.Final.Loss, got.Final.ThetaNorm)
	}
}

func initDot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// TestShapeIgnoresTestSplit checks that the test split (its size, or the
// test table's path) does not change the initial shape: training is the
// same whatever is held out for testing.
func TestShapeIgnoresTestSplit(t *testing.T) {
	a := Spec{Seed: 4, Data: DataSpec{Kind: "synthetic", Classes: 2, PerClass: 10, TestPerClass: 5, Dim: 6, Noise: 0.5, NormSpread: 2},
		Model: ModelSpec{Width: 8, Init: "gaussian", InitScale: 1e-2}, Train: TrainSpec{Loss: "exp"}}
	b := a
	b.Data.TestPerClass, b.Data.TestPath = 50, "other-test.csv"
	if a.ShapeSeed() != b.ShapeSeed() {
		t.Error("the test split changes the shape seed")
	}
	c := a
	c.Data.PerClass = 11
	if a.ShapeSeed() == c.ShapeSeed() {
		t.Error("the training data size does not change the shape seed")
	}
}
