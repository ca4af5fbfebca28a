package core

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
)

// trainer integrates the training dynamics of one network on one training
// split. All scratch memory is allocated once, for batches of up to cap
// points; a step allocates nothing.
type trainer struct {
	net  *Network
	loss lossFunc
	data *Split
	cap  int // largest batch the scratch holds

	z, a, dA []float64 // cap x H: pre-activations, features, d loss / d features
	f, g     []float64 // cap x Out: outputs, d loss / d outputs
	gW, gV   []float64 // D x H and Out x H gradients
	xb       []float64 // cap x D gathered mini-batch (sgd, dense inputs)
	yb       []int     // cap gathered labels (sgd)

	// sp, when not nil, runs the products of steps on the sparse form of
	// the training inputs (sparse.go), reading rows in place; allRows is
	// 0..N-1 for full-batch steps.
	sp            *sparseStep
	allRows, allY []int

	steps, gradEvals int64
	gfTime           float64

	// obs, when not nil, detects T* and records checkpoints.
	obs *observer
}

// trainOutcome is how an integration ended: a Result status and, unless
// the status is ok, an error text.
type trainOutcome struct {
	status string
	err    string
}

// newTrainer prepares scratch for batches of up to capacity points.
func newTrainer(net *Network, loss lossFunc, data *Split, capacity int) *trainer {
	h, out, d := net.H, net.Out, net.D
	t := &trainer{net: net, loss: loss, data: data, cap: capacity}
	t.z = make([]float64, capacity*h)
	t.a = make([]float64, capacity*h)
	t.dA = make([]float64, capacity*h)
	t.f = make([]float64, capacity*out)
	t.g = make([]float64, capacity*out)
	t.gW = make([]float64, d*h)
	t.gV = make([]float64, out*h)
	if sp := data.sparse; sp != nil && sp.n == data.N && sp.d == d {
		t.sp = newSparseStep(sp, bestGemmKernel, h)
	}
	return t
}

// fullBatch returns the arguments of gradient for the whole training split:
// its dense X, or, when it is sparse, its rows in class order (the order
// the sparse step takes them in, classOrder) with their labels.
func (t *trainer) fullBatch() (x []float64, rows []int, y []int) {
	if t.sp == nil {
		return t.data.X, nil, t.data.Y
	}
	if t.allRows == nil {
		t.allRows = make([]int, t.data.N)
		for i := range t.allRows {
			t.allRows[i] = i
		}
		t.allRows = t.sp.classOrder(t.allRows, t.data.Y)
		t.allY = make([]int, t.data.N)
		for r, i := range t.allRows {
			t.allY[r] = t.data.Y[i]
		}
	}
	return nil, t.allRows, t.allY
}

// gradient computes, for the nb points with labels y, the loss gradient
// scale * d(sum_i l_i)/d(W, V) into gW and gV and returns the unscaled
// summed loss sum_i l_i. The points are the rows of x (nb x D row-major),
// or, when rows is not nil, the training rows with those indices read in
// place from the sparse form t.sp. It follows the chain rule with
// relu'(0) = 0:
//
//	Z = X W, A = relu(Z), F = A V^T, G = scale dl/dF,
//	grad V = G^T A, dA = (G V) masked by Z > 0, grad W = X^T dA.
//
// When the loss is not finite the gradients are left unspecified.
func (t *trainer) gradient(x []float64, rows []int, y []int, scale float64) float64 {
	net := t.net
	nb, d, h, out := len(y), net.D, net.H, net.Out
	a, dA := t.a[:nb*h], t.dA[:nb*h]
	f, g := t.f[:nb*out], t.g[:nb*out]
	// A = relu(X W), the ReLU applied as the kernel stores the product (so
	// A > 0 exactly where the pre-activation is > 0).
	if rows != nil {
		t.sp.forwardReLU(rows, net.W, h, a)
	} else {
		gemmReLU(blas.NoTrans, blas.NoTrans, nb, h, d, x, d, net.W, h, a, h)
	}
	gemm(blas.NoTrans, blas.Trans, nb, out, h, 1, a, h, net.V, h, 0, f, out)
	l := t.loss(f, y, out, scale, g)
	t.gradEvals++
	if math.IsNaN(l) || math.IsInf(l, 0) {
		return l
	}
	gemm(blas.Trans, blas.NoTrans, out, h, nb, 1, g, out, a, h, 0, t.gV, h)
	// dA = (G V) masked by the active features (relu'(0) = 0), in one pass.
	gemmMasked(blas.NoTrans, blas.NoTrans, nb, h, out, g, out, net.V, h, dA, h, a)
	if rows != nil {
		t.sp.backward(rows, dA, h, t.gW)
	} else {
		gemm(blas.Trans, blas.NoTrans, d, h, nb, 1, x, d, dA, h, 0, t.gW, h)
	}
	return l
}

