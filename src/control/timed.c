/* Bundles with a future timetag: a message due within the horizon goes to
 * the audio thread now with the JACK frame its time maps to; a later one is
 * held here and handed back to the dispatcher when it comes that close. */
#include "control_int.h"

#define SCHEDULE_HORIZON 0.05   /* s: timed messages go to the engine this early */
/* s after a timed change went to the engine (at most SCHEDULE_HORIZON
 * before its frame) by which its feedback goes even without the engine's
 * report: a full event queue or a lost server must not lose it */
#define OWED_DEADLINE (SCHEDULE_HORIZON + 0.25)

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

uint32_t jm_ctl_timed_tag(jm_control_t *c)
{
    if (c->n_owed == JM_MAX_OWED) return 0;
    if (++c->owed_tag == 0) c->owed_tag = 1;
    return c->owed_tag;
}

void jm_ctl_timed_owe(jm_control_t *c, uint32_t tag, int i, float v)
{
    if (c->n_owed == JM_MAX_OWED) { /* jm_ctl_timed_tag said there was room */
        jm_feedback_param(&c->fb, i, v);
        jm_ctl_midi_param(c, i, v);
        return;
    }
    c->owed[c->n_owed++] = (jm_owed_t){tag, i, v, jm_ctl_now() + OWED_DEADLINE};
}

static void pay(jm_control_t *c, int k)
{
    jm_owed_t o = c->owed[k];
    c->owed[k] = c->owed[--c->n_owed];
    jm_feedback_param(&c->fb, o.param, o.value);
    jm_ctl_midi_param(c, o.param, o.value);
}

void jm_ctl_timed_applied(jm_control_t *c, uint32_t tag)
{
    for (int k = 0; k < c->n_owed; k++) {
        if (c->owed[k].tag != tag) continue;
        pay(c, k);
        return;
    }
}

void jm_ctl_timed_overdue(jm_control_t *c, double now)
{
    for (int k = 0; k < c->n_owed; k++) {
        if (c->owed[k].deadline > now) continue;
        c->owed_late++;
        jm_log(c->log, JM_LOG_DEBUG, "feedback of %s sent without the engine's report",
               c->ps->p[c->owed[k].param].path);
        pay(c, k--);
    }
}

void jm_ctl_timed_flush(jm_control_t *c)
{
    while (c->n_owed) pay(c, c->n_owed - 1);
}
