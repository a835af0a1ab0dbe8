/* Monitor section: translation curves, mono/side, dim, level. */
#include "jmixd/dsp/monitor.h"

#include "jmixd/dsp/gain.h"
#include "jmixd/dsp/biquad.h"

#include <math.h>
#include <string.h>

/* 4th-order Butterworth as two 2nd-order sections */
#define Q4A 0.54119610014619698
#define Q4B 1.30656296487637653

static const char *const curve_names[JM_CURVE_COUNT] = {"flat", "phone", "laptop",
                                                        "earbuds", "car", "club"};

const char *jm_monitor_curve_name(int curve)
{
    return curve >= 0 && curve < JM_CURVE_COUNT ? curve_names[curve] : "flat";
}

/* RBJ low-pass (the cookbook's LPF), which the strip EQ does not need. */
static void design_lpf(jm_bq_coef_t *c, double fs, double f0, double q)
{
    double w = 2.0 * M_PI * f0 / fs, cw = cos(w), alpha = sin(w) / (2.0 * q), a0 = 1.0 + alpha;
    c->b0 = (1.0 - cw) / 2.0 / a0;
    c->b1 = (1.0 - cw) / a0;
    c->b2 = c->b0;
    c->a1 = -2.0 * cw / a0;
    c->a2 = (1.0 - alpha) / a0;
}

/* The biquads of a curve; returns their count. */
static int curve_design(int curve, double fs, jm_bq_coef_t *c, int *mono)
{
    *mono = 0;
    switch (curve) {
    case JM_CURVE_PHONE:
        *mono = 1;
        jm_bq_design(&c[0], JM_BQ_HPF, fs, 300.0, Q4A, 0.0);
        jm_bq_design(&c[1], JM_BQ_HPF, fs, 300.0, Q4B, 0.0);
        design_lpf(&c[2], fs, 8000.0, Q4A);
        design_lpf(&c[3], fs, 8000.0, Q4B);
        return 4;
    case JM_CURVE_LAPTOP:
        jm_bq_design(&c[0], JM_BQ_HPF, fs, 200.0, JM_BQ_BUTTERWORTH_Q, 0.0);
        jm_bq_design(&c[1], JM_BQ_PEAK, fs, 2500.0, 1.0, 3.0);
        return 2;
    case JM_CURVE_EARBUDS:
        jm_bq_design(&c[0], JM_BQ_HPF, fs, 50.0, JM_BQ_BUTTERWORTH_Q, 0.0);
        jm_bq_design(&c[1], JM_BQ_PEAK, fs, 3000.0, 1.0, 3.0);
        jm_bq_design(&c[2], JM_BQ_HIGHSHELF, fs, 10000.0, JM_BQ_BUTTERWORTH_Q, -3.0);
        return 3;
    case JM_CURVE_CAR:
        jm_bq_design(&c[0], JM_BQ_LOWSHELF, fs, 80.0, JM_BQ_BUTTERWORTH_Q, 4.0);
        jm_bq_design(&c[1], JM_BQ_HIGHSHELF, fs, 8000.0, JM_BQ_BUTTERWORTH_Q, -2.0);
        return 2;
    case JM_CURVE_CLUB:
        jm_bq_design(&c[0], JM_BQ_HPF, fs, 30.0, JM_BQ_BUTTERWORTH_Q, 0.0);
        jm_bq_design(&c[1], JM_BQ_PEAK, fs, 50.0, 1.0, 3.0);
        return 2;
    default: return 0;
    }
}

double jm_monitor_curve_db(int curve, double fs, double f)
{
    jm_bq_coef_t c[JM_MONITOR_MAX_BQ];
    int mono, n = curve_design(curve, fs, c, &mono);
    double db = 0.0;
    for (int k = 0; k < n; k++) db += jm_bq_mag_db(&c[k], fs, f);
    return db;
}

