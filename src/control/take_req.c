/* /record/multitrack/start [s:name], /stop, /status: a take of every
 * strip's input and the master (include/jmixd/io/multitrack.h); each
 * answers with /record/multitrack/status i:recording s:folder f:seconds
 * i:dropped.
 *
 * The take folder also gets take.cfg, a session `jmixd render` bounces as
 * it is: the console's session with every strip's `file` naming its take
 * file, every parameter as it was when the take started, and the
 * automation lanes (written when the take starts, and again when it stops
 * with the lanes as they are then, so what was written during the take is
 * in it). Lane times are transport times; the take's frame 0 is the
 * transport position at its start, so the lanes are shifted to start
 * there (a lane's value at that moment becomes its point at 0). */
#include "control_int.h"

#include "jmixd/session/save.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAKE_SESSION "take.cfg"

static void send_status(jm_control_t *c, const struct sockaddr_in *to, jm_mtrack_t *mt)
{
    char folder[1024] = "";
    int recording = 0;
    double secs = 0;
    uint64_t dropped = 0;
    if (mt) jm_mtrack_status(mt, &recording, folder, sizeof folder, &secs, &dropped);
    jm_ctl_send_rec_status(c, to, "/record/multitrack/status", recording, folder, secs, dropped);
}

/* Linear between points, the first and last values beyond them (as
 * jm_lane_eval). */
static float value_at(const jm_autopoint_t *p, int n, double t)
{
    if (t <= p[0].t) return p[0].v;
    for (int k = 1; k < n; k++)
        if (t < p[k].t) {
            double f = p[k].t > p[k - 1].t ? (t - p[k - 1].t) / (p[k].t - p[k - 1].t) : 1.0;
            return (float)(p[k - 1].v + f * (p[k].v - p[k - 1].v));
        }
    return p[n - 1].v;
}

/* The lanes shifted to start at transport time pos: out[i].points are
 * allocated (free them with free_lanes). Returns the count, -1 when out of
 * memory. */
static int shifted_lanes(jm_control_t *c, double pos, jm_lane_cfg_t **out)
{
    jm_lane_cfg_t *l = calloc((size_t)c->lanes.n + 1, sizeof *l);
    if (!l) return -1;
    int n = jm_lanes_export(&c->lanes, l, c->lanes.n), k = 0;
    for (int i = 0; i < n; i++) {
        const jm_autopoint_t *p = l[i].points;
        int np = l[i].n_points, first = 0;
        while (first < np && p[first].t < pos) first++;
        int head = first > 0 && (first == np || p[first].t > pos); /* a point at 0 */
        jm_autopoint_t *q = malloc(((size_t)(np - first + head) + 1) * sizeof *q);
        if (!q) {
            l[i].n_points = 0;
            continue;
        }
        int m = 0;
        if (head) q[m++] = (jm_autopoint_t){0.0, value_at(p, np, pos)};
        for (int j = first; j < np; j++) q[m++] = (jm_autopoint_t){p[j].t - pos, p[j].v};
        l[k] = l[i];
        l[k].points = q, l[k].n_points = m;
        if (m) k++;
        else free(q);
    }
    *out = l;
    return k;
}

static void free_lanes(jm_lane_cfg_t *l, int n)
{
    for (int i = 0; i < n; i++) free(l[i].points);
    free(l);
}

