/* The monitor section (docs/dsp.md): the master after the limiter, through a
 * translation curve, mono or side, dim and level, to monitor_L/R. It never
 * touches the master outputs and adds no latency (IIR filters only).
 *
 * Curves (RBJ cookbook biquads; the documented response is the product of
 * their analytic responses, jm_monitor_curve_db):
 *   flat     nothing
 *   phone    mono; 4th-order Butterworth high-pass at 300 Hz and low-pass
 *            at 8 kHz (24 dB/oct edges)
 *   laptop   12 dB/oct high-pass 200 Hz; +3 dB peak at 2.5 kHz (Q 1)
 *   earbuds  12 dB/oct high-pass 50 Hz; +3 dB peak at 3 kHz (Q 1);
 *            -3 dB high shelf at 10 kHz
 *   car      +4 dB low shelf at 80 Hz; -2 dB high shelf at 8 kHz
 *   club     12 dB/oct high-pass 30 Hz; +3 dB peak at 50 Hz (Q 1)
 *
 * Threads: audio thread (process, set), after init on any thread. */
#ifndef JMIXD_DSP_MONITOR_H
#define JMIXD_DSP_MONITOR_H

#include "jmixd/dsp/fields.h"

#include <stdint.h>

enum { JM_CURVE_FLAT, JM_CURVE_PHONE, JM_CURVE_LAPTOP, JM_CURVE_EARBUDS, JM_CURVE_CAR,
       JM_CURVE_CLUB, JM_CURVE_COUNT };

#define JM_MONITOR_MAX_BQ 4

/* Glossary: b/a = normalised biquad coefficients; z = transposed direct
 * form II state per channel; n = biquads in the chain. */
typedef struct {
    double b0[JM_MONITOR_MAX_BQ], b1[JM_MONITOR_MAX_BQ], b2[JM_MONITOR_MAX_BQ];
    double a1[JM_MONITOR_MAX_BQ], a2[JM_MONITOR_MAX_BQ];
    double z1[2][JM_MONITOR_MAX_BQ], z2[2][JM_MONITOR_MAX_BQ];
    int n;
    int mono;           /* the curve listens in mono (phone) */
} jm_monitor_chain_t;

/* Glossary: cur/prev = the chains of the curve now and the one being faded
 * out; xf = crossfade position 1..0 towards cur (frames left / fade);
 * level, dim, mono, side = targets; g* = their smoothed values. */
typedef struct {
    float fs;
    int fade;                   /* frames of every smoothing and crossfade */
    int curve, xf_left;
    jm_monitor_chain_t cur, prev;
    float level_db, dim, mono, side;
    float g, m, s;              /* smoothed gain, mono blend, side blend */
    float g_tgt, g_step;        /* gain glide */
    int g_left;
} jm_monitor_t;

void jm_monitor_init(jm_monitor_t *m, float fs);
/* field: JM_MONF_*; value in the parameter's unit (curve: index). */
void jm_monitor_set(jm_monitor_t *m, int field, float value);
/* From the monitor feed l/r (the master's final output, or the listen bus:
 * engine/mixer.h) into out_l/out_r. In place (out_l == l, out_r == r) is
 * fine: each frame is read before it is written; no other overlap is. */
void jm_monitor_process(jm_monitor_t *m, const float *l, const float *r, float *out_l,
                        float *out_r, uint32_t n);
/* The documented response of a curve at f Hz (dB), from its coefficients. */
double jm_monitor_curve_db(int curve, double fs, double f);
const char *jm_monitor_curve_name(int curve);

#endif
