// Command gemmgen writes core/gemm_amd64.s, the register-blocked float64
// matrix-product kernels behind core's gemm (see core/gemm_amd64.go for the
// contract of each entry point). The kernels are repetitive by nature (one
// block of code per tile shape), so they are generated rather than typed:
//
//	go generate ./core   (runs: go run ./internal/gemmgen -o gemm_amd64.s)
//
// Two instruction sets are emitted: AVX-512F/VL (zmm, 8 lanes, opmask tails)
// and AVX2+FMA (ymm, 4 lanes, VMASKMOVPD tails). For each, two kinds of
// kernel:
//
//   - gemm: an mr x (nv vectors) tile of C = alpha * op(A) B (+ C), B
//     read by rows (unit stride along the columns of C), A read either along
//     rows with stride lda (mode N, op(A) = A) or along columns (mode T,
//     op(A) = A^T, so the mr entries of one k step are contiguous). The tile
//     lives in registers for the whole k loop; each k step loads nv vectors
//     of B and broadcasts mr entries of A.
//   - dot: an mr x nr tile of C = alpha * A B^T (+ C) for small n, vectorized
//     along k with one accumulator per entry of C and a fixed-order
//     horizontal sum at the end.
//   - gemm PI (panel, indexed): the gemm tile with A read from a packed
//     panel as in mode T and step t of the sum reading row list[t] of B:
//     the forward product of the sparse training step, which sums only
//     over a tile's nonzero columns (core/sparse.go).
//   - spupd: for each t, row list[t] of C += (panel step t) times a tile of
//     B held in registers: the sparse step's backward product, scattered
//     onto the rows of X^T dA the tile touches.
//
// Every kernel sums in a fixed order that depends only on the shapes, so
// results are bit-for-bit reproducible for a given kernel.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
)

// isa describes one instruction set's vector registers.
type isa struct {
	name  string // suffix of the TEXT symbols: 512 or 256
	vl    int    // float64 lanes per vector
	reg   string // register prefix: Z or Y
	mrs   []int  // gemm tile heights, descending
	nvMax int    // gemm tile width in vectors
	dotMR int    // dot tile: at most dotMR rows of A
	dotNR int    //           and dotNR rows of B
}

var (
	avx512 = isa{name: "512", vl: 8, reg: "Z", mrs: []int{8, 4, 2, 1}, nvMax: 3, dotMR: 4, dotNR: 4}
	avx2   = isa{name: "256", vl: 4, reg: "Y", mrs: []int{4, 2, 1}, nvMax: 3, dotMR: 3, dotNR: 3}
)

type gen struct{ b bytes.Buffer }

func (g *gen) p(format string, args ...any) { fmt.Fprintf(&g.b, "\t"+format+"\n", args...) }
func (g *gen) label(l string)               { fmt.Fprintf(&g.b, "%s:\n", l) }
func (g *gen) raw(s string)                 { g.b.WriteString(s) }

// Register use shared by both kernels (ABI0: every general register but SP
// is free; R14 and R15 are avoided all the same).
//
//	CX  k loop counter      SI  A pointer       DI  B pointer
//	DX  C pointer           R8  lda bytes       R9  ldb bytes
//	R10 ldc bytes           R11 3*lda bytes     R12 A + 4*lda (mode N)
//	R13 3*ldb bytes (dot)   AX, BX scratch

const frame = "$0-96"

// args loads the common arguments.
func (g *gen) args() {
	g.p("MOVQ k+0(FP), CX")
	g.p("MOVQ a+8(FP), SI")
	g.p("MOVQ lda+16(FP), R8")
	g.p("SHLQ $3, R8")
	g.p("MOVQ b+24(FP), DI")
	g.p("MOVQ ldb+32(FP), R9")
	g.p("SHLQ $3, R9")
	g.p("MOVQ c+40(FP), DX")
	g.p("MOVQ ldc+48(FP), R10")
	g.p("SHLQ $3, R10")
	g.p("LEAQ (R8)(R8*2), R11")
	g.p("LEAQ (SI)(R8*4), R12")
	g.p("LEAQ (R9)(R9*2), R13")
}

