/* X32 and X-Air queries and /node, answered by the control thread because
 * it owns the values (the OSC thread posts them in arrival order, so the
 * answers keep the order of the questions). */
#include "control_int.h"

#include "jmixd/control/x32feedback.h"

void jm_ctl_req_x32(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    jm_feedback_x32_answer(&c->fb, &r->src, r->dialect, r->path, c->values);
}

void jm_ctl_req_x32_node(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    jm_feedback_x32_node(&c->fb, &r->src, r->dialect, r->sarg, c->values);
}

void jm_ctl_req_x32_meters(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    jm_x32m_request(&c->x32m, &r->src, r->dialect, r->iarg, (int)r->aux, (int)r->value, r->sarg,
                    c->s->meter_rate, jm_ctl_now());
}
