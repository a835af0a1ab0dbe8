/* Writing the session file (docs/session.md): the inverse of session.c.
 *
 * Three steps: check that everything would load again (no disk access),
 * render the text into memory, then write it atomically (PATH.tmp, fsync,
 * rename, fsync of the folder). The text is written by hand rather than
 * through libconfig's writer so that numbers are exact and stable: the
 * shortest decimal that reads back to the same float, always with a decimal
 * point so that libconfig types it as a float. */
#include "jmixd/session/save.h"

#include "jmixd/version.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* -------------------------------------------------------------- errors -- */

typedef struct {
    const char *path;
    char *err;
    size_t errlen;
} ectx_t;

__attribute__((format(printf, 2, 3)))
static int fail(ectx_t *e, const char *fmt, ...)
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

/* ------------------------------------------------------- text buffer -- */

typedef struct {
    char *buf;
    size_t len, cap;
    int oom;
} sbuf_t;

static void sb_putn(sbuf_t *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1) cap *= 2;
        char *nb = realloc(b->buf, cap);
        if (!nb) {
            b->oom = 1;
            return;
        }
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

static void sb_puts(sbuf_t *b, const char *s) { sb_putn(b, s, strlen(s)); }

__attribute__((format(printf, 2, 3)))
static void sb_printf(sbuf_t *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        b->oom = 1; /* never: callers print short items only */
        return;
    }
    sb_putn(b, tmp, (size_t)n);
}

static void sb_indent(sbuf_t *b, int depth)
{
    for (int i = 0; i < depth; i++) sb_puts(b, "  ");
}

/* A libconfig string literal. The scanner knows \\ \" \n \r \t \f and \xHH;
 * every other byte (UTF-8 included) stands for itself. */
static void sb_string(sbuf_t *b, const char *s)
{
    sb_putn(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': sb_puts(b, "\\\""); break;
        case '\\': sb_puts(b, "\\\\"); break;
        case '\n': sb_puts(b, "\\n"); break;
        case '\r': sb_puts(b, "\\r"); break;
        case '\t': sb_puts(b, "\\t"); break;
        case '\f': sb_puts(b, "\\f"); break;
        default:
            if (*p < 0x20 || *p == 0x7f) sb_printf(b, "\\x%02x", *p);
            else sb_putn(b, (const char *)p, 1);
        }
    }
    sb_putn(b, "\"", 1);
}

/* ------------------------------------------------------------ numbers -- */

/* 1 when TEXT reads back (as libconfig + the loader do: strtod, then a
 * cast to float for floats) to exactly the bits of v. */
static int reads_back(const char *text, double v, int is_float)
{
    double d = strtod(text, NULL);
    if (is_float) {
        float f = (float)d, fv = (float)v;
        return memcmp(&f, &fv, sizeof f) == 0;
    }
    return memcmp(&d, &v, sizeof d) == 0;
}

/* The shortest decimal for v (a float when is_float, else a double) that
 * reads back exactly, in plain notation when reasonable, always with a '.'
 * so that libconfig sees a float ("1" would be an integer). The caller runs
 * under the C numeric locale. v must be finite. */
static void fmt_real(char *out, size_t cap, double v, int is_float)
{
    char e_form[48], f_form[400];
    int maxp = is_float ? 9 : 17, p;
    for (p = 1; p < maxp; p++) {
        snprintf(e_form, sizeof e_form, "%.*e", p - 1, v);
        if (reads_back(e_form, v, is_float)) break;
    }
    snprintf(e_form, sizeof e_form, "%.*e", p - 1, v); /* p == maxp always reads back */
    const char *ep = strchr(e_form, 'e');
    int exp10 = ep ? atoi(ep + 1) : 0;
    if (exp10 >= -5 && exp10 < 16) {
        int dec = p - 1 - exp10;
        if (dec < 1) dec = 1;
        snprintf(f_form, sizeof f_form, "%.*f", dec, v);
        if (reads_back(f_form, v, is_float) && strlen(f_form) < cap) {
            memcpy(out, f_form, strlen(f_form) + 1);
            return;
        }
    }
    /* "2e+30" -> "2.0e+30" */
    if (ep && !memchr(e_form, '.', (size_t)(ep - e_form)))
        snprintf(out, cap, "%.*s.0%s", (int)(ep - e_form), e_form, ep);
    else
        snprintf(out, cap, "%s", e_form);
}