// tailMask loads the mask of the last vector: tail (1..vl) valid lanes, into
// K1 (AVX-512) or into the given ymm register (AVX2, via the table).
func (g *gen) tailMask(s isa, ymm string) {
	g.p("MOVQ tail+64(FP), BX")
	if s.vl == 8 {
		g.p("MOVL $1, AX")
		g.p("SHLXL BX, AX, AX")
		g.p("DECL AX")
		g.p("KMOVW AX, K1")
		return
	}
	g.p("SHLQ $3, BX")
	g.p("LEAQ maskTable256<>+32(SB), AX")
	g.p("SUBQ BX, AX")
	if ymm != "" {
		g.p("VMOVDQU (AX), %s", ymm)
	}
}

// aRow returns the address of row r of the A tile at the current k in mode
// N (rows lda apart) or T (entries contiguous).
func aRow(mode byte, r int) string {
	if mode == 'T' || mode == 'P' { // P: a packed panel, read as T
		return fmt.Sprintf("%d(SI)", 8*r)
	}
	return [...]string{"(SI)", "(SI)(R8*1)", "(SI)(R8*2)", "(SI)(R11*1)", "(R12)", "(R12)(R8*1)", "(R12)(R8*2)", "(R12)(R11*1)"}[r]
}

// gemmTile emits the code for one mr x nv tile and jumps to done.
func (g *gen) gemmTile(s isa, mode byte, idx bool, mr, nv int, name string) {
	R := s.reg
	acc := func(r, v int) string { return fmt.Sprintf("%s%d", R, r*nv+v) }
	nacc := mr * nv
	var bReg [3]string
	for v := 0; v < nv; v++ {
		bReg[v] = fmt.Sprintf("%s%d", R, nacc+v)
	}
	// AVX2: the mask is reloaded from AX into the broadcast register before
	// the masked load of each k step (all 16 registers are in use).
	bc := fmt.Sprintf("%s%d", R, nacc+nv)
	if s.vl == 8 {
		bc = "Z31"
	}
	for i := 0; i < nacc; i++ {
		if s.vl == 8 {
			g.p("VPXORQ %s, %s, %s", acc(i/nv, i%nv), acc(i/nv, i%nv), acc(i/nv, i%nv))
		} else {
			g.p("VXORPD %s, %s, %s", acc(i/nv, i%nv), acc(i/nv, i%nv), acc(i/nv, i%nv))
		}
	}
	loop := fmt.Sprintf("%s_loop", name)
	store := fmt.Sprintf("%s_store", name)
	if idx {
		g.p("MOVQ list+104(FP), R13")
	}
	g.p("TESTQ CX, CX")
	g.p("JEQ %s", store)
	g.p("PCALIGN $32")
	g.label(loop)
	// Indexed kernels (idx, mode P) read A as mode T does (a packed panel:
	// the mr entries of step t at SI, the next step lda further on) and
	// row list[t] of B (list at R13, int32; the row's byte offset in BX).
	bAddr := func(off int) string { return fmt.Sprintf("%d(DI)", off) }
	aAddr := func(r int) string { return aRow(mode, r) }
	if idx {
		g.p("MOVL (R13), BX")
		g.p("IMULQ R9, BX")
		bAddr = func(off int) string { return fmt.Sprintf("%d(DI)(BX*1)", off) }
	}
	maskPtr := "AX"
	for v := 0; v < nv; v++ {
		off := 8 * s.vl * v
		if v < nv-1 {
			g.p("VMOVUPD %s, %s", bAddr(off), bReg[v])
		} else if s.vl == 8 {
			g.p("VMOVUPD.Z %s, K1, %s", bAddr(off), bReg[v])
		} else {
			g.p("VMOVDQU (%s), %s", maskPtr, bc)
			g.p("VMASKMOVPD %s, %s, %s", bAddr(off), bc, bReg[v])
		}
	}
	for r := 0; r < mr; r++ {
		b := bc
		if s.vl == 8 {
			b = fmt.Sprintf("Z%d", 27+r%5)
		}
		g.p("VBROADCASTSD %s, %s", aAddr(r), b)
		for v := 0; v < nv; v++ {
			g.p("VFMADD231PD %s, %s, %s", bReg[v], b, acc(r, v))
		}
	}
	switch {
	case idx:
		g.p("ADDQ $4, R13")
		g.p("ADDQ R8, SI")
	case mode == 'T':
		g.p("ADDQ R8, SI")
	default:
		g.p("ADDQ $8, SI")
		g.p("ADDQ $8, R12")
	}
	if !idx {
		g.p("ADDQ R9, DI")
	}
	g.p("DECQ CX")
	g.p("JNE %s", loop)
	g.label(store)
	// After the loop every register from nacc up is free: alpha, the C
	// entries of a masked vector, (AVX2) the lane mask, and zero. flags
	// (BX): 1 accumulate into C, 2 relu, 4 zero where mk <= 0 (mk has the
	// layout of C; SI walks its rows).
	al := fmt.Sprintf("%s%d", R, nacc)
	tmp := fmt.Sprintf("%s%d", R, nacc+1)
	msk := fmt.Sprintf("%s%d", R, nacc+2)
	zero := fmt.Sprintf("%s%d", R, nacc+3)
	g.p("VBROADCASTSD alpha+56(FP), %s", al)
	if s.vl == 4 {
		g.p("VMOVDQU (AX), %s", msk)
		g.p("VXORPD %s, %s, %s", zero, zero, zero)
	} else {
		g.p("VPXORQ %s, %s, %s", zero, zero, zero)
	}
	g.p("MOVQ flags+72(FP), BX")
	g.p("MOVQ mk+96(FP), SI")
	g.p("TESTQ $6, BX")
	plain := name + "_plain"
	g.p("JEQ %s", plain)
	// General epilogue: alpha, accumulate, relu, mask, each by a branch.
	for r := 0; r < mr; r++ {
		for v := 0; v < nv; v++ {
			off := 8 * s.vl * v
			last := v == nv-1
			a := acc(r, v)
			l := fmt.Sprintf("%s_r%dv%d", name, r, v)
			g.p("TESTQ $1, BX")
			g.p("JNE %s_acc", l)
			g.p("VMULPD %s, %s, %s", al, a, a)
			g.p("JMP %s_relu", l)
			g.label(l + "_acc")
			switch {
			case !last:
				g.p("VFMADD213PD %d(DX), %s, %s", off, al, a)
			case s.vl == 8:
				g.p("VMOVUPD.Z %d(DX), K1, %s", off, tmp)
				g.p("VFMADD213PD %s, %s, %s", tmp, al, a)
			default:
				g.p("VMASKMOVPD %d(DX), %s, %s", off, msk, tmp)
				g.p("VFMADD213PD %s, %s, %s", tmp, al, a)
			}
			g.label(l + "_relu")
			g.p("TESTQ $2, BX")
			g.p("JEQ %s_mask", l)
			g.p("VMAXPD %s, %s, %s", zero, a, a) // NaN -> 0, -0 -> +0
			g.label(l + "_mask")
			g.p("TESTQ $4, BX")
			g.p("JEQ %s_st", l)
			switch {
			case s.vl == 8 && !last:
				g.p("VCMPPD $1, %d(SI), %s, K2", off, zero)
				g.p("VMOVAPD.Z %s, K2, %s", a, a)
			case s.vl == 8:
				g.p("VCMPPD $1, %d(SI), %s, K1, K2", off, zero)
				g.p("VMOVAPD.Z %s, K2, %s", a, a)
			default:
				if last {
					g.p("VMASKMOVPD %d(SI), %s, %s", off, msk, tmp)
				} else {
					g.p("VMOVUPD %d(SI), %s", off, tmp)
				}
				g.p("VCMPPD $1, %s, %s, %s", tmp, zero, tmp)
				g.p("VANDPD %s, %s, %s", tmp, a, a)
			}
			g.label(l + "_st")
			switch {
			case !last:
				g.p("VMOVUPD %s, %d(DX)", a, off)
			case s.vl == 8:
				g.p("VMOVUPD %s, K1, %d(DX)", a, off)
			default:
				g.p("VMASKMOVPD %s, %s, %d(DX)", a, msk, off)
			}
		}
		if r < mr-1 {
			g.p("ADDQ R10, DX")
			g.p("ADDQ R10, SI")
		}
	}
	g.p("VZEROUPPER")
	g.p("RET")
	g.label(plain)
	g.p("TESTQ BX, BX")
	over := fmt.Sprintf("%s_over", name)
	g.p("JEQ %s", over)
	for pass := 0; pass < 2; pass++ {
		if pass == 1 {
			g.label(over)
		}
		for r := 0; r < mr; r++ {
			for v := 0; v < nv; v++ {
				off := 8 * s.vl * v
				last := v == nv-1
				switch {
				case pass == 0 && !last:
					g.p("VFMADD213PD %d(DX), %s, %s", off, al, acc(r, v))
					g.p("VMOVUPD %s, %d(DX)", acc(r, v), off)
				case pass == 0 && s.vl == 8:
					g.p("VMOVUPD.Z %d(DX), K1, %s", off, tmp)
					g.p("VFMADD231PD %s, %s, %s", acc(r, v), al, tmp)
					g.p("VMOVUPD %s, K1, %d(DX)", tmp, off)
				case pass == 0:
					g.p("VMASKMOVPD %d(DX), %s, %s", off, msk, tmp)
					g.p("VFMADD231PD %s, %s, %s", acc(r, v), al, tmp)
					g.p("VMASKMOVPD %s, %s, %d(DX)", tmp, msk, off)
				case !last:
					g.p("VMULPD %s, %s, %s", al, acc(r, v), acc(r, v))
					g.p("VMOVUPD %s, %d(DX)", acc(r, v), off)
				case s.vl == 8:
					g.p("VMULPD %s, %s, %s", al, acc(r, v), acc(r, v))
					g.p("VMOVUPD %s, K1, %d(DX)", acc(r, v), off)
				default:
					g.p("VMULPD %s, %s, %s", al, acc(r, v), acc(r, v))
					g.p("VMASKMOVPD %s, %s, %d(DX)", acc(r, v), msk, off)
				}
			}
			if r < mr-1 {
				g.p("ADDQ R10, DX")
			}
		}
		g.p("VZEROUPPER")
		g.p("RET")
	}
}

