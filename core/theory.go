package core

import (
	"errors"
	"fmt"
	"math"
)

// MaxMargin returns the class-wise max margin of the n x d points x:
// gamma = max_{|u|=1} min_i <x_i, u> and its unit maximiser u, computed
// exactly as the minimum-norm point of the convex hull of the points
// (Wolfe's algorithm). gamma <= 0 (the hull contains the origin) is
// reported as an error.
//
// x is row-major and not modified. The result is exact up to rounding: the
// algorithm stops when |p|^2 - min_i <p, x_i> <= 1e-12 max_i |x_i|^2 (Wolfe's
// criterion; this bounds both |p - p*|^2 and gamma's relative error), and a
// min-norm point p with |p|^2 <= 1e-12 max_i |x_i|^2 counts as the origin:
// the error then wraps ErrOriginInHull. Other errors name the problem (no
// points, non-finite coordinates, a numerical stall). Deterministic; it
// allocates O(n + d + min(n, d+1)^2) once and costs one pass over x per
// major cycle.
func MaxMargin(x []float64, n, d int) (gamma float64, u []float64, err error) {
	return maxMargin(x, n, d)
}

// ComputeTheory computes the per-class predictions (gamma_k, u_k, s_k) of
// the training split; nil with notes when a class has no positive margin.
//
// gamma_k and u_k are MaxMargin of class k's training points, and
// s_k = sqrt(gamma_k^{-1} / (2 sum_k' gamma_k'^{-1})), so that the predicted
// limit (W_k = s_k u_k g_k^T, V_k = s_k etilde_k g_k^T) has unit Frobenius
// norm. A class without points, or whose convex hull contains the origin
// (common for centred MNIST digits), leaves the whole Theory nil; every such
// class gets its own note.
func ComputeTheory(d *Dataset) (*Theory, []string) {
	k, tr := d.K, &d.Train
	th := &Theory{Gamma: make([]float64, k), U: make([][]float64, k), S: make([]float64, k)}
	var notes []string
	var buf []float64
	for c := 0; c < k; c++ {
		cnt, first, last := 0, -1, -1
		for i, y := range tr.Y[:tr.N] {
			if y == c {
				if first < 0 {
					first = i
				}
				last = i
				cnt++
			}
		}
		var x []float64
		if cnt > 0 && last-first+1 == cnt {
			// The class is one block of rows (every loader orders the
			// split class by class): pass it in place. A copy of each
			// class (40 MiB for an MNIST digit) was what set the peak
			// memory of building the MNIST dataset.
			x = tr.X[first*tr.D : (last+1)*tr.D]
		} else {
			buf = buf[:0]
			for i, y := range tr.Y[:tr.N] {
				if y == c {
					buf = append(buf, tr.Row(i)...)
				}
			}
			x = buf
		}
		if cnt == 0 {
			notes = append(notes, fmt.Sprintf("theory: class %d has no training points: no max-margin prediction", c))
			th = nil
			continue
		}
		g, u, err := MaxMargin(x, cnt, tr.D)
		switch {
		case errors.Is(err, ErrOriginInHull):
			notes = append(notes, fmt.Sprintf("theory: class %d has no positive max margin: the convex hull of its %d training points contains the origin (min-norm point of squared norm <= %.0e max_i |x_i|^2); theory residuals are not measured", c, cnt, wolfeZ1))
			th = nil
		case err != nil:
			notes = append(notes, fmt.Sprintf("theory: class %d (%d training points): %v; theory residuals are not measured", c, cnt, err))
			th = nil
		case th != nil:
			th.Gamma[c], th.U[c] = g, u
		}
	}
	if th == nil {
		return nil, notes
	}
	var sumInv float64
	for _, g := range th.Gamma {
		sumInv += 1 / g
	}
	for c, g := range th.Gamma {
		th.S[c] = math.Sqrt((1 / g) / (2 * sumInv))
	}
	return th, notes
}

