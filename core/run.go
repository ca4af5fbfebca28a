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
// loss or weight, during training or at the final weights (a blow-up in the
// last step), gives StatusDiverged; a done ctx gives StatusTimeout
// (deadline) or StatusCanceled. The result depends only on spec and data,
// bit for bit.
//
// Init holds CheckInit of the initial weights. Final holds the standard
// measurements (loss, accuracies, |theta|, balance, conserved-quantity
// drift, dead neurons, Separated) whenever the final weights are finite,
// and the Neural Collapse (MeasureCollapse) and theory (MeasureTheory with
// data.Theory) measurements when the run ended ok or by timeout; a diverged
// or canceled run is not measured for those.
//
// SeparationTime (T*) is the GF time of the first weights found separated
// (see Separated): gd and flow check the forward pass of every step (every
// accepted step for flow) and the final weights; sgd checks the full
// training set only at its checkpoints and at the end (a note says so).
//
// With spec.Train.Checkpoints = c > 0, Trajectory holds the weights'
// measurements (the standard, collapse and theory ones) at c GF times
// log-spaced from the first step's time (gd: LR, sgd: LR/n, flow: LR) to the
// final time Time, the same for every run that shares (method, LR, Time,
// c[, n, batch, epochs]); gd and sgd round the times to whole steps (early
// ones may merge). T* is a checkpoint too when reached (not for sgd, whose
// T* is a checkpoint by construction). The last checkpoint is the final
// state, with Final's metrics; a run stopped by timeout ends its trajectory
// where it stopped, a diverged or canceled one at its last checkpoint.
func Run(ctx context.Context, spec Spec, data *Dataset) Result {
	return run(ctx, spec, data, &measurers{collapse: MeasureCollapse, theory: MeasureTheory, initChecks: CheckInit})
}

// measurers are the measurements Run makes beyond the standard ones. Tests
// call run with some of them nil (or a nil *measurers) to skip expensive or
// unrelated measurements.
type measurers struct {
	collapse   func(net *Network, train *Split, k int, m *Metrics) []string // MeasureCollapse
	theory     func(net *Network, data *Dataset, th *Theory, m *Metrics) []string
	initChecks func(net *Network, data *Dataset) InitChecks
}

// measure applies the collapse and theory measurements to m.
func (ms *measurers) measure(net *Network, data *Dataset, m *Metrics) []string {
	if ms == nil {
		return nil
	}
	var notes []string
	if ms.collapse != nil {
		notes = append(notes, ms.collapse(net, &data.Train, data.K, m)...)
	}
	if ms.theory != nil {
		notes = append(notes, ms.theory(net, data, data.Theory, m)...)
	}
	return notes
}