// dispatch jumps to the tile fn_m<mr>_n<n> for the mr in BX and the n in
// nReg, over mrs and n = 1..nMax; it falls through for any other pair.
func (g *gen) dispatch(fn string, mrs []int, nMax int, nReg string) {
	for _, mr := range mrs {
		for n := 1; n <= nMax; n++ {
			l := fmt.Sprintf("%s_m%d_n%d", fn, mr, n)
			g.p("CMPQ BX, $%d", mr)
			g.p("JNE %s_skip", l)
			g.p("CMPQ %s, $%d", nReg, n)
			g.p("JEQ %s", l)
			g.label(l + "_skip")
		}
	}
}

// gemmFunc emits one gemm entry point, dispatching on mr and nv.
func (g *gen) gemmFunc(s isa, mode byte, idx bool) {
	fn := fmt.Sprintf("gemm%s%c", s.name, mode)
	if idx {
		fn += "I"
		g.raw(fmt.Sprintf("\n// func %s(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, alpha float64, tail int, flags int, mr int, nv int, mk *float64, list *int32)\n", fn))
		g.raw(fmt.Sprintf("TEXT ·%s(SB), NOSPLIT, $0-112\n", fn))
	} else {
		g.raw(fmt.Sprintf("\n// func %s(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, alpha float64, tail int, flags int, mr int, nv int, mk *float64)\n", fn))
		g.raw(fmt.Sprintf("TEXT ·%s(SB), NOSPLIT, $0-104\n", fn))
	}
	g.args()
	g.tailMask(s, "")
	g.p("MOVQ mr+80(FP), BX")
	g.p("MOVQ nv+88(FP), R13")
	g.dispatch(fn, s.mrs, s.nvMax, "R13")
	g.p("VZEROUPPER")
	g.p("RET")
	for _, mr := range s.mrs {
		for nv := 1; nv <= s.nvMax; nv++ {
			name := fmt.Sprintf("%s_m%d_n%d", fn, mr, nv)
			g.label(name)
			g.gemmTile(s, mode, idx, mr, nv, name)
		}
	}
}

