/* /session/save and the session manager's /nsm/client/save (iarg 1): the
 * session file with today's values and lanes; the answer goes to whoever
 * asked. */
#include "control_int.h"

#include "jmixd/session/save.h"

#include <lo/lo.h>
#include <stdlib.h>
#include <string.h>

static void saved(jm_control_t *c, const jm_req_t *r, const char *path, int from_nsm)
{
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

static void failed(jm_control_t *c, const jm_req_t *r, const char *err, int from_nsm)
{
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
}

void jm_ctl_req_session_save(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    const char *path = r->sarg[0] ? r->sarg : c->cfg.session_path;
    jm_lane_cfg_t *lanes = calloc((size_t)c->lanes.n + 1, sizeof *lanes);
    char err[JM_ERR_MAX];
    if (!lanes) return;
    int n = jm_lanes_export(&c->lanes, lanes, c->lanes.n);
    if (jm_session_save(c->s, c->values, lanes, n, path, err, sizeof err))
        failed(c, r, err, r->iarg == 1);
    else
        saved(c, r, path, r->iarg == 1);
    free(lanes);
}
