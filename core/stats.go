package core

import (
	"fmt"
	"math"

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
// It is exact (every pair is examined) and runs in O(n^2 D) time and
// O(n D) memory: rows are normalised, then the cosine Gram matrix is formed
// tile by tile with a BLAS gemm over the upper block triangle only and each
// tile is scanned and discarded.
//
// A point of norm zero (or a non-finite one) has no cosine with anything:
// it is left out of every
// pair and of XMaxOverMin (but still counted in PerClass). When there are no
// same-class pairs MuS is 1 (the assumption holds vacuously), and when there
// are no cross-class pairs MuD is 1; a fraction with no pairs is 0.
// s.Y must lie in 0..k-1; ComputeStats panics otherwise.
func ComputeStats(s *Split, k int) DataStats {
	st := DataStats{PerClass: make([]int, k)}
	for i, y := range s.Y[:s.N] {
		if y < 0 || y >= k {
			panic(fmt.Sprintf("ComputeStats: label %d of point %d outside 0..%d", y, i, k-1))
		}
		st.PerClass[y]++
	}

	// Normalise the non-zero rows into u, ordered class by class so that each
	// row's same-class partners form one contiguous column range.
	d := s.D
	start := make([]int, k+1) // class c occupies rows start[c]..start[c+1]-1 of u
	nz := make([]int, k)
	xmax, xmin := 0.0, math.Inf(1)
	norms := make([]float64, s.N)
	for i := 0; i < s.N; i++ {
		nrm := rowNorm(s.Row(i))
		norms[i] = nrm
		if nrm > 0 && !math.IsInf(nrm, 1) {
			nz[s.Y[i]]++
			xmax = math.Max(xmax, nrm)
			xmin = math.Min(xmin, nrm)
		}
	}
	for c := 0; c < k; c++ {
		start[c+1] = start[c] + nz[c]
	}
	n := start[k]
	if n > 0 {
		st.XMaxOverMin = xmax / xmin
	}
	u := make([]float64, n*d)
	label := make([]int, n)
	next := append([]int(nil), start[:k]...)
	for i := 0; i < s.N; i++ {
		if !(norms[i] > 0 && !math.IsInf(norms[i], 1)) {
			continue
		}
		c := s.Y[i]
		r := next[c]
		next[c]++
		label[r] = c
		inv := 1 / norms[i]
		dst := u[r*d : (r+1)*d]
		for j, v := range s.Row(i) {
			dst[j] = v * inv
		}
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
			gemm(blas.NoTrans, blas.Trans, i1-i0, w, d, 1, u[i0*d:], d, u[j0*d:], d, 0, tile, w)
			for i := i0; i < i1; i++ {
				row := tile[(i-i0)*w : (i-i0+1)*w]
				lo := max(j0, i+1) // unordered pairs: j > i only
				if lo >= j1 {
					continue
				}
				c := label[i]
				// Columns [lo, j1) split into before / same-class / after.
				sLo, sHi := max(lo, start[c]), min(j1, start[c+1])
				if sLo < sHi {
					for _, v := range row[sLo-j0 : sHi-j0] {
						minSame = math.Min(minSame, v)
						if v <= 0 {
							sameViol++
						}
					}
					samePairs += int64(sHi - sLo)
				} else {
					sLo, sHi = lo, lo
				}
				for _, seg := range [2][2]int{{lo, sLo}, {sHi, j1}} {
					if seg[0] >= seg[1] {
						continue
					}
					for _, v := range row[seg[0]-j0 : seg[1]-j0] {
						maxCross = math.Max(maxCross, v)
						if v >= 0 {
							crossViol++
						}
					}
					crossPairs += int64(seg[1] - seg[0])
				}
			}
		}
	}

	st.MuS, st.MuD = 1, 1
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
	st.Separable = st.MuS > 0 && st.MuD > 0
	return st
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
