/* The writer's check (save.c): a console is written only when it would
 * load again. The rules are the loader's (rules.c); what is checked here in
 * addition is what a file cannot express but a struct can (an unterminated
 * string, a count out of bounds, a parameter of another session). */
#include "session_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int jm_sess_efail(jm_sess_ectx_t *e, const char *fmt, ...)
{
    int n = snprintf(e->err, e->errlen, "%s: ", e->path);
    if (n >= 0 && (size_t)n < e->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->err + n, e->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

#define fail jm_sess_efail

static int terminated(const char *s, size_t cap) { return memchr(s, '\0', cap) != NULL; }

static int check_ports(jm_sess_ectx_t *e, const char *what, int n, int max,
                       const char (*ports)[JM_PORT_NAME_MAX])
{
    if (n < 0 || n > max) return fail(e, "%s: %d ports (at most %d)", what, n, max);
    for (int i = 0; i < n; i++)
        if (!terminated(ports[i], JM_PORT_NAME_MAX) || !jm_sess_port_valid(ports[i]))
            return fail(e, "%s[%d]: '%.*s' is not a JACK port name (client:port)", what, i + 1,
                        JM_PORT_NAME_MAX - 1, ports[i]);
    return 0;
}

/* jack, osc and state. */
static int check_settings(jm_sess_ectx_t *e, const jm_session_t *s)
{
    if (!terminated(s->jack_name, sizeof s->jack_name) || !s->jack_name[0])
        return fail(e, "jack.name is empty");
    if (!terminated(s->jack_server, sizeof s->jack_server))
        return fail(e, "jack.server is not a string");
    if (s->osc_port < 1 || s->osc_port > 65535)
        return fail(e, "osc.port %d is out of range 1..65535", s->osc_port);
    if (!terminated(s->osc_bind, sizeof s->osc_bind) || jm_ipv4_parse(s->osc_bind, NULL) < 0)
        return fail(e, "osc.bind is not an IPv4 address");
    if (s->n_allow < 0 || s->n_allow > JM_MAX_ALLOW)
        return fail(e, "osc.allow: %d ranges (at most %d)", s->n_allow, JM_MAX_ALLOW);
    if (s->n_engineers < 0 || s->n_engineers > JM_MAX_ALLOW)
        return fail(e, "osc.engineers: %d ranges (at most %d)", s->n_engineers, JM_MAX_ALLOW);
    for (int i = 0; i < s->n_engineers; i++)
        if (jm_cidr_prefix_len(s->engineers[i].mask) < 0)
            return fail(e, "osc.engineers[%d]: the mask is not a prefix", i + 1);
    if (s->n_performers < 0 || s->n_performers > JM_MAX_PERFORMERS)
        return fail(e, "performers: %d entries (at most %d)", s->n_performers, JM_MAX_PERFORMERS);
    for (int i = 0; i < s->n_performers; i++)
        if (s->performers[i].bus < 0 || s->performers[i].bus >= s->n_buses ||
            !terminated(s->performers[i].name, sizeof s->performers[i].name) ||
            !terminated(s->performers[i].pin, sizeof s->performers[i].pin))
            return fail(e, "performers[%d]: bad bus, name or pin", i + 1);
    for (int i = 0; i < s->n_allow; i++)
        if (jm_cidr_prefix_len(s->allow[i].mask) < 0)
            return fail(e, "osc.allow[%d]: the mask 0x%08x is not a prefix", i + 1,
                        (unsigned)s->allow[i].mask);
    if (!(s->meter_rate >= 1.0f && s->meter_rate <= 100.0f))
        return fail(e, "osc.meter_rate %g is out of range 1..100", (double)s->meter_rate);
    if (s->n_clients < 0 || s->n_clients > JM_MAX_CLIENTS)
        return fail(e, "osc.clients: %d clients (at most %d)", s->n_clients, JM_MAX_CLIENTS);
    for (int i = 0; i < s->n_clients; i++) {
        const jm_osc_client_cfg_t *c = &s->clients[i];
        if (!terminated(c->host, sizeof c->host) || !c->host[0])
            return fail(e, "osc.clients[%d]: the host is empty", i + 1);
        if (c->port < 1 || c->port > 65535)
            return fail(e, "osc.clients[%d]: port %d is out of range 1..65535", i + 1, c->port);
    }
    if (!terminated(s->state, sizeof s->state)) return fail(e, "state is not a string");
    if (!terminated(s->recordings, sizeof s->recordings))
        return fail(e, "recordings is not a string");
    if (!terminated(s->sessions, sizeof s->sessions)) return fail(e, "sessions is not a string");
    if (s->record_min_free_mb < 0 || s->record_min_free_mb > (1 << 30))
        return fail(e, "record_min_free_mb %d is out of range 0..%d", s->record_min_free_mb,
                    1 << 30);
    return 0;
}

static int check_strips(jm_sess_ectx_t *e, const jm_session_t *s)
{
    if (s->n_strips < 0 || s->n_strips > JM_MAX_STRIPS || (s->n_strips > 0 && !s->strips))
        return fail(e, "bad strip count %d (at most %d)", s->n_strips, JM_MAX_STRIPS);
    for (int i = 0; i < s->n_strips; i++) {
        const jm_strip_cfg_t *st = &s->strips[i];
        char what[64];
        if (!terminated(st->name, sizeof st->name) || !jm_session_name_valid(st->name))
            return fail(e, "strips[%d]: not a valid name", i + 1);
        for (int j = 0; j < i; j++)
            if (!strcmp(s->strips[j].name, st->name))
                return fail(e, "duplicate strip name '%s'", st->name);
        if (st->channels != 1 && st->channels != 2)
            return fail(e, "strip '%s': channels is %d, not 1 or 2", st->name, st->channels);
        snprintf(what, sizeof what, "strip '%s' input", st->name);
        if (check_ports(e, what, st->n_inputs, jm_sess_max_inputs(st->channels), st->inputs) < 0)
            return -1;
        if (!terminated(st->file, sizeof st->file))
            return fail(e, "strip '%s': file is not a string", st->name);
    }
    return 0;
}

static int check_buses(jm_sess_ectx_t *e, const jm_session_t *s)
{
    if (s->n_buses < 0 || s->n_buses > JM_MAX_BUSES)
        return fail(e, "bad bus count %d (at most %d)", s->n_buses, JM_MAX_BUSES);
    for (int i = 0; i < s->n_buses; i++) {
        const jm_bus_cfg_t *b = &s->buses[i];
        if (!terminated(b->name, sizeof b->name) || !jm_session_name_valid(b->name))
            return fail(e, "buses[%d]: not a valid name", i + 1);
        for (int j = 0; j < i; j++)
            if (!strcmp(s->buses[j].name, b->name))
                return fail(e, "duplicate bus name '%s'", b->name);
        if (!terminated(b->type, sizeof b->type) || !jm_sess_bus_type_valid(b->type))
            return fail(e, "bus '%s': type is not \"reverb\", \"delay\" or \"aux\"", b->name);
        if (!strcmp(b->type, "aux")) {
            if (b->channels != 1 && b->channels != 2)
                return fail(e, "bus '%s': channels is not 1 or 2", b->name);
            char what[64];
            snprintf(what, sizeof what, "bus '%s' output", b->name);
            if (check_ports(e, what, b->n_outputs, JM_MAX_PORTS_PER_LIST,
                            (const char (*)[JM_PORT_NAME_MAX])b->outputs) < 0) return -1;
        }
    }
    return check_ports(e, "master.output", s->n_master_outputs, JM_MAX_PORTS_PER_LIST,
                       s->master_outputs);
}

static int owner_ok(const jm_session_t *s, const jm_param_t *p)
{
    switch (p->scope) {
    case JM_SCOPE_STRIP: return p->owner < s->n_strips;
    case JM_SCOPE_BUS: return p->owner < s->n_buses;
    case JM_SCOPE_MASTER: return 1;
    case JM_SCOPE_MONITOR: return s->has_monitor;
    case JM_SCOPE_TALKBACK: return s->has_talkback;
    default: return 0;
    }
}

static int check_value(jm_sess_ectx_t *e, const jm_session_t *s, const jm_param_t *p, float v)
{
    const jm_param_def_t *d = p->def;
    if (!isfinite(v)) return fail(e, "%s: the value is not a number", p->name_path);
    if (!jm_param_is_bool(d) && !jm_sess_value_in_range(d, v)) /* bools: written as v >= 0.5 */
        return fail(e, "%s: %g is out of range %g..%g", p->name_path, (double)v, (double)d->min,
                    (double)d->max);
    /* send.{bus}.x under a bus named true/false: only writable (by leaving
     * it out) while it holds its default */
    if ((d->field == JM_SF_SEND_LEVEL || d->field == JM_SF_SEND_PRE) &&
        p->scope == JM_SCOPE_STRIP && p->sub < s->n_buses &&
        jm_sess_name_is_keyword(s->buses[p->sub].name) && v != p->defval)
        return fail(e,
                    "%s: a bus named '%s' cannot be a key in a session file (libconfig "
                    "reads it as a boolean); rename the bus",
                    p->name_path, s->buses[p->sub].name);
    return 0;
}

static int check_values(jm_sess_ectx_t *e, const jm_session_t *s, const float *values)
{
    if (s->params.n > 0 && (!s->params.p || !values))
        return fail(e, "the session has no parameter values");
    for (size_t i = 0; i < s->params.n; i++) {
        const jm_param_t *p = &s->params.p[i];
        if (!p->def || !owner_ok(s, p) || !terminated(p->key, sizeof p->key) || !p->key[0])
            return fail(e, "parameter %zu does not belong to this session", i + 1);
        if (check_value(e, s, p, values[i]) < 0) return -1;
    }
    return 0;
}

/* One lane; has_lane marks the parameters that already have one. */
static int check_lane(jm_sess_ectx_t *e, const jm_session_t *s, const jm_lane_cfg_t *l, int i,
                      unsigned char *has_lane)
{
    if (l->param < 0 || (size_t)l->param >= s->params.n)
        return fail(e, "automation[%d]: no parameter %d", i + 1, l->param);
    const jm_param_t *p = &s->params.p[l->param];
    if (has_lane[l->param])
        return fail(e, "automation[%d]: a second lane for '%s'", i + 1, p->name_path);
    has_lane[l->param] = 1;
    if ((unsigned)l->mode > JM_AUTO_LATCH)
        return fail(e, "automation[%d] '%s': bad mode %d", i + 1, p->name_path, (int)l->mode);
    if (l->n_points < 0 || (l->n_points > 0 && !l->points))
        return fail(e, "automation[%d] '%s': bad point count %d", i + 1, p->name_path,
                    l->n_points);
    double prev = 0.0;
    for (int k = 0; k < l->n_points; k++) {
        char why[96];
        if (jm_sess_point_check(p->def, l->points[k].t, l->points[k].v, prev, why, sizeof why))
            return fail(e, "automation[%d] '%s': point %d: %s", i + 1, p->name_path, k + 1, why);
        prev = l->points[k].t;
    }
    return 0;
}

static int check_lanes(jm_sess_ectx_t *e, const jm_session_t *s, const jm_lane_cfg_t *lanes,
                       int n_lanes)
{
    if (n_lanes < 0 || (n_lanes > 0 && !lanes)) return fail(e, "bad lane count %d", n_lanes);
    if (n_lanes == 0) return 0;
    unsigned char *has_lane = calloc(s->params.n ? s->params.n : 1, 1);
    if (!has_lane) return fail(e, "out of memory");
    int rc = 0;
    for (int i = 0; i < n_lanes && rc == 0; i++) rc = check_lane(e, s, &lanes[i], i, has_lane);
    free(has_lane);
    return rc;
}

/* The midi group would load again: ports, and every binding valid and
 * distinct (the learn code keeps them so; this is the last guard). */
static int check_midi(jm_sess_ectx_t *e, const jm_session_t *s)
{
    const jm_midi_cfg_t *mc = &s->midi;
    if (!mc->enabled) return 0;
    for (int i = 0; i < mc->n_inputs + mc->n_outputs; i++) {
        const char *p = i < mc->n_inputs ? mc->inputs[i] : mc->outputs[i - mc->n_inputs];
        if (!jm_sess_port_valid(p)) return jm_sess_efail(e, "midi: bad port name '%s'", p);
    }
    if (mc->n_map < 0 || mc->n_map > JM_MIDI_MAP_MAX)
        return jm_sess_efail(e, "midi.map: %d bindings", mc->n_map);
    char why[128];
    for (int i = 0; i < mc->n_map; i++) {
        if (jm_midi_binding_check(&s->params, &mc->map[i], why, sizeof why) < 0)
            return jm_sess_efail(e, "midi.map[%d]: %s", i + 1, why);
        for (int k = 0; k < i; k++)
            if (mc->map[k].param == mc->map[i].param ||
                jm_midi_binding_clash(&mc->map[k], &mc->map[i]))
                return jm_sess_efail(e, "midi.map[%d]: clashes with midi.map[%d]", i + 1, k + 1);
    }
    return 0;
}

int jm_sess_check_save(jm_sess_ectx_t *e, const jm_session_t *s, const float *values,
                       const jm_lane_cfg_t *lanes, int n_lanes)
{
    if (check_settings(e, s) < 0 || check_strips(e, s) < 0 || check_buses(e, s) < 0 ||
        check_values(e, s, values) < 0 || check_midi(e, s) < 0)
        return -1;
    return check_lanes(e, s, lanes, n_lanes);
}
