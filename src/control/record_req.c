/* /record/start, /record/stop, /record/status: the master recorder; each
 * answers with /record/status i:recording s:path f:seconds i:dropped.
 * (The multitrack takes are in take_req.c.)
 * Controllers name files, never paths: a take goes to the session's
 * recordings folder (docs/osc.md, "Files"). */
#include "control_int.h"

#include "jmixd/util/safefile.h"

#include <lo/lo.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int jm_ctl_file_name_check(const jm_req_t *r, char *why, size_t whylen)
{
    /* the OSC layer cuts a longer string to fit sarg: a name that fills it
     * may have been cut, so it is refused rather than used shortened */
    size_t max = sizeof r->sarg - 2 < JM_SAFE_NAME_MAX ? sizeof r->sarg - 2 : JM_SAFE_NAME_MAX;
    if (strlen(r->sarg) > max) {
        snprintf(why, whylen, "bad file name: longer than %zu bytes", max);
        return -1;
    }
    char reason[96];
    if (jm_safe_name_check(r->sarg, max, reason, sizeof reason)) {
        snprintf(why, whylen, "bad file name: %s", reason);
        return -1;
    }
    return 0;
}

static jm_recorder_t *recorder(jm_control_t *c, const jm_req_t *r)
{
    jm_recorder_t *rec = jm_engine_recorder(c->engine);
    if (!rec) jm_feedback_send_error(&c->fb, &r->src, r->path, "no JACK server yet");
    return rec;
}

void jm_ctl_send_rec_status(jm_control_t *c, const struct sockaddr_in *to, const char *path,
                            int recording, const char *where, double secs, uint64_t dropped)
{
    lo_message m = lo_message_new();
    lo_message_add_int32(m, recording);
    lo_message_add_string(m, where);
    lo_message_add_float(m, (float)secs);
    lo_message_add_int32(m, (int32_t)(dropped > INT32_MAX ? INT32_MAX : dropped));
    jm_feedback_send_msg(&c->fb, to, path, m);
}

static void send_status(jm_control_t *c, const struct sockaddr_in *to, jm_recorder_t *rec,
                        int changed)
{
    char path[1024] = "";
    int recording = 0;
    double secs = 0;
    uint64_t dropped = 0;
    jm_recorder_status(rec, &recording, path, sizeof path, &secs, &dropped);
    if (changed)
        jm_log(c->log, JM_LOG_INFO, "recording %s: %s", recording ? "started" : "stopped", path);
    jm_ctl_send_rec_status(c, to, "/record/status", recording, path, secs, dropped);
}

void jm_ctl_req_rec_start(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    jm_recorder_t *rec = recorder(c, r);
    char err[512];
    if (!rec) return;
    if (r->sarg[0] && jm_ctl_file_name_check(r, err, sizeof err)) {
        jm_log(c->log, JM_LOG_WARN, "record: refused: %s", err);
        jm_feedback_send_error(&c->fb, &r->src, r->path, err);
        return;
    }
    long long floor = (long long)c->s->record_min_free_mb << 20;
    if (jm_recorder_start(rec, c->s->recordings_dir, r->sarg, floor, err, sizeof err)) {
        jm_log(c->log, JM_LOG_ERROR, "record: %s", err);
        jm_feedback_send_error(&c->fb, &r->src, r->path, err);
        return;
    }
    c->rec_by = r->src;
    send_status(c, &r->src, rec, 1);
}

void jm_ctl_req_rec_stop(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    jm_recorder_t *rec = recorder(c, r);
    if (!rec) return;
    if (jm_recorder_stop(rec)) {
        jm_feedback_send_error(&c->fb, &r->src, r->path,
                               "not recording, or the file could not be finished");
        return;
    }
    send_status(c, &r->src, rec, 1);
}

void jm_ctl_req_rec_status(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    jm_recorder_t *rec = recorder(c, r);
    if (rec) send_status(c, &r->src, rec, 0);
}

static int same_addr(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
    return a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

void jm_ctl_tell_disk_full(jm_control_t *c, const struct sockaddr_in *starter, const char *path,
                           const char *why)
{
    jm_feedback_send_error(&c->fb, starter, path, why);
    /* every engineer's lease hears it; a performer's lease (bus >= 0)
     * carries only its mix, and recording is not part of it */
    for (int k = 0; k < JM_MAX_SUBSCRIBERS; k++) {
        const jm_subscriber_t *sub = &c->fb.subs[k];
        if (sub->used && !sub->x32 && sub->bus < 0 && !same_addr(&sub->addr, starter))
            jm_feedback_send_error(&c->fb, &sub->addr, path, why);
    }
}

void jm_ctl_rec_tick(jm_control_t *c)
{
    jm_recorder_t *rec = c->engine ? jm_engine_recorder(c->engine) : NULL;
    char why[256];
    if (!rec || !jm_recorder_poll(rec, why, sizeof why)) return;
    jm_recorder_stop(rec); /* the disk thread already said why in the log */
    jm_ctl_tell_disk_full(c, &c->rec_by, "/record/start", why);
    send_status(c, &c->rec_by, rec, 1);
}
