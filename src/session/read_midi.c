/* Pass 2 reader of midi = { input; output; surface; map = ( ... ); }
 * (docs/midi.md), and the binding rules the learn code and the writer
 * share. */
#include "session_int.h"

#include <stdio.h>
#include <string.h>

int jm_midi_binding_check(const jm_paramset_t *ps, const jm_midi_binding_t *b, char *why,
                          size_t whylen)
{
    if (b->param < 0 || (size_t)b->param >= ps->n) {
        snprintf(why, whylen, "no such parameter");
        return -1;
    }
    if (b->channel < 1 || b->channel > 16) {
        snprintf(why, whylen, "channel %d is not 1..16", b->channel);
        return -1;
    }
    switch (b->kind) {
    case JM_MIDI_CC:
    case JM_MIDI_NOTE:
        if (b->number > 127) {
            snprintf(why, whylen, "%s %d is not 0..127", b->kind == JM_MIDI_CC ? "cc" : "note",
                     b->number);
            return -1;
        }
        break;
    case JM_MIDI_CC14:
        /* MIDI 1.0: controllers 0..31 carry their LSB on 32..63 */
        if (b->number > 31 || b->lsb < 32 || b->lsb > 63) {
            snprintf(why, whylen, "a 14-bit pair is cc 0..31 with lsb 32..63 (cc %d, lsb %d)",
                     b->number, b->lsb);
            return -1;
        }
        break;
    case JM_MIDI_PITCHBEND:
        break;
    default:
        snprintf(why, whylen, "needs one of cc, note or pitchbend");
        return -1;
    }
    if (b->momentary && b->kind != JM_MIDI_NOTE) {
        snprintf(why, whylen, "mode = \"momentary\" is for notes");
        return -1;
    }
    if (b->momentary && !jm_param_is_bool(ps->p[b->param].def)) {
        snprintf(why, whylen, "mode = \"momentary\" needs a switch, not %s",
                 ps->p[b->param].path);
        return -1;
    }
    return 0;
}

/* The MIDI controls a binding listens to: up to two (kind, number) pairs. */
static int controls(const jm_midi_binding_t *b, int kind[2], int num[2])
{
    if (b->kind == JM_MIDI_CC14) {
        kind[0] = kind[1] = JM_MIDI_CC;
        num[0] = b->number;
        num[1] = b->lsb;
        return 2;
    }
    kind[0] = b->kind;
    num[0] = b->kind == JM_MIDI_PITCHBEND ? 0 : b->number;
    return 1;
}

int jm_midi_binding_clash(const jm_midi_binding_t *a, const jm_midi_binding_t *b)
{
    if (a->channel != b->channel) return 0;
    int ka[2], na[2], kb[2], nb[2];
    int ma = controls(a, ka, na), mb = controls(b, kb, nb);
    for (int i = 0; i < ma; i++)
        for (int j = 0; j < mb; j++)
            if (ka[i] == kb[j] && na[i] == nb[j]) return 1;
    return 0;
}

/* A 0..127 number (cc, note, lsb). */
static int read_7bit(ctx_t *c, const config_setting_t *m, const char *what, uint8_t *out)
{
    int v;
    if (jm_sess_read_int(c, m, what, 0, 127, &v) < 0) return -1;
    *out = (uint8_t)v;
    return 0;
}

static int read_bool(ctx_t *c, const config_setting_t *m, const char *what, int *out)
{
    if (config_setting_type(m) != CONFIG_TYPE_BOOL)
        return jm_sess_fail(c, m, "%s: expected true or false", what);
    *out = config_setting_get_bool(m);
    return 0;
}

