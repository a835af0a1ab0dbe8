/* The control thread's side of time: ramps, automation lanes (read, write,
 * touch, latch), snapshots, bundles with future timetags, session save. */
#include "control_int.h"

#include "jmixd/session/save.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEDULE_HORIZON 0.05   /* s: timed messages go to the engine this early */
#define LANE_FEEDBACK_EVERY 0.05
#define RETURN_GLIDE 0.02       /* s: a released lane glides back onto its curve */

int jm_ctl_auto_init(jm_control_t *c)
{
    jm_snapshots_init(&c->snaps, c->ps->n);
    c->sched = calloc(JM_MAX_SCHEDULED, sizeof *c->sched);
    if (!c->sched || jm_lanes_init(&c->lanes, c->s)) return -1;
    return 0;
}

void jm_ctl_auto_free(jm_control_t *c)
{
    /* the engine is closed: no set is in the audio thread's hands any more */
    jm_ctl_auto_engine_closed(c);
    free(c->rt_current);
    c->rt_current = NULL;
    jm_lanes_free(&c->lanes);
    jm_snapshots_free(&c->snaps);
    free(c->sched);
}

static uint32_t rate(const jm_control_t *c)
{
    uint32_t r = jm_engine_rate(c->engine);
    return r ? r : 48000;
}

/* Hand the audio thread a fresh set of the lanes it should play. */
static void publish_lanes(jm_control_t *c)
{
    jm_rtlanes_t *rt = jm_lanes_build_rt(&c->lanes, c->ps, rate(c));
    if (!rt) return;
    int handed = 0;
    if (jm_engine_is_open(c->engine) && c->n_rt_out < JM_MAX_RT_OUT) {
        jm_cmd_t cmd = {.type = JM_CMD_LANES, .ptr = rt};
        handed = jm_engine_post(c->engine, &cmd);
    }
    if (handed) c->rt_out[c->n_rt_out++] = rt;
    /* rt_current is kept for the next engine open; the set it replaces is
     * freed now unless the audio thread still holds it (then it is freed
     * when handed back, JM_EV_FREE) */
    if (c->rt_current) {
        int out = 0;
        for (int k = 0; k < c->n_rt_out; k++) out |= c->rt_out[k] == c->rt_current;
        if (!out) free(c->rt_current);
    }
    c->rt_current = rt;
}

void jm_ctl_auto_freed(jm_control_t *c, const void *ptr)
{
    for (int k = 0; k < c->n_rt_out; k++) {
        if (c->rt_out[k] != ptr) continue;
        c->rt_out[k] = c->rt_out[--c->n_rt_out];
        if (ptr != c->rt_current) free((void *)ptr);
        return;
    }
}

void jm_ctl_auto_engine_opened(jm_control_t *c) { publish_lanes(c); }

void jm_ctl_auto_engine_closed(jm_control_t *c)
{
    /* the mixer that held them is gone */
    for (int k = 0; k < c->n_rt_out; k++)
        if (c->rt_out[k] != c->rt_current) free(c->rt_out[k]);
    c->n_rt_out = 0;
    c->n_cramps = 0;
}

static void cramp_drop(jm_control_t *c, int param)
{
    for (int k = 0; k < c->n_cramps; k++)
        if (c->cramps[k].param == param) c->cramps[k--] = c->cramps[--c->n_cramps];
}

/* A linear move in the parameter's unit over `secs`, from `frame` (0 now). */
static void start_ramp(jm_control_t *c, int i, float target, float secs, uint32_t frame)
{
    const jm_param_t *p = &c->ps->p[i];
    target = jm_param_clamp(p->def, target);
    cramp_drop(c, i);
    uint32_t len = (uint32_t)lround(secs * (double)rate(c));
    if (jm_param_is_bool(p->def) || len == 0 || !jm_engine_is_open(c->engine)) {
        jm_ctl_set_value(c, i, target, frame);
        return;
    }
    jm_cmd_t cmd = {.type = JM_CMD_RAMP, .scope = (uint8_t)p->scope, .field = p->field,
                    .index = p->owner, .value = target, .len = len};
    jm_engine_post_at(c->engine, &cmd, frame);
    if (c->n_cramps < JM_MAX_CRAMPS)
        c->cramps[c->n_cramps++] = (jm_cramp_t){i, c->values[i], target, jm_ctl_now(), secs};
    else
        jm_ctl_note_value(c, i, target);
}