static void sb_real(sbuf_t *b, double v, int is_float)
{
    char tmp[64];
    fmt_real(tmp, sizeof tmp, v, is_float);
    sb_puts(b, tmp);
}

/* --------------------------------------------------------- validation -- */

/* Checks mirror the loader's (session.c): whatever passes here loads. */

static int terminated(const char *s, size_t cap) { return memchr(s, '\0', cap) != NULL; }


/* libconfig reads true/false (any case) as booleans, never as setting names;
 * a bus so named cannot appear as a key in a strip's send group. */
static int name_is_keyword(const char *n) { return !strcasecmp(n, "true") || !strcasecmp(n, "false"); }

static int port_valid(const char *port, size_t cap)
{
    return terminated(port, cap) && port[0] && port[0] != ':' && strchr(port, ':');
}

static int ipv4_valid(const char *text)
{
    jm_cidr_t c;
    return !strchr(text, '/') && jm_cidr_parse(text, &c) == 0;
}

/* Prefix length of a contiguous mask, or -1. */
static int mask_len(uint32_t mask)
{
    int len = 0;
    while (len < 32 && (mask & (0x80000000u >> len))) len++;
    uint32_t want = len == 0 ? 0u : 0xffffffffu << (32 - len);
    return mask == want ? len : -1;
}

static int check_ports(ectx_t *e, const char *what, int n, int max,
                       const char (*ports)[JM_PORT_NAME_MAX])
{
    if (n < 0 || n > max) return fail(e, "%s: %d ports (at most %d)", what, n, max);
    for (int i = 0; i < n; i++)
        if (!port_valid(ports[i], JM_PORT_NAME_MAX))
            return fail(e, "%s[%d]: '%.*s' is not a JACK port name (client:port)", what, i + 1,
                        JM_PORT_NAME_MAX - 1, ports[i]);
    return 0;
}

static int owner_ok(const jm_session_t *s, const jm_param_t *p)
{
    switch (p->scope) {
    case JM_SCOPE_STRIP: return p->owner < s->n_strips;
    case JM_SCOPE_BUS: return p->owner < s->n_buses;
    case JM_SCOPE_MASTER: return 1;
    default: return 0;
    }
}

static int check_value(ectx_t *e, const jm_param_t *p, float v)
{
    const jm_param_def_t *d = p->def;
    if (!isfinite(v)) return fail(e, "%s: the value is not a number", p->name_path);
    if (jm_param_is_bool(d)) return 0; /* written as v >= 0.5 */
    if (!(v >= d->min && v <= d->max))
        return fail(e, "%s: %g is out of range %g..%g", p->name_path, (double)v, (double)d->min,
                    (double)d->max);
    return 0;
}

static int check_lanes(ectx_t *e, const jm_session_t *s, const jm_lane_cfg_t *lanes, int n_lanes,
                       unsigned char *has_lane);