// neuronGroups assigns each neuron j to a group: for one output, 0 when
// v_j > 0 and 1 when v_j < 0; for K outputs, argmax_k <etilde_k, v_j>,
// which equals argmax_k v_kj because etilde_k^T v = sqrt(K/(K-1)) (v_k -
// mean(v)) (ties to the lowest k). A neuron with v_j = 0 is in no group
// (-1). It returns nil for any other output dimension.
func neuronGroups(net *Network, k int) []int {
	h, out := net.H, net.Out
	if !(out == 1 && k == 2) && out != k {
		return nil
	}
	g := make([]int, h)
	for j := 0; j < h; j++ {
		g[j] = -1
		if out == 1 {
			switch v := net.V[j]; {
			case v > 0:
				g[j] = 0
			case v < 0:
				g[j] = 1
			}
			continue
		}
		best, zero := 0, true
		for o := 0; o < out; o++ {
			v := net.V[o*h+j]
			if v != 0 {
				zero = false
			}
			if v > net.V[best*h+j] {
				best = o
			}
		}
		if !zero {
			g[j] = best
		}
	}
	return g
}

// etildeEntry is Etilde[o][c] = sqrt(K/(K-1)) (delta_oc - 1/K).
func etildeEntry(o, c, k int) float64 {
	kf := float64(k)
	e := -1 / kf
	if o == c {
		e += 1
	}
	return math.Sqrt(kf/(kf-1)) * e
}

