package core

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// trainTestClusters builds a small orthogonally separable dataset by hand:
// unit class centres forming a simplex in the first k coordinates (for
// k = 2, c_1 = -c_0), plus noise of norm <= rho in the other coordinates
// (orthogonal to every centre), each point rescaled by a factor in [0.5, 2].
// testPer points per class go to the test split.
func trainTestClusters(k, per, testPer, d int, rho float64, seed uint64) *Dataset {
	rng := rand.New(rand.NewPCG(seed, 1))
	centre := func(c int) []float64 {
		x := make([]float64, d)
		if k == 2 {
			x[0] = 1 - 2*float64(c)
			return x
		}
		s := math.Sqrt(float64(k) / float64(k-1))
		for i := 0; i < k; i++ {
			x[i] = -s / float64(k)
		}
		x[c] += s
		return x
	}
	first := k
	if k == 2 {
		first = 1
	}
	split := func(per int) Split {
		s := Split{N: k * per, D: d}
		for c := 0; c < k; c++ {
			for p := 0; p < per; p++ {
				x := centre(c)
				var nn float64
				noise := make([]float64, d)
				for i := first; i < d; i++ {
					noise[i] = rng.NormFloat64()
					nn += noise[i] * noise[i]
				}
				r := rho * rng.Float64() / math.Sqrt(nn)
				scale := 0.5 + 1.5*rng.Float64()
				for i := range x {
					x[i] = scale * (x[i] + r*noise[i])
				}
				s.X = append(s.X, x...)
				s.Y = append(s.Y, c)
			}
		}
		return s
	}
	return &Dataset{K: k, Train: split(per), Test: split(testPer)}
}

func trainTestSpec(loss string, k, width int, eps, lr, tm float64) Spec {
	return Spec{
		Seed:  3,
		Data:  DataSpec{Kind: "synthetic", Classes: k},
		Model: ModelSpec{Width: width, Init: "gaussian", InitScale: eps},
		Train: TrainSpec{Loss: loss, Method: "gd", LR: lr, Time: tm},
	}
}

// TestGradientFiniteDifferences compares the backpropagated gradient of the
// summed loss with respect to every entry of W and V against central
// differences, on random networks whose pre-activations stay at least 0.05
// from the ReLU kink (so the differences never cross it).
func TestGradientFiniteDifferences(t *testing.T) {
	const d, h, n = 5, 7, 9
	for _, c := range []struct {
		loss string
		k    int
	}{{"exp", 2}, {"logistic", 2}, {"ce", 2}, {"ce", 3}} {
		out := 1
		if c.loss == "ce" {
			out = c.k
		}
		var tr *trainer
		var data Split
		for seed := uint64(1); ; seed++ {
			rng := rand.New(rand.NewPCG(seed, 99))
			net := NewNetwork(d, h, out)
			for i := range net.W {
				net.W[i] = rng.NormFloat64()
			}
			for i := range net.V {
				net.V[i] = 0.5 * rng.NormFloat64()
			}
			data = Split{N: n, D: d, X: make([]float64, n*d), Y: make([]int, n)}
			for i := range data.X {
				data.X[i] = 0.7 * rng.NormFloat64()
			}
			for i := range data.Y {
				data.Y[i] = i % c.k
			}
			fn, _ := lossFor(c.loss)
			tr = newTrainer(net, fn, &data, n)
			tr.gradient(data.X, nil, data.Y, 1)
			pre := make([]float64, n*h)
			net.PreActivations(data.X, n, pre)
			minAbs, active := math.Inf(1), 0
			for _, z := range pre {
				minAbs = math.Min(minAbs, math.Abs(z))
				if z > 0 {
					active++
				}
			}
			if minAbs > 0.05 && active > 0 && active < len(tr.z) {
				break
			}
		}
		gW := append([]float64(nil), tr.gW...)
		gV := append([]float64(nil), tr.gV...)
		for _, p := range []struct {
			name    string
			theta   []float64
			grad    []float64
			maxGrad float64
		}{{"W", tr.net.W, gW, 0}, {"V", tr.net.V, gV, 0}} {
			for _, g := range p.grad {
				p.maxGrad = math.Max(p.maxGrad, math.Abs(g))
			}
			if p.maxGrad == 0 {
				t.Fatalf("%s K=%d: zero gradient for %s", c.loss, c.k, p.name)
			}
			for i := range p.theta {
				const step = 1e-6
				orig := p.theta[i]
				p.theta[i] = orig + step
				lp := tr.evaluate(&data, nil).loss
				p.theta[i] = orig - step
				lm := tr.evaluate(&data, nil).loss
				p.theta[i] = orig
				fd := (lp - lm) / (2 * step)
				if e := math.Abs(fd-p.grad[i]) / p.maxGrad; e > 1e-6 {
					t.Errorf("%s K=%d: d/d%s[%d] = %.10g, finite difference %.10g (rel err %.2g)", c.loss, c.k, p.name, i, p.grad[i], fd, e)
				}
			}
		}
		// The batch scale multiplies the gradient.
		tr.gradient(data.X, nil, data.Y, 1.0/n)
		maxW := 0.0
		for _, g := range gW {
			maxW = math.Max(maxW, math.Abs(g))
		}
		for i := range gW {
			if math.Abs(tr.gW[i]-gW[i]/n) > 1e-13*maxW/n {
				t.Fatalf("%s: scaled gradient %v, want %v", c.loss, tr.gW[i], gW[i]/n)
			}
		}
	}
}

