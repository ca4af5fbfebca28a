package core

import (
	"context"
	"fmt"
	"math"
)

// rkTableau is an explicit embedded Runge-Kutta pair with the FSAL property
// (first same as last): its last stage is evaluated at the new solution,
// so an accepted step hands that evaluation to the next step.
type rkTableau struct {
	name string
	// a[i] are the coefficients of stage i (a[0] is empty); the last row
	// equals the weights of the propagated (higher-order) solution.
	a [][]float64
	// e are the weights of the error estimate: propagated minus embedded.
	e []float64
	// errOrder is the order of the embedded solution plus 1: the local
	// error estimate scales like h^errOrder.
	errOrder float64
}

// dormandPrince is the Dormand-Prince 5(4) pair (7 stages, 6 gradient
// evaluations per accepted step). At equal tolerance it takes fewer
// gradient evaluations than bogackiShampine, but the ReLU kinks make the
// gradient only piecewise smooth, its high order does not pay off, and at
// equal accuracy it needs about 1.5-2x more evaluations (BENCHMARKS.md,
// "Gradient flow"). Kept for comparison.
var dormandPrince = &rkTableau{
	name: "dopri5",
	a: [][]float64{
		{},
		{1.0 / 5},
		{3.0 / 40, 9.0 / 40},
		{44.0 / 45, -56.0 / 15, 32.0 / 9},
		{19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
		{9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
		{35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84},
	},
	e: []float64{
		35.0/384 - 5179.0/57600, 0, 500.0/1113 - 7571.0/16695, 125.0/192 - 393.0/640,
		-2187.0/6784 + 92097.0/339200, 11.0/84 - 187.0/2100, -1.0 / 40,
	},
	errOrder: 5,
}

// bogackiShampine is the Bogacki-Shampine 3(2) pair (4 stages, 3 gradient
// evaluations per accepted step): the integrator behind method "flow",
// chosen by measurement over dormandPrince (cheaper at equal accuracy on
// the piecewise-smooth ReLU gradient flow).
var bogackiShampine = &rkTableau{
	name: "bs3",
	a: [][]float64{
		{},
		{1.0 / 2},
		{0, 3.0 / 4},
		{2.0 / 9, 1.0 / 3, 4.0 / 9},
	},
	e:        []float64{2.0/9 - 7.0/24, 1.0/3 - 1.0/4, 4.0/9 - 1.0/3, -1.0 / 8},
	errOrder: 3,
}

// flowSettings are the knobs of the gradient-flow integrator.
type flowSettings struct {
	time       float64 // GF time to reach
	tol        float64 // local error tolerance relative to |theta|
	h0         float64 // first step, in GF time
	normalized bool    // integrate d theta/ds = -grad L / L
}

// Step-size controller constants: the usual safety factor and the limits
// on how much one step may shrink or grow the next; maxRejects bounds
// consecutive rejections before the run is declared diverged.
const (
	flowSafety     = 0.9
	flowMinFactor  = 0.2
	flowMaxFactor  = 5.0
	flowMaxRejects = 60
)

// runFlow integrates gradient flow d theta/dt = -grad L(theta) on the summed
// loss, from the network's weights up to GF time fs.time, with the embedded
// pair rk and the standard step-size controller: the local error estimate
// |err|_2 must stay below fs.tol * max(|theta_n|, |theta_n+1|); a step whose
// estimate exceeds it (or whose loss is not finite) is rejected and retried
// smaller; the next step is h * clamp(0.9 err^(-1/errOrder), 0.2, 5) (no
// growth right after a rejection). The first step is fs.h0 in GF time.
//
// With fs.normalized the integrated equation is d theta/ds = -grad L / L:
// the same path, with GF time t advancing by ds/L (accumulated with the
// stages' weights), so steps stay long once the loss is tiny. A step that
// would pass the next checkpoint time or fs.time is instead taken in GF
// time, of exactly the remaining length: every checkpoint and the end are
// reached exactly (Time is set to the target, bit for bit).
//
// steps counts accepted steps, gradEvals every gradient evaluation
// (rejected steps included). T* is detected from the forward pass at each
// accepted step's new weights (the FSAL stage). The network's W and V are
// re-pointed into one contiguous parameter vector.
func (t *trainer) runFlow(ctx context.Context, fs flowSettings, rk *rkTableau) trainOutcome {
	net := t.net
	dw := len(net.W)
	np := dw + len(net.V)
	ns := len(rk.a)
	x, rows, y := t.fullBatch()

	// y0 holds theta_n; cur is where stages are evaluated (net aliases it).
	y0 := make([]float64, np)
	cur := make([]float64, np)
	copy(cur, net.W)
	copy(cur[dw:], net.V)
	copy(y0, cur)
	net.W, net.V = cur[:dw:dw], cur[dw:]
	errv := make([]float64, np)
	stages := make([][]float64, ns)
	for i := range stages {
		stages[i] = make([]float64, np)
	}
	gW, gV := t.gW, t.gV
	defer func() { t.gW, t.gV = gW, gV }()
	scale := make([]float64, ns) // stage i's slope is -scale[i] * stages[i]
	losses := make([]float64, ns)

	// eval computes the gradient at cur into stages[i].
	eval := func(i int) float64 {
		t.gW, t.gV = stages[i][:dw:dw], stages[i][dw:]
		l := t.gradient(x, rows, y, 1)
		losses[i] = l
		return l
	}
	stageScale := func(l float64, normalized bool) float64 {
		if normalized {
			return 1 / l
		}
		return 1
	}

	if o := t.interrupted(ctx); o != nil {
		return *o
	}
	if !t.weightsFinite() {
		return *t.diverged("weights")
	}
	if l := eval(0); math.IsNaN(l) || math.IsInf(l, 0) {
		return *t.diverged("loss")
	}
	t.obs.checkLoss(t, losses[0])
	t.obs.checkForward(t, t.a, y)
	if t.obs.recording() && t.obs.tStar != nil {
		t.obs.checkpoint(t, t.gradEvals, false)
	}

	// h is the proposed step in the integrated variable (t, or s when
	// normalized).
	h := fs.h0
	if fs.normalized {
		h = fs.h0 * losses[0]
	}
	rejects := 0
	forceLand := false
	thetaNorm := vecNorm(y0)
	for t.gfTime < fs.time {
		if o := t.interrupted(ctx); o != nil {
			return *o
		}
		target := math.Min(fs.time, t.obs.nextTime())
		remaining := target - t.gfTime
		l0 := losses[0]
		if fs.normalized && l0 == 0 {
			// The loss underflowed: the gradient is exactly 0 and the flow
			// stands still (to double precision) for the rest of time.
			t.gfTime = target
			if target < fs.time && t.obs.recording() {
				t.obs.checkpoint(t, t.gradEvals, false)
			}
			continue
		}

		// Decide the step: in normalized time, predict the GF time a step
		// of h covers from d log L / ds = -|grad L|^2 / L^2 =: -a; when it
		// reaches the target, land on it with a GF-time step instead.
		var a float64
		if fs.normalized {
			g := vecNorm(stages[0]) / l0
			a = g * g
		}
		land := forceLand
		hs := h // the step in the integrated variable
		normalized := fs.normalized
		if fs.normalized {
			if land || sToGF(h, a, l0) >= remaining {
				land, normalized, hs = true, false, remaining
			}
		} else if land || h >= remaining {
			land, hs = true, remaining
		}
		forceLand = false

		// Stages 1..ns-1; the last is at the new solution.
		scale[0] = stageScale(l0, normalized)
		ok := true
		for i := 1; i < ns && ok; i++ {
			copy(cur, y0)
			for j, aij := range rk.a[i] {
				if aij != 0 {
					axpy(-hs*aij*scale[j], stages[j], cur)
				}
			}
			l := eval(i)
			if math.IsNaN(l) || math.IsInf(l, 0) || normalized && l == 0 {
				ok = false
				break
			}
			scale[i] = stageScale(l, normalized)
		}

		var errRatio, newNorm float64
		if ok {
			clear(errv)
			for j, ej := range rk.e {
				if ej != 0 {
					axpy(-hs*ej*scale[j], stages[j], errv)
				}
			}
			newNorm = vecNorm(cur)
			errRatio = vecNorm(errv) / (fs.tol * math.Max(thetaNorm, newNorm))
			ok = errRatio <= 1 && !math.IsNaN(errRatio)
		}
		var dt float64
		if ok {
			if normalized {
				var sum float64
				for j, bj := range rk.a[ns-1] {
					sum += bj * scale[j]
				}
				dt = hs * sum
				if t.gfTime+dt > target {
					// The prediction fell short: redo as a landing step.
					copy(cur, y0)
					forceLand = true
					h = gfToS(remaining, a, l0)
					continue
				}
			} else {
				dt = hs
			}
		}
		if !ok {
			copy(cur, y0)
			rejects++
			if rejects > flowMaxRejects {
				return *t.diverged(fmt.Sprintf("step size (after %d rejected steps, last error ratio %g)", rejects, errRatio))
			}
			f := flowMinFactor
			if errRatio > 0 && !math.IsNaN(errRatio) && !math.IsInf(errRatio, 0) {
				f = math.Max(flowMinFactor, flowSafety*math.Pow(errRatio, -1/rk.errOrder))
			}
			if fs.normalized && !normalized {
				hs = gfToS(hs, a, l0)
			}
			h = hs * math.Min(f, 0.9)
			continue
		}

		// Accept.
		if land {
			t.gfTime = target
		} else {
			next := t.gfTime + dt
			if next == t.gfTime {
				return *t.diverged(fmt.Sprintf("step size (step %g underflows at GF time %g)", dt, t.gfTime))
			}
			t.gfTime = next
		}
		copy(y0, cur)
		thetaNorm = newNorm
		stages[0], stages[ns-1] = stages[ns-1], stages[0]
		losses[0] = losses[ns-1]
		t.steps++
		t.obs.checkLoss(t, losses[0])
		f := flowMaxFactor
		if errRatio > 0 {
			f = math.Min(flowMaxFactor, math.Max(flowMinFactor, flowSafety*math.Pow(errRatio, -1/rk.errOrder)))
		}
		if rejects > 0 {
			f = math.Min(f, 1)
		}
		rejects = 0
		hUsed := hs
		if fs.normalized && !normalized {
			hUsed = gfToS(hs, a, l0)
		}
		hNext := hUsed * f
		if land {
			hNext = math.Max(hNext, h) // a step shortened to land does not shrink the next
		}
		h = hNext

		sepNow := t.obs.checkForward(t, t.a, y)
		if t.obs.recording() && (sepNow || t.gfTime >= t.obs.nextTime() && t.gfTime < fs.time) {
			t.obs.checkpoint(t, t.gradEvals, false)
		}
	}
	if !t.weightsFinite() {
		return *t.diverged("weights")
	}
	return trainOutcome{status: StatusOK}
}

// sToGF predicts the GF time a normalised-time step of length ds covers
// from theta_n, where the loss is l0 and d log L / ds = -a: assuming a
// constant, L(s) = l0 exp(-a s) and dt = (exp(a ds) - 1) / (a l0).
func sToGF(ds, a, l0 float64) float64 {
	if a*ds > 1e-8 {
		return math.Expm1(a*ds) / (a * l0)
	}
	return ds / l0
}

// gfToS inverts sToGF: the normalised-time span that covers GF time dt.
func gfToS(dt, a, l0 float64) float64 {
	if a*l0*dt > 1e-8 {
		return math.Log1p(a*l0*dt) / a
	}
	return dt * l0
}
