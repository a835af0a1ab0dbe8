/* The control thread: the one owner of every parameter value. Its life
 * cycle and loop; requests go to dispatch.c (see control_int.h). */
#include "jmixd/control/control.h"

#include "control_int.h"

#include <errno.h>
#include <stdint.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#define REQ_QUEUE 4096
#define AUTOSAVE_DELAY 0.25   /* s after the first unsaved change, at most one save a
                                 second (jm_state_writer_due; docs/session.md) */
#define RECONNECT_EVERY 1.0   /* s between attempts while JACK is away */
#define LANE_FEEDBACK_EVERY 0.05 /* s between feedback of ramps and lanes */
/* Longest a loop turn spends on requests, or on engine events, before it
 * looks at signals, timers and the watchdog again (the rest waits one turn). */
#define TURN_SECONDS 0.03
#define EVENTS_PER_TURN 8192

const char *jm_ctl_restore_path(const jm_control_t *c)
{
    const char *p = c->cfg.restore_path ? c->cfg.restore_path : c->cfg.state_path;
    return p && p[0] ? p : NULL;
}

double jm_ctl_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

jm_queue_t *jm_control_requests(jm_control_t *c) { return &c->reqs; }

void jm_control_wake(jm_control_t *c)
{
    uint64_t one = 1;
    ssize_t r = write(c->wake_fd, &one, sizeof one);
    (void)r; /* a full counter still wakes the reader */
}

void jm_control_osc_beat(jm_control_t *c) { atomic_fetch_add(&c->osc_beats, 1); }

void jm_control_set_socket(jm_control_t *c, int fd)
{
    c->fb.sock = fd;
    jm_feedback_add_self(&c->fb, fd);
}

void jm_control_set_x32_socket(jm_control_t *c, int fd)
{
    c->fb.x32_sock = fd;
    jm_feedback_add_self(&c->fb, fd);
}

void jm_control_set_xair_socket(jm_control_t *c, int fd)
{
    c->fb.xair_sock = fd;
    jm_feedback_add_self(&c->fb, fd);
}

static void reload_session(jm_control_t *c)
{
    jm_session_t fresh;
    char err[JM_ERR_MAX];
    if (jm_session_load(&fresh, c->cfg.session_path, err, sizeof err)) {
        jm_log(c->log, JM_LOG_ERROR, "SIGHUP: %s (nothing changed)", err);
        return;
    }
    int n = 0;
    for (size_t j = 0; j < fresh.params.n; j++) {
        int i = jm_params_find(c->ps, fresh.params.p[j].name_path);
        if (i >= 0) { jm_ctl_set_value(c, i, fresh.values[j], 0); n++; }
    }
    jm_log(c->log, JM_LOG_INFO, "SIGHUP: %d parameter values reloaded from %s", n,
           c->cfg.session_path);
    jm_session_free(&fresh);
}

void jm_ctl_save_state(jm_control_t *c)
{
    if (!c->writer) { c->dirty = 0; return; }
    if (jm_state_writer_save(c->writer, c->ps, c->values, &c->lanes, &c->snaps) == 0) c->dirty = 0;
}

static void engine_closed(jm_control_t *c)
{
    jm_ctl_lanes_engine_closed(c);
    jm_ctl_ramps_forget(c);
    jm_ctl_forget_unsent(c);
    jm_ctl_timed_flush(c);  /* no report of an applied change will come */
}

static void keep_engine(jm_control_t *c, double t)
{
    if (jm_engine_is_open(c->engine) && jm_engine_lost(c->engine)) {
        jm_log(c->log, JM_LOG_WARN, "JACK server went away; retrying every second");
        jm_engine_close(c->engine);
        engine_closed(c);
        c->next_reconnect = t + RECONNECT_EVERY;
    }
    if (!jm_engine_is_open(c->engine) && t >= c->next_reconnect) {
        c->next_reconnect = t + RECONNECT_EVERY;
        if (jm_engine_open(c->engine, c->values) == 0) {
            if (c->jack_was_up) jm_log(c->log, JM_LOG_INFO, "JACK server is back; resumed");
            c->jack_was_up = 1;
            /* the mixer starts from values[]: nothing is owed to it */
            jm_ctl_forget_unsent(c);
            jm_ctl_lanes_publish(c);
            jm_ctl_nsm_engine_up(c);
        }
    }
    jm_engine_connect_pending(c->engine);
    jm_engine_clock_tick(c->engine);
}

