/* The live 1/3-octave analyser behind /rta/source: one tap (a strip after
 * its chain, a bus's output or the master after the limiter) goes from the
 * audio thread through a lock-free SPSC ring of stereo frames to a thread of
 * its own, which runs jm_rta (jmixd/dsp/rta.h) and posts 31 levels per
 * meter period to the control thread through an SPSC queue.
 *
 * While no source is selected the audio thread writes nothing (the mixer
 * holds no ring) and this thread only sleeps (waking every 100 ms to look
 * for a new source, 10 ms while one is selected): no analysis runs
 * (jm_rtameter_blocks stays put).
 *
 * Display smoothing: each posted reading is an exponential average in power
 * with a 125 ms time constant (the "Fast" time weighting of IEC 61672-1),
 * restarted at every source change; a steady signal reads its true level.
 *
 * Threads: create/destroy by the owner (the engine, on the control thread)
 * while the audio thread does not write the ring; jm_rtameter_ring's ring is
 * written by the audio thread only (jm_ring_write, real-time safe);
 * select/read/blocks from the control thread. */
#ifndef JMIXD_IO_RTAMETER_H
#define JMIXD_IO_RTAMETER_H

#include "jmixd/dsp/rta.h"
#include "jmixd/util/log.h"
#include "jmixd/util/ring.h"

#include <stdint.h>

typedef struct jm_rtameter jm_rtameter_t;

/* rate: the JACK rate; meter_rate: readings per second (osc.meter_rate).
 * Allocates the ring (0.5 s) and starts the thread. NULL on failure. */
jm_rtameter_t *jm_rtameter_create(uint32_t rate, float meter_rate, const jm_log_t *log);
void jm_rtameter_destroy(jm_rtameter_t *m);

/* The ring the audio thread writes the selected tap into. */
jm_ring_t *jm_rtameter_ring(jm_rtameter_t *m);

/* Control thread: a new source was selected (on = 1) or the analyser was
 * switched off (on = 0). The analysis thread drops what the ring holds and
 * restarts the analyser; readings of the previous source are not read. */
void jm_rtameter_select(jm_rtameter_t *m, int on);

/* Control thread: the next reading (31 dBFS levels, 20 Hz .. 20 kHz) of the
 * current source: 1, or 0 when none is waiting. */
int jm_rtameter_read(jm_rtameter_t *m, float db[JM_RTA_BANDS]);

/* Any thread: analysis blocks run since create (/stats rta_blocks). */
uint64_t jm_rtameter_blocks(jm_rtameter_t *m);

#endif
