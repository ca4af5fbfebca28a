package core

// Split is one set of labelled points: X is N x D row-major, Y[i] in 0..K-1.
type Split struct {
	N, D int
	X    []float64
	Y    []int
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
}
