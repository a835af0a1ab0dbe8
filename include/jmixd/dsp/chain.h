/* The processing chain of a strip (or of the master): HPF -> gate ->
 * EQ (JM_EQ_BANDS = 4 bands) -> compressor, for many strips at once, state laid out as
 * structure of arrays indexed by strip (so strips can later be processed
 * 8 per SIMD vector).
 *
 * Parameters are the chain fields JM_CF_* of dsp/fields.h (band b of an EQ field
 * is JM_CF_EQ_FREQ + b etc.), in the parameter's unit, already clamped to its
 * range. Every change is smoothed: freq, Q, ratio and times glide linearly in
 * log2, everything else linearly, over ramp_len samples; while a parameter
 * glides, coefficients are recomputed every JM_CHAIN_SUB samples from the
 * interpolated parameters (never interpolated coefficients; only output
 * gains - the filters' output mix, compressor threshold and makeup - also
 * move per sample within a sub-block). Switching a
 * block on/off: HPF, gate and compressor crossfade linearly between the
 * bypassed and processed signal over ramp_len; EQ on/off ramps the band
 * gains (in dB) to 0, which is exact identity for peaking and shelving
 * biquads. A block that is off and settled is skipped, and so is an EQ band
 * that sits at 0 dB, so bypass is bit-exact and costs nothing.
 * Stereo strips share parameters; gate and compressor use a linked detector.
 *
 * Threads: all functions are for the audio thread (or whichever single thread
 * owns the chain) and are real-time safe: no allocation, locks, system calls
 * or logging. jm_chain_init may equally run before the audio thread starts. */
#ifndef JMIXD_DSP_CHAIN_H
#define JMIXD_DSP_CHAIN_H

#include "jmixd/dsp/biquad.h"
#include "jmixd/dsp/dynamics.h"
#include "jmixd/dsp/fields.h"

#include <stdint.h>

#define JM_CHAIN_SUB 16 /* samples between coefficient updates while gliding */

/* Glossary: n = strips in use; fs = sample rate, Hz; smooth = the default
 * ramp length (smooth_len of jm_chain_init), used when jm_chain_set gets a
 * negative ramp_len; stereo[s] = strip s has two channels. cur, tgt, step, left [field][strip] = linear ramp of a
 * chain field (value now, destination, increment per sample, samples to go),
 * in the internal domain: log2 of freq, Q, ratio and times, the unit for the
 * rest; the on/off fields ramp 0..1 and are the bypass crossfade weights (for
 * EQ, the factor on every band gain). moving[s] = bit f set while field f
 * ramps; dirty[s] = stages whose coefficients are stale (bit 0 HPF, 1 gate,
 * 2..5 EQ bands, 6 compressor). eq_live[b][s] = band b is being processed
 * (0: flat and settled, skipped, its state clear). hpf, eq, gate, comp = the
 * DSP, one lane per strip. */
typedef struct jm_chain {
    int n;
    float fs;
    int32_t smooth;
    uint8_t stereo[JM_MAX_STRIPS];
    float cur[JM_CF_COUNT][JM_MAX_STRIPS];
    float tgt[JM_CF_COUNT][JM_MAX_STRIPS];
    float step[JM_CF_COUNT][JM_MAX_STRIPS];
    int32_t left[JM_CF_COUNT][JM_MAX_STRIPS];
    uint32_t moving[JM_MAX_STRIPS], dirty[JM_MAX_STRIPS];
    uint8_t eq_live[JM_EQ_BANDS][JM_MAX_STRIPS];
    uint8_t quiet[JM_MAX_STRIPS / 8]; /* group 8g..8g+7: 1 settled, 3 idle (see below) */
    jm_bq_bank_t hpf, eq[JM_EQ_BANDS];
    jm_gate_bank_t gate;
    jm_comp_bank_t comp;
} jm_chain_t;

/* n_strips strips (<= JM_MAX_STRIPS); stereo[s] != 0 for a two-channel strip
 * (stereo may be NULL: all mono). Every field f starts, unsmoothed, at def[f]
 * (in its unit; the caller owns the defaults: the mixer takes them from the
 * parameter table). State cleared. */
void jm_chain_init(jm_chain_t *c, int n_strips, const uint8_t *stereo, float fs,
                   int32_t smooth_len, const float def[JM_CF_COUNT]);
/* Glide chain field cf_field (JM_CF_*, band offsets included) of a strip to
 * value over ramp_len samples (0: at the next sample; negative: smooth_len
 * of jm_chain_init). Bools: >= 0.5 is on. Out-of-range strip or field:
 * ignored. */
void jm_chain_set(jm_chain_t *c, int strip, int cf_field, float value, int32_t ramp_len);
/* The value last set (the ramp's destination), in the parameter's unit. */
float jm_chain_get(const jm_chain_t *c, int strip, int cf_field);
/* Process n samples in place. r is the right channel of a stereo strip;
 * pass NULL for a mono strip (r is ignored for strips initialised mono). */
void jm_chain_process(jm_chain_t *c, int strip, float *l, float *r, uint32_t n);
/* Current compressor gain reduction, dB >= 0 (0 when the compressor is off;
 * scaled by its on/off crossfade weight while fading). */
float jm_chain_gr_db(const jm_chain_t *c, int strip);
/* Clear filter and detector state (not parameters). */
void jm_chain_reset(jm_chain_t *c, int strip);
/* Groups of 8 lanes for the SIMD kernels (simd.h): lanes 8g..8g+7, all
 * mono. Per sub-block of m <= JM_CHAIN_SUB samples the kernel calls
 * jm_chain_group_prepare, which does for each lane exactly what
 * jm_chain_process does before running the stages (glides, coefficient
 * updates, resets of blocks switching on, EQ band liveness) and describes
 * how each stage mixes: on[t][j] = -1 the processed signal, fade[t][j] = -1
 * dry + w (processed - dry) with w += dw per sample from w, else the dry
 * signal (t: 0 HPF, 1 gate, 2 compressor; EQ bands: eq_live). It returns
 * `general`: 0 when nothing glides, fades or was updated (then every
 * filter's output mix equals its target, the compressor's threshold and
 * makeup are settled, and the group is marked quiet until the next
 * jm_chain_set or reset of one of its lanes, so later sub-blocks skip
 * preparing). After the run, jm_chain_group_finish resets the stages whose
 * fade-out ended. */
typedef struct {
    int general;
    int32_t on[3][8], fade[3][8];
    float w[3][8], dw[3][8], w1[3][8];
} jm_chain_plan_t;

int jm_chain_group_prepare(jm_chain_t *c, int lane0, uint32_t m, jm_chain_plan_t *p);
void jm_chain_group_finish(jm_chain_t *c, int lane0, const jm_chain_plan_t *p);
/* Every lane of the group idle (jm_chain_process would leave each as is);
 * remembered (quiet = 3) until the next set or reset of one of its lanes. */
int jm_chain_group_idle(jm_chain_t *c, int lane0);

/* Number of subnormal values in a strip's filter/detector state (test and
 * diagnostics helper; 0 expected at all times). */
int jm_chain_denormals(const jm_chain_t *c, int strip);

#endif