static void pump_events(jm_control_t *c)
{
    jm_event_t ev;
    for (int k = 0; k < EVENTS_PER_TURN && jm_engine_event(c->engine, &ev); k++) {
        if (ev.type == JM_EV_LATENCY) jm_engine_set_latency(c->engine, (uint32_t)ev.v[0]);
        else if (ev.type == JM_EV_FREE) jm_ctl_lanes_freed(c, ev.ptr);
        else if (ev.type == JM_EV_APPLIED) jm_ctl_timed_applied(c, ev.tag);
        else {
            jm_feedback_meter(&c->fb, &ev);
            jm_ctl_midi_meter(c, &ev);
        }
        jm_x32m_event(&c->x32m, &c->fb, &ev); /* X32 meter streams; other events ignored */
        jm_loudness_t *ln = jm_engine_loudness(c->engine);
        if (ev.type == JM_EV_METER_MASTER && ln) {
            /* loudness goes out at the meter rate, beside the master meter */
            float lu[5];
            jm_loudness_read(ln, lu);
            jm_feedback_loudness(&c->fb, lu);
        }
    }
    /* the analyser's readings (/meter/rta), one per meter period while a
     * source is selected */
    jm_rtameter_t *rm = jm_engine_rta(c->engine);
    float db[JM_RTA_BANDS];
    for (int k = 0; k < 8 && rm && jm_rtameter_read(rm, db); k++) jm_feedback_rta(&c->fb, db);
}

void jm_ctl_tick(jm_control_t *c, double now)
{
    jm_ctl_retry_unsent(c);
    /* timed messages that are now close enough for the engine, handled as
     * fresh requests: their timetag maps to a frame now */
    jm_req_t r;
    while (jm_ctl_timed_due(c, now, &r)) jm_ctl_handle(c, &r);
    jm_ctl_timed_overdue(c, now);
    double t;
    int rolling = jm_engine_transport(c->engine, &t);
    jm_ctl_lanes_tick(c, now, rolling, t);
    jm_ctl_lanes_chase(c, rolling, t);
    if (now >= c->next_lane_feedback) {
        c->next_lane_feedback = now + LANE_FEEDBACK_EVERY;
        jm_ctl_ramps_follow(c, now);
        if (rolling) jm_ctl_lanes_follow(c, t);
    }
    c->rolling = rolling;
    jm_ctl_rec_tick(c);
    jm_ctl_take_tick(c);
    jm_ctl_playback_tick(c, now, rolling, t);
    jm_ctl_midi_tick(c, now);
    jm_ctl_nsm_tick(c, now);
}

/* SIGHUP reloads; SIGTERM and SIGINT return 1 (stop). */
static int take_signal(jm_control_t *c, int signal_fd)
{
    struct signalfd_siginfo si;
    if (read(signal_fd, &si, sizeof si) != (ssize_t)sizeof si) return 0;
    if (si.ssi_signo == SIGHUP) {
        reload_session(c);
        return 0;
    }
    jm_log(c->log, JM_LOG_INFO, "signal %u: stopping", si.ssi_signo);
    return 1;
}

/* systemd's watchdog is fed here, at the end of a whole loop turn, while
 * the audio thread and the OSC thread move too. */
static void watch_service(jm_control_t *c, double t)
{
    int open = jm_engine_is_open(c->engine) && !jm_engine_lost(c->engine);
    jm_service_tick(&c->service, t, open, jm_engine_cycles(c->engine),
                    jm_engine_period(c->engine), jm_engine_rate(c->engine),
                    atomic_load(&c->osc_beats));
    if (!jm_service_alive(&c->service, t, open) && !c->service.stuck_logged) {
        jm_log(c->log, JM_LOG_ERROR, "the audio thread has not run for 2 s; "
               "the watchdog is no longer fed");
        c->service.stuck_logged = 1;
    }
    if (!jm_service_loops_alive(&c->service, t) && !c->service.loops_stuck_logged) {
        jm_log(c->log, JM_LOG_ERROR, "the OSC thread has not come round for 2 s; "
               "the watchdog is no longer fed");
        c->service.loops_stuck_logged = 1;
    }
}

