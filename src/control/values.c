/* Storing a value and its consequences: the audio thread (through link.c),
 * the feedback to every subscriber, the autosave and the session manager's
 * dirty flag. */
#include "control_int.h"

void jm_ctl_mark_dirty(jm_control_t *c)
{
    if (!c->dirty) c->dirty_since = jm_ctl_now();
    c->dirty = 1;
}

void jm_ctl_note_value(jm_control_t *c, int i, float v)
{
    if (v == c->values[i]) return;
    c->values[i] = v;
    jm_ctl_mark_dirty(c);
    if (!c->session_dirty) {
        c->session_dirty = 1;
        jm_ctl_nsm_send(c, "/nsm/client/is_dirty", NULL, NULL);
    }
    jm_feedback_param(&c->fb, i, v);
}

void jm_ctl_set_value(jm_control_t *c, int i, float v, uint32_t frame)
{
    const jm_param_t *p = &c->ps->p[i];
    v = jm_param_clamp(p->def, v);
    jm_cmd_t cmd = {.type = JM_CMD_SET, .scope = (uint8_t)p->scope, .field = p->field,
                    .index = p->owner, .value = v};
    /* while JACK is away the next open uses values[]; a full queue gets the
     * stored value on the next tick */
    jm_ctl_post_param(c, i, &cmd, frame);
    jm_ctl_note_value(c, i, v);
}