// TestExpOverflowDiverges: an output at margin -800 overflows exp; the step
// reports divergence at step 0 and leaves the weights untouched.
func TestExpOverflowDiverges(t *testing.T) {
	net := NewNetwork(1, 1, 1)
	net.W[0], net.V[0] = 20, -40 // f(1) = -800 for a class-0 point
	data := Split{N: 1, D: 1, X: []float64{1}, Y: []int{0}}
	tr := newTrainer(net, expLoss, &data, 1)
	out := tr.runGD(context.Background(), 10, 0.1)
	if out.status != StatusDiverged || !strings.Contains(out.err, "step 0") {
		t.Fatalf("outcome %+v, want diverged at step 0", out)
	}
	if net.W[0] != 20 || net.V[0] != -40 || tr.steps != 0 || tr.gradEvals != 1 {
		t.Errorf("weights %v %v, steps %d, grad evals %d after a diverged first step", net.W[0], net.V[0], tr.steps, tr.gradEvals)
	}
}

// TestGDConservation: GD conserves |w_j|^2 - |v_j|^2 up to O(lr^2) per step,
// so at a fixed GF time the drift is O(lr): halving lr halves it.
func TestGDConservation(t *testing.T) {
	data := trainTestClusters(2, 10, 0, 6, 0.5, 1)
	var drift []float64
	for _, lr := range []float64{0.02, 0.01, 0.005} {
		res := run(context.Background(), trainTestSpec("exp", 2, 8, 0.3, lr, 4), data, nil)
		if res.Status != StatusOK {
			t.Fatalf("lr %v: %s %s", lr, res.Status, res.Error)
		}
		if want := int64(math.Round(4 / lr)); res.Steps != want || res.GradEvals != want || res.GFTime != float64(want)*lr {
			t.Errorf("lr %v: steps %d, grad evals %d, GF time %v; want %d steps", lr, res.Steps, res.GradEvals, res.GFTime, want)
		}
		drift = append(drift, res.Final.ConservedDrift)
		t.Logf("lr %v: drift %.3g, balance %.3g, |theta| %.3g", lr, res.Final.ConservedDrift, res.Final.BalanceMax, res.Final.ThetaNorm)
	}
	for i := 1; i < len(drift); i++ {
		if r := drift[i-1] / drift[i]; r < 1.8 || r > 2.3 {
			t.Errorf("halving lr changed the drift by %.3g, want ~2 (drifts %v)", r, drift)
		}
	}
	if drift[len(drift)-1] > 1e-3 || drift[len(drift)-1] <= 0 {
		t.Errorf("drift %v at lr 0.005, want small and non-zero", drift[len(drift)-1])
	}
}

