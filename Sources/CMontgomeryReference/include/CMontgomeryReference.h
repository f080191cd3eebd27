#ifndef C_MONTGOMERY_REFERENCE_H
#define C_MONTGOMERY_REFERENCE_H
#include <stdint.h>

/// Benchmark reference only (`mesh-bench groth16`): a plain 4-limb CIOS Montgomery
/// multiplication, out = a·b·2^-256 mod p, for a, b < p < 2^255 (little-endian limbs), with
/// n_prime = −p⁻¹ mod 2^64. Fully reduced. Not used by the validator: it exists so the choice of
/// GMP's mpn layer for F_p is measured against the obvious alternative.
void mesh_montgomery_mul_4limb(uint64_t out[4], const uint64_t a[4], const uint64_t b[4],
                               const uint64_t p[4], uint64_t n_prime);

/// x ← x·y·2^-256 mod p, `iterations` times (a dependent chain, so the loop measures latency
/// without any call overhead from the caller); returns x[0].
uint64_t mesh_montgomery_mul_loop(uint64_t x[4], const uint64_t y[4], const uint64_t p[4], uint64_t n_prime,
                                  uint64_t iterations);

#endif
