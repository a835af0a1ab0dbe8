/* Pure DSP of the console: no JACK, no liblo, no I/O, no allocation.
 * The same code runs in the daemon's process callback, in `jmixd render`
 * and in the unit tests.
 *
 * Threads: every function here is real-time safe; a bank belongs to one
 * thread at a time (the audio thread while the engine runs). */
#ifndef JMIXD_DSP_H
#define JMIXD_DSP_H

#include "jmixd/dsp/fields.h"

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
/* Constant-power pan (docs/dsp.md): p = (pan+1)/2, gL = cos(p pi/2), gR = sin(p pi/2). */
void jm_pan_mono(float pan, float *gl, float *gr);
/* Balance for stereo strips: unity at centre; the far side follows
 * cos((|pan|) pi/2), so it is -3 dB at |pan| 0.5 and silent at 1. */
void jm_pan_balance(float pan, float *gl, float *gr);

/* Per-window meter accumulators: peak |x| and sum of squares. */
typedef struct {
    float peak;
    double sumsq;
} jm_meteracc_t;

/* The gain stages of every strip: trim x polarity before the chain; mute,
 * fader and pan after it.
 * Glossary: in = trim gain signed by polarity; mute = 1 playing, 0 muted or
 * soloed away; fader = linear fader gain; pl/pr = pan or balance gains;
 * meter = post-fader peak/RMS accumulators. */
typedef struct {
    int n;                          /* strips in use */
    uint8_t stereo[JM_MAX_STRIPS];
    jm_rampbank_t in, mute, fader, pl, pr;
    jm_meteracc_t meter[JM_MAX_STRIPS];
} jm_strip_bank_t;

/* s = in x (trim, polarity). in_r/s_r only for stereo strips. */
void jm_strip_input(jm_strip_bank_t *b, int i, const float *in_l, const float *in_r, float *s_l,
                    float *s_r, uint32_t n);
/* From the chain's output s: pre = s x mute (pre-fader tap), post = pre x
 * fader (post-fader tap, metered), then post x pan added into sum_l/sum_r.
 * s_r, pre_r, post_r only for stereo strips. */
void jm_strip_output(jm_strip_bank_t *b, int i, const float *s_l, const float *s_r, float *pre_l,
                     float *pre_r, float *post_l, float *post_r, float *sum_l, float *sum_r,
                     uint32_t n);

/* Sends of every strip to one bus. Glossary: level = linear send gain;
 * pre = 1 taps before the fader, 0 after (ramped, so switching crossfades). */
typedef struct {
    jm_rampbank_t level, pre;
} jm_send_bank_t;

/* Add strip i's send into the bus inputs. A mono strip feeds both bus sides.
 * Does nothing while the send is silent and settled. */
void jm_send_process(jm_send_bank_t *sb, int i, int stereo, const float *pre_l,
                     const float *pre_r, const float *post_l, const float *post_r, float *bus_l,
                     float *bus_r, uint32_t n);

/* Master after its chain: fader and mono blend (0 stereo .. 1 (L+R)/2 on both
 * sides). Lane 0 of g is the fader gain, lane 1 the mono blend. */
typedef struct {
    jm_rampbank_t g;
} jm_master_t;

void jm_master_process(jm_master_t *m, float *l, float *r, uint32_t n);

/* Stereo return of a bus: out += wet x gain (gain ramps on lane `i`). */
void jm_return_process(jm_rampbank_t *gain, int i, const float *wet_l, const float *wet_r,
                       float *out_l, float *out_r, jm_meteracc_t *meter, uint32_t n);

/* Accumulate a block into a meter. */
void jm_meter_block(jm_meteracc_t *m, const float *x, uint32_t n);

#endif
