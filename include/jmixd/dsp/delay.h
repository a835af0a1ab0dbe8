/* Bus delay: stereo (two independent lines), wet output only, feedback
 * through a one-pole low-pass ("tone").
 *
 * Threads: init/reset off the audio thread (reset clears 3 MB); set and
 * process are real-time safe and belong to the audio thread. The struct
 * holds fixed buffers for 2000 ms at 192 kHz (about 3 MB): calloc it. */
#ifndef JMIXD_DSP_DELAY_H
#define JMIXD_DSP_DELAY_H

#include <stdint.h>

#define JM_DLY_MAX_FS 192000.0f
#define JM_DLY_MAX_MS 2000.0f
#define JM_DLY_LEN 384001u /* frames per channel: 2000 ms at 192 kHz, + 1 */

/* Glossary:
 * fs            sample rate (Hz).
 * time_ms, tone_hz   the last values given to jm_delay_set.
 * d_cur         delay (frames) of the tap being heard; d_new the tap fading
 *               in (equal to d_cur when no crossfade runs); d_pend the
 *               requested delay, started when the running crossfade ends.
 * xf            crossfade position 0..1 (shaped by smoothstep 3t^2 - 2t^3);
 *               xf_step per frame (1 / 20 ms).
 * fb, fb_tgt    smoothed and requested feedback gain.
 * lpc, lpc_tgt  smoothed and requested low-pass coefficient
 *               1 - exp(-2 pi tone / fs).
 * sm_a          one-pole smoothing coefficient for fb and lpc (tau 5 ms).
 * lp            low-pass state per channel.
 * w             write index into buf (the same for both channels).
 * buf           the delay lines. */
typedef struct jm_delay {
    float fs;
    float time_ms, tone_hz;
    uint32_t d_cur, d_new, d_pend;
    float xf, xf_step;
    float fb, fb_tgt, lpc, lpc_tgt, sm_a;
    float lp[2];
    uint32_t w;
    float buf[2][JM_DLY_LEN];
} jm_delay_t;

/* Start with the parameter defaults (375 ms, feedback 0.35, tone 6000 Hz),
 * settled and silent. fs is clamped to 8 kHz..192 kHz. */
void jm_delay_init(jm_delay_t *d, float fs);

/* Clear the lines and jump every ramp to its target (not real-time). */
void jm_delay_reset(jm_delay_t *d);

/* Real-time safe; cheap when nothing changed. time 1..2000 ms, becomes
 * round(time * fs / 1000) frames; a change crossfades the read tap over
 * 20 ms (a further change during it waits for its end, only the latest
 * counts). feedback 0..0.95 and tone 500..20000 Hz glide (tau 5 ms). Values
 * are clamped to these ranges. */
void jm_delay_set(jm_delay_t *d, float time_ms, float feedback, float tone_hz);

/* Wet only: out = the delayed signal; the first echo is the input exactly
 * d frames later, each repeat is low-passed and scaled by feedback. out may
 * alias in. */
void jm_delay_process(jm_delay_t *d, const float *in_l, const float *in_r, float *out_l,
                      float *out_r, uint32_t n);

#endif