// TestGDTrainsSeparableData: on two well separated clusters GD on the
// exponential loss decreases the loss monotonically and reaches 100% train
// and test accuracy.
func TestGDTrainsSeparableData(t *testing.T) {
	data := trainTestClusters(2, 10, 5, 6, 0.5, 2)
	spec := trainTestSpec("exp", 2, 8, 0.1, 0.05, 20)
	net, err := Initialize(spec, 6, 2)
	if err != nil {
		t.Fatal(err)
	}
	tr := newTrainer(net, expLoss, &data.Train, data.Train.N)
	prev := tr.evaluate(&data.Train, nil).loss
	first := prev
	for c := 0; c < 20; c++ {
		if out := tr.runGD(context.Background(), 20, 0.05); out.status != StatusOK {
			t.Fatalf("chunk %d: %+v", c, out)
		}
		l := tr.evaluate(&data.Train, nil).loss
		if !(l <= prev) {
			t.Fatalf("loss rose from %v to %v after chunk %d", prev, l, c)
		}
		prev = l
	}
	if prev > first/10 {
		t.Errorf("loss only went from %v to %v", first, prev)
	}
	res := run(context.Background(), spec, data, nil)
	if res.Status != StatusOK || res.Final.Loss == nil || *res.Final.Loss != prev {
		t.Fatalf("run: %s %s, loss %v, want %v", res.Status, res.Error, res.Final.Loss, prev)
	}
	if *res.Final.TrainAcc != 1 || res.Final.TestAcc == nil || *res.Final.TestAcc != 1 {
		t.Errorf("train acc %v, test acc %v, want 1 and 1", *res.Final.TrainAcc, res.Final.TestAcc)
	}
}

// TestRunMulticlassEndToEnd runs Run itself (with the collapse measurements)
// on three separable clusters with cross-entropy.
func TestRunMulticlassEndToEnd(t *testing.T) {
	data := trainTestClusters(3, 8, 4, 7, 0.4, 3)
	res := Run(context.Background(), trainTestSpec("ce", 3, 9, 0.1, 0.05, 30), data)
	if res.Status != StatusOK {
		t.Fatalf("%s: %s", res.Status, res.Error)
	}
	m := res.Final
	if *m.TrainAcc != 1 || *m.TestAcc != 1 {
		t.Errorf("accuracies %v %v, want 1", *m.TrainAcc, *m.TestAcc)
	}
	if m.NC1 == nil || m.NC2 == nil || m.NC4 == nil || *m.NC4 != 1 {
		t.Errorf("collapse metrics not filled: NC1 %v NC2 %v NC4 %v", m.NC1, m.NC2, m.NC4)
	}
	if m.DeadFrac < 0 || m.DeadFrac >= 1 || m.ThetaNorm <= 0 {
		t.Errorf("dead fraction %v, |theta| %v", m.DeadFrac, m.ThetaNorm)
	}
}

// TestDeadFrac: a neuron whose input weight is negative on every point is
// dead; one active on some point is not.
func TestDeadFrac(t *testing.T) {
	data := &Dataset{K: 2, Train: Split{N: 2, D: 1, X: []float64{1, 2}, Y: []int{0, 1}}}
	net := NewNetwork(1, 4, 1)
	copy(net.W, []float64{1, -1, -0.5, 0.2})
	copy(net.V, []float64{1, 1, -1, -1})
	tr := newTrainer(net, expLoss, &data.Train, 2)
	var m Metrics
	measureStandard(tr, net.Clone(), data, &m)
	if m.DeadFrac != 0.5 {
		t.Errorf("dead fraction %v, want 0.5", m.DeadFrac)
	}
	// f(1) = 1 - 0.2 = 0.8, f(2) = 2 - 0.4 = 1.6: class 0, class 0.
	if *m.TrainAcc != 0.5 || trainRelErr(*m.Loss, math.Exp(-0.8)+math.Exp(1.6)) > 1e-15 {
		t.Errorf("train acc %v, loss %v", *m.TrainAcc, *m.Loss)
	}
	// |theta|^2 = 1+1+0.25+0.04 + 4; |w|-|v| = 0, 0, -0.5, -0.8.
	if trainRelErr(m.ThetaNorm, math.Sqrt(6.29)) > 1e-15 || trainRelErr(m.BalanceMax, 0.8) > 1e-15 || m.ConservedDrift != 0 {
		t.Errorf("|theta| %v, balance %v, drift %v", m.ThetaNorm, m.BalanceMax, m.ConservedDrift)
	}
}