static int check_session(ectx_t *e, const jm_session_t *s, const float *values,
                         const jm_lane_cfg_t *lanes, int n_lanes)
{
    if (!terminated(s->jack_name, sizeof s->jack_name) || !s->jack_name[0])
        return fail(e, "jack.name is empty");
    if (!terminated(s->jack_server, sizeof s->jack_server))
        return fail(e, "jack.server is not a string");
    if (s->osc_port < 1 || s->osc_port > 65535)
        return fail(e, "osc.port %d is out of range 1..65535", s->osc_port);
    if (!terminated(s->osc_bind, sizeof s->osc_bind) || !ipv4_valid(s->osc_bind))
        return fail(e, "osc.bind is not an IPv4 address");
    if (s->n_allow < 0 || s->n_allow > JM_MAX_ALLOW)
        return fail(e, "osc.allow: %d ranges (at most %d)", s->n_allow, JM_MAX_ALLOW);
    for (int i = 0; i < s->n_allow; i++)
        if (mask_len(s->allow[i].mask) < 0)
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
        int max = st->channels * 8 < JM_MAX_PORTS_PER_LIST ? st->channels * 8 : JM_MAX_PORTS_PER_LIST;
        snprintf(what, sizeof what, "strip '%s' input", st->name);
        if (check_ports(e, what, st->n_inputs, max, st->inputs) < 0) return -1;
        if (!terminated(st->file, sizeof st->file))
            return fail(e, "strip '%s': file is not a string", st->name);
    }
    if (s->n_buses < 0 || s->n_buses > JM_MAX_BUSES)
        return fail(e, "bad bus count %d (at most %d)", s->n_buses, JM_MAX_BUSES);
    for (int i = 0; i < s->n_buses; i++) {
        const jm_bus_cfg_t *b = &s->buses[i];
        if (!terminated(b->name, sizeof b->name) || !jm_session_name_valid(b->name))
            return fail(e, "buses[%d]: not a valid name", i + 1);
        for (int j = 0; j < i; j++)
            if (!strcmp(s->buses[j].name, b->name))
                return fail(e, "duplicate bus name '%s'", b->name);
        if (!terminated(b->type, sizeof b->type) ||
            (strcmp(b->type, "reverb") && strcmp(b->type, "delay")))
            return fail(e, "bus '%s': type is not \"reverb\" or \"delay\"", b->name);
    }
    if (check_ports(e, "master.output", s->n_master_outputs, JM_MAX_PORTS_PER_LIST,
                    s->master_outputs) < 0)
        return -1;

    if (s->params.n > 0 && (!s->params.p || !values))
        return fail(e, "the session has no parameter values");
    for (size_t i = 0; i < s->params.n; i++) {
        const jm_param_t *p = &s->params.p[i];
        if (!p->def || !owner_ok(s, p) || !terminated(p->key, sizeof p->key) || !p->key[0])
            return fail(e, "parameter %zu does not belong to this session", i + 1);
        if (check_value(e, p, values[i]) < 0) return -1;
        /* send.{bus}.x under a bus named true/false: only writable (by
         * leaving it out) while it holds its default */
        if (p->def->field == JM_SF_SEND_LEVEL || p->def->field == JM_SF_SEND_PRE) {
            if (p->scope == JM_SCOPE_STRIP && p->sub < s->n_buses &&
                name_is_keyword(s->buses[p->sub].name) && values[i] != p->defval)
                return fail(e,
                            "%s: a bus named '%s' cannot be a key in a session file (libconfig "
                            "reads it as a boolean); rename the bus",
                            p->name_path, s->buses[p->sub].name);
        }
    }

    if (n_lanes < 0 || (n_lanes > 0 && !lanes)) return fail(e, "bad lane count %d", n_lanes);
    if (n_lanes == 0) return 0;
    unsigned char *has_lane = calloc(s->params.n ? s->params.n : 1, 1);
    if (!has_lane) return fail(e, "out of memory");
    int rc = check_lanes(e, s, lanes, n_lanes, has_lane);
    free(has_lane);
    return rc;
}

static int check_lanes(ectx_t *e, const jm_session_t *s, const jm_lane_cfg_t *lanes, int n_lanes,
                       unsigned char *has_lane)
{
    for (int i = 0; i < n_lanes; i++) {
        const jm_lane_cfg_t *l = &lanes[i];
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
            const jm_autopoint_t *pt = &l->points[k];
            if (!(pt->t >= 0.0 && pt->t <= 1e7))
                return fail(e, "automation[%d] '%s': point %d: time %g is not 0..1e7 s", i + 1,
                            p->name_path, k + 1, pt->t);
            if (pt->t < prev)
                return fail(e, "automation[%d] '%s': point %d: time %g comes after %g", i + 1,
                            p->name_path, k + 1, pt->t, prev);
            prev = pt->t;
            if (!(pt->v >= p->def->min && pt->v <= p->def->max))
                return fail(e, "automation[%d] '%s': point %d: value %g is out of range %g..%g",
                            i + 1, p->name_path, k + 1, (double)pt->v, (double)p->def->min,
                            (double)p->def->max);
        }
    }
    return 0;
}

/* ----------------------------------------------------------- rendering -- */

