// Per-token integer work in C, bit-identical to the Swift reference (specs/kernel.md §2, §3.3,
// §5.1, §5.4, §5.5). Integer-only; every rounding is roundShift / divRound as specified.
#include "CKernelSIMD.h"

#define LIMIT62 ((int64_t)1 << 62)

// Loops that vectorize are compiled for AVX-512, AVX2 and baseline x86-64 and picked at load
// time (ifunc); integer arithmetic gives the same bits on each.
#if defined(__linux__) && defined(__x86_64__)
#define MESH_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define MESH_CLONES
#endif
#define BOUND32 ((int64_t)2147483647)

static inline int32_t sat32(int64_t x) {
    return (int32_t)(x < -BOUND32 ? -BOUND32 : (x > BOUND32 ? BOUND32 : x));
}

// §2.1 roundShift for |x| < 2^62 (half toward +inf; left shifts saturate to ±2^62).
static inline int64_t round_shift(int64_t x, int s) {
    if (s >= 63) return 0;
    if (s >= 1) return (int64_t)((uint64_t)x + ((uint64_t)1 << (s - 1))) >> s;
    if (s == 0) return x;
    const int l = -s < 62 ? -s : 62;
    if (x > (LIMIT62 >> l)) return LIMIT62;
    if (x < -(LIMIT62 >> l)) return -LIMIT62;
    return (int64_t)((uint64_t)x << l);
}

int64_t mesh_mul_round_shift(int64_t a, int64_t b, int s) {
    const __int128 p = (__int128)a * (__int128)b;
    if (p >= -(__int128)LIMIT62 && p < (__int128)LIMIT62) return round_shift((int64_t)p, s < 63 ? s : 63);
    if (s <= 0) return p < 0 ? -LIMIT62 : LIMIT62;
    const int t = s < 126 ? s : 126;
    const __int128 q = (p + ((__int128)1 << (t - 1))) >> t;  // |p| < 2^126: no overflow
    if (q > (__int128)LIMIT62) return LIMIT62;
    if (q < -(__int128)LIMIT62) return -LIMIT62;
    return (int64_t)q;
}

