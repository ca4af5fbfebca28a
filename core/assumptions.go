package core

import (
	"math"

	"gonum.org/v1/gonum/blas"
)

// cosOneTol is how close to 1 a computed cosine may come and still count
// as "< 1" in Assumption 3: a direction equal to xbar_+ or xbar_- up to
// rounding has a computed cosine within a few ulps of 1, so
// cos(xbar, w) < 1 is evaluated as cos(xbar, w) < 1 - cosOneTol.
const cosOneTol = 1e-12

// CheckInit evaluates Assumption 3 (binary) or 4 (multi-class) on the
// initial weights net (only directions matter).
//
// A scalar-output network on 2 classes gets A3 only; a K-output network
// (any K >= 2, including cross-entropy with K = 2, where Etilde =
// sqrt(2) (I - 11^T/2)) gets A4 only; any other shape, or a network whose
// input dimension differs from the data's, gets neither. Both checks use
// the unit directions w_j/|w_j| and v_j/|v_j|, so they do not depend on eps.
//
// A3 (SCIENCE.md section 2), with class 0 as y = +1, xbar_+ and xbar_- the
// normalised class sums, N_+ = {j : v_j > 0}, N_- = {j : v_j < 0}: N_+ and
// N_- are non-empty; some j in N_+ has <x_i, w_j> > 0 for some i in class
// 0, and some j in N_- has <x_i, w_j> > 0 for some i in class 1; every j in
// N_+ has cos(xbar_-, w_j) < 1 and every j in N_- has cos(xbar_+, w_j) < 1
// (with the rounding tolerance cosOneTol; a zero w_j or zero class sum has
// cosine 0).
//
// A4: every neuron j must satisfy, for some class k, the three conditions
// |I_k^{w_j}|^2 > sum_{k' != k} |I_{k'}^{w_j}|^2,
// A_k^{w_j} > 2 sum_{k' != k} A_{k'}^{w_j} and B_k^{v_j} >= 1 - 1/(2(K-1)).
// The first condition holds for at most one k, so the partition, N_k = the
// neurons whose conditions hold for k, is unique when it exists. A neuron
// that satisfies them for no k (a dead or ambiguous neuron, or a zero
// w_j or v_j) makes A4 false, and so does an empty N_k: the theorem's
// conclusion has every class represented by its group, which needs
// h >= K neurons spread over all classes. A4GroupSizes[k] = |N_k| when A4
// holds.
func CheckInit(net *Network, data *Dataset) InitChecks {
	k, tr := data.K, &data.Train
	if tr.D != net.D || len(tr.X) < tr.N*tr.D || len(tr.Y) < tr.N {
		return InitChecks{}
	}
	for _, y := range tr.Y[:tr.N] {
		if y < 0 || y >= k {
			return InitChecks{}
		}
	}
	switch {
	case net.Out == 1 && k == 2:
		a3 := assumption3(net, tr)
		return InitChecks{A3: &a3}
	case net.Out == k && k >= 2:
		a4, sizes := assumption4(net, tr, k)
		ic := InitChecks{A4: &a4}
		if a4 {
			ic.A4GroupSizes = sizes
		}
		return ic
	}
	return InitChecks{}
}

// unitPreActivations returns the D x H matrix of unit columns w_j/|w_j|
// (zero columns stay zero) and Z = X What (n x H).
func unitPreActivations(net *Network, tr *Split) (what, z []float64) {
	d, h := net.D, net.H
	what = make([]float64, d*h)
	col := make([]float64, d)
	for j := 0; j < h; j++ {
		for p := 0; p < d; p++ {
			col[p] = net.W[p*h+j]
		}
		nrm := vecNorm(col)
		if !(nrm > 0) || math.IsInf(nrm, 0) {
			continue
		}
		for p := 0; p < d; p++ {
			what[p*h+j] = col[p] / nrm
		}
	}
	z = make([]float64, tr.N*h)
	gemm(blas.NoTrans, blas.NoTrans, tr.N, h, d, 1, tr.X, d, what, h, 0, z, h)
	return what, z
}

// assumption3 evaluates Assumption 3 for a scalar-output network on two
// classes (see CheckInit).
func assumption3(net *Network, tr *Split) bool {
	d, h := net.D, net.H
	what, z := unitPreActivations(net, tr)
	// xbar[c] = normalised sum of class c's points.
	xbar := [2][]float64{make([]float64, d), make([]float64, d)}
	for i := 0; i < tr.N; i++ {
		xb := xbar[tr.Y[i]]
		for p, x := range tr.Row(i) {
			xb[p] += x
		}
	}
	for _, xb := range xbar {
		if nrm := vecNorm(xb); nrm > 0 && !math.IsInf(nrm, 0) {
			for p := range xb {
				xb[p] /= nrm
			}
		} else {
			clear(xb)
		}
	}
	var nonEmpty, fires [2]bool
	for j := 0; j < h; j++ {
		var c int // the neuron's sign group: 0 for v_j > 0, 1 for v_j < 0
		switch v := net.V[j]; {
		case v > 0:
			c = 0
		case v < 0:
			c = 1
		default:
			continue
		}
		nonEmpty[c] = true
		for i := 0; i < tr.N && !fires[c]; i++ {
			if tr.Y[i] == c && z[i*h+j] > 0 {
				fires[c] = true
			}
		}
		// cos(xbar of the other class, w_j) < 1.
		var cos float64
		other := xbar[1-c]
		for p := 0; p < d; p++ {
			cos += other[p] * what[p*h+j]
		}
		if !(cos < 1-cosOneTol) {
			return false
		}
	}
	return nonEmpty[0] && nonEmpty[1] && fires[0] && fires[1]
}

// assumption4 evaluates Assumption 4 for a K-output network (see
// CheckInit) and returns the group sizes of the partition it found.
func assumption4(net *Network, tr *Split, k int) (bool, []int) {
	h := net.H
	_, z := unitPreActivations(net, tr)
	count := make([]float64, k) // |I_k^w|, as floats: squared below
	act := make([]float64, k)   // A_k^w with the unit w
	sizes := make([]int, k)
	bMin := 1 - 1/(2*float64(k-1))
	v := make([]float64, k)
	for j := 0; j < h; j++ {
		clear(count)
		clear(act)
		for i := 0; i < tr.N; i++ {
			if zz := z[i*h+j]; zz > 0 {
				count[tr.Y[i]]++
				act[tr.Y[i]] += zz
			}
		}
		for o := 0; o < k; o++ {
			v[o] = net.V[o*h+j]
		}
		vn := vecNorm(v)
		if !(vn > 0) || math.IsInf(vn, 0) {
			return false, nil
		}
		group := -1
		for c := 0; c < k; c++ {
			var sqOthers, actOthers, b float64
			for o := 0; o < k; o++ {
				b += etildeEntry(o, c, k) * v[o] / vn
				if o != c {
					sqOthers += count[o] * count[o]
					actOthers += act[o]
				}
			}
			if count[c]*count[c] > sqOthers && act[c] > 2*actOthers && b >= bMin {
				group = c
				break
			}
		}
		if group < 0 {
			return false, nil
		}
		sizes[group]++
	}
	for _, s := range sizes {
		if s == 0 {
			return false, nil
		}
	}
	return true, sizes
}
