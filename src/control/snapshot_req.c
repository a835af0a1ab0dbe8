/* Snapshot requests: save, recall (at once or faded), delete, list. The
 * store of named value sets is snapshot.c. */
#include "control_int.h"

#include <lo/lo.h>

void jm_ctl_req_snap_save(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    if (!jm_snapshot_name_ok(r->sarg))
        jm_feedback_send_error(&c->fb, &r->src, r->path,
                               "snapshot name: 1 to 63 bytes, no spaces or control characters");
    else if (jm_snapshots_save(&c->snaps, r->sarg, c->values))
        jm_feedback_send_error(&c->fb, &r->src, r->path, "snapshot store is full");
    else
        jm_ctl_mark_dirty(c);
}

void jm_ctl_req_snap_recall(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    const jm_snapshot_t *s = jm_snapshots_find(&c->snaps, r->sarg);
    if (!s) {
        jm_feedback_send_error(&c->fb, &r->src, r->path, "no such snapshot");
        return;
    }
    for (size_t i = 0; i < c->ps->n; i++) {
        if (s->values[i] == c->values[i]) continue;
        if (r->aux > 0.0f) jm_ctl_ramp_start(c, (int)i, s->values[i], r->aux, 0);
        else jm_ctl_set_value(c, (int)i, s->values[i], 0);
    }
}

void jm_ctl_req_snap_delete(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    if (jm_snapshots_delete(&c->snaps, r->sarg))
        jm_feedback_send_error(&c->fb, &r->src, r->path, "no such snapshot");
    else
        jm_ctl_mark_dirty(c);
}

/* One page from the offset-th snapshot (docs/osc.md "Console queries"). */
void jm_ctl_req_snap_list(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    size_t bytes = 0;
    int k = r->iarg < 0 ? 0 : r->iarg;
    for (; k < c->snaps.n; k++) {
        lo_message m = lo_message_new();
        lo_message_add_string(m, c->snaps.s[k].name);
        if (!jm_feedback_page_send(&c->fb, &r->src, "/snapshot", m, &bytes)) break;
    }
    jm_feedback_send_page_end(&c->fb, &r->src, "/snapshot/list", k, c->snaps.n);
}
