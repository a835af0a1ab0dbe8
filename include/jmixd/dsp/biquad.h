/* Biquad filters: RBJ cookbook design, analytic magnitude, and banks of
 * per-lane (per-strip) filters with float state (realised as trapezoidal
 * state-variable filters; the reasons are below).
 *
 * Threads: jm_bq_design and jm_bq_mag_db are pure (any thread). The bank
 * functions are real-time safe (no allocation, locks, system calls); a bank
 * belongs to one thread at a time (the audio thread while the engine runs). */
#ifndef JMIXD_DSP_BIQUAD_H
#define JMIXD_DSP_BIQUAD_H

#include "jmixd/dsp/fields.h"

#include <stdint.h>

typedef enum {
    JM_BQ_HPF,       /* 12 dB/oct high-pass; Q = 1/sqrt(2) is Butterworth */
    JM_BQ_LOWSHELF,  /* cookbook low shelf, Q as the cookbook's Q */
    JM_BQ_PEAK,      /* cookbook peaking EQ */
    JM_BQ_HIGHSHELF  /* cookbook high shelf */
} jm_bq_type_t;

#define JM_BQ_BUTTERWORTH_Q 0.70710678118654752

/* A design: H(z) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2),
 * normalised so that a0 = 1, in double. */
typedef struct {
    double b0, b1, b2, a1, a2;
} jm_bq_coef_t;

/* RBJ "Audio EQ Cookbook" design. f0 is limited to 1 Hz .. 0.49 fs, q to
 * >= 0.01; gain_db is ignored by the HPF. Gain 0 dB gives b == a exactly
 * (identity) for the peaking and shelving types. */
void jm_bq_design(jm_bq_coef_t *c, jm_bq_type_t type, double fs, double f0, double q,
                  double gain_db);

/* |H(e^jw)| in dB at frequency f, evaluated from the coefficients in double
 * (in a sin^2(w/2) form that stays precise at low frequencies). */
double jm_bq_mag_db(const jm_bq_coef_t *c, double fs, double f);

/* A bank of second-order filters, one per lane, each with up to two channels
 * of state, realised as the trapezoidal state-variable filter of A. Simper
 * (Cytomic, "Linear Trapezoidal Integrated State Variable Filter", 2013).
 * It has exactly the transfer function of jm_bq_design (both are the
 * bilinear transform prewarped at f0). Why not transposed direct form II:
 * measured at 48 kHz with float state, TDF-II clicks when coefficients are
 * updated every 16 samples during a fast glide (high shelf 20 Hz -> 20 kHz in
 * 20 ms: sample steps 3.8x a clean sine's, SVF 1.15x), loses up to 0.3 dB at
 * 20 Hz with float coefficients, and its roundoff noise reaches -51 dBFS for
 * a 20 Hz Q 10 shelf (SVF: -104 dBFS). The SVF's states are integrator
 * states, so it tolerates modulation, and all its coefficients are well
 * conditioned in float (8 lanes per SIMD vector later).
 * Glossary: g = tan(pi f0/fs), k = 1/Q (adjusted per type, see biquad.c);
 * a1 = 1/(1 + g(g + k)), a2 = g a1, a3 = g a2; m0, m1, m2 = output mix of
 * input, band-pass and low-pass; s1, s2 = integrator states [channel][lane].
 * Per sample: v3 = x - s2; v1 = a1 s1 + a2 v3; v2 = s2 + a2 s1 + a3 v3;
 * s1 = 2 v1 - s1; s2 = 2 v2 - s2; y = m0 x + m1 v1 + m2 v2.
 * p0, p1, p2 = the mix a run starts from: m0..m2 are plain output gains
 * outside the feedback loop, so a run moves them linearly per sample from
 * p to m (a gain glide without steps); a1..a3 change once per run.
 * At 0 dB gain the peaking and shelving types have m0 = 1, m1 = m2 = 0, so
 * the output is bit-exactly the input whatever the state. */
typedef struct {
    float a1[JM_MAX_STRIPS], a2[JM_MAX_STRIPS], a3[JM_MAX_STRIPS];
    float m0[JM_MAX_STRIPS], m1[JM_MAX_STRIPS], m2[JM_MAX_STRIPS];
    float p0[2][JM_MAX_STRIPS], p1[2][JM_MAX_STRIPS], p2[2][JM_MAX_STRIPS];
    float s1[2][JM_MAX_STRIPS], s2[2][JM_MAX_STRIPS];
} jm_bq_bank_t;

/* Design a lane (arguments as jm_bq_design). The state is kept, so a
 * parameter glide stays smooth. */
void jm_bq_bank_set(jm_bq_bank_t *b, int lane, jm_bq_type_t type, double fs, double f0, double q,
                    double gain_db);
/* Zero both channels' state of a lane (and start its mix at m, no glide). */
void jm_bq_bank_clear(jm_bq_bank_t *b, int lane);
/* Filter n samples of channel ch (0 or 1) of a lane; out may equal in.
 * Afterwards state values below 1e-20 in magnitude are flushed to 0, so a
 * silent input settles to exact zeros instead of decaying into denormals
 * (call it with short blocks, as the chain does with 16 samples). */
void jm_bq_bank_run(jm_bq_bank_t *b, int lane, int ch, const float *in, float *out,
                    uint32_t n);
/* Both channels of a stereo lane in one pass, in place (about 1.6x faster
 * than two jm_bq_bank_run calls: the two recursions overlap). */
void jm_bq_bank_run2(jm_bq_bank_t *b, int lane, float *l, float *r, uint32_t n);
/* Number of subnormal state values of a lane (test helper; 0 expected). */
int jm_bq_bank_denormals(const jm_bq_bank_t *b, int lane);

#endif
