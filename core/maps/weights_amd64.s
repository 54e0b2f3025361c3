#include "textflag.h"

// func weightsAVX2(w []float64, c []float32, f []float64, k *weightConsts, tab *[64]float64)
// expWeight's operations in 4 lanes, in its order, each rounded as the Go
// code rounds it (no fused multiply-add): k's offsets are weightConsts'
// fields (32 bytes each).
TEXT ·weightsAVX2(SB), NOSPLIT, $0-88
	MOVQ w_base+0(FP), DX
	MOVQ c_base+24(FP), SI
	MOVQ c_len+32(FP), CX
	MOVQ f_base+48(FP), DI
	MOVQ k+72(FP), R8
	MOVQ tab+80(FP), R9
	SHRQ $2, CX
	JZ   done

loop:
	VCVTPS2PD (SI), Y0              // float64(c_i)
	VMULPD    0(R8), Y0, Y0         // ·inv
	VMOVUPD   (DI), Y1
	VSUBPD    Y0, Y1, Y1            // f_i − c_i·inv
	VSUBPD    32(R8), Y1, Y1        // − top
	VMULPD    64(R8), Y1, Y1        // e = (…)·ie
	VCMPPD    $0x1e, 96(R8), Y1, Y2 // e > −flush (GT_OQ: false for NaN)
	VMULPD    128(R8), Y1, Y3       // e·expInv
	VSUBPD    160(R8), Y3, Y3       // − 0.5
	VCVTTPD2DQY Y3, X4              // k = int(…), truncated
	VCVTDQ2PD X4, Y5                // float64(k)
	VMULPD    192(R8), Y5, Y6       // k·ln2Hi
	VSUBPD    Y6, Y1, Y6            // e − k·ln2Hi
	VMULPD    224(R8), Y5, Y7       // k·ln2Lo
	VSUBPD    Y7, Y6, Y6            // r
	VMULPD    256(R8), Y6, Y7       // r·c5
	VADDPD    288(R8), Y7, Y7       // c4 + …
	VMULPD    Y6, Y7, Y7
	VADDPD    320(R8), Y7, Y7       // c3 + …
	VMULPD    Y6, Y7, Y7
	VADDPD    352(R8), Y7, Y7       // c2 + …
	VMULPD    Y6, Y7, Y7
	VADDPD    384(R8), Y7, Y7       // 1 + …
	VMULPD    Y6, Y7, Y7            // p
	VPAND     416(R8), X4, X8       // k & 63
	VPCMPEQD  Y9, Y9, Y9
	VGATHERDPD Y9, (R9)(X8*8), Y10  // t = tab[k & 63]
	VPSRAD    $6, X4, X11           // k >> 6
	VPADDD    432(R8), X11, X11     // + 1023
	VPMOVSXDQ X11, Y11
	VPSLLQ    $52, Y11, Y11         // 2^(k >> 6)
	VMULPD    Y7, Y10, Y12          // t·p
	VADDPD    Y12, Y10, Y12         // t + t·p
	VMULPD    Y11, Y12, Y12         // ·2^(k >> 6)
	VANDPD    Y2, Y12, Y12          // 0 where flushed
	VMOVUPD   Y12, (DX)
	ADDQ $16, SI
	ADDQ $32, DI
	ADDQ $32, DX
	DECQ CX
	JNZ  loop
	VZEROUPPER

done:
	RET
