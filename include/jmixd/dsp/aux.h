/* Aux (monitor) sends: the taps of a strip that feed aux buses, and the
 * sends from them into each aux bus. Recipe: docs/dsp.md, "Aux buses".
 *
 * Aux taps ignore solo: solo in place silences other strips on the master
 * only, so soloing never changes what a musician hears. A strip's mute does
 * silence its aux sends, as on consoles.
 *
 * Threads: real-time safe (no allocation, locks or system calls); a bank
 * belongs to one thread at a time (the audio thread while the engine runs). */
#ifndef JMIXD_DSP_AUX_H
#define JMIXD_DSP_AUX_H

#include "jmixd/dsp/gain.h"

#include <stdint.h>

/* Per strip. Glossary: mute = 1 playing, 0 muted (the strip's own mute,
 * never solo); fader = the strip's fader gain (a copy of the main path's
 * ramp, so the aux path can be skipped without disturbing it). */
typedef struct {
    jm_rampbank_t mute, fader;
} jm_aux_taps_t;

/* From the chain's output s x gin (gin: a gain still to apply, 1 when s is
 * final): pre = s x gin x mute, post = pre x fader. s_r, pre_r, post_r only
 * for stereo strips. */
void jm_aux_taps(jm_aux_taps_t *t, int i, int stereo, const float *s_l, const float *s_r,
                 float gin, float *pre_l, float *pre_r, float *post_l, float *post_r, uint32_t n);
/* Strip i feeds no aux bus this block: its ramps jump to their targets. */
void jm_aux_taps_skip(jm_aux_taps_t *t, int i);

/* Sends of every strip to one aux bus. Glossary: level = linear send gain
 * (x on); pre = 1 pre-fader, 0 post (ramped: switching crossfades); pl, pr =
 * gains into the bus sides: mono strip into a stereo bus: constant-power
 * pan; stereo strip into a stereo bus: balance; into a mono bus pl = 1 (mono
 * strip) or pl = pr = 0.5 (stereo strip, (L+R)/2). */
typedef struct {
    jm_rampbank_t level, pre, pl, pr;
} jm_aux_send_bank_t;

/* The pan gains for a send pan of a strip (stereo or not) into a bus (stereo or not). */
void jm_aux_pan(float pan, int strip_stereo, int bus_stereo, float *pl, float *pr);

/* 1 when strip i's send is silent and settled (it adds nothing). */
static inline int jm_aux_send_silent(const jm_aux_send_bank_t *sb, int i)
{
    return sb->level.cur[i] == 0.0f && sb->level.left[i] == 0;
}

/* Add strip i's send into bus_l (and bus_r for a stereo bus). */
void jm_aux_send(jm_aux_send_bank_t *sb, int i, int strip_stereo, int bus_stereo,
                 const float *pre_l, const float *pre_r, const float *post_l, const float *post_r,
                 float *bus_l, float *bus_r, uint32_t n);

/* bus += x x gain (gain ramps on lane i): an FX return into an aux bus. */
void jm_aux_add(jm_rampbank_t *gain, int i, const float *x, float *bus, uint32_t n);

/* The aux bus output stage in place: x gain (fader x mute, lane i). r may be NULL (mono). */
void jm_aux_gain(jm_rampbank_t *gain, int i, float *l, float *r, uint32_t n);

/* Talkback (docs/dsp.md, "Talkback"). tb: lane 0 = the program's dim gain
 * (1 while off), lane 1 = the mic's gain (0 while off), both ramped so the
 * switch never clicks. Per sample: dim[k] = the dim gain, talk[k] = mic x
 * the mic's gain (mic NULL: silence, as in a render). */
void jm_aux_talkback_gains(jm_rampbank_t *tb, const float *mic, float *dim, float *talk, uint32_t n);
/* 1 when talkback is off and settled: it changes nothing. */
static inline int jm_aux_talkback_idle(const jm_rampbank_t *tb)
{
    return tb->cur[0] == 1.0f && tb->cur[1] == 0.0f && !tb->left[0] && !tb->left[1];
}
/* An aux bus's program after its fader: x dim, + talk (r NULL: mono). */
void jm_aux_talkback_mix(float *l, float *r, const float *dim, const float *talk, uint32_t n);

#endif
