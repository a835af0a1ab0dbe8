/* The one table of request kinds: each kind has one handler; the parameter
 * index is checked and a timed request held or given its frame here, once,
 * before any handler runs. */
#include "control_int.h"

#include "jmixd/version.h"

#include <lo/lo.h>
#include <stdio.h>
#include <string.h>

enum {
    NEEDS_PARAM = 1, /* r->param must index the parameter set */
    TIMED = 2,       /* a future timetag holds it, or gives it a frame */
};

static float shown(const jm_control_t *c, int i, int norm)
{
    const jm_param_def_t *d = c->ps->p[i].def;
    return norm ? jm_param_to_norm(d, c->values[i]) : c->values[i];
}

static void req_set(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    const jm_param_def_t *d = c->ps->p[r->param].def;
    float asked = r->norm ? jm_param_from_norm(d, r->value) : r->value;
    float old = c->values[r->param];
    jm_ctl_set_value(c, r->param, asked, frame);
    /* a plain set also ends a ramp that is running on the parameter */
    jm_ctl_ramp_cancel(c, r->param);
    jm_ctl_lanes_on_set(c, r->param, old, c->values[r->param], d->smooth_ms * 0.001);
    /* Out of range: the sender learns the value that was actually taken. */
    float requested = r->value;
    float taken = shown(c, r->param, r->norm);
    int out_of_range = r->norm ? (requested < 0.0f || requested > 1.0f)
                               : (!jm_param_is_bool(d) && (requested < d->min || requested > d->max));
    if (out_of_range && !r->dialect)
        jm_feedback_send_value(&c->fb, &r->src, r->path, d, taken, r->norm);
}

static void req_query(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    if (r->dialect)
        jm_feedback_x32_reply(&c->fb, &r->src, r->path, r->dialect, r->param, c->values[r->param]);
    else
        jm_feedback_send_value(&c->fb, &r->src, r->path, c->ps->p[r->param].def,
                               shown(c, r->param, r->norm), r->norm);
}

static void req_info(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    jm_feedback_send_info(&c->fb, &r->src, JMIXD_VERSION, (int)jm_engine_rate(c->engine),
                          (int)jm_engine_period(c->engine), c->s->n_strips, c->s->n_buses);
}

static void req_strips(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    jm_feedback_send_strips(&c->fb, &r->src, c->s, r->iarg);
}

static void req_params(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    jm_feedback_send_params(&c->fb, &r->src, r->sarg, r->iarg, c->values);
}

static void req_subscribe(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    jm_feedback_subscribe(&c->fb, &r->src, r->iarg, !strcmp(r->sarg, "norm"), r->dialect,
                          r->param, jm_ctl_now());
}

static void req_subscribe_confirm(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    jm_feedback_confirm(&c->fb, &r->src, r->iarg, jm_ctl_now());
}

static void req_unsubscribe(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    jm_feedback_unsubscribe(&c->fb, &r->src, r->iarg);
}

/* commands_dropped: pushes the full audio queue refused; each refused value
 * is posted again on the next tick (late, not lost). */
static void req_stats(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    jm_stats_t st = {.req_dropped = c->reqs.dropped, .cmd_dropped = c->cmds_refused,
                     .xruns = jm_engine_xruns(c->engine),
                     .loudness_dropped = jm_engine_loudness_dropped(c->engine),
                     .midi_in_dropped = jm_engine_midi_in_dropped(c->engine),
                     .midi_out_dropped = jm_engine_midi_out_dropped(c->engine)};
    memcpy(st.osc_counters, r->counters, sizeof st.osc_counters);
    jm_rtameter_t *rm = jm_engine_rta(c->engine);
    st.rta_blocks = rm ? jm_rtameter_blocks(rm) : 0;
    jm_cycle_figures_t cf;
    jm_cyclestats_read(&c->cycle_stats, jm_engine_cyclehist(c->engine), &cf);
    st.cycle_median_ns = cf.median_ns;
    st.cycle_p99_ns = cf.p99_ns;
    st.cycle_max_ns = cf.max_ns;
    st.cycles = cf.cycles;
    jm_feedback_send_stats(&c->fb, &r->src, &st, !strcmp(r->path, "/stats/64"));
}

static void req_dump(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    jm_dump_request(&c->fb, &r->src, r->sarg, r->iarg, jm_ctl_now());
}

static void req_loud_reset(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)r;
    (void)frame;
    jm_loudness_t *ln = jm_engine_loudness(c->engine);
    if (ln) jm_loudness_reset(ln);
}

/* /rta/source: select (iarg >= 0) or query; both answer the sender with
 * /rta/source s:current. Not a parameter: it names a tap, and it is not
 * saved in the state. */