// TestRunDeterministic: equal inputs give bit-identical results; the SGD
// shuffle seed changes the trajectory.
func TestRunDeterministic(t *testing.T) {
	data := trainTestClusters(2, 10, 3, 6, 0.5, 4)
	gd := trainTestSpec("logistic", 2, 8, 0.2, 0.05, 3)
	sgd := gd
	sgd.Train = TrainSpec{Loss: "logistic", Method: "sgd", LR: 0.1, Epochs: 5, Batch: 6}
	for _, spec := range []Spec{gd, sgd} {
		a := run(context.Background(), spec, data, nil)
		b := run(context.Background(), spec, data, nil)
		if a.Status != StatusOK || !reflect.DeepEqual(a, b) {
			t.Errorf("%s: results differ or failed:\n%+v\n%+v", spec.Train.Method, a, b)
		}
	}
	// 20 points in batches of 6: 4 steps per epoch (the last has 2 points).
	res := run(context.Background(), sgd, data, nil)
	if res.Steps != 20 || res.GradEvals != 20 || trainRelErr(res.GFTime, 20*0.1/20) > 1e-15 {
		t.Errorf("sgd: %d steps, %d grad evals, GF time %v; want 20, 20, 0.1", res.Steps, res.GradEvals, res.GFTime)
	}
	final := func(seed uint64) *Network {
		net, _ := Initialize(sgd, 6, 2)
		tr := newTrainer(net, logisticLoss, &data.Train, 6)
		if out := tr.train(context.Background(), sgd.Train, seed); out.status != StatusOK {
			t.Fatal(out)
		}
		return net
	}
	a, b, c := final(1), final(1), final(2)
	if !reflect.DeepEqual(a, b) {
		t.Error("sgd with the same seed gave different weights")
	}
	if reflect.DeepEqual(a, c) {
		t.Error("sgd with different seeds gave identical weights")
	}
}

// TestRunCancelAndTimeout: a canceled context stops a run at once; a
// deadline stops a long run quickly with status timeout.
func TestRunCancelAndTimeout(t *testing.T) {
	data := trainTestClusters(2, 10, 0, 6, 0.5, 5)
	spec := trainTestSpec("exp", 2, 8, 0.1, 1e-4, 1e6) // 1e10 steps: never finishes
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := run(ctx, spec, data, nil)
	if res.Status != StatusCanceled || res.Steps != 0 || !strings.Contains(res.Error, "canceled") {
		t.Errorf("canceled: %s after %d steps: %s", res.Status, res.Steps, res.Error)
	}
	if res.Final.Loss == nil {
		t.Error("canceled run has no loss")
	}
	ctx, cancel = context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	res = Run(ctx, spec, data)
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("timeout took %v", el)
	}
	if res.Status != StatusTimeout || res.Steps == 0 || res.GFTime != float64(res.Steps)*1e-4 {
		t.Errorf("timeout: %s after %d steps (GF time %v): %s", res.Status, res.Steps, res.GFTime, res.Error)
	}
}