func run(ctx context.Context, spec Spec, data *Dataset, ms *measurers) (res Result) {
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
	net, err := InitializeFor(spec, data)
	if err != nil {
		return Result{Status: StatusFailed, Error: err.Error()}
	}
	init := net.Clone()
	if ms != nil && ms.initChecks != nil {
		res.Init = ms.initChecks(init, data)
	}

	tr := spec.Train
	capacity := data.Train.N
	if tr.Method == "sgd" {
		capacity = min(tr.Batch, data.Train.N)
	}
	t := newTrainer(net, loss, &data.Train, capacity)
	var record recordFunc
	var steps []int64
	var times []float64
	if c := tr.Checkpoints; c > 0 {
		record = func(t *trainer) (Metrics, []string) {
			var m Metrics
			notes := measureStandard(t, init, data, &m)
			return m, append(notes, ms.measure(t.net, data, &m)...)
		}
		switch tr.Method {
		case "gd":
			steps = checkpointSteps(c, tr.LR, gdSteps(tr))
		case "sgd":
			steps = checkpointSteps(c, tr.LR/float64(data.Train.N), sgdSteps(tr, data.Train.N))
		case "flow":
			times = checkpointTimes(c, tr.LR, tr.Time)
		}
	}
	t.obs = newObserver(data.K, record, steps, times)
	out := t.train(ctx, tr, spec.TrainSeed())
	res.Status, res.Error = out.status, out.err
	res.Steps, res.GradEvals, res.GFTime = t.steps, t.gradEvals, t.gfTime
	if res.Status == StatusFailed {
		return res
	}
	defer func() {
		res.SeparationTime, res.SeparationStep = t.obs.tStar, t.obs.stepStar
		res.EscapeTime = t.obs.tEscape
		res.Trajectory = t.obs.traj
		res.Notes = append(res.Notes, t.obs.notes...)
		if tr.Method == "sgd" {
			res.Notes = append(res.Notes, "separation_time: sgd checks separation on the full training set only at checkpoints and at the end, so T* is an upper bound at that resolution")
		}
	}()

	// The integrators check the loss before each step (gd, sgd) or at each
	// accepted state (flow), so a blow-up in the last step is first seen
	// here: non-finite final weights or a non-finite final training loss
	// make a run that ended ok (or by timeout) diverged, like a divergence
	// found mid-run.
	if !t.weightsFinite() {
		if res.Status == StatusOK || res.Status == StatusTimeout {
			o := t.diverged("final weights")
			res.Status, res.Error = o.status, o.err
		}
		res.Notes = append(res.Notes, "final weights are not finite: nothing measured")
		return res
	}
	res.Notes = append(res.Notes, measureStandard(t, init, data, &res.Final)...)
	if res.Final.Loss == nil && (res.Status == StatusOK || res.Status == StatusTimeout) {
		o := t.diverged("final training loss")
		res.Status, res.Error = o.status, o.err
	}
	measured := res.Status == StatusOK || res.Status == StatusTimeout
	if measured {
		res.Notes = append(res.Notes, ms.measure(net, data, &res.Final)...)
	}
	if t.obs.tStar == nil && res.Final.Separated {
		t.obs.markSeparation(t) // every earlier state was checked (sgd: at checkpoints)
	}
	if t.obs.recording() && measured {
		cp := Checkpoint{Step: res.Steps, GradEvals: res.GradEvals, Time: res.GFTime, Metrics: res.Final}
		if n := len(t.obs.traj); n > 0 && t.obs.traj[n-1].Step == cp.Step {
			t.obs.traj[n-1] = cp
		} else {
			t.obs.traj = append(t.obs.traj, cp)
		}
	}
	return res
}

// measureStandard fills Loss, TrainAcc, TestAcc, DeadFrac, Separated,
// ThetaNorm, BalanceMax and ConservedDrift of m for the trainer's (finite)
// network, with init the initial weights, and returns notes on anything
// left unset.
func measureStandard(t *trainer, init *Network, data *Dataset, m *Metrics) []string {
	var notes []string
	net := t.net
	var sep separationTracker
	sep.reset(net.H, data.K)
	ev := t.evaluate(&data.Train, &sep)
	if m.Loss = Float(ev.loss); m.Loss == nil {
		notes = append(notes, fmt.Sprintf("final training loss is %v", ev.loss))
	}
	m.TrainAcc = Float(float64(ev.correct) / float64(data.Train.N))
	if data.Test.N > 0 {
		tv := t.evaluate(&data.Test, nil)
		m.TestAcc = Float(float64(tv.correct) / float64(data.Test.N))
	}
	m.DeadFrac = float64(sep.dead()) / float64(net.H)
	m.Separated = sep.separated()

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
	if !allFinite(thetaSq, m.ThetaNorm, m.BalanceMax, m.ConservedDrift) {
		m.ThetaNorm, m.BalanceMax, m.ConservedDrift = 0, 0, 0
		notes = append(notes, "weights too large to measure |theta|, balance and drift (left 0)")
	}
	return notes
}

// allFinite reports whether no value is NaN or Inf.
func allFinite(v ...float64) bool { return finite(v) }

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
	case "flow":
		if !(tr.Time >= 0) || math.IsInf(tr.Time, 0) {
			return fmt.Errorf("run: train.time = %v, want a finite value >= 0", tr.Time)
		}
		if !(tr.Tol > 0 && tr.Tol < 1) {
			return fmt.Errorf("run: train.tol = %v, want a value in (0, 1)", tr.Tol)
		}
	default:
		return fmt.Errorf("run: unknown train.method %q (valid: gd, sgd, flow)", tr.Method)
	}
	if tr.Checkpoints < 0 {
		return fmt.Errorf("run: train.checkpoints = %d, want >= 0", tr.Checkpoints)
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
