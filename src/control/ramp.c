/* {param}/ramp: a linear move in the parameter's own unit, run
 * sample-accurately by the audio thread; the control thread follows it to
 * feed the moving value back. */
#include "control_int.h"

#include <math.h>

void jm_ctl_ramp_cancel(jm_control_t *c, int i)
{
    for (int k = 0; k < c->n_cramps; k++)
        if (c->cramps[k].param == i) c->cramps[k--] = c->cramps[--c->n_cramps];
}

void jm_ctl_ramps_forget(jm_control_t *c) { c->n_cramps = 0; }

void jm_ctl_ramp_start(jm_control_t *c, int i, float target, float secs, uint32_t frame)
{
    const jm_param_t *p = &c->ps->p[i];
    target = jm_param_clamp(p->def, target);
    jm_ctl_ramp_cancel(c, i);
    uint32_t len = (uint32_t)lround(secs * (double)jm_ctl_rate(c));
    if (jm_param_is_bool(p->def) || len == 0 || !jm_ctl_engine_ready(c)) {
        jm_ctl_set_value(c, i, target, frame);
        return;
    }
    jm_cmd_t cmd = {.type = JM_CMD_RAMP, .scope = (uint8_t)p->scope, .field = p->field,
                    .index = p->owner, .value = target, .len = len};
    if (jm_ctl_post_param(c, i, &cmd, frame) < 0) {
        /* the queue is full: the target goes out as a plain value next tick */
        jm_ctl_note_value(c, i, target);
        return;
    }
    if (c->n_cramps < JM_MAX_CRAMPS)
        c->cramps[c->n_cramps++] = (jm_cramp_t){i, c->values[i], target, jm_ctl_now(), secs};
    else
        jm_ctl_note_value(c, i, target);
}

void jm_ctl_req_ramp(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    const jm_param_def_t *d = c->ps->p[r->param].def;
    float target = r->norm ? jm_param_from_norm(d, r->value) : r->value;
    jm_ctl_lanes_on_set(c, r->param, c->values[r->param], jm_param_clamp(d, target), r->aux);
    jm_ctl_ramp_start(c, r->param, target, r->aux, frame);
}

void jm_ctl_ramps_follow(jm_control_t *c, double now)
{
    for (int k = 0; k < c->n_cramps; k++) {
        jm_cramp_t *m = &c->cramps[k];
        double f = m->dur > 0 ? (now - m->t0) / m->dur : 1.0;
        if (f >= 1.0) {
            jm_ctl_note_value(c, m->param, m->to);
            c->cramps[k--] = c->cramps[--c->n_cramps];
        } else if (f > 0.0) {
            jm_ctl_note_value(c, m->param, (float)(m->from + f * (m->to - m->from)));
        }
    }
}
