/* Freeverb (Jezar at Dreampoint, 2000, public domain), as summarised in
 * docs/dsp.md: input (L + R) * 0.015 -> pre-delay -> per channel 8
 * parallel low-pass-feedback combs -> 4 series allpasses (feedback 0.5);
 * right channel lines 23 samples longer; all lengths scaled by fs / 44100.
 * Comb:    y = line[i]; lp = y (1 - damp) + lp damp; line[i] = x + lp room.
 * Allpass: b = line[i]; y = b - x; line[i] = x + 0.5 b.
 * Output:  L = yL wet1 + yR wet2, R = yR wet1 + yL wet2,
 *          wet1 = width / 2 + 0.5, wet2 = (1 - width) / 2 (Freeverb's wet 1).
 * Additions: DC blockers (5 Hz) on the input, so the combs (DC gain
 * 1 / (1 - room), up to 50) never build up an offset, and on the output; a
 * pre-delay whose changes crossfade two taps (smoothstep, 20 ms); two-stage
 * one-pole smoothing of size, damping and width; every stored state flushed
 * to 0 below 1e-18 so a long silence never leaves subnormals (Freeverb's
 * "undenormalise"). */
#include "jmixd/dsp/reverb.h"

#include <math.h>
#include <string.h>

#define FIXED_GAIN 0.015f
#define SPREAD 23
#define XFADE_MS 20.0f
#define SMOOTH_MS 4.0f /* per stage of smooth2: settles (99 %) in 26 ms */
#define DC_HZ 5.0f
#define TINY 1e-18f

static const int comb_base[JM_RV_COMBS] = {1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617};
static const int ap_base[JM_RV_APS] = {556, 441, 341, 225};

static float clampf(float x, float lo, float hi) { return x < lo ? lo : x > hi ? hi : x; }
static inline float flush(float x) { return fabsf(x) < TINY ? 0.0f : x; }

static uint32_t scaled(int base, float fs, uint32_t max)
{
    uint32_t n = (uint32_t)lroundf((float)base * fs / 44100.0f);
    return n < 1u ? 1u : n > max - 1u ? max - 1u : n;
}

void jm_reverb_init(jm_reverb_t *r, float fs)
{
    memset(r, 0, sizeof *r);
    r->fs = clampf(fs, 8000.0f, JM_RV_MAX_FS);
    for (int c = 0; c < 2; c++) {
        for (int k = 0; k < JM_RV_COMBS; k++)
            r->comb_len[c][k] = scaled(comb_base[k] + c * SPREAD, r->fs, JM_RV_COMB_MAX);
        for (int k = 0; k < JM_RV_APS; k++)
            r->ap_len[c][k] = scaled(ap_base[k] + c * SPREAD, r->fs, JM_RV_AP_MAX);
    }
    r->xf_step = 1.0f / (XFADE_MS * 0.001f * r->fs);
    r->sm_a = expf(-1.0f / (SMOOTH_MS * 0.001f * r->fs));
    r->dc_r = expf(-6.28318530717958647692f * DC_HZ / r->fs);
    r->predelay_ms = -1.0f; /* force the first set */
    jm_reverb_set(r, 0.5f, 0.5f, 1.0f, 0.0f);
    jm_reverb_reset(r);
}

void jm_reverb_reset(jm_reverb_t *r)
{
    memset(r->comb, 0, sizeof r->comb);
    memset(r->ap, 0, sizeof r->ap);
    memset(r->pre, 0, sizeof r->pre);
    memset(r->comb_pos, 0, sizeof r->comb_pos);
    memset(r->comb_lp, 0, sizeof r->comb_lp);
    memset(r->ap_pos, 0, sizeof r->ap_pos);
    memset(r->dc_in, 0, sizeof r->dc_in);
    memset(r->dc_out, 0, sizeof r->dc_out);
    r->pre_w = 0;
    r->pre_cur = r->pre_new = r->pre_pend;
    r->xf = 0.0f;
    r->room_s[0] = r->room_s[1] = r->room_tgt;
    r->damp_s[0] = r->damp_s[1] = r->damp_tgt;
    r->wid_s[0] = r->wid_s[1] = r->wid_tgt;
}

void jm_reverb_set(jm_reverb_t *r, float size, float damping, float width, float predelay_ms)
{
    r->size = clampf(size, 0.0f, 1.0f);
    r->damping = clampf(damping, 0.0f, 1.0f);
    r->width = clampf(width, 0.0f, 1.0f);
    r->room_tgt = r->size * 0.28f + 0.7f;
    r->damp_tgt = r->damping * 0.4f;
    r->wid_tgt = r->width;
    predelay_ms = clampf(predelay_ms, 0.0f, 200.0f);
    if (predelay_ms != r->predelay_ms) {
        r->predelay_ms = predelay_ms;
        uint32_t d = (uint32_t)lroundf(predelay_ms * r->fs / 1000.0f);
        r->pre_pend = d > JM_RV_PRE_MAX - 1u ? JM_RV_PRE_MAX - 1u : d;
    }
}

static inline uint32_t pre_tap(const jm_reverb_t *r, uint32_t d)
{
    return r->pre_w >= d ? r->pre_w - d : r->pre_w + JM_RV_PRE_MAX - d;
}

