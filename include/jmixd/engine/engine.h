/* The live engine: a JACK client around the mixer; ports, process callback,
 * connections, server loss.
 *
 * Threads: everything here is for the control thread, except the process
 * callback (JACK's audio thread) and the notification callbacks (JACK's
 * thread; they only set atomic flags). */
#ifndef JMIXD_ENGINE_H
#define JMIXD_ENGINE_H

#include "jmixd/util/log.h"
#include "jmixd/io/loudness.h"
#include "jmixd/io/multitrack.h"
#include "jmixd/io/playback.h"
#include "jmixd/io/recorder.h"
#include "jmixd/io/rtameter.h"
#include "jmixd/engine/mixer.h"
#include "jmixd/util/cyclehist.h"
#include "jmixd/session/session.h"
#include "jmixd/util/midimsg.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct jm_engine jm_engine_t;

/* The session is borrowed for the engine's whole life (names, ports). */
jm_engine_t *jm_engine_create(const jm_session_t *s, const char *client_name,
                              const char *server_name, float meter_rate, const jm_log_t *log);
void jm_engine_destroy(jm_engine_t *e);

/* Open the client, build a mixer at the server's rate starting from
 * `values`, register ports, activate and connect. 0, or -1 (not running;
 * call again later). */
int jm_engine_open(jm_engine_t *e, const float *values);
/* Deactivate and close; the mixer is freed once no callback can run. */
void jm_engine_close(jm_engine_t *e);

bool jm_engine_is_open(const jm_engine_t *e);
/* True once the server went away (set by jack_on_info_shutdown). */
bool jm_engine_lost(const jm_engine_t *e);
/* Connect what is still missing, if a port appeared since the last call. */
void jm_engine_connect_pending(jm_engine_t *e);

bool jm_engine_post(jm_engine_t *e, const jm_cmd_t *c);
/* Apply at JACK frame time `frame` (0: at once; a past frame: at once). */
bool jm_engine_post_at(jm_engine_t *e, const jm_cmd_t *c, uint32_t frame);
/* 1 while the transport rolls; *seconds = the transport position now. */
int jm_engine_transport(jm_engine_t *e, double *seconds);
/* The JACK frame time of an OSC/NTP time: 1 and *frame when it lies in the
 * future (*delta = seconds from now), 0 when it is due already. */
int jm_engine_frame_for_ntp(jm_engine_t *e, uint64_t ntp, uint32_t *frame, double *delta);
/* Sample the clocks for jm_engine_frame_for_ntp (every control tick; at
 * most one sample per 18 ms is kept, so the fit spans ~2.6 s). */
void jm_engine_clock_tick(jm_engine_t *e);
bool jm_engine_event(jm_engine_t *e, jm_event_t *ev);
/* The audio thread reported a new latency (JM_EV_LATENCY): report it on the
 * ports and have JACK recompute total latencies. */
void jm_engine_set_latency(jm_engine_t *e, uint32_t frames);

uint32_t jm_engine_rate(const jm_engine_t *e);
/* The master's recorder and loudness meter (NULL before the first open). */
jm_recorder_t *jm_engine_recorder(jm_engine_t *e);
/* CONTROL THREAD. The multitrack recorder (NULL before the first take);
 * start a take: made at the first take with the session's strips at the
 * JACK rate (a ring of 2 s of every channel, at most 64 MB, then down to
 * 0.5 s), kept until the engine goes
 * or the rate changes. 0, or -1 with a one-line reason in err. */
jm_mtrack_t *jm_engine_multitrack(jm_engine_t *e);
int jm_engine_multitrack_start(jm_engine_t *e, const char *dir, const char *take,
                               long long min_free, char *err,
                               size_t errlen);
/* CONTROL THREAD. The loaded take (NULL: none); load the take folder's
 * strip files for virtual soundcheck (stopped at frame 0), replacing the
 * one loaded (freed once the audio thread is done with it). 0, or -1 with
 * a one-line reason in err; *missing: strips without a usable file. */
jm_pback_t *jm_engine_playback(jm_engine_t *e);
int jm_engine_playback_load(jm_engine_t *e, const char *folder, int *missing, char *err,
                            size_t errlen);
jm_loudness_t *jm_engine_loudness(jm_engine_t *e);
/* The analyser's tap (/rta/source): kind JM_RTA_SRC_* (engine/mixer.h),
 * index of the strip or bus (0-based). Kept across JACK restarts (applied
 * to every new mixer); reaches a running audio thread as a JM_CMD_RTA
 * command (posted again on the next turn if the queue was full). */
void jm_engine_rta_source(jm_engine_t *e, int kind, int index);
/* The live analyser (NULL before the first open or when it could not be
 * made): its readings of the current source and its block count. */
jm_rtameter_t *jm_engine_rta(jm_engine_t *e);
uint32_t jm_engine_period(const jm_engine_t *e);
uint64_t jm_engine_xruns(const jm_engine_t *e);
/* Process callbacks run so far (the watchdog's sign of life). */
uint64_t jm_engine_cycles(const jm_engine_t *e);
/* The process callback's durations, filled by the audio thread for the
 * engine's whole life (include/jmixd/util/cyclehist.h: the control thread
 * reads it). */
jm_cyclehist_t *jm_engine_cyclehist(jm_engine_t *e);
uint64_t jm_engine_dropped_cmds(const jm_engine_t *e);
/* Master frames the loudness meter did not measure: dropped because its
 * ring was full, or made while there was no meter to feed. */
uint64_t jm_engine_loudness_dropped(jm_engine_t *e);

/* MIDI (sessions with a midi group; docs/midi.md). The audio thread reads
 * midi_in into complete messages (engine/midiparse.h) and pushes them into
 * a ring; it drains the other ring into midi_out. Control thread: */
/* Take the next message from midi_in; false when none (or no midi). */
bool jm_engine_midi_read(jm_engine_t *e, jm_midi_msg_t *m);
/* Queue 1..JM_MIDI_MSG_MAX bytes for midi_out: 0, or -1 (no midi, no JACK
 * client, a bad length, or the ring full: the last is counted). */
int jm_engine_midi_send(jm_engine_t *e, const uint8_t *bytes, size_t len);
/* /stats: messages from midi_in dropped (ring full, SysEx too long), and
 * messages for midi_out dropped (ring full, larger than the port's buffer). */
uint64_t jm_engine_midi_in_dropped(const jm_engine_t *e);
uint64_t jm_engine_midi_out_dropped(const jm_engine_t *e);
/* How many connections from midi_out to a session port were made so far
 * (a surface plugged in, the server back): when it grows, the surfaces get
 * the whole state again. */
uint32_t jm_engine_midi_links(const jm_engine_t *e);
/* The JACK transport: start, stop, locate return 0 or -1 without a client;
 * jm_engine_transport_frame returns 1 rolling, 0 stopped, -1 no client,
 * with *frame the position (may be NULL). */
int jm_engine_transport_start(jm_engine_t *e);
int jm_engine_transport_stop(jm_engine_t *e);
int jm_engine_transport_locate(jm_engine_t *e, uint32_t frame);
int jm_engine_transport_frame(jm_engine_t *e, uint32_t *frame);

#endif
