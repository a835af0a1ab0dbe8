/* Loudness of the master per ITU-R BS.1770-4 / EBU R128: momentary
 * (400 ms), short-term (3 s), gated integrated, loudness range, true peak.
 *
 * Two ways in, both measuring with jm_lufs_t (include/jmixd/dsp/lufs.h):
 *  - jm_loudness_t, the live meter: the audio thread pushes the master into
 *    a lock-free SPSC ring (at least 4 s of stereo); a meter thread of its
 *    own drains it every 100 ms of audio (histogram gating: fixed memory, no
 *    allocation per block, integrated within 0.01 LU of exact gating) and
 *    publishes the five values through C11 atomics (floats as bits) every
 *    100 ms of audio; the control thread reads them. About 1 ms of CPU per
 *    second of audio (libebur128, used before, took 5-6).
 *  - jm_lmeter_t / jm_loudness_measure, synchronous, for render and tests:
 *    exact gating (the block list grows by 8 bytes per 100 ms block).
 * Both pass EBU Tech 3341 cases 1-5 (0.1 LU) and 15/19 (+0.2/-0.4 dB).
 *
 * Values below JM_LOUDNESS_FLOOR (silence, -inf, not enough audio yet) read
 * as JM_LOUDNESS_FLOOR; the loudness range reads 0 until it can be computed.
 */
#ifndef JMIXD_LOUDNESS_H
#define JMIXD_LOUDNESS_H

#include "jmixd/util/log.h"

#include <stddef.h>
#include <stdint.h>

#define JM_LOUDNESS_FLOOR (-120.0f) /* LUFS / dBTP shown for "nothing" */

/* Indices of jm_loudness_read's out[5]. */
enum { JM_LN_MOMENTARY, JM_LN_SHORT_TERM, JM_LN_INTEGRATED, JM_LN_TRUE_PEAK, JM_LN_RANGE };

typedef struct jm_loudness jm_loudness_t;

/* Owner (main or control thread), before the audio thread pushes: allocates
 * the ring (locked in memory when allowed, pre-touched otherwise) and starts
 * the meter thread. NULL on failure. rate: the JACK rate (a new rate needs
 * a new meter). log may be NULL (then everything is logged). */
jm_loudness_t *jm_loudness_create(uint32_t rate, const jm_log_t *log);

/* Owner, after the audio thread stopped pushing: stops the meter thread. */
void jm_loudness_destroy(jm_loudness_t *ln);

/* AUDIO THREAD (the single producer). Real-time safe: no allocation, lock
 * or system call. Copies n frames into the ring; frames that do not fit are
 * dropped and counted (the meter thread logs them). NULL ln is a no-op. */
void jm_loudness_push(jm_loudness_t *ln, const float *l, const float *r, uint32_t n);

/* CONTROL THREAD (any non-audio thread). out: momentary LUFS, short-term
 * LUFS, integrated LUFS, true peak dBTP (maximum of both channels since the
 * last reset), loudness range LU. Returns 1 when audio has been measured
 * since the last reset, else 0 (and out holds the floors): after a reset it
 * reads 0 until the meter thread has restarted and measured new audio. */
int jm_loudness_read(jm_loudness_t *ln, float out[5]);

/* CONTROL THREAD: restart the integrated measurement, the loudness range and
 * the true-peak maximum (posted to the meter thread through an atomic flag;
 * done within about 100 ms: the meter thread sleeps until its next
 * publication is due, 5 .. 100 ms). */
void jm_loudness_reset(jm_loudness_t *ln);

/* Any non-audio thread: frames measured by the meter thread since create,
 * and frames dropped because the ring was full. Either pointer may be NULL. */
void jm_loudness_stats(jm_loudness_t *ln, uint64_t *measured, uint64_t *dropped);

/* ---- synchronous measurement ---- */

typedef struct {
    double integrated;  /* LUFS, JM_LOUDNESS_FLOOR when below the -70 gate */
    double true_peak;   /* dBTP, max over both channels */
    double sample_peak; /* dBFS */
    double range;       /* LU */
    double momentary;   /* LUFS at the end */
    double short_term;  /* LUFS at the end */
    uint64_t frames;
} jm_loudness_result_t;

typedef struct jm_lmeter jm_lmeter_t;

/* One thread owns a jm_lmeter_t. full != 0: every measure; 0: integrated
 * only (about half the cost: render's gain iterations). Stereo. */
jm_lmeter_t *jm_lmeter_create(uint32_t rate, int full);
/* frames of interleaved L/R. Returns 0 or -1. */
int jm_lmeter_add(jm_lmeter_t *m, const float *interleaved, size_t frames);
/* Planar convenience (copies through a small buffer). */
int jm_lmeter_add_planar(jm_lmeter_t *m, const float *l, const float *r, size_t frames);
void jm_lmeter_result(jm_lmeter_t *m, jm_loudness_result_t *out);
void jm_lmeter_destroy(jm_lmeter_t *m);

/* Whole interleaved stereo buffer. Returns 0 or -1 (out of memory). */
int jm_loudness_measure(const float *interleaved, size_t frames, uint32_t rate,
                        jm_loudness_result_t *out);

#endif
