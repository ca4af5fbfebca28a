package core

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"os"
	"slices"

	"gonum.org/v1/gonum/blas"
)

// Sparse inputs. Image data such as MNIST is mostly one value: a pixel is
// 0 in about 81% of the digits, and after centring it is minus that
// pixel's mean just as often. Writing a split as
//
//	X = S + 1 offset^T,   offset[k] = the majority value of column k,
//
// leaves S with about a fifth of the entries of X, and a step's two
// products become
//
//	X W   = S W   + 1 (offset^T W)
//	X^T G = S^T G + offset (1^T G)
//
// whose tiles need only the few k where their rows or columns of S are
// nonzero (sparseStep). The sums are the same sums in another order, so
// results agree with the dense path to rounding, not bit for bit
// (TestSparseStepMatchesDense holds the difference to a tolerance); the
// sparse path itself is deterministic and gives the same bits on every
// kernel, the Go loops included (TestSparseTilesMatchGoLoops).

// sparseMaxDensity and sparseMaxTileDensity decide when a split is trained
// through its sparse form: at most this fraction of entries stored, and
// tiles of 8 same-class rows (as the step forms them) touching at most
// this fraction of the columns on average, since that is what the tiles'
// products cost. On MNIST (19% stored, tiles touching 38%) the sparse step
// takes 0.52 of the dense one (about 1.9 against 3.7 ms,
// BenchmarkStepMNIST); with the same 19% scattered uniformly, tiles touch
// 81% and the sparse step still takes 0.88 of the dense one
// (BenchmarkStepUniform), as it reads each row once instead of gathering
// it; with nothing to skip it would do the dense work plus the packing.
// 0.75 keeps a margin below the last measured gain.
const (
	sparseMaxDensity     = 0.35
	sparseMaxTileDensity = 0.75
)

// sparseForTraining returns the sparse form training should use for s
// (labels in s.Y), with a note saying so, or nil and "" when the dense
// products are the better choice (or NCSWEEP_SPARSE=off).
func sparseForTraining(s *Split) (*sparseRows, string) {
	if !sparseEnabled {
		return nil, ""
	}
	sp := newSparseRows(s, sparseMaxDensity)
	if sp == nil {
		return nil, ""
	}
	tile := sp.tileDensity(s.Y)
	if tile > sparseMaxTileDensity {
		return nil, ""
	}
	return sp, fmt.Sprintf("training reads the inputs in sparse form (%.1f%% of the entries stored around per-column offsets; tiles of 8 same-class rows touch %.0f%% of the columns): products agree with the dense ones to rounding", 100*sp.density(), 100*tile)
}

