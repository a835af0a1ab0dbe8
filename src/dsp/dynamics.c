/* Gate and compressor. Compressor: Giannoulis, Massberg, Reiss, "Digital
 * Dynamic Range Compressor Design - A Tutorial and Analysis", JAES 2012
 * (static curve eq. 4, smooth decoupled peak detector eq. 17), as quoted in
 * docs/dsp.md. */
#include "jmixd/dsp/dynamics.h"

#include "dyn_const.h"

#include <math.h>

/* max/min as plain selects: fmaxf/fminf are library calls without
 * -ffast-math (NaN rules), these compile to maxss/minss. */
static inline float maxf(float a, float b) { return a > b ? a : b; }
static inline float minf(float a, float b) { return a < b ? a : b; }

typedef union {
    float f;
    uint32_t u;
} fbits_t;

/* 2^x, |x| <= 126, relative error < 3e-6 (0.00003 dB); exp2_fast(0) == 1
 * exactly. x = i + f with f in [-0.5, 0.5]; 2^f = e^y, y = f ln 2, by its
 * Taylor series to y^5 (Estrin's scheme: short dependency chains). */
static inline float exp2_fast(float x)
{
    x = x < -126.0f ? -126.0f : x > 126.0f ? 126.0f : x;
    int32_t i = (int32_t)(x + 127.5f) - 127; /* round to nearest */
    float y = (x - (float)i) * 0.693147181f, y2 = y * y;
    float p = (1.0f + y) + y2 * ((0.5f + y * (1.0f / 6)) + y2 * (1.0f / 24 + y * (1.0f / 120)));
    fbits_t s = {.u = (uint32_t)(i + 127) << 23};
    return p * s.f;
}

/* log2(x) for normal x > 0, absolute error < 1e-6: x = 2^k m with m in
 * [sqrt(1/2), sqrt(2)) found without branches (the bits of sqrt(1/2) are
 * subtracted so the exponent field rounds at sqrt(2)); ln m = 2 atanh(z),
 * z = (m-1)/(m+1), |z| < 0.172, by its series. */
static inline float log2_fast(float x)
{
    fbits_t v = {.f = x};
    uint32_t top = (v.u - 0x3f3504f3u) & 0xff800000u; /* k << 23, two's complement */
    int32_t k = (int32_t)(top >> 23) - (int32_t)((top >> 31) << 9);
    v.u -= top;
    float m = v.f, z = (m - 1.0f) / (m + 1.0f), z2 = z * z;
    float ln = 2.0f * z * (1.0f + z2 * (1.0f / 3 + z2 * (1.0f / 5 + z2 * (1.0f / 7 + z2 * (1.0f / 9)))));
    return (float)k + ln * 1.44269504f;
}

/* ------------------------------------------------------------------ gate -- */

void jm_gate_set(jm_gate_bank_t *g, int i, float fs, float threshold_db, float range_db,
                 float attack_ms, float hold_ms, float release_ms)
{
    float span = range_db > 1.0f ? range_db : 1.0f;
    float att = attack_ms * 0.001f * fs, rel = release_ms * 0.001f * fs;
    att = att > 1.0f ? att : 1.0f;
    rel = rel > 1.0f ? rel : 1.0f;
    g->thr[i] = powf(10.0f, threshold_db / 20.0f);
    g->floor[i] = powf(10.0f, -range_db / 20.0f);
    g->up[i] = (1.0f - powf(10.0f, -span / 20.0f)) / att;
    g->down[i] = powf(10.0f, -span / 20.0f / rel);
    g->hold[i] = (int32_t)(hold_ms * 0.001f * fs + 0.5f);
}

void jm_gate_reset(jm_gate_bank_t *g, int i)
{
    g->g[i] = 1.0f;
    g->left[i] = g->hold[i];
}

void jm_gate_run(jm_gate_bank_t *g, int i, float *l, float *r, uint32_t n)
{
    const float thr = g->thr[i], floor = g->floor[i], up = g->up[i], down = g->down[i];
    const int32_t hold = g->hold[i];
    float gain = g->g[i];
    int32_t left = g->left[i];
    for (uint32_t k = 0; k < n; k++) {
        float pk = fabsf(l[k]);
        if (r) pk = maxf(pk, fabsf(r[k]));
        int above = pk >= thr, open = above | (left > 0);
        left = above ? hold : left > 0 ? left - 1 : 0;
        float rise = minf(gain + up, open ? 1.0f : floor), fall = maxf(gain * down, floor);
        gain = open || gain < floor ? rise : fall;
        l[k] *= gain;
        if (r) r[k] *= gain;
    }
    g->g[i] = gain;
    g->left[i] = left;
}

/* ------------------------------------------------------------ compressor -- */