// dotTile emits one mr x nr dot tile: C[i,j] = alpha <A_i, B_j> (+ C[i,j]).
func (g *gen) dotTile(s isa, mr, nr int, name string) {
	R := s.reg
	acc := func(i, j int) string { return fmt.Sprintf("%s%d", R, i*nr+j) }
	nacc := mr * nr
	aReg := func(i int) string { return fmt.Sprintf("%s%d", R, nacc+i) }
	bReg := func(j int) string { return fmt.Sprintf("%s%d", R, nacc+mr+j) }
	mask := fmt.Sprintf("%s%d", R, nacc+mr+nr) // AVX2 only
	aAddr := []string{"(SI)", "(SI)(R8*1)", "(SI)(R8*2)", "(SI)(R11*1)"}
	bAddr := []string{"(DI)", "(DI)(R9*1)", "(DI)(R9*2)", "(DI)(R13*1)"}
	for i := 0; i < nacc; i++ {
		a := acc(i/nr, i%nr)
		if s.vl == 8 {
			g.p("VPXORQ %s, %s, %s", a, a, a)
		} else {
			g.p("VXORPD %s, %s, %s", a, a, a)
		}
	}
	fma := func() {
		for i := 0; i < mr; i++ {
			for j := 0; j < nr; j++ {
				g.p("VFMADD231PD %s, %s, %s", bReg(j), aReg(i), acc(i, j))
			}
		}
	}
	loop, tailL, red := name+"_loop", name+"_tail", name+"_red"
	// BX = number of full chunks, CX = lanes in the last partial chunk.
	g.p("MOVQ CX, BX")
	g.p("SHRQ $%d, BX", map[int]int{8: 3, 4: 2}[s.vl])
	g.p("ANDQ $%d, CX", s.vl-1)
	g.p("TESTQ BX, BX")
	g.p("JEQ %s", tailL)
	g.p("PCALIGN $32")
	g.label(loop)
	for i := 0; i < mr; i++ {
		g.p("VMOVUPD %s, %s", aAddr[i], aReg(i))
	}
	for j := 0; j < nr; j++ {
		g.p("VMOVUPD %s, %s", bAddr[j], bReg(j))
	}
	fma()
	g.p("ADDQ $%d, SI", 8*s.vl)
	g.p("ADDQ $%d, DI", 8*s.vl)
	g.p("DECQ BX")
	g.p("JNE %s", loop)
	g.label(tailL)
	g.p("TESTQ CX, CX")
	g.p("JEQ %s", red)
	if s.vl == 8 {
		g.p("MOVL $1, AX")
		g.p("SHLXL CX, AX, AX")
		g.p("DECL AX")
		g.p("KMOVW AX, K1")
		for i := 0; i < mr; i++ {
			g.p("VMOVUPD.Z %s, K1, %s", aAddr[i], aReg(i))
		}
		for j := 0; j < nr; j++ {
			g.p("VMOVUPD.Z %s, K1, %s", bAddr[j], bReg(j))
		}
	} else {
		g.p("SHLQ $3, CX")
		g.p("LEAQ maskTable256<>+32(SB), AX")
		g.p("SUBQ CX, AX")
		g.p("VMOVDQU (AX), %s", mask)
		for i := 0; i < mr; i++ {
			g.p("VMASKMOVPD %s, %s, %s", aAddr[i], mask, aReg(i))
		}
		for j := 0; j < nr; j++ {
			g.p("VMASKMOVPD %s, %s, %s", bAddr[j], mask, bReg(j))
		}
	}
	fma()
	g.label(red)
	// Horizontal sums in a fixed order: halves, then quarters, then pairs.
	t := "31"
	if s.vl == 4 {
		t = "15"
	}
	g.p("MOVQ accum+72(FP), BX")
	for i := 0; i < mr; i++ {
		for j := 0; j < nr; j++ {
			n := i*nr + j
			if s.vl == 8 {
				g.p("VEXTRACTF64X4 $1, Z%d, Y%s", n, t)
				g.p("VADDPD Y%s, Y%d, Y%d", t, n, n)
			}
			if s.vl == 8 {
				g.p("VEXTRACTF32X4 $1, Y%d, X%s", n, t)
			} else {
				g.p("VEXTRACTF128 $1, Y%d, X%s", n, t)
			}
			g.p("VADDPD X%s, X%d, X%d", t, n, n)
			g.p("VPERMILPD $1, X%d, X%s", n, t)
			g.p("VADDSD X%s, X%d, X%d", t, n, n)
		}
	}
	g.p("VMOVSD alpha+56(FP), X%s", t)
	g.p("TESTQ BX, BX")
	over := name + "_over"
	g.p("JEQ %s", over)
	for pass := 0; pass < 2; pass++ {
		if pass == 1 {
			g.label(over)
		}
		for i := 0; i < mr; i++ {
			for j := 0; j < nr; j++ {
				n := i*nr + j
				if pass == 0 {
					g.p("VFMADD213SD %d(DX), X%s, X%d", 8*j, t, n)
				} else {
					g.p("VMULSD X%s, X%d, X%d", t, n, n)
				}
				g.p("VMOVSD X%d, %d(DX)", n, 8*j)
			}
			if i < mr-1 {
				g.p("ADDQ R10, DX")
			}
		}
		g.p("VZEROUPPER")
		g.p("RET")
	}
}

