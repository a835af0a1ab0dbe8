/* Aux sends: taps that ignore solo, send pan/balance, and the aux bus gain. */
#include "jmixd/dsp/aux.h"

void jm_aux_taps(jm_aux_taps_t *t, int i, int stereo, const float *s_l, const float *s_r,
                 float gin, float *pre_l, float *pre_r, float *post_l, float *post_r, uint32_t n)
{
    if (!stereo) {
        for (uint32_t k = 0; k < n; k++) {
            float x = s_l[k] * gin * jm_ramp_next(&t->mute, i);
            pre_l[k] = x;
            post_l[k] = x * jm_ramp_next(&t->fader, i);
        }
        return;
    }
    for (uint32_t k = 0; k < n; k++) {
        float gm = jm_ramp_next(&t->mute, i), gf = jm_ramp_next(&t->fader, i);
        float xl = s_l[k] * gin * gm, xr = s_r[k] * gin * gm;
        pre_l[k] = xl;
        pre_r[k] = xr;
        post_l[k] = xl * gf;
        post_r[k] = xr * gf;
    }
}

static void settle(jm_rampbank_t *r, int i)
{
    r->cur[i] = r->tgt[i];
    r->left[i] = 0;
}

void jm_aux_taps_skip(jm_aux_taps_t *t, int i)
{
    settle(&t->mute, i);
    settle(&t->fader, i);
}

void jm_aux_pan(float pan, int strip_stereo, int bus_stereo, float *pl, float *pr)
{
    if (!bus_stereo) *pl = *pr = strip_stereo ? 0.5f : 1.0f;
    else if (strip_stereo) jm_pan_balance(pan, pl, pr);
    else jm_pan_mono(pan, pl, pr);
}

void jm_aux_send(jm_aux_send_bank_t *sb, int i, int strip_stereo, int bus_stereo,
                 const float *pre_l, const float *pre_r, const float *post_l, const float *post_r,
                 float *bus_l, float *bus_r, uint32_t n)
{
    if (jm_aux_send_silent(sb, i)) return;
    if (!strip_stereo) pre_r = pre_l, post_r = post_l;
    for (uint32_t k = 0; k < n; k++) {
        float g = jm_ramp_next(&sb->level, i), w = jm_ramp_next(&sb->pre, i);
        float gl = g * jm_ramp_next(&sb->pl, i), gr = g * jm_ramp_next(&sb->pr, i);
        float tl = post_l[k] + w * (pre_l[k] - post_l[k]);
        float tr = post_r[k] + w * (pre_r[k] - post_r[k]);
        if (bus_stereo) {
            bus_l[k] += gl * tl;
            bus_r[k] += gr * tr;
        } else if (strip_stereo) {
            bus_l[k] += gl * tl + gr * tr;
        } else {
            bus_l[k] += gl * tl;
        }
    }
}

void jm_aux_add(jm_rampbank_t *gain, int i, const float *x, float *bus, uint32_t n)
{
    if (gain->cur[i] == 0.0f && gain->left[i] == 0) return;
    for (uint32_t k = 0; k < n; k++) bus[k] += x[k] * jm_ramp_next(gain, i);
}

void jm_aux_gain(jm_rampbank_t *gain, int i, float *l, float *r, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++) {
        float g = jm_ramp_next(gain, i);
        l[k] *= g;
        if (r) r[k] *= g;
    }
}

void jm_aux_talkback_gains(jm_rampbank_t *tb, const float *mic, float *dim, float *talk, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++) {
        dim[k] = jm_ramp_next(tb, 0);
        float g = jm_ramp_next(tb, 1);
        talk[k] = mic ? mic[k] * g : 0.0f;
    }
}

void jm_aux_talkback_mix(float *l, float *r, const float *dim, const float *talk, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++) {
        l[k] = l[k] * dim[k] + talk[k];
        if (r) r[k] = r[k] * dim[k] + talk[k];
    }
}