void jm_ctl_auto_on_set(jm_control_t *c, int i, float old, float v, double glide)
{
    cramp_drop(c, i);
    jm_lane_t *l = jm_lanes_get(&c->lanes, i, 0);
    if (!l || l->mode == JM_AUTO_OFF || l->mode == JM_AUTO_READ) return;
    if (l->mode != JM_AUTO_WRITE && jm_lane_touch(l, 1, 0, jm_ctl_now())) publish_lanes(c);
    double t;
    int rolling = jm_engine_transport(c->engine, &t);
    if (jm_lane_recording(l, rolling)) {
        jm_lane_write(l, t, old, v, glide);
        jm_ctl_mark_dirty(c);
    }
}

int jm_ctl_auto_schedule(jm_control_t *c, const jm_req_t *r, uint32_t *frame)
{
    *frame = 0;
    if (r->timetag <= 1) return 0;
    double delta;
    uint32_t f;
    if (!jm_engine_frame_for_ntp(c->engine, r->timetag, &f, &delta)) return 0; /* past: now */
    if (delta <= SCHEDULE_HORIZON) {
        *frame = f ? f : 1; /* frame 0 means "at once" */
        jm_log(c->log, JM_LOG_DEBUG, "%s due in %.4f s at frame %u", r->path, delta, *frame);
        return 0;
    }
    if (c->n_sched == JM_MAX_SCHEDULED) {
        c->sched_dropped++;
        jm_feedback_send_error(&c->fb, &r->src, r->path, "too many scheduled bundles");
        return -1;
    }
    c->sched[c->n_sched++] = (jm_sched_t){*r, jm_ctl_now() + delta - SCHEDULE_HORIZON};
    return -1;
}

static void lane_list(jm_control_t *c, const jm_req_t *r)
{
    for (int k = 0; k < c->lanes.n; k++) {
        const jm_lane_t *l = &c->lanes.l[k];
        lo_message m = lo_message_new();
        lo_message_add_string(m, c->ps->p[l->param].name_path);
        lo_message_add_string(m, jm_automode_name(l->mode));
        lo_message_add_int32(m, l->n);
        jm_feedback_send_msg(&c->fb, &r->src, "/automation/lane", m);
    }
}

static void snapshot_recall(jm_control_t *c, const jm_req_t *r)
{
    const jm_snapshot_t *s = jm_snapshots_find(&c->snaps, r->sarg);
    if (!s) {
        jm_feedback_send_error(&c->fb, &r->src, r->path, "no such snapshot");
        return;
    }
    for (size_t i = 0; i < c->ps->n; i++) {
        if (s->values[i] == c->values[i]) continue;
        if (r->aux > 0.0f) start_ramp(c, (int)i, s->values[i], r->aux, 0);
        else jm_ctl_set_value(c, (int)i, s->values[i], 0);
    }
}

static void session_save(jm_control_t *c, const jm_req_t *r)
{
    const char *path = r->sarg[0] ? r->sarg : c->cfg.session_path;
    jm_lane_cfg_t *lanes = calloc((size_t)c->lanes.n + 1, sizeof *lanes);
    char err[JM_ERR_MAX];
    if (!lanes) return;
    int n = jm_lanes_export(&c->lanes, lanes, c->lanes.n);
    int from_nsm = r->iarg == 1;
    if (jm_session_save(c->s, c->values, lanes, n, path, err, sizeof err)) {
        jm_log(c->log, JM_LOG_ERROR, "session save: %s", err);
        if (from_nsm) {
            lo_message m = lo_message_new();
            lo_message_add_string(m, "/nsm/client/save");
            lo_message_add_int32(m, -1);
            lo_message_add_string(m, err);
            jm_feedback_send_on(&c->fb, c->nsm_fd, &c->nsm_server, "/error", m);
        } else {
            jm_feedback_send_error(&c->fb, &r->src, r->path, err);
        }
    } else {
        jm_log(c->log, JM_LOG_INFO, "session saved to %s", path);
        if (from_nsm) {
            jm_ctl_nsm_send(c, "/reply", "/nsm/client/save", "saved");
        } else {
            lo_message m = lo_message_new();
            lo_message_add_string(m, path);
            jm_feedback_send_msg(&c->fb, &r->src, "/session/save", m);
        }
        if (!r->sarg[0] || !strcmp(path, c->cfg.session_path)) {
            c->session_dirty = 0;
            jm_ctl_nsm_send(c, "/nsm/client/is_clean", NULL, NULL);
        }
    }
    free(lanes);
}

