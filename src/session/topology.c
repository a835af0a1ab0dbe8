/* Pass 1 of the loader: the top-level keys, and the topology (strip and
 * bus names, channels, bus types) that the parameter set is built from. */
#include "session_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Top-level keys and their types. */
int jm_sess_check_top(ctx_t *c, const config_setting_t *root)
{
    int n = config_setting_length(root);
    for (int i = 0; i < n; i++) {
        const config_setting_t *st = config_setting_get_elem(root, (unsigned)i);
        const char *name = config_setting_name(st);
        if (!strcmp(name, "jack") || !strcmp(name, "osc") || !strcmp(name, "master") ||
            !strcmp(name, "monitor") || !strcmp(name, "talkback")) {
            if (jm_sess_expect_group(c, st, name) < 0) return -1;
        } else if (!strcmp(name, "strips") || !strcmp(name, "buses") ||
                   !strcmp(name, "automation") || !strcmp(name, "aliases") ||
                   !strcmp(name, "performers")) {
            if (jm_sess_expect_list(c, st, name) < 0) return -1;
        } else if (!strcmp(name, "x32") || !strcmp(name, "xair") || !strcmp(name, "web") ||
                   !strcmp(name, "midi") || !strcmp(name, "playback")) {
            if (jm_sess_expect_group(c, st, name) < 0) return -1;
        } else if (!strcmp(name, "state")) {
            if (config_setting_type(st) != CONFIG_TYPE_STRING)
                return jm_sess_fail(c, st, "state: expected a string (the state file)");
        } else if (!strcmp(name, "recordings") || !strcmp(name, "sessions")) {
            if (config_setting_type(st) != CONFIG_TYPE_STRING)
                return jm_sess_fail(c, st, "%s: expected a string (a folder)", name);
        } else if (!strcmp(name, "record_min_free_mb")) {
            long long v;
            if (jm_sess_integer(st, &v) < 0)
                return jm_sess_fail(c, st, "record_min_free_mb: expected an integer (MB)");
        } else {
            return jm_sess_fail(c, st, "unknown key '%s'", name);
        }
    }
    return 0;
}

/* Pass 1: the name of a strip or bus element. */
static int topo_name(ctx_t *c, const config_setting_t *g, const char *what, const char *kind,
                     char *out)
{
    const config_setting_t *ns = config_setting_get_member(g, "name");
    if (!ns) return jm_sess_fail(c, g, "%s: the %s has no name (name = \"...\";)", what, kind);
    char nwhat[64];
    snprintf(nwhat, sizeof nwhat, "%s.name", what);
    const char *v = config_setting_get_string(ns);
    if (config_setting_type(ns) != CONFIG_TYPE_STRING || !v)
        return jm_sess_fail(c, ns, "%s: expected a string", nwhat);
    if (strlen(v) >= JM_NAME_MAX)
        return jm_sess_fail(c, ns, "%s: '%s' is too long (at most %d characters)", nwhat, v,
                    JM_NAME_MAX - 1);
    if (!jm_session_name_valid(v))
        return jm_sess_fail(c, ns,
                    "%s: '%s' is not a valid name (letters, digits, '_' and '-', "
                    "starting with a letter)",
                    nwhat, v);
    /* bus names are keys in `send = { NAME = ... }`, and libconfig reads
     * true/false there as booleans */
    if (!strcmp(kind, "bus") && jm_sess_name_is_keyword(v))
        return jm_sess_fail(c, ns, "%s: '%s' cannot name a bus (it cannot be a key in send)", nwhat, v);
    memcpy(out, v, strlen(v) + 1);
    return 0;
}

