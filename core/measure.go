package core

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/blas"
)

// negligibleScatter is the relative size below which a between-class scatter
// sum_k |mu_k - mu_G|^2 counts as zero against sum_k |mu_k|^2: class means
// that differ only by rounding (relative differences near 1e-13 or less)
// are "all equal".
const negligibleScatter = 1e-26

// MeasureCollapse fills the Neural Collapse fields of m (NC1, NC1Norm,
// NC1Papyan, NC2, NC3, NC3Paper, NC4, ZeroFeatures, MinCosPerClass,
// MeanCosPerClass, MaxCosMeans, PCAFeat, PCAFeatSq) for the network on the
// training split with K classes, and returns notes explaining every field it
// had to leave nil. Every one of these fields is overwritten (set to nil when
// undefined); no other field of m is touched. The definitions are those of
// SCIENCE.md section 4, on the features phi_i = relu(W^T x_i):
//
//   - class means mu_k over I_k and the global mean mu_G = (1/K) sum_k mu_k
//     (the mean of the class means, not of the points);
//   - NC1 = [sum_k (1/|I_k|) sum_{i in I_k} |phi_i - mu_k|^2] /
//     sum_k |mu_k - mu_G|^2, nil when all class means are equal;
//   - NC1Norm is NC1 on phi_i/|phi_i| with the ZeroFeatures points where
//     phi_i = 0 left out (class means over the remaining points), nil when
//     a class has no non-zero feature;
//   - NC1Papyan = tr(Sigma_W Sigma_B^+)/K with Sigma_W the within-class
//     covariance averaged over all n points and Sigma_B =
//     (1/K) sum_k (mu_k - mu_G)(mu_k - mu_G)^T; the pseudo-inverse drops
//     singular values below max(h, K) * eps * the largest;
//   - NC2 = |G/|G|_F - I/sqrt(K)|_F with G_kk' = cos(mu_k, mu_k'), not
//     centred by mu_G (the theory predicts an orthogonal frame); nil when a
//     class mean is zero;
//   - NC3 = |C/|C|_F - P/sqrt(K-1)|_F with C = V (M^T)^+, M = [mu_1..mu_K],
//     P = I - 11^T/K, and NC3Paper the same against Etilde/sqrt(K-1) =
//     sqrt(K)/(K-1) P (so NC3Paper >= sqrt(K/(K-1)) - 1). For a binary
//     network (Out = 1, K = 2) C is 1 x 2 and both NC3 and NC3Paper compare
//     C/|C| with [1, -1]/sqrt(2): the paper gives no other binary target, so
//     NC3Paper = NC3 there. nil when C = 0;
//   - NC4 is the fraction of points whose network prediction (predict:
//     Out = 1: class 0 iff f > 0, class 1 iff f < 0; Out = K: the unique
//     argmax of f; f = 0 or a tie is no class and never agrees)
//     equals the nearest class mean argmin_k |phi_i - mu_k| (ties to the
//     lowest index); nil when all class means are equal, since the
//     nearest-mean rule then ties everywhere;
//   - MinCosPerClass[k] and MeanCosPerClass[k] are the min and mean of
//     cos(phi_i, mu_k) over I_k, where a zero phi_i counts as cosine 0; both
//     slices are nil when some class mean is zero;
//   - MaxCosMeans = max_{k != k'} |cos(mu_k, mu_k')|, nil when a class mean
//     is zero;
//   - PCAFeat and PCAFeatSq are PCAError(phi, n, h, 3).
//
// The class-mean measurements all need K >= 2 and at least one training
// point per class; otherwise they are nil with a note. MeasureCollapse
// panics when the split and network shapes disagree or a label is outside
// 0..K-1, which are programming errors rather than degenerate weights.
func MeasureCollapse(net *Network, train *Split, k int, m *Metrics) []string {
	n, h := train.N, net.H
	if train.D != net.D || len(train.X) < n*train.D || len(train.Y) != n {
		panic(fmt.Sprintf("core: MeasureCollapse: split is %d x %d with %d labels and %d values, network expects D = %d",
			n, train.D, len(train.Y), len(train.X), net.D))
	}
	for i, y := range train.Y {
		if y < 0 || y >= k {
			panic(fmt.Sprintf("core: MeasureCollapse: label %d of point %d is outside 0..%d", y, i, k-1))
		}
	}
	m.NC1, m.NC1Norm, m.NC1Papyan, m.NC2, m.NC3, m.NC3Paper, m.NC4 = nil, nil, nil, nil, nil, nil, nil
	m.MinCosPerClass, m.MeanCosPerClass, m.MaxCosMeans = nil, nil, nil
	m.PCAFeat, m.PCAFeatSq = nil, nil
	m.ZeroFeatures = 0

	var notes []string
	phi := make([]float64, n*h)
	net.Features(train.X, n, phi)
	mx := maxAbs(phi)
	if math.IsNaN(mx) || math.IsInf(mx, 0) {
		return []string{"nc, pca_feat: the features phi(x_i) are not finite (they overflowed): the collapse metrics are left nil"}
	}
	// Every collapse metric is invariant under scaling phi by a positive
	// factor (NC4 too: the outputs V phi scale with it), so features of
	// extreme size are scaled by a power of two before any product of them.
	phi = scaledCopy(phi, pow2Scale(mx))
	norms := make([]float64, n)
	for i := range n {
		norms[i] = vecNorm(phi[i*h : (i+1)*h])
		if norms[i] == 0 {
			m.ZeroFeatures++
		}
	}

	if plain, sq, err := PCAError(phi, n, h, 3); err == nil {
		m.PCAFeat, m.PCAFeatSq = Float(plain), Float(sq)
	} else if errors.Is(err, ErrPCAConstant) {
		notes = append(notes, "pca_feat: the features are constant over the training points")
	} else {
		notes = append(notes, "pca_feat: "+err.Error())
	}

	if k < 2 {
		return append(notes, fmt.Sprintf("nc: %d class(es), the collapse metrics need at least 2", k))
	}
	mu, counts := classMeans(phi, train.Y, n, h, k)
	if c := slices.Index(counts, 0); c >= 0 {
		return append(notes, fmt.Sprintf("nc: class %d has no training points", c))
	}
	muG := meanRow(mu, k, h)
	between, scale := 0.0, 0.0
	for c := range k {
		between += vecSqDist(mu[c*h:(c+1)*h], muG)
		scale += vecDot(mu[c*h:(c+1)*h], mu[c*h:(c+1)*h])
	}
	meansDiffer := between > negligibleScatter*scale

	// NC1 and NC1Papyan.
	if meansDiffer {
		m.NC1 = Float(withinScatter(phi, train.Y, n, h, mu, counts) / between)
		if v, ok := papyanNC1(phi, train.Y, n, h, k, mu, muG); ok {
			m.NC1Papyan = Float(v)
		} else {
			notes = append(notes, "nc1_papyan: the SVD of the centred class means failed")
		}
	} else {
		notes = append(notes, "nc1, nc1_papyan, nc4: all class means are equal (zero between-class scatter)")
	}

	// NC1 of normalised features.
	if v, note := normalisedNC1(phi, norms, train.Y, n, h, k); note != "" {
		notes = append(notes, note)
	} else {
		m.NC1Norm = v
	}

	// NC2, MaxCosMeans and the per-class cosines need non-zero class means.
	muNorm := make([]float64, k)
	zeroMean := -1
	for c := range k {
		muNorm[c] = vecNorm(mu[c*h : (c+1)*h])
		if muNorm[c] == 0 && zeroMean < 0 {
			zeroMean = c
		}
	}
	if zeroMean >= 0 {
		notes = append(notes, fmt.Sprintf("nc2, max_cos_means, cos_per_class: class %d has a zero feature mean", zeroMean))
	} else {
		m.NC2, m.MaxCosMeans = meanGeometry(mu, muNorm, k, h)
		m.MinCosPerClass, m.MeanCosPerClass = classCosines(phi, norms, train.Y, n, h, k, mu, muNorm, counts)
	}

	// NC3.
	if nc3, nc3p, note := selfDuality(net, mu, k); note != "" {
		notes = append(notes, note)
	} else {
		m.NC3, m.NC3Paper = nc3, nc3p
	}

	// NC4.
	if meansDiffer {
		if v, note := ncmAgreement(net, phi, train.Y, n, k, mu); note != "" {
			notes = append(notes, note)
		} else {
			m.NC4 = v
		}
	}
	return notes
}

