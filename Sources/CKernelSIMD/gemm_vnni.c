// AVX-512 VNNI int8 GEMM micro-kernels (specs/kernel.md §3.4). Exact: integer-only, no saturation.
#include "CKernelSIMD.h"
#include <immintrin.h>

#define VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vnni"), always_inline)) static inline

VNNI_TARGET void vnni_tile(const int MR, const int NR, const uint8_t *A, long lda, int flip,
                           const int8_t *W, long ldw, const int32_t *wsum, int32_t *C, long ldc,
                           long K) {
    __m512i acc[4][4];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) acc[i][j] = _mm512_setzero_si512();
    const __m512i x80 = _mm512_set1_epi8((char)0x80);
    const __m512i zero = _mm512_setzero_si512();
    const __m512i fl = flip ? x80 : zero;
    long k = 0;
    for (; k + 64 <= K; k += 64) {
        __m512i a[4], w[4];
        for (int i = 0; i < MR; i++)
            a[i] = _mm512_xor_si512(_mm512_loadu_si512((const void *)(A + i * lda + k)), fl);
        for (int j = 0; j < NR; j++) w[j] = _mm512_loadu_si512((const void *)(W + j * ldw + k));
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++) acc[i][j] = _mm512_dpbusd_epi32(acc[i][j], a[i], w[j]);
    }
    if (k < K) {
        // Masked tail: W lanes beyond K load as 0, so their products vanish whatever A holds.
        const __mmask64 mask = (__mmask64)((~0ULL) >> (64 - (K - k)));
        __m512i a[4], w[4];
        for (int i = 0; i < MR; i++)
            a[i] = _mm512_xor_si512(_mm512_maskz_loadu_epi8(mask, A + i * lda + k), fl);
        for (int j = 0; j < NR; j++) w[j] = _mm512_maskz_loadu_epi8(mask, W + j * ldw + k);
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++) acc[i][j] = _mm512_dpbusd_epi32(acc[i][j], a[i], w[j]);
    }
    for (int i = 0; i < MR; i++) {
        for (int j = 0; j < NR; j++) {
            uint32_t s = (uint32_t)_mm512_reduce_add_epi32(acc[i][j]);
            if (flip) s -= 128u * (uint32_t)wsum[j];  // wrapping; the true result fits int32
            C[i * ldc + j] = (int32_t)s;
        }
    }
}

#define VNNI_CASE(mr, nr)                                                                   \
    case (mr) * 8 + (nr):                                                                   \
        vnni_tile(mr, nr, a, lda, flip, W + n * ldw, ldw, flip ? wsum + n : 0, C + m * ldc + n, \
                  ldc, K);                                                                  \
        break;

__attribute__((target("avx512f,avx512bw,avx512vnni")))
void mesh_gemm_i8_vnni(const void *Av, long lda, int a_unsigned, const int8_t *W, long ldw,
                       const int32_t *wsum, int32_t *C, long ldc, long M, long N, long K) {
    const uint8_t *A = (const uint8_t *)Av;
    const int flip = a_unsigned ? 0 : 1;
    const long NB = 128;  // W panel kept in L2
    for (long n0 = 0; n0 < N; n0 += NB) {
        const long n1 = n0 + NB < N ? n0 + NB : N;
        for (long m = 0; m < M; m += 4) {
            const int mr = (int)(M - m < 4 ? M - m : 4);
            const uint8_t *a = A + m * lda;
            for (long n = n0; n < n1; n += 4) {
                const int nr = (int)(n1 - n < 4 ? n1 - n : 4);
                switch (mr * 8 + nr) {
                    VNNI_CASE(1, 1) VNNI_CASE(1, 2) VNNI_CASE(1, 3) VNNI_CASE(1, 4)
                    VNNI_CASE(2, 1) VNNI_CASE(2, 2) VNNI_CASE(2, 3) VNNI_CASE(2, 4)
                    VNNI_CASE(3, 1) VNNI_CASE(3, 2) VNNI_CASE(3, 3) VNNI_CASE(3, 4)
                    VNNI_CASE(4, 1) VNNI_CASE(4, 2) VNNI_CASE(4, 3) VNNI_CASE(4, 4)
                    default: break;
                }
            }
        }
    }
}
