/* Generic MIDI bindings and MIDI learn (control/midilearn.h). */
#include "jmixd/control/midilearn.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void jm_midilearn_init(jm_midilearn_t *l, jm_midi_cfg_t *cfg, const jm_surface_host_t *host)
{
    memset(l, 0, sizeof *l);
    l->cfg = cfg;
    l->host = host;
    l->armed = -1;
    l->pend_cc = -1;
    l->echo = -1;
}

void jm_midilearn_arm(jm_midilearn_t *l, int param)
{
    l->armed = param;
    l->pend_cc = -1;
}

int jm_midilearn_find(const jm_midilearn_t *l, int param)
{
    for (int k = 0; k < l->cfg->n_map; k++)
        if (l->cfg->map[k].param == param) return k;
    return -1;
}

static void remove_at(jm_midilearn_t *l, int k)
{
    jm_midi_cfg_t *mc = l->cfg;
    memmove(&mc->map[k], &mc->map[k + 1], (size_t)(mc->n_map - k - 1) * sizeof mc->map[0]);
    memmove(&l->msb[k], &l->msb[k + 1], (size_t)(mc->n_map - k - 1));
    mc->n_map--;
}

int jm_midilearn_unlearn(jm_midilearn_t *l, int param)
{
    int k = jm_midilearn_find(l, param);
    if (k < 0) return 0;
    remove_at(l, k);
    return 1;
}

/* ---- sending ---------------------------------------------------------- */

static void send3(jm_midilearn_t *l, uint8_t a, uint8_t b, uint8_t c)
{
    const uint8_t m[3] = {a, b, c};
    l->host->send(l->host->ctx, m, 3);
}

static uint32_t scaled(float norm, uint32_t top)
{
    float v = roundf(norm * (float)top);
    return v <= 0.0f ? 0 : v >= (float)top ? top : (uint32_t)v;
}

static void feedback(jm_midilearn_t *l, const jm_midi_binding_t *b, float value)
{
    const jm_param_def_t *d = l->host->params->p[b->param].def;
    float norm = jm_param_to_norm(d, value);
    uint8_t ch = (uint8_t)(b->channel - 1);
    switch (b->kind) {
    case JM_MIDI_CC:
        send3(l, 0xb0 | ch, b->number, (uint8_t)scaled(norm, 127));
        break;
    case JM_MIDI_CC14: {
        uint32_t v = scaled(norm, 16383);
        send3(l, 0xb0 | ch, b->number, (uint8_t)(v >> 7));
        send3(l, 0xb0 | ch, b->lsb, (uint8_t)(v & 0x7f));
        break;
    }
    case JM_MIDI_PITCHBEND: {
        uint32_t v = scaled(norm, 16383);
        send3(l, 0xe0 | ch, (uint8_t)(v & 0x7f), (uint8_t)(v >> 7));
        break;
    }
    case JM_MIDI_NOTE:
        /* a switch's LED: on at velocity 127, off at 0 */
        send3(l, 0x90 | ch, b->number, (uint8_t)scaled(norm, 127));
        break;
    }
}

void jm_midilearn_param(jm_midilearn_t *l, int param, float value)
{
    int k = jm_midilearn_find(l, param);
    if (k < 0 || k == l->echo || !l->cfg->map[k].feedback) return;
    feedback(l, &l->cfg->map[k], value);
}

void jm_midilearn_resync(jm_midilearn_t *l)
{
    for (int k = 0; k < l->cfg->n_map; k++) {
        const jm_midi_binding_t *b = &l->cfg->map[k];
        if (b->feedback) feedback(l, b, l->host->value(l->host->ctx, b->param));
    }
}

/* ---- receiving -------------------------------------------------------- */

/* What one message is, as a binding would see it. */
typedef struct {
    int kind;       /* JM_MIDI_CC, _NOTE, _PITCHBEND; 0: nothing bindable */
    int ch;         /* 1..16 */
    int num;        /* CC or note number */
    int val;        /* CC value, velocity (0 for note-off), 14-bit pitch bend */
    int on;         /* notes: note-on with velocity > 0 */
} event_t;