// tileDensity estimates the mean fraction of columns a tile of sparseTile
// rows of one class touches (the union of their stored columns), from 256
// tiles drawn with a fixed seed: a class in proportion to its size, then
// rows of it at random (as in a class-ordered random batch).
func (sp *sparseRows) tileDensity(y []int) float64 {
	var byClass [][]int
	for i, c := range y {
		for len(byClass) <= c {
			byClass = append(byClass, nil)
		}
		byClass[c] = append(byClass[c], i)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	union := make([]uint64, sp.words)
	total := 0
	const tiles = 256
	for range tiles {
		rows := byClass[y[rng.IntN(len(y))]]
		clear(union)
		for range sparseTile {
			for q, b := range sp.rowBits(rows[rng.IntN(len(rows))]) {
				union[q] |= b
			}
		}
		for _, b := range union {
			total += bits.OnesCount64(b)
		}
	}
	return float64(total) / (tiles * float64(sp.d))
}

// sparseEnabled is false when NCSWEEP_SPARSE=off: datasets then keep no
// sparse form and every step runs the dense products (to reproduce results
// of the dense path bit for bit, or to compare the two). It is read once at
// start-up, like the gemm kernel choice.
var sparseEnabled = os.Getenv("NCSWEEP_SPARSE") != "off"

// Kernels names the arithmetic this process uses, for provenance: the
// gemm kernel ("avx512", "avx2" or "go", see gemm) and "sparse off" when
// NCSWEEP_SPARSE=off. Results are bit-for-bit reproducible between
// processes that report the same kernels.
func Kernels() string {
	k := bestGemmKernel.String()
	if !sparseEnabled {
		k += ", sparse off"
	}
	return k
}

// sparseRows is a split in compressed sparse rows around a per-column
// offset: X[i][k] = offset[k] + S[i][k], with row i of S stored as the
// columns idx[ptr[i]:ptr[i+1]] (increasing) and values val[ptr[i]:ptr[i+1]].
type sparseRows struct {
	n, d   int
	ptr    []int
	idx    []int32
	val    []float64
	offset []float64
	// offsetCols lists the columns with a nonzero offset (the rank-one
	// corrections touch only these).
	offsetCols []int
	// bits marks each row's stored columns: words = ceil(D/64) uint64 per
	// row, column k at bit k%64 of word k/64 (a tile's union of columns is
	// the OR of its rows' bitmaps).
	words int
	bits  []uint64
}

// rowBits is the bitmap of row i's stored columns.
func (sp *sparseRows) rowBits(i int) []uint64 { return sp.bits[i*sp.words : (i+1)*sp.words] }

// row returns the columns and values of row i of S.
func (sp *sparseRows) row(i int) ([]int32, []float64) {
	lo, hi := sp.ptr[i], sp.ptr[i+1]
	return sp.idx[lo:hi], sp.val[lo:hi]
}

// density is the fraction of entries of S that are stored.
func (sp *sparseRows) density() float64 {
	if sp.n == 0 || sp.d == 0 {
		return 1
	}
	return float64(len(sp.idx)) / (float64(sp.n) * float64(sp.d))
}

// newSparseRows returns the sparse form of s when it would store at most
// maxDensity of the entries, else nil (also when D exceeds 2^31). The
// offset of a column is its majority value (more than half the rows;
// Boyer-Moore vote then a count), or 0 when there is none;
// S[i][k] = X[i][k] - offset[k], stored when not zero. It reads X three
// times and allocates only the result.
func newSparseRows(s *Split, maxDensity float64) *sparseRows {
	n, d := s.N, s.D
	if n == 0 || d == 0 || d > math.MaxInt32 {
		return nil
	}
	offset := majorityColumns(s.X, n, d)
	stored := 0
	limit := int(maxDensity * float64(n) * float64(d))
	for i := 0; i < n; i++ {
		for k, v := range s.X[i*d : (i+1)*d] {
			if v != offset[k] {
				stored++
			}
		}
		if stored > limit {
			return nil
		}
	}
	sp := &sparseRows{n: n, d: d, ptr: make([]int, n+1), idx: make([]int32, 0, stored), val: make([]float64, 0, stored), offset: offset}
	for i := 0; i < n; i++ {
		for k, v := range s.X[i*d : (i+1)*d] {
			if v != offset[k] {
				sp.idx = append(sp.idx, int32(k))
				sp.val = append(sp.val, v-offset[k])
			}
		}
		sp.ptr[i+1] = len(sp.idx)
	}
	for k, o := range offset {
		if o != 0 {
			sp.offsetCols = append(sp.offsetCols, k)
		}
	}
	sp.words = (d + 63) / 64
	sp.bits = make([]uint64, n*sp.words)
	for i := 0; i < n; i++ {
		b := sp.rowBits(i)
		for _, k := range sp.idx[sp.ptr[i]:sp.ptr[i+1]] {
			b[k/64] |= 1 << (uint(k) % 64)
		}
	}
	return sp
}

// majorityColumns returns, for each column of the n x d matrix x, the value
// held by more than half of its rows, or 0 when no value is. NaN never
// counts as a majority (NaN != NaN), so a NaN entry is always stored.
func majorityColumns(x []float64, n, d int) []float64 {
	cand := make([]float64, d)
	count := make([]int, d)
	for i := 0; i < n; i++ {
		for k, v := range x[i*d : (i+1)*d] {
			switch {
			case count[k] == 0:
				cand[k], count[k] = v, 1
			case v == cand[k]:
				count[k]++
			default:
				count[k]--
			}
		}
	}
	clear(count)
	for i := 0; i < n; i++ {
		for k, v := range x[i*d : (i+1)*d] {
			if v == cand[k] {
				count[k]++
			}
		}
	}
	for k := range cand {
		if 2*count[k] <= n || cand[k] != cand[k] {
			cand[k] = 0
		}
	}
	return cand
}

// sparseStep is the scratch and kernel choice of a trainer whose inputs
// are sparse. With the fast kernels (sparse_amd64.go) the batch is cut
// into tiles of 8 rows, and each tile's sums run only over the union of
// its rows' stored columns (46% of MNIST's 784 pixels on average, against
// 19% for one row), from a packed panel of the rows' values there:
//
//   - forward, gemm512PI: A[tile] = relu(panel^T W[union] + offset^T W);
//   - backward, spupd512: gW[union] += panel dA[tile], tile after tile in
//     batch order, so each entry of X^T dA is summed over the rows in
//     batch order.
//
// A skipped term is an exact zero and every other term is added in the
// same order as in the row-by-row Go loops (spGatherGo, spScatterGo), so
// the two paths give the same bits (TestSparseTilesMatchGoLoops).
type sparseStep struct {
	sp   *sparseRows
	kern gemmKernel // gemmGo: the Go loops

	offZ, colSum []float64 // H
	union        []uint64  // one tile's columns (a bitmap)
	pos          []int32   // column -> its step in the tile's list
	touched      float64   // keeps packTiles' prefetching loads alive
	order        []int     // classOrder's scratch
	classStart   []int     // classOrder's scratch

	// The batch's tiles as packed by forwardReLU, kept for backward: tile
	// t covers batch rows tileRow[t]..tileRow[t+1]-1, its union of columns
	// is lists[tileList[t]:tileList[t+1]] and its panel (8 values per
	// column, one per row) panels[8*tileList[t]:8*tileList[t+1]].
	tileRow, tileList []int
	lists             []int32
	panels            []float64
}

// sparseTile is the number of batch rows in a tile: the 8 rows of an
// AVX-512 tile (the AVX2 kernels take 4 at a time).
const sparseTile = 8

// newSparseStep prepares scratch for networks of width h on sp.
func newSparseStep(sp *sparseRows, kern gemmKernel, h int) *sparseStep {
	kern = sparseTileKernel(kern)
	st := &sparseStep{sp: sp, kern: kern, offZ: make([]float64, h), colSum: make([]float64, h)}
	if kern != gemmGo {
		st.union = make([]uint64, sp.words)
		st.pos = make([]int32, sp.d)
	}
	return st
}

// classOrder reorders rows in place by class (labels y), stable within a
// class, and returns it. The sparse step takes its batches in this order:
// a tile of 8 digits of one class has fewer distinct pixels than 8 of
// mixed classes (38% of MNIST's 784 against 46%), and every tile's sums
// run over its union of pixels. It changes only the order in which the
// batch's terms are summed (the same batch, the same loss), and the order
// is a function of the batch alone, so results stay reproducible.
func (st *sparseStep) classOrder(rows []int, y []int) []int {
	st.order = append(st.order[:0], rows...)
	k := 0
	for _, i := range rows {
		k = max(k, y[i]+1)
	}
	st.classStart = slices.Grow(st.classStart[:0], k+1)[:k+1]
	clear(st.classStart)
	for _, i := range rows {
		st.classStart[y[i]+1]++
	}
	for c := 0; c < k; c++ {
		st.classStart[c+1] += st.classStart[c]
	}
	for _, i := range st.order {
		rows[st.classStart[y[i]]] = i
		st.classStart[y[i]]++
	}
	return rows
}

// forwardReLU computes A = relu(X W) (len(rows) x h) for the training rows
// rows of sp, in order: row r is relu(S[rows[r]] W + offset^T W).
func (st *sparseStep) forwardReLU(rows []int, w []float64, h int, a []float64) {
	sp := st.sp
	gemm(blas.NoTrans, blas.NoTrans, 1, h, sp.d, 1, sp.offset, sp.d, w, h, 0, st.offZ, h)
	for r := range rows {
		copy(a[r*h:(r+1)*h], st.offZ)
	}
	if st.kern != gemmGo {
		st.packTiles(rows)
		sparseTilesForward(st, w, h, a)
		return
	}
	for r, i := range rows {
		idx, val := sp.row(i)
		spGatherGo(idx, val, w, h, a[r*h:(r+1)*h], spAccumulate|spReLU)
	}
}

// packTiles cuts the batch into tiles and packs each tile's union of
// columns and panel.
func (st *sparseStep) packTiles(rows []int) {
	sp := st.sp
	nb := len(rows)
	st.tileRow, st.tileList = append(st.tileRow[:0], 0), append(st.tileList[:0], 0)
	st.lists, st.panels = st.lists[:0], st.panels[:0]
	var touch uint64
	var touchVal float64
	for r0 := 0; r0 < nb; {
		r1 := min(r0+sparseTile, nb)
		// Load one word of every cache line of the rows two tiles ahead:
		// the loads do not wait on each other, so their cache misses
		// overlap with this tile's work instead of stalling the next.
		for _, i := range rows[min(r0+2*sparseTile, nb):min(r0+3*sparseTile, nb)] {
			lo, hi := sp.ptr[i], sp.ptr[i+1]
			for j := lo; j < hi; j += 16 {
				touch += uint64(sp.idx[j])
			}
			for j := lo; j < hi; j += 8 {
				touchVal += sp.val[j]
			}
			touch += sp.bits[i*sp.words]
		}
		clear(st.union)
		for _, i := range rows[r0:r1] {
			for q, b := range sp.rowBits(i) {
				st.union[q] |= b
			}
		}
		start := len(st.lists)
		for q, b := range st.union {
			for ; b != 0; b &= b - 1 {
				k := q*64 + bits.TrailingZeros64(b)
				st.pos[k] = int32(len(st.lists) - start)
				st.lists = append(st.lists, int32(k))
			}
		}
		n := len(st.lists) - start
		base := len(st.panels)
		st.panels = slices.Grow(st.panels, n*sparseTile)[:base+n*sparseTile]
		panel := st.panels[base:]
		clear(panel)
		for r, i := range rows[r0:r1] {
			lo, hi := sp.ptr[i], sp.ptr[i+1]
			val := sp.val[lo:hi]
			for t, k := range sp.idx[lo:hi] {
				panel[int(st.pos[k])*sparseTile+r] = val[t]
			}
		}
		st.tileRow = append(st.tileRow, r1)
		st.tileList = append(st.tileList, len(st.lists))
		r0 = r1
	}
	st.touched = float64(touch) + touchVal
}

// backward computes gW = X^T dA (D x h) for the rows of the last
// forwardReLU (whose packed tiles it uses): S^T dA, then the rank-one
// offset (1^T dA) on the columns with a nonzero offset.
func (st *sparseStep) backward(rows []int, dA []float64, h int, gW []float64) {
	sp := st.sp
	clear(st.colSum)
	for r := range rows {
		for j, v := range dA[r*h : (r+1)*h] {
			st.colSum[j] += v
		}
	}
	clear(gW[:sp.d*h])
	if st.kern != gemmGo {
		sparseTilesBackward(st, dA, h, gW)
	} else {
		for r, i := range rows {
			idx, val := sp.row(i)
			spScatterGo(idx, val, dA[r*h:(r+1)*h], gW, h)
		}
	}
	for _, k := range sp.offsetCols {
		o := sp.offset[k]
		row := gW[k*h : (k+1)*h]
		for j, s := range st.colSum {
			row[j] = math.FMA(o, s, row[j])
		}
	}
}

// Flags of spGatherGo.
const (
	spAccumulate = 1 // add the old c
	spReLU       = 2 // then c = max(c, +0)
)

// spGatherGo computes c[0:w] = sum_t val[t] b[idx[t]*ldb + 0:w] (+ c when
// flags has spAccumulate, then relu when it has spReLU): one math.FMA
// chain per column, over t in order. It walks the entries in the outer
// loop, so each reads a contiguous piece of a row of b, keeping the sums
// of up to 64 columns at a time on the stack.
func spGatherGo(idx []int32, val []float64, b []float64, ldb int, c []float64, flags int) {
	var acc [64]float64
	for j0 := 0; j0 < len(c); j0 += len(acc) {
		cc := c[j0:min(j0+len(acc), len(c))]
		sum := acc[:len(cc)]
		clear(sum)
		for t, k := range idx {
			v, row := val[t], b[int(k)*ldb+j0:int(k)*ldb+j0+len(cc)]
			for j, x := range row {
				sum[j] = math.FMA(v, x, sum[j])
			}
		}
		for j, x := range sum {
			if flags&spAccumulate != 0 {
				x += cc[j]
			}
			if flags&spReLU != 0 && !(x > 0) {
				x = 0
			}
			cc[j] = x
		}
	}
}

// spScatterGo adds val[t] a to row idx[t] of c (rows ldc apart) for every
// t, one math.FMA per entry.
func spScatterGo(idx []int32, val []float64, a []float64, c []float64, ldc int) {
	for t, k := range idx {
		row := c[int(k)*ldc : int(k)*ldc+len(a)]
		for j, v := range a {
			row[j] = math.FMA(val[t], v, row[j])
		}
	}
}
