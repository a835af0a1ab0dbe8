/* Bus delay: per channel  y = line[w - D];  line[w] = x + fb * LP(y),
 * LP a one-pole low-pass y1 += c (y - y1), c = 1 - exp(-2 pi fc / fs)
 * (impulse-invariant one-pole, unity gain at DC). Time changes crossfade
 * two read taps with a smoothstep curve (C1-continuous: no click, no kink). */
#include "jmixd/dsp/delay.h"

#include <math.h>
#include <string.h>

#define XFADE_MS 20.0f
#define SMOOTH_MS 5.0f
#define TINY 1e-18f /* states below this are flushed to 0: no denormals */
#define TWO_PI 6.28318530717958647692f

static float clampf(float x, float lo, float hi) { return x < lo ? lo : x > hi ? hi : x; }
static float flush(float x) { return fabsf(x) < TINY ? 0.0f : x; }

void jm_delay_init(jm_delay_t *d, float fs)
{
    memset(d, 0, sizeof *d);
    d->fs = clampf(fs, 8000.0f, JM_DLY_MAX_FS);
    d->xf_step = 1.0f / (XFADE_MS * 0.001f * d->fs);
    d->sm_a = expf(-1.0f / (SMOOTH_MS * 0.001f * d->fs));
    jm_delay_set(d, 375.0f, 0.35f, 6000.0f);
    jm_delay_reset(d);
}

void jm_delay_reset(jm_delay_t *d)
{
    memset(d->buf, 0, sizeof d->buf);
    d->lp[0] = d->lp[1] = 0.0f;
    d->w = 0;
    d->d_cur = d->d_new = d->d_pend;
    d->xf = 0.0f;
    d->fb = d->fb_tgt;
    d->lpc = d->lpc_tgt;
}

void jm_delay_set(jm_delay_t *d, float time_ms, float feedback, float tone_hz)
{
    time_ms = clampf(time_ms, 1.0f, JM_DLY_MAX_MS);
    feedback = clampf(feedback, 0.0f, 0.95f);
    tone_hz = clampf(tone_hz, 500.0f, 20000.0f);
    if (time_ms != d->time_ms) {
        d->time_ms = time_ms;
        uint32_t f = (uint32_t)lroundf(time_ms * d->fs / 1000.0f);
        d->d_pend = f < 1u ? 1u : f > JM_DLY_LEN - 1u ? JM_DLY_LEN - 1u : f;
    }
    d->fb_tgt = feedback;
    if (tone_hz != d->tone_hz) {
        d->tone_hz = tone_hz;
        d->lpc_tgt = 1.0f - expf(-TWO_PI * fminf(tone_hz, 0.49f * d->fs) / d->fs);
    }
}

static inline uint32_t tap(const jm_delay_t *d, uint32_t delay)
{
    return d->w >= delay ? d->w - delay : d->w + JM_DLY_LEN - delay;
}

/* No crossfade running or due (the usual case): the same arithmetic as
 * the general loop below, with the state in locals (the output buffers
 * could alias d for all the compiler knows, which kept every field in
 * memory each frame) and the smoothing skipped once settled (smoothing a
 * settled value changes nothing). */
static void steady(jm_delay_t *d, const float *in_l, const float *in_r, float *out_l,
                   float *out_r, uint32_t n)
{
    float *b0 = d->buf[0], *b1 = d->buf[1];
    float fb = d->fb, lpc = d->lpc, l0 = d->lp[0], l1 = d->lp[1];
    const float fbt = d->fb_tgt, lpct = d->lpc_tgt, a = d->sm_a;
    const int settled = fb == fbt && lpc == lpct;
    uint32_t w = d->w, ra = tap(d, d->d_cur);
    for (uint32_t i = 0; i < n; i++) {
        float xl = in_l[i], xr = in_r[i], yl = b0[ra], yr = b1[ra];
        if (!settled) {
            fb = fbt + a * (fb - fbt);
            lpc = lpct + a * (lpc - lpct);
        }
        l0 = flush(l0 + lpc * (yl - l0));
        l1 = flush(l1 + lpc * (yr - l1));
        b0[w] = flush(xl + fb * l0);
        b1[w] = flush(xr + fb * l1);
        if (++w == JM_DLY_LEN) w = 0;
        if (++ra == JM_DLY_LEN) ra = 0;
        out_l[i] = yl;
        out_r[i] = yr;
    }
    d->fb = fb, d->lpc = lpc, d->lp[0] = l0, d->lp[1] = l1, d->w = w;
}

void jm_delay_process(jm_delay_t *d, const float *in_l, const float *in_r, float *out_l,
                      float *out_r, uint32_t n)
{
    if (d->d_new == d->d_cur && d->d_pend == d->d_cur) {
        steady(d, in_l, in_r, out_l, out_r, n);
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        float xl = in_l[i], xr = in_r[i];
        /* Start a crossfade to the pending time when none runs. */
        if (d->d_new == d->d_cur && d->d_pend != d->d_cur) {
            d->d_new = d->d_pend;
            d->xf = 0.0f;
        }
        uint32_t ra = tap(d, d->d_cur);
        float yl = d->buf[0][ra], yr = d->buf[1][ra];
        if (d->d_new != d->d_cur) {
            uint32_t rb = tap(d, d->d_new);
            d->xf += d->xf_step;
            if (d->xf >= 1.0f) {
                d->d_cur = d->d_new;
                d->xf = 0.0f;
                yl = d->buf[0][rb];
                yr = d->buf[1][rb];
            } else {
                float t = d->xf, k = t * t * (3.0f - 2.0f * t); /* smoothstep */
                yl += k * (d->buf[0][rb] - yl);
                yr += k * (d->buf[1][rb] - yr);
            }
        }
        d->fb = d->fb_tgt + d->sm_a * (d->fb - d->fb_tgt);
        d->lpc = d->lpc_tgt + d->sm_a * (d->lpc - d->lpc_tgt);
        d->lp[0] = flush(d->lp[0] + d->lpc * (yl - d->lp[0]));
        d->lp[1] = flush(d->lp[1] + d->lpc * (yr - d->lp[1]));
        d->buf[0][d->w] = flush(xl + d->fb * d->lp[0]);
        d->buf[1][d->w] = flush(xr + d->fb * d->lp[1]);
        if (++d->w == JM_DLY_LEN) d->w = 0;
        out_l[i] = yl;
        out_r[i] = yr;
    }
}
