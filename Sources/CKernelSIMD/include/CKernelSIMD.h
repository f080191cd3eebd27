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

/// Exact int16 GEMM on AVX-512 VNNI (specs/kernel.md §3.4, int16 path).
///
/// Computes, for m in [0, M) and n in [0, N):
///   C[m*ldc + n] = sum_{k<K} A[m*lda + k] * W[n*ldw + k]
/// exactly in int64, for any int16 A and W (-32768 included) and K <= 2^16. Each activation is
/// split into 256 * (a >> 8) + (a & 255); each half meets the weights through vpdpwssd
/// (non-saturating) in int32 lanes that are widened into int64 every 64 pair steps, before any
/// lane can reach 2^31 (|pair| < 2^24, 64 * 2^24 = 2^30). Requires mesh_simd_features() & 2.
void mesh_gemm_i16_vnni(const int16_t *A, long lda, const int16_t *W, long ldw, int64_t *C,
                        long ldc, long M, long N, long K);

/// Exact int16 GEMM on AVX2, same contract as mesh_gemm_i16_vnni (vpmaddwd + vpaddd on the
/// same split, spilled every 64 steps; K % 16 tail in int64). Requires mesh_simd_features() & 1.
void mesh_gemm_i16_avx2(const int16_t *A, long lda, const int16_t *W, long ldw, int64_t *C,
                        long ldc, long M, long N, long K);

/// Block sums of int16 activations (specs/kernel.md §3.5): out[m*nb + b] = sum of
/// A[m*lda + 32b ... 32b + 31] for m in [0, M), b in [0, nb); |out| <= 2^20.
void mesh_block_sums(const int16_t *A, long lda, long M, long nb, int32_t *out);

/// Exact block-quantized GEMM on AVX-512 VNNI (specs/kernel.md §3.5).
///
/// For m in [0, M) and the `rows` (<= 16 * G) rows of the G packed groups at P (BlockWeights.pack
/// layout, code_bits 4 or 8, nb blocks per row):
///   C[m*ldc + r] = sum_b (S[r][b] * sum_{k in b} A[m*lda + k] * c[r][k] + Z[r][b] * xsum[m*nb + b])
/// exactly in int64, for any int16 A, S, Z (xsum from mesh_block_sums). One int32 lane sums one
/// row's block (|lane| <= 2^27, never wraps; vpdpwssd, not vpdpwssds); block terms are formed and
/// summed in int64 (|C| < 2^54). Requires mesh_simd_features() & 2.
void mesh_gemm_block_vnni(const int16_t *A, long lda, const int32_t *xsum, long nb, const uint8_t *P,
                          int code_bits, int64_t *C, long ldc, long M, long G, long rows);

/// Exact block-quantized GEMM on AVX2, same contract as mesh_gemm_block_vnni (vpmaddwd +
/// vpaddd: pair sums <= 2^23, far from its one wrapping case). Requires mesh_simd_features() & 1.
void mesh_gemm_block_avx2(const int16_t *A, long lda, const int32_t *xsum, long nb, const uint8_t *P,
                          int code_bits, int64_t *C, long ldc, long M, long G, long rows);

/// A task of a parallel run: called once per index in [0, tasks).
typedef void (*mesh_task_fn)(void *ctx, long index);

/// Runs fn(ctx, i) for i in [0, tasks) on the persistent pool of `threads` participants (created
/// on first use, kept for the process). The caller and the workers claim tasks one at a time, so
/// a descheduled worker delays only a task it has started; returns when every task has finished.
///
/// Returns 1 if the pool ran the tasks, 0 if they ran inline on the calling thread, one after the
/// other: when threads <= 1, tasks == 1, tasks > 65535, or the pool is busy (another caller or a
/// nested run). Which thread runs a task never matters to the caller: tasks own disjoint outputs.
int mesh_parallel_run(int threads, long tasks, mesh_task_fn fn, void *ctx);

/// specs/kernel.md §2.1 mulRoundShift(a, b, s): roundShift of the exact 128-bit product, s capped
/// at 126, results saturated to [-2^62, 2^62]. Requires |a| < 2^63, 0 <= b < 2^62.
int64_t mesh_mul_round_shift(int64_t a, int64_t b, int s);

/// specs/kernel.md §5.1 after the GEMM, for acc [T, N]: per element
///   y = sat32(mulRoundShift(acc, mant[t] * M[o], sh[o] - exps[t])); y = sat32(y + bias[o]);
///   y = lut(y) (§5.4, table of 2049 entries); y = sat32(y + residual[t*N + o]).
/// scales holds (M, sh) int32 pairs per row. bias, table, residual may be NULL (step skipped).
void mesh_dense_finish(const int64_t *acc, long T, long N, const int32_t *mant,
                       const int32_t *exps, const int32_t *scales, const int32_t *bias,
                       const int32_t *table, const int32_t *residual, int32_t *out);

/// specs/kernel.md §3.3 quantizeToken for T rows of W Q16 values: q [T, W] with |q| <= amax
/// (amax = 127 or 32767), mant_out[t] in {0} or [1, 256], exp_out[t] >= 0.
void mesh_quantize_rows(const int32_t *z, long T, long W, int64_t amax, int16_t *q,
                        int32_t *mant_out, int32_t *exp_out);

/// specs/kernel.md §5.5 for one query head over `visible` >= 1 positions: norm16 of the Q16
/// query (D <= 256 values), scores against int16 keys (position j at keys + j * key_stride, its
/// shift at key_shifts[j * shift_stride]), softmax through exp_table (1025 entries, Q30),
/// probability-weighted sum of Q16 values (values + j * value_stride). scratch holds `visible`
/// int64; out receives D Q16 values.
void mesh_attention_head(const int32_t *query, long D, const int16_t *keys, long key_stride,
                         const int32_t *key_shifts, long shift_stride, const int32_t *values,
                         long value_stride, long visible, int32_t scale_m, int32_t scale_sh,
                         const int32_t *exp_table, int64_t *scratch, int32_t *out);

/// specs/kernel.md §5.2 RMSNorm of T rows of W Q16 values (W <= 2^16) with Q16 gamma:
/// out[t][i] = sat32(divRound(y_i * gamma_i, isqrt(v))), rows of zeros stay zero. Requires
/// eps_q32 >= 0 (then the root is at least 2^14).
void mesh_rmsnorm_rows(const int32_t *x, long T, long W, const int32_t *gamma, int64_t eps_q32,
                       int32_t *out);

#endif