/* folder/take.cfg from the values at the take's start and today's lanes. */
static int write_take_session(jm_control_t *c, const char *folder, char *err, size_t errlen)
{
    jm_session_t t = *c->s;
    jm_strip_cfg_t *st = calloc((size_t)t.n_strips + 1, sizeof *st);
    jm_lane_cfg_t *lanes = NULL;
    int n = shifted_lanes(c, c->take_pos, &lanes);
    if (!st || n < 0) {
        free(st);
        if (n >= 0) free_lanes(lanes, n);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < t.n_strips; i++) {
        st[i] = c->s->strips[i];
        char name[sizeof st[i].file];
        jm_mtrack_file_name(name, sizeof name, i + 1, st[i].name);
        snprintf(st[i].file, sizeof st[i].file, "%s", name);
    }
    t.strips = st;
    t.state[0] = '\0'; /* a take is no live console: no state file of its own */
    char path[2200];
    snprintf(path, sizeof path, "%s/%s", folder, TAKE_SESSION);
    int rc = jm_session_save(&t, c->take_values, lanes, n, path, err, errlen);
    free_lanes(lanes, n);
    free(st);
    return rc;
}

void jm_ctl_req_mt_start(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    char err[JM_ERR_MAX], folder[1024];
    if (r->sarg[0] && jm_ctl_file_name_check(r, err, sizeof err)) {
        jm_log(c->log, JM_LOG_WARN, "multitrack: refused: %s", err);
        jm_feedback_send_error(&c->fb, &r->src, r->path, err);
        return;
    }
    if (!c->engine) {
        jm_feedback_send_error(&c->fb, &r->src, r->path, "no JACK server yet");
        return;
    }
    float *vals = malloc((c->s->params.n + 1) * sizeof *vals);
    if (!vals) return;
    memcpy(vals, c->values, c->s->params.n * sizeof *vals);
    double pos = 0.0;
    jm_engine_transport(c->engine, &pos);
    long long floor = (long long)c->s->record_min_free_mb << 20;
    if (jm_engine_multitrack_start(c->engine, c->s->recordings_dir, r->sarg, floor, err,
                                   sizeof err)) {
        free(vals);
        jm_log(c->log, JM_LOG_ERROR, "multitrack: %s", err);
        jm_feedback_send_error(&c->fb, &r->src, r->path, err);
        return;
    }
    free(c->take_values);
    c->take_values = vals;
    c->take_pos = pos;
    c->take_by = r->src;
    jm_mtrack_t *mt = jm_engine_multitrack(c->engine);
    jm_mtrack_status(mt, NULL, folder, sizeof folder, NULL, NULL);
    if (write_take_session(c, folder, err, sizeof err))
        jm_log(c->log, JM_LOG_WARN, "multitrack: no %s in the take: %s", TAKE_SESSION, err);
    send_status(c, &r->src, mt);
}

/* The take has stopped: take.cfg again, with the lanes as they are now. */
static void take_stopped(jm_control_t *c, jm_mtrack_t *mt)
{
    char err[JM_ERR_MAX], folder[1024];
    jm_mtrack_status(mt, NULL, folder, sizeof folder, NULL, NULL);
    if (c->take_values && write_take_session(c, folder, err, sizeof err))
        jm_log(c->log, JM_LOG_WARN, "multitrack: %s not updated: %s", TAKE_SESSION, err);
}

void jm_ctl_req_mt_stop(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    jm_mtrack_t *mt = c->engine ? jm_engine_multitrack(c->engine) : NULL;
    if (!mt || jm_mtrack_stop(mt)) {
        jm_feedback_send_error(&c->fb, &r->src, r->path,
                               "no take running, or its files could not be finished");
        return;
    }
    take_stopped(c, mt);
    send_status(c, &r->src, mt);
}

void jm_ctl_req_mt_status(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    send_status(c, &r->src, c->engine ? jm_engine_multitrack(c->engine) : NULL);
}

void jm_ctl_take_tick(jm_control_t *c)
{
    jm_mtrack_t *mt = c->engine ? jm_engine_multitrack(c->engine) : NULL;
    char why[256];
    if (!mt || !jm_mtrack_poll(mt, why, sizeof why)) return;
    jm_mtrack_stop(mt); /* the disk thread already said why in the log */
    take_stopped(c, mt);
    jm_ctl_tell_disk_full(c, &c->take_by, "/record/multitrack/start", why);
    send_status(c, &c->take_by, mt);
}
