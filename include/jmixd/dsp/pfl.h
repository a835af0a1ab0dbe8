/* The listen bus (PFL/AFL) of the monitor section: strips and aux buses
 * flagged `pfl` are summed into a stereo bus that replaces the master on
 * monitor_L/R while any is flagged. Recipe: docs/dsp.md, "PFL and AFL".
 *
 * It only reads signals the mixer has computed anyway (a strip's chain
 * output, an aux bus's final output, the final master) and writes only the
 * listen bus and the monitor feed, so the master, the aux outputs, the
 * recorder and the loudness meter never change.
 *
 * Threads: real-time safe (no allocation, locks or system calls); a bank
 * belongs to one thread at a time (the audio thread while the engine runs). */
#ifndef JMIXD_DSP_PFL_H
#define JMIXD_DSP_PFL_H

#include "jmixd/dsp/gain.h"

#include <stdint.h>

/* Per source (strip or aux bus, lane i). Glossary: gl, gr = the gains of the
 * source into the listen bus's sides, 0 while it is not listened to; they
 * carry the whole gain (PFL: the master's pan law at centre for a mono
 * strip; AFL: fader x mute x pan), ramped so every change glides. */
typedef struct {
    jm_rampbank_t gl, gr;
} jm_pfl_bank_t;

/* The targets of gl, gr for a strip: off; PFL (pre-fader, pre-mute, mono
 * strips centred with the master's constant-power law, stereo as is); AFL
 * (x fader x mute x the strip's own pan or balance, as into the master). */
void jm_pfl_strip_gains(int on, int afl, int stereo, float fader, int muted, float pan,
                        float *gl, float *gr);

/* 1 when source i is silent and settled: it adds nothing. */
static inline int jm_pfl_silent(const jm_pfl_bank_t *p, int i)
{
    return p->gl.cur[i] == 0.0f && p->gr.cur[i] == 0.0f && !p->gl.left[i] && !p->gr.left[i];
}

/* Source i is not computed this block: its ramps jump to their targets. */
void jm_pfl_skip(jm_pfl_bank_t *p, int i);

/* bus += s x gin x (gl, gr); s_r NULL: a mono source into both sides. */
void jm_pfl_add(jm_pfl_bank_t *p, int i, const float *s_l, const float *s_r, float gin,
                float *bus_l, float *bus_r, uint32_t n);

/* The monitor feed: out = master + w x (listen - master), w = lane 0 of
 * `w` (0: the master, 1: the listen bus; ramped, so switching crossfades).
 * out may not alias the inputs. */
void jm_pfl_select(jm_rampbank_t *w, const float *m_l, const float *m_r, const float *p_l,
                   const float *p_r, float *out_l, float *out_r, uint32_t n);

#endif