// TestRunDiverges: a huge learning rate gives status diverged and a Final
// without NaN or Inf. One label is flipped so that no weights drive the
// loss to 0 (on separable data a single huge step can separate the classes
// and stop the logistic loss at 0, which is convergence, not divergence).
func TestRunDiverges(t *testing.T) {
	data := trainTestClusters(2, 10, 3, 6, 0.5, 6)
	data.Train.Y[0] = 1
	for _, loss := range []string{"exp", "logistic"} {
		for _, method := range []string{"gd", "sgd"} {
			spec := trainTestSpec(loss, 2, 8, 1, 1e6, 1e8)
			spec.Train.Method, spec.Train.Epochs, spec.Train.Batch = method, 100, 5
			res := Run(context.Background(), spec, data)
			if res.Status != StatusDiverged || !strings.Contains(res.Error, "not finite at step") {
				t.Errorf("%s %s: %s %q, want diverged", loss, method, res.Status, res.Error)
			}
			t.Logf("%s %s: %s; notes %v", loss, method, res.Error, res.Notes)
			trainCheckFinite(t, reflect.ValueOf(res.Final), loss+" "+method)
		}
	}
}

// TestRunDivergesAtLastStep: gd and sgd check the loss before each step, so
// a blow-up in the last step is seen only by the final evaluation. One step
// (Time = LR for gd, one epoch of one batch for sgd) of lr 1e6 from eps = 1
// on data with a flipped label moves the weights to about 1e7 (finite) and
// the flipped point's margin to about -1e14, so exp overflows: the run must
// be diverged at step 1, not ok with a nil loss.
func TestRunDivergesAtLastStep(t *testing.T) {
	data := trainTestClusters(2, 10, 3, 6, 0.5, 6)
	data.Train.Y[0] = 1
	for _, method := range []string{"gd", "sgd"} {
		spec := trainTestSpec("exp", 2, 8, 1, 1e6, 1e6)
		spec.Train.Method, spec.Train.Epochs, spec.Train.Batch = method, 1, data.Train.N
		res := Run(context.Background(), spec, data)
		if res.Steps != 1 || res.Status != StatusDiverged ||
			!strings.Contains(res.Error, "final training loss not finite at step 1") {
			t.Errorf("%s: %d steps, %s %q, want diverged at step 1 by the final loss", method, res.Steps, res.Status, res.Error)
		}
		if res.Final.Loss != nil || res.Final.NC1 != nil {
			t.Errorf("%s: loss %v, NC1 %v: a diverged run has no loss and no collapse metrics", method, res.Final.Loss, res.Final.NC1)
		}
		trainCheckFinite(t, reflect.ValueOf(res.Final), method)
	}
}

// TestRunHugeInitNoNaN: an initial scale of 1e200 makes |theta|^2 overflow;
// the run diverges and no NaN or Inf reaches Final.
func TestRunHugeInitNoNaN(t *testing.T) {
	data := trainTestClusters(2, 10, 3, 6, 0.5, 6)
	spec := trainTestSpec("exp", 2, 8, 1e200, 0.1, 1)
	res := Run(context.Background(), spec, data)
	if res.Status != StatusDiverged {
		t.Errorf("status %s %q, want diverged", res.Status, res.Error)
	}
	trainCheckFinite(t, reflect.ValueOf(res.Final), "init 1e200")
}

// checkFinite fails on any NaN or Inf float reachable from v.
func trainCheckFinite(t *testing.T, v reflect.Value, where string) {
	t.Helper()
	switch v.Kind() {
	case reflect.Float64:
		if math.IsNaN(v.Float()) || math.IsInf(v.Float(), 0) {
			t.Errorf("%s: non-finite value %v", where, v.Float())
		}
	case reflect.Pointer:
		if !v.IsNil() {
			trainCheckFinite(t, v.Elem(), where)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			trainCheckFinite(t, v.Index(i), where)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			trainCheckFinite(t, v.Field(i), where+"."+v.Type().Field(i).Name)
		}
	}
}

