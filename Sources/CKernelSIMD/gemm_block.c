// Block-quantized GEMM micro-kernels (specs/kernel.md §3.5).
//
// C[m][r] = sum_b (S[r][b] * sum_{k in b} A[m][k] * c[r][k] + Z[r][b] * xsum[m][b]), exactly in
// int64, for blocks b of 32 columns, codes c in [0, 15] (4-bit) or [-128, 127] (8-bit), any int16
// S, Z and A. Overflow: one int32 lane sums one row's 32 products of a block,
// |sum| <= 32 * 2^15 * 2^7 = 2^27 < 2^31 (8-bit codes; 2^24 for 4-bit codes), so no lane wraps;
// every pair-product step adds at most 2 * 2^15 * 2^7 = 2^23, far from vpmaddwd's one wrapping
// case (-2^15 * -2^15 * 2). The block terms are then formed in int64 (vpmuldq on sign-extended
// int32): |S * sum| <= 2^15 * 2^27 = 2^42, |Z * xsum| <= 2^15 * 2^20 = 2^35, and at most
// 2^16 / 32 = 2^11 blocks give |C| < 2^54. Saturating instructions are never used.
//
// Weights come in the packed layout of BlockWeights.pack (Sources/Kernel/Model/BlockWeights.swift):
// per group of 16 rows and per block, a record of the 16 x 32 codes as 16 pair steps (step p:
// 32 bytes, byte 2l + h = row l's code of column 2p + h; 4-bit codes: step 4q + s in the low (s <
// 2) or high nibbles of chunk q's bytes [32 (s & 1), 32 (s & 1) + 32)), then S[16], Z[16] int16.
#include "CKernelSIMD.h"
#include <immintrin.h>
#include <string.h>

#define MESH_BLOCK_MT 32  // tokens per tile: the codes of a record are unpacked once per tile

static inline int32_t load_pair(const int16_t *x) {
    int32_t v;
    memcpy(&v, x, 4);
    return v;
}

void mesh_block_sums(const int16_t *A, long lda, long M, long nb, int32_t *out) {
    for (long m = 0; m < M; m++)
        for (long b = 0; b < nb; b++) {
            int32_t s = 0;  // |s| <= 32 * 2^15 = 2^20
            for (int k = 0; k < 32; k++) s += A[m * lda + 32 * b + k];
            out[m * nb + b] = s;
        }
}

// Writes the int64 results of one tile: even[i][j] holds row 2j, odd[i][j] row 2j + 1.
static inline void store_rows(int64_t even[][8], int64_t odd[][8], long mt, long nr, int64_t *C,
                              long ldc) {
    for (long i = 0; i < mt; i++)
        for (long l = 0; l < nr; l++) C[i * ldc + l] = (l & 1) ? odd[i][l >> 1] : even[i][l >> 1];
}

// MARK: AVX-512 VNNI

#define BLK512 __attribute__((target("avx512f,avx512bw,avx512vnni"), always_inline)) static inline

BLK512 void unpack_codes512(int bits, const uint8_t *rec, __m512i c[16]) {
    if (bits == 4) {
        const __m512i nib = _mm512_set1_epi8(0x0F);
        for (int q = 0; q < 4; q++) {
            const __m512i p = _mm512_loadu_si512((const void *)(rec + 64 * q));
            const __m512i lo = _mm512_and_si512(p, nib);
            const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(p, 4), nib);
            c[4 * q + 0] = _mm512_cvtepu8_epi16(_mm512_castsi512_si256(lo));
            c[4 * q + 1] = _mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(lo, 1));
            c[4 * q + 2] = _mm512_cvtepu8_epi16(_mm512_castsi512_si256(hi));
            c[4 * q + 3] = _mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(hi, 1));
        }
    } else {
        for (int p = 0; p < 16; p++)
            c[p] = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(rec + 32 * p)));
    }
}

