package core

// Status values of a Result.
const (
	StatusOK       = "ok"
	StatusDiverged = "diverged" // the loss or the weights became NaN/Inf
	StatusFailed   = "failed"   // an error or a panic
	StatusTimeout  = "timeout"
	StatusCanceled = "canceled"
)

// Result is what one run produced. It is a value: a failed run is a Result
// with a status and an error text, not a Go error.
type Result struct {
	Status string
	Error  string
	// Notes explain degenerate measurements (a nil metric) and other facts
	// worth a user's attention; they are joined into one column.
	Notes []string

	Steps     int64   // integrator steps taken
	GradEvals int64   // full or mini-batch gradient evaluations
	GFTime    float64 // gradient-flow time reached, in units of the summed loss

	Final Metrics

	// Init reports the theory's assumptions on the initial shape.
	Init InitChecks
	// SeparationTime is T*, the first GF time at which inter-class
	// separation holds (every live neuron fires on exactly one class and
	// every class has a neuron), at step resolution; nil if never reached.
	SeparationTime *float64
	// SeparationStep is the integrator step at which T* was reached.
	SeparationStep *int64
	// EscapeTime is the first GF time at which the summed training loss is
	// at most half its initial value: the end of the small-weight
	// (alignment) phase, which lasts of order log(1/eps). gd: at step
	// resolution; flow: at accepted steps; sgd: not measured (nil). nil
	// when never reached.
	EscapeTime *float64
	// Trajectory holds the checkpoints (log-spaced in GF time, plus T*), in
	// time order; empty when TrainSpec.Checkpoints is 0.
	Trajectory []Checkpoint
}

// InitChecks evaluates Assumptions 3 and 4 on the initial shape.
type InitChecks struct {
	// A3 is Assumption 3 (binary runs only; nil otherwise).
	A3 *bool
	// A4 is Assumption 4 (multi-class runs only; nil otherwise): a
	// partition of the neurons satisfying its three conditions exists.
	A4 *bool
	// A4GroupSizes is, when A4 holds, the size of each class's group N_k
	// of the partition found.
	A4GroupSizes []int
}

// Checkpoint is the state of a run at one GF time.
type Checkpoint struct {
	Step      int64
	GradEvals int64
	Time      float64 // GF time
	// Metrics: Loss, TrainAcc, TestAcc, NC1, NC1Norm, NC2, NC3, the theory
	// residuals, Separated, DeadFrac, ThetaNorm are filled; the rest may be.
	Metrics Metrics
}

// Metrics are the measurements of SCIENCE.md section 4 at one set of weights.
// A nil pointer means not measured or undefined (see Result.Notes); a
// non-nil pointer never holds NaN or Inf.
type Metrics struct {
	Loss     *float64 // summed training loss
	TrainAcc *float64
	TestAcc  *float64 // nil without a test split

	NC1       *float64 // paper's NC1 on raw features
	NC1Norm   *float64 // NC1 on features normalised to unit length
	NC1Papyan *float64 // tr(Sigma_W Sigma_B^+)/K
	NC2       *float64
	NC3       *float64 // unit-norm target P/sqrt(K-1)
	NC3Paper  *float64 // target Etilde/sqrt(K-1), as the paper writes it
	NC4       *float64 // fraction of training points where the network's prediction equals the nearest-class-mean rule

	ZeroFeatures int // training points with phi(x_i) = 0 (excluded from NC1Norm)

	MinCosPerClass  []float64 // per class: min over its points of cos(phi(x_i), mu_k)
	MeanCosPerClass []float64 // per class: mean of cos(phi(x_i), mu_k)
	MaxCosMeans     *float64  // max over k != k' of |cos(mu_k, mu_k')|

	DeadFrac   float64 // fraction of neurons active on no training point
	ThetaNorm  float64 // |theta|_F = sqrt(|W|_F^2 + |V|_F^2)
	BalanceMax float64 // max_j | |w_j| - |v_j| |
	// ConservedDrift is max_j |(|w_j|^2-|v_j|^2)(t) - (|w_j|^2-|v_j|^2)(0)| / |theta(t)|^2.
	ConservedDrift float64

	// PCAFeat and PCAFeatSq are the relative error of the best rank-3
	// approximation of the centred features phi(x_i), plain |X-X_3|_F/|X|_F
	// and squared (the fraction of variance left). The raw-data figures are
	// in DataStats.
	PCAFeat, PCAFeatSq *float64

	// Separated reports inter-class separation at these weights: every live
	// neuron fires on exactly one class's training points and every class
	// has at least one such neuron.
	Separated bool
	// GroupSizes[k] counts the neurons of group N_k: for binary runs the
	// neurons with v_j > 0 (k = 0) and v_j < 0 (k = 1); for K outputs
	// N_k = {j : k = argmax_k' <etilde_k', v_j>} (SCIENCE.md section 5).
	GroupSizes []int
	// Theory residuals at thetahat = theta/|theta|_F (SCIENCE.md sections 3
	// and 4): relative Frobenius error of the features against
	// <s_k u_k, x_i> phibar_k, of V against the predicted Vbar, and the min
	// and mean over live neurons of cos(w_j, u_k) for the class k of the
	// neuron's group.
	ResidFeatures, ResidV *float64
	CosWUMin, CosWUMean   *float64
}

// Float returns a pointer to x, or nil when x is NaN or Inf.
func Float(x float64) *float64 {
	if x != x || x > maxFinite || x < -maxFinite {
		return nil
	}
	return &x
}

const maxFinite = 1.7976931348623157e308
