package core

import (
	"fmt"
	"math"
)

// Separated reports inter-class separation of net on the split with k
// classes (SCIENCE.md section 3): every live neuron (pre-activation > 0 on
// some point of the split) fires on the points of exactly one class, and
// every class has at least one live neuron. Dead neurons are ignored. It
// allocates an n x H matrix of pre-activations.
func Separated(net *Network, s *Split, k int) bool {
	z := make([]float64, s.N*net.H)
	net.PreActivations(s.X, s.N, z)
	var sep separationTracker
	sep.reset(net.H, k)
	sep.add(z, s.Y, net.H)
	return sep.separated()
}

// Per-neuron states of a separationTracker besides a class index >= 0.
const (
	neuronSilent = -1 // fired on no point so far
	neuronMixed  = -2 // fired on points of two different classes
)

// separationTracker accumulates, over one forward pass, which classes each
// neuron fired on, and decides inter-class separation from it. A pass costs
// one comparison per pre-activation; the tracker allocates only in reset,
// and only when the shape grows.
type separationTracker struct {
	fired []int32 // per neuron: neuronSilent, neuronMixed or the one class it fired on
	has   []bool  // per class: some neuron fires on this class only
}

// reset prepares the tracker for a pass over h neurons and k classes.
func (s *separationTracker) reset(h, k int) {
	if cap(s.fired) < h {
		s.fired = make([]int32, h)
	}
	if cap(s.has) < k {
		s.has = make([]bool, k)
	}
	s.fired, s.has = s.fired[:h], s.has[:k]
	for j := range s.fired {
		s.fired[j] = neuronSilent
	}
}

// add records the pre-activations z (len(y) x h, row-major) of points
// with labels y: a neuron fires on a point when its pre-activation is > 0
// (a zero pre-activation is inactive, as relu'(0) = 0).
func (s *separationTracker) add(z []float64, y []int, h int) {
	fired := s.fired[:h]
	for i, c := range y {
		c32 := int32(c)
		for j, v := range z[i*h : (i+1)*h] {
			if v > 0 {
				switch f := fired[j]; {
				case f == neuronSilent:
					fired[j] = c32
				case f != c32:
					fired[j] = neuronMixed
				}
			}
		}
	}
}

// separated reports whether the pass recorded since reset shows
// inter-class separation.
func (s *separationTracker) separated() bool {
	clear(s.has)
	for _, f := range s.fired {
		switch {
		case f == neuronMixed:
			return false
		case f >= 0:
			s.has[f] = true
		}
	}
	for _, ok := range s.has {
		if !ok {
			return false
		}
	}
	return true
}

// dead counts the neurons that fired on no point.
func (s *separationTracker) dead() int {
	n := 0
	for _, f := range s.fired {
		if f == neuronSilent {
			n++
		}
	}
	return n
}

// checkpointTimes returns c GF times log-spaced from first to last, both
// included (c == 1, or last <= first: just last), with consecutive
// duplicates removed. The times depend only on (c, first, last), bit for
// bit, so runs that share a schedule share their checkpoint times.
func checkpointTimes(c int, first, last float64) []float64 {
	if c < 1 {
		return nil
	}
	if c == 1 || !(first > 0) || last <= first {
		return []float64{last}
	}
	lo, span := math.Log(first), math.Log(last)-math.Log(first)
	times := make([]float64, 0, c)
	for i := 0; i < c; i++ {
		var t float64
		switch i {
		case 0:
			t = first
		case c - 1:
			t = last
		default:
			t = math.Exp(lo + span*float64(i)/float64(c-1))
		}
		if n := len(times); n > 0 && t <= times[n-1] {
			continue
		}
		times = append(times, t)
	}
	return times
}

// checkpointSteps maps log-spaced times onto the steps of an integrator that
// advances GF time by dt per step, for total steps: c times from dt (the
// first step) to total*dt, each rounded to the nearest step in [1, total],
// duplicates removed (so early checkpoints of a short run may merge).
func checkpointSteps(c int, dt float64, total int64) []int64 {
	if c < 1 || total < 1 {
		return nil
	}
	var steps []int64
	for _, t := range checkpointTimes(c, dt, float64(total)*dt) {
		s := min(max(int64(math.Round(t/dt)), 1), total)
		if n := len(steps); n > 0 && s <= steps[n-1] {
			continue
		}
		steps = append(steps, s)
	}
	if steps[len(steps)-1] != total {
		steps = append(steps, total)
	}
	return steps
}

