//go:build amd64

package core

// kernP calls the set's panel kernel (see gemm512PI) with alpha 1.
func (s *kernelSet) kernP(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, tail, flags, mr, nv int, list *int32) {
	if s.isa512 {
		gemm512PI(k, a, lda, b, ldb, c, ldc, 1, tail, flags, mr, nv, nil, list)
	} else {
		gemm256PI(k, a, lda, b, ldb, c, ldc, 1, tail, flags, mr, nv, nil, list)
	}
}

// sparseTileKernel returns kern if it has indexed tile kernels, else
// gemmGo (the Go loops).
func sparseTileKernel(kern gemmKernel) gemmKernel {
	if kern == gemmAVX512 || kern == gemmAVX2 {
		return kern
	}
	return gemmGo
}

func (st *sparseStep) set() *kernelSet {
	if st.kern == gemmAVX512 {
		return &set512
	}
	return &set256
}

// listPtr is &list[0], or a valid dummy pointer for an empty list (the
// kernels do not read it then).
func listPtr(list []int32, dummy *int32) *int32 {
	if len(list) == 0 {
		return dummy
	}
	return &list[0]
}

//go:noescape
func spupd512(n int, list *int32, p *float64, b *float64, ldb int, c *float64, ldc int, tail int, mr int, nv int, lp int)

//go:noescape
func spupd256(n int, list *int32, p *float64, b *float64, ldb int, c *float64, ldc int, tail int, mr int, nv int, lp int)

// tileProducts runs one of the step's two products over the batch's
// tiles (as packTiles left them), cutting each tile into pieces of rows
// the kernels take (8, 4, 2, 1 for AVX-512) and blocks of columns of H:
//
//	forward:  a[tile] = relu(panel^T w[union] + a[tile])  (gemm512PI)
//	backward: gW[union] += panel dA[tile]                 (spupd512)
//
// The backward pass goes tile after tile in batch order, so each entry of
// gW sums over the rows in batch order.
func (st *sparseStep) tileProducts(forward bool, b []float64, h int, c []float64) {
	s := st.set()
	nr := s.nvMax * s.vl
	var dummy int32
	for t := 0; t+1 < len(st.tileRow); t++ {
		list := st.lists[st.tileList[t]:st.tileList[t+1]]
		if !forward && len(list) == 0 {
			continue // adds nothing
		}
		panel := st.panels[sparseTile*st.tileList[t] : sparseTile*st.tileList[t+1]]
		for r0 := st.tileRow[t]; r0 < st.tileRow[t+1]; {
			mr := s.tileRows(st.tileRow[t+1] - r0)
			p := panelPtr(panel, r0-st.tileRow[t])
			lp := listPtr(list, &dummy)
			for j0 := 0; j0 < h; j0 += nr {
				cw := min(nr, h-j0)
				nv := (cw + s.vl - 1) / s.vl
				tail := cw - (nv-1)*s.vl
				switch {
				case forward:
					s.kernP(len(list), p, sparseTile, &b[j0], h, &c[r0*h+j0], h, tail, spAccumulate|spReLU, mr, nv, lp)
				case s.isa512:
					spupd512(len(list), lp, p, &b[r0*h+j0], h, &c[j0], h, tail, mr, nv, sparseTile)
				default:
					spupd256(len(list), lp, p, &b[r0*h+j0], h, &c[j0], h, tail, mr, nv, sparseTile)
				}
			}
			r0 += mr
		}
	}
}

// panelPtr is &p[off], or nil for an empty panel (the kernels read no
// entry of A when their list is empty).
func panelPtr(p []float64, off int) *float64 {
	if off >= len(p) {
		return nil
	}
	return &p[off]
}

// sparseTilesForward adds S W to a (filled with offset^T W) and applies
// the relu, tile by tile (tileProducts).
func sparseTilesForward(st *sparseStep, w []float64, h int, a []float64) {
	st.tileProducts(true, w, h, a)
}

// sparseTilesBackward adds S^T dA to gW (D x h), tile by tile in batch
// order (tileProducts).
func sparseTilesBackward(st *sparseStep, dA []float64, h int, gW []float64) {
	st.tileProducts(false, dA, h, gW)
}