typedef struct {
    sbuf_t *b;
    const jm_session_t *s;
    const float *values;
    const int *idx; /* the parameters of one owner, in table order */
    int k;
} owner_out_t;

static void put_value(sbuf_t *b, const jm_param_t *p, float v)
{
    if (jm_param_is_bool(p->def)) sb_puts(b, v >= 0.5f ? "true" : "false");
    else sb_real(b, v, 1);
}

/* Keys with omitted parameters (see check_session): sends to a bus named
 * true/false, which hold their default. */
static int param_skipped(const jm_session_t *s, const jm_param_t *p)
{
    return p->scope == JM_SCOPE_STRIP &&
           (p->def->field == JM_SF_SEND_LEVEL || p->def->field == JM_SF_SEND_PRE) &&
           p->sub < s->n_buses && name_is_keyword(s->buses[p->sub].name);
}

/* Settings of the owner whose key starts with prefix ("" or "eq." ...):
 * leaves as "name = value;", deeper keys as nested groups, in the order of
 * first appearance. */
static void emit_level(const owner_out_t *o, const char *prefix, int depth)
{
    size_t pl = strlen(prefix);
    for (int i = 0; i < o->k; i++) {
        const jm_param_t *p = &o->s->params.p[o->idx[i]];
        if (strncmp(p->key, prefix, pl)) continue;
        const char *comp = p->key + pl;
        size_t cl = strcspn(comp, ".");
        int seen = 0;
        for (int j = 0; j < i && !seen; j++) {
            const char *kj = o->s->params.p[o->idx[j]].key;
            seen = !strncmp(kj, prefix, pl) && !strncmp(kj + pl, comp, cl) &&
                   (kj[pl + cl] == '.' || kj[pl + cl] == '\0');
        }
        if (seen) continue;
        sb_indent(o->b, depth);
        sb_putn(o->b, comp, cl);
        if (comp[cl] == '\0') {
            sb_puts(o->b, " = ");
            put_value(o->b, p, o->values[o->idx[i]]);
            sb_puts(o->b, ";\n");
        } else {
            char sub[JM_PATH_MAX + 1];
            snprintf(sub, sizeof sub, "%.*s.", (int)(pl + cl), p->key);
            sb_puts(o->b, " = {\n");
            emit_level(o, sub, depth + 1);
            sb_indent(o->b, depth);
            sb_puts(o->b, "};\n");
        }
    }
}

/* Every parameter of one owner, as settings at the given depth. idx is
 * scratch space for s->params.n indexes. */
static void emit_params(sbuf_t *b, const jm_session_t *s, const float *values, int *idx,
                        jm_scope_t scope, int owner, int depth)
{
    owner_out_t o = {.b = b, .s = s, .values = values, .idx = idx, .k = 0};
    for (size_t i = 0; i < s->params.n; i++) {
        const jm_param_t *p = &s->params.p[i];
        if (p->scope != scope || (scope != JM_SCOPE_MASTER && p->owner != owner)) continue;
        if (param_skipped(s, p)) continue;
        idx[o.k++] = (int)i;
    }
    emit_level(&o, "", depth);
}

static void emit_ports(sbuf_t *b, const char *key, int n, const char (*ports)[JM_PORT_NAME_MAX],
                       int depth)
{
    sb_indent(b, depth);
    sb_puts(b, key);
    sb_puts(b, " = [");
    for (int i = 0; i < n; i++) {
        sb_puts(b, i ? ", " : " ");
        sb_string(b, ports[i]);
    }
    sb_puts(b, " ];\n");
}

