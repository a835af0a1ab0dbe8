/* A small portable vector layer: 8 float lanes as GCC/Clang vector
 * extensions (any architecture; AVX on x86-64 when the code is compiled for
 * it), and the table of the kernels built on it, one set per instruction
 * set, picked at run time.
 *
 * The kernels (src/dsp/simd_kernels.h) are compiled three times on x86-64:
 * for AVX-512 (avx512f+vl: 32 vector registers, 8 lanes in ymm), for AVX2,
 * and for the x86-64 baseline (SSE2: each 8-lane operation becomes two),
 * and once (generic vectors) elsewhere. jm_simd_ops picks the best the CPU
 * runs (__builtin_cpu_supports) unless told otherwise.
 *
 * Exactness: every kernel does, lane by lane, the same IEEE operations in
 * the same order as the scalar reference code (chain.c, biquad.c,
 * dynamics.c, gain.c); they are compiled with -ffp-contract=off (no fused
 * multiply-add), so on x86-64 their audio output equals the scalar path bit
 * for bit. (Meter sums of squares are added in another order: equal to
 * ~1e-16 relative.) Where the C compiler contracts the scalar code into
 * FMAs (some non-x86 targets) the two differ by rounding only.
 *
 * Threads: the kernels are real-time safe (no allocation, locks or system
 * calls). jm_simd_ops may run on any thread. */
#ifndef JMIXD_SIMD_H
#define JMIXD_SIMD_H

#include "jmixd/dsp/gain.h"
#include "jmixd/dsp/chain.h"

#include <stdint.h>

#define JM_SIMD_LANES 8

typedef float jm_vf __attribute__((vector_size(32)));
typedef int32_t jm_vi __attribute__((vector_size(32)));
typedef uint32_t jm_vu __attribute__((vector_size(32)));
typedef double jm_vd __attribute__((vector_size(32)));

/* Lane-interleaved block of a group of 8 strips: x[k][j] = sample k of the
 * group's strip j. */
typedef float jm_lanes_t[JM_SIMD_LANES] __attribute__((aligned(32)));

enum {
    JM_SIMD_OFF = 0,     /* the scalar reference path */
    JM_SIMD_AUTO = 1,    /* the best kernel this CPU runs */
    JM_SIMD_GENERIC = 2, /* vector extensions for the baseline ISA */
    JM_SIMD_AVX2 = 3,
    JM_SIMD_AVX512 = 4
};

/* A settled send: gain g, pre/post blend w (1 pre), into bus_l and bus_r. */
typedef struct {
    float g, w;
    float *bus_l, *bus_r;
} jm_simd_send_t;

typedef struct {
    int level;        /* JM_SIMD_GENERIC.. */
    const char *name; /* "avx512", "avx2", "generic" */
    /* The chain (HPF, gate, EQ, compressor) of the 8 mono lanes
     * lane0..lane0+7 of c over n (<= JM_MIXER_SUB) lane-interleaved samples,
     * in place; equal to jm_chain_process on each lane. */
    void (*chain8)(jm_chain_t *c, int lane0, jm_lanes_t *x, uint32_t n);
    /* x[k][j] = src[j][k] x gin[j] for k < n (src[j] may be NULL: zeros). */
    void (*interleave8)(jm_lanes_t *x, const float *const src[JM_SIMD_LANES],
                        const float gin[JM_SIMD_LANES], uint32_t n);
    /* dst[j][k] = x[k][j]. */
    void (*deinterleave8)(float *const dst[JM_SIMD_LANES], const jm_lanes_t *x, uint32_t n);
    /* Output stage of a mono strip whose gains are settled (no ramp moving):
     * s = src x gin; pre = s x gm; post = pre x gf; meter(post);
     * sum_l += post x pl; sum_r += post x pr; then for each of the n_send
     * sends: bus_l, bus_r += g (post + w (pre - post)). pre/post are also
     * stored when the pointers are not NULL. Exactly jm_strip_input +
     * jm_strip_output + jm_send_process. */
    void (*strip_out)(const float *src, float gin, float gm, float gf, float pl, float pr,
                      float *sum_l, float *sum_r, const jm_simd_send_t *send, int n_send,
                      float *pre, float *post, jm_meteracc_t *meter, uint32_t n);
    /* A settled send of a mono strip from stored taps. */
    void (*send)(const float *pre, const float *post, float g, float w, float *bus_l,
                 float *bus_r, uint32_t n);
} jm_simd_ops_t;

/* The kernels for `level` (JM_SIMD_AUTO: the best this CPU runs), or NULL
 * when this CPU or build cannot run that level (or level is JM_SIMD_OFF). */
const jm_simd_ops_t *jm_simd_ops(int level);
/* Parse "0"/"off"/"scalar", "auto"/"1", "generic", "avx2", "avx512";
 * -1 when unknown. */
int jm_simd_parse(const char *s);

#endif
