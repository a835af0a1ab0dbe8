/* Biquads: RBJ cookbook design, analytic magnitude, per-lane filter banks.
 * Design formulas: Robert Bristow-Johnson, "Audio EQ Cookbook" (W3C note),
 * www.w3.org/TR/audio-eq-cookbook (docs/dsp.md). The banks realise the same
 * transfer functions as Andrew Simper's trapezoidal SVF (Cytomic technical
 * paper "SvfLinearTrapOptimised2", 2013); see dsp/biquad.h for why. */
#include "jmixd/dsp/biquad.h"

#include <math.h>

#define FLUSH 1e-20f /* state magnitudes below this are set to exact 0 */
#define PI 3.14159265358979323846

void jm_bq_design(jm_bq_coef_t *c, jm_bq_type_t type, double fs, double f0, double q,
                  double gain_db)
{
    if (f0 > 0.49 * fs) f0 = 0.49 * fs;
    if (f0 < 1.0) f0 = 1.0;
    if (q < 0.01) q = 0.01;
    /* Cookbook: w0 = 2 pi f0 / Fs, alpha = sin(w0) / (2Q), A = 10^(dBgain/40). */
    double w0 = 2.0 * PI * f0 / fs, cw = cos(w0), alpha = sin(w0) / (2.0 * q);
    double A = pow(10.0, gain_db / 40.0), sa = 2.0 * sqrt(A) * alpha;
    double b0, b1, b2, a0, a1, a2;
    switch (type) {
    case JM_BQ_HPF:
        b0 = (1.0 + cw) / 2.0; b1 = -(1.0 + cw); b2 = b0;
        a0 = 1.0 + alpha; a1 = -2.0 * cw; a2 = 1.0 - alpha;
        break;
    case JM_BQ_PEAK:
        b0 = 1.0 + alpha * A; b1 = -2.0 * cw; b2 = 1.0 - alpha * A;
        a0 = 1.0 + alpha / A; a1 = -2.0 * cw; a2 = 1.0 - alpha / A;
        break;
    case JM_BQ_LOWSHELF:
        b0 = A * ((A + 1.0) - (A - 1.0) * cw + sa);
        b1 = 2.0 * A * ((A - 1.0) - (A + 1.0) * cw);
        b2 = A * ((A + 1.0) - (A - 1.0) * cw - sa);
        a0 = (A + 1.0) + (A - 1.0) * cw + sa;
        a1 = -2.0 * ((A - 1.0) + (A + 1.0) * cw);
        a2 = (A + 1.0) + (A - 1.0) * cw - sa;
        break;
    case JM_BQ_HIGHSHELF:
    default:
        b0 = A * ((A + 1.0) + (A - 1.0) * cw + sa);
        b1 = -2.0 * A * ((A - 1.0) + (A + 1.0) * cw);
        b2 = A * ((A + 1.0) + (A - 1.0) * cw - sa);
        a0 = (A + 1.0) - (A - 1.0) * cw + sa;
        a1 = 2.0 * ((A - 1.0) - (A + 1.0) * cw);
        a2 = (A + 1.0) - (A - 1.0) * cw - sa;
        break;
    }
    c->b0 = b0 / a0; c->b1 = b1 / a0; c->b2 = b2 / a0;
    c->a1 = a1 / a0; c->a2 = a2 / a0;
}

/* |p0 + p1 z^-1 + p2 z^-2|^2 on the unit circle, with s = sin^2(w/2):
 * (p0+p1+p2)^2 - 4 s (p0 p1 + p1 p2 + 4 p0 p2) + 16 p0 p2 s^2
 * (from cos w = 1 - 2s, cos 2w = 1 - 8s + 8s^2); no cancellation near DC. */
static double poly_mag2(double p0, double p1, double p2, double s)
{
    double sum = p0 + p1 + p2;
    return sum * sum - 4.0 * s * (p0 * p1 + p1 * p2 + 4.0 * p0 * p2) + 16.0 * p0 * p2 * s * s;
}

double jm_bq_mag_db(const jm_bq_coef_t *c, double fs, double f)
{
    double h = sin(PI * f / fs), s = h * h;
    double num = poly_mag2(c->b0, c->b1, c->b2, s), den = poly_mag2(1.0, c->a1, c->a2, s);
    if (num < 1e-300) num = 1e-300; /* a zero on the unit circle (HPF at DC) */
    return 10.0 * log10(num / den);
}

/* Simper's SVF mixes for the cookbook types (same H(z) as jm_bq_design):
 * HPF: m = (1, -k, -1); bell: k = 1/(Q A), m = (1, k (A^2 - 1), 0);
 * low shelf: g = tan/sqrt(A), m = (1, k (A - 1), A^2 - 1);
 * high shelf: g = tan sqrt(A), m = (A^2, k (1 - A) A, 1 - A^2). */
