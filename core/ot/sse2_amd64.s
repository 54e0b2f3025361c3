#include "textflag.h"

// func dot4(k []float32, v []float64) (s0, s1, s2, s3 float64)
TEXT ·dot4(SB), NOSPLIT, $0-80
	MOVQ k_base+0(FP), SI
	MOVQ k_len+8(FP), CX
	MOVQ v_base+24(FP), DI
	XORPD X0, X0 // lanes s0, s1
	XORPD X1, X1 // lanes s2, s3
	SHRQ $2, CX
	JZ dot4done

dot4loop:
	CVTPS2PD (SI), X2
	MOVUPD (DI), X3
	MULPD X3, X2
	ADDPD X2, X0
	CVTPS2PD 8(SI), X4
	MOVUPD 16(DI), X5
	MULPD X5, X4
	ADDPD X4, X1
	ADDQ $16, SI
	ADDQ $32, DI
	DECQ CX
	JNZ dot4loop

dot4done:
	MOVSD X0, s0+48(FP)
	MOVHPD X0, s1+56(FP)
	MOVSD X1, s2+64(FP)
	MOVHPD X1, s3+72(FP)
	RET

// func axpy4(y []float64, a float64, k []float32)
TEXT ·axpy4(SB), NOSPLIT, $0-56
	MOVQ y_base+0(FP), DI
	MOVSD a+24(FP), X0
	UNPCKLPD X0, X0 // a in both lanes
	MOVQ k_base+32(FP), SI
	MOVQ k_len+40(FP), CX
	SHRQ $2, CX
	JZ axpy4done

axpy4loop:
	CVTPS2PD (SI), X1
	MULPD X0, X1
	MOVUPD (DI), X2
	ADDPD X1, X2
	MOVUPD X2, (DI)
	CVTPS2PD 8(SI), X3
	MULPD X0, X3
	MOVUPD 16(DI), X4
	ADDPD X3, X4
	MOVUPD X4, 16(DI)
	ADDQ $16, SI
	ADDQ $32, DI
	DECQ CX
	JNZ axpy4loop

axpy4done:
	RET

// func tile4(x, y []float64, d int, out *[16]float64)
// The 16 dot products of rows x[0:d], x[d:2d], x[2d:3d], x[3d:4d] with
// columns y[0:d], …, y[3d:4d], row-major into out: lanes (a_r0, a_r1) and
// (a_r2, a_r3) of row r, each summing its terms in the order k = 0, 1, …
TEXT ·tile4(SB), NOSPLIT, $0-64
	MOVQ x_base+0(FP), SI
	MOVQ y_base+24(FP), DI
	MOVQ d+48(FP), CX
	MOVQ out+56(FP), DX
	MOVQ CX, R8
	SHLQ $3, R8         // a row's bytes
	LEAQ (R8)(R8*2), R9 // three rows' bytes
	XORPD X0, X0
	XORPD X1, X1
	XORPD X2, X2
	XORPD X3, X3
	XORPD X4, X4
	XORPD X5, X5
	XORPD X6, X6
	XORPD X7, X7
	TESTQ CX, CX
	JZ tile4done

tile4loop:
	MOVSD (DI), X8          // y0[k]
	MOVHPD (DI)(R8*1), X8   // y1[k]
	MOVSD (DI)(R8*2), X9    // y2[k]
	MOVHPD (DI)(R9*1), X9   // y3[k]

	MOVSD (SI), X10         // x0[k]
	UNPCKLPD X10, X10
	MOVAPD X10, X11
	MULPD X8, X10
	ADDPD X10, X0
	MULPD X9, X11
	ADDPD X11, X1

	MOVSD (SI)(R8*1), X10   // x1[k]
	UNPCKLPD X10, X10
	MOVAPD X10, X11
	MULPD X8, X10
	ADDPD X10, X2
	MULPD X9, X11
	ADDPD X11, X3

	MOVSD (SI)(R8*2), X10   // x2[k]
	UNPCKLPD X10, X10
	MOVAPD X10, X11
	MULPD X8, X10
	ADDPD X10, X4
	MULPD X9, X11
	ADDPD X11, X5

	MOVSD (SI)(R9*1), X10   // x3[k]
	UNPCKLPD X10, X10
	MOVAPD X10, X11
	MULPD X8, X10
	ADDPD X10, X6
	MULPD X9, X11
	ADDPD X11, X7

	ADDQ $8, SI
	ADDQ $8, DI
	DECQ CX
	JNZ tile4loop

tile4done:
	MOVUPD X0, 0(DX)
	MOVUPD X1, 16(DX)
	MOVUPD X2, 32(DX)
	MOVUPD X3, 48(DX)
	MOVUPD X4, 64(DX)
	MOVUPD X5, 80(DX)
	MOVUPD X6, 96(DX)
	MOVUPD X7, 112(DX)
	RET

// func dot4x2(ka, kb []float32, v []float64, out *[8]float64)
// dot4 of two rows at once: the running sums of ka in out[0:4], of kb in
// out[4:8], each lane's terms added in dot4's order; the two rows' four
// chains of additions are independent, so they overlap.
TEXT ·dot4x2(SB), NOSPLIT, $0-80
	MOVQ ka_base+0(FP), SI
	MOVQ ka_len+8(FP), CX
	MOVQ kb_base+24(FP), R8
	MOVQ v_base+48(FP), DI
	MOVQ out+72(FP), DX
	XORPD X0, X0 // ka: lanes s0, s1
	XORPD X1, X1 // ka: lanes s2, s3
	XORPD X5, X5 // kb: lanes s0, s1
	XORPD X7, X7 // kb: lanes s2, s3
	SHRQ $2, CX
	JZ dot4x2done