// classMeans returns the k x h row-major class means of the n x h rows of x
// and the class counts. A class without points gets a zero mean.
func classMeans(x []float64, y []int, n, h, k int) (mu []float64, counts []int) {
	mu = make([]float64, k*h)
	counts = make([]int, k)
	for i := range n {
		c := y[i]
		counts[c]++
		row, dst := x[i*h:(i+1)*h], mu[c*h:(c+1)*h]
		for j, v := range row {
			dst[j] += v
		}
	}
	for c := range k {
		if counts[c] == 0 {
			continue
		}
		inv := 1 / float64(counts[c])
		for j := range h {
			mu[c*h+j] *= inv
		}
	}
	return mu, counts
}

// meanRow returns the mean of the r rows of the row-major r x h matrix a.
func meanRow(a []float64, r, h int) []float64 {
	g := make([]float64, h)
	for i := range r {
		for j, v := range a[i*h : (i+1)*h] {
			g[j] += v
		}
	}
	for j := range g {
		g[j] /= float64(r)
	}
	return g
}

// withinScatter returns sum_k (1/|I_k|) sum_{i in I_k} |x_i - mu_k|^2, the
// numerator of the paper's NC1.
func withinScatter(x []float64, y []int, n, h int, mu []float64, counts []int) float64 {
	s := 0.0
	for i := range n {
		c := y[i]
		s += vecSqDist(x[i*h:(i+1)*h], mu[c*h:(c+1)*h]) / float64(counts[c])
	}
	return s
}

