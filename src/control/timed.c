/* Bundles with a future timetag: a message due within the horizon goes to
 * the audio thread now with the JACK frame its time maps to; a later one is
 * held here and handed back to the dispatcher when it comes that close. */
#include "control_int.h"

#define SCHEDULE_HORIZON 0.05   /* s: timed messages go to the engine this early */

int jm_ctl_schedule(jm_control_t *c, const jm_req_t *r, uint32_t *frame)
{
    *frame = 0;
    if (r->timetag <= 1) return 0;
    double delta;
    uint32_t f;
    if (!jm_ctl_frame_for_ntp(c, r->timetag, &f, &delta)) return 0; /* past: now */
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

int jm_ctl_timed_due(jm_control_t *c, double now, jm_req_t *r)
{
    for (int k = 0; k < c->n_sched; k++) {
        if (c->sched[k].due > now) continue;
        *r = c->sched[k].req;
        c->sched[k] = c->sched[--c->n_sched];
        return 1;
    }
    return 0;
}
