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
}

// Float returns a pointer to x, or nil when x is NaN or Inf.
func Float(x float64) *float64 {
	if x != x || x > maxFinite || x < -maxFinite {
		return nil
	}
	return &x
}

const maxFinite = 1.7976931348623157e308