static void chain_load(jm_monitor_chain_t *ch, int curve, double fs)
{
    jm_bq_coef_t c[JM_MONITOR_MAX_BQ];
    memset(ch, 0, sizeof *ch);
    ch->n = curve_design(curve, fs, c, &ch->mono);
    for (int k = 0; k < ch->n; k++) {
        ch->b0[k] = c[k].b0;
        ch->b1[k] = c[k].b1;
        ch->b2[k] = c[k].b2;
        ch->a1[k] = c[k].a1;
        ch->a2[k] = c[k].a2;
    }
}

/* Transposed direct form II, double state: fixed coefficients, so no
 * interpolation issue; double keeps 30 Hz filters exact at 48 kHz. */
static inline float chain_tick(jm_monitor_chain_t *ch, int c, float x)
{
    double y = x;
    for (int k = 0; k < ch->n; k++) {
        double in = y;
        y = ch->b0[k] * in + ch->z1[c][k];
        ch->z1[c][k] = ch->b1[k] * in - ch->a1[k] * y + ch->z2[c][k];
        ch->z2[c][k] = ch->b2[k] * in - ch->a2[k] * y;
        if (fabs(ch->z1[c][k]) < 1e-30) ch->z1[c][k] = 0.0; /* no denormals */
        if (fabs(ch->z2[c][k]) < 1e-30) ch->z2[c][k] = 0.0;
    }
    return (float)y;
}

void jm_monitor_init(jm_monitor_t *m, float fs)
{
    memset(m, 0, sizeof *m);
    m->fs = fs;
    m->fade = (int)lroundf(0.02f * fs);
    m->g = m->g_tgt = 1.0f;
    chain_load(&m->cur, JM_CURVE_FLAT, fs);
}

void jm_monitor_set(jm_monitor_t *m, int field, float value)
{
    switch (field) {
    case JM_MONF_LEVEL: m->level_db = value; break;
    case JM_MONF_DIM: m->dim = value >= 0.5f; break;
    case JM_MONF_MONO: m->mono = value >= 0.5f; break;
    case JM_MONF_SIDE: m->side = value >= 0.5f; break;
    case JM_MONF_CURVE: {
        int c = (int)lroundf(value);
        if (c < 0 || c >= JM_CURVE_COUNT || c == m->curve) break;
        m->prev = m->cur;               /* keeps its state: it fades out */
        chain_load(&m->cur, c, m->fs);
        m->curve = c;
        m->xf_left = m->fade;
        break;
    }
    default: break;
    }
}

void jm_monitor_process(jm_monitor_t *m, const float *l, const float *r, float *out_l,
                        float *out_r, uint32_t n)
{
    float tg = jm_db_to_gain(m->level_db) * (m->dim ? 0.1f : 1.0f); /* dim: -20 dB */
    float tm = (m->mono || m->cur.mono) ? 1.0f : 0.0f, ts = m->side;
    float step = 1.0f / (float)m->fade;
    if (tg != m->g_tgt) { /* a new level: glide there linearly over the smoothing time */
        m->g_tgt = tg;
        m->g_step = (tg - m->g) / (float)m->fade;
        m->g_left = m->fade;
    }
    for (uint32_t k = 0; k < n; k++) {
        if (m->g_left > 0) m->g = --m->g_left ? m->g + m->g_step : m->g_tgt;
        m->m += fmaxf(-step, fminf(step, tm - m->m));
        m->s += fmaxf(-step, fminf(step, ts - m->s));
        float a = chain_tick(&m->cur, 0, l[k]), b = chain_tick(&m->cur, 1, r[k]);
        if (m->xf_left > 0) {
            float w = (float)m->xf_left / (float)m->fade;
            a += w * (chain_tick(&m->prev, 0, l[k]) - a);
            b += w * (chain_tick(&m->prev, 1, r[k]) - b);
            m->xf_left--;
        }
        float mid = 0.5f * (a + b), side = a - b;
        a += m->m * (mid - a);
        b += m->m * (mid - b);
        a += m->s * (side - a); /* side: L-R on both sides, over everything else */
        b += m->s * (side - b);
        out_l[k] = a * m->g;
        out_r[k] = b * m->g;
    }
}
