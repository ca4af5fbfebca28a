package core

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strings"
)

// Run trains the network that spec describes on data and measures it. It
// never panics and never returns a Go error: an invalid spec or dataset, or
// a panic inside, gives StatusFailed with the reason in Error; a NaN/Inf
// loss or weight gives StatusDiverged; a done ctx gives StatusTimeout
// (deadline) or StatusCanceled. The result depends only on spec and data,
// bit for bit.
//
// Final holds the standard measurements (loss, accuracies, |theta|, balance,
// conserved-quantity drift, dead neurons) whenever the final weights are
// finite, and the Neural Collapse measurements (MeasureCollapse) when the
// run ended ok or by timeout; a diverged or canceled run is not measured
// for collapse.
func Run(ctx context.Context, spec Spec, data *Dataset) Result {
	return run(ctx, spec, data, MeasureCollapse)
}

// collapseFunc is the signature of MeasureCollapse; tests may pass nil to
// skip the collapse measurements.
type collapseFunc func(net *Network, train *Split, k int, m *Metrics) []string

func run(ctx context.Context, spec Spec, data *Dataset, measure collapseFunc) (res Result) {
	defer func() {
		if r := recover(); r != nil {
			res.Status = StatusFailed
			res.Error = fmt.Sprintf("panic: %v%s", r, panicSite())
		}
	}()
	if err := validate(spec, data); err != nil {
		return Result{Status: StatusFailed, Error: err.Error()}
	}
	loss, err := lossFor(spec.Train.Loss)
	if err != nil {
		return Result{Status: StatusFailed, Error: err.Error()}
	}
	net, err := Initialize(spec, data.Train.D, data.K)
	if err != nil {
		return Result{Status: StatusFailed, Error: err.Error()}
	}
	init := net.Clone()

	capacity := data.Train.N
	if spec.Train.Method == "sgd" {
		capacity = min(spec.Train.Batch, data.Train.N)
	}
	t := newTrainer(net, loss, &data.Train, capacity)
	out := t.train(ctx, spec.Train, spec.TrainSeed())
	res.Status, res.Error = out.status, out.err
	res.Steps, res.GradEvals, res.GFTime = t.steps, t.gradEvals, t.gfTime
	if res.Status == StatusFailed {
		return res
	}

	if !t.weightsFinite() {
		res.Notes = append(res.Notes, "final weights are not finite: nothing measured")
		return res
	}
	res.Notes = append(res.Notes, measureStandard(t, init, data, &res.Final)...)
	if measure != nil && (res.Status == StatusOK || res.Status == StatusTimeout) {
		res.Notes = append(res.Notes, measure(net, &data.Train, data.K, &res.Final)...)
	}
	return res
}

// measureStandard fills Loss, TrainAcc, TestAcc, DeadFrac, ThetaNorm,
// BalanceMax and ConservedDrift of m for the trainer's (finite) network,
// with init the initial weights, and returns notes on anything left unset.
func measureStandard(t *trainer, init *Network, data *Dataset, m *Metrics) []string {
	var notes []string
	net := t.net
	active := make([]bool, net.H)
	ev := t.evaluate(&data.Train, active)
	if m.Loss = Float(ev.loss); m.Loss == nil {
		notes = append(notes, fmt.Sprintf("final training loss is %v", ev.loss))
	}
	m.TrainAcc = Float(float64(ev.correct) / float64(data.Train.N))
	if data.Test.N > 0 {
		tv := t.evaluate(&data.Test, nil)
		m.TestAcc = Float(float64(tv.correct) / float64(data.Test.N))
	}
	dead := 0
	for _, a := range active {
		if !a {
			dead++
		}
	}
	m.DeadFrac = float64(dead) / float64(net.H)

	var thetaSq, balance, drift float64
	for j := 0; j < net.H; j++ {
		w, v := neuronSq(net, j)
		w0, v0 := neuronSq(init, j)
		thetaSq += w + v
		balance = math.Max(balance, math.Abs(math.Sqrt(w)-math.Sqrt(v)))
		drift = math.Max(drift, math.Abs((w-v)-(w0-v0)))
	}
	m.ThetaNorm = math.Sqrt(thetaSq)
	m.BalanceMax = balance
	if thetaSq > 0 {
		m.ConservedDrift = drift / thetaSq
	}
	if math.IsInf(thetaSq, 0) || math.IsNaN(m.ConservedDrift) {
		m.ThetaNorm, m.BalanceMax, m.ConservedDrift = 0, 0, 0
		notes = append(notes, "weights too large to measure |theta|, balance and drift (left 0)")
	}
	return notes
}