/* Over-threshold amount xL = xG - yG(xG) of the GMR static curve, dB:
 * 0 below the knee, slope (xG-T+W/2)^2 / (2W) inside it, slope (xG-T)
 * above, written without branches: with d = xG - T clamped to the knee,
 * q (d + W/2)^2 + slope max(xG - T - W/2, 0), where q = slope / (2W) and
 * W >= 1e-3 dB (a hard knee is a 0.001 dB one). */
static inline float over_db(float xg, float t, float hw, float slope, float q)
{
    float d = xg - t, dk = minf(maxf(d, -hw), hw) + hw;
    return q * dk * dk + slope * maxf(d - hw, 0.0f);
}

static float knee_half(float knee_db) { return 0.5f * (knee_db > 1e-3f ? knee_db : 1e-3f); }

float jm_comp_curve_db(float x_db, float threshold_db, float ratio, float knee_db)
{
    float slope = 1.0f - 1.0f / ratio, hw = knee_half(knee_db);
    return x_db - over_db(x_db, threshold_db, hw, slope, slope / (4.0f * hw));
}

void jm_comp_set(jm_comp_bank_t *c, int i, float fs, float threshold_db, float ratio,
                 float attack_ms, float release_ms, float knee_db, float makeup_db, int glide)
{
    c->thr[i] = threshold_db;
    c->knee[i] = knee_db;
    c->slope[i] = 1.0f - 1.0f / (ratio >= 1.0f ? ratio : 1.0f);
    c->makeup[i] = makeup_db;
    /* alpha = exp(-1/(tau fs)); 1 - alpha formed without cancellation */
    double ka = -expm1(-1.0 / ((double)attack_ms * 0.001 * fs));
    double kr = -expm1(-1.0 / ((double)release_ms * 0.001 * fs));
    c->ka[i] = (float)ka, c->aa[i] = (float)(1.0 - ka);
    c->kr[i] = (float)kr, c->ar[i] = (float)(1.0 - kr);
    if (!glide) {
        c->p_thr[i] = c->thr[i];
        c->p_makeup[i] = c->makeup[i];
    }
}

void jm_comp_reset(jm_comp_bank_t *c, int i)
{
    c->y1[i] = c->yl[i] = 0.0f;
    c->p_thr[i] = c->thr[i];
    c->p_makeup[i] = c->makeup[i];
}

/* Runs work in blocks of CB samples, in three passes: the over-threshold
 * level of every sample, the detector recursion (the only serial part),
 * then the gains. The first and last passes have no dependency from sample
 * to sample, so their long log/exp chains overlap in the CPU (twice as fast
 * as one fused loop) and are ready for SIMD. */
#define CB 16

void jm_comp_run(jm_comp_bank_t *c, int i, float *l, float *r, uint32_t n)
{
    if (!n) return;
    /* threshold and makeup move per sample; ratio and knee once per run */
    const float inv = 1.0f / (float)n, ka = c->ka[i], kr = c->kr[i], aa = c->aa[i], ar = c->ar[i];
    const float slope = c->slope[i], hw = knee_half(c->knee[i]), q = slope / (4.0f * hw);
    const float t0 = c->p_thr[i], dt = (c->thr[i] - t0) * inv;
    const float m0 = c->p_makeup[i], dm = (c->makeup[i] - m0) * inv;
    float y1 = c->y1[i], yl = c->yl[i];
    for (uint32_t o = 0; o < n; o += CB) {
        uint32_t m = n - o < CB ? n - o : CB;
        float pk[CB] = {0}, v[CB];
        for (uint32_t k = 0; k < m; k++) pk[k] = fabsf(l[o + k]);
        if (r)
            for (uint32_t k = 0; k < m; k++) pk[k] = maxf(pk[k], fabsf(r[o + k]));
        for (uint32_t k = 0; k < CB; k++) {
            float t = t0 + dt * (float)(o + k + 1);
            v[k] = over_db(DB_PER_LOG2 * log2_fast(maxf(pk[k], FLOOR_LIN)), t, hw, slope, q);
        }
        for (uint32_t k = 0; k < m; k++) {
            /* y1 = max(xL, aR y1 + (1-aR) xL); yL = aA yL + (1-aA) y1 */
            y1 = maxf(v[k], ar * y1 + kr * v[k]);
            yl = aa * yl + ka * y1;
            y1 = y1 < FLUSH ? 0.0f : y1;
            yl = yl < FLUSH ? 0.0f : yl;
            v[k] = m0 + dm * (float)(o + k + 1) - yl;
        }
        for (uint32_t k = 0; k < CB; k++) v[k] = exp2_fast(v[k] * LOG2_PER_DB);
        for (uint32_t k = 0; k < m; k++) l[o + k] *= v[k];
        if (r)
            for (uint32_t k = 0; k < m; k++) r[o + k] *= v[k];
    }
    c->p_thr[i] = c->thr[i];
    c->p_makeup[i] = c->makeup[i];
    c->y1[i] = y1;
    c->yl[i] = yl;
}