// step moves the weights by -lr times the last gradient.
func (t *trainer) step(lr float64) {
	axpy(-lr, t.gW, t.net.W)
	axpy(-lr, t.gV, t.net.V)
	t.steps++
}

// axpy is y += alpha x.
func axpy(alpha float64, x, y []float64) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

// finite reports whether every entry of x is finite.
func finite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// checkEvery is how many steps of nb points pass between two context
// checks: about 2e7 floating-point operations (a few ms), at most 50 steps.
func checkEvery(nb, d, h, out int) int64 {
	flops := 2 * float64(nb) * float64(h) * (2*float64(d) + 3*float64(out))
	return int64(max(1, min(50, 2e7/max(flops, 1))))
}

// interrupted returns the outcome for a done context, or nil.
func (t *trainer) interrupted(ctx context.Context) *trainOutcome {
	err := ctx.Err()
	if err == nil {
		return nil
	}
	status := StatusCanceled
	if errors.Is(err, context.DeadlineExceeded) {
		status = StatusTimeout
	}
	return &trainOutcome{status, fmt.Sprintf("%s after %d steps (GF time %g): %v", status, t.steps, t.gfTime, err)}
}

// diverged returns the outcome for a non-finite loss or weights.
func (t *trainer) diverged(what string) *trainOutcome {
	return &trainOutcome{StatusDiverged, fmt.Sprintf("%s not finite at step %d (GF time %g)", what, t.steps, t.gfTime)}
}

// weightsFinite checks the weights (a NaN input weight of an inactive
// neuron would otherwise hide behind the ReLU mask).
func (t *trainer) weightsFinite() bool { return finite(t.net.W) && finite(t.net.V) }

// runGD takes steps full-batch gradient steps of size lr on the summed loss;
// each advances gradient-flow time by lr.
func (t *trainer) runGD(ctx context.Context, steps int64, lr float64) trainOutcome {
	x, rows, y := t.fullBatch()
	every := checkEvery(len(y), t.net.D, t.net.H, t.net.Out)
	for s := int64(0); s < steps; s++ {
		if s%every == 0 {
			if o := t.interrupted(ctx); o != nil {
				return *o
			}
			if !t.weightsFinite() {
				return *t.diverged("weights")
			}
		}
		l := t.gradient(x, rows, y, 1)
		if math.IsNaN(l) || math.IsInf(l, 0) {
			return *t.diverged("loss")
		}
		t.obs.checkLoss(t, l)
		// The forward pass just made is at the weights of step s (GF time
		// s*lr, reached with s gradient evaluations): detect T* there, and
		// record a checkpoint there when one is due or T* was just reached
		// (recording reuses the forward scratch, which the update below no
		// longer needs).
		if sepNow := t.obs.checkForward(t, t.a, y); t.obs.recording() && (sepNow || t.obs.stepDue(t.steps)) {
			t.obs.checkpoint(t, t.gradEvals-1, false)
		}
		t.step(lr)
		t.gfTime = float64(t.steps) * lr
	}
	if !t.weightsFinite() {
		return *t.diverged("weights")
	}
	return trainOutcome{status: StatusOK}
}

// runSGD runs epochs of mini-batch SGD with batches of batch points drawn
// from a fresh permutation per epoch (the last partial batch is kept), on
// the batch-mean loss as PyTorch does. A step with the batch-mean loss moves,
// in expectation over the shuffle, like gradient flow on the summed loss for
// time lr/n whatever the batch size, so GF time is steps * lr / n.
//
// A step's forward pass sees only its batch, so separation is checked on
// the full training set only at checkpoints (and, by Run, at the end): T*
// for sgd has checkpoint resolution, an upper bound on the first separated
// step.
func (t *trainer) runSGD(ctx context.Context, epochs, batch int, lr float64, seed uint64) trainOutcome {
	n, d := t.data.N, t.data.D
	rng := rand.New(rand.NewPCG(seed, splitmix64(seed)))
	perm := make([]int, n)
	every := checkEvery(batch, d, t.net.H, t.net.Out)
	for e := 0; e < epochs; e++ {
		for i := range perm {
			perm[i] = i
		}
		rng.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		for lo := 0; lo < n; lo += batch {
			if t.steps%every == 0 {
				if o := t.interrupted(ctx); o != nil {
					return *o
				}
				if !t.weightsFinite() {
					return *t.diverged("weights")
				}
			}
			if t.obs.stepDue(t.steps) {
				t.obs.checkpoint(t, t.gradEvals, true)
			}
			hi := min(lo+batch, n)
			nb := hi - lo
			yb := t.yb[:nb]
			var xb []float64
			var rows []int
			if t.sp != nil {
				// Read in place (no copy of the batch), in class order
				// (classOrder).
				rows = t.sp.classOrder(perm[lo:hi], t.data.Y)
			}
			for r, i := range perm[lo:hi] {
				yb[r] = t.data.Y[i]
			}
			if t.sp == nil {
				xb = t.xb[:nb*d]
				for r, i := range perm[lo:hi] {
					copy(xb[r*d:(r+1)*d], t.data.X[i*d:(i+1)*d])
				}
			}
			if l := t.gradient(xb, rows, yb, 1/float64(nb)); math.IsNaN(l) || math.IsInf(l, 0) {
				return *t.diverged("batch loss")
			}
			t.step(lr)
			t.gfTime = float64(t.steps) * lr / float64(n)
		}
	}
	if !t.weightsFinite() {
		return *t.diverged("weights")
	}
	return trainOutcome{status: StatusOK}
}

