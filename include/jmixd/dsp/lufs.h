/* Loudness per ITU-R BS.1770-4 and EBU R128 / Tech 3341 / Tech 3342, for
 * stereo (left and right, weight 1 each): momentary (400 ms), short-term
 * (3 s), gated integrated loudness, loudness range, true peak (BS.1770-4
 * Annex 2, 4x) and sample peak.
 *
 * Method, and why it is ours rather than libebur128's (which the unit test
 * uses as the reference): libebur128 keeps 3 s of filtered audio and sums
 * the whole window again at every reading, and sums every 400 ms gating
 * block and 3 s range block again sample by sample; for a 10 Hz meter that
 * is ~5 ms of CPU per second of audio, nine tenths of it summing. Here each
 * K-weighted sample's energy (l^2 + r^2) is added once into its 100 ms
 * sub-block, with a running sum inside the sub-block kept per sample, so a
 * window ending at any sample is at most 32 sub-block totals plus two
 * partial sums, and a gating block is 4 sub-block totals.
 *  - K-weighting: the two BS.1770 biquads (high shelf, RLB high-pass), their
 *    coefficients at any rate from the analog prototypes by the bilinear
 *    transform (48 kHz gives the published values), in double precision,
 *    both channels in one 2-lane vector.
 *  - Gating blocks: 400 ms, a new one every 100 ms (75 % overlap), absolute
 *    gate -70 LUFS, relative gate -10 LU. Range blocks: 3 s, a new one every
 *    second from 3 s on (as libebur128), gates -70 LUFS and -20 LU; the
 *    range is the 95th minus the 10th percentile (nearest rank).
 *  - JM_LUFS_EXACT keeps every block's energy (8 bytes per 100 ms; for
 *    renders). Without it (the live meter, which may run for days) it keeps
 *    two-level histograms of 0.01 LU bins from -70 to +30 LUFS with each
 *    bin's energy sum: fixed memory, the same integrated value as exact
 *    gating except for the blocks in the one bin the relative gate falls
 *    into (within 0.01 LU of the gate), and percentiles within a bin.
 * Windows not yet filled count the missing audio as silence (as
 * libebur128).
 *
 * Threads: create / destroy / add (it may allocate in exact mode) on any
 * thread except the audio thread; one thread at a time per meter. */
#ifndef JMIXD_DSP_LUFS_H
#define JMIXD_DSP_LUFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct jm_lufs jm_lufs_t;

/* Loudness in LUFS (-HUGE_VAL when there is nothing to measure), range in
 * LU (0 until range blocks pass the gates), peaks linear (0 without
 * JM_LUFS_PEAKS). */
typedef struct {
    double momentary, short_term, integrated, range;
    double true_peak, sample_peak;
} jm_lufs_values_t;

enum {
    JM_LUFS_EXACT = 1, /* exact gating (allocates as it goes), else histograms */
    JM_LUFS_PEAKS = 2, /* measure true and sample peak (~5 ns a frame) */
};

/* rate 8000 .. 768000 Hz; flags JM_LUFS_*; NULL on a bad rate or out of
 * memory. */
jm_lufs_t *jm_lufs_create(uint32_t rate, unsigned flags);
void jm_lufs_destroy(jm_lufs_t *m);
/* Forget everything measured (no allocation). */
void jm_lufs_reset(jm_lufs_t *m);
/* frames interleaved stereo frames. -1 when exact mode is out of memory
 * (that block is lost; the meter goes on). */
int jm_lufs_add(jm_lufs_t *m, const float *interleaved, size_t frames);
/* Momentary and short-term end at the last frame added. */
void jm_lufs_read(const jm_lufs_t *m, jm_lufs_values_t *out);
/* Frames added since the last reset. */
uint64_t jm_lufs_frames(const jm_lufs_t *m);

#endif