static inline int64_t floor_div(int64_t a, int64_t b) {
    const int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

static inline int bit_length(uint64_t m) { return m == 0 ? 0 : 64 - __builtin_clzll(m); }

// max_i |v_i| over n int32 values, as a magnitude (2^31 for INT32_MIN).
static inline uint64_t max_abs32(const int32_t *v, long n) {
    uint64_t m = 0;
    for (long i = 0; i < n; i++) {
        const int64_t x = v[i];
        const uint64_t a = (uint64_t)(x < 0 ? -x : x);
        m = a > m ? a : m;
    }
    return m;
}

static inline int32_t lut(int32_t x, const int32_t *table) {
    const int32_t lo = -16 * 65536;
    if (x < lo) return 0;
    if (x >= 16 * 65536) return x;
    const int32_t u = x - lo;
    const int i = u >> 10;
    const int64_t f = u & 1023;
    const int64_t a = table[i], b = table[i + 1];
    return (int32_t)(a + round_shift((b - a) * f, 10));
}

MESH_CLONES
void mesh_dense_finish(const int64_t *acc, long T, long N, const int32_t *mant,
                       const int32_t *exps, const int32_t *scales, const int32_t *bias,
                       const int32_t *table, const int32_t *residual, int32_t *out) {
    for (long t = 0; t < T; t++) {
        const int64_t m = mant[t];
        const int e = exps[t];
        for (long o = 0; o < N; o++) {
            const long i = t * N + o;
            const int64_t y0 = mesh_mul_round_shift(acc[i], m * (int64_t)scales[2 * o],
                                                    (int)scales[2 * o + 1] - e);
            int32_t y = sat32(y0);
            if (bias) y = sat32((int64_t)y + bias[o]);
            if (table) y = lut(y, table);
            if (residual) y = sat32((int64_t)y + residual[i]);
            out[i] = y;
        }
    }
}

MESH_CLONES
void mesh_quantize_rows(const int32_t *z, long T, long W, int64_t amax, int16_t *q,
                        int32_t *mant_out, int32_t *exp_out) {
    for (long t = 0; t < T; t++) {
        const int32_t *row = z + t * W;
        int16_t *qr = q + t * W;
        const uint64_t m = max_abs32(row, W);
        if (m == 0) {
            for (long i = 0; i < W; i++) qr[i] = 0;
            mant_out[t] = 0;
            exp_out[t] = 0;
            continue;
        }
        const int e = bit_length(m) - 8 > 0 ? bit_length(m) - 8 : 0;
        const int64_t mant = (int64_t)((m + ((uint64_t)1 << e) - 1) >> e);
        const int64_t den = mant << e;
        // divRound(amax * z, den) = floorDiv(2 amax z + den, mant * 2^(e+1))
        //                         = floorDiv((2 amax z + den) >> (e + 1), mant)   (nested floors)
        // and |(2 amax z + den) >> (e + 1)| < 2^23: an int32 division by mant in [1, 256].
        for (long i = 0; i < W; i++) {
            const int32_t x = (int32_t)((2 * amax * (int64_t)row[i] + den) >> (e + 1));
            const int32_t d = (int32_t)mant;
            int32_t r = x / d;
            if (x % d != 0 && x < 0) r -= 1;
            qr[i] = (int16_t)r;
        }
        mant_out[t] = (int32_t)mant;
        exp_out[t] = e;
    }
}

static inline int64_t expq(int64_t d, const int32_t *table) {
    if (d >= 16 * 65536) return 0;
    const long i = (long)(d >> 10);
    const int64_t f = d & 1023;
    const int64_t a = table[i], b = table[i + 1];
    return a + round_shift((b - a) * f, 10);
}

MESH_CLONES
void mesh_attention_head(const int32_t *query, long D, const int16_t *keys, long key_stride,
                         const int32_t *key_shifts, long shift_stride, const int32_t *values,
                         long value_stride, long visible, int32_t scale_m, int32_t scale_sh,
                         const int32_t *exp_table, int64_t *scratch, int32_t *out) {
    // norm16(q)
    const uint64_t m = max_abs32(query, D);
    const int eq = bit_length(m) - 15 > 0 ? bit_length(m) - 15 : 0;
    int16_t q[256];
    for (long i = 0; i < D; i++) q[i] = (int16_t)(query[i] >> eq);
    int64_t mx = INT64_MIN;
    for (long j = 0; j < visible; j++) {
        const int16_t *k = keys + j * key_stride;
        int64_t dot = 0;
        for (long i = 0; i < D; i++) dot += (int64_t)((int32_t)q[i] * (int32_t)k[i]);
        const int ek = key_shifts[j * shift_stride];
        const int64_t s = sat32(round_shift(dot * (int64_t)scale_m, (int)scale_sh - eq - ek));
        scratch[j] = s;
        mx = s > mx ? s : mx;
    }
    int64_t sum = 0;
    for (long j = 0; j < visible; j++) {
        const int64_t ex = expq(mx - scratch[j], exp_table);
        scratch[j] = ex;
        sum += ex;
    }
    const int64_t inv = ((int64_t)1 << 60) / sum;
    int64_t acc[256];
    for (long i = 0; i < D; i++) acc[i] = 0;
    for (long j = 0; j < visible; j++) {
        const int64_t p = round_shift(scratch[j] * inv, 45);
        if (p == 0) continue;
        const int32_t *v = values + j * value_stride;
        for (long i = 0; i < D; i++) acc[i] += p * (int64_t)v[i];
    }
    for (long i = 0; i < D; i++) out[i] = sat32(round_shift(acc[i], 15));
}

// §2.3: floor(sqrt(v)), bit-by-bit restoring (0 for v <= 0).
static int64_t isqrt64(int64_t v) {
    if (v <= 0) return 0;
    uint64_t rem = (uint64_t)v, root = 0, bit = (uint64_t)1 << 62;
    while (bit > rem) bit >>= 2;
    while (bit != 0) {
        if (rem >= root + bit) {
            rem -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    return (int64_t)root;
}

MESH_CLONES
void mesh_rmsnorm_rows(const int32_t *x, long T, long W, const int32_t *gamma, int64_t eps_q32,
                       int32_t *out) {
    const int64_t eps = eps_q32 < LIMIT62 ? eps_q32 : LIMIT62;
    for (long t = 0; t < T; t++) {
        const int32_t *row = x + t * W;
        int32_t *o = out + t * W;
        const uint64_t m = max_abs32(row, W);
        if (m == 0) {
            for (long i = 0; i < W; i++) o[i] = 0;
            continue;
        }
        const int s0 = bit_length(m) - 23;  // in [-22, 9]: |x| < 2^32
        int64_t ss = 0;
        for (long i = 0; i < W; i++) {
            const int64_t y = s0 >= 0 ? (int64_t)row[i] >> s0 : (int64_t)row[i] * ((int64_t)1 << -s0);
            ss += y * y;  // < 2^46 per term, W <= 2^16 terms
        }
        const int64_t ms = ss / W;
        int64_t v = ms + round_shift(eps, 2 * s0);
        v = v < LIMIT62 ? v : LIMIT62;
        const int64_t r = isqrt64(v);  // >= 2^14 when eps >= 0 (ms >= 2^44 / W)
        for (long i = 0; i < W; i++) {
            const int64_t y = s0 >= 0 ? (int64_t)row[i] >> s0 : (int64_t)row[i] * ((int64_t)1 << -s0);
            o[i] = sat32(floor_div(2 * (y * gamma[i]) + r, 2 * r));
        }
    }
}
