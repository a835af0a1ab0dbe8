/* Gain stage of the strips and the master: smoothed gains and meters. */
#include "jmixd/dsp/gain.h"

#include <math.h>

void jm_ramp_set(jm_rampbank_t *r, int i, float tgt, int32_t len)
{
    r->tgt[i] = tgt;
    if (len <= 0 || r->cur[i] == tgt) {
        r->cur[i] = tgt;
        r->left[i] = 0;
        return;
    }
    r->step[i] = (tgt - r->cur[i]) / (float)len;
    r->left[i] = len;
}

float jm_db_to_gain(float db) { return db <= -90.0f ? 0.0f : powf(10.0f, db / 20.0f); }

void jm_pan_mono(float pan, float *gl, float *gr)
{
    float p = (pan + 1.0f) * 0.5f;
    *gl = cosf(p * (float)M_PI_2);
    *gr = sinf(p * (float)M_PI_2);
    if (pan <= -1.0f) *gr = 0.0f; /* sin(0) is exact, cos(pi/2) is not */
    if (pan >= 1.0f) *gl = 0.0f;
}

void jm_pan_balance(float pan, float *gl, float *gr)
{
    *gl = pan > 0.0f ? (pan >= 1.0f ? 0.0f : cosf(pan * (float)M_PI_2)) : 1.0f;
    *gr = pan < 0.0f ? (pan <= -1.0f ? 0.0f : cosf(pan * (float)M_PI_2)) : 1.0f;
}

static inline void meter_add(jm_meteracc_t *m, float x)
{
    float a = fabsf(x);
    if (a > m->peak) m->peak = a;
    m->sumsq += (double)x * x;
}

void jm_meter_block(jm_meteracc_t *m, const float *x, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++) meter_add(m, x[k]);
}

void jm_strip_input(jm_strip_bank_t *b, int i, const float *in_l, const float *in_r, float *s_l,
                    float *s_r, uint32_t n)
{
    if (!b->stereo[i]) {
        for (uint32_t k = 0; k < n; k++) s_l[k] = in_l[k] * jm_ramp_next(&b->in, i);
        return;
    }
    for (uint32_t k = 0; k < n; k++) {
        float g = jm_ramp_next(&b->in, i);
        s_l[k] = in_l[k] * g;
        s_r[k] = in_r[k] * g;
    }
}

void jm_strip_output(jm_strip_bank_t *b, int i, const float *s_l, const float *s_r, float *pre_l,
                     float *pre_r, float *post_l, float *post_r, float *sum_l, float *sum_r,
                     uint32_t n)
{
    jm_meteracc_t *m = &b->meter[i];
    if (!b->stereo[i]) {
        for (uint32_t k = 0; k < n; k++) {
            float x = s_l[k] * jm_ramp_next(&b->mute, i);
            float y = x * jm_ramp_next(&b->fader, i);
            pre_l[k] = x;
            post_l[k] = y;
            meter_add(m, y);
            sum_l[k] += y * jm_ramp_next(&b->pl, i);
            sum_r[k] += y * jm_ramp_next(&b->pr, i);
        }
        return;
    }
    for (uint32_t k = 0; k < n; k++) {
        float gm = jm_ramp_next(&b->mute, i), gf = jm_ramp_next(&b->fader, i);
        float xl = s_l[k] * gm, xr = s_r[k] * gm, yl = xl * gf, yr = xr * gf;
        pre_l[k] = xl;
        pre_r[k] = xr;
        post_l[k] = yl;
        post_r[k] = yr;
        meter_add(m, fabsf(yl) > fabsf(yr) ? yl : yr);
        sum_l[k] += yl * jm_ramp_next(&b->pl, i);
        sum_r[k] += yr * jm_ramp_next(&b->pr, i);
    }
}

void jm_send_process(jm_send_bank_t *sb, int i, int stereo, const float *pre_l,
                     const float *pre_r, const float *post_l, const float *post_r, float *bus_l,
                     float *bus_r, uint32_t n)
{
    if (sb->level.cur[i] == 0.0f && sb->level.left[i] == 0) return;
    if (!stereo) pre_r = pre_l, post_r = post_l;
    for (uint32_t k = 0; k < n; k++) {
        float g = jm_ramp_next(&sb->level, i), w = jm_ramp_next(&sb->pre, i);
        bus_l[k] += g * (post_l[k] + w * (pre_l[k] - post_l[k]));
        bus_r[k] += g * (post_r[k] + w * (pre_r[k] - post_r[k]));
    }
}

void jm_return_process(jm_rampbank_t *gain, int i, const float *wet_l, const float *wet_r,
                       float *out_l, float *out_r, jm_meteracc_t *meter, uint32_t n)
{
    if (gain->left[i] <= 0) {
        /* gain settled: the same arithmetic with the meter in locals (the
         * stores to out could alias it, which kept it in memory) */
        const float g = gain->cur[i];
        float peak = meter->peak;
        double sumsq = meter->sumsq;
        for (uint32_t k = 0; k < n; k++) {
            float a = wet_l[k] * g, c = wet_r[k] * g, x = fabsf(a) > fabsf(c) ? a : c, ax = fabsf(x);
            if (ax > peak) peak = ax;
            sumsq += (double)x * x;
            out_l[k] += a;
            out_r[k] += c;
        }
        meter->peak = peak;
        meter->sumsq = sumsq;
        return;
    }
    for (uint32_t k = 0; k < n; k++) {
        float g = jm_ramp_next(gain, i), a = wet_l[k] * g, c = wet_r[k] * g;
        meter_add(meter, fabsf(a) > fabsf(c) ? a : c);
        out_l[k] += a;
        out_r[k] += c;
    }
}

void jm_master_process(jm_master_t *m, float *l, float *r, uint32_t n)
{
    if (m->g.left[0] <= 0 && m->g.left[1] <= 0) { /* settled: the same, in locals */
        const float g = m->g.cur[0], mono = m->g.cur[1];
        for (uint32_t k = 0; k < n; k++) {
            float a = l[k] * g, c = r[k] * g, mid = 0.5f * (a + c);
            l[k] = a + mono * (mid - a);
            r[k] = c + mono * (mid - c);
        }
        return;
    }
    for (uint32_t k = 0; k < n; k++) {
        float g = jm_ramp_next(&m->g, 0), mono = jm_ramp_next(&m->g, 1);
        float a = l[k] * g, c = r[k] * g, mid = 0.5f * (a + c);
        l[k] = a + mono * (mid - a);
        r[k] = c + mono * (mid - c);
    }
}