// dotFunc emits one dot entry point, dispatching on mr and nr.
func (g *gen) dotFunc(s isa) {
	fn := "dot" + s.name
	g.raw(fmt.Sprintf("\n// func %s(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, alpha float64, tail int, accum int, mr int, nv int)\n", fn))
	g.raw(fmt.Sprintf("TEXT ·%s(SB), NOSPLIT, %s\n", fn, frame))
	g.args()
	g.p("MOVQ mr+80(FP), BX")
	g.p("MOVQ nv+88(FP), AX")
	var mrs []int
	for mr := s.dotMR; mr >= 1; mr-- {
		mrs = append(mrs, mr)
	}
	g.dispatch(fn, mrs, s.dotNR, "AX")
	g.p("RET")
	for mr := s.dotMR; mr >= 1; mr-- {
		for nr := 1; nr <= s.dotNR; nr++ {
			name := fmt.Sprintf("%s_m%d_n%d", fn, mr, nr)
			g.label(name)
			g.dotTile(s, mr, nr, name)
		}
	}
}

func main() {
	out := flag.String("o", "gemm_amd64.s", "output file")
	flag.Parse()
	var g gen
	g.raw("// Code generated by go run ./internal/gemmgen; DO NOT EDIT.\n\n")
	g.raw("//go:build amd64\n\n#include \"textflag.h\"\n\n")
	g.raw("// maskTable256 holds four all-ones quadwords then four zero ones: the\n")
	g.raw("// 32 bytes ending t quadwords into the ones are the VMASKMOVPD mask\n// of the first t lanes.\n")
	for i := 0; i < 8; i++ {
		v := "$0xffffffffffffffff"
		if i >= 4 {
			v = "$0"
		}
		g.raw(fmt.Sprintf("DATA maskTable256<>+%d(SB)/8, %s\n", 8*i, v))
	}
	g.raw("GLOBL maskTable256<>(SB), RODATA|NOPTR, $64\n")
	g.raw(`
// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET
`)
	for _, s := range []isa{avx512, avx2} {
		g.gemmFunc(s, 'N', false)
		g.gemmFunc(s, 'T', false)
		g.gemmFunc(s, 'P', true)
		g.spUpdateFunc(s)
		g.dotFunc(s)
	}
	if err := os.WriteFile(*out, g.b.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}

// spUpdateFunc emits spupd<isa>: for t in 0..n-1, row list[t] of C (rows
// ldc apart) gets sum_r p[t*lp+r] * B[r] added, B being an mr x (nv vectors)
// tile held in registers for the whole call (rows ldb apart), the terms
// added one fused multiply-add at a time in the order r = 0..mr-1. It is
// the backward product of the sparse step: the packed panel p of a tile of
// 8 batch rows (its union of columns, list) scattered back onto the rows
// of X^T dA, continuing each entry's chain where earlier tiles left it.
func (g *gen) spUpdateFunc(s isa) {
	fn := "spupd" + s.name
	R := s.reg
	g.raw(fmt.Sprintf("\n// func %s(n int, list *int32, p *float64, b *float64, ldb int, c *float64, ldc int, tail int, mr int, nv int, lp int)\n", fn))
	g.raw(fmt.Sprintf("TEXT ·%s(SB), NOSPLIT, $0-88\n", fn))
	g.p("MOVQ n+0(FP), CX")
	g.p("MOVQ list+8(FP), SI")
	g.p("MOVQ p+16(FP), DI")
	g.p("MOVQ b+24(FP), R8")
	g.p("MOVQ ldb+32(FP), R9")
	g.p("SHLQ $3, R9")
	g.p("MOVQ c+40(FP), DX")
	g.p("MOVQ ldc+48(FP), R10")
	g.p("SHLQ $3, R10")
	// Tail mask: K1 (AVX-512) or a pointer into maskTable256 in AX (AVX2).
	g.p("MOVQ tail+56(FP), BX")
	if s.vl == 8 {
		g.p("MOVL $1, AX")
		g.p("SHLXL BX, AX, AX")
		g.p("DECL AX")
		g.p("KMOVW AX, K1")
	} else {
		g.p("SHLQ $3, BX")
		g.p("LEAQ maskTable256<>+32(SB), AX")
		g.p("SUBQ BX, AX")
	}
	g.p("MOVQ mr+64(FP), BX")
	g.p("MOVQ nv+72(FP), R11")
	g.dispatch(fn, s.mrs, s.nvMax, "R11")
	g.p("VZEROUPPER")
	g.p("RET")
	for _, mr := range s.mrs {
		for nv := 1; nv <= s.nvMax; nv++ {
			name := fmt.Sprintf("%s_m%d_n%d", fn, mr, nv)
			bReg := func(r, v int) string { return fmt.Sprintf("%s%d", R, r*nv+v) }
			cReg := func(v int) string { return fmt.Sprintf("%s%d", R, mr*nv+v) }
			bc := fmt.Sprintf("%s%d", R, mr*nv+nv)
			if s.vl == 8 {
				bc = "Z31"
			}
			g.label(name)
			g.p("MOVQ lp+80(FP), R11") // the panel's step, in bytes
			g.p("SHLQ $3, R11")
			// The B tile into registers, row by row (R12 walks the rows).
			g.p("MOVQ R8, R12")
			for r := 0; r < mr; r++ {
				for v := 0; v < nv; v++ {
					off := 8 * s.vl * v
					switch {
					case v < nv-1:
						g.p("VMOVUPD %d(R12), %s", off, bReg(r, v))
					case s.vl == 8:
						g.p("VMOVUPD.Z %d(R12), K1, %s", off, bReg(r, v))
					default:
						g.p("VMOVDQU (AX), %s", bc)
						g.p("VMASKMOVPD %d(R12), %s, %s", off, bc, bReg(r, v))
					}
				}
				if r < mr-1 {
					g.p("ADDQ R9, R12")
				}
			}
			// One step: row list[t] of C at addr, into the registers cr,
			// the panel's entries for t at pOff(DI) broadcast into bcr.
			step := func(addr string, cr func(int) string, bcr string, second bool) {
				for v := 0; v < nv; v++ {
					off := 8 * s.vl * v
					switch {
					case v < nv-1:
						g.p("VMOVUPD %d(%s), %s", off, addr, cr(v))
					case s.vl == 8:
						g.p("VMOVUPD.Z %d(%s), K1, %s", off, addr, cr(v))
					default:
						g.p("VMOVDQU (AX), %s", bcr)
						g.p("VMASKMOVPD %d(%s), %s, %s", off, addr, bcr, cr(v))
					}
				}
				for r := 0; r < mr; r++ {
					if second {
						g.p("VBROADCASTSD %d(DI)(R11*1), %s", 8*r, bcr)
					} else {
						g.p("VBROADCASTSD %d(DI), %s", 8*r, bcr)
					}
					for v := 0; v < nv; v++ {
						g.p("VFMADD231PD %s, %s, %s", bReg(r, v), bcr, cr(v))
					}
				}
				for v := 0; v < nv; v++ {
					off := 8 * s.vl * v
					switch {
					case v < nv-1:
						g.p("VMOVUPD %s, %d(%s)", cr(v), off, addr)
					case s.vl == 8:
						g.p("VMOVUPD %s, K1, %d(%s)", cr(v), off, addr)
					default:
						g.p("VMOVDQU (AX), %s", bcr)
						g.p("VMASKMOVPD %s, %s, %d(%s)", cr(v), bcr, off, addr)
					}
				}
			}
			rowAddr := func(listOff int, reg string) {
				g.p("MOVL %d(SI), %s", listOff, reg)
				g.p("IMULQ R10, %s", reg)
				g.p("ADDQ DX, %s", reg)
			}
			if s.vl == 8 {
				// Two rows per iteration, each with its own chains, so
				// the multiply-add chains of one (mr long per entry)
				// overlap with the other's.
				cReg2 := func(v int) string { return fmt.Sprintf("Z%d", mr*nv+nv+v) }
				g.p("CMPQ CX, $2")
				g.p("JLT %s_one", name)
				g.p("PCALIGN $32")
				g.label(name + "_loop2")
				rowAddr(0, "R12")
				rowAddr(4, "BX")
				step("R12", cReg, "Z30", false)
				step("BX", cReg2, "Z31", true)
				g.p("ADDQ $8, SI")
				g.p("LEAQ (DI)(R11*2), DI")
				g.p("SUBQ $2, CX")
				g.p("CMPQ CX, $2")
				g.p("JGE %s_loop2", name)
				g.label(name + "_one")
				g.p("TESTQ CX, CX")
				g.p("JEQ %s_done", name)
				rowAddr(0, "R12")
				step("R12", cReg, "Z30", false)
			} else {
				g.p("TESTQ CX, CX")
				g.p("JEQ %s_done", name)
				g.p("PCALIGN $32")
				g.label(name + "_loop")
				rowAddr(0, "R12")
				step("R12", cReg, bc, false)
				g.p("ADDQ $4, SI")
				g.p("ADDQ R11, DI")
				g.p("DECQ CX")
				g.p("JNE %s_loop", name)
			}
			g.label(name + "_done")
			g.p("VZEROUPPER")
			g.p("RET")
		}
	}
}
