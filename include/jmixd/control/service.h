/* systemd integration (Type=notify): READY, STOPPING, STATUS and the
 * watchdog. The watchdog is fed only while the audio thread is alive, so a
 * stuck engine gets the service restarted; waiting for a JACK server that
 * is away is healthy and keeps feeding it. Without systemd (no
 * NOTIFY_SOCKET) every call does nothing.
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
} jm_service_t;

void jm_service_init(jm_service_t *sv);
void jm_service_ready(jm_service_t *sv, const char *status);
void jm_service_stopping(jm_service_t *sv);
/* engine_open: a JACK client is active; cycles: its process callback count. */
void jm_service_tick(jm_service_t *sv, double now, int engine_open, uint64_t cycles,
                     uint32_t period, uint32_t rate);
/* 1 while the audio thread is alive (or legitimately idle). */
int jm_service_alive(const jm_service_t *sv, double now, int engine_open);

#endif