BLK512 void block512(const int bits, const int16_t *A, long lda, const int32_t *xsum, long nb,
                     const uint8_t *P, int64_t *C, long ldc, long M, long G, long rows) {
    const long rec = (bits == 4 ? 256 : 512) + 64;
    int64_t even[MESH_BLOCK_MT][8] __attribute__((aligned(64)));
    int64_t odd[MESH_BLOCK_MT][8] __attribute__((aligned(64)));
    for (long g = 0; g < G; g++) {
        const uint8_t *gp = P + g * nb * rec;
        const long nr = rows - 16 * g < 16 ? rows - 16 * g : 16;
        for (long m0 = 0; m0 < M; m0 += MESH_BLOCK_MT) {
            const long mt = M - m0 < MESH_BLOCK_MT ? M - m0 : MESH_BLOCK_MT;
            for (long i = 0; i < mt; i++) {
                _mm512_store_si512((void *)even[i], _mm512_setzero_si512());
                _mm512_store_si512((void *)odd[i], _mm512_setzero_si512());
            }
            for (long b = 0; b < nb; b++) {
                const uint8_t *r = gp + b * rec;
                __m512i c[16];
                unpack_codes512(bits, r, c);
                const __m512i S = _mm512_cvtepi16_epi32(_mm256_loadu_si256((const __m256i *)(r + rec - 64)));
                const __m512i Z = _mm512_cvtepi16_epi32(_mm256_loadu_si256((const __m256i *)(r + rec - 32)));
                const __m512i So = _mm512_srli_epi64(S, 32);
                const __m512i Zo = _mm512_srli_epi64(Z, 32);
                for (long i = 0; i < mt; i++) {
                    const int16_t *x = A + (m0 + i) * lda + 32 * b;
                    // Four independent chains (each lane's partial sums stay below the block bound).
                    __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
                    for (int p = 0; p < 16; p += 4) {
                        s0 = _mm512_dpwssd_epi32(s0, c[p + 0], _mm512_set1_epi32(load_pair(x + 2 * p + 0)));
                        s1 = _mm512_dpwssd_epi32(s1, c[p + 1], _mm512_set1_epi32(load_pair(x + 2 * p + 2)));
                        s2 = _mm512_dpwssd_epi32(s2, c[p + 2], _mm512_set1_epi32(load_pair(x + 2 * p + 4)));
                        s3 = _mm512_dpwssd_epi32(s3, c[p + 3], _mm512_set1_epi32(load_pair(x + 2 * p + 6)));
                    }
                    const __m512i s = _mm512_add_epi32(_mm512_add_epi32(s0, s1), _mm512_add_epi32(s2, s3));
                    const __m512i xs = _mm512_set1_epi32(xsum[(m0 + i) * nb + b]);
                    const __m512i e = _mm512_add_epi64(_mm512_mul_epi32(s, S), _mm512_mul_epi32(Z, xs));
                    const __m512i o = _mm512_add_epi64(
                        _mm512_mul_epi32(_mm512_srli_epi64(s, 32), So), _mm512_mul_epi32(Zo, xs));
                    _mm512_store_si512((void *)even[i], _mm512_add_epi64(_mm512_load_si512(even[i]), e));
                    _mm512_store_si512((void *)odd[i], _mm512_add_epi64(_mm512_load_si512(odd[i]), o));
                }
            }
            store_rows(even, odd, mt, nr, C + m0 * ldc + 16 * g, ldc);
        }
    }
}

__attribute__((target("avx512f,avx512bw,avx512vnni")))
void mesh_gemm_block_vnni(const int16_t *A, long lda, const int32_t *xsum, long nb, const uint8_t *P,
                          int code_bits, int64_t *C, long ldc, long M, long G, long rows) {
    if (code_bits == 4)
        block512(4, A, lda, xsum, nb, P, C, ldc, M, G, rows);
    else
        block512(8, A, lda, xsum, nb, P, C, ldc, M, G, rows);
}

// MARK: AVX2

#define BLK256 __attribute__((target("avx2"), always_inline)) static inline

