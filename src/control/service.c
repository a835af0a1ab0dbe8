/* systemd notify and watchdog (see include/jmixd/control/service.h). */
#include "jmixd/control/service.h"

#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#define STUCK_AFTER 2.0 /* s without progress of a thread that should move */

void jm_service_init(jm_service_t *sv)
{
    memset(sv, 0, sizeof *sv);
    if (sd_watchdog_enabled(0, &sv->watchdog_us) <= 0) sv->watchdog_us = 0;
}

void jm_service_ready(jm_service_t *sv, const char *status)
{
    (void)sv;
    sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void jm_service_stopping(jm_service_t *sv)
{
    (void)sv;
    sd_notify(0, "STOPPING=1");
}

int jm_service_alive(const jm_service_t *sv, double now, int engine_open)
{
    return !engine_open || now - sv->last_progress < STUCK_AFTER;
}

int jm_service_loops_alive(const jm_service_t *sv, double now)
{
    return (!sv->last_beat || now - sv->last_beat < STUCK_AFTER) &&
           (!sv->last_turn || now - sv->last_turn < STUCK_AFTER);
}

void jm_service_tick(jm_service_t *sv, double now, int engine_open, uint64_t cycles,
                     uint32_t period, uint32_t rate, uint64_t osc_beats)
{
    (void)period;
    (void)rate;
    if (!engine_open || cycles != sv->last_cycles) {
        sv->last_cycles = cycles;
        sv->last_progress = now;
        sv->stuck_logged = 0;
    }
    if (osc_beats != sv->last_beats) {
        sv->last_beats = osc_beats;
        sv->last_beat = now;
    }
    /* a turn that came this late: the control loop was stuck until now */
    int loops = jm_service_loops_alive(sv, now);
    sv->last_turn = now;
    if (loops) sv->loops_stuck_logged = 0;
    if (!sv->watchdog_us || now < sv->next_feed) return;
    if (jm_service_alive(sv, now, engine_open) && loops) {
        sv->next_feed = now + (double)sv->watchdog_us * 0.5e-6;
        sd_notify(0, "WATCHDOG=1");
    }
}
