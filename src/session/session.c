/* The session file: libconfig text validated into topology + parameter
 * values (docs/session.md). Every error is "FILE:LINE: message", the first one
 * found, and leaves no partial session behind.
 *
 * Loading runs in two passes because the parameter keys of a strip depend on
 * the bus names (send.{bus}.level): pass 1 reads the topology (strip and bus
 * names, channels, bus types), then the parameter set is built, then pass 2
 * reads everything else in file order. */
#include "jmixd/session/session.h"

#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>

/* ------------------------------------------------------------------ CIDR -- */

/* Parse a decimal number of 1..maxdigits digits at *pp, advance *pp. */
static int parse_dec(const char **pp, int maxdigits, unsigned *out)
{
    const char *p = *pp;
    unsigned v = 0;
    int n = 0;
    while (*p >= '0' && *p <= '9') {
        if (++n > maxdigits) return -1;
        v = v * 10u + (unsigned)(*p - '0');
        p++;
    }
    if (n == 0) return -1;
    *pp = p;
    *out = v;
    return 0;
}

/* "a.b.c.d" at *pp (stops after the fourth octet). */
static int parse_ipv4(const char **pp, uint32_t *out)
{
    const char *p = *pp;
    uint32_t a = 0;
    for (int i = 0; i < 4; i++) {
        unsigned o;
        if (i > 0) {
            if (*p != '.') return -1;
            p++;
        }
        if (parse_dec(&p, 3, &o) < 0 || o > 255) return -1;
        a = (a << 8) | o;
    }
    *pp = p;
    *out = a;
    return 0;
}

static int ipv4_valid(const char *text)
{
    uint32_t a;
    const char *p = text;
    return parse_ipv4(&p, &a) == 0 && *p == '\0';
}

int jm_cidr_parse(const char *text, jm_cidr_t *out)
{
    if (!text || !out) return -1;
    const char *p = text;
    uint32_t addr;
    unsigned len = 32;
    if (parse_ipv4(&p, &addr) < 0) return -1;
    if (*p == '/') {
        p++;
        if (parse_dec(&p, 2, &len) < 0 || len > 32) return -1;
    }
    if (*p != '\0') return -1;
    uint32_t mask = len == 0 ? 0u : 0xffffffffu << (32u - len);
    out->addr = addr & mask;
    out->mask = mask;
    return 0;
}

int jm_cidr_match(const jm_cidr_t *list, int n, uint32_t addr)
{
    for (int i = 0; i < n; i++)
        if ((addr & list[i].mask) == (list[i].addr & list[i].mask)) return 1;
    return 0;
}

/* --------------------------------------------------------------- loader -- */

typedef struct {
    jm_session_t *s;
    const char *path;
    char *err;
    size_t errlen;
} ctx_t;

/* Parameters of one owner (a strip, a bus or the master). */
typedef struct {
    jm_scope_t scope;
    int owner;
    size_t lo, hi;      /* index range in s->params.p that holds them */
    char label[48];     /* "strips[1]", "buses[2]", "master": prefix of value errors */
    char desc[48];      /* "strip 'kick'", "bus 'verb'", "master" */
} owner_t;

__attribute__((format(printf, 4, 0)))
static int failv(ctx_t *c, const char *file, int line, const char *fmt, va_list ap)
{
    int n = snprintf(c->err, c->errlen, "%s:%d: ", file ? file : c->path, line);
    if (n >= 0 && (size_t)n < c->errlen) vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
    return -1;
}

