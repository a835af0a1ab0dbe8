/* Recorder: the master to a file, written by a disk thread of its own from a
 * lock-free SPSC ring (at least 4 s of stereo at the given rate; the disk
 * thread drains it every 10 ms).
 *
 * Formats, by extension (case-insensitive), all at the rate given to create:
 *   .wav          WAV, 32-bit float
 *   .aiff, .aif   AIFF, 32-bit float
 *   .flac         FLAC, 24-bit PCM (FLAC has no float format; samples are
 *                 clipped to [-1, 1), no dither)
 * Anything else is an error. WAV is limited to 4 GB (about 3 h of 32-bit
 * stereo at 48 kHz); libsndfile then refuses to write and the recording
 * stops with an error line.
 *
 * Crash safety: for WAV and AIFF the header is rewritten after every chunk
 * the disk thread writes (libsndfile SFC_SET_UPDATE_HEADER_AUTO), so the
 * file on disk is complete up to the last chunk (at most ~20 ms of audio
 * lost) even after kill -9 or a JACK server death. FLAC: libFLAC writes
 * whole frames (4096 samples) as it goes; after kill -9 the stream-info
 * length is 0 ("unknown"), which FLAC decoders accept; after stop it is
 * complete.
 *
 * Threads: create/destroy by the owner while the audio thread is not
 * calling write; start/stop/status by ONE control thread; write by the
 * AUDIO THREAD only. */
#ifndef JMIXD_RECORDER_H
#define JMIXD_RECORDER_H

#include "jmixd/util/log.h"

#include <stddef.h>
#include <stdint.h>

typedef struct jm_recorder jm_recorder_t;

/* Owner: allocates the ring (locked in memory when allowed, pre-touched
 * otherwise) and starts the disk thread. NULL on failure. log may be NULL. */
jm_recorder_t *jm_recorder_create(uint32_t rate, const jm_log_t *log);
/* Owner: stops a running recording first (the file is finalised). */
void jm_recorder_destroy(jm_recorder_t *rec);

/* CONTROL THREAD. Records into the folder dir (created with mode 0750
 * when missing) under name, a plain file name (jm_safe_name_check; NULL or
 * "": jmixd-YYYYmmdd-HHMMSS.wav). The file is created exclusively, never
 * through a link, FIFO or device (jm_safe_create): when the name is taken,
 * name-2.wav, name-3.wav ... up to -999 is used instead; status reports
 * the path written. min_free: bytes the file system must keep free (0: no
 * floor); the disk thread checks it every second and below it stops
 * writing (jm_recorder_poll). Opens the file, then arms the audio thread.
 * Returns 0, or -1 with a one-line reason in err ("already recording",
 * "bad file name: ...", "unsupported file extension '.mp3' (use .wav,
 * .aiff, .aif or .flac)", "cannot create 'x.wav': Permission denied"...). */
int jm_recorder_start(jm_recorder_t *rec, const char *dir, const char *name,
                      long long min_free, char *err, size_t errlen);

/* CONTROL THREAD. 1 when the running recording stopped writing on its own
 * (its disk fell under the min_free floor), with the reason in why: the
 * caller then stops it (jm_recorder_stop) and tells whoever should know.
 * 0 otherwise. */
int jm_recorder_poll(jm_recorder_t *rec, char *why, size_t whylen);

/* AUDIO THREAD. Real-time safe: no allocation, lock or system call. While
 * recording, interleaves n frames into the ring; frames that do not fit are
 * dropped and counted, never waited for. A no-op when not recording. */
void jm_recorder_write(jm_recorder_t *rec, const float *l, const float *r, uint32_t n);

/* CONTROL THREAD. Disarms the audio thread, lets the disk thread drain the
 * ring and close the file (sf_close: final header). Returns 0, or -1 when
 * not recording or when a write failed during the recording (the file
 * still holds what was written). Blocks for the drain (milliseconds). */
int jm_recorder_stop(jm_recorder_t *rec);

/* CONTROL THREAD. Any output pointer may be NULL. seconds: audio accepted
 * into the recording so far; dropped: frames lost to a full ring in the
 * current (or last) recording. */
void jm_recorder_status(jm_recorder_t *rec, int *recording, char *path, size_t pathlen,
                        double *seconds, uint64_t *dropped);

#endif