// train runs the integrator named by ts on the trainer's data. The trainer
// must have been created with capacity for ts's batches.
func (t *trainer) train(ctx context.Context, ts TrainSpec, seed uint64) trainOutcome {
	switch ts.Method {
	case "gd":
		return t.runGD(ctx, gdSteps(ts), ts.LR)
	case "sgd":
		b := min(ts.Batch, t.data.N)
		if len(t.yb) < b {
			t.yb = make([]int, b)
		}
		if t.sp == nil && len(t.xb) < b*t.data.D {
			t.xb = make([]float64, b*t.data.D)
		}
		return t.runSGD(ctx, ts.Epochs, b, ts.LR, seed)
	case "flow":
		return t.runFlow(ctx, flowSettings{time: ts.Time, tol: ts.Tol, h0: ts.LR, normalized: ts.NormalizedTime}, bogackiShampine)
	}
	return trainOutcome{StatusFailed, fmt.Sprintf("unknown train.method %q (valid: gd, sgd, flow)", ts.Method)}
}

// gdSteps is round(Time/LR).
func gdSteps(ts TrainSpec) int64 { return int64(math.Round(ts.Time / ts.LR)) }

// sgdSteps is the number of sgd steps: epochs times ceil(n/batch).
func sgdSteps(ts TrainSpec, n int) int64 {
	b := min(ts.Batch, n)
	return int64(ts.Epochs) * int64((n+b-1)/b)
}

// evaluation is a full pass of the network over a split.
type evaluation struct {
	loss    float64 // summed loss
	correct int     // points whose predicted class is their label
}

// evaluate passes the split through the network in chunks that fit the
// trainer's scratch. Prediction (predict): for one output, class 0 iff
// f > 0 and class 1 iff f < 0; for K outputs, the unique largest output; an
// output of exactly 0, or a tie, predicts no class and is never correct
// (so a dead network scores 0, not the share of one class). When sep is not nil (it
// must have been reset) it records which classes each neuron fires on.
func (t *trainer) evaluate(s *Split, sep *separationTracker) evaluation {
	net := t.net
	h, out, d := net.H, net.Out, net.D
	var ev evaluation
	for lo := 0; lo < s.N; lo += t.cap {
		hi := min(lo+t.cap, s.N)
		nb := hi - lo
		z, f := t.z[:nb*h], t.f[:nb*out]
		net.Features(s.X[lo*d:hi*d], nb, z)
		if sep != nil {
			sep.add(z, s.Y[lo:hi], h) // features > 0 exactly where pre-activations are
		}
		net.OutputsFromFeatures(z, nb, f)
		ev.loss += t.loss(f, s.Y[lo:hi], out, 1, nil)
		for i := 0; i < nb; i++ {
			if predict(f[i*out:(i+1)*out]) == s.Y[lo+i] {
				ev.correct++
			}
		}
	}
	return ev
}

// predict is the class the outputs f of one point vote for, or -1 when
// they name none (f = 0 for one output, a tie for the largest of K).
func predict(f []float64) int {
	if len(f) == 1 {
		switch {
		case f[0] > 0:
			return 0
		case f[0] < 0:
			return 1
		}
		return -1 // f = 0 (a dead network, a zero input): no class
	}
	best, tied := 0, false
	for k, v := range f[1:] {
		switch {
		case v > f[best]:
			best, tied = k+1, false
		case v == f[best]:
			tied = true
		}
	}
	if tied || f[best] != f[best] {
		return -1 // a tie for the largest output: no class
	}
	return best
}