static event_t classify(const uint8_t *m, size_t len)
{
    event_t e = {0};
    if (len != 3) return e;
    uint8_t hi = m[0] & 0xf0;
    e.ch = (m[0] & 0x0f) + 1;
    e.num = m[1];
    if (hi == 0xb0) {
        e.kind = JM_MIDI_CC;
        e.val = m[2];
    } else if (hi == 0x90 || hi == 0x80) {
        e.kind = JM_MIDI_NOTE;
        e.val = hi == 0x90 ? m[2] : 0;
        e.on = e.val > 0;
    } else if (hi == 0xe0) {
        e.kind = JM_MIDI_PITCHBEND;
        e.num = 0;
        e.val = m[1] | (m[2] << 7);
    }
    return e;
}

static void set_norm(jm_midilearn_t *l, int k, float norm)
{
    l->echo = k; /* this binding's own value is not sent back to it */
    l->host->set_norm(l->host->ctx, l->cfg->map[k].param, norm);
    l->echo = -1;
}

static void set_value(jm_midilearn_t *l, int k, float v)
{
    l->echo = k;
    l->host->set(l->host->ctx, l->cfg->map[k].param, v);
    l->echo = -1;
}

/* Apply event e to binding k (which listens to it). */
static void apply(jm_midilearn_t *l, int k, const event_t *e)
{
    const jm_midi_binding_t *b = &l->cfg->map[k];
    const jm_param_def_t *d = l->host->params->p[b->param].def;
    switch (b->kind) {
    case JM_MIDI_CC:
        set_norm(l, k, (float)e->val / 127.0f);
        break;
    case JM_MIDI_CC14:
        /* MSB first (a coarse move at once), then LSB refines it */
        if (e->num == b->number) {
            l->msb[k] = (uint8_t)e->val;
            set_norm(l, k, (float)(e->val << 7) / 16383.0f);
        } else {
            set_norm(l, k, (float)((l->msb[k] << 7) | e->val) / 16383.0f);
        }
        break;
    case JM_MIDI_PITCHBEND:
        set_norm(l, k, (float)e->val / 16383.0f);
        break;
    case JM_MIDI_NOTE:
        if (jm_param_is_bool(d)) {
            if (b->momentary) set_value(l, k, e->on ? 1.0f : 0.0f);
            else if (e->on)
                set_value(l, k, l->host->value(l->host->ctx, b->param) >= 0.5f ? 0.0f : 1.0f);
        } else if (e->on) {
            set_norm(l, k, (float)e->val / 127.0f); /* velocity */
        }
        break;
    }
}

static int matches(const jm_midi_binding_t *b, const event_t *e)
{
    if (b->channel != e->ch) return 0;
    switch (b->kind) {
    case JM_MIDI_CC: return e->kind == JM_MIDI_CC && e->num == b->number;
    case JM_MIDI_CC14: return e->kind == JM_MIDI_CC && (e->num == b->number || e->num == b->lsb);
    case JM_MIDI_NOTE: return e->kind == JM_MIDI_NOTE && e->num == b->number;
    case JM_MIDI_PITCHBEND: return e->kind == JM_MIDI_PITCHBEND;
    }
    return 0;
}

/* Bind the armed parameter to b (its old binding and any binding of the
 * same control go); returns the new binding's index, or -1. */
static int learn(jm_midilearn_t *l, jm_midi_binding_t b)
{
    jm_midi_cfg_t *mc = l->cfg;
    b.param = l->armed;
    b.feedback = 1;
    char why[96];
    if (jm_midi_binding_check(l->host->params, &b, why, sizeof why) < 0) return -1;
    for (int k = mc->n_map - 1; k >= 0; k--)
        if (mc->map[k].param == b.param || jm_midi_binding_clash(&mc->map[k], &b)) remove_at(l, k);
    if (mc->n_map >= JM_MIDI_MAP_MAX) return -1;
    int k = mc->n_map++;
    mc->map[k] = b;
    l->msb[k] = 0;
    l->armed = -1;
    l->pend_cc = -1;
    return k;
}

