/* /session/save and the session manager's /nsm/client/save (iarg 1): the
 * session file with today's values and lanes; the answer goes to whoever
 * asked. A controller names a new file in the sessions folder, never a
 * path, and never overwrites one (docs/osc.md, "Files"). */
#include "control_int.h"

#include "jmixd/session/save.h"

#include <lo/lo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAVE_WINDOW 60.0   /* seconds */

static void saved(jm_control_t *c, const jm_req_t *r, const char *path, int from_nsm)
{
    jm_log(c->log, JM_LOG_INFO, "session saved to %s", path);
    /* clean before the reply: a manager that has the reply has the flag */
    if (from_nsm || !r->sarg[0] || !strcmp(path, c->cfg.session_path)) {
        c->session_dirty = 0;
        jm_ctl_nsm_send(c, "/nsm/client/is_clean", NULL, NULL);
    }
    if (from_nsm) {
        jm_ctl_nsm_send(c, "/reply", "/nsm/client/save", "saved");
    } else {
        lo_message m = lo_message_new();
        lo_message_add_string(m, path);
        jm_feedback_send_msg(&c->fb, &r->src, "/session/save", m);
    }
}

static void failed(jm_control_t *c, const jm_req_t *r, const char *err, int from_nsm)
{
    jm_log(c->log, JM_LOG_ERROR, "session save: %s", err);
    if (from_nsm) {
        jm_ctl_nsm_error(c, "/nsm/client/save", err);
    } else {
        jm_feedback_send_error(&c->fb, &r->src, r->path, err);
    }
}

/* At most JM_SAVES_PER_MINUTE controller saves in any 60 s: each one
 * fsyncs a whole session. 1 when this one is over the cap. */
static int over_cap(jm_control_t *c)
{
    double now = jm_ctl_now();
    double *oldest = &c->save_times[c->n_saves % JM_SAVES_PER_MINUTE];
    if (c->n_saves >= JM_SAVES_PER_MINUTE && now - *oldest < SAVE_WINDOW) return 1;
    *oldest = now;
    c->n_saves++;
    return 0;
}

void jm_ctl_req_session_save(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    int from_nsm = r->iarg == 1;
    char err[JM_ERR_MAX], path[2200];
    if (!from_nsm && r->sarg[0] && jm_ctl_file_name_check(r, err, sizeof err)) {
        failed(c, r, err, 0);
        return;
    }
    if (!from_nsm && over_cap(c)) {
        failed(c, r, "too many saves (at most 10 a minute)", 0);
        return;
    }
    jm_lane_cfg_t *lanes = calloc((size_t)c->lanes.n + 1, sizeof *lanes);
    if (!lanes) return;
    int n = jm_lanes_export(&c->lanes, lanes, c->lanes.n);
    int rc;
    if (r->sarg[0] && !from_nsm) {
        snprintf(path, sizeof path, "%s/%s", c->s->sessions_dir, r->sarg);
        rc = jm_session_save_new(c->s, c->values, lanes, n, c->s->sessions_dir, r->sarg, err,
                                 sizeof err);
    } else {
        snprintf(path, sizeof path, "%s", c->cfg.session_path);
        rc = jm_session_save(c->s, c->values, lanes, n, path, err, sizeof err);
    }
    /* a save of the session's own file (the manager's, or a controller's
     * without a name) keeps what the session file does not hold
     * (snapshots, MIDI bindings) beside it, under a session manager */
    if (rc == 0 && (from_nsm || !r->sarg[0])) rc = jm_ctl_nsm_write_saved(c, err, sizeof err);
    /* and the live state file agrees with the save at once: a crash just
     * after it has nothing older to offer back (nsm_link.c) */
    if (rc == 0 && from_nsm && c->dirty) jm_ctl_save_state(c);
    if (rc) failed(c, r, err, from_nsm);
    else saved(c, r, path, from_nsm);
    free(lanes);
}