void jm_bq_bank_set(jm_bq_bank_t *b, int i, jm_bq_type_t type, double fs, double f0, double q,
                    double gain_db)
{
    if (f0 > 0.49 * fs) f0 = 0.49 * fs;
    if (f0 < 1.0) f0 = 1.0;
    if (q < 0.01) q = 0.01;
    double A = pow(10.0, gain_db / 40.0), g = tan(PI * f0 / fs), k = 1.0 / q;
    double m0 = 1.0, m1, m2;
    switch (type) {
    case JM_BQ_HPF:
        m1 = -k;
        m2 = -1.0;
        break;
    case JM_BQ_PEAK:
        k = 1.0 / (q * A);
        m1 = k * (A * A - 1.0);
        m2 = 0.0;
        break;
    case JM_BQ_LOWSHELF:
        g /= sqrt(A);
        m1 = k * (A - 1.0);
        m2 = A * A - 1.0;
        break;
    case JM_BQ_HIGHSHELF:
    default:
        g *= sqrt(A);
        m0 = A * A;
        m1 = k * (1.0 - A) * A;
        m2 = 1.0 - A * A;
        break;
    }
    double a1 = 1.0 / (1.0 + g * (g + k));
    b->a1[i] = (float)a1;
    b->a2[i] = (float)(g * a1);
    b->a3[i] = (float)(g * g * a1);
    b->m0[i] = (float)m0;
    b->m1[i] = (float)m1;
    b->m2[i] = (float)m2;
}

void jm_bq_bank_clear(jm_bq_bank_t *b, int i)
{
    for (int ch = 0; ch < 2; ch++) {
        b->s1[ch][i] = b->s2[ch][i] = 0.0f;
        b->p0[ch][i] = b->m0[i], b->p1[ch][i] = b->m1[i], b->p2[ch][i] = b->m2[i];
    }
}

/* One SVF step: y from x, states updated (see dsp/biquad.h). */
#define SVF_STEP(x, y, s1, s2, m0, m1, m2)                                                         \
    do {                                                                                           \
        float v3_ = (x) - (s2), v1_ = a1 * (s1) + a2 * v3_, v2_ = (s2) + a2 * (s1) + a3 * v3_;      \
        (s1) = 2.0f * v1_ - (s1);                                                                  \
        (s2) = 2.0f * v2_ - (s2);                                                                  \
        (y) = (m0) * (x) + (m1) * v1_ + (m2) * v2_;                                                \
    } while (0)

static float flushf(float v) { return fabsf(v) < FLUSH ? 0.0f : v; }

void jm_bq_bank_run(jm_bq_bank_t *b, int i, int ch, const float *in, float *out, uint32_t n)
{
    if (!n) return;
    const float a1 = b->a1[i], a2 = b->a2[i], a3 = b->a3[i], inv = 1.0f / (float)n;
    float m0 = b->p0[ch][i], m1 = b->p1[ch][i], m2 = b->p2[ch][i];
    const float d0 = (b->m0[i] - m0) * inv, d1 = (b->m1[i] - m1) * inv, d2 = (b->m2[i] - m2) * inv;
    float s1 = b->s1[ch][i], s2 = b->s2[ch][i];
    for (uint32_t k = 0; k < n; k++) {
        m0 += d0, m1 += d1, m2 += d2;
        SVF_STEP(in[k], out[k], s1, s2, m0, m1, m2);
    }
    b->p0[ch][i] = b->m0[i], b->p1[ch][i] = b->m1[i], b->p2[ch][i] = b->m2[i];
    b->s1[ch][i] = flushf(s1);
    b->s2[ch][i] = flushf(s2);
}

void jm_bq_bank_run2(jm_bq_bank_t *b, int i, float *l, float *r, uint32_t n)
{
    if (!n) return;
    /* both channels share the mix glide, so channel 0's start values serve */
    const float a1 = b->a1[i], a2 = b->a2[i], a3 = b->a3[i], inv = 1.0f / (float)n;
    float m0 = b->p0[0][i], m1 = b->p1[0][i], m2 = b->p2[0][i];
    const float d0 = (b->m0[i] - m0) * inv, d1 = (b->m1[i] - m1) * inv, d2 = (b->m2[i] - m2) * inv;
    float s1 = b->s1[0][i], s2 = b->s2[0][i], t1 = b->s1[1][i], t2 = b->s2[1][i];
    for (uint32_t k = 0; k < n; k++) {
        m0 += d0, m1 += d1, m2 += d2;
        SVF_STEP(l[k], l[k], s1, s2, m0, m1, m2);
        SVF_STEP(r[k], r[k], t1, t2, m0, m1, m2);
    }
    for (int ch = 0; ch < 2; ch++) b->p0[ch][i] = b->m0[i], b->p1[ch][i] = b->m1[i], b->p2[ch][i] = b->m2[i];
    b->s1[0][i] = flushf(s1), b->s2[0][i] = flushf(s2);
    b->s1[1][i] = flushf(t1), b->s2[1][i] = flushf(t2);
}

int jm_bq_bank_denormals(const jm_bq_bank_t *b, int i)
{
    int n = 0;
    for (int ch = 0; ch < 2; ch++)
        n += (fpclassify(b->s1[ch][i]) == FP_SUBNORMAL) + (fpclassify(b->s2[ch][i]) == FP_SUBNORMAL);
    return n;
}