// neuronSq returns |w_j|^2 and |v_j|^2.
func neuronSq(net *Network, j int) (w, v float64) {
	for i := 0; i < net.D; i++ {
		x := net.W[i*net.H+j]
		w += x * x
	}
	for o := 0; o < net.Out; o++ {
		x := net.V[o*net.H+j]
		v += x * x
	}
	return w, v
}

// validate rejects specs and datasets no run can use, naming the problem.
func validate(spec Spec, data *Dataset) error {
	if data == nil {
		return fmt.Errorf("run: no dataset")
	}
	k := data.K
	if k < 2 {
		return fmt.Errorf("run: dataset has %d classes, want >= 2", k)
	}
	if err := validateSplit("train", &data.Train, k); err != nil {
		return err
	}
	if data.Train.N < 1 {
		return fmt.Errorf("run: empty training split")
	}
	if data.Test.N > 0 {
		if data.Test.D != data.Train.D {
			return fmt.Errorf("run: test split has dimension %d, training split %d", data.Test.D, data.Train.D)
		}
		if err := validateSplit("test", &data.Test, k); err != nil {
			return err
		}
	}
	tr := spec.Train
	switch tr.Loss {
	case "exp", "logistic":
		if k != 2 {
			return fmt.Errorf("run: train.loss %q is binary but the data has %d classes (use ce)", tr.Loss, k)
		}
	case "ce":
		if spec.Data.Classes != k {
			return fmt.Errorf("run: data.classes = %d but the dataset has %d classes", spec.Data.Classes, k)
		}
	default:
		return fmt.Errorf("run: unknown train.loss %q (valid: exp, logistic, ce)", tr.Loss)
	}
	if spec.Model.Width < 1 {
		return fmt.Errorf("run: model.width = %d, want >= 1", spec.Model.Width)
	}
	if !(tr.LR > 0) || math.IsInf(tr.LR, 0) {
		return fmt.Errorf("run: train.lr = %v, want a finite value > 0", tr.LR)
	}
	switch tr.Method {
	case "gd":
		if !(tr.Time >= 0) || tr.Time/tr.LR > 1e15 {
			return fmt.Errorf("run: train.time = %v with lr %v, want 0 <= time and time/lr <= 1e15 steps", tr.Time, tr.LR)
		}
	case "sgd":
		if tr.Batch < 1 {
			return fmt.Errorf("run: train.batch = %d, want >= 1", tr.Batch)
		}
		if tr.Epochs < 0 {
			return fmt.Errorf("run: train.epochs = %d, want >= 0", tr.Epochs)
		}
	default:
		return fmt.Errorf("run: unknown train.method %q (valid: gd, sgd)", tr.Method)
	}
	return nil
}

// validateSplit checks a split's shapes and labels.
func validateSplit(name string, s *Split, k int) error {
	if s.N < 0 || s.D < 1 && s.N > 0 {
		return fmt.Errorf("run: %s split is %d x %d", name, s.N, s.D)
	}
	if len(s.X) != s.N*s.D || len(s.Y) != s.N {
		return fmt.Errorf("run: %s split of %d x %d has %d values and %d labels", name, s.N, s.D, len(s.X), len(s.Y))
	}
	for i, c := range s.Y {
		if c < 0 || c >= k {
			return fmt.Errorf("run: %s label %d of point %d is outside 0..%d", name, c, i, k-1)
		}
	}
	return nil
}

// panicSite names the function and line that panicked, for a recovered
// panic's error text; called from the deferred recover.
func panicSite() string {
	pc := make([]uintptr, 32)
	n := runtime.Callers(3, pc)
	frames := runtime.CallersFrames(pc[:n])
	seenPanic := false
	for {
		f, more := frames.Next()
		if strings.HasPrefix(f.Function, "runtime.") {
			seenPanic = true
		} else if seenPanic {
			return fmt.Sprintf(" (at %s %s:%d)", f.Function, f.File, f.Line)
		}
		if !more {
			return ""
		}
	}
}
