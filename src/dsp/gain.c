/* Gain stage of the strips and the master: smoothed gains and meters. */
#include "jmixd/dsp.h"

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

void jm_strip_bank_process(jm_strip_bank_t *b, const float *const *in, float *sum_l,
                           float *sum_r, uint32_t n)
{
    for (int i = 0; i < b->n; i++) {
        const float *xl = in[2 * i];
        if (!b->stereo[i]) {
            for (uint32_t k = 0; k < n; k++) {
                float x = xl[k] * jm_ramp_next(&b->in, i) * jm_ramp_next(&b->mute, i);
                float y = x * jm_ramp_next(&b->fader, i);
                meter_add(&b->meter[i], y);
                sum_l[k] += y * jm_ramp_next(&b->pl, i);
                sum_r[k] += y * jm_ramp_next(&b->pr, i);
            }
        } else {
            const float *xr = in[2 * i + 1];
            for (uint32_t k = 0; k < n; k++) {
                float g = jm_ramp_next(&b->in, i) * jm_ramp_next(&b->mute, i) *
                          jm_ramp_next(&b->fader, i);
                float yl = xl[k] * g, yr = xr[k] * g;
                meter_add(&b->meter[i], fabsf(yl) > fabsf(yr) ? yl : yr);
                sum_l[k] += yl * jm_ramp_next(&b->pl, i);
                sum_r[k] += yr * jm_ramp_next(&b->pr, i);
            }
        }
    }
}

void jm_master_process(jm_master_t *m, float *l, float *r, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++) {
        float g = jm_ramp_next(&m->g, 0), mono = jm_ramp_next(&m->g, 1);
        float a = l[k] * g, c = r[k] * g, mid = 0.5f * (a + c);
        a += mono * (mid - a);
        c += mono * (mid - c);
        meter_add(&m->meter[0], a);
        meter_add(&m->meter[1], c);
        l[k] = a;
        r[k] = c;
    }
}
