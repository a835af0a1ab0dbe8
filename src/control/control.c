/* The control thread: the one owner of every parameter value. */
#include "jmixd/control/control.h"

#include "control_int.h"
#include "jmixd/version.h"

#include <errno.h>
#include <lo/lo.h>
#include <math.h>
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
#define AUTOSAVE_DELAY 0.25   /* s after the first unsaved change; SPEC: at most 1 s */
#define RECONNECT_EVERY 1.0   /* s between attempts while JACK is away */

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

void jm_control_set_socket(jm_control_t *c, int fd) { c->fb.sock = fd; }
void jm_control_set_x32_socket(jm_control_t *c, int fd) { c->fb.x32_sock = fd; }

void jm_control_set_nsm(jm_control_t *c, int fd, const struct sockaddr_in *server)
{
    c->nsm_fd = fd;
    c->nsm_server = *server;
}

void jm_ctl_nsm_send(jm_control_t *c, const char *path, const char *s1, const char *s2)
{
    if (c->nsm_fd < 0) return;
    lo_message m = lo_message_new();
    if (s1) lo_message_add_string(m, s1);
    if (s2) lo_message_add_string(m, s2);
    jm_feedback_send_on(&c->fb, c->nsm_fd, &c->nsm_server, path, m);
}

void jm_ctl_mark_dirty(jm_control_t *c)
{
    if (!c->dirty) c->dirty_since = jm_ctl_now();
    c->dirty = 1;
}

void jm_ctl_note_value(jm_control_t *c, int i, float v)
{
    if (v == c->values[i]) return;
    c->values[i] = v;
    jm_ctl_mark_dirty(c);
    if (!c->session_dirty) {
        c->session_dirty = 1;
        jm_ctl_nsm_send(c, "/nsm/client/is_dirty", NULL, NULL);
    }
    jm_feedback_param(&c->fb, i, v);
}

void jm_ctl_set_value(jm_control_t *c, int i, float v, uint32_t frame)
{
    const jm_param_t *p = &c->ps->p[i];
    v = jm_param_clamp(p->def, v);
    jm_cmd_t cmd = {.type = JM_CMD_SET, .scope = (uint8_t)p->scope, .field = p->field,
                    .index = p->owner, .value = v};
    /* a plain set also ends a ramp that is running on the parameter */
    jm_engine_post_at(c->engine, &cmd, frame); /* while JACK is away the next open uses values[] */
    jm_ctl_note_value(c, i, v);
}

static float shown(const jm_control_t *c, int i, int norm)
{
    const jm_param_def_t *d = c->ps->p[i].def;
    return norm ? jm_param_to_norm(d, c->values[i]) : c->values[i];
}

static void handle_set(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    const jm_param_def_t *d = c->ps->p[r->param].def;
    float asked = r->norm ? jm_param_from_norm(d, r->value) : r->value;
    float old = c->values[r->param];
    jm_ctl_set_value(c, r->param, asked, frame);
    jm_ctl_auto_on_set(c, r->param, old, c->values[r->param], d->smooth_ms * 0.001);
    /* Out of range: the sender learns the value that was actually taken. */
    float requested = r->value;
    float taken = shown(c, r->param, r->norm);
    int out_of_range = r->norm ? (requested < 0.0f || requested > 1.0f)
                               : (!jm_param_is_bool(d) && (requested < d->min || requested > d->max));
    if (out_of_range && !r->dialect) jm_feedback_send_float(&c->fb, &r->src, r->path, taken);
}

static void handle_record(jm_control_t *c, const jm_req_t *r)
{
    jm_recorder_t *rec = jm_engine_recorder(c->engine);
    char err[512], path[1024] = "";
    if (!rec) {
        jm_feedback_send_error(&c->fb, &r->src, r->path, "no JACK server yet");
        return;
    }
    if (r->kind == JM_REQ_REC_START) {
        if (jm_recorder_start(rec, r->sarg[0] ? r->sarg : NULL, err, sizeof err)) {
            jm_log(c->log, JM_LOG_ERROR, "record: %s", err);
            jm_feedback_send_error(&c->fb, &r->src, r->path, err);
            return;
        }
    } else if (r->kind == JM_REQ_REC_STOP) {
        if (jm_recorder_stop(rec)) {
            jm_feedback_send_error(&c->fb, &r->src, r->path, "not recording, or the file could not be finished");
            return;
        }
    }
    int recording = 0;
    double secs = 0;
    uint64_t dropped = 0;
    jm_recorder_status(rec, &recording, path, sizeof path, &secs, &dropped);
    if (r->kind != JM_REQ_REC_STATUS)
        jm_log(c->log, JM_LOG_INFO, "recording %s: %s", recording ? "started" : "stopped", path);
    lo_message m = lo_message_new();
    lo_message_add_int32(m, recording);
    lo_message_add_string(m, path);
    lo_message_add_float(m, (float)secs);
    lo_message_add_int32(m, (int32_t)(dropped > INT32_MAX ? INT32_MAX : dropped));
    jm_feedback_send_msg(&c->fb, &r->src, "/record/status", m);
}

