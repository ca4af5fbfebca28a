package core

// Split is one set of labelled points: X is N x D row-major, Y[i] in 0..K-1.
type Split struct {
	N, D int
	X    []float64
	Y    []int
	// sparse, when not nil, is X in sparse form (sparse.go), which training
	// uses instead of X; BuildDataset sets it for data with few distinct
	// entries per column (MNIST), and code that changes X must drop it.
	sparse *sparseRows
}

// Row returns point i as a slice aliasing X.
func (s *Split) Row(i int) []float64 { return s.X[i*s.D : (i+1)*s.D] }

// Dataset is a training split and an optional test split (Test.N may be 0)
// over K classes. A Dataset is shared read-only by every run that uses it.
type Dataset struct {
	K     int
	Train Split
	Test  Split
	// Stats are the orthogonal-separability statistics of the training split.
	Stats DataStats
	// Notes lists facts about how the data was built that a user should see
	// (for example how many MNIST images were available).
	Notes []string
	// Theory holds the theory's per-class predictions for the training
	// split (SCIENCE.md section 3); nil when they could not be computed
	// (the reason is in Notes).
	Theory *Theory
}

// Theory is what Theorem 1 predicts from the training data alone.
type Theory struct {
	// Gamma[k] is the class-wise max margin gamma_k = max_{|u|=1} min_{i in
	// I_k} <x_i, u> (the min norm of a point in the convex hull of class k).
	Gamma []float64
	// U[k] is the unit maximiser u_k (D entries).
	U [][]float64
	// S[k] = sqrt(gamma_k^{-1} / (2 sum_k' gamma_k'^{-1})).
	S []float64
}

// DataStats measures Assumption 1 on a split (SCIENCE.md section 1).
type DataStats struct {
	// MuS is the minimum cosine between two points of the same class.
	MuS float64
	// MuD is minus the maximum cosine between points of different classes.
	MuD float64
	// SameViolFrac is the fraction of same-class pairs with cosine <= 0,
	// CrossViolFrac the fraction of cross-class pairs with cosine >= 0, and
	// ViolFrac the fraction of all pairs that violate Assumption 1.
	SameViolFrac, CrossViolFrac, ViolFrac float64
	// Separable reports MuS > 0 and MuD > 0.
	Separable bool
	// XMaxOverMin is max_i |x_i| / min_i |x_i|.
	XMaxOverMin float64
	// PerClass counts training points per class.
	PerClass []int
	// PCARaw and PCARawSq are the rank-3 relative PCA errors of the centred
	// raw training data, plain and squared (see Metrics.PCAFeat).
	PCARaw, PCARawSq *float64
	// Prop1Ratio is X_max^2 / (X_min^2 mu_d mu_s), nil when mu_s or mu_d
	// <= 0; Proposition 1 (multi-class separation) needs it below 2K - 3.
	Prop1Ratio *float64
	// Prop1Holds reports Prop1Ratio < 2K - 3 (false when the ratio is nil).
	Prop1Holds bool
}