/* Report an error at a setting's line; returns -1. */
__attribute__((format(printf, 3, 4)))
static int fail(ctx_t *c, const config_setting_t *st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *file = st ? config_setting_source_file(st) : NULL;
    int line = st ? (int)config_setting_source_line(st) : 0;
    failv(c, file, line, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *type_word(int type)
{
    switch (type) {
    case CONFIG_TYPE_GROUP: return "a group";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: return "an integer";
    case CONFIG_TYPE_FLOAT: return "a number";
    case CONFIG_TYPE_STRING: return "a string";
    case CONFIG_TYPE_BOOL: return "true or false";
    case CONFIG_TYPE_ARRAY: return "an array";
    case CONFIG_TYPE_LIST: return "a list";
    default: return "a value";
    }
}

int jm_session_name_valid(const char *n)
{
    if (!((n[0] >= 'A' && n[0] <= 'Z') || (n[0] >= 'a' && n[0] <= 'z'))) return 0;
    for (const char *p = n + 1; *p; p++) {
        char ch = *p;
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-'))
            return 0;
    }
    return 1;
}

/* A number setting (int, int64 or float; not bool or string) into *out. */
static int get_number(const config_setting_t *st, double *out)
{
    switch (config_setting_type(st)) {
    case CONFIG_TYPE_INT: *out = (double)config_setting_get_int(st); return 0;
    case CONFIG_TYPE_INT64: *out = (double)config_setting_get_int64(st); return 0;
    case CONFIG_TYPE_FLOAT: *out = config_setting_get_float(st); return 0;
    default: return -1;
    }
}

static int get_integer(const config_setting_t *st, long long *out)
{
    switch (config_setting_type(st)) {
    case CONFIG_TYPE_INT: *out = config_setting_get_int(st); return 0;
    case CONFIG_TYPE_INT64: *out = config_setting_get_int64(st); return 0;
    default: return -1;
    }
}

/* An integer in lo..hi. `what` names the setting in messages. */
static int read_int(ctx_t *c, const config_setting_t *st, const char *what, long long lo,
                    long long hi, int *out)
{
    long long v;
    if (get_integer(st, &v) < 0) return fail(c, st, "%s: expected an integer", what);
    if (v < lo || v > hi) return fail(c, st, "%s: %lld is out of range %lld..%lld", what, v, lo, hi);
    *out = (int)v;
    return 0;
}

/* A string that must fit a buffer of cap bytes. */
static int read_string(ctx_t *c, const config_setting_t *st, const char *what, char *buf,
                       size_t cap, int allow_empty)
{
    const char *v = config_setting_get_string(st);
    if (config_setting_type(st) != CONFIG_TYPE_STRING || !v)
        return fail(c, st, "%s: expected a string", what);
    if (!allow_empty && !*v) return fail(c, st, "%s: must not be empty", what);
    if (strlen(v) >= cap)
        return fail(c, st, "%s: '%.40s...' is too long (at most %zu characters)", what, v,
                    cap - 1);
    memcpy(buf, v, strlen(v) + 1);
    return 0;
}

/* A JACK port name as given to jack_connect: "client:port". */
static int check_port(ctx_t *c, const config_setting_t *st, const char *what, const char *port)
{
    if (strchr(port, ':') && port[0] != ':') return 0;
    return fail(c, st, "%s: '%s' is not a JACK port name (client:port, e.g. \"system:capture_1\")",
                what, port);
}

/* A list of port names: an array (or list) of strings, or a single string. */
static int read_ports(ctx_t *c, const config_setting_t *st, const char *what, int max,
                      char (*ports)[JM_PORT_NAME_MAX], int *n_out)
{
    char elem_what[96];
    int type = config_setting_type(st);
    if (type == CONFIG_TYPE_STRING) {
        if (max < 1) return fail(c, st, "%s: 1 port, at most %d allowed", what, max);
        if (read_string(c, st, what, ports[0], JM_PORT_NAME_MAX, 0) < 0) return -1;
        if (check_port(c, st, what, ports[0]) < 0) return -1;
        *n_out = 1;
        return 0;
    }
    if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
        return fail(c, st, "%s: expected an array of port names, e.g. [ \"system:capture_1\" ]",
                    what);
    int n = config_setting_length(st);
    if (n > max) return fail(c, st, "%s: %d ports, at most %d allowed", what, n, max);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(st, (unsigned)i);
        snprintf(elem_what, sizeof elem_what, "%s[%d]", what, i + 1);
        if (config_setting_type(e) != CONFIG_TYPE_STRING)
            return fail(c, e, "%s: expected a port name (a string)", elem_what);
        if (read_string(c, e, elem_what, ports[i], JM_PORT_NAME_MAX, 0) < 0) return -1;
        if (check_port(c, e, elem_what, ports[i]) < 0) return -1;
    }
    *n_out = n;
    return 0;
}

/* A list of groups; an empty array or list also counts as none. */
static int expect_list(ctx_t *c, const config_setting_t *st, const char *what)
{
    int type = config_setting_type(st);
    if (type == CONFIG_TYPE_LIST) return 0;
    if (type == CONFIG_TYPE_ARRAY && config_setting_length(st) == 0) return 0;
    return fail(c, st, "%s: expected a list of groups, e.g. ( { ... }, { ... } )", what);
}

static int expect_group(ctx_t *c, const config_setting_t *st, const char *what)
{
    if (config_setting_type(st) == CONFIG_TYPE_GROUP) return 0;
    return fail(c, st, "%s: expected a group { ... }", what);
}

/* ------------------------------------------------------- parameter keys -- */

static int owner_exact(const jm_session_t *s, const owner_t *o, const char *key)
{
    for (size_t i = o->lo; i < o->hi; i++) {
        const jm_param_t *p = &s->params.p[i];
        if (p->scope == o->scope && p->owner == o->owner && !strcmp(p->key, key)) return (int)i;
    }
    return -1;
}

/* 1 when some key of the owner lies below the group `key` ("eq" for "eq.on"). */
static int owner_prefix(const jm_session_t *s, const owner_t *o, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = o->lo; i < o->hi; i++) {
        const jm_param_t *p = &s->params.p[i];
        if (p->scope == o->scope && p->owner == o->owner && !strncmp(p->key, key, kl) &&
            p->key[kl] == '.')
            return 1;
    }
    return 0;
}

static void owner_init(const jm_session_t *s, owner_t *o, jm_scope_t scope, int owner)
{
    o->scope = scope;
    o->owner = owner;
    o->lo = s->params.n;
    o->hi = 0;
    for (size_t i = 0; i < s->params.n; i++) {
        const jm_param_t *p = &s->params.p[i];
        if (p->scope != scope ||
            (scope != JM_SCOPE_MASTER && scope != JM_SCOPE_MONITOR && p->owner != owner))
            continue;
        if (i < o->lo) o->lo = i;
        if (i + 1 > o->hi) o->hi = i + 1;
    }
    if (o->lo > o->hi) o->lo = o->hi;
    if (scope == JM_SCOPE_STRIP) {
        snprintf(o->label, sizeof o->label, "strips[%d]", owner + 1);
        snprintf(o->desc, sizeof o->desc, "strip '%s'", s->strips[owner].name);
    } else if (scope == JM_SCOPE_BUS) {
        snprintf(o->label, sizeof o->label, "buses[%d]", owner + 1);
        snprintf(o->desc, sizeof o->desc, "bus '%s'", s->buses[owner].name);
    } else {
        const char *w = scope == JM_SCOPE_MONITOR ? "monitor" : "master";
        snprintf(o->label, sizeof o->label, "%s", w);
        snprintf(o->desc, sizeof o->desc, "%s", w);
    }
}

static int bus_index(const jm_session_t *s, const char *name)
{
    for (int b = 0; b < s->n_buses; b++)
        if (!strcmp(s->buses[b].name, name)) return b;
    return -1;
}

