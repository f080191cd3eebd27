// Exact int16 × int16 GEMM micro-kernels (specs/kernel.md §3.4, "int16 path").
//
// C[m][n] = sum_k A[m][k] * W[n][k] in int64, exactly. Each activation is split as
// a = 256 * ah + al with ah = a >> 8 in [-128, 127] and al = a & 255 in [0, 255] (both as int16
// lanes); the two halves are multiplied by the int16 weights with non-saturating pair-products
// (vpdpwssd on AVX-512 VNNI, vpmaddwd + vpaddd on AVX2) into separate int32 lanes:
//   |al * w| <= 255 * 2^15, a pair < 2^24;  |ah * w| <= 2^7 * 2^15, a pair <= 2^23.
// After at most MESH_I16_STEPS = 64 pair steps per lane a lane holds < 64 * 2^24 = 2^30 < 2^31,
// so int32 never wraps; lanes are then widened and added into int64 (spilled) as
// 256 * sum(ah part) + sum(al part). vpdpwssds (saturating) is never used.
#include "CKernelSIMD.h"
#include <immintrin.h>

#define MESH_I16_STEPS 64

// One MR x NR tile: C[i][j] = sum_k A[i][k] * W[j][k] for i < mr, j < nr.
typedef void (*i16_tile_fn)(int mr, int nr, const int16_t *A, long lda, const int16_t *W, long ldw,
                            int64_t *C, long ldc, long K);

// The blocking shared by both paths: panels of 128 weight rows (kept in L2 while every pair of
// activation rows passes over them), tiles of up to 2 activation rows by nr1 (one row, decode)
// or nr2 (two rows) weight rows.
static void i16_drive(i16_tile_fn tile, int nr1, int nr2, const int16_t *A, long lda,
                      const int16_t *W, long ldw, int64_t *C, long ldc, long M, long N, long K) {
    const long NB = 128;
    for (long n0 = 0; n0 < N; n0 += NB) {
        const long n1 = n0 + NB < N ? n0 + NB : N;
        for (long m = 0; m < M; m += 2) {
            const int mr = (int)(M - m < 2 ? M - m : 2);
            const int nrMax = mr == 1 ? nr1 : nr2;
            for (long n = n0; n < n1; n += nrMax) {
                const int nr = (int)(n1 - n < nrMax ? n1 - n : nrMax);
                tile(mr, nr, A + m * lda, lda, W + n * ldw, ldw, C + m * ldc + n, ldc, K);
            }
        }
    }
}

// MARK: AVX-512 VNNI

#define VNNI16_TARGET \
    __attribute__((target("avx512f,avx512bw,avx512vnni"), always_inline)) static inline

VNNI16_TARGET int64_t vnni16_widen_sum(__m512i v) {
    const __m512i lo = _mm512_cvtepi32_epi64(_mm512_castsi512_si256(v));
    const __m512i hi = _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(v, 1));
    return _mm512_reduce_add_epi64(_mm512_add_epi64(lo, hi));
}

VNNI16_TARGET void vnni16_tile(const int MR, const int NR, const int16_t *A, long lda,
                               const int16_t *W, long ldw, int64_t *C, long ldc, long K) {
    int64_t sum[2][8];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) sum[i][j] = 0;
    const __m512i low8 = _mm512_set1_epi16(0xFF);
    const long block = 32L * MESH_I16_STEPS;  // K values per int32 lane spill
    for (long k0 = 0; k0 < K; k0 += block) {
        const long k1 = k0 + block < K ? k0 + block : K;
        __m512i ah[2][8], al[2][8];
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++) ah[i][j] = al[i][j] = _mm512_setzero_si512();
        for (long k = k0; k < k1; k += 32) {
            // Masked tail: W lanes beyond K load as 0, so their products vanish.
            const long left = k1 - k;
            const __mmask32 mask = left >= 32 ? (__mmask32)~0u : (__mmask32)((1u << left) - 1u);
            __m512i xh[2], xl[2], w[8];
            for (int i = 0; i < MR; i++) {
                const __m512i a = _mm512_maskz_loadu_epi16(mask, A + i * lda + k);
                xh[i] = _mm512_srai_epi16(a, 8);
                xl[i] = _mm512_and_si512(a, low8);
            }
            for (int j = 0; j < NR; j++) w[j] = _mm512_maskz_loadu_epi16(mask, W + j * ldw + k);
            for (int i = 0; i < MR; i++)
                for (int j = 0; j < NR; j++) {
                    ah[i][j] = _mm512_dpwssd_epi32(ah[i][j], xh[i], w[j]);
                    al[i][j] = _mm512_dpwssd_epi32(al[i][j], xl[i], w[j]);
                }
        }
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++)
                sum[i][j] += 256 * vnni16_widen_sum(ah[i][j]) + vnni16_widen_sum(al[i][j]);
    }
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) C[i * ldc + j] = sum[i][j];
}