// normalisedNC1 is the paper's NC1 on phi_i/|phi_i| over the points with
// non-zero features; it returns a note instead when it is undefined.
func normalisedNC1(phi, norms []float64, y []int, n, h, k int) (*float64, string) {
	u := make([]float64, 0, n*h)
	yu := make([]int, 0, n)
	for i := range n {
		if norms[i] == 0 {
			continue
		}
		for _, v := range phi[i*h : (i+1)*h] {
			u = append(u, v/norms[i])
		}
		yu = append(yu, y[i])
	}
	nu := len(yu)
	mu, counts := classMeans(u, yu, nu, h, k)
	if c := slices.Index(counts, 0); c >= 0 {
		return nil, fmt.Sprintf("nc1_norm: class %d has no training point with a non-zero feature", c)
	}
	muG := meanRow(mu, k, h)
	between, scale := 0.0, 0.0
	for c := range k {
		between += vecSqDist(mu[c*h:(c+1)*h], muG)
		scale += vecDot(mu[c*h:(c+1)*h], mu[c*h:(c+1)*h])
	}
	if between <= negligibleScatter*scale {
		return nil, "nc1_norm: all normalised class means are equal (zero between-class scatter)"
	}
	return Float(withinScatter(u, yu, nu, h, mu, counts) / between), ""
}

// papyanNC1 returns tr(Sigma_W Sigma_B^+)/K without forming h x h matrices.
// With M_c = [mu_k - mu_G] (h x K) = U S W^T, Sigma_B = M_c M_c^T / K has
// pseudo-inverse K U S^-2 U^T (over the kept singular values), so
// tr(Sigma_W Sigma_B^+)/K = sum_r s_r^-2 u_r^T Sigma_W u_r
// = (1/n) sum_r s_r^-2 sum_i <phi_i - mu_{y_i}, u_r>^2. Cost O(n h K).
// ok is false when the SVD fails (non-finite means).
func papyanNC1(phi []float64, y []int, n, h, k int, mu, muG []float64) (float64, bool) {
	mc := make([]float64, h*k) // h x K row-major
	for c := range k {
		for j := range h {
			mc[j*k+c] = mu[c*h+j] - muG[j]
		}
	}
	u, s, _, ok := thinSVD(mc, h, k)
	if !ok {
		return 0, false
	}
	q := len(s)
	r := pinvRank(s, h, k)
	proj := make([]float64, r) // sum_i <phi_i - mu_{y_i}, u_r>^2
	d := make([]float64, h)
	for i := range n {
		row, m := phi[i*h:(i+1)*h], mu[y[i]*h:(y[i]+1)*h]
		for j := range h {
			d[j] = row[j] - m[j]
		}
		for a := range r {
			p := 0.0
			for j := range h {
				p += d[j] * u[j*q+a]
			}
			proj[a] += p * p
		}
	}
	t := 0.0
	for a := range r {
		t += proj[a] / (s[a] * s[a])
	}
	return t / float64(n), true
}

// meanGeometry returns NC2 and MaxCosMeans from the non-zero class means.
func meanGeometry(mu, muNorm []float64, k, h int) (nc2, maxCos *float64) {
	g := make([]float64, k*k)
	gf, mx := 0.0, 0.0
	for a := range k {
		for b := range k {
			c := 1.0
			if a != b {
				c = vecDot(mu[a*h:(a+1)*h], mu[b*h:(b+1)*h]) / (muNorm[a] * muNorm[b])
				mx = max(mx, math.Abs(c))
			}
			g[a*k+b] = c
			gf += c * c
		}
	}
	gf = math.Sqrt(gf)
	id := 1 / math.Sqrt(float64(k))
	e := 0.0
	for a := range k {
		for b := range k {
			d := g[a*k+b] / gf
			if a == b {
				d -= id
			}
			e += d * d
		}
	}
	return Float(math.Sqrt(e)), Float(mx)
}

