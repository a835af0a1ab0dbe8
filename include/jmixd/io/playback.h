/* Take playback (virtual soundcheck, issue 21): the strip files of a
 * multitrack take (include/jmixd/io/multitrack.h) read back, every channel
 * of every strip in one stream, sample-aligned, for the strips to play
 * instead of their JACK inputs.
 *
 * A disk thread of its own (`jm-playback`) reads the files ahead into one
 * lock-free ring of interleaved frames (ring_seconds of every channel); the
 * audio thread takes a period out of it per cycle and de-interleaves it
 * into a buffer per strip channel. Locating: the control thread asks; from
 * then on the audio thread empties the ring (it is the ring's consumer)
 * and plays silence until the disk thread says it stopped writing; then it
 * takes the new position and the disk thread seeks every file and refills:
 * no frame read ahead before a locate is ever played after it, and until
 * the refill (a few ms) the strips hear silence. Looping: at the end the
 * disk thread seeks back to frame 0 and goes on: no gap, the last frame
 * followed by the first as recorded (a take whose end and start differ
 * jumps there). Without it, the end of the take stops the playback.
 *
 * A strip whose file is missing, or has another channel count or rate than
 * the console, plays silence; jm_pback_open says which in `missing`.
 *
 * Threads: open/close by the owner (the control thread) while the audio
 * thread does not call read; play/locate/loop/status from ONE control
 * thread; read from the AUDIO THREAD only. */
#ifndef JMIXD_IO_PLAYBACK_H
#define JMIXD_IO_PLAYBACK_H

#include "jmixd/io/multitrack.h"
#include "jmixd/util/log.h"

#include <stddef.h>
#include <stdint.h>

#define JM_PBACK_MAX_FRAMES 8192 /* the longest period read() serves */

typedef struct jm_pback jm_pback_t;

/* Opens folder's "NN NAME.wav" for each of n_strips strips (names and
 * channel counts as the console has them); stopped at frame 0. missing
 * (may be NULL): how many strips play silence. NULL with a one-line reason
 * in err when the folder holds no usable file at all, or out of memory. */
jm_pback_t *jm_pback_open(uint32_t rate, const char *folder, int n_strips,
                          const jm_mtrack_strip_t *strips, double ring_seconds,
                          const jm_log_t *log, int *missing, char *err, size_t errlen);
void jm_pback_close(jm_pback_t *p);

/* CONTROL THREAD. */
void jm_pback_play(jm_pback_t *p, int on);
void jm_pback_loop(jm_pback_t *p, int on);
/* Move to frame (clamped to the take's length). */
void jm_pback_locate(jm_pback_t *p, uint64_t frame);
/* Any pointer may be NULL. playing; position and length in frames;
 * underruns: frames the audio thread found missing while playing (must
 * stay 0). */
void jm_pback_status(jm_pback_t *p, int *playing, uint64_t *position, uint64_t *length,
                     uint64_t *underruns);

/* AUDIO THREAD. Real-time safe. n <= JM_PBACK_MAX_FRAMES (0: only take
 * part in a locate's handshake; more: 0, the strips stay live). While
 * playing:
 * the next n frames of every strip, buf[2 i] (and buf[2 i + 1] for a
 * stereo strip) n samples each, and 1. Stopped, or p NULL: 0 (buf
 * untouched). Frames not read ahead yet are silence (counted). */
int jm_pback_read(jm_pback_t *p, uint32_t n, const float **buf);

#endif
