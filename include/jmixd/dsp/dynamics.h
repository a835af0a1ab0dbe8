/* Dynamics: noise gate and feed-forward soft-knee compressor, as banks of
 * lanes (one lane per strip, structure of arrays). A stereo lane uses a
 * linked detector, max(|L|, |R|), and applies one gain to both channels.
 *
 * Threads: every function is real-time safe (no allocation, locks, system
 * calls); a bank belongs to one thread at a time (the audio thread while the
 * engine runs). */
#ifndef JMIXD_DSP_DYNAMICS_H
#define JMIXD_DSP_DYNAMICS_H

#include "jmixd/dsp/fields.h"

#include <stdint.h>

/* Gate. Behaviour: the gate is open while some sample reached the threshold
 * (peak |x| >= threshold) within the last `hold` ms; then it closes.
 * Closing goes linearly in dB from 0 dB to -range over the release time (an
 * exponential fade, the natural decay); opening goes linearly in amplitude
 * from the closed gain to 1 over the attack time (a dB-linear opening would
 * put most of the rise into its last samples and click). The rates are set
 * for the full range (at least 1 dB), so a range change while closed is
 * followed at the same rates.
 * Glossary: thr = threshold as a linear peak; floor = 10^(-range/20), the
 * closed gain; up = gain added per sample while opening; down = factor per
 * sample while closing; hold = samples the gate stays open after the last
 * sample at or above thr; g = current gain (linear, floor..1, never
 * subnormal); left = hold samples remaining. */
typedef struct {
    float thr[JM_MAX_STRIPS], floor[JM_MAX_STRIPS];
    float up[JM_MAX_STRIPS], down[JM_MAX_STRIPS];
    int32_t hold[JM_MAX_STRIPS];
    float g[JM_MAX_STRIPS];
    int32_t left[JM_MAX_STRIPS];
} jm_gate_bank_t;

/* Parameters in their units: dB, dB (>= 0), ms, ms, ms. */
void jm_gate_set(jm_gate_bank_t *g, int lane, float fs, float threshold_db, float range_db,
                 float attack_ms, float hold_ms, float release_ms);
/* State to "just opened": unity gain with a full hold ahead. */
void jm_gate_reset(jm_gate_bank_t *g, int lane);
/* In place; r is NULL for a mono lane. */
void jm_gate_run(jm_gate_bank_t *g, int lane, float *l, float *r, uint32_t n);

/* Compressor: Giannoulis, Massberg, Reiss, "Digital Dynamic Range Compressor
 * Design - A Tutorial and Analysis", JAES 60(6), 2012: static soft-knee
 * curve yG(xG), smooth decoupled peak detector on xL = xG - yG,
 * gain = makeup - yL (dB).
 * Time constants: alpha = exp(-1/(tau fs)). On an upward step of the
 * over-threshold level, y1 follows at once and yL (the gain reduction) moves
 * as a one-pole with tau = attack: 1 - 1/e of the change after `attack`.
 * On a downward step, y1 falls as a one-pole with tau = release and yL
 * follows through the attack one-pole, so 1 - 1/e of the change is covered
 * after about release + attack (exactly: the cascade of the two one-poles).
 * Glossary: thr, knee = T and W in dB; slope = 1 - 1/R; makeup in dB;
 * p_thr, p_makeup = the threshold and makeup a run starts from (a run moves
 * them per sample to thr and makeup; ratio and knee change once per run);
 * aa, ar = attack and release alpha; ka, kr = 1 - alpha; y1 = release-
 * smoothed peak of xL; yl = gain reduction yL, dB. Detector values below
 * 1e-20 are flushed to 0 every sample, so silence leaves no denormals. */
typedef struct {
    float thr[JM_MAX_STRIPS], knee[JM_MAX_STRIPS], slope[JM_MAX_STRIPS], makeup[JM_MAX_STRIPS];
    float p_thr[JM_MAX_STRIPS], p_makeup[JM_MAX_STRIPS];
    float aa[JM_MAX_STRIPS], ar[JM_MAX_STRIPS], ka[JM_MAX_STRIPS], kr[JM_MAX_STRIPS];
    float y1[JM_MAX_STRIPS], yl[JM_MAX_STRIPS];
} jm_comp_bank_t;

/* Parameters in their units: dB, ratio (:1, >= 1), ms, ms, dB, dB.
 * glide = 0: take effect at once; 1: the next run moves to them linearly. */
void jm_comp_set(jm_comp_bank_t *c, int lane, float fs, float threshold_db, float ratio,
                 float attack_ms, float release_ms, float knee_db, float makeup_db, int glide);
/* Clear the detector (no gain reduction) and end any threshold/makeup glide. */
void jm_comp_reset(jm_comp_bank_t *c, int lane);
/* In place; r is NULL for a mono lane. */
void jm_comp_run(jm_comp_bank_t *c, int lane, float *l, float *r, uint32_t n);
/* The static curve yG(xG) in dB (pure; the tests' reference). */
float jm_comp_curve_db(float x_db, float threshold_db, float ratio, float knee_db);
/* Current gain reduction yL, dB (>= 0; makeup not included). */
static inline float jm_comp_gr_db(const jm_comp_bank_t *c, int lane) { return c->yl[lane]; }

#endif