// Row halves (rows 0-7 and 8-15) of pair step p as int16 codes.
BLK256 void step_codes256(int bits, const uint8_t *rec, int p, __m256i *c0, __m256i *c1) {
    if (bits == 4) {
        const int q = p >> 2, s = p & 3;
        const uint8_t *at = rec + 64 * q + 32 * (s & 1);
        __m128i v0 = _mm_loadu_si128((const __m128i *)at);
        __m128i v1 = _mm_loadu_si128((const __m128i *)(at + 16));
        if (s >> 1) {
            v0 = _mm_srli_epi16(v0, 4);
            v1 = _mm_srli_epi16(v1, 4);
        }
        const __m128i nib = _mm_set1_epi8(0x0F);
        *c0 = _mm256_cvtepu8_epi16(_mm_and_si128(v0, nib));
        *c1 = _mm256_cvtepu8_epi16(_mm_and_si128(v1, nib));
    } else {
        *c0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(rec + 32 * p)));
        *c1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(rec + 32 * p + 16)));
    }
}

BLK256 void block256(const int bits, const int16_t *A, long lda, const int32_t *xsum, long nb,
                     const uint8_t *P, int64_t *C, long ldc, long M, long G, long rows) {
    const long rec = (bits == 4 ? 256 : 512) + 64;
    int64_t even[1][8], odd[1][8];
    for (long g = 0; g < G; g++) {
        const uint8_t *gp = P + g * nb * rec;
        const long nr = rows - 16 * g < 16 ? rows - 16 * g : 16;
        for (long m = 0; m < M; m++) {
            __m256i ae0 = _mm256_setzero_si256(), ao0 = ae0, ae1 = ae0, ao1 = ae0;
            for (long b = 0; b < nb; b++) {
                const uint8_t *r = gp + b * rec;
                const int16_t *x = A + m * lda + 32 * b;
                __m256i s0 = _mm256_setzero_si256(), s1 = s0;
                for (int p = 0; p < 16; p++) {
                    __m256i c0, c1;
                    step_codes256(bits, r, p, &c0, &c1);
                    const __m256i xv = _mm256_set1_epi32(load_pair(x + 2 * p));
                    s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(c0, xv));
                    s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(c1, xv));
                }
                const __m256i S0 = _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(r + rec - 64)));
                const __m256i S1 = _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(r + rec - 48)));
                const __m256i Z0 = _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(r + rec - 32)));
                const __m256i Z1 = _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(r + rec - 16)));
                const __m256i xs = _mm256_set1_epi32(xsum[m * nb + b]);
                ae0 = _mm256_add_epi64(ae0, _mm256_add_epi64(_mm256_mul_epi32(s0, S0), _mm256_mul_epi32(Z0, xs)));
                ae1 = _mm256_add_epi64(ae1, _mm256_add_epi64(_mm256_mul_epi32(s1, S1), _mm256_mul_epi32(Z1, xs)));
                ao0 = _mm256_add_epi64(
                    ao0, _mm256_add_epi64(
                             _mm256_mul_epi32(_mm256_srli_epi64(s0, 32), _mm256_srli_epi64(S0, 32)),
                             _mm256_mul_epi32(_mm256_srli_epi64(Z0, 32), xs)));
                ao1 = _mm256_add_epi64(
                    ao1, _mm256_add_epi64(
                             _mm256_mul_epi32(_mm256_srli_epi64(s1, 32), _mm256_srli_epi64(S1, 32)),
                             _mm256_mul_epi32(_mm256_srli_epi64(Z1, 32), xs)));
            }
            _mm256_storeu_si256((__m256i *)&even[0][0], ae0);
            _mm256_storeu_si256((__m256i *)&even[0][4], ae1);
            _mm256_storeu_si256((__m256i *)&odd[0][0], ao0);
            _mm256_storeu_si256((__m256i *)&odd[0][4], ao1);
            store_rows(even, odd, 1, nr, C + m * ldc + 16 * g, ldc);
        }
    }
}

__attribute__((target("avx2")))
void mesh_gemm_block_avx2(const int16_t *A, long lda, const int32_t *xsum, long nb, const uint8_t *P,
                          int code_bits, int64_t *C, long ldc, long M, long G, long rows) {
    if (code_bits == 4)
        block256(4, A, lda, xsum, nb, P, C, ldc, M, G, rows);
    else
        block256(8, A, lda, xsum, nb, P, C, ldc, M, G, rows);
}