dot4x2loop:
	MOVUPD (DI), X8
	MOVUPD 16(DI), X9
	CVTPS2PD (SI), X2
	MULPD X8, X2
	ADDPD X2, X0
	CVTPS2PD 8(SI), X3
	MULPD X9, X3
	ADDPD X3, X1
	CVTPS2PD (R8), X4
	MULPD X8, X4
	ADDPD X4, X5
	CVTPS2PD 8(R8), X6
	MULPD X9, X6
	ADDPD X6, X7
	ADDQ $16, SI
	ADDQ $16, R8
	ADDQ $32, DI
	DECQ CX
	JNZ dot4x2loop

dot4x2done:
	MOVUPD X0, (DX)
	MOVUPD X1, 16(DX)
	MOVUPD X5, 32(DX)
	MOVUPD X7, 48(DX)
	RET

// func axpy4x2(y []float64, a float64, ka []float32, b float64, kb []float32)
// axpy4 of ka then of kb: y[j] = (y[j] + a·ka[j]) + b·kb[j], one load and
// one store of y for the two rows.
TEXT ·axpy4x2(SB), NOSPLIT, $0-88
	MOVQ y_base+0(FP), DI
	MOVSD a+24(FP), X0
	UNPCKLPD X0, X0 // a in both lanes
	MOVQ ka_base+32(FP), SI
	MOVQ ka_len+40(FP), CX
	MOVSD b+56(FP), X7
	UNPCKLPD X7, X7 // b in both lanes
	MOVQ kb_base+64(FP), R8
	SHRQ $2, CX
	JZ axpy4x2done

axpy4x2loop:
	CVTPS2PD (SI), X1
	MULPD X0, X1
	MOVUPD (DI), X2
	ADDPD X1, X2
	CVTPS2PD (R8), X5
	MULPD X7, X5
	ADDPD X5, X2
	MOVUPD X2, (DI)
	CVTPS2PD 8(SI), X3
	MULPD X0, X3
	MOVUPD 16(DI), X4
	ADDPD X3, X4
	CVTPS2PD 8(R8), X6
	MULPD X7, X6
	ADDPD X6, X4
	MOVUPD X4, 16(DI)
	ADDQ $16, SI
	ADDQ $16, R8
	ADDQ $32, DI
	DECQ CX
	JNZ axpy4x2loop

axpy4x2done:
	RET

// func scatter2(col []float64, a float64, sv []float32, sc []int32)
// col[sc[k]] += a·float64(sv[k]) for k < len(sc)&^1, in order: two products
// a step in SSE2, then each added to its column in scalar (the columns are
// ascending, so distinct; a later load sees an earlier store anyway).
TEXT ·scatter2(SB), NOSPLIT, $0-80
	MOVQ col_base+0(FP), DX
	MOVSD a+24(FP), X0
	UNPCKLPD X0, X0 // a in both lanes
	MOVQ sv_base+32(FP), SI
	MOVQ sc_base+56(FP), DI
	MOVQ sc_len+64(FP), CX
	SHRQ $1, CX
	JZ scatter2done

scatter2loop:
	MOVSD (SI), X1 // sv[k], sv[k+1]
	CVTPS2PD X1, X1
	MULPD X0, X1
	MOVLQSX (DI), AX
	MOVLQSX 4(DI), BX
	MOVSD (DX)(AX*8), X2
	ADDSD X1, X2
	MOVSD X2, (DX)(AX*8)
	UNPCKHPD X1, X1
	MOVSD (DX)(BX*8), X3
	ADDSD X1, X3
	MOVSD X3, (DX)(BX*8)
	ADDQ $8, SI
	ADDQ $8, DI
	DECQ CX
	JNZ scatter2loop

scatter2done:
	RET

// func scatter2w(col []float64, a float64, sv []float32, sc []uint16)
// scatter2 with 16-bit columns (zero-extended): the same products and
// additions in the same order.
TEXT ·scatter2w(SB), NOSPLIT, $0-80
	MOVQ col_base+0(FP), DX
	MOVSD a+24(FP), X0
	UNPCKLPD X0, X0 // a in both lanes
	MOVQ sv_base+32(FP), SI
	MOVQ sc_base+56(FP), DI
	MOVQ sc_len+64(FP), CX
	SHRQ $1, CX
	JZ scatter2wdone

scatter2wloop:
	MOVSD (SI), X1 // sv[k], sv[k+1]
	CVTPS2PD X1, X1
	MULPD X0, X1
	MOVWQZX (DI), AX
	MOVWQZX 2(DI), BX
	MOVSD (DX)(AX*8), X2
	ADDSD X1, X2
	MOVSD X2, (DX)(AX*8)
	UNPCKHPD X1, X1
	MOVSD (DX)(BX*8), X3
	ADDSD X1, X3
	MOVSD X3, (DX)(BX*8)
	ADDQ $8, SI
	ADDQ $4, DI
	DECQ CX
	JNZ scatter2wloop

scatter2wdone:
	RET
