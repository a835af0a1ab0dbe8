/* Automation requests (touch, mode, clear, list) and the immutable lane set
 * the audio thread plays: built here, handed over by a command, handed back
 * by JM_EV_FREE when replaced. */
#include "control_int.h"

#include <lo/lo.h>
#include <stdlib.h>

#define RETURN_GLIDE 0.02       /* s: a released lane glides back onto its curve */

static int handed_out(const jm_control_t *c, const jm_rtlanes_t *rt)
{
    for (int k = 0; k < c->n_rt_out; k++)
        if (c->rt_out[k] == rt) return 1;
    return 0;
}

/* 1 when the audio thread took rt_current. */
static int hand_over(jm_control_t *c)
{
    if (!jm_ctl_engine_ready(c) || c->n_rt_out >= JM_MAX_RT_OUT) return 0;
    jm_cmd_t cmd = {.type = JM_CMD_LANES, .ptr = c->rt_current};
    int rc = jm_ctl_post(c, &cmd, 0);
    c->lanes_unsent = rc < 0; /* a full queue: again on the next tick */
    if (rc > 0) c->rt_out[c->n_rt_out++] = c->rt_current;
    return rc > 0;
}

static void publish_now(jm_control_t *c, double now)
{
    c->lanes.published_at = now;
    c->lanes.publish_due = 0;
    jm_rtlanes_t *rt = jm_lanes_build_rt(&c->lanes, c->ps, jm_ctl_rate(c));
    if (!rt) return;
    /* rt_current is kept for the next engine open; the set it replaces is
     * freed now unless the audio thread still holds it (then it is freed
     * when handed back, JM_EV_FREE) */
    jm_rtlanes_t *old = c->rt_current;
    c->rt_current = rt;
    hand_over(c);
    if (old && !handed_out(c, old)) free(old);
}

/* A build costs O(points of the playing lanes): at most one per
 * JM_LANES_PUBLISH_EVERY, the first at once, later ones at the next tick
 * that is due, however fast requests come. */
void jm_ctl_lanes_publish(jm_control_t *c)
{
    double now = jm_ctl_now();
    if (now - c->lanes.published_at >= JM_LANES_PUBLISH_EVERY || !c->rt_current)
        publish_now(c, now);
    else
        c->lanes.publish_due = 1;
}

/* A lane that starts or stops playing (a touch, a latch, a release) is
 * handed over at once, whatever the rate: the value just posted to the
 * audio thread must not be overwritten by a lane the controller has taken
 * over. Only the write flood is rate-limited. */
static void publish_transition(jm_control_t *c)
{
    publish_now(c, jm_ctl_now());
}

void jm_ctl_lanes_retry(jm_control_t *c)
{
    if (c->rt_current && !handed_out(c, c->rt_current)) hand_over(c);
    else c->lanes_unsent = 0;
}

void jm_ctl_lanes_freed(jm_control_t *c, const void *ptr)
{
    for (int k = 0; k < c->n_rt_out; k++) {
        if (c->rt_out[k] != ptr) continue;
        c->rt_out[k] = c->rt_out[--c->n_rt_out];
        if (ptr != c->rt_current) free((void *)ptr);
        return;
    }
}

void jm_ctl_lanes_engine_closed(jm_control_t *c)
{
    /* the mixer that held them is gone */
    for (int k = 0; k < c->n_rt_out; k++)
        if (c->rt_out[k] != c->rt_current) free(c->rt_out[k]);
    c->n_rt_out = 0;
}