static void render(sbuf_t *b, const jm_session_t *s, const float *values,
                   const jm_lane_cfg_t *lanes, int n_lanes, int *idx)
{
    sb_puts(b, "# jmixd " JMIXD_VERSION " session (written by /session/save)\n\n");

    sb_puts(b, "jack = {\n  name = ");
    sb_string(b, s->jack_name);
    sb_puts(b, ";\n  server = ");
    sb_string(b, s->jack_server);
    sb_puts(b, ";\n};\n\n");

    sb_printf(b, "osc = {\n  port = %d;\n  bind = ", s->osc_port);
    sb_string(b, s->osc_bind);
    sb_puts(b, ";\n  allow = [");
    for (int i = 0; i < s->n_allow; i++) {
        uint32_t a = s->allow[i].addr & s->allow[i].mask;
        sb_printf(b, "%s\"%u.%u.%u.%u/%d\"", i ? ", " : " ", (unsigned)(a >> 24),
                  (unsigned)(a >> 16) & 255u, (unsigned)(a >> 8) & 255u, (unsigned)a & 255u,
                  mask_len(s->allow[i].mask));
    }
    sb_puts(b, " ];\n  meter_rate = ");
    sb_real(b, s->meter_rate, 1);
    sb_puts(b, ";\n  clients = (");
    for (int i = 0; i < s->n_clients; i++) {
        const jm_osc_client_cfg_t *c = &s->clients[i];
        sb_puts(b, i ? ",\n    { host = " : "\n    { host = ");
        sb_string(b, c->host);
        sb_printf(b, "; port = %d; style = \"%s\"; }", c->port, c->norm ? "norm" : "units");
    }
    sb_puts(b, s->n_clients ? "\n  );\n};\n\n" : " );\n};\n\n");

    if (s->state[0]) {
        sb_puts(b, "state = ");
        sb_string(b, s->state);
        sb_puts(b, ";\n\n");
    }

    sb_puts(b, "strips = (");
    for (int i = 0; i < s->n_strips; i++) {
        const jm_strip_cfg_t *st = &s->strips[i];
        sb_puts(b, i ? ",\n  {\n    name = " : "\n  {\n    name = ");
        sb_string(b, st->name);
        sb_printf(b, ";\n    channels = %d;\n", st->channels);
        emit_ports(b, "input", st->n_inputs, (const char (*)[JM_PORT_NAME_MAX])st->inputs, 2);
        if (st->file[0]) {
            sb_puts(b, "    file = ");
            sb_string(b, st->file);
            sb_puts(b, ";\n");
        }
        emit_params(b, s, values, idx, JM_SCOPE_STRIP, i, 2);
        sb_puts(b, "  }");
    }
    sb_puts(b, s->n_strips ? "\n);\n\n" : " );\n\n");

    sb_puts(b, "buses = (");
    for (int i = 0; i < s->n_buses; i++) {
        const jm_bus_cfg_t *bus = &s->buses[i];
        sb_puts(b, i ? ",\n  {\n    name = " : "\n  {\n    name = ");
        sb_string(b, bus->name);
        sb_puts(b, ";\n    type = ");
        sb_string(b, bus->type);
        sb_puts(b, ";\n");
        emit_params(b, s, values, idx, JM_SCOPE_BUS, i, 2);
        sb_puts(b, "  }");
    }
    sb_puts(b, s->n_buses ? "\n);\n\n" : " );\n\n");

    sb_puts(b, "master = {\n");
    emit_ports(b, "output", s->n_master_outputs,
               (const char (*)[JM_PORT_NAME_MAX])s->master_outputs, 1);
    emit_params(b, s, values, idx, JM_SCOPE_MASTER, 0, 1);
    sb_puts(b, "};\n");

    if (n_lanes > 0) {
        sb_puts(b, "\nautomation = (");
        for (int i = 0; i < n_lanes; i++) {
            const jm_lane_cfg_t *l = &lanes[i];
            sb_puts(b, i ? ",\n  {\n    param = " : "\n  {\n    param = ");
            sb_string(b, s->params.p[l->param].name_path);
            sb_puts(b, ";\n    mode = ");
            sb_string(b, jm_automode_name(l->mode));
            sb_puts(b, ";\n    points = (");
            for (int k = 0; k < l->n_points; k++) {
                sb_puts(b, k ? ",\n      (" : "\n      (");
                sb_real(b, l->points[k].t, 0);
                sb_puts(b, ", ");
                sb_real(b, l->points[k].v, 1);
                sb_puts(b, ")");
            }
            sb_puts(b, l->n_points ? "\n    );\n  }" : " );\n  }");
        }
        sb_puts(b, "\n);\n");
    }
    if (s->n_aliases > 0) {
        sb_puts(b, "\naliases = (");
        for (int i = 0; i < s->n_aliases; i++) {
            sb_puts(b, i ? ",\n  { from = " : "\n  { from = ");
            sb_string(b, s->aliases[i].from);
            sb_puts(b, "; to = ");
            sb_string(b, s->aliases[i].to);
            sb_puts(b, "; }");
        }
        sb_puts(b, "\n);\n");
    }
    if (s->x32_port) sb_printf(b, "\nx32 = { port = %d; };\n", s->x32_port);
    if (s->web_port) sb_printf(b, "\nweb = { port = %d; };\n", s->web_port);
}

