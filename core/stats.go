package core

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/blas"
)

// Tile sizes of the blocked cosine Gram matrix in ComputeStats: a tile is
// statsRowBlock x statsColBlock float64s (4 MiB), whatever n is.
const (
	statsRowBlock = 256
	statsColBlock = 2048
)

// ComputeStats measures Assumption 1 on the split s with k classes
// (SCIENCE.md section 1): MuS, MuD, the violation fractions over unordered
// pairs i < j, Separable, XMaxOverMin and PerClass.
//
// It is exact (every pair is examined) and runs in O(n^2 D) time and, for a
// split ordered class by class (as every loader makes it), O(n) extra
// memory: the Gram matrix of X is formed tile by tile with gemm over the
// upper block triangle only, each tile is scaled into cosines by the
// inverse row norms, scanned and discarded. An unordered split is first
// copied in class order (O(n D)).
//
// A point of norm zero (or a non-finite one) has no cosine with anything:
// it is left out of every pair and of XMaxOverMin (but still counted in
// PerClass), and since Assumption 1 cannot hold for it Separable is then
// false whatever the remaining pairs give. When there are no same-class
// pairs MuS is 1 (the assumption holds vacuously), and when there are no
// cross-class pairs MuD is 1, unless points were left out: the missing
// pairs are then undefined rather than vacuous and MuS (MuD) is 0. A
// fraction with no pairs is 0; XMaxOverMin is 0 when no point has a usable
// norm and math.MaxFloat64 when the ratio overflows. Rows of extreme size
// (norms beyond 2^480 or below 2^-480, e.g. 1e300) are normalised before
// their products are formed, so no statistic overflows or turns NaN.
// s.Y must lie in 0..k-1; ComputeStats panics otherwise.
func ComputeStats(s *Split, k int) DataStats {
	st, _ := computeStats(s, k)
	return st
}

// computeStats is ComputeStats, also returning notes for Dataset.Notes on
// the points it left out and on statistics it could not define.
func computeStats(s *Split, k int) (DataStats, []string) {
	st := DataStats{PerClass: make([]int, k)}
	for i, y := range s.Y[:s.N] {
		if y < 0 || y >= k {
			panic(fmt.Sprintf("ComputeStats: label %d of point %d outside 0..%d", y, i, k-1))
		}
		st.PerClass[y]++
	}

	// The cosine of rows i and j is <x_i, x_j> inv[i] inv[j], with inv the
	// inverse norm (0 for a row left out). When the split is ordered class
	// by class, as every loader makes it, the Gram tiles are taken on X
	// itself and each row's same-class partners form one contiguous column
	// range; otherwise the rows are first copied into that order.
	var notes []string
	d := s.D
	xmax, xmin := 0.0, math.Inf(1)
	inv := make([]float64, s.N)
	var zeroNorm, badNorm int
	for i := 0; i < s.N; i++ {
		nrm := rowNorm(s.Row(i))
		switch {
		case nrm == 0:
			zeroNorm++
		case math.IsInf(nrm, 0) || math.IsNaN(nrm):
			badNorm++
		default:
			inv[i] = 1 / nrm
			xmax = math.Max(xmax, nrm)
			xmin = math.Min(xmin, nrm)
		}
	}
	leftOut := zeroNorm + badNorm
	if zeroNorm > 0 {
		notes = append(notes, fmt.Sprintf("stats: %d training point(s) have norm zero: left out of the cosine statistics and x_max_over_min; Assumption 1 fails", zeroNorm))
	}
	if badNorm > 0 {
		notes = append(notes, fmt.Sprintf("stats: %d training point(s) have a non-finite norm: left out of the cosine statistics and x_max_over_min; Assumption 1 fails", badNorm))
	}
	if usable := s.N - leftOut; usable < 2 && leftOut > 0 {
		notes = append(notes, fmt.Sprintf("stats: only %d training point(s) have a usable norm: mu_s, mu_d and the violation fractions are undefined (mu_s = mu_d = 0, separable = false)", usable))
	}
	if xmax > 0 {
		st.XMaxOverMin = xmax / xmin
		if math.IsInf(st.XMaxOverMin, 0) {
			st.XMaxOverMin = math.MaxFloat64
			notes = append(notes, "stats: x_max_over_min overflows float64: reported as its largest value")
		}
	}
	// Products of rows with norms beyond 2^safeExp could overflow (and tiny
	// ones underflow): use the unit rows x_i/|x_i| instead.
	extreme := xmax > math.Ldexp(1, safeExp) || xmax > 0 && xmin < math.Ldexp(1, -safeExp)
	x, label := s.X, s.Y[:s.N]
	if !sortedLabels(label) {
		x, label, inv = classOrdered(s, inv)
	}
	if extreme {
		x, inv = unitRows(x, inv, d)
	}
	n := len(label)
	start := make([]int, k+1) // class c occupies rows start[c]..start[c+1]-1
	for _, c := range label {
		start[c+1]++
	}
	for c := 0; c < k; c++ {
		start[c+1] += start[c]
	}

	minSame, maxCross := math.Inf(1), math.Inf(-1)
	var samePairs, crossPairs, sameViol, crossViol int64
	tile := make([]float64, min(statsRowBlock, n)*min(statsColBlock, n))
	for i0 := 0; i0 < n; i0 += statsRowBlock {
		i1 := min(i0+statsRowBlock, n)
		for j0 := i0; j0 < n; j0 += statsColBlock {
			j1 := min(j0+statsColBlock, n)
			w := j1 - j0
			// tile = u[i0:i1] u[j0:j1]^T, (i1-i0) x w. This once-per-dataset
			// product is the largest in the program; gemm's register-blocked
			// kernel runs it serially (deterministic, no goroutines) several
			// times faster than gonum's parallel Dgemm on both cores.
			gemm(blas.NoTrans, blas.Trans, i1-i0, w, d, 1, x[i0*d:], d, x[j0*d:], d, 0, tile, w)
			for i := i0; i < i1; i++ {
				if inv[i] == 0 {
					continue // left out of every pair
				}
				row := tile[(i-i0)*w : (i-i0+1)*w]
				lo := max(j0, i+1) // unordered pairs: j > i only
				if lo >= j1 {
					continue
				}
				c := label[i]
				// Columns [lo, j1) split into before / same-class / after.
				sLo, sHi := max(lo, start[c]), min(j1, start[c+1])
				if sLo < sHi {
					for j := sLo; j < sHi; j++ {
						if inv[j] == 0 {
							continue
						}
						v := row[j-j0] * inv[i] * inv[j]
						minSame = math.Min(minSame, v)
						if v <= 0 {
							sameViol++
						}
						samePairs++
					}
				} else {
					sLo, sHi = lo, lo
				}
				for _, seg := range [2][2]int{{lo, sLo}, {sHi, j1}} {
					for j := seg[0]; j < seg[1]; j++ {
						if inv[j] == 0 {
							continue
						}
						v := row[j-j0] * inv[i] * inv[j]
						maxCross = math.Max(maxCross, v)
						if v >= 0 {
							crossViol++
						}
						crossPairs++
					}
				}
			}
		}
	}

	st.MuS, st.MuD = 1, 1
	if leftOut > 0 {
		st.MuS, st.MuD = 0, 0 // missing pairs are undefined, not vacuous
	}
	if samePairs > 0 {
		st.MuS = minSame
		st.SameViolFrac = float64(sameViol) / float64(samePairs)
	}
	if crossPairs > 0 {
		st.MuD = -maxCross
		st.CrossViolFrac = float64(crossViol) / float64(crossPairs)
	}
	if all := samePairs + crossPairs; all > 0 {
		st.ViolFrac = float64(sameViol+crossViol) / float64(all)
	}
	st.Separable = leftOut == 0 && st.MuS > 0 && st.MuD > 0
	return st, notes
}

