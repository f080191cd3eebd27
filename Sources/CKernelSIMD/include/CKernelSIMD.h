#ifndef CKERNELSIMD_H
#define CKERNELSIMD_H
#include <stdint.h>
/// Bit set of SIMD features usable on this CPU (and enabled by the OS): 1 = AVX2, 2 = AVX-512 VNNI.
uint32_t mesh_simd_features(void);
#endif
