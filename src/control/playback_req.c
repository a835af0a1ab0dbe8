/* Virtual soundcheck's transport: /playback/load s:take, /playback/play,
 * /playback/stop, /playback/locate f:seconds, /playback/loop i:0|1,
 * /playback/status; each answers with /playback/status s:take i:playing
 * f:position f:length i:underruns i:missing (seconds; underruns in frames,
 * must stay 0; missing: strips without a usable file, playing silence).
 * Takes are folders in the session's recordings folder, named like files
 * (docs/osc.md, "Files"). Which strips play the take is each strip's
 * `source` parameter. The session's playback group (docs/session.md) can
 * load a take at start, loop it, play it at once, or make it follow the
 * JACK transport (transport frame = take frame). */
#include "control_int.h"

#include <lo/lo.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void send_status(jm_control_t *c, const struct sockaddr_in *to)
{
    jm_pback_t *p = c->engine ? jm_engine_playback(c->engine) : NULL;
    int playing = 0;
    uint64_t pos = 0, len = 0, under = 0;
    if (p) jm_pback_status(p, &playing, &pos, &len, &under);
    double rate = c->engine && jm_engine_rate(c->engine) ? jm_engine_rate(c->engine) : 1.0;
    lo_message m = lo_message_new();
    lo_message_add_string(m, p ? c->pb_take : "");
    lo_message_add_int32(m, playing);
    lo_message_add_float(m, (float)(pos / rate));
    lo_message_add_float(m, (float)(len / rate));
    lo_message_add_int32(m, (int32_t)(under > INT32_MAX ? INT32_MAX : under));
    lo_message_add_int32(m, p ? c->pb_missing : 0);
    jm_feedback_send_msg(&c->fb, to, "/playback/status", m);
}

/* The loaded take, or an /error to the asker. */
static jm_pback_t *loaded(jm_control_t *c, const jm_req_t *r)
{
    jm_pback_t *p = c->engine ? jm_engine_playback(c->engine) : NULL;
    if (!p) jm_feedback_send_error(&c->fb, &r->src, r->path, "no take loaded (/playback/load)");
    return p;
}

void jm_ctl_req_pb_load(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    char err[JM_ERR_MAX], folder[2200];
    int missing = 0;
    if (jm_ctl_file_name_check(r, err, sizeof err)) {
        jm_feedback_send_error(&c->fb, &r->src, r->path, err);
        return;
    }
    if (!c->engine) {
        jm_feedback_send_error(&c->fb, &r->src, r->path, "no JACK server yet");
        return;
    }
    snprintf(folder, sizeof folder, "%s/%s", c->s->recordings_dir, r->sarg);
    if (jm_engine_playback_load(c->engine, folder, &missing, err, sizeof err)) {
        jm_log(c->log, JM_LOG_WARN, "playback: cannot load '%s': %s", r->sarg, err);
        jm_feedback_send_error(&c->fb, &r->src, r->path, err);
        return;
    }
    snprintf(c->pb_take, sizeof c->pb_take, "%s", r->sarg);
    c->pb_missing = missing;
    jm_log(c->log, JM_LOG_INFO, "playback: take '%s' loaded (%d strips without a file)", r->sarg,
           missing);
    send_status(c, &r->src);
}

void jm_ctl_req_pb_play(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    jm_pback_t *p = loaded(c, r);
    if (!p) return;
    jm_pback_play(p, r->iarg);
    send_status(c, &r->src);
}

void jm_ctl_req_pb_locate(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    jm_pback_t *p = loaded(c, r);
    if (!p) return;
    jm_pback_locate(p, (uint64_t)((double)r->value * jm_engine_rate(c->engine) + 0.5));
    send_status(c, &r->src);
}

void jm_ctl_req_pb_loop(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    jm_pback_t *p = loaded(c, r);
    if (!p) return;
    jm_pback_loop(p, r->iarg);
    send_status(c, &r->src);
}

void jm_ctl_req_pb_status(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    send_status(c, &r->src);
}

#define FOLLOW_SLACK 0.1 /* s: further apart than this, following locates */
#define FOLLOW_QUIET 0.3 /* s: no second locate sooner (the first takes ms) */

void jm_ctl_playback_tick(jm_control_t *c, double now, int rolling, double t)
{
    const jm_session_t *s = c->s;
    /* the session's take, once JACK runs; again after a server at another
     * rate dropped it; a take that is not there is looked for every 10 s */
    if (s->playback_take[0] && jm_engine_is_open(c->engine) && !jm_engine_playback(c->engine) &&
        now >= c->pb_retry_at) {
        char err[JM_ERR_MAX], folder[2200];
        int missing = 0;
        snprintf(folder, sizeof folder, "%s/%s", s->recordings_dir, s->playback_take);
        if (jm_engine_playback_load(c->engine, folder, &missing, err, sizeof err)) {
            c->pb_retry_at = now + 10.0;
            if (!c->pb_warned)
                jm_log(c->log, JM_LOG_WARN, "playback: the session's take '%s' was not loaded: %s",
                       s->playback_take, err);
            c->pb_warned = 1;
        } else {
            c->pb_warned = 0;
            jm_pback_t *p = jm_engine_playback(c->engine);
            snprintf(c->pb_take, sizeof c->pb_take, "%s", s->playback_take);
            c->pb_missing = missing;
            jm_pback_loop(p, s->playback_loop);
            if (s->playback_play && !s->playback_transport) jm_pback_play(p, 1);
            jm_log(c->log, JM_LOG_INFO, "playback: the session's take '%s' loaded%s%s",
                   s->playback_take, s->playback_loop ? ", looping" : "",
                   s->playback_transport ? ", following the transport"
                   : s->playback_play ? ", playing" : "");
        }
    }
    if (!s->playback_transport) return;
    jm_pback_t *p = jm_engine_playback(c->engine);
    uint32_t rate = jm_engine_rate(c->engine);
    if (!p || !rate) return;
    int playing;
    uint64_t pos, len;
    jm_pback_status(p, &playing, &pos, &len, NULL);
    double here = (double)pos / rate, want = t;
    if (s->playback_loop && len) want = fmod(t, (double)len / rate);
    if (fabs(want - here) > FOLLOW_SLACK && now - c->pb_located > FOLLOW_QUIET) {
        jm_pback_locate(p, (uint64_t)(want * rate + 0.5));
        c->pb_located = now;
    }
    if (rolling != c->pb_rolling) {
        jm_pback_play(p, rolling);
        c->pb_rolling = rolling;
    }
}