// MeasureTheory fills GroupSizes, ResidFeatures, ResidV, CosWUMin and
// CosWUMean of m at the normalised weights of net; th may be nil (then only
// GroupSizes is filled). It returns notes on every field left nil.
//
// Definitions, at thetahat = (W, V)/|theta|_F, on the training split with
// Phi = relu(X What) (n x h):
//   - GroupSizes as documented on Metrics; a neuron with v_j = 0 exactly is
//     in no group (for K outputs argmax_k <etilde_k, v_j> = argmax_k v_kj).
//   - phibar_k, the feature direction of class k, is estimated from the
//     network itself: the normalised mean of the normalised non-zero
//     features phi(x_i)/|phi(x_i)| over i in I_k (0 if class k has no
//     non-zero feature). At the theory's limit it is exactly the theorem's
//     phibar_k; unlike a top singular vector it has no sign ambiguity and
//     it ignores feature lengths, which the theory predicts separately.
//   - ResidFeatures = |Phi - Phi_pred|_F / |Phi_pred|_F with row i of
//     Phi_pred = <s_k u_k, x_i> phibar_k for i in I_k (Theorem 1, item 1).
//   - ResidV = |Vhat - Vbar|_F / |Vbar|_F with, for one output (K = 2),
//     Vbar = s_0 phibar_0^T - s_1 phibar_1^T and, for K outputs,
//     Vbar = Etilde [s_1 phibar_1, ..., s_K phibar_K]^T (item 3).
//   - CosWUMin and CosWUMean: the min and mean of cos(w_j, u_k) over live
//     neurons j (active on some training point) of group k.
//
// Every listed field is overwritten; no other field of m is touched. The
// residuals are defined at any weights (large early in training, near 0 at
// the limit); a field is nil when undefined (zero weights, zero
// prediction, no live grouped neuron, an output dimension other than 1 or
// K, or a Theory whose shape does not match the data).
func MeasureTheory(net *Network, data *Dataset, th *Theory, m *Metrics) []string {
	m.GroupSizes, m.ResidFeatures, m.ResidV, m.CosWUMin, m.CosWUMean = nil, nil, nil, nil, nil
	k, tr := data.K, &data.Train
	n, h, d := tr.N, net.H, net.D
	group := neuronGroups(net, k)
	if group == nil {
		return []string{fmt.Sprintf("theory: output dimension %d is neither 1 (with 2 classes) nor K = %d: no neuron groups or residuals", net.Out, k)}
	}
	m.GroupSizes = make([]int, k)
	for _, g := range group {
		if g >= 0 {
			m.GroupSizes[g]++
		}
	}
	if th == nil {
		return []string{"theory: no max-margin prediction for this dataset (see the dataset notes): theory residuals and cos(w_j, u_k) not measured"}
	}
	if note := theoryShapeNote(th, k, d); note != "" || tr.D != d {
		if note == "" {
			note = fmt.Sprintf("theory: training split has dimension %d, network %d", tr.D, d)
		}
		return []string{note + ": theory residuals not measured"}
	}
	theta := math.Hypot(vecNorm(net.W), vecNorm(net.V))
	if !(theta > 0) || math.IsInf(theta, 0) {
		return []string{fmt.Sprintf("theory: |theta|_F = %v: theory residuals not measured", theta)}
	}
	hat := net.Clone()
	for i := range hat.W {
		hat.W[i] /= theta
	}
	for i := range hat.V {
		hat.V[i] /= theta
	}
	phi := make([]float64, n*h)
	hat.Features(tr.X, n, phi)

	// phibar_k: normalised mean of the normalised non-zero features.
	phibar := make([]float64, k*h)
	for i := 0; i < n; i++ {
		row := phi[i*h : (i+1)*h]
		if nrm := vecNorm(row); nrm > 0 {
			pb := phibar[tr.Y[i]*h : (tr.Y[i]+1)*h]
			for j, v := range row {
				pb[j] += v / nrm
			}
		}
	}
	for c := 0; c < k; c++ {
		pb := phibar[c*h : (c+1)*h]
		if nrm := vecNorm(pb); nrm > 0 {
			for j := range pb {
				pb[j] /= nrm
			}
		}
	}

	var notes []string
	// Features against <s_k u_k, x_i> phibar_k.
	var res2, pred2 float64
	for i := 0; i < n; i++ {
		c := tr.Y[i]
		coef := th.S[c] * vecDot(th.U[c], tr.Row(i))
		pb := phibar[c*h : (c+1)*h]
		for j, v := range phi[i*h : (i+1)*h] {
			p := coef * pb[j]
			pred2 += p * p
			res2 += (v - p) * (v - p)
		}
	}
	if pred2 > 0 {
		m.ResidFeatures = Float(math.Sqrt(res2 / pred2))
	}
	if m.ResidFeatures == nil {
		notes = append(notes, "theory: predicted features are all zero (no class has a non-zero feature): resid_features undefined")
	}

	// V against Vbar.
	out := net.Out
	vbar := make([]float64, out*h)
	for o := 0; o < out; o++ {
		row := vbar[o*h : (o+1)*h]
		for c := 0; c < k; c++ {
			coef := th.S[c]
			if out == 1 {
				coef *= binarySign(c)
			} else {
				coef *= etildeEntry(o, c, k)
			}
			for j, v := range phibar[c*h : (c+1)*h] {
				row[j] += coef * v
			}
		}
	}
	if vn := vecNorm(vbar); vn > 0 {
		var r2 float64
		for i, v := range hat.V {
			r2 += (v - vbar[i]) * (v - vbar[i])
		}
		m.ResidV = Float(math.Sqrt(r2) / vn)
	}
	if m.ResidV == nil {
		notes = append(notes, "theory: predicted Vbar is zero (no class has a non-zero feature): resid_v undefined")
	}

	// cos(w_j, u_k) over live neurons of group k.
	live := make([]bool, h)
	for i := 0; i < n; i++ {
		for j, v := range phi[i*h : (i+1)*h] {
			if v > 0 {
				live[j] = true
			}
		}
	}
	w := make([]float64, d)
	cmin, csum, cnt := math.Inf(1), 0.0, 0
	for j := 0; j < h; j++ {
		if !live[j] || group[j] < 0 {
			continue
		}
		for p := 0; p < d; p++ {
			w[p] = hat.W[p*h+j]
		}
		c := vecDot(w, th.U[group[j]]) / vecNorm(w)
		cmin = math.Min(cmin, c)
		csum += c
		cnt++
	}
	if cnt > 0 {
		m.CosWUMin, m.CosWUMean = Float(cmin), Float(csum/float64(cnt))
	} else {
		notes = append(notes, "theory: no live neuron belongs to a group: cos(w_j, u_k) undefined")
	}
	return notes
}

// theoryShapeNote checks that th has K classes of D-dimensional unit
// directions with finite positive margins and scales; it returns "" when it
// does, else what is wrong.
func theoryShapeNote(th *Theory, k, d int) string {
	if len(th.Gamma) != k || len(th.U) != k || len(th.S) != k {
		return fmt.Sprintf("theory: prediction has %d/%d/%d classes (gamma/u/s), data %d", len(th.Gamma), len(th.U), len(th.S), k)
	}
	for c := 0; c < k; c++ {
		if len(th.U[c]) != d {
			return fmt.Sprintf("theory: u_%d has %d entries, data dimension %d", c, len(th.U[c]), d)
		}
		if !(th.Gamma[c] > 0) || !(th.S[c] > 0) || math.IsInf(th.Gamma[c], 0) || math.IsInf(th.S[c], 0) {
			return fmt.Sprintf("theory: class %d has gamma = %v, s = %v", c, th.Gamma[c], th.S[c])
		}
	}
	return ""
}
