/* The listen bus (PFL/AFL): per-source gains, the sum, the source switch. */
#include "jmixd/dsp/pfl.h"

void jm_pfl_strip_gains(int on, int afl, int stereo, float fader, int muted, float pan,
                        float *gl, float *gr)
{
    if (!on) {
        *gl = *gr = 0.0f;
        return;
    }
    if (!afl) pan = 0.0f; /* PFL: centred, whatever the strip's pan */
    if (stereo) jm_pan_balance(pan, gl, gr);
    else jm_pan_mono(pan, gl, gr);
    if (afl) {
        float g = muted ? 0.0f : fader;
        *gl *= g;
        *gr *= g;
    }
}

static void settle(jm_rampbank_t *r, int i)
{
    r->cur[i] = r->tgt[i];
    r->left[i] = 0;
}

void jm_pfl_skip(jm_pfl_bank_t *p, int i)
{
    settle(&p->gl, i);
    settle(&p->gr, i);
}

void jm_pfl_add(jm_pfl_bank_t *p, int i, const float *s_l, const float *s_r, float gin,
                float *bus_l, float *bus_r, uint32_t n)
{
    if (!s_r) s_r = s_l;
    for (uint32_t k = 0; k < n; k++) {
        float gl = jm_ramp_next(&p->gl, i), gr = jm_ramp_next(&p->gr, i);
        bus_l[k] += s_l[k] * gin * gl;
        bus_r[k] += s_r[k] * gin * gr;
    }
}

void jm_pfl_select(jm_rampbank_t *w, const float *m_l, const float *m_r, const float *p_l,
                   const float *p_r, float *out_l, float *out_r, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++) {
        float x = jm_ramp_next(w, 0);
        /* exact at both ends: x = 0 gives the master, x = 1 the listen bus */
        out_l[k] = (1.0f - x) * m_l[k] + x * p_l[k];
        out_r[k] = (1.0f - x) * m_r[k] + x * p_r[k];
    }
}
