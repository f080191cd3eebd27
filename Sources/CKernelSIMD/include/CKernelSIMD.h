#ifndef CKERNELSIMD_H
#define CKERNELSIMD_H
#include <stdint.h>

/// Bit set of SIMD features usable on this CPU (and enabled by the OS): 1 = AVX2, 2 = AVX-512 VNNI.
uint32_t mesh_simd_features(void);

/// Exact int8 GEMM on AVX-512 VNNI (specs/kernel.md §3.4).
///
/// Computes, for m in [0, M) and n in [0, N):
///   C[m*ldc + n] = sum_{k<K} A[m*lda + k] * W[n*ldw + k]
/// exactly in int32 (the caller guarantees the true sum fits: K <= 65536).
/// A holds int8 values when a_unsigned == 0 (handled with the +128 offset trick: vpdpbusd on
/// (a + 128) then minus 128 * wsum[n]) or uint8 values when a_unsigned != 0 (no correction).
/// wsum[n] = sum_k W[n*ldw + k] (ignored when a_unsigned != 0; may be NULL then).
/// Only non-saturating instructions (vpdpbusd, vpaddd) are used. Requires
/// mesh_simd_features() & 2.
void mesh_gemm_i8_vnni(const void *A, long lda, int a_unsigned, const int8_t *W, long ldw,
                       const int32_t *wsum, int32_t *C, long ldc, long M, long N, long K);

/// Exact int8 GEMM on AVX2, same contract as mesh_gemm_i8_vnni (wsum unused).
/// Uses vpmovsxbw / vpmovzxbw + vpmaddwd + vpaddd only: each vpmaddwd pair sum is at most
/// 2 * 255 * 128 = 65280 in magnitude, far from its saturation case (-32768 * -32768 * 2);
/// vpmaddubsw (saturating) is never used. Requires mesh_simd_features() & 1.
void mesh_gemm_i8_avx2(const void *A, long lda, int a_unsigned, const int8_t *W, long ldw,
                       int32_t *C, long ldc, long M, long N, long K);

#endif