static int param_value(ctx_t *c, const owner_t *o, const config_setting_t *st, int idx)
{
    const jm_param_t *p = &c->s->params.p[idx];
    const jm_param_def_t *d = p->def;
    if (jm_param_is_bool(d)) {
        int type = config_setting_type(st);
        long long iv;
        if (type == CONFIG_TYPE_BOOL) {
            c->s->values[idx] = config_setting_get_bool(st) ? 1.0f : 0.0f;
            return 0;
        }
        if (get_integer(st, &iv) == 0 && (iv == 0 || iv == 1)) {
            c->s->values[idx] = (float)iv;
            return 0;
        }
        return fail(c, st, "%s.%s: expected true or false", o->label, p->key);
    }
    double v;
    if (d->taper == JM_TAPER_ENUM && config_setting_type(st) == CONFIG_TYPE_STRING) {
        int k = jm_param_choice(d, config_setting_get_string(st));
        if (k < 0) return fail(c, st, "%s.%s: '%s' is not one of: %s", o->label, p->key,
                               config_setting_get_string(st), d->doc);
        c->s->values[idx] = (float)k;
        return 0;
    }
    if (get_number(st, &v) < 0)
        return fail(c, st, "%s.%s: expected a number, not %s", o->label, p->key,
                    type_word(config_setting_type(st)));
    float fv = (float)v;
    if (!(fv >= d->min && fv <= d->max))
        return fail(c, st, "%s.%s: %g is out of range %g..%g%s%s", o->label, p->key, v,
                    (double)d->min, (double)d->max,
                    (*d->unit && *d->unit != ':') ? " " : "", d->unit);
    c->s->values[idx] = fv;
    return 0;
}

static int param_child(ctx_t *c, const owner_t *o, const char *prefix, const config_setting_t *st);

static int param_group(ctx_t *c, const owner_t *o, const char *prefix, const config_setting_t *g)
{
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++)
        if (param_child(c, o, prefix, config_setting_get_elem(g, (unsigned)i)) < 0) return -1;
    return 0;
}

/* One setting below a strip/bus/master group whose dotted path is
 * prefix.name (prefix "" at the top of the group). */
static int param_child(ctx_t *c, const owner_t *o, const char *prefix, const config_setting_t *st)
{
    const jm_session_t *s = c->s;
    const char *name = config_setting_name(st);
    char key[JM_PATH_MAX];
    int kl = snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "." : "", name ? name : "");
    if (kl < 0 || (size_t)kl >= sizeof key)
        return fail(c, st, "unknown key '%.60s...' in %s", key, o->desc);

    int is_group = config_setting_type(st) == CONFIG_TYPE_GROUP;

    /* send = { BUS = { ... }; }: name the bus clearly when it does not exist */
    if (o->scope == JM_SCOPE_STRIP && !strcmp(key, "send") && is_group) {
        int n = config_setting_length(st);
        for (int i = 0; i < n; i++) {
            const config_setting_t *e = config_setting_get_elem(st, (unsigned)i);
            if (bus_index(s, config_setting_name(e)) < 0)
                return fail(c, e, "unknown bus '%s' in send of %s", config_setting_name(e),
                            o->desc);
        }
    }

    int idx = owner_exact(s, o, key);
    if (idx >= 0) {
        if (is_group || config_setting_is_aggregate(st))
            return fail(c, st, "%s.%s: expected %s, not %s", o->label, key,
                        jm_param_is_bool(s->params.p[idx].def) ? "true or false" : "a number",
                        type_word(config_setting_type(st)));
        return param_value(c, o, st, idx);
    }
    if (owner_prefix(s, o, key)) {
        if (!is_group) return fail(c, st, "%s.%s: expected a group { ... }", o->label, key);
        return param_group(c, o, key, st);
    }
    return fail(c, st, "unknown key '%s' in %s", key, o->desc);
}

/* ------------------------------------------------------------ top level -- */

/* Top-level keys and their types. */
static int check_top(ctx_t *c, const config_setting_t *root)
{
    int n = config_setting_length(root);
    for (int i = 0; i < n; i++) {
        const config_setting_t *st = config_setting_get_elem(root, (unsigned)i);
        const char *name = config_setting_name(st);
        if (!strcmp(name, "jack") || !strcmp(name, "osc") || !strcmp(name, "master") ||
            !strcmp(name, "monitor")) {
            if (expect_group(c, st, name) < 0) return -1;
        } else if (!strcmp(name, "strips") || !strcmp(name, "buses") ||
                   !strcmp(name, "automation") || !strcmp(name, "aliases")) {
            if (expect_list(c, st, name) < 0) return -1;
        } else if (!strcmp(name, "x32") || !strcmp(name, "web")) {
            if (expect_group(c, st, name) < 0) return -1;
        } else if (!strcmp(name, "state")) {
            if (config_setting_type(st) != CONFIG_TYPE_STRING)
                return fail(c, st, "state: expected a string (the state file)");
        } else {
            return fail(c, st, "unknown key '%s'", name);
        }
    }
    return 0;
}