/* ------------------------------------------------------- atomic write -- */

/* The folder of path: "." when it has none, "/" for "/x". */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    size_t len = slash == path ? 1 : (size_t)(slash - path);
    char *d = malloc(len + 1);
    if (!d) return NULL;
    memcpy(d, path, len);
    d[len] = '\0';
    return d;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (n == 0) {
            errno = EIO;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static int write_atomic(ectx_t *e, const char *path, const char *data, size_t len)
{
    int rc = -1, fd = -1, dfd = -1, created = 0;
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 5);
    char *dir = dir_of(path);
    if (!tmp || !dir) {
        fail(e, "out of memory");
        goto out;
    }
    memcpy(tmp, path, pl);
    memcpy(tmp + pl, ".tmp", 5);

    /* The folder first: a failure here leaves everything untouched. */
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        fail(e, "cannot open the folder '%s': %s", dir, strerror(errno));
        goto out;
    }
    struct stat st;
    int have_old = stat(path, &st) == 0;
    if (have_old && !S_ISREG(st.st_mode)) {
        fail(e, "exists and is not a regular file");
        goto out;
    }

    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd < 0) {
        fail(e, "cannot create '%s': %s", tmp, strerror(errno));
        goto out;
    }
    created = 1;
    if (have_old) (void)fchmod(fd, st.st_mode & 07777); /* keep the old permissions */
    if (write_all(fd, data, len) < 0) {
        fail(e, "cannot write '%s': %s", tmp, strerror(errno));
        goto out;
    }
    if (fsync(fd) < 0) {
        fail(e, "cannot sync '%s': %s", tmp, strerror(errno));
        goto out;
    }
    int cr = close(fd);
    fd = -1;
    if (cr < 0) {
        fail(e, "cannot close '%s': %s", tmp, strerror(errno));
        goto out;
    }
    if (rename(tmp, path) < 0) {
        fail(e, "cannot rename '%s' over it: %s", tmp, strerror(errno));
        goto out;
    }
    created = 0;
    if (fsync(dfd) < 0 && errno != EINVAL && errno != ENOTSUP) {
        fail(e, "the session was written, but syncing the folder '%s' failed: %s", dir,
             strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0) close(fd);
    if (created) unlink(tmp);
    if (dfd >= 0) close(dfd);
    free(tmp);
    free(dir);
    return rc;
}

/* ------------------------------------------------------------- public -- */

int jm_session_save(const jm_session_t *s, const float *values, const jm_lane_cfg_t *lanes,
                    int n_lanes, const char *path, char *err, size_t errlen)
{
    char dummy[1];
    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    ectx_t e = {.path = path && *path ? path : "(no path)", .err = err, .errlen = errlen};
    if (!path || !*path) return fail(&e, "no file name given");
    if (!s) return fail(&e, "no session");
    if (!values) values = s->values;
    if (check_session(&e, s, values, lanes, n_lanes) < 0) return -1;

    /* Numbers in the C locale whatever the process locale is (per thread). */
    locale_t cloc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (cloc == (locale_t)0) return fail(&e, "cannot create the C locale: %s", strerror(errno));
    locale_t old = uselocale(cloc);

    sbuf_t b = {0};
    int *idx = malloc((s->params.n ? s->params.n : 1) * sizeof *idx);
    if (idx) render(&b, s, values, lanes, n_lanes, idx);
    else b.oom = 1;
    free(idx);

    uselocale(old);
    freelocale(cloc);

    int rc;
    if (b.oom || !b.buf) rc = fail(&e, "out of memory");
    else rc = write_atomic(&e, path, b.buf, b.len);
    free(b.buf);
    return rc;
}
