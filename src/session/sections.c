/* Pass 2 readers of the console's sections: jack, osc, strips, buses,
 * master and monitor. */
#include "session_int.h"

#include <stdio.h>
#include <string.h>

/* Pass 2 readers, in file order. */

int jm_sess_read_jack(ctx_t *c, const config_setting_t *g)
{
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *st = config_setting_get_elem(g, (unsigned)i);
        const char *name = config_setting_name(st);
        if (!strcmp(name, "name")) {
            if (jm_sess_read_string(c, st, "jack.name", c->s->jack_name, sizeof c->s->jack_name, 0) < 0)
                return -1;
        } else if (!strcmp(name, "server")) {
            if (jm_sess_read_string(c, st, "jack.server", c->s->jack_server, sizeof c->s->jack_server,
                            1) < 0)
                return -1;
        } else {
            return jm_sess_fail(c, st, "unknown key '%s' in jack", name);
        }
    }
    return 0;
}

static int read_client(ctx_t *c, const config_setting_t *g, int i)
{
    char what[48], fw[64];
    snprintf(what, sizeof what, "osc.clients[%d]", i + 1);
    if (jm_sess_expect_group(c, g, what) < 0) return -1;
    if (i >= JM_MAX_CLIENTS) return jm_sess_fail(c, g, "too many osc.clients (at most %d)", JM_MAX_CLIENTS);
    jm_osc_client_cfg_t *cl = &c->s->clients[i];
    int have_host = 0, have_port = 0;
    int n = config_setting_length(g);
    for (int k = 0; k < n; k++) {
        const config_setting_t *st = config_setting_get_elem(g, (unsigned)k);
        const char *name = config_setting_name(st);
        snprintf(fw, sizeof fw, "%s.%s", what, name);
        if (!strcmp(name, "host")) {
            if (jm_sess_read_string(c, st, fw, cl->host, sizeof cl->host, 0) < 0) return -1;
            have_host = 1;
        } else if (!strcmp(name, "port")) {
            if (jm_sess_read_int(c, st, fw, 1, 65535, &cl->port) < 0) return -1;
            have_port = 1;
        } else if (!strcmp(name, "style")) {
            const char *v = config_setting_get_string(st);
            if (config_setting_type(st) != CONFIG_TYPE_STRING || !v ||
                (strcmp(v, "units") && strcmp(v, "norm")))
                return jm_sess_fail(c, st, "%s: expected \"units\" or \"norm\"", fw);
            cl->norm = !strcmp(v, "norm");
        } else {
            return jm_sess_fail(c, st, "unknown key '%s' in %s", name, what);
        }
    }
    if (!have_host) return jm_sess_fail(c, g, "%s: missing host", what);
    if (!have_port) return jm_sess_fail(c, g, "%s: missing port", what);
    return 0;
}

/* osc.allow, osc.engineers: an array of CIDR strings. */
static int read_cidrs(ctx_t *c, const config_setting_t *st, const char *what, jm_cidr_t *out,
                      int *n_out)
{
    int type = config_setting_type(st);
    if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
        return jm_sess_fail(c, st, "%s: expected an array of CIDR strings, e.g. "
                            "[ \"192.168.0.0/16\" ]", what);
    int m = config_setting_length(st);
    if (m > JM_MAX_ALLOW)
        return jm_sess_fail(c, st, "%s: %d ranges, at most %d allowed", what, m, JM_MAX_ALLOW);
    for (int k = 0; k < m; k++) {
        const config_setting_t *e = config_setting_get_elem(st, (unsigned)k);
        const char *v = config_setting_get_string(e);
        if (config_setting_type(e) != CONFIG_TYPE_STRING || !v)
            return jm_sess_fail(c, e, "%s: expected a CIDR string like \"10.0.0.0/8\"", what);
        if (jm_cidr_parse(v, &out[k]) < 0) return jm_sess_fail(c, e, "%s: bad CIDR '%s'", what, v);
    }
    *n_out = m;
    return 0;
}

int jm_sess_read_osc(ctx_t *c, const config_setting_t *g)
{
    jm_session_t *s = c->s;
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *st = config_setting_get_elem(g, (unsigned)i);
        const char *name = config_setting_name(st);
        if (!strcmp(name, "port")) {
            if (jm_sess_read_int(c, st, "osc.port", 1, 65535, &s->osc_port) < 0) return -1;
        } else if (!strcmp(name, "bind")) {
            if (jm_sess_read_string(c, st, "osc.bind", s->osc_bind, sizeof s->osc_bind, 0) < 0) return -1;
            if (jm_ipv4_parse(s->osc_bind, NULL) < 0)
                return jm_sess_fail(c, st, "osc.bind: '%s' is not an IPv4 address (a.b.c.d)", s->osc_bind);
        } else if (!strcmp(name, "allow")) {
            if (read_cidrs(c, st, "osc.allow", s->allow, &s->n_allow) < 0) return -1;
        } else if (!strcmp(name, "engineers")) {
            if (read_cidrs(c, st, "osc.engineers", s->engineers, &s->n_engineers) < 0) return -1;
            s->has_engineers = 1;
        } else if (!strcmp(name, "meter_rate")) {
            double v;
            if (jm_sess_number(st, &v) < 0) return jm_sess_fail(c, st, "osc.meter_rate: expected a number");
            if (!(v >= 1.0 && v <= 100.0))
                return jm_sess_fail(c, st, "osc.meter_rate: %g is out of range 1..100 Hz", v);
            s->meter_rate = (float)v;
        } else if (!strcmp(name, "clients")) {
            if (jm_sess_expect_list(c, st, "osc.clients") < 0) return -1;
            int m = config_setting_length(st);
            for (int k = 0; k < m; k++)
                if (read_client(c, config_setting_get_elem(st, (unsigned)k), k) < 0) return -1;
            s->n_clients = m;
        } else {
            return jm_sess_fail(c, st, "unknown key '%s' in osc", name);
        }
    }
    return 0;
}

