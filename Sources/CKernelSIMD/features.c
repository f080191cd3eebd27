#include "CKernelSIMD.h"
uint32_t mesh_simd_features(void) {
    uint32_t f = 0;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) f |= 1u;
    if (__builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw")) f |= 2u;
    return f;
}
