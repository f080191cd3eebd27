// AVX2 int8 GEMM micro-kernels (specs/kernel.md §3.4). Exact: sign/zero extension to int16, then
// vpmaddwd (pair sums <= 65280 in magnitude, never saturating) and vpaddd. No vpmaddubsw.
#include "CKernelSIMD.h"
#include <immintrin.h>

#define AVX2_TARGET __attribute__((target("avx2"), always_inline)) static inline

AVX2_TARGET __m256i widen(const uint8_t *p, int is_unsigned) {
    const __m128i v = _mm_loadu_si128((const __m128i *)p);
    return is_unsigned ? _mm256_cvtepu8_epi16(v) : _mm256_cvtepi8_epi16(v);
}

AVX2_TARGET int32_t hsum(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
}

AVX2_TARGET void avx2_tile(const int MR, const int NR, const uint8_t *A, long lda, int au,
                           const int8_t *W, long ldw, int32_t *C, long ldc, long K) {
    __m256i acc[2][4];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) acc[i][j] = _mm256_setzero_si256();
    long k = 0;
    for (; k + 16 <= K; k += 16) {
        __m256i a[2], w[4];
        for (int i = 0; i < MR; i++) a[i] = widen(A + i * lda + k, au);
        for (int j = 0; j < NR; j++) w[j] = widen((const uint8_t *)(W + j * ldw + k), 0);
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++)
                acc[i][j] = _mm256_add_epi32(acc[i][j], _mm256_madd_epi16(a[i], w[j]));
    }
    for (int i = 0; i < MR; i++) {
        for (int j = 0; j < NR; j++) {
            uint32_t s = (uint32_t)hsum(acc[i][j]);
            for (long t = k; t < K; t++) {
                const int32_t av = au ? (int32_t)A[i * lda + t] : (int32_t)(int8_t)A[i * lda + t];
                s += (uint32_t)(av * (int32_t)W[j * ldw + t]);
            }
            C[i * ldc + j] = (int32_t)s;
        }
    }
}

#define AVX2_CASE(mr, nr)                                                                 \
    case (mr) * 8 + (nr):                                                                 \
        avx2_tile(mr, nr, a, lda, au, W + n * ldw, ldw, C + m * ldc + n, ldc, K);         \
        break;

__attribute__((target("avx2")))
void mesh_gemm_i8_avx2(const void *Av, long lda, int a_unsigned, const int8_t *W, long ldw,
                       int32_t *C, long ldc, long M, long N, long K) {
    const uint8_t *A = (const uint8_t *)Av;
    const int au = a_unsigned ? 1 : 0;
    const long NB = 128;
    for (long n0 = 0; n0 < N; n0 += NB) {
        const long n1 = n0 + NB < N ? n0 + NB : N;
        for (long m = 0; m < M; m += 2) {
            const int mr = (int)(M - m < 2 ? M - m : 2);
            const uint8_t *a = A + m * lda;
            for (long n = n0; n < n1; n += 4) {
                const int nr = (int)(n1 - n < 4 ? n1 - n : 4);
                switch (mr * 8 + nr) {
                    AVX2_CASE(1, 1) AVX2_CASE(1, 2) AVX2_CASE(1, 3) AVX2_CASE(1, 4)
                    AVX2_CASE(2, 1) AVX2_CASE(2, 2) AVX2_CASE(2, 3) AVX2_CASE(2, 4)
                    default: break;
                }
            }
        }
    }
}
