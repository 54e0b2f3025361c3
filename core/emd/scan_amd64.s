#include "textflag.h"

// func scanAVX2(vals []float64, idx []int32, steps int, row []float32, prices []float64, from int)
// Eight columns a step: VCVTPS2PD (exact) and VADDPD (rounded as ADDSD) give
// the scalar values float64(row[j]) + prices[j] and VCMPPD (LT) compares
// them with the root vals[0] (Y0, broadcast). A step with a value below it
// goes to its first such column, which sift inserts; the scan then goes on
// from the next column (the root has changed). The tail goes one column a
// step. The columns before from are skipped. Registers: SI row, DI prices,
// CX len(row), AX the column, R11 vals, R12 idx, R13 steps.
TEXT ·scanAVX2(SB), NOSPLIT, $0-112
	MOVQ vals_base+0(FP), R11
	MOVQ idx_base+24(FP), R12
	MOVQ steps+48(FP), R13
	MOVQ row_base+56(FP), SI
	MOVQ row_len+64(FP), CX
	MOVQ prices_base+80(FP), DI
	VBROADCASTSD (R11), Y0
	MOVQ from+104(FP), AX
	MOVQ CX, BX
	SUBQ $8, BX // last start of a full step

loop8:
	CMPQ AX, BX
	JGT tail
	VCVTPS2PD (SI)(AX*4), Y1
	VCVTPS2PD 16(SI)(AX*4), Y2
	VADDPD (DI)(AX*8), Y1, Y1
	VADDPD 32(DI)(AX*8), Y2, Y2
	VCMPPD $1, Y0, Y1, Y3
	VCMPPD $1, Y0, Y2, Y4
	VORPD Y3, Y4, Y5
	VPTEST Y5, Y5
	JNZ found8
	ADDQ $8, AX
	JMP loop8

found8:
	VMOVMSKPD Y3, DX
	VMOVMSKPD Y4, R8
	SHLQ $4, R8
	ORQ R8, DX
	BSFQ DX, DX
	ADDQ DX, AX
	CALL sift<>(SB)
	INCQ AX
	JMP loop8

tail:
	CMPQ AX, CX
	JGE done
	VCVTSS2SD (SI)(AX*4), X1, X1
	VADDSD (DI)(AX*8), X1, X1
	VUCOMISD X1, X0
	JBE next // not vals[0] > val (also when val is NaN)
	CALL sift<>(SB)

next:
	INCQ AX
	JMP tail

done:
	VZEROUPPER
	RET

// LEVEL is one level of sift: the value put at s is left in X3.
#define LEVEL \
	LEAQ 1(DX)(DX*1), R8 \ // l
	VMOVSD (R11)(R8*8), X2 \ // vals[l]
	VMOVSD 8(R11)(R8*8), X4 \ // vals[r]
	VUCOMISD X4, X2 \ // CF: vals[l] < vals[r] (the heap holds no NaN)
	LEAQ 1(R8), R9 \
	CMOVQCS R9, R8 \ // c
	VMAXSD X2, X4, X2 \ // vals[c]
	MOVL (R12)(R8*4), R10 \ // idx[c]
	VUCOMISD X1, X2 \ // HI: vals[c] > val
	VMAXSD X1, X2, X3 \ // vals[c] if it moves up, else val
	MOVL AX, R9 \
	CMOVLHI R10, R9 \
	VMOVSD X3, (R11)(DX*8) \
	MOVL R9, (R12)(DX*4) \
	CMOVQHI R8, DX

// sift: the value val at column AX (row SI, prices DI) replaces the heap's
// root and moves down R13 levels from s = 0 (DX): the larger child c of s
// (the left one unless the right is larger, SiftIn's rule) moves up to s
// and s = c if vals[c] > val; otherwise slot s receives val and j = AX
// again, and s stays (its children are no larger than val at every later
// level). Finally val and AX go to slot s. The values that move are chosen
// by VMAXSD, which returns its first source if it is larger, else its
// second: vals[c] = VMAXSD(vals[r], vals[l]) and the value at s =
// VMAXSD(vals[c], val), exactly SiftIn's comparisons. Y0 becomes the new
// root, the first level's value at s. Clobbers X1–X4, DX, R8–R10, R15.
TEXT sift<>(SB), NOSPLIT|NOFRAME, $0-0
	VCVTSS2SD (SI)(AX*4), X1, X1
	VADDSD (DI)(AX*8), X1, X1 // val
	XORQ DX, DX // s
	MOVQ R13, R15
	LEVEL
	VBROADCASTSD X3, Y0
	DECQ R15
	JZ last