// recordFunc measures the trainer's current weights for a checkpoint and
// returns the metrics and notes on anything left unset.
type recordFunc func(t *trainer) (Metrics, []string)

// observer watches an integration on behalf of Run (the integrators never
// know who is watching): it detects the separation time T* and records the
// trajectory's checkpoints. A nil *observer observes nothing.
type observer struct {
	k   int
	sep separationTracker

	// Schedule: gd and sgd checkpoint at steps (times = step * dt), flow at
	// times. next indexes the first checkpoint not yet reached. The final
	// state is not recorded here: Run appends it with the final metrics.
	steps []int64
	times []float64
	next  int

	tStar    *float64
	stepStar *int64

	// Escape time: loss0 is the loss at the first full-batch evaluation.
	loss0     float64
	haveLoss0 bool
	tEscape   *float64

	record recordFunc // nil: no trajectory
	traj   []Checkpoint
	notes  []string // distinct notes of the checkpoints' measurements
}

// newObserver prepares T* detection for k classes and, when record is not
// nil, the checkpoint schedule (steps for gd/sgd, times for flow).
func newObserver(k int, record recordFunc, steps []int64, times []float64) *observer {
	return &observer{k: k, record: record, steps: steps, times: times}
}

// checkForward looks at the pre-activations z (or the features relu(z),
// which are > 0 at the same places) of a full-batch forward pass
// over the training points (labels y) at the trainer's current weights, and
// marks T* there if separation holds for the first time. It reports whether
// T* was marked now.
func (o *observer) checkForward(t *trainer, z []float64, y []int) bool {
	if o == nil || o.tStar != nil {
		return false
	}
	h := t.net.H
	o.sep.reset(h, o.k)
	o.sep.add(z[:len(y)*h], y, h)
	if !o.sep.separated() {
		return false
	}
	o.markSeparation(t)
	return true
}

// checkLoss looks at the summed training loss l of a full-batch evaluation
// at the trainer's current weights: the first call records the initial
// loss, later ones mark the escape time when l first falls to half of it.
func (o *observer) checkLoss(t *trainer, l float64) {
	if o == nil || o.tEscape != nil {
		return
	}
	if !o.haveLoss0 {
		o.loss0, o.haveLoss0 = l, true
		return
	}
	if l <= o.loss0/2 {
		tm := t.gfTime
		o.tEscape = &tm
	}
}

// markSeparation sets T* to the trainer's current time and step.
func (o *observer) markSeparation(t *trainer) {
	tm, st := t.gfTime, t.steps
	o.tStar, o.stepStar = &tm, &st
}

// stepDue reports whether step is a scheduled checkpoint (gd, sgd).
func (o *observer) stepDue(step int64) bool {
	return o != nil && o.record != nil && o.next < len(o.steps) && o.steps[o.next] == step
}

// nextTime is the next scheduled checkpoint time (flow), or +Inf.
func (o *observer) nextTime() float64 {
	if o == nil || o.record == nil || o.next >= len(o.times) {
		return math.Inf(1)
	}
	return o.times[o.next]
}

// recording reports whether checkpoints are being recorded.
func (o *observer) recording() bool { return o != nil && o.record != nil }

// checkpoint records the trainer's current state as a checkpoint, with
// evals the gradient evaluations spent to reach it, and moves the schedule
// past it. With detect set (sgd, whose steps see only a batch) it also
// marks T* when this is the first checkpoint found separated.
func (o *observer) checkpoint(t *trainer, evals int64, detect bool) {
	m, notes := o.record(t)
	for _, n := range notes {
		o.note("checkpoints: " + n)
	}
	o.traj = append(o.traj, Checkpoint{Step: t.steps, GradEvals: evals, Time: t.gfTime, Metrics: m})
	if detect && o.tStar == nil && m.Separated {
		o.markSeparation(t)
	}
	for o.next < len(o.steps) && o.steps[o.next] <= t.steps {
		o.next++
	}
	for o.next < len(o.times) && o.times[o.next] <= t.gfTime {
		o.next++
	}
}

// maxObserverNotes bounds the distinct checkpoint notes kept.
const maxObserverNotes = 8

// note keeps a distinct note, up to maxObserverNotes of them.
func (o *observer) note(s string) {
	for _, n := range o.notes {
		if n == s {
			return
		}
	}
	if len(o.notes) < maxObserverNotes {
		o.notes = append(o.notes, s)
	} else if len(o.notes) == maxObserverNotes {
		o.notes = append(o.notes, fmt.Sprintf("checkpoints: more than %d distinct notes, the rest omitted", maxObserverNotes))
	}
}
