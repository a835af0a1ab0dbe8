/* Master limiter: stereo, linked, lookahead, true-peak (4x oversampled
 * detection). Recipe: docs/dsp.md, "Limiter".
 *
 * Threads: jm_limiter_init and jm_limiter_reset run off the audio thread (or
 * before the engine starts); set/process/latency/gr_db are real-time safe
 * (no allocation, locks or system calls) and belong to the audio thread.
 * The struct holds fixed-size buffers for up to 10 ms lookahead at 192 kHz
 * (about 50 KB), so the caller may calloc it or embed it. */
#ifndef JMIXD_DSP_LIMITER_H
#define JMIXD_DSP_LIMITER_H

#include <stdint.h>

#define JM_LIM_MAX_FS 192000.0f
#define JM_LIM_MAX_LOOKAHEAD_MS 10.0f
#define JM_LIM_MAXL 1920u   /* lookahead frames: 10 ms at 192 kHz */
#define JM_LIM_RING 2048u   /* power of two > JM_LIM_MAXL */
#define JM_LIM_TAPS 16      /* interpolator taps per phase */
#define JM_LIM_HOLD 4u      /* frames the gain stays flat either side of a peak */

/* Glossary:
 * fs        sample rate (Hz).
 * on, ceil_db, rel_ms, look_ms   the last values given to jm_limiter_set.
 * L_tgt     requested lookahead (frames); L the active one (they differ
 *           while a lookahead change fades out and in).
 * W         boxcar length (frames); Wm = W + 2*HOLD the sliding-minimum
 *           window. L = W + HOLD + CENTRE - 1 (CENTRE: interpolator delay).
 * fir       polyphase interpolators, tap-major: fir[j][p] multiplies x[n-j];
 *           lanes 0..3 give x(n - CENTRE + p/4) (Kaiser-windowed sinc,
 *           CENTRE = TAPS/2), lanes 4..7 the BS.1770-4 Annex 2 phases (so
 *           standard meters read <= the ceiling).
 * hist      last JM_LIM_TAPS inputs per channel, stored twice (hist[k] and
 *           hist[k+TAPS]) so a window is contiguous; hpos is its start.
 * os        the last two oversampled values per channel (oldest first).
 * dl        audio delay lines; req the required gain of each input frame
 *           (same ring index as dl: frame counter n & (RING-1)).
 * dq_*      monotonic deque (ring of RING entries, head/tail counters) that
 *           holds the candidates for the sliding minimum of req.
 * box       ring of the last W envelope values; box_sum their sum.
 * env       sliding minimum after the one-pole release (env <= minimum).
 * gain      last gain applied to the limited path (for the meter).
 * ceil      smoothed linear ceiling; ceil_tgt its destination; ceil_a, rel_a
 *           one-pole coefficients exp(-1/(tau fs)).
 * mix       0 = bypass (undelayed input) .. 1 = limited path; mix_step per
 *           frame of the on/off crossfade.
 * fade      gain of the limited path during a lookahead change (1 -> 0,
 *           switch, 0 -> 1); fade_step per frame.
 * n         frame counter (wraps).
 * rested    the detector rested while off (see jm_limiter_set). */
typedef struct jm_limiter {
    float fs;
    int on;
    float ceil_db, rel_ms, look_ms;
    uint32_t L_tgt, L, W, Wm;
    float fir[JM_LIM_TAPS][8];
    float hist[2][2 * JM_LIM_TAPS];
    uint32_t hpos;
    float os[2][2];
    float dl[2][JM_LIM_RING];
    float req[JM_LIM_RING];
    uint32_t dq_idx[JM_LIM_RING];
    float dq_val[JM_LIM_RING];
    uint32_t dq_head, dq_tail;
    float box[JM_LIM_RING];
    double box_sum;
    uint32_t bpos;
    float env, gain;
    float ceil, ceil_tgt, ceil_a, rel_a;
    float mix, mix_step, fade, fade_step;
    uint32_t n;
    int rested;
} jm_limiter_t;

/* Design the interpolator and start with the parameter defaults (off, -1 dBTP,
 * 50 ms release, 2 ms lookahead), settled. fs is clamped to 8 kHz..192 kHz. */
void jm_limiter_init(jm_limiter_t *l, float fs);

/* Real-time safe; cheap when nothing changed, so it may be called every
 * block. Ceiling changes are smoothed (one-pole, tau 5 ms); release is the
 * time constant of a one-pole (a coefficient, no ramp needed).
 * on/off: a 5 ms linear crossfade between the undelayed input and the
 * delayed, limited signal (during it the output is a blend, so a loud input
 * can pass the ceiling for those 5 ms). While off and settled the output is
 * the input and the detector rests (only the delay line runs); switching on
 * first replays the detector over the last lookahead window from the delay
 * line and rebuilds the gain from it, so the gain is ready at once. A lookahead change while on fades the
 * limited path out (3 ms), switches L, and fades it in (3 ms): a 6 ms dip,
 * no click; while off it applies at once. Values are clamped to the parameter
 * ranges (ceiling -12..0 dBTP, release 1..1000 ms, lookahead 0.5..10 ms). */
void jm_limiter_set(jm_limiter_t *l, int on, float ceiling_dbtp, float release_ms,
                    float lookahead_ms);

/* Jump every ramp to its target and clear the history (not real-time: it
 * touches about 50 KB). For session loads and tests. */
void jm_limiter_reset(jm_limiter_t *l);

/* Frames of delay: L = round(lookahead_ms * fs / 1000) (at least 12) when
 * on, 0 when off. Reports the requested state; the audio follows within
 * 6 ms. */
uint32_t jm_limiter_latency(const jm_limiter_t *l);

/* In place. Both channels get one gain. */
void jm_limiter_process(jm_limiter_t *l, float *left, float *right, uint32_t n);

/* Gain reduction of the last processed frame, dB (<= 0; 0 when off). */
float jm_limiter_gr_db(const jm_limiter_t *l);

#endif
