/* Bus reverb: Freeverb (Jezar at Dreampoint, public domain; constants in
 * docs/dsp.md), stereo, wet output only, with a pre-delay and an output
 * DC blocker.
 *
 * Threads: init/reset off the audio thread; set and process are real-time
 * safe and belong to the audio thread. The struct holds fixed buffers for
 * up to 192 kHz (about 0.7 MB): calloc it. */
#ifndef JMIXD_DSP_REVERB_H
#define JMIXD_DSP_REVERB_H

#include <stdint.h>

#define JM_RV_MAX_FS 192000.0f
#define JM_RV_COMBS 8
#define JM_RV_APS 4
#define JM_RV_COMB_MAX 7142u /* (1617 + 23) * 192000 / 44100, rounded up, + 1 */
#define JM_RV_AP_MAX 2522u   /* (556 + 23) * 192000 / 44100, rounded up, + 1 */
#define JM_RV_PRE_MAX 38402u /* 200 ms at 192 kHz, + 2 */

/* Glossary:
 * fs                sample rate (Hz).
 * size, damping, width, predelay_ms   the last values given to set.
 * room_s, damp_s, wid_s   comb feedback (size * 0.28 + 0.7), comb low-pass
 *                   coefficient (damping * 0.4) and width through two
 *                   one-poles in series ([1] is used); *_tgt their targets;
 *                   sm_a the one-pole coefficient (tau 4 ms per stage).
 * comb, comb_len, comb_pos, comb_lp   per channel and comb: line, length
 *                   (frames), read/write index, low-pass state
 *                   ("filterstore" in Freeverb).
 * ap, ap_len, ap_pos                  the same for the allpasses.
 * pre, pre_w        mono pre-delay line (Freeverb's input is (L + R) * gain)
 *                   and its write index; pre_cur the tap heard, pre_new the
 *                   tap fading in, pre_pend the requested one; xf the
 *                   crossfade position 0..1, xf_step per frame (1 / 20 ms).
 * dc_in, dc_out    DC blockers y = x - x1 + r y1, states {x1, y1}: on the
 *                   mono input and on each output; dc_r the pole. */
typedef struct jm_reverb {
    float fs;
    float size, damping, width, predelay_ms;
    float room_s[2], room_tgt, damp_s[2], damp_tgt, wid_s[2], wid_tgt, sm_a;
    uint32_t comb_len[2][JM_RV_COMBS], comb_pos[2][JM_RV_COMBS];
    float comb_lp[2][JM_RV_COMBS];
    uint32_t ap_len[2][JM_RV_APS], ap_pos[2][JM_RV_APS];
    uint32_t pre_w, pre_cur, pre_new, pre_pend;
    float xf, xf_step;
    float dc_in[2], dc_out[2][2], dc_r;
    float comb[2][JM_RV_COMBS][JM_RV_COMB_MAX];
    float ap[2][JM_RV_APS][JM_RV_AP_MAX];
    float pre[JM_RV_PRE_MAX];
} jm_reverb_t;

/* Delay lengths for fs (clamped to 8 kHz..192 kHz); parameter defaults (size
 * 0.5, damping 0.5, width 1, pre-delay 0), settled and silent. */
void jm_reverb_init(jm_reverb_t *r, float fs);

/* Real-time safe; cheap, may be called every block. size, damping, width
 * 0..1 glide (one-pole, tau 5 ms); predelay 0..200 ms becomes
 * round(ms * fs / 1000) frames and a change crossfades two taps over 20 ms
 * (a further change during it waits for its end; only the latest counts).
 * Values are clamped to these ranges. */
void jm_reverb_set(jm_reverb_t *r, float size, float damping, float width, float predelay_ms);

/* Clear every line and jump the ramps to their targets (not real-time: it
 * clears about 0.7 MB). */
void jm_reverb_reset(jm_reverb_t *r);

/* Real-time safe. Wet only (the bus return). out may alias in. */
void jm_reverb_process(jm_reverb_t *r, const float *in_l, const float *in_r, float *out_l,
                       float *out_r, uint32_t n);

#endif