// unitRows returns a copy of the n x d rows of x, each divided by its norm
// (a row left out, inv[i] = 0, becomes zero), and the new inverse norms: 1
// for a kept row, 0 for a row left out.
func unitRows(x, inv []float64, d int) (u, invOut []float64) {
	u = make([]float64, len(inv)*d)
	invOut = make([]float64, len(inv))
	for i, f := range inv {
		if f == 0 {
			continue
		}
		src, dst := x[i*d:(i+1)*d], u[i*d:(i+1)*d]
		nrm := rowNorm(src)
		for j, v := range src {
			dst[j] = v / nrm
		}
		invOut[i] = 1
	}
	return u, invOut
}

// rowNorm is the Euclidean norm of x, scaled against overflow and underflow.
func rowNorm(x []float64) float64 {
	var scale float64
	for _, v := range x {
		scale = math.Max(scale, math.Abs(v))
	}
	if scale == 0 || math.IsInf(scale, 0) || math.IsNaN(scale) {
		return scale
	}
	var ss float64
	for _, v := range x {
		t := v / scale
		ss += t * t
	}
	return scale * math.Sqrt(ss)
}

// sortedLabels reports whether the labels are non-decreasing (the split is
// ordered class by class).
func sortedLabels(y []int) bool {
	for i := 1; i < len(y); i++ {
		if y[i] < y[i-1] {
			return false
		}
	}
	return true
}

// classOrdered copies the rows of s, and their inverse norms, in class
// order (stable within a class).
func classOrdered(s *Split, inv []float64) (x []float64, label []int, invOut []float64) {
	order := make([]int, s.N)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return s.Y[order[a]] < s.Y[order[b]] })
	d := s.D
	x = make([]float64, s.N*d)
	label = make([]int, s.N)
	invOut = make([]float64, s.N)
	for r, i := range order {
		copy(x[r*d:(r+1)*d], s.Row(i))
		label[r], invOut[r] = s.Y[i], inv[i]
	}
	return x, label, invOut
}