/* Pass 1: the name of a strip or bus element. */
static int topo_name(ctx_t *c, const config_setting_t *g, const char *what, const char *kind,
                     char *out)
{
    const config_setting_t *ns = config_setting_get_member(g, "name");
    if (!ns) return fail(c, g, "%s: the %s has no name (name = \"...\";)", what, kind);
    char nwhat[64];
    snprintf(nwhat, sizeof nwhat, "%s.name", what);
    const char *v = config_setting_get_string(ns);
    if (config_setting_type(ns) != CONFIG_TYPE_STRING || !v)
        return fail(c, ns, "%s: expected a string", nwhat);
    if (strlen(v) >= JM_NAME_MAX)
        return fail(c, ns, "%s: '%s' is too long (at most %d characters)", nwhat, v,
                    JM_NAME_MAX - 1);
    if (!jm_session_name_valid(v))
        return fail(c, ns,
                    "%s: '%s' is not a valid name (letters, digits, '_' and '-', "
                    "starting with a letter)",
                    nwhat, v);
    /* bus names are keys in `send = { NAME = ... }`, and libconfig reads
     * true/false there as booleans */
    if (!strcmp(kind, "bus") && (!strcasecmp(v, "true") || !strcasecmp(v, "false")))
        return fail(c, ns, "%s: '%s' cannot name a bus (it cannot be a key in send)", nwhat, v);
    memcpy(out, v, strlen(v) + 1);
    return 0;
}

static int topo_buses(ctx_t *c, const config_setting_t *list)
{
    jm_session_t *s = c->s;
    int n = config_setting_length(list);
    for (int i = 0; i < n; i++) {
        const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        char what[32];
        snprintf(what, sizeof what, "buses[%d]", i + 1);
        if (expect_group(c, g, what) < 0) return -1;
        if (i >= JM_MAX_BUSES) return fail(c, g, "too many buses (at most %d)", JM_MAX_BUSES);
        jm_bus_cfg_t *b = &s->buses[i];
        if (topo_name(c, g, what, "bus", b->name) < 0) return -1;
        if (bus_index(s, b->name) >= 0)
            return fail(c, config_setting_get_member(g, "name"), "duplicate bus name '%s'",
                        b->name);
        const config_setting_t *ts = config_setting_get_member(g, "type");
        if (!ts)
            return fail(c, g, "%s: bus '%s' has no type (type = \"reverb\"; or \"delay\")", what,
                        b->name);
        const char *t = config_setting_get_string(ts);
        if (config_setting_type(ts) != CONFIG_TYPE_STRING || !t ||
            (strcmp(t, "reverb") && strcmp(t, "delay")))
            return fail(c, ts, "%s.type: expected \"reverb\" or \"delay\"", what);
        snprintf(b->type, sizeof b->type, "%s", t);
        s->n_buses = i + 1;
    }
    return 0;
}

static int topo_strips(ctx_t *c, const config_setting_t *list)
{
    jm_session_t *s = c->s;
    int n = config_setting_length(list);
    if (n > JM_MAX_STRIPS)
        return fail(c, config_setting_get_elem(list, JM_MAX_STRIPS), "too many strips (at most %d)",
                    JM_MAX_STRIPS);
    s->strips = calloc(n ? (size_t)n : 1, sizeof *s->strips);
    s->strip_names = calloc(n ? (size_t)n : 1, sizeof *s->strip_names);
    if (!s->strips || !s->strip_names) return fail(c, list, "out of memory");
    for (int i = 0; i < n; i++) {
        const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        char what[32];
        snprintf(what, sizeof what, "strips[%d]", i + 1);
        if (expect_group(c, g, what) < 0) return -1;
        jm_strip_cfg_t *st = &s->strips[i];
        if (topo_name(c, g, what, "strip", st->name) < 0) return -1;
        for (int j = 0; j < i; j++)
            if (!strcmp(s->strips[j].name, st->name))
                return fail(c, config_setting_get_member(g, "name"), "duplicate strip name '%s'",
                            st->name);
        st->channels = 1;
        const config_setting_t *cs = config_setting_get_member(g, "channels");
        if (cs) {
            long long ch;
            if (get_integer(cs, &ch) < 0 || (ch != 1 && ch != 2))
                return fail(c, cs, "%s.channels: expected 1 (mono) or 2 (stereo)", what);
            st->channels = (int)ch;
        }
        memcpy(s->strip_names[i], st->name, JM_NAME_MAX);
        s->n_strips = i + 1;
    }
    return 0;
}

/* Pass 2 readers, in file order. */

static int read_jack(ctx_t *c, const config_setting_t *g)
{
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *st = config_setting_get_elem(g, (unsigned)i);
        const char *name = config_setting_name(st);
        if (!strcmp(name, "name")) {
            if (read_string(c, st, "jack.name", c->s->jack_name, sizeof c->s->jack_name, 0) < 0)
                return -1;
        } else if (!strcmp(name, "server")) {
            if (read_string(c, st, "jack.server", c->s->jack_server, sizeof c->s->jack_server,
                            1) < 0)
                return -1;
        } else {
            return fail(c, st, "unknown key '%s' in jack", name);
        }
    }
    return 0;
}

static int read_client(ctx_t *c, const config_setting_t *g, int i)
{
    char what[48], fw[64];
    snprintf(what, sizeof what, "osc.clients[%d]", i + 1);
    if (expect_group(c, g, what) < 0) return -1;
    if (i >= JM_MAX_CLIENTS) return fail(c, g, "too many osc.clients (at most %d)", JM_MAX_CLIENTS);
    jm_osc_client_cfg_t *cl = &c->s->clients[i];
    int have_host = 0, have_port = 0;
    int n = config_setting_length(g);
    for (int k = 0; k < n; k++) {
        const config_setting_t *st = config_setting_get_elem(g, (unsigned)k);
        const char *name = config_setting_name(st);
        snprintf(fw, sizeof fw, "%s.%s", what, name);
        if (!strcmp(name, "host")) {
            if (read_string(c, st, fw, cl->host, sizeof cl->host, 0) < 0) return -1;
            have_host = 1;
        } else if (!strcmp(name, "port")) {
            if (read_int(c, st, fw, 1, 65535, &cl->port) < 0) return -1;
            have_port = 1;
        } else if (!strcmp(name, "style")) {
            const char *v = config_setting_get_string(st);
            if (config_setting_type(st) != CONFIG_TYPE_STRING || !v ||
                (strcmp(v, "units") && strcmp(v, "norm")))
                return fail(c, st, "%s: expected \"units\" or \"norm\"", fw);
            cl->norm = !strcmp(v, "norm");
        } else {
            return fail(c, st, "unknown key '%s' in %s", name, what);
        }
    }
    if (!have_host) return fail(c, g, "%s: missing host", what);
    if (!have_port) return fail(c, g, "%s: missing port", what);
    return 0;
}