// classCosines returns per class the min and mean of cos(phi_i, mu_k) over
// I_k, with a zero phi_i counted as cosine 0. The class means must be
// non-zero.
func classCosines(phi, norms []float64, y []int, n, h, k int, mu, muNorm []float64, counts []int) (minCos, meanCos []float64) {
	minCos = make([]float64, k)
	meanCos = make([]float64, k)
	for c := range minCos {
		minCos[c] = 1
	}
	for i := range n {
		c := y[i]
		cs := 0.0
		if norms[i] > 0 {
			cs = vecDot(phi[i*h:(i+1)*h], mu[c*h:(c+1)*h]) / (norms[i] * muNorm[c])
			cs = max(-1, min(1, cs))
		}
		minCos[c] = min(minCos[c], cs)
		meanCos[c] += cs
	}
	for c := range k {
		meanCos[c] /= float64(counts[c])
	}
	return minCos, meanCos
}

// selfDuality returns NC3 and NC3Paper (see MeasureCollapse), or a note
// when they are undefined. C = V (M^T)^+ where M^T is the K x h matrix mu:
// with mu = U S Wt, (M^T)^+ = Wt^T S^+ U^T, so C = (V Wt^T) S^+ U^T.
func selfDuality(net *Network, mu []float64, k int) (nc3, nc3Paper *float64, note string) {
	out, h := net.Out, net.H
	switch {
	case out == 1 && k != 2:
		return nil, nil, fmt.Sprintf("nc3: a scalar-output network with %d classes has no NC3 target", k)
	case out != 1 && out != k:
		return nil, nil, fmt.Sprintf("nc3: output dimension %d is neither 1 nor K = %d", out, k)
	}
	u, s, wt, ok := thinSVD(mu, k, h) // u: k x q, wt: q x h
	if !ok {
		return nil, nil, "nc3: the SVD of the class means failed (non-finite means)"
	}
	q := len(s)
	r := pinvRank(s, k, h)
	if r == 0 {
		return nil, nil, "nc3: all class means are zero"
	}
	b := make([]float64, out*r) // (V Wt^T) S^+, out x r
	gemm(blas.NoTrans, blas.Trans, out, r, h, 1, net.V, h, wt, h, 0, b, r)
	for i := range out {
		for a := range r {
			b[i*r+a] /= s[a]
		}
	}
	c := make([]float64, out*k) // out x k
	gemm(blas.NoTrans, blas.Trans, out, k, r, 1, b, r, u, q, 0, c, k)
	cn := vecNorm(c)
	if cn == 0 {
		return nil, nil, "nc3: C = V (M^T)^+ is zero (V vanishes on the span of the class means)"
	}
	if out == 1 {
		t := 1 / math.Sqrt2
		d0, d1 := c[0]/cn-t, c[1]/cn+t
		v := Float(math.Sqrt(d0*d0 + d1*d1))
		return v, v, ""
	}
	// P/sqrt(K-1) has entries (delta - 1/K)/sqrt(K-1); Etilde/sqrt(K-1) is
	// sqrt(K/(K-1)) times that.
	kf := float64(k)
	unit := 1 / math.Sqrt(kf-1)
	paper := math.Sqrt(kf/(kf-1)) * unit
	e3, e3p := 0.0, 0.0
	for a := range k {
		for b := range k {
			p := -1 / kf
			if a == b {
				p += 1
			}
			x := c[a*k+b] / cn
			d, dp := x-p*unit, x-p*paper
			e3 += d * d
			e3p += dp * dp
		}
	}
	return Float(math.Sqrt(e3)), Float(math.Sqrt(e3p)), ""
}

// ncmAgreement returns NC4: the fraction of points where the network's
// prediction equals the nearest-class-mean prediction on the features.
func ncmAgreement(net *Network, phi []float64, y []int, n, k int, mu []float64) (*float64, string) {
	out, h := net.Out, net.H
	switch {
	case out == 1 && k != 2:
		return nil, fmt.Sprintf("nc4: a scalar-output network cannot predict %d classes", k)
	case out != 1 && out != k:
		return nil, fmt.Sprintf("nc4: output dimension %d is neither 1 nor K = %d", out, k)
	}
	f := make([]float64, n*out)
	net.OutputsFromFeatures(phi, n, f)
	agree := 0
	for i := range n {
		row := phi[i*h : (i+1)*h]
		ncm, best := 0, math.Inf(1)
		for c := range k {
			if d := vecSqDist(row, mu[c*h:(c+1)*h]); d < best {
				ncm, best = c, d
			}
		}
		if predict(f[i*out:(i+1)*out]) == ncm {
			agree++
		}
	}
	return Float(float64(agree) / float64(n)), ""
}