more:
	LEVEL
	DECQ R15
	JNZ more

last:
	VMOVSD X1, (R11)(DX*8)
	MOVL AX, (R12)(DX*4)
	RET

// func minMax32AVX2(x []float32) (lo, hi float32, nan bool)
// Eight entries a step: VMINPS and VMAXPS return their first source when
// it is below (above) the second, else the second, so a NaN never enters
// the running lo and hi, as with MinMax32Go's comparisons; VCMPPS UNORD
// marks NaN entries. The lanes are then folded the same way, and the tail
// goes one entry a step. (Equal values may meet in another order: a
// zero's sign may differ from MinMax32Go's, its value does not.)
TEXT ·minMax32AVX2(SB), NOSPLIT, $0-33
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	MOVL $0x7f800000, AX
	MOVL AX, X0
	VBROADCASTSS X0, Y0 // lo: +Inf
	MOVL $0xff800000, AX
	MOVL AX, X1
	VBROADCASTSS X1, Y1 // hi: −Inf
	VXORPS Y2, Y2, Y2 // NaN marks
	XORQ AX, AX
	MOVQ CX, BX
	ANDQ $-8, BX

mm8:
	CMPQ AX, BX
	JGE mmfold
	VMOVUPS (SI)(AX*4), Y3
	VMINPS Y0, Y3, Y0
	VMAXPS Y1, Y3, Y1
	VCMPPS $3, Y3, Y3, Y4
	VORPS Y4, Y2, Y2
	ADDQ $8, AX
	JMP mm8

mmfold:
	VEXTRACTF128 $1, Y0, X3
	VMINPS X0, X3, X0
	VEXTRACTF128 $1, Y1, X3
	VMAXPS X1, X3, X1
	VMOVHLPS X0, X0, X3
	VMINPS X0, X3, X0
	VMOVHLPS X1, X1, X3
	VMAXPS X1, X3, X1
	VMOVSHDUP X0, X3
	VMINSS X0, X3, X0
	VMOVSHDUP X1, X3
	VMAXSS X1, X3, X1

mmtail:
	CMPQ AX, CX
	JGE mmdone
	VMOVSS (SI)(AX*4), X3
	VMINSS X0, X3, X0
	VMAXSS X1, X3, X1
	VCMPSS $3, X3, X3, X4
	VORPS Y4, Y2, Y2
	INCQ AX
	JMP mmtail

mmdone:
	VMOVMSKPS Y2, AX
	TESTL AX, AX
	SETNE DX
	VMOVSS X0, lo+24(FP)
	VMOVSS X1, hi+28(FP)
	MOVB DX, nan+32(FP)
	VZEROUPPER
	RET

// func maxSlackAVX2(row []float32, v []float64, ui float64) float64
// Four columns a step: (ui + v[j]) − float64(row[j]) as MaxSlackGo computes
// it, kept by VMAXPD (its first source when above the second, so a NaN
// never enters), then the lanes folded and the tail one column a step.
TEXT ·maxSlackAVX2(SB), NOSPLIT, $0-64
	MOVQ row_base+0(FP), SI
	MOVQ row_len+8(FP), CX
	MOVQ v_base+24(FP), DI
	VBROADCASTSD ui+48(FP), Y1
	MOVQ $0xfff0000000000000, AX
	MOVQ AX, X0
	VBROADCASTSD X0, Y0 // −Inf
	XORQ AX, AX
	MOVQ CX, BX
	ANDQ $-4, BX

ms4:
	CMPQ AX, BX
	JGE msfold
	VCVTPS2PD (SI)(AX*4), Y2
	VADDPD (DI)(AX*8), Y1, Y3
	VSUBPD Y2, Y3, Y3
	VMAXPD Y0, Y3, Y0
	ADDQ $4, AX
	JMP ms4

msfold:
	VEXTRACTF128 $1, Y0, X3
	VMAXPD X0, X3, X0
	VPERMILPD $1, X0, X3
	VMAXSD X0, X3, X0

mstail:
	CMPQ AX, CX
	JGE msdone
	VCVTSS2SD (SI)(AX*4), X2, X2
	VADDSD (DI)(AX*8), X1, X3
	VSUBSD X2, X3, X3
	VMAXSD X0, X3, X0
	INCQ AX
	JMP mstail

msdone:
	VMOVSD X0, ret+56(FP)
	VZEROUPPER
	RET