static int read_osc(ctx_t *c, const config_setting_t *g)
{
    jm_session_t *s = c->s;
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *st = config_setting_get_elem(g, (unsigned)i);
        const char *name = config_setting_name(st);
        if (!strcmp(name, "port")) {
            if (read_int(c, st, "osc.port", 1, 65535, &s->osc_port) < 0) return -1;
        } else if (!strcmp(name, "bind")) {
            if (read_string(c, st, "osc.bind", s->osc_bind, sizeof s->osc_bind, 0) < 0) return -1;
            if (!ipv4_valid(s->osc_bind))
                return fail(c, st, "osc.bind: '%s' is not an IPv4 address (a.b.c.d)", s->osc_bind);
        } else if (!strcmp(name, "allow")) {
            int type = config_setting_type(st);
            if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
                return fail(c, st, "osc.allow: expected an array of CIDR strings, e.g. "
                                   "[ \"192.168.0.0/16\" ]");
            int m = config_setting_length(st);
            if (m > JM_MAX_ALLOW)
                return fail(c, st, "osc.allow: %d ranges, at most %d allowed", m, JM_MAX_ALLOW);
            for (int k = 0; k < m; k++) {
                const config_setting_t *e = config_setting_get_elem(st, (unsigned)k);
                const char *v = config_setting_get_string(e);
                if (config_setting_type(e) != CONFIG_TYPE_STRING || !v)
                    return fail(c, e, "osc.allow: expected a CIDR string like \"10.0.0.0/8\"");
                if (jm_cidr_parse(v, &s->allow[k]) < 0)
                    return fail(c, e, "osc.allow: bad CIDR '%s'", v);
            }
            s->n_allow = m;
        } else if (!strcmp(name, "meter_rate")) {
            double v;
            if (get_number(st, &v) < 0) return fail(c, st, "osc.meter_rate: expected a number");
            if (!(v >= 1.0 && v <= 100.0))
                return fail(c, st, "osc.meter_rate: %g is out of range 1..100 Hz", v);
            s->meter_rate = (float)v;
        } else if (!strcmp(name, "clients")) {
            if (expect_list(c, st, "osc.clients") < 0) return -1;
            int m = config_setting_length(st);
            for (int k = 0; k < m; k++)
                if (read_client(c, config_setting_get_elem(st, (unsigned)k), k) < 0) return -1;
            s->n_clients = m;
        } else {
            return fail(c, st, "unknown key '%s' in osc", name);
        }
    }
    return 0;
}

static int read_strip(ctx_t *c, const config_setting_t *g, int i)
{
    jm_session_t *s = c->s;
    jm_strip_cfg_t *sc = &s->strips[i];
    owner_t o;
    owner_init(s, &o, JM_SCOPE_STRIP, i);
    int n = config_setting_length(g);
    for (int k = 0; k < n; k++) {
        const config_setting_t *st = config_setting_get_elem(g, (unsigned)k);
        const char *name = config_setting_name(st);
        char fw[64];
        snprintf(fw, sizeof fw, "%s.%s", o.label, name);
        if (!strcmp(name, "name") || !strcmp(name, "channels")) {
            continue; /* pass 1 */
        } else if (!strcmp(name, "input")) {
            int max = sc->channels * 8;
            if (max > JM_MAX_PORTS_PER_LIST) max = JM_MAX_PORTS_PER_LIST;
            if (read_ports(c, st, fw, max, sc->inputs, &sc->n_inputs) < 0) return -1;
        } else if (!strcmp(name, "file")) {
            if (read_string(c, st, fw, sc->file, sizeof sc->file, 1) < 0) return -1;
        } else if (param_child(c, &o, "", st) < 0) {
            return -1;
        }
    }
    return 0;
}

static int read_bus(ctx_t *c, const config_setting_t *g, int i)
{
    owner_t o;
    owner_init(c->s, &o, JM_SCOPE_BUS, i);
    int n = config_setting_length(g);
    for (int k = 0; k < n; k++) {
        const config_setting_t *st = config_setting_get_elem(g, (unsigned)k);
        const char *name = config_setting_name(st);
        if (!strcmp(name, "name") || !strcmp(name, "type")) continue; /* pass 1 */
        if (param_child(c, &o, "", st) < 0) return -1;
    }
    return 0;
}

/* master = { output = [...]; params }, and monitor likewise (docs/session.md). */
static int read_master(ctx_t *c, const config_setting_t *g)
{
    jm_session_t *s = c->s;
    int mon = !strcmp(config_setting_name(g), "monitor");
    owner_t o;
    owner_init(s, &o, mon ? JM_SCOPE_MONITOR : JM_SCOPE_MASTER, 0);
    int n = config_setting_length(g);
    for (int k = 0; k < n; k++) {
        const config_setting_t *st = config_setting_get_elem(g, (unsigned)k);
        if (!strcmp(config_setting_name(st), "output")) {
            if (read_ports(c, st, mon ? "monitor.output" : "master.output", JM_MAX_PORTS_PER_LIST,
                           mon ? s->monitor_outputs : s->master_outputs,
                           mon ? &s->n_monitor_outputs : &s->n_master_outputs) < 0)
                return -1;
        } else if (param_child(c, &o, "", st) < 0) {
            return -1;
        }
    }
    return 0;
}

