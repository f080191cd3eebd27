#include "CMontgomeryReference.h"

typedef unsigned __int128 u128;

void mesh_montgomery_mul_4limb(uint64_t out[4], const uint64_t a[4], const uint64_t b[4],
                               const uint64_t p[4], uint64_t n_prime) {
    uint64_t t[6] = {0, 0, 0, 0, 0, 0};
    for (int i = 0; i < 4; i++) {
        u128 carry = 0;
        for (int j = 0; j < 4; j++) {
            u128 s = (u128)a[j] * b[i] + t[j] + (uint64_t)carry;
            t[j] = (uint64_t)s;
            carry = s >> 64;
        }
        u128 s = (u128)t[4] + (uint64_t)carry;
        t[4] = (uint64_t)s;
        t[5] = (uint64_t)(s >> 64);
        uint64_t m = t[0] * n_prime;
        s = (u128)m * p[0] + t[0];
        carry = s >> 64;
        for (int j = 1; j < 4; j++) {
            s = (u128)m * p[j] + t[j] + (uint64_t)carry;
            t[j - 1] = (uint64_t)s;
            carry = s >> 64;
        }
        s = (u128)t[4] + (uint64_t)carry;
        t[3] = (uint64_t)s;
        t[4] = t[5] + (uint64_t)(s >> 64);
    }
    // t < 2p: one conditional subtraction.
    uint64_t r[4];
    u128 borrow = 0;
    for (int j = 0; j < 4; j++) {
        u128 d = (u128)t[j] - p[j] - (uint64_t)borrow;
        r[j] = (uint64_t)d;
        borrow = (d >> 64) & 1;
    }
    int keep = t[4] == 0 && borrow != 0;
    for (int j = 0; j < 4; j++) out[j] = keep ? t[j] : r[j];
}

uint64_t mesh_montgomery_mul_loop(uint64_t x[4], const uint64_t y[4], const uint64_t p[4], uint64_t n_prime,
                                  uint64_t iterations) {
    for (uint64_t i = 0; i < iterations; i++) mesh_montgomery_mul_4limb(x, x, y, p, n_prime);
    return x[0];
}
