/* Storing a value and its consequences: the audio thread (through link.c),
 * the feedback to every subscriber, the autosave and the session manager's
 * dirty flag. */
#include "control_int.h"

/* Every change the state file keeps (values, lanes, snapshots, MIDI
 * bindings) is also one the session manager's next save writes. */
void jm_ctl_mark_dirty(jm_control_t *c)
{
    if (!c->dirty) c->dirty_since = jm_ctl_now();
    c->dirty = 1;
    if (!c->session_dirty) {
        c->session_dirty = 1;
        if (c->nsm_opened) jm_ctl_nsm_send(c, "/nsm/client/is_dirty", NULL, NULL);
    }
}

int jm_ctl_store_value(jm_control_t *c, int i, float v)
{
    if (v == c->values[i]) return 0;
    c->values[i] = v;
    jm_ctl_mark_dirty(c);
    return 1;
}

void jm_ctl_note_value(jm_control_t *c, int i, float v)
{
    if (jm_ctl_store_value(c, i, v)) {
        jm_feedback_param(&c->fb, i, v);
        jm_ctl_midi_param(c, i, v);
    }
}

void jm_ctl_set_value(jm_control_t *c, int i, float v, uint32_t frame)
{
    const jm_param_t *p = &c->ps->p[i];
    v = jm_param_clamp(p->def, v);
    jm_cmd_t cmd = {.type = JM_CMD_SET, .scope = (uint8_t)p->scope, .field = p->field,
                    .index = p->owner, .value = v};
    /* a timed change is fed back when the engine applies it, so a
     * controller moves with the sound, not up to 50 ms ahead of it */
    if (frame && v != c->values[i]) cmd.tag = jm_ctl_timed_tag(c);
    /* while JACK is away the next open uses values[]; a full queue gets the
     * stored value on the next tick (at once: feedback at once too) */
    int rc = jm_ctl_post_param(c, i, &cmd, frame);
    if (cmd.tag && rc > 0) {
        jm_ctl_store_value(c, i, v);
        jm_ctl_timed_owe(c, cmd.tag, i, v);
    } else {
        jm_ctl_note_value(c, i, v);
    }
}