static void set_defaults(jm_session_t *s)
{
    snprintf(s->jack_name, sizeof s->jack_name, "jmixd");
    s->jack_server[0] = '\0';
    s->osc_port = 8000;
    snprintf(s->osc_bind, sizeof s->osc_bind, "0.0.0.0");
    static const char *const def_allow[] = {"127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12",
                                            "192.168.0.0/16"};
    s->n_allow = 0;
    for (size_t i = 0; i < sizeof def_allow / sizeof def_allow[0]; i++)
        if (jm_cidr_parse(def_allow[i], &s->allow[s->n_allow]) == 0) s->n_allow++;
    s->meter_rate = 20.0f;
}

static int read_automation(ctx_t *c, const config_setting_t *list);
static int read_aliases(ctx_t *c, const config_setting_t *list);
static int read_x32(ctx_t *c, const config_setting_t *g);
static int read_web(ctx_t *c, const config_setting_t *g);

static int load(ctx_t *c, config_t *cfg)
{
    jm_session_t *s = c->s;
    const config_setting_t *root = config_root_setting(cfg);
    if (check_top(c, root) < 0) return -1;

    /* pass 1: topology */
    const config_setting_t *st = config_setting_get_member(root, "buses");
    if (st && topo_buses(c, st) < 0) return -1;
    st = config_setting_get_member(root, "strips");
    if (st) {
        if (topo_strips(c, st) < 0) return -1;
    } else {
        s->strips = calloc(1, sizeof *s->strips);
        s->strip_names = calloc(1, sizeof *s->strip_names);
        if (!s->strips || !s->strip_names) return fail(c, root, "out of memory");
    }
    s->bus_names = calloc(JM_MAX_BUSES, sizeof *s->bus_names);
    if (!s->bus_names) return fail(c, root, "out of memory");
    for (int b = 0; b < s->n_buses; b++) memcpy(s->bus_names[b], s->buses[b].name, JM_NAME_MAX);

    char bus_types[JM_MAX_BUSES][16];
    for (int b = 0; b < s->n_buses; b++) memcpy(bus_types[b], s->buses[b].type, 16);
    jm_topo_names_t names = {
        .n_strips = s->n_strips,
        .strip_names = (const char (*)[JM_NAME_MAX])s->strip_names,
        .n_buses = s->n_buses,
        .bus_names = (const char (*)[JM_NAME_MAX])s->bus_names,
        .bus_types = (const char (*)[16])bus_types,
        .monitor = config_setting_get_member(root, "monitor") != NULL,
    };
    s->has_monitor = names.monitor;
    if (jm_params_build(&s->params, &names) < 0) return fail(c, root, "out of memory");
    s->values = calloc(s->params.n ? s->params.n : 1, sizeof *s->values);
    if (!s->values) return fail(c, root, "out of memory");
    for (size_t i = 0; i < s->params.n; i++) s->values[i] = s->params.p[i].defval;

    /* pass 2: everything, in file order */
    int n = config_setting_length(root);
    for (int i = 0; i < n; i++) {
        st = config_setting_get_elem(root, (unsigned)i);
        const char *name = config_setting_name(st);
        int rc = 0;
        if (!strcmp(name, "jack")) {
            rc = read_jack(c, st);
        } else if (!strcmp(name, "osc")) {
            rc = read_osc(c, st);
        } else if (!strcmp(name, "state")) {
            rc = read_string(c, st, "state", s->state, sizeof s->state, 1);
        } else if (!strcmp(name, "strips")) {
            for (int k = 0; k < s->n_strips && rc == 0; k++)
                rc = read_strip(c, config_setting_get_elem(st, (unsigned)k), k);
        } else if (!strcmp(name, "buses")) {
            for (int k = 0; k < s->n_buses && rc == 0; k++)
                rc = read_bus(c, config_setting_get_elem(st, (unsigned)k), k);
        } else if (!strcmp(name, "master") || !strcmp(name, "monitor")) {
            rc = read_master(c, st);
        } else if (!strcmp(name, "automation")) {
            rc = read_automation(c, st);
        } else if (!strcmp(name, "aliases")) {
            rc = read_aliases(c, st);
        } else if (!strcmp(name, "x32")) {
            rc = read_x32(c, st);
        } else if (!strcmp(name, "web")) {
            rc = read_web(c, st);
        }
        if (rc < 0) return -1;
    }
    return 0;
}

static const char *const automode_names[] = {"off", "read", "write", "touch", "latch"};

int jm_automode_parse(const char *word)
{
    for (int m = 0; m < 5; m++)
        if (word && !strcmp(word, automode_names[m])) return m;
    return -1;
}

const char *jm_automode_name(jm_automode_t m)
{
    return (unsigned)m < 5 ? automode_names[m] : "off";
}

/* One point: a list or array of two numbers (seconds, value). */
static int read_point(ctx_t *c, const config_setting_t *pt, const char *what,
                      const jm_param_t *p, double prev_t, jm_autopoint_t *out)
{
    double t, v;
    if ((!config_setting_is_list(pt) && !config_setting_is_array(pt)) ||
        config_setting_length(pt) != 2 || get_number(config_setting_get_elem(pt, 0), &t) < 0 ||
        get_number(config_setting_get_elem(pt, 1), &v) < 0)
        return fail(c, pt, "%s: a point is (seconds, value)", what);
    if (!(t >= 0.0) || t > 1e7) return fail(c, pt, "%s: time %g is not a time in seconds", what, t);
    if (t < prev_t)
        return fail(c, pt, "%s: points must be in time order (%g after %g)", what, t, prev_t);
    if (v < p->def->min || v > p->def->max)
        return fail(c, pt, "%s: value %g is out of range %g..%g", what, v, p->def->min, p->def->max);
    out->t = t;
    out->v = jm_param_clamp(p->def, (float)v);
    return 0;
}