/* Pre-delayed input for this frame (x already written at pre_w). */
static float predelay(jm_reverb_t *r)
{
    if (r->pre_new == r->pre_cur && r->pre_pend != r->pre_cur) {
        r->pre_new = r->pre_pend;
        r->xf = 0.0f;
    }
    float y = r->pre[pre_tap(r, r->pre_cur)];
    if (r->pre_new != r->pre_cur) {
        float b = r->pre[pre_tap(r, r->pre_new)];
        r->xf += r->xf_step;
        if (r->xf >= 1.0f) {
            r->pre_cur = r->pre_new;
            r->xf = 0.0f;
            y = b;
        } else {
            float t = r->xf;
            y += t * t * (3.0f - 2.0f * t) * (b - y);
        }
    }
    return y;
}

/* One channel of the tank over n frames (n <= TB): x, room, damp per
 * frame in, y out. Per frame exactly the old per-frame tank (combs in order,
 * their outputs summed in order, then the allpasses); the positions and
 * filter states live in locals for the block (stores into the delay lines
 * could alias them through r, which kept them in memory every frame). */
#define TB 64
static void tank(jm_reverb_t *r, int c, const float *x, const float *room, const float *damp,
                 float *y, uint32_t n)
{
    float lp[JM_RV_COMBS], *cl[JM_RV_COMBS], *al[JM_RV_APS];
    uint32_t cp[JM_RV_COMBS], cn[JM_RV_COMBS], ap[JM_RV_APS], an[JM_RV_APS];
    for (int k = 0; k < JM_RV_COMBS; k++) {
        lp[k] = r->comb_lp[c][k], cl[k] = r->comb[c][k];
        cp[k] = r->comb_pos[c][k], cn[k] = r->comb_len[c][k];
    }
    for (int k = 0; k < JM_RV_APS; k++) al[k] = r->ap[c][k], ap[k] = r->ap_pos[c][k], an[k] = r->ap_len[c][k];
    /* The lines were last touched a whole line length ago, so in a live
     * daemon they are usually out of cache: ask for all of this block's
     * memory at once instead of missing 24 times per frame. */
    for (uint32_t o = 0; o < n + 16u; o += 16u) {
        for (int k = 0; k < JM_RV_COMBS; k++) {
            uint32_t q = cp[k] + o;
            __builtin_prefetch(cl[k] + (q < cn[k] ? q : q - cn[k]), 1);
        }
        for (int k = 0; k < JM_RV_APS; k++) {
            uint32_t q = ap[k] + o;
            __builtin_prefetch(al[k] + (q < an[k] ? q : q - an[k]), 1);
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        const float xi = x[i], ri = room[i], di = damp[i], di1 = 1.0f - di;
        float out = 0.0f;
        for (int k = 0; k < JM_RV_COMBS; k++) {
            float v = cl[k][cp[k]];
            lp[k] = flush(v * di1 + lp[k] * di);
            cl[k][cp[k]] = flush(xi + lp[k] * ri);
            cp[k] = cp[k] + 1u == cn[k] ? 0u : cp[k] + 1u;
            out += v;
        }
        for (int k = 0; k < JM_RV_APS; k++) {
            float b = al[k][ap[k]];
            al[k][ap[k]] = flush(out + 0.5f * b);
            out = b - out;
            ap[k] = ap[k] + 1u == an[k] ? 0u : ap[k] + 1u;
        }
        y[i] = out;
    }
    for (int k = 0; k < JM_RV_COMBS; k++) r->comb_lp[c][k] = lp[k], r->comb_pos[c][k] = cp[k];
    for (int k = 0; k < JM_RV_APS; k++) r->ap_pos[c][k] = ap[k];
}

/* DC blocker y = x - x1 + R y1 (one zero at DC, pole R = exp(-2 pi fc/fs));
 * st = {x1, y1}. */
static inline float dc_block(float *st, float R, float x)
{
    float y = flush(x - st[0] + R * st[1]);
    st[0] = x;
    st[1] = y;
    return y;
}

/* Two one-poles in series (s[0] then s[1]): a jump of the target becomes a
 * curve with a continuous slope, so even an output gain (width) changes
 * without a kink. */
static inline void smooth2(float *s, float tgt, float a)
{
    s[0] = tgt + a * (s[0] - tgt);
    s[1] = s[0] + a * (s[1] - s[0]);
}

void jm_reverb_process(jm_reverb_t *r, const float *in_l, const float *in_r, float *out_l,
                       float *out_r, uint32_t n)
{
    float x[TB], room[TB], damp[TB], wid[TB], yl[TB], yr[TB];
    for (uint32_t o = 0; o < n; o += TB) {
        uint32_t m = n - o < TB ? n - o : TB;
        for (uint32_t i = 0; i < m; i++) {
            r->pre[r->pre_w] = dc_block(r->dc_in, r->dc_r, (in_l[o + i] + in_r[o + i]) * FIXED_GAIN);
            x[i] = predelay(r);
            if (++r->pre_w == JM_RV_PRE_MAX) r->pre_w = 0;
            smooth2(r->room_s, r->room_tgt, r->sm_a);
            smooth2(r->damp_s, r->damp_tgt, r->sm_a);
            smooth2(r->wid_s, r->wid_tgt, r->sm_a);
            room[i] = r->room_s[1], damp[i] = r->damp_s[1], wid[i] = r->wid_s[1];
        }
        tank(r, 0, x, room, damp, yl, m);
        tank(r, 1, x, room, damp, yr, m);
        for (uint32_t i = 0; i < m; i++) {
            float w1 = wid[i] * 0.5f + 0.5f, w2 = (1.0f - wid[i]) * 0.5f;
            out_l[o + i] = dc_block(r->dc_out[0], r->dc_r, yl[i] * w1 + yr[i] * w2);
            out_r[o + i] = dc_block(r->dc_out[1], r->dc_r, yr[i] * w1 + yl[i] * w2);
        }
    }
}