static int read_binding(ctx_t *c, const config_setting_t *g, int i)
{
    jm_session_t *s = c->s;
    char what[48], kw[64];
    snprintf(what, sizeof what, "midi.map[%d]", i + 1);
    if (jm_sess_expect_group(c, g, what) < 0) return -1;
    jm_midi_binding_t *b = &s->midi.map[i];
    *b = (jm_midi_binding_t){.param = -1, .channel = 1, .feedback = 1};
    char path[JM_PATH_MAX] = "", mode[16] = "";
    int kinds = 0, has_lsb = 0, pb = 0, fb = 1;
    for (int k = 0; k < config_setting_length(g); k++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)k);
        const char *key = config_setting_name(m);
        snprintf(kw, sizeof kw, "%s.%s", what, key);
        int rc, ch;
        if (!strcmp(key, "path")) {
            rc = jm_sess_read_string(c, m, kw, path, sizeof path, 0);
        } else if (!strcmp(key, "cc")) {
            rc = read_7bit(c, m, kw, &b->number);
            if (!rc && b->kind != JM_MIDI_CC14) b->kind = JM_MIDI_CC;
            kinds++;
        } else if (!strcmp(key, "note")) {
            rc = read_7bit(c, m, kw, &b->number);
            b->kind = JM_MIDI_NOTE;
            kinds++;
        } else if (!strcmp(key, "pitchbend")) {
            rc = read_bool(c, m, kw, &pb);
            if (!rc && !pb) return jm_sess_fail(c, m, "%s: only pitchbend = true means "
                                                "anything", kw);
            b->kind = JM_MIDI_PITCHBEND;
            kinds++;
        } else if (!strcmp(key, "lsb")) {
            rc = read_7bit(c, m, kw, &b->lsb);
            has_lsb = 1;
        } else if (!strcmp(key, "channel")) {
            rc = jm_sess_read_int(c, m, kw, 1, 16, &ch);
            b->channel = (uint8_t)ch;
        } else if (!strcmp(key, "mode")) {
            rc = jm_sess_read_string(c, m, kw, mode, sizeof mode, 0);
            if (!rc && strcmp(mode, "momentary") && strcmp(mode, "toggle"))
                return jm_sess_fail(c, m, "%s: '%s' is not \"toggle\" or \"momentary\"", kw,
                                    mode);
            b->momentary = !strcmp(mode, "momentary");
        } else if (!strcmp(key, "feedback")) {
            rc = read_bool(c, m, kw, &fb);
            b->feedback = (uint8_t)fb;
        } else {
            return jm_sess_fail(c, m, "unknown key '%s' in %s (path, cc, lsb, note, "
                                "pitchbend, channel, mode, feedback)", key, what);
        }
        if (rc < 0) return -1;
    }
    if (!path[0]) return jm_sess_fail(c, g, "%s: needs path = \"/strip/1/fader\"", what);
    if (kinds != 1)
        return jm_sess_fail(c, g, "%s: needs exactly one of cc, note or pitchbend", what);
    if (has_lsb) {
        if (b->kind != JM_MIDI_CC) return jm_sess_fail(c, g, "%s: lsb goes with cc", what);
        b->kind = JM_MIDI_CC14;
    }
    if (mode[0] && b->kind != JM_MIDI_NOTE)
        return jm_sess_fail(c, g, "%s: mode is for notes", what);
    b->param = jm_params_find(&s->params, path);
    if (b->param < 0) return jm_sess_fail(c, g, "%s: no parameter '%s'", what, path);
    char why[128];
    if (jm_midi_binding_check(&s->params, b, why, sizeof why) < 0)
        return jm_sess_fail(c, g, "%s: %s", what, why);
    for (int k = 0; k < i; k++) {
        if (s->midi.map[k].param == b->param)
            return jm_sess_fail(c, g, "%s: %s is already bound (midi.map[%d])", what, path, k + 1);
        if (jm_midi_binding_clash(&s->midi.map[k], b))
            return jm_sess_fail(c, g, "%s: that control is already bound (midi.map[%d])", what,
                                k + 1);
    }
    return 0;
}

static int read_map(ctx_t *c, const config_setting_t *list)
{
    if (jm_sess_expect_list(c, list, "midi.map") < 0) return -1;
    int n = config_setting_length(list);
    if (n > JM_MIDI_MAP_MAX)
        return jm_sess_fail(c, list, "midi.map: %d bindings, at most %d", n, JM_MIDI_MAP_MAX);
    for (int i = 0; i < n; i++)
        if (read_binding(c, config_setting_get_elem(list, (unsigned)i), i) < 0) return -1;
    c->s->midi.n_map = n;
    return 0;
}

int jm_sess_read_midi(ctx_t *c, const config_setting_t *g)
{
    jm_midi_cfg_t *mc = &c->s->midi;
    mc->enabled = 1;
    snprintf(mc->surface, sizeof mc->surface, "generic");
    for (int k = 0; k < config_setting_length(g); k++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)k);
        const char *name = config_setting_name(m);
        int rc;
        if (!strcmp(name, "input")) {
            rc = jm_sess_read_ports(c, m, "midi.input", JM_MAX_PORTS_PER_LIST, mc->inputs,
                                    &mc->n_inputs);
        } else if (!strcmp(name, "output")) {
            rc = jm_sess_read_ports(c, m, "midi.output", JM_MAX_PORTS_PER_LIST, mc->outputs,
                                    &mc->n_outputs);
        } else if (!strcmp(name, "surface")) {
            rc = jm_sess_read_string(c, m, "midi.surface", mc->surface, sizeof mc->surface, 0);
            if (rc == 0) {
                /* the words of src/control/surface_reg.c's registry (the
                 * session layer may not look into the control layer) */
                if (strcmp(mc->surface, "generic") && strcmp(mc->surface, "mcu"))
                    return jm_sess_fail(c, m, "midi.surface: '%s' is not \"generic\" or \"mcu\"",
                                        mc->surface);
            }
        } else if (!strcmp(name, "map")) {
            rc = read_map(c, m);
        } else {
            return jm_sess_fail(c, m, "unknown key '%s' in midi (input, output, surface, map)",
                                name);
        }
        if (rc < 0) return -1;
    }
    return 0;
}