static void req_rta_source(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    if (r->iarg >= JM_RTA_SRC_OFF && r->iarg <= JM_RTA_SRC_MASTER) {
        int n = r->iarg == JM_RTA_SRC_STRIP ? c->s->n_strips : r->iarg == JM_RTA_SRC_BUS ? c->s->n_buses : 1;
        if (r->param < 0 || r->param >= n) { c->reqs_refused++; return; } /* checked by the OSC thread */
        c->rta_kind = r->iarg;
        c->rta_index = r->iarg == JM_RTA_SRC_STRIP || r->iarg == JM_RTA_SRC_BUS ? r->param : 0;
        jm_engine_rta_source(c->engine, c->rta_kind, c->rta_index);
    }
    char cur[32];
    if (c->rta_kind == JM_RTA_SRC_STRIP) snprintf(cur, sizeof cur, "strip/%d", c->rta_index + 1);
    else if (c->rta_kind == JM_RTA_SRC_BUS) snprintf(cur, sizeof cur, "bus/%d", c->rta_index + 1);
    else snprintf(cur, sizeof cur, "%s", c->rta_kind == JM_RTA_SRC_MASTER ? "master" : "off");
    lo_message m = lo_message_new();
    lo_message_add_string(m, cur);
    jm_feedback_send_msg(&c->fb, &r->src, "/rta/source", m);
}

static const struct {
    jm_ctl_handler_t *fn;
    unsigned flags;
} handlers[] = {
    [JM_REQ_SET] = {req_set, NEEDS_PARAM | TIMED},
    [JM_REQ_QUERY] = {req_query, NEEDS_PARAM},
    [JM_REQ_INFO] = {req_info, 0},
    [JM_REQ_STRIPS] = {req_strips, 0},
    [JM_REQ_PARAMS] = {req_params, 0},
    [JM_REQ_SUBSCRIBE] = {req_subscribe, 0},
    [JM_REQ_UNSUBSCRIBE] = {req_unsubscribe, 0},
    [JM_REQ_STATS] = {req_stats, 0},
    [JM_REQ_RAMP] = {jm_ctl_req_ramp, NEEDS_PARAM | TIMED},
    [JM_REQ_TOUCH] = {jm_ctl_req_touch, NEEDS_PARAM},
    [JM_REQ_AUTO_MODE] = {jm_ctl_req_auto_mode, NEEDS_PARAM},
    [JM_REQ_AUTO_CLEAR] = {jm_ctl_req_auto_clear, NEEDS_PARAM},
    [JM_REQ_AUTO_LIST] = {jm_ctl_req_auto_list, 0},
    [JM_REQ_SNAP_SAVE] = {jm_ctl_req_snap_save, 0},
    [JM_REQ_SNAP_RECALL] = {jm_ctl_req_snap_recall, 0},
    [JM_REQ_SNAP_DELETE] = {jm_ctl_req_snap_delete, 0},
    [JM_REQ_SNAP_LIST] = {jm_ctl_req_snap_list, 0},
    [JM_REQ_SESSION_SAVE] = {jm_ctl_req_session_save, 0},
    [JM_REQ_REC_START] = {jm_ctl_req_rec_start, 0},
    [JM_REQ_REC_STOP] = {jm_ctl_req_rec_stop, 0},
    [JM_REQ_REC_STATUS] = {jm_ctl_req_rec_status, 0},
    [JM_REQ_MT_START] = {jm_ctl_req_mt_start, 0},
    [JM_REQ_MT_STOP] = {jm_ctl_req_mt_stop, 0},
    [JM_REQ_MT_STATUS] = {jm_ctl_req_mt_status, 0},
    [JM_REQ_PB_LOAD] = {jm_ctl_req_pb_load, 0},
    [JM_REQ_PB_PLAY] = {jm_ctl_req_pb_play, 0},
    [JM_REQ_PB_LOCATE] = {jm_ctl_req_pb_locate, 0},
    [JM_REQ_PB_LOOP] = {jm_ctl_req_pb_loop, 0},
    [JM_REQ_PB_STATUS] = {jm_ctl_req_pb_status, 0},
    [JM_REQ_LOUD_RESET] = {req_loud_reset, 0},
    [JM_REQ_SUBSCRIBE_CONFIRM] = {req_subscribe_confirm, 0},
    [JM_REQ_X32] = {jm_ctl_req_x32, 0},
    [JM_REQ_X32_NODE] = {jm_ctl_req_x32_node, 0},
    [JM_REQ_DUMP] = {req_dump, 0},
    [JM_REQ_X32_METERS] = {jm_ctl_req_x32_meters, 0},
    [JM_REQ_RTA_SOURCE] = {req_rta_source, 0},
    [JM_REQ_MIDI_LEARN] = {jm_ctl_req_midi_learn, 0},
    [JM_REQ_MIDI_UNLEARN] = {jm_ctl_req_midi_unlearn, NEEDS_PARAM},
    [JM_REQ_MIDI_MAP] = {jm_ctl_req_midi_map, 0},
    [JM_REQ_NSM_GUI] = {jm_ctl_req_nsm_gui, 0},
};

void jm_ctl_handle(jm_control_t *c, const jm_req_t *r)
{
    if (r->kind >= sizeof handlers / sizeof handlers[0] || !handlers[r->kind].fn) {
        c->reqs_refused++;
        return;
    }
    unsigned flags = handlers[r->kind].flags;
    if ((flags & NEEDS_PARAM) && (r->param < 0 || (size_t)r->param >= c->ps->n)) {
        /* the OSC thread checks every index; this guards the arrays */
        c->reqs_refused++;
        jm_log(c->log, JM_LOG_DEBUG, "%s: parameter index %d refused", r->path, (int)r->param);
        return;
    }
    uint32_t frame = 0;
    if ((flags & TIMED) && jm_ctl_schedule(c, r, &frame) < 0) return; /* held for later */
    handlers[r->kind].fn(c, r, frame);
}
