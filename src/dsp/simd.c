/* The SIMD kernels, built once per instruction set from simd_kernels.h, and
 * the run-time choice between them (see jmixd/dsp/simd.h). This file is compiled
 * with -ffp-contract=off (Makefile): no fused multiply-adds, so the kernels
 * round exactly as the scalar reference does. */
#include "jmixd/dsp/simd.h"

#include "jmixd/dsp/fields.h"
#include "dyn_const.h"

#include <string.h>
#include <strings.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define JM_SIMD_X86 1
#else
#define JM_SIMD_X86 0
#endif

#define JM_SIMD_CAT2(a, b) a##_##b
#define JM_SIMD_CAT(a, b) JM_SIMD_CAT2(a, b)
#define JM_SIMD_STR2(a) #a
#define JM_SIMD_STR(a) JM_SIMD_STR2(a)

typedef uint8_t jm_vb8 __attribute__((vector_size(8)));

static const float jm_simd_zeros[JM_MIXER_SUB];

#if JM_SIMD_X86
#define SFX avx512
#define ATTR __attribute__((target("avx2,avx512f,avx512vl")))
#define JM_K_AVX 1
#define JM_K_LEVEL JM_SIMD_AVX512
#include "simd_kernels.h"
#undef SFX
#undef ATTR
#undef JM_K_AVX
#undef JM_K_LEVEL

#define SFX avx2
#define ATTR __attribute__((target("avx2")))
#define JM_K_AVX 1
#define JM_K_LEVEL JM_SIMD_AVX2
#include "simd_kernels.h"
#undef SFX
#undef ATTR
#undef JM_K_AVX
#undef JM_K_LEVEL
#endif

#define SFX generic
#define ATTR
#define JM_K_AVX 0
#define JM_K_LEVEL JM_SIMD_GENERIC
#include "simd_kernels.h"
#undef SFX
#undef ATTR
#undef JM_K_AVX
#undef JM_K_LEVEL

const jm_simd_ops_t *jm_simd_ops(int level)
{
#if JM_SIMD_X86
    __builtin_cpu_init();
    int has512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
    int has2 = __builtin_cpu_supports("avx2");
    switch (level) {
    case JM_SIMD_AUTO: return has512 ? &ops_avx512 : has2 ? &ops_avx2 : &ops_generic;
    case JM_SIMD_AVX512: return has512 ? &ops_avx512 : NULL;
    case JM_SIMD_AVX2: return has2 ? &ops_avx2 : NULL;
    case JM_SIMD_GENERIC: return &ops_generic;
    default: return NULL;
    }
#else
    return level == JM_SIMD_AUTO || level == JM_SIMD_GENERIC ? &ops_generic : NULL;
#endif
}

int jm_simd_parse(const char *s)
{
    static const struct {
        const char *name;
        int level;
    } t[] = {{"0", JM_SIMD_OFF},           {"off", JM_SIMD_OFF},         {"scalar", JM_SIMD_OFF},
             {"1", JM_SIMD_AUTO},          {"auto", JM_SIMD_AUTO},       {"on", JM_SIMD_AUTO},
             {"generic", JM_SIMD_GENERIC}, {"avx2", JM_SIMD_AVX2},       {"avx512", JM_SIMD_AVX512}};
    for (size_t i = 0; s && i < sizeof t / sizeof t[0]; i++)
        if (!strcasecmp(s, t[i].name)) return t[i].level;
    return -1;
}