void jm_ctl_handle(jm_control_t *c, const jm_req_t *r)
{
    if (jm_ctl_auto_request(c, r)) return;
    switch (r->kind) {
    case JM_REQ_SET:
        if (r->param >= 0 && (size_t)r->param < c->ps->n) {
            uint32_t frame = 0;
            if (jm_ctl_auto_schedule(c, r, &frame) < 0) break; /* queued for later */
            handle_set(c, r, frame);
        }
        break;
    case JM_REQ_QUERY:
        if (r->param < 0 || (size_t)r->param >= c->ps->n) break;
        if (r->dialect)
            jm_feedback_x32_reply(&c->fb, &r->src, r->path, r->dialect, r->param, c->values[r->param]);
        else
            jm_feedback_send_float(&c->fb, &r->src, r->path, shown(c, r->param, r->norm));
        break;
    case JM_REQ_INFO:
        jm_feedback_send_info(&c->fb, &r->src, JMIXD_VERSION, (int)jm_engine_rate(c->engine),
                              (int)jm_engine_period(c->engine), c->s->n_strips, c->s->n_buses);
        break;
    case JM_REQ_STRIPS: jm_feedback_send_strips(&c->fb, &r->src, c->s); break;
    case JM_REQ_PARAMS: jm_feedback_send_params(&c->fb, &r->src, r->sarg, c->values); break;
    case JM_REQ_SUBSCRIBE:
        jm_feedback_subscribe(&c->fb, &r->src, r->iarg, !strcmp(r->sarg, "norm"), r->dialect != 0,
                              jm_ctl_now());
        break;
    case JM_REQ_UNSUBSCRIBE: jm_feedback_unsubscribe(&c->fb, &r->src, r->iarg); break;
    case JM_REQ_REC_START:
    case JM_REQ_REC_STOP:
    case JM_REQ_REC_STATUS: handle_record(c, r); break;
    case JM_REQ_LOUD_RESET:
        if (jm_engine_loudness(c->engine)) jm_loudness_reset(jm_engine_loudness(c->engine));
        break;
    case JM_REQ_STATS:
        jm_feedback_send_stats(&c->fb, &r->src, r->counters, c->reqs.dropped,
                               jm_engine_dropped_cmds(c->engine), jm_engine_xruns(c->engine),
                               jm_engine_loudness_dropped(c->engine));
        break;
    default: break;
    }
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

static void save_now(jm_control_t *c)
{
    if (!c->writer) { c->dirty = 0; return; }
    char *text = jm_state_serialize(c->ps, c->values, &c->lanes, &c->snaps);
    if (text) {
        jm_state_writer_submit(c->writer, text);
        c->dirty = 0;
    }
}

static void keep_engine(jm_control_t *c, double t)
{
    if (jm_engine_is_open(c->engine) && jm_engine_lost(c->engine)) {
        jm_log(c->log, JM_LOG_WARN, "JACK server went away; retrying every second");
        jm_engine_close(c->engine);
        jm_ctl_auto_engine_closed(c);
        c->next_reconnect = t + RECONNECT_EVERY;
    }
    if (!jm_engine_is_open(c->engine) && t >= c->next_reconnect) {
        c->next_reconnect = t + RECONNECT_EVERY;
        if (jm_engine_open(c->engine, c->values) == 0) {
            if (c->jack_was_up) jm_log(c->log, JM_LOG_INFO, "JACK server is back; resumed");
            c->jack_was_up = 1;
            jm_ctl_auto_engine_opened(c);
        }
    }
    jm_engine_connect_pending(c->engine);
    jm_engine_clock_tick(c->engine);
}

static void pump_events(jm_control_t *c)
{
    jm_event_t ev;
    while (jm_engine_event(c->engine, &ev)) {
        if (ev.type == JM_EV_LATENCY) jm_engine_set_latency(c->engine, (uint32_t)ev.v[0]);
        else if (ev.type == JM_EV_FREE) jm_ctl_auto_freed(c, ev.ptr);
        else jm_feedback_meter(&c->fb, &ev);
        jm_loudness_t *ln = jm_engine_loudness(c->engine);
        if (ev.type == JM_EV_METER_MASTER && ln) {
            /* loudness goes out at the meter rate, beside the master meter */
            float lu[5];
            jm_loudness_read(ln, lu);
            jm_feedback_loudness(&c->fb, lu);
        }
    }
}

int jm_control_run(jm_control_t *c, int signal_fd)
{
    keep_engine(c, jm_ctl_now());
    if (!jm_engine_is_open(c->engine))
        jm_log(c->log, JM_LOG_WARN, "no JACK server yet; retrying every second");
    jm_service_init(&c->service);
    jm_service_ready(&c->service, jm_engine_is_open(c->engine) ? "mixing" : "waiting for JACK");
    for (;;) {
        struct pollfd pf[2] = {{.fd = c->wake_fd, .events = POLLIN},
                               {.fd = signal_fd, .events = POLLIN}};
        int rc = poll(pf, 2, 20); /* requests wake it at once; 20 ms paces meters and timers */
        if (rc < 0 && errno != EINTR) break;
        if (pf[0].revents & POLLIN) {
            uint64_t cnt;
            ssize_t r = read(c->wake_fd, &cnt, sizeof cnt);
            (void)r;
        }
        jm_req_t req;
        while (jm_queue_pop(&c->reqs, &req)) jm_ctl_handle(c, &req);
        if (pf[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(signal_fd, &si, sizeof si) == (ssize_t)sizeof si) {
                if (si.ssi_signo == SIGHUP) reload_session(c);
                else {
                    jm_log(c->log, JM_LOG_INFO, "signal %u: stopping", si.ssi_signo);
                    break;
                }
            }
        }
        double t = jm_ctl_now();
        keep_engine(c, t);
        pump_events(c);
        jm_feedback_expire(&c->fb, t);
        jm_ctl_auto_tick(c, t);
        int open = jm_engine_is_open(c->engine) && !jm_engine_lost(c->engine);
        jm_service_tick(&c->service, t, open, jm_engine_cycles(c->engine),
                        jm_engine_period(c->engine), jm_engine_rate(c->engine));
        if (!jm_service_alive(&c->service, t, open) && !c->service.stuck_logged) {
            jm_log(c->log, JM_LOG_ERROR, "the audio thread has not run for 2 s; "
                   "the watchdog is no longer fed");
            c->service.stuck_logged = 1;
        }
        if (c->dirty && t - c->dirty_since >= AUTOSAVE_DELAY) save_now(c);
    }
    jm_service_stopping(&c->service);
    save_now(c);
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
    if (jm_ctl_auto_init(c)) goto fail;
    if (cfg->state_path && cfg->state_path[0]) {
        int n = jm_state_load(cfg->state_path, c->ps, c->values, &c->lanes, &c->snaps, c->log);
        if (n < 0)
            jm_log(c->log, JM_LOG_WARN, "cannot read state %s: %s", cfg->state_path,
                   strerror(errno));
        else if (n > 0)
            jm_log(c->log, JM_LOG_INFO, "%d values restored from %s", n, cfg->state_path);
        c->writer = jm_state_writer_start(cfg->state_path, c->log);
        if (!c->writer) goto fail;
    }
    if (jm_feedback_init(&c->fb, c->s, c->log)) goto fail;
    c->engine = jm_engine_create(c->s, cfg->client_name, cfg->server_name, c->s->meter_rate,
                                 c->log);
    if (!c->engine) goto fail;
    return c;
fail:
    jm_control_destroy(c);
    return NULL;
}

void jm_control_destroy(jm_control_t *c)
{
    if (!c) return;
    jm_engine_destroy(c->engine);
    jm_ctl_auto_free(c);
    jm_state_writer_stop(c->writer);
    jm_feedback_free(&c->fb);
    jm_queue_free(&c->reqs);
    if (c->wake_fd >= 0) close(c->wake_fd);
    free(c->values);
    free(c);
}