int jm_sess_read_strip(ctx_t *c, const config_setting_t *g, int i)
{
    jm_session_t *s = c->s;
    jm_strip_cfg_t *sc = &s->strips[i];
    owner_t o;
    jm_sess_owner_init(s, &o, JM_SCOPE_STRIP, i);
    int n = config_setting_length(g);
    for (int k = 0; k < n; k++) {
        const config_setting_t *st = config_setting_get_elem(g, (unsigned)k);
        const char *name = config_setting_name(st);
        char fw[64];
        snprintf(fw, sizeof fw, "%s.%s", o.label, name);
        if (!strcmp(name, "name") || !strcmp(name, "channels")) {
            continue; /* pass 1 */
        } else if (!strcmp(name, "input")) {
            int max = jm_sess_max_inputs(sc->channels);
            if (jm_sess_read_ports(c, st, fw, max, sc->inputs, &sc->n_inputs) < 0) return -1;
        } else if (!strcmp(name, "file")) {
            if (jm_sess_read_string(c, st, fw, sc->file, sizeof sc->file, 1) < 0) return -1;
        } else if (jm_sess_param_child(c, &o, "", st) < 0) {
            return -1;
        }
    }
    return 0;
}

int jm_sess_read_bus(ctx_t *c, const config_setting_t *g, int i)
{
    owner_t o;
    jm_bus_cfg_t *b = &c->s->buses[i];
    jm_sess_owner_init(c->s, &o, JM_SCOPE_BUS, i);
    int n = config_setting_length(g);
    for (int k = 0; k < n; k++) {
        const config_setting_t *st = config_setting_get_elem(g, (unsigned)k);
        const char *name = config_setting_name(st);
        if (!strcmp(name, "name") || !strcmp(name, "type") || !strcmp(name, "channels"))
            continue; /* pass 1 (which also refuses channels and output on FX buses) */
        if (!strcmp(name, "output")) {
            char fw[64];
            snprintf(fw, sizeof fw, "%s.output", o.label);
            if (jm_sess_read_ports(c, st, fw, JM_MAX_PORTS_PER_LIST, b->outputs, &b->n_outputs) < 0)
                return -1;
            continue;
        }
        if (jm_sess_param_child(c, &o, "", st) < 0) return -1;
    }
    return 0;
}

/* master = { output = [...]; params }, and monitor likewise (docs/session.md). */
int jm_sess_read_master(ctx_t *c, const config_setting_t *g)
{
    jm_session_t *s = c->s;
    int mon = !strcmp(config_setting_name(g), "monitor");
    owner_t o;
    jm_sess_owner_init(s, &o, mon ? JM_SCOPE_MONITOR : JM_SCOPE_MASTER, 0);
    int n = config_setting_length(g);
    for (int k = 0; k < n; k++) {
        const config_setting_t *st = config_setting_get_elem(g, (unsigned)k);
        if (!strcmp(config_setting_name(st), "output")) {
            if (jm_sess_read_ports(c, st, mon ? "monitor.output" : "master.output", JM_MAX_PORTS_PER_LIST,
                           mon ? s->monitor_outputs : s->master_outputs,
                           mon ? &s->n_monitor_outputs : &s->n_master_outputs) < 0)
                return -1;
        } else if (jm_sess_param_child(c, &o, "", st) < 0) {
            return -1;
        }
    }
    return 0;
}

/* talkback = { input = [...]; buses = [ "aux", ... ]; params } (docs/session.md). */
int jm_sess_read_talkback(ctx_t *c, const config_setting_t *g)
{
    jm_session_t *s = c->s;
    owner_t o;
    jm_sess_owner_init(s, &o, JM_SCOPE_TALKBACK, 0);
    /* its JACK input "talkback" sits beside the strips' inputs */
    for (int i = 0; i < s->n_strips; i++)
        if (s->strips[i].channels == 1 && !strcmp(s->strips[i].name, "talkback"))
            return jm_sess_fail(c, g, "talkback: strip 'talkback' takes the talkback input's port name");
    int n = config_setting_length(g);
    for (int k = 0; k < n; k++) {
        const config_setting_t *st = config_setting_get_elem(g, (unsigned)k);
        const char *key = config_setting_name(st);
        if (!strcmp(key, "input")) {
            if (jm_sess_read_ports(c, st, "talkback.input", JM_MAX_PORTS_PER_LIST, s->talkback_inputs,
                                   &s->n_talkback_inputs) < 0)
                return -1;
        } else if (!strcmp(key, "buses")) {
            int t = config_setting_type(st);
            if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
                return jm_sess_fail(c, st, "talkback.buses: expected an array of aux bus names");
            for (int i = 0; i < config_setting_length(st); i++) {
                const config_setting_t *e = config_setting_get_elem(st, (unsigned)i);
                const char *nm = config_setting_get_string(e);
                int b = nm ? jm_sess_bus_index(s, nm) : -1;
                if (b < 0 || strcmp(s->buses[b].type, "aux"))
                    return jm_sess_fail(c, e, "talkback.buses[%d]: expected the name of an aux bus", i + 1);
                s->talkback_bus[b] = 1;
            }
        } else if (jm_sess_param_child(c, &o, "", st) < 0) {
            return -1;
        }
    }
    return 0;
}