static int read_lane(ctx_t *c, const config_setting_t *g, int i)
{
    jm_session_t *s = c->s;
    char what[32];
    snprintf(what, sizeof what, "automation[%d]", i + 1);
    if (expect_group(c, g, what) < 0) return -1;
    jm_lane_cfg_t *lane = &s->lanes[i];
    const char *path = NULL, *mode = "read";
    const config_setting_t *pts = NULL;
    for (int k = 0; k < config_setting_length(g); k++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)k);
        const char *key = config_setting_name(m);
        if (!strcmp(key, "param") || !strcmp(key, "mode")) {
            const char *v = config_setting_get_string(m);
            if (!v) return fail(c, m, "%s.%s: expected a string", what, key);
            if (key[0] == 'p') path = v;
            else mode = v;
        } else if (!strcmp(key, "points")) {
            pts = m;
        } else {
            return fail(c, m, "unknown key '%s' in %s", key, what);
        }
    }
    if (!path) return fail(c, g, "%s: missing param = \"/strip/NAME/fader\"", what);
    lane->param = jm_params_find(&s->params, path);
    if (lane->param < 0) return fail(c, g, "%s: no parameter '%s'", what, path);
    for (int k = 0; k < i; k++)
        if (s->lanes[k].param == lane->param)
            return fail(c, g, "%s: a second lane for '%s'", what, path);
    int md = jm_automode_parse(mode);
    if (md < 0) return fail(c, g, "%s.mode: expected off, read, write, touch or latch", what);
    lane->mode = (jm_automode_t)md;
    if (!pts) return 0;
    if (!config_setting_is_list(pts) && !config_setting_is_array(pts))
        return fail(c, pts, "%s.points: expected a list of (seconds, value)", what);
    int n = config_setting_length(pts);
    lane->points = calloc(n ? (size_t)n : 1, sizeof *lane->points);
    if (!lane->points) return fail(c, pts, "out of memory");
    double prev = 0.0;
    for (int k = 0; k < n; k++) {
        if (read_point(c, config_setting_get_elem(pts, (unsigned)k), what,
                       &s->params.p[lane->param], prev, &lane->points[k]) < 0)
            return -1;
        prev = lane->points[k].t;
        lane->n_points = k + 1;
    }
    return 0;
}

static int read_automation(ctx_t *c, const config_setting_t *list)
{
    if (expect_list(c, list, "automation") < 0) return -1;
    int n = config_setting_length(list);
    c->s->lanes = calloc(n ? (size_t)n : 1, sizeof *c->s->lanes);
    if (!c->s->lanes) return fail(c, list, "out of memory");
    c->s->n_lanes = n;
    for (int i = 0; i < n; i++)
        if (read_lane(c, config_setting_get_elem(list, (unsigned)i), i) < 0) return -1;
    return 0;
}

/* An OSC address as written in a session: '/' then printable characters,
 * no spaces and no pattern characters. */
static int address_valid(const char *a)
{
    if (a[0] != '/') return 0;
    for (const char *p = a; *p; p++)
        if (*p <= ' ' || *p >= 127 || strchr("*?[]{}#,", *p)) return 0;
    return 1;
}

static int read_alias(ctx_t *c, const config_setting_t *g, int i)
{
    jm_session_t *s = c->s;
    char what[32];
    snprintf(what, sizeof what, "aliases[%d]", i + 1);
    if (expect_group(c, g, what) < 0) return -1;
    jm_alias_t *a = &s->aliases[i];
    for (int k = 0; k < config_setting_length(g); k++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)k);
        const char *key = config_setting_name(m);
        if (!strcmp(key, "from")) {
            if (read_string(c, m, "alias from", a->from, sizeof a->from, 0) < 0) return -1;
        } else if (!strcmp(key, "to")) {
            if (read_string(c, m, "alias to", a->to, sizeof a->to, 0) < 0) return -1;
        } else {
            return fail(c, m, "unknown key '%s' in %s", key, what);
        }
    }
    if (!a->from[0] || !a->to[0]) return fail(c, g, "%s: needs from = \"/...\" and to = \"/...\"", what);
    if (!address_valid(a->from))
        return fail(c, g, "%s: '%s' is not an OSC address (no spaces or pattern characters)", what, a->from);
    char to[JM_PATH_MAX + 8];
    snprintf(to, sizeof to, "%s", a->to);
    size_t n = strlen(to);
    if (n > 5 && !strcmp(to + n - 5, "/norm")) { a->norm = 1; to[n - 5] = '\0'; }
    a->param = jm_params_find(&s->params, to);
    if (a->param < 0) return fail(c, g, "%s: no parameter '%s'", what, a->to);
    if (a->norm && jm_param_is_bool(s->params.p[a->param].def))
        return fail(c, g, "%s: a switch has no /norm", what);
    for (int k = 0; k < i; k++)
        if (!strcmp(s->aliases[k].from, a->from))
            return fail(c, g, "%s: '%s' is already an alias", what, a->from);
    if (jm_params_find(&s->params, a->from) >= 0)
        return fail(c, g, "%s: '%s' is a parameter of the console itself", what, a->from);
    return 0;
}