/* The CC learning was waiting on goes as a 7-bit binding, with its value. */
static int learn_pending_cc(jm_midilearn_t *l)
{
    jm_midi_binding_t b = {.kind = JM_MIDI_CC, .channel = (uint8_t)l->pend_ch,
                           .number = (uint8_t)l->pend_cc};
    event_t e = {.kind = JM_MIDI_CC, .ch = l->pend_ch, .num = l->pend_cc, .val = l->pend_val};
    int k = learn(l, b);
    if (k >= 0) apply(l, k, &e);
    return k;
}

static void dispatch(jm_midilearn_t *l, const event_t *e)
{
    for (int k = 0; k < l->cfg->n_map; k++)
        if (matches(&l->cfg->map[k], e)) apply(l, k, e);
}

static int learn_event(jm_midilearn_t *l, const event_t *e, double now)
{
    if (l->pend_cc >= 0) {
        if (e->kind == JM_MIDI_CC && e->ch == l->pend_ch && e->num == l->pend_cc + 32 &&
            now - l->pend_t <= JM_LEARN_PAIR_SECONDS) {
            jm_midi_binding_t b = {.kind = JM_MIDI_CC14, .channel = (uint8_t)e->ch,
                                   .number = (uint8_t)l->pend_cc, .lsb = (uint8_t)e->num};
            int msb = l->pend_val;
            int k = learn(l, b);
            if (k >= 0) {
                l->msb[k] = (uint8_t)msb;
                apply(l, k, e);
            }
            return k;
        }
        if (e->kind == JM_MIDI_CC && e->ch == l->pend_ch && e->num == l->pend_cc) {
            l->pend_val = e->val; /* the same knob moving on: still waiting */
            return -1;
        }
        int k = learn_pending_cc(l);
        if (l->armed < 0) { /* learned: this event is an ordinary one */
            dispatch(l, e);
            return k;
        }
    }
    if (e->kind == JM_MIDI_CC && e->num < 32) {
        l->pend_cc = e->num;
        l->pend_ch = e->ch;
        l->pend_val = e->val;
        l->pend_t = now;
        return -1;
    }
    if (e->kind == JM_MIDI_NOTE && !e->on) return -1; /* learn on the press */
    jm_midi_binding_t b = {.kind = (uint8_t)e->kind, .channel = (uint8_t)e->ch,
                           .number = (uint8_t)e->num};
    int k = learn(l, b);
    if (k >= 0) apply(l, k, e);
    return k;
}

int jm_midilearn_input(jm_midilearn_t *l, const uint8_t *msg, size_t len, double now)
{
    event_t e = classify(msg, len);
    if (!e.kind) return -1;
    if (l->armed >= 0) return learn_event(l, &e, now);
    dispatch(l, &e);
    return -1;
}

int jm_midilearn_tick(jm_midilearn_t *l, double now)
{
    if (l->armed < 0 || l->pend_cc < 0 || now - l->pend_t <= JM_LEARN_PAIR_SECONDS) return -1;
    return learn_pending_cc(l);
}

void jm_midilearn_describe(const jm_midi_binding_t *b, char *out, size_t cap)
{
    const char *fb = b->feedback ? "" : " nofeedback";
    switch (b->kind) {
    case JM_MIDI_CC14:
        snprintf(out, cap, "cc %d+%d ch %d%s", b->number, b->lsb, b->channel, fb);
        break;
    case JM_MIDI_NOTE:
        snprintf(out, cap, "note %d ch %d %s%s", b->number, b->channel,
                 b->momentary ? "momentary" : "toggle", fb);
        break;
    case JM_MIDI_PITCHBEND:
        snprintf(out, cap, "pitchbend ch %d%s", b->channel, fb);
        break;
    default:
        snprintf(out, cap, "cc %d ch %d%s", b->number, b->channel, fb);
        break;
    }
}