void jm_ctl_lanes_on_set(jm_control_t *c, int i, float old, float v, double glide)
{
    jm_lane_t *l = jm_lanes_get(&c->lanes, i, 0);
    if (!l || l->mode == JM_AUTO_OFF || l->mode == JM_AUTO_READ) return;
    if (l->mode != JM_AUTO_WRITE && jm_lane_touch(l, 1, 0, jm_ctl_now())) publish_transition(c);
    double t;
    int rolling = jm_engine_transport(c->engine, &t);
    if (!jm_lane_recording(l, rolling)) return;
    const jm_param_t *p = &c->ps->p[i];
    int rc = jm_lane_write(l, t, old, v, glide, jm_lane_thin_tol(p->def));
    if (rc == JM_LANE_FULL) {
        c->lanes.full_passes++;
        jm_log(c->log, JM_LOG_WARN, "automation: lane %s is full (%d points); this pass "
               "writes no more to it (%llu passes stopped)", p->name_path, JM_LANE_MAX_POINTS,
               (unsigned long long)c->lanes.full_passes);
    }
    if (rc == 0) jm_ctl_mark_dirty(c);
}

void jm_ctl_lanes_tick(jm_control_t *c, double now, int rolling, double t)
{
    if (jm_lanes_tick(&c->lanes, now, rolling, t, c->values, RETURN_GLIDE)) {
        publish_transition(c);
        jm_ctl_mark_dirty(c);
    }
    if (c->lanes.publish_due && now - c->lanes.published_at >= JM_LANES_PUBLISH_EVERY)
        publish_now(c, now);
}

void jm_ctl_lanes_follow(jm_control_t *c, double t)
{
    jm_lanes_sync(&c->lanes);
    for (int k = 0; k < c->lanes.n; k++) {
        const jm_lane_t *l = &c->lanes.l[k];
        if (jm_lane_playing(l)) jm_ctl_note_value(c, l->param, jm_lane_eval(l, t));
    }
}

void jm_ctl_lanes_chase(jm_control_t *c, int rolling, double t)
{
    if (!jm_engine_is_open(c->engine) || jm_engine_lost(c->engine)) {
        c->transport_known = 0; /* a server that comes back may stand anywhere */
        return;
    }
    int located = c->transport_known && !rolling && t != c->transport_t;
    int stopped = c->transport_known && !rolling && c->rolling;
    if (located || stopped) jm_ctl_lanes_follow(c, t);
    c->transport_t = t;
    c->transport_known = 1;
}

void jm_ctl_req_touch(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    jm_lane_t *l = jm_lanes_get(&c->lanes, r->param, 0);
    if (!l) return;
    double t;
    int rolling = jm_engine_transport(c->engine, &t);
    if (!r->iarg && l->touched && rolling && l->mode == JM_AUTO_TOUCH)
        jm_lane_hold(l, t, c->values[r->param], RETURN_GLIDE);
    if (jm_lane_touch(l, r->iarg, 1, jm_ctl_now())) publish_transition(c);
}

void jm_ctl_req_auto_mode(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    jm_lane_t *l = jm_lanes_get(&c->lanes, r->param, 1);
    if (!l) return;
    l->mode = (jm_automode_t)r->iarg;
    l->touched = l->latched = 0;
    l->write_last = -1.0;
    jm_ctl_lanes_publish(c);
    jm_ctl_mark_dirty(c);
}

void jm_ctl_req_auto_clear(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    jm_lanes_clear(&c->lanes, r->param);
    jm_ctl_lanes_publish(c);
    jm_ctl_mark_dirty(c);
}

/* One page from the offset-th lane (docs/osc.md "Console queries"). */
void jm_ctl_req_auto_list(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    jm_lanes_sync(&c->lanes);
    size_t bytes = 0;
    int k = r->iarg < 0 ? 0 : r->iarg;
    for (; k < c->lanes.n; k++) {
        const jm_lane_t *l = &c->lanes.l[k];
        lo_message m = lo_message_new();
        lo_message_add_string(m, c->ps->p[l->param].name_path);
        lo_message_add_string(m, jm_automode_name(l->mode));
        lo_message_add_int32(m, l->n);
        if (!jm_feedback_page_send(&c->fb, &r->src, "/automation/lane", m, &bytes)) break;
    }
    jm_feedback_send_page_end(&c->fb, &r->src, "/automation/list", k, c->lanes.n);
}