// pcaBlock is the number of rows centred at a time when accumulating the
// d x d covariance, so PCAError never copies the whole n x d matrix.
const pcaBlock = 256

// PCAError returns the relative error of the best rank-r approximation of
// the n x d row-major matrix x after centring its columns (subtracting the
// mean row): squared = sum_{i>r} s_i^2 / sum_i s_i^2 over the singular
// values s_i of the centred matrix (the fraction of variance left), and
// plain = sqrt(squared) = |X - X_r|_F / |X|_F. r >= min(n, d) gives 0.
// err, naming the reason, is non-nil when the errors are undefined or
// cannot be computed: n or d is 0, x holds a NaN or Inf, the matrix is zero
// after centring (to rounding: its centred squared norm is below 1e-26 of
// the uncentred one; ErrPCAConstant), or the eigendecomposition fails. It
// never panics on the values of x.
//
// Both errors are invariant under scaling x, so a matrix whose largest
// entry lies outside 2^-480..2^480 is first scaled by a power of two
// (exactly) into [0.5, 1): entries of 1e300 neither overflow the products
// nor turn into NaN. It works on the d x d covariance when d <= n
// (accumulated in row blocks with a BLAS syrk) and on the n x n Gram matrix
// otherwise, takes only eigenvalues (gonum EigenSym) and clamps tiny
// negative ones to 0. x is not modified. It panics on negative sizes or a
// short x (programming errors).
func PCAError(x []float64, n, d, r int) (plain, squared float64, err error) {
	return pcaError(x, n, d, r, d > n)
}

// ErrPCAConstant is PCAError's error for a matrix whose rows are all
// equal (zero variance after centring).
var ErrPCAConstant = errors.New("the points are all equal (zero variance after centring)")

// pcaError is PCAError with the choice between the d x d covariance
// (gram = false) and the n x n Gram matrix (gram = true) made by the
// caller, so tests can compare the two routes.
func pcaError(x []float64, n, d, r int, gram bool) (plain, squared float64, err error) {
	if n < 0 || d < 0 || r < 0 || len(x) < n*d {
		panic(fmt.Sprintf("core: PCAError: bad shape n = %d, d = %d, r = %d for %d values", n, d, r, len(x)))
	}
	if n == 0 || d == 0 {
		return 0, 0, fmt.Errorf("the matrix is %d x %d (empty)", n, d)
	}
	x = x[:n*d]
	m := maxAbs(x)
	if math.IsNaN(m) || math.IsInf(m, 0) {
		return 0, 0, errors.New("the matrix has a non-finite entry")
	}
	if m == 0 {
		return 0, 0, ErrPCAConstant
	}
	x = scaledCopy(x, pow2Scale(m))
	mean := make([]float64, d)
	raw := 0.0
	for i := range n {
		for j, v := range x[i*d : (i+1)*d] {
			mean[j] += v
			raw += v * v
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	var ev []float64
	if !gram {
		cov := make([]float64, d*d)
		buf := make([]float64, min(pcaBlock, n)*d)
		for i0 := 0; i0 < n; i0 += pcaBlock {
			b := min(pcaBlock, n-i0)
			for i := range b {
				src, dst := x[(i0+i)*d:(i0+i+1)*d], buf[i*d:(i+1)*d]
				for j, v := range src {
					dst[j] = v - mean[j]
				}
			}
			syrkUpper(blas.Trans, b, d, 1, buf[:b*d], cov)
		}
		ev, err = symEigenvalues(cov, d)
	} else {
		xc := make([]float64, n*d)
		for i := range n {
			src, dst := x[i*d:(i+1)*d], xc[i*d:(i+1)*d]
			for j, v := range src {
				dst[j] = v - mean[j]
			}
		}
		g := make([]float64, n*n)
		syrkUpper(blas.NoTrans, n, d, 1, xc, g)
		ev, err = symEigenvalues(g, n)
	}
	if err != nil {
		return 0, 0, err
	}
	total := 0.0
	for i, v := range ev {
		ev[i] = max(v, 0)
		total += ev[i]
	}
	if !(total > negligibleScatter*raw) {
		return 0, 0, ErrPCAConstant
	}
	q := min(n, d) // the non-zero eigenvalues are among the q largest
	if r >= q {
		return 0, 0, nil
	}
	tail := 0.0
	for _, v := range ev[:len(ev)-r] { // increasing order: all but the r largest
		tail += v
	}
	squared = min(1, tail/total)
	return math.Sqrt(squared), squared, nil
}