static int read_aliases(ctx_t *c, const config_setting_t *list)
{
    if (expect_list(c, list, "aliases") < 0) return -1;
    int n = config_setting_length(list);
    if (n > JM_ALIAS_MAX) return fail(c, list, "too many aliases (at most %d)", JM_ALIAS_MAX);
    c->s->aliases = calloc(n ? (size_t)n : 1, sizeof *c->s->aliases);
    if (!c->s->aliases) return fail(c, list, "out of memory");
    c->s->n_aliases = n;
    for (int i = 0; i < n; i++)
        if (read_alias(c, config_setting_get_elem(list, (unsigned)i), i) < 0) return -1;
    return 0;
}

static int read_x32(ctx_t *c, const config_setting_t *g)
{
    c->s->x32_port = 10023;
    for (int k = 0; k < config_setting_length(g); k++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)k);
        if (strcmp(config_setting_name(m), "port"))
            return fail(c, m, "unknown key '%s' in x32", config_setting_name(m));
        if (read_int(c, m, "x32.port", 1, 65535, &c->s->x32_port) < 0) return -1;
    }
    if (c->s->x32_port == c->s->osc_port)
        return fail(c, g, "x32.port: %d is already the OSC port", c->s->x32_port);
    return 0;
}

/* web = { port = N; } (docs/session.md): the HTTP/WebSocket port; 8080 when the
 * group is there without a port. TCP, so it may equal osc.port (UDP). */
static int read_web(ctx_t *c, const config_setting_t *g)
{
    c->s->web_port = 8080;
    for (int k = 0; k < config_setting_length(g); k++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)k);
        if (strcmp(config_setting_name(m), "port"))
            return fail(c, m, "unknown key '%s' in web", config_setting_name(m));
        if (read_int(c, m, "web.port", 1, 65535, &c->s->web_port) < 0) return -1;
    }
    return 0;
}

/* The directory part of path ("" when none), for relative @include. */
static void dir_of(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    size_t len = slash ? (size_t)(slash - path) : 0;
    if (slash && len == 0) len = 1; /* "/x.cfg" */
    if (len >= cap) len = 0;
    memcpy(out, path, len);
    out[len] = '\0';
}

/* libconfig 1.5 calls exit() when an @include names a folder or nothing:
 * check every @include (and theirs) names a regular file first. */
static int check_includes(const char *file, const char *dir, int depth, char *err, size_t errlen)
{
    FILE *f = fopen(file, "r");
    if (!f) return 0; /* libconfig reports what it cannot open */
    char line[2048];
    int lineno = 0, rc = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        lineno++;
        const char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (strncmp(p, "@include", 8)) continue;
        const char *q = strchr(p + 8, '"'), *e = q ? strchr(q + 1, '"') : NULL;
        if (!q || !e) continue; /* a syntax error libconfig will name */
        char name[1024], full[2100];
        size_t n = (size_t)(e - q - 1);
        if (n >= sizeof name) n = sizeof name - 1;
        memcpy(name, q + 1, n);
        name[n] = '\0';
        if (name[0] == '/' || !*dir) snprintf(full, sizeof full, "%s", name);
        else snprintf(full, sizeof full, "%s/%s", dir, name);
        struct stat st;
        if (!*name || stat(full, &st) || !S_ISREG(st.st_mode)) {
            snprintf(err, errlen, "%s:%d: @include \"%s\" does not name a file", file, lineno,
                     name);
            rc = -1;
        } else if (depth >= 8) {
            snprintf(err, errlen, "%s:%d: @include nested too deep", file, lineno);
            rc = -1;
        } else {
            rc = check_includes(full, dir, depth + 1, err, errlen);
        }
    }
    fclose(f);
    return rc;
}

int jm_session_load(jm_session_t *s, const char *path, char *err, size_t errlen)
{
    char dummy[1];
    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    memset(s, 0, sizeof *s);
    ctx_t c = {.s = s, .path = path ? path : "", .err = err, .errlen = errlen};
    if (!path || !*path) {
        snprintf(err, errlen, ":0: no session file given");
        return -1;
    }
    if (strlen(path) >= sizeof s->path) {
        snprintf(err, errlen, "%.200s...:0: the file name is too long", path);
        return -1;
    }

    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s:0: cannot open the session file: %s", path, strerror(errno));
        return -1;
    }
    fclose(f);

    char dir[1024];
    dir_of(path, dir, sizeof dir);
    if (check_includes(path, dir, 0, err, errlen)) return -1;
    config_t cfg;
    config_init(&cfg);
    if (*dir) config_set_include_dir(&cfg, dir);
    if (config_read_file(&cfg, path) != CONFIG_TRUE) {
        const char *ef = config_error_file(&cfg);
        if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO && !ef)
            snprintf(err, errlen, "%s:0: cannot read the session file", path);
        else
            snprintf(err, errlen, "%s:%d: %s", ef ? ef : path, config_error_line(&cfg),
                     config_error_text(&cfg));
        config_destroy(&cfg);
        return -1;
    }

    memcpy(s->path, path, strlen(path) + 1);
    set_defaults(s);
    int rc = load(&c, &cfg);
    config_destroy(&cfg);
    if (rc < 0) {
        jm_session_free(s);
        return -1;
    }
    return 0;
}

void jm_session_free(jm_session_t *s)
{
    if (!s) return;
    free(s->strips);
    free(s->strip_names);
    free(s->bus_names);
    free(s->values);
    for (int i = 0; i < s->n_lanes; i++) free(s->lanes[i].points);
    free(s->lanes);
    free(s->aliases);
    jm_params_free(&s->params);
    memset(s, 0, sizeof *s);
}
