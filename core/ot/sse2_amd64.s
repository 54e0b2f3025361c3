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