#define VNNI16_CASE(mr, nr) \
    case (mr) * 16 + (nr): vnni16_tile(mr, nr, A, lda, W, ldw, C, ldc, K); break;

__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void vnni16_any_tile(int mr, int nr, const int16_t *A, long lda, const int16_t *W, long ldw,
                            int64_t *C, long ldc, long K) {
    switch (mr * 16 + nr) {
        VNNI16_CASE(1, 1) VNNI16_CASE(1, 2) VNNI16_CASE(1, 3) VNNI16_CASE(1, 4)
        VNNI16_CASE(1, 5) VNNI16_CASE(1, 6) VNNI16_CASE(1, 7) VNNI16_CASE(1, 8)
        VNNI16_CASE(2, 1) VNNI16_CASE(2, 2) VNNI16_CASE(2, 3) VNNI16_CASE(2, 4)
        default: break;
    }
}

void mesh_gemm_i16_vnni(const int16_t *A, long lda, const int16_t *W, long ldw, int64_t *C,
                        long ldc, long M, long N, long K) {
    // One row (decode): 8 weight rows in flight; two rows (prefill): 4 (32 zmm registers).
    i16_drive(vnni16_any_tile, 8, 4, A, lda, W, ldw, C, ldc, M, N, K);
}

// MARK: AVX2

#define AVX216_TARGET __attribute__((target("avx2"), always_inline)) static inline

AVX216_TARGET int64_t avx216_widen_sum(__m256i v) {
    const __m256i s = _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(v)),
                                       _mm256_cvtepi32_epi64(_mm256_extracti128_si256(v, 1)));
    const __m128i t = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    return _mm_cvtsi128_si64(t) + _mm_extract_epi64(t, 1);
}

AVX216_TARGET void avx216_tile(const int MR, const int NR, const int16_t *A, long lda,
                               const int16_t *W, long ldw, int64_t *C, long ldc, long K) {
    int64_t sum[2][2];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) sum[i][j] = 0;
    const __m256i low8 = _mm256_set1_epi16(0xFF);
    const long block = 16L * MESH_I16_STEPS;
    const long kv = K - K % 16;  // vector part; the tail is added in int64 below
    for (long k0 = 0; k0 < kv; k0 += block) {
        const long k1 = k0 + block < kv ? k0 + block : kv;
        __m256i ah[2][2], al[2][2];
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++) ah[i][j] = al[i][j] = _mm256_setzero_si256();
        for (long k = k0; k < k1; k += 16) {
            __m256i xh[2], xl[2], w[2];
            for (int i = 0; i < MR; i++) {
                const __m256i a = _mm256_loadu_si256((const __m256i *)(A + i * lda + k));
                xh[i] = _mm256_srai_epi16(a, 8);
                xl[i] = _mm256_and_si256(a, low8);
            }
            for (int j = 0; j < NR; j++) w[j] = _mm256_loadu_si256((const __m256i *)(W + j * ldw + k));
            for (int i = 0; i < MR; i++)
                for (int j = 0; j < NR; j++) {
                    ah[i][j] = _mm256_add_epi32(ah[i][j], _mm256_madd_epi16(xh[i], w[j]));
                    al[i][j] = _mm256_add_epi32(al[i][j], _mm256_madd_epi16(xl[i], w[j]));
                }
        }
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++)
                sum[i][j] += 256 * avx216_widen_sum(ah[i][j]) + avx216_widen_sum(al[i][j]);
    }
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) {
            int64_t s = sum[i][j];
            for (long t = kv; t < K; t++) s += (int64_t)A[i * lda + t] * (int64_t)W[j * ldw + t];
            C[i * ldc + j] = s;
        }
}

#define AVX216_CASE(mr, nr) \
    case (mr) * 4 + (nr): avx216_tile(mr, nr, A, lda, W, ldw, C, ldc, K); break;

__attribute__((target("avx2")))
static void avx216_any_tile(int mr, int nr, const int16_t *A, long lda, const int16_t *W, long ldw,
                            int64_t *C, long ldc, long K) {
    switch (mr * 4 + nr) {
        AVX216_CASE(1, 1) AVX216_CASE(1, 2) AVX216_CASE(2, 1) AVX216_CASE(2, 2)
        default: break;
    }
}

void mesh_gemm_i16_avx2(const int16_t *A, long lda, const int16_t *W, long ldw, int64_t *C,
                        long ldc, long M, long N, long K) {
    i16_drive(avx216_any_tile, 2, 2, A, lda, W, ldw, C, ldc, M, N, K);  // 16 ymm registers
}