int jm_ctl_auto_request(jm_control_t *c, const jm_req_t *r)
{
    uint32_t frame = 0;
    switch (r->kind) {
    case JM_REQ_RAMP: {
        if (jm_ctl_auto_schedule(c, r, &frame) < 0) return 1;
        const jm_param_def_t *d = c->ps->p[r->param].def;
        float target = r->norm ? jm_param_from_norm(d, r->value) : r->value;
        jm_ctl_auto_on_set(c, r->param, c->values[r->param], jm_param_clamp(d, target), r->aux);
        start_ramp(c, r->param, target, r->aux, frame);
        return 1;
    }
    case JM_REQ_TOUCH: {
        jm_lane_t *l = jm_lanes_get(&c->lanes, r->param, 0);
        if (!l) return 1;
        double t;
        int rolling = jm_engine_transport(c->engine, &t);
        if (!r->iarg && l->touched && rolling && l->mode == JM_AUTO_TOUCH)
            jm_lane_hold(l, t, c->values[r->param], RETURN_GLIDE);
        if (jm_lane_touch(l, r->iarg, 1, jm_ctl_now())) publish_lanes(c);
        return 1;
    }
    case JM_REQ_AUTO_MODE: {
        jm_lane_t *l = jm_lanes_get(&c->lanes, r->param, 1);
        if (!l) return 1;
        l->mode = (jm_automode_t)r->iarg;
        l->touched = l->latched = 0;
        l->write_last = -1.0;
        publish_lanes(c);
        jm_ctl_mark_dirty(c);
        return 1;
    }
    case JM_REQ_AUTO_CLEAR:
        jm_lanes_clear(&c->lanes, r->param);
        publish_lanes(c);
        jm_ctl_mark_dirty(c);
        return 1;
    case JM_REQ_AUTO_LIST: lane_list(c, r); return 1;
    case JM_REQ_SNAP_SAVE:
        if (jm_snapshots_save(&c->snaps, r->sarg, c->values))
            jm_feedback_send_error(&c->fb, &r->src, r->path, "snapshot store is full");
        else
            jm_ctl_mark_dirty(c);
        return 1;
    case JM_REQ_SNAP_RECALL: snapshot_recall(c, r); return 1;
    case JM_REQ_SNAP_DELETE:
        if (jm_snapshots_delete(&c->snaps, r->sarg))
            jm_feedback_send_error(&c->fb, &r->src, r->path, "no such snapshot");
        else
            jm_ctl_mark_dirty(c);
        return 1;
    case JM_REQ_SNAP_LIST:
        for (int k = 0; k < c->snaps.n; k++) {
            lo_message m = lo_message_new();
            lo_message_add_string(m, c->snaps.s[k].name);
            jm_feedback_send_msg(&c->fb, &r->src, "/snapshot", m);
        }
        return 1;
    case JM_REQ_SESSION_SAVE: session_save(c, r); return 1;
    default: return 0;
    }
}

/* Feedback for values the audio thread moves by itself. */
static void follow_moves(jm_control_t *c, double now, int rolling, double t)
{
    for (int k = 0; k < c->n_cramps; k++) {
        jm_cramp_t *m = &c->cramps[k];
        double f = m->dur > 0 ? (now - m->t0) / m->dur : 1.0;
        if (f >= 1.0) {
            jm_ctl_note_value(c, m->param, m->to);
            c->cramps[k--] = c->cramps[--c->n_cramps];
        } else if (f > 0.0) {
            jm_ctl_note_value(c, m->param, (float)(m->from + f * (m->to - m->from)));
        }
    }
    if (!rolling) return;
    for (int k = 0; k < c->lanes.n; k++) {
        const jm_lane_t *l = &c->lanes.l[k];
        if (jm_lane_playing(l)) jm_ctl_note_value(c, l->param, jm_lane_eval(l, t));
    }
}

void jm_ctl_auto_tick(jm_control_t *c, double now)
{
    /* timed messages that are now close enough for the engine */
    for (int k = 0; k < c->n_sched; k++) {
        if (c->sched[k].due > now) continue;
        jm_req_t r = c->sched[k].req;
        c->sched[k--] = c->sched[--c->n_sched];
        jm_ctl_handle(c, &r); /* as a fresh request: its timetag maps to a frame now */
    }
    double t;
    int rolling = jm_engine_transport(c->engine, &t);
    if (jm_lanes_tick(&c->lanes, now, rolling, t, c->values, RETURN_GLIDE)) {
        publish_lanes(c);
        jm_ctl_mark_dirty(c);
    }
    if (now >= c->next_lane_feedback) {
        c->next_lane_feedback = now + LANE_FEEDBACK_EVERY;
        follow_moves(c, now, rolling, t);
    }
    c->rolling = rolling;
}