int jm_sess_topo_buses(ctx_t *c, const config_setting_t *list)
{
    jm_session_t *s = c->s;
    int n = config_setting_length(list);
    for (int i = 0; i < n; i++) {
        const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        char what[32];
        snprintf(what, sizeof what, "buses[%d]", i + 1);
        if (jm_sess_expect_group(c, g, what) < 0) return -1;
        if (i >= JM_MAX_BUSES) return jm_sess_fail(c, g, "too many buses (at most %d)", JM_MAX_BUSES);
        jm_bus_cfg_t *b = &s->buses[i];
        if (topo_name(c, g, what, "bus", b->name) < 0) return -1;
        if (jm_sess_bus_index(s, b->name) >= 0)
            return jm_sess_fail(c, config_setting_get_member(g, "name"), "duplicate bus name '%s'",
                        b->name);
        const config_setting_t *ts = config_setting_get_member(g, "type");
        if (!ts)
            return jm_sess_fail(c, g,
                                "%s: bus '%s' has no type (type = \"reverb\"; \"delay\" or \"aux\")",
                                what, b->name);
        const char *t = config_setting_get_string(ts);
        if (config_setting_type(ts) != CONFIG_TYPE_STRING || !t || !jm_sess_bus_type_valid(t))
            return jm_sess_fail(c, ts, "%s.type: expected \"reverb\", \"delay\" or \"aux\"", what);
        snprintf(b->type, sizeof b->type, "%s", t);
        int aux = !strcmp(t, "aux");
        b->channels = 2;
        const config_setting_t *cs = config_setting_get_member(g, "channels");
        if (cs && !aux)
            return jm_sess_fail(c, cs, "%s.channels: only aux buses have channels (FX buses are stereo)",
                                what);
        if (cs) {
            long long ch;
            if (jm_sess_integer(cs, &ch) < 0 || (ch != 1 && ch != 2))
                return jm_sess_fail(c, cs, "%s.channels: expected 1 (mono) or 2 (stereo)", what);
            b->channels = (int)ch;
        }
        const config_setting_t *os = config_setting_get_member(g, "output");
        if (os && !aux)
            return jm_sess_fail(c, os, "%s.output: only aux buses have outputs (FX buses return "
                                "into the master)", what);
        /* an aux bus's JACK outputs sit beside the master's and monitor's */
        if (aux && (!strcmp(b->name, "master") || !strcmp(b->name, "monitor")))
            return jm_sess_fail(c, config_setting_get_member(g, "name"),
                                "%s.name: '%s' is taken by the console's own outputs", what, b->name);
        s->n_buses = i + 1;
    }
    return 0;
}

/* The JACK port names of a strip or an aux bus: NAME, or NAME_L and NAME_R. */
static int port_names(const char *name, int channels, char out[2][JM_NAME_MAX + 4])
{
    if (channels == 1) {
        snprintf(out[0], JM_NAME_MAX + 4, "%s", name);
        return 1;
    }
    snprintf(out[0], JM_NAME_MAX + 4, "%s_L", name);
    snprintf(out[1], JM_NAME_MAX + 4, "%s_R", name);
    return 2;
}

/* The aux bus whose output ports share a name with the ports of a strip
 * (name, channels), or NULL. */
static const char *port_clash(const jm_session_t *s, const char *name, int channels)
{
    char a[2][JM_NAME_MAX + 4], b[2][JM_NAME_MAX + 4];
    int na = port_names(name, channels, a);
    for (int k = 0; k < s->n_buses; k++) {
        if (strcmp(s->buses[k].type, "aux")) continue;
        int nb = port_names(s->buses[k].name, s->buses[k].channels, b);
        for (int i = 0; i < na; i++)
            for (int j = 0; j < nb; j++)
                if (!strcmp(a[i], b[j])) return s->buses[k].name;
    }
    return NULL;
}

int jm_sess_topo_strips(ctx_t *c, const config_setting_t *list)
{
    jm_session_t *s = c->s;
    int n = config_setting_length(list);
    if (n > JM_MAX_STRIPS)
        return jm_sess_fail(c, config_setting_get_elem(list, JM_MAX_STRIPS), "too many strips (at most %d)",
                    JM_MAX_STRIPS);
    s->strips = calloc(n ? (size_t)n : 1, sizeof *s->strips);
    s->strip_names = calloc(n ? (size_t)n : 1, sizeof *s->strip_names);
    if (!s->strips || !s->strip_names) return jm_sess_fail(c, list, "out of memory");
    for (int i = 0; i < n; i++) {
        const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        char what[32];
        snprintf(what, sizeof what, "strips[%d]", i + 1);
        if (jm_sess_expect_group(c, g, what) < 0) return -1;
        jm_strip_cfg_t *st = &s->strips[i];
        if (topo_name(c, g, what, "strip", st->name) < 0) return -1;
        for (int j = 0; j < i; j++)
            if (!strcmp(s->strips[j].name, st->name))
                return jm_sess_fail(c, config_setting_get_member(g, "name"), "duplicate strip name '%s'",
                            st->name);
        /* strips and buses share one namespace (and aux buses one set of
         * JACK port names with the strips) */
        if (jm_sess_bus_index(s, st->name) >= 0)
            return jm_sess_fail(c, config_setting_get_member(g, "name"),
                                "%s.name: '%s' is already a bus name (strip and bus names must "
                                "differ)", what, st->name);
        st->channels = 1;
        const config_setting_t *cs = config_setting_get_member(g, "channels");
        if (cs) {
            long long ch;
            if (jm_sess_integer(cs, &ch) < 0 || (ch != 1 && ch != 2))
                return jm_sess_fail(c, cs, "%s.channels: expected 1 (mono) or 2 (stereo)", what);
            st->channels = (int)ch;
        }
        const char *clash = port_clash(s, st->name, st->channels);
        if (clash)
            return jm_sess_fail(c, config_setting_get_member(g, "name"),
                                "%s.name: its JACK port would have the same name as aux bus '%s'"
                                "'s", what, clash);
        memcpy(s->strip_names[i], st->name, JM_NAME_MAX);
        s->n_strips = i + 1;
    }
    return 0;
}