// TestRunInvalid: impossible inputs fail with an error naming the problem,
// and a panic inside Run is recovered into StatusFailed.
func TestRunInvalid(t *testing.T) {
	good := trainTestSpec("exp", 2, 4, 0.1, 0.1, 1)
	bin := trainTestClusters(2, 3, 0, 4, 0.5, 7)
	tri := trainTestClusters(3, 3, 0, 4, 0.5, 7)
	mod := func(f func(s *Spec)) Spec { s := good; f(&s); return s }
	badLabel := trainTestClusters(2, 3, 0, 4, 0.5, 7)
	badLabel.Train.Y[2] = 2
	short := trainTestClusters(2, 3, 0, 4, 0.5, 7)
	short.Train.X = short.Train.X[:5]
	for _, c := range []struct {
		name string
		spec Spec
		data *Dataset
		want string
	}{
		{"nil data", good, nil, "no dataset"},
		{"exp with 3 classes", good, tri, "binary"},
		{"ce classes mismatch", mod(func(s *Spec) { s.Train.Loss = "ce"; s.Data.Classes = 3 }), bin, "data.classes"},
		{"unknown loss", mod(func(s *Spec) { s.Train.Loss = "hinge" }), bin, "train.loss"},
		{"width 0", mod(func(s *Spec) { s.Model.Width = 0 }), bin, "model.width"},
		{"lr 0", mod(func(s *Spec) { s.Train.LR = 0 }), bin, "train.lr"},
		{"lr NaN", mod(func(s *Spec) { s.Train.LR = math.NaN() }), bin, "train.lr"},
		{"negative time", mod(func(s *Spec) { s.Train.Time = -1 }), bin, "train.time"},
		{"unknown method", mod(func(s *Spec) { s.Train.Method = "adam" }), bin, "train.method"},
		{"batch 0", mod(func(s *Spec) { s.Train.Method = "sgd"; s.Train.Epochs = 1 }), bin, "train.batch"},
		{"unknown init", mod(func(s *Spec) { s.Model.Init = "xavier" }), bin, "model.init"},
		{"init scale 0", mod(func(s *Spec) { s.Model.InitScale = 0 }), bin, "init_scale"},
		{"label out of range", good, badLabel, "label 2"},
		{"short X", good, short, "5 values"},
		// Impossible allocation: the runtime panics, Run recovers.
		{"panic", mod(func(s *Spec) { s.Model.Width = 1 << 50 }), bin, "panic: runtime error: makeslice"},
	} {
		res := Run(context.Background(), c.spec, c.data)
		if res.Status != StatusFailed || !strings.Contains(res.Error, c.want) {
			t.Errorf("%s: %s %q, want failed mentioning %q", c.name, res.Status, res.Error, c.want)
		}
	}
}

func benchmarkStep(b *testing.B, loss string, k, per, d, h int) {
	data := trainTestClusters(k, per, 0, d, 0.5, 8)
	spec := trainTestSpec(loss, k, h, 0.1, 1e-3, 1)
	net, err := Initialize(spec, d, k)
	if err != nil {
		b.Fatal(err)
	}
	fn, _ := lossFor(loss)
	tr := newTrainer(net, fn, &data.Train, data.Train.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr.gradient(data.Train.X, nil, data.Train.Y, 1)
		tr.step(1e-3)
	}
}

// BenchmarkStepExp is one full-batch GD step, n=200, D=50, h=100, exp loss.
func BenchmarkStepExp(b *testing.B) { benchmarkStep(b, "exp", 2, 100, 50, 100) }

// BenchmarkStepCE is one full-batch GD step, n=400, D=100, h=200, K=4, ce.
func BenchmarkStepCE(b *testing.B) { benchmarkStep(b, "ce", 4, 100, 100, 200) }

