/* systemd integration (Type=notify): READY, STOPPING, STATUS and the
 * watchdog. The watchdog is fed at the end of a control loop turn, and only
 * while the audio thread runs, the OSC thread turns (its loop beats at
 * least every 100 ms) and the control loop itself came round in time: a
 * stuck engine, a stuck OSC thread or a stuck control loop gets the service
 * restarted. Waiting for a JACK server that is away is healthy and keeps
 * feeding it. Without systemd (no NOTIFY_SOCKET) every call does nothing.
 *
 * Threads: control thread only. */
#ifndef JMIXD_SERVICE_H
#define JMIXD_SERVICE_H

#include <stdint.h>

typedef struct {
    uint64_t watchdog_us;   /* 0: no watchdog */
    double next_feed;
    uint64_t last_cycles;   /* the engine's cycle count at the last check */
    double last_progress;   /* when it last moved */
    int stuck_logged;
    uint64_t last_beats;    /* the OSC thread's loop count at the last check */
    double last_beat;       /* when it last moved (0: no OSC thread seen yet) */
    double last_turn;       /* the control loop's previous tick (0: none yet) */
    int loops_stuck_logged;
} jm_service_t;

void jm_service_init(jm_service_t *sv);
void jm_service_ready(jm_service_t *sv, const char *status);
void jm_service_stopping(jm_service_t *sv);
/* Once per control loop turn. engine_open: a JACK client is active;
 * cycles: its process callback count; osc_beats: the OSC thread's loop
 * count (0: no OSC thread). */
void jm_service_tick(jm_service_t *sv, double now, int engine_open, uint64_t cycles,
                     uint32_t period, uint32_t rate, uint64_t osc_beats);
/* 1 while the audio thread is alive (or legitimately idle). */
int jm_service_alive(const jm_service_t *sv, double now, int engine_open);
/* 1 while the OSC thread turns and the control loop came round in time
 * (as of the last tick). */
int jm_service_loops_alive(const jm_service_t *sv, double now);

#endif
