//go:build !amd64

package core

// sparseTileKernel is gemmGo: this architecture has no indexed tile
// kernels, so sparse steps run the Go loops.
func sparseTileKernel(kern gemmKernel) gemmKernel { return gemmGo }

// sparseTilesForward is never called here (sparseTileKernel is gemmGo).
func sparseTilesForward(st *sparseStep, w []float64, h int, a []float64) {
	panic("core: no sparse tile kernels on this architecture")
}

// sparseTilesBackward is never called here (sparseTileKernel is gemmGo).
func sparseTilesBackward(st *sparseStep, dA []float64, h int, gW []float64) {
	panic("core: no sparse tile kernels on this architecture")
}