// TestStepAllocatesNothing: a gradient step allocates nothing of its own
// (checked on sizes below gonum's parallel Gemm threshold, whose worker
// goroutines allocate on large products).
func TestStepAllocatesNothing(t *testing.T) {
	for _, loss := range []string{"exp", "logistic", "ce"} {
		data := trainTestClusters(3, 5, 0, 8, 0.5, 9)
		k := 3
		if loss != "ce" {
			data = trainTestClusters(2, 5, 0, 8, 0.5, 9)
			k = 2
		}
		spec := trainTestSpec(loss, k, 6, 0.1, 1e-3, 1)
		net, _ := Initialize(spec, 8, k)
		fn, _ := lossFor(loss)
		tr := newTrainer(net, fn, &data.Train, data.Train.N)
		if a := testing.AllocsPerRun(20, func() {
			tr.gradient(data.Train.X, nil, data.Train.Y, 1)
			tr.step(1e-3)
		}); a != 0 {
			t.Errorf("%s: %v allocations per step", loss, a)
		}
	}
}

// TestRunFillsInitAndTheory: Run reports the assumption checks of the
// initial weights (equal to CheckInit called on an independently built
// initial network), and the theory measurements at the end and at every
// checkpoint.
func TestRunFillsInitAndTheory(t *testing.T) {
	data := trainTestClusters(2, 10, 3, 6, 0.5, 41)
	th, notes := ComputeTheory(data)
	if th == nil {
		t.Fatalf("no theory: %v", notes)
	}
	data.Theory = th
	spec := trainTestSpec("exp", 2, 8, 1e-3, 0.01, 30)
	spec.Train.Checkpoints = 4
	res := Run(context.Background(), spec, data)
	if res.Status != StatusOK {
		t.Fatalf("%s: %s", res.Status, res.Error)
	}
	net, _ := Initialize(spec, 6, 2)
	if want := CheckInit(net, data); !reflect.DeepEqual(res.Init, want) || res.Init.A3 == nil {
		t.Errorf("Init %+v, want %+v (A3 set for a binary run)", res.Init, want)
	}
	var sizes int
	for _, g := range res.Final.GroupSizes {
		sizes += g
	}
	if sizes != 8 || res.Final.ResidFeatures == nil || res.Final.ResidV == nil || res.Final.CosWUMean == nil {
		t.Errorf("final theory metrics not filled: groups %v, residuals %v %v, cos %v", res.Final.GroupSizes, res.Final.ResidFeatures, res.Final.ResidV, res.Final.CosWUMean)
	}
	for i, cp := range res.Trajectory {
		if cp.Metrics.GroupSizes == nil || cp.Metrics.NC2 == nil {
			t.Errorf("checkpoint %d (time %v): theory or collapse metrics missing", i, cp.Time)
		}
	}
}

// TestSeparationTimeGDMatchesFlow: T* found by gd at step resolution with
// lr 1e-3 agrees with flow's T* to a few steps, and gd's T* is a multiple
// of lr.
func TestSeparationTimeGDMatchesFlow(t *testing.T) {
	data := trainTestClusters(3, 8, 0, 7, 0.4, 42)
	gd := trainTestSpec("ce", 3, 9, 1e-3, 1e-3, 2)
	fl := gd
	fl.Train.Method, fl.Train.Tol = "flow", 1e-9
	rg := run(context.Background(), gd, data, nil)
	rf := run(context.Background(), fl, data, nil)
	if rg.SeparationTime == nil || rf.SeparationTime == nil {
		t.Fatalf("T* not reached: gd %v, flow %v", rg.SeparationTime, rf.SeparationTime)
	}
	tg, tf := *rg.SeparationTime, *rf.SeparationTime
	t.Logf("T*: gd (lr 1e-3) %v at step %d, flow %v at step %d", tg, *rg.SeparationStep, tf, *rf.SeparationStep)
	if math.Abs(tg-tf) > 5e-3 || tg != float64(*rg.SeparationStep)*1e-3 {
		t.Errorf("T*: gd %v (step %d), flow %v", tg, *rg.SeparationStep, tf)
	}
	if !rg.Final.Separated || !rf.Final.Separated {
		t.Errorf("final weights not separated: gd %v, flow %v", rg.Final.Separated, rf.Final.Separated)
	}
}