int jm_control_run(jm_control_t *c, int signal_fd)
{
    keep_engine(c, jm_ctl_now());
    if (!jm_engine_is_open(c->engine))
        jm_log(c->log, JM_LOG_WARN, "no JACK server yet; retrying every second");
    jm_service_init(&c->service);
    jm_cyclestats_init(&c->cycle_stats);
    jm_service_ready(&c->service, jm_engine_is_open(c->engine) ? "mixing" : "waiting for JACK");
    int more = 0; /* requests left from the last turn: do not sleep */
    int dump_ms = -1; /* a state dump goes on: its next bundle is due in this many ms */
    for (;;) {
        struct pollfd pf[2] = {{.fd = c->wake_fd, .events = POLLIN},
                               {.fd = signal_fd, .events = POLLIN}};
        /* requests wake it at once; 20 ms paces meters and timers; a state
         * dump sends a bundle every 2 ms; 2 ms while a timed change's
         * feedback waits for the engine's report (the audio thread cannot
         * wake this thread: no system call there) */
        int wait = dump_ms >= 0 && dump_ms < 20 ? dump_ms : 20;
        /* MIDI: surfaces are ticked at least every 10 ms (surface.h) */
        if (c->midi && wait > 8) wait = 8;
        if (c->n_owed && wait > 2) wait = 2;
        int rc = poll(pf, 2, more ? 0 : wait);
        if (rc < 0 && errno != EINTR) break;
        if (pf[0].revents & POLLIN) {
            uint64_t cnt;
            ssize_t r = read(c->wake_fd, &cnt, sizeof cnt);
            (void)r;
        }
        /* a bounded share per turn: a flood must not hold off signals and
         * the watchdog (the queue holds the rest) */
        jm_req_t req;
        double until = jm_ctl_now() + TURN_SECONDS;
        more = 0;
        for (int k = 0; !more && jm_queue_pop(&c->reqs, &req); k++) {
            jm_ctl_handle(c, &req);
            more = k >= REQ_QUEUE || ((k & 31) == 31 && jm_ctl_now() > until);
        }
        if ((pf[1].revents & POLLIN) && take_signal(c, signal_fd)) break;
        double t = jm_ctl_now();
        keep_engine(c, t);
        pump_events(c);
        jm_feedback_expire(&c->fb, t);
        dump_ms = jm_dump_step(&c->fb, c->values, t);
        jm_ctl_tick(c, t);
        watch_service(c, t);
        jm_cyclestats_tick(&c->cycle_stats, jm_engine_cyclehist(c->engine), t);
        if (c->dirty && t - c->dirty_since >= AUTOSAVE_DELAY && jm_state_writer_due(c->writer))
            jm_ctl_save_state(c);
    }
    jm_service_stopping(&c->service);
    jm_ctl_save_state(c);
    return 0;
}

jm_control_t *jm_control_create(const jm_control_config_t *cfg)
{
    jm_control_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->cfg = *cfg;
    c->log = cfg->log;
    c->s = cfg->session;
    c->ps = &cfg->session->params;
    c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    c->nsm_fd = -1;
    c->values = malloc((c->ps->n ? c->ps->n : 1) * sizeof *c->values);
    if (c->wake_fd < 0 || !c->values || jm_queue_init(&c->reqs, sizeof(jm_req_t), REQ_QUEUE))
        goto fail;
    memcpy(c->values, c->s->values, c->ps->n * sizeof *c->values);
    jm_snapshots_init(&c->snaps, c->ps->n);
    size_t words = (c->ps->n + 63) / 64;
    c->unsent = calloc(words ? words : 1, sizeof *c->unsent);
    if (c->unsent) c->n_unsent_words = words;
    c->sched = calloc(JM_MAX_SCHEDULED, sizeof *c->sched);
    if (!c->unsent || !c->sched || jm_lanes_init(&c->lanes, c->s)) goto fail;
    const char *restore = jm_ctl_restore_path(c);
    if (restore) {
        int n = jm_state_load(restore, c->ps, c->values, &c->lanes, &c->snaps, c->log);
        if (n < 0)
            jm_log(c->log, JM_LOG_WARN, "cannot read state %s: %s", restore, strerror(errno));
        else if (n > 0)
            jm_log(c->log, JM_LOG_INFO, "%d values restored from %s", n, restore);
    }
    if (cfg->recover_path) jm_ctl_nsm_recover(c, cfg->recover_path);
    if (cfg->state_path && cfg->state_path[0]) {
        c->writer = jm_state_writer_start(cfg->state_path, c->log);
        if (!c->writer) goto fail;
        /* restored from elsewhere: the live file says so at once, so a crash
         * now does not bring back an older run's values */
        if (restore != cfg->state_path) {
            c->dirty = 1;
            c->dirty_since = jm_ctl_now();
        }
    }
    if (jm_feedback_init(&c->fb, c->s, c->log)) goto fail;
    c->engine = jm_engine_create(c->s, cfg->client_name, cfg->server_name, c->s->meter_rate,
                                 c->log);
    if (!c->engine || jm_ctl_midi_open(c) < 0) goto fail;
    return c;
fail:
    jm_control_destroy(c);
    return NULL;
}

void jm_control_destroy(jm_control_t *c)
{
    if (!c) return;
    jm_ctl_midi_close(c);
    jm_engine_destroy(c->engine);
    /* the engine is closed: no set is in the audio thread's hands any more */
    engine_closed(c);
    free(c->rt_current);
    jm_lanes_free(&c->lanes);
    jm_snapshots_free(&c->snaps);
    free(c->sched);
    free(c->unsent);
    jm_state_writer_stop(c->writer);
    jm_feedback_free(&c->fb);
    jm_queue_free(&c->reqs);
    if (c->wake_fd >= 0) close(c->wake_fd);
    free(c->values);
    free(c->take_values);
    free(c);
}
