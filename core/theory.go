package core

// MaxMargin returns the class-wise max margin of the n x d points x:
// gamma = max_{|u|=1} min_i <x_i, u> and its unit maximiser u, computed
// exactly as the minimum-norm point of the convex hull of the points
// (Wolfe's algorithm). gamma <= 0 (the hull contains the origin) is
// reported as an error.
func MaxMargin(x []float64, n, d int) (gamma float64, u []float64, err error) {
	panic("MaxMargin: not implemented yet")
}

// ComputeTheory computes the per-class predictions (gamma_k, u_k, s_k) of
// the training split; nil with notes when a class has no positive margin.
func ComputeTheory(d *Dataset) (*Theory, []string) {
	panic("ComputeTheory: not implemented yet")
}

// CheckInit evaluates Assumption 3 (binary) or 4 (multi-class) on the
// initial weights net (only directions matter).
func CheckInit(net *Network, data *Dataset) InitChecks {
	panic("CheckInit: not implemented yet")
}

// MeasureTheory fills GroupSizes, ResidFeatures, ResidV, CosWUMin and
// CosWUMean of m at the normalised weights of net; th may be nil (then only
// GroupSizes is filled). It returns notes on every field left nil.
func MeasureTheory(net *Network, data *Dataset, th *Theory, m *Metrics) []string {
	panic("MeasureTheory: not implemented yet")
}
