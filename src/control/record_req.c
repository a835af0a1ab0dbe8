/* /record/start, /record/stop, /record/status: the master recorder; each
 * answers with /record/status i:recording s:path f:seconds i:dropped. */
#include "control_int.h"

#include <lo/lo.h>
#include <stdint.h>

static jm_recorder_t *recorder(jm_control_t *c, const jm_req_t *r)
{
    jm_recorder_t *rec = jm_engine_recorder(c->engine);
    if (!rec) jm_feedback_send_error(&c->fb, &r->src, r->path, "no JACK server yet");
    return rec;
}

static void send_status(jm_control_t *c, const jm_req_t *r, jm_recorder_t *rec, int changed)
{
    char path[1024] = "";
    int recording = 0;
    double secs = 0;
    uint64_t dropped = 0;
    jm_recorder_status(rec, &recording, path, sizeof path, &secs, &dropped);
    if (changed)
        jm_log(c->log, JM_LOG_INFO, "recording %s: %s", recording ? "started" : "stopped", path);
    lo_message m = lo_message_new();
    lo_message_add_int32(m, recording);
    lo_message_add_string(m, path);
    lo_message_add_float(m, (float)secs);
    lo_message_add_int32(m, (int32_t)(dropped > INT32_MAX ? INT32_MAX : dropped));
    jm_feedback_send_msg(&c->fb, &r->src, "/record/status", m);
}

void jm_ctl_req_rec_start(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    jm_recorder_t *rec = recorder(c, r);
    char err[512];
    if (!rec) return;
    if (jm_recorder_start(rec, r->sarg[0] ? r->sarg : NULL, err, sizeof err)) {
        jm_log(c->log, JM_LOG_ERROR, "record: %s", err);
        jm_feedback_send_error(&c->fb, &r->src, r->path, err);
        return;
    }
    send_status(c, r, rec, 1);
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
    send_status(c, r, rec, 1);
}

void jm_ctl_req_rec_status(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    jm_recorder_t *rec = recorder(c, r);
    if (rec) send_status(c, r, rec, 0);
}
