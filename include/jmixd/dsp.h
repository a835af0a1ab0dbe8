/* Pure DSP of the console: no JACK, no liblo, no I/O, no allocation.
 * The same code runs in the daemon's process callback, in `jmixd render`
 * and in the unit tests.
 *
 * Threads: every function here is real-time safe; a bank belongs to one
 * thread at a time (the audio thread while the engine runs). */
#ifndef JMIXD_DSP_H
#define JMIXD_DSP_H

#include "jmixd/params.h"

#include <stdint.h>

/* Linear ramps, structure of arrays so many strips step together.
 * Glossary: cur = value this sample; tgt = destination; step = increment per
 * sample; left = samples until cur lands exactly on tgt. */
typedef struct {
    float cur[JM_MAX_STRIPS];
    float tgt[JM_MAX_STRIPS];
    float step[JM_MAX_STRIPS];
    int32_t left[JM_MAX_STRIPS];
} jm_rampbank_t;

/* Start a ramp of `len` samples to `tgt` (len 0: jump). */
void jm_ramp_set(jm_rampbank_t *r, int i, float tgt, int32_t len);

static inline float jm_ramp_next(jm_rampbank_t *r, int i)
{
    if (r->left[i] > 0) {
        r->cur[i] = --r->left[i] ? r->cur[i] + r->step[i] : r->tgt[i];
    }
    return r->cur[i];
}

/* dB to linear gain; -90 dB and below are silence (exactly 0). */
float jm_db_to_gain(float db);
/* Constant-power pan, SPEC 10: p = (pan+1)/2, gL = cos(p pi/2), gR = sin(p pi/2). */
void jm_pan_mono(float pan, float *gl, float *gr);
/* Balance for stereo strips: unity at centre; the far side follows
 * cos((|pan|) pi/2), so it is -3 dB at |pan| 0.5 and silent at 1. */
void jm_pan_balance(float pan, float *gl, float *gr);

/* Per-window meter accumulators: peak |x| and sum of squares. */
typedef struct {
    float peak;
    double sumsq;
} jm_meteracc_t;

/* The gain stage of every strip: trim x polarity, mute/solo, fader, pan.
 * Glossary: in = trim gain signed by polarity; mute = 1 playing, 0 muted or
 * soloed away; fader = linear fader gain; pl/pr = pan or balance gains. */
typedef struct {
    int n;                          /* strips in use */
    uint8_t stereo[JM_MAX_STRIPS];
    jm_rampbank_t in, mute, fader, pl, pr;
    jm_meteracc_t meter[JM_MAX_STRIPS];
} jm_strip_bank_t;

/* in[2*i] (and in[2*i+1] for a stereo strip) are the strip's inputs; the
 * strips' outputs are added into sum_l/sum_r (the caller clears them). */
void jm_strip_bank_process(jm_strip_bank_t *b, const float *const *in, float *sum_l,
                           float *sum_r, uint32_t n);

/* Master: fader, mono blend, meters. mono: 0 stereo .. 1 (L+R)/2 both sides. */
typedef struct {
    jm_rampbank_t g;                /* lane 0 fader gain, lane 1 mono blend */
    jm_meteracc_t meter[2];
} jm_master_t;

void jm_master_process(jm_master_t *m, float *l, float *r, uint32_t n);

#endif
