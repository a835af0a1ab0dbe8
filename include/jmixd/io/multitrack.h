/* Multitrack recorder: every strip's input and the master, one file each,
 * into a take folder; what a console's direct outs feed a recorder with
 * (issue 21, "virtual soundcheck" plays such takes back).
 *
 * A take folder (created under the recordings folder, mode 0750; the name
 * given, or take-YYYYmmdd-HHMMSS; when taken, NAME-2, NAME-3 ... up to
 * -999) holds "NN NAME.wav" per strip (NN its number from 01, NAME the
 * strip's name; a stereo strip a stereo file) and master.wav (stereo), all
 * WAV 32-bit float at the given rate, all starting at the same frame and
 * of the same length: the audio thread copies one block of every channel
 * into one lock-free ring of interleaved frames, all or nothing, so a full
 * ring drops the same frames from every file (counted; they must stay 0).
 * A disk thread of its own drains the ring every 10 ms into the files and
 * rewrites their headers once a second, so after a crash every file is
 * complete up to the last second.
 *
 * Memory: the ring holds ring_seconds of every channel: 64 mono strips
 * and the master at 48 kHz, 2 s: 66 x 96000 x 4 bytes = 25 MB (locked in
 * memory when allowed). Disk: 4 bytes per channel-sample: 12.7 MB/s for
 * that console.
 *
 * Threads: create/destroy by the owner while the audio thread is not
 * calling write; start/stop/status by ONE control thread; write by the
 * AUDIO THREAD only. */
#ifndef JMIXD_IO_MULTITRACK_H
#define JMIXD_IO_MULTITRACK_H

#include "jmixd/util/log.h"

#include <stddef.h>
#include <stdint.h>

typedef struct jm_mtrack jm_mtrack_t;

/* One strip: its name (for its file's name) and channel count. */
typedef struct {
    const char *name;
    int stereo;
} jm_mtrack_strip_t;

/* Owner: n_strips strips (0 .. JM_MAX_STRIPS) as the session has them;
 * ring_seconds (>= 0.5) of every channel. Starts the disk thread. NULL on
 * failure (bad arguments, out of memory). log may be NULL. */
jm_mtrack_t *jm_mtrack_create(uint32_t rate, int n_strips, const jm_mtrack_strip_t *strips,
                              double ring_seconds, const jm_log_t *log);
/* Owner: stops a running take first (its files are finalised). */
void jm_mtrack_destroy(jm_mtrack_t *m);

/* CONTROL THREAD. Creates the take folder under dir (dir itself created
 * when missing) and every file, then arms the audio thread. take: a plain
 * name (jm_safe_name_check), NULL or "" for take-YYYYmmdd-HHMMSS. min_free:
 * bytes the file system must keep free (0: no floor); the disk thread
 * checks it every second and below it stops writing (jm_mtrack_poll). 0, or
 * -1 with a one-line reason in err (nothing is left behind then). */
int jm_mtrack_start(jm_mtrack_t *m, const char *dir, const char *take, long long min_free,
                    char *err, size_t errlen);

/* CONTROL THREAD. 1 when the running take stopped writing on its own (its
 * disk fell under the floor), with the reason in why: the caller then stops
 * it (jm_mtrack_stop) and tells whoever should know. 0 otherwise. */
int jm_mtrack_poll(jm_mtrack_t *m, char *why, size_t whylen);

/* AUDIO THREAD. Real-time safe. in: the strips' inputs as the mixer takes
 * them (in[2 i] the left or only channel of strip i, in[2 i + 1] the right
 * of a stereo strip); master_l/r the master. While a take runs, copies the
 * n frames of every channel into the ring, or drops all of them (counted)
 * when they do not fit. A no-op otherwise. */
void jm_mtrack_write(jm_mtrack_t *m, const float *const *in, const float *master_l,
                     const float *master_r, uint32_t n);

/* CONTROL THREAD. Disarms the audio thread, lets the disk thread write what
 * the ring holds and close every file. 0, or -1 when no take runs or a
 * write failed during it. Blocks for the drain (milliseconds). */
int jm_mtrack_stop(jm_mtrack_t *m);

/* CONTROL THREAD. Any pointer may be NULL. folder: the take folder (of the
 * running or last take); seconds: audio accepted into it; dropped: frames
 * lost to a full ring (the same frames in every file). */
void jm_mtrack_status(jm_mtrack_t *m, int *recording, char *folder, size_t len, double *seconds,
                      uint64_t *dropped);

/* Any thread. Strip `number`'s file name in a take: "NN NAME.wav" (NN from
 * 01), or "NN.wav" when the name would not make a plain file name. */
void jm_mtrack_file_name(char *out, size_t len, int number, const char *name);

#endif
