/* Writing the session file (docs/session.md): the inverse of session.c.
 *
 * Three steps: check that everything would load again (no disk access),
 * render the text into memory, then write it atomically (PATH.tmp, fsync,
 * rename, fsync of the folder). The text is written by hand rather than
 * through libconfig's writer so that numbers are exact and stable: the
 * shortest decimal that reads back to the same float, always with a decimal
 * point so that libconfig types it as a float. */
#include "jmixd/session/save.h"

#include "session_int.h"

#include "jmixd/util/atomicfile.h"
#include "jmixd/util/safefile.h"
#include "jmixd/util/text.h"
#include "jmixd/version.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------- text output -- */

static void sb_indent(jm_text_t *b, int depth)
{
    for (int i = 0; i < depth; i++) jm_text_puts(b, "  ");
}

/* A libconfig string literal. The scanner knows \\ \" \n \r \t \f and \xHH;
 * every other byte (UTF-8 included) stands for itself. */
static void sb_string(jm_text_t *b, const char *s)
{
    jm_text_put(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': jm_text_puts(b, "\\\""); break;
        case '\\': jm_text_puts(b, "\\\\"); break;
        case '\n': jm_text_puts(b, "\\n"); break;
        case '\r': jm_text_puts(b, "\\r"); break;
        case '\t': jm_text_puts(b, "\\t"); break;
        case '\f': jm_text_puts(b, "\\f"); break;
        default:
            if (*p < 0x20 || *p == 0x7f) jm_text_printf(b, "\\x%02x", *p);
            else jm_text_put(b, (const char *)p, 1);
        }
    }
    jm_text_put(b, "\"", 1);
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

static void sb_real(jm_text_t *b, double v, int is_float)
{
    char tmp[64];
    fmt_real(tmp, sizeof tmp, v, is_float);
    jm_text_puts(b, tmp);
}

/* ----------------------------------------------------------- rendering -- */

typedef struct {
    jm_text_t *b;
    const jm_session_t *s;
    const float *values;
    const int *idx; /* the parameters of one owner, in table order */
    int k;
} owner_out_t;

static void put_value(jm_text_t *b, const jm_param_t *p, float v)
{
    if (jm_param_is_bool(p->def)) jm_text_puts(b, v >= 0.5f ? "true" : "false");
    else sb_real(b, v, 1);
}

/* Keys with omitted parameters (see check_session): sends to a bus named
 * true/false, which hold their default. */
static int param_skipped(const jm_session_t *s, const jm_param_t *p)
{
    return p->scope == JM_SCOPE_STRIP &&
           (p->def->field == JM_SF_SEND_LEVEL || p->def->field == JM_SF_SEND_PRE) &&
           p->sub < s->n_buses && jm_sess_name_is_keyword(s->buses[p->sub].name);
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
        jm_text_put(o->b, comp, cl);
        if (comp[cl] == '\0') {
            jm_text_puts(o->b, " = ");
            put_value(o->b, p, o->values[o->idx[i]]);
            jm_text_puts(o->b, ";\n");
        } else {
            char sub[JM_PATH_MAX + 1];
            snprintf(sub, sizeof sub, "%.*s.", (int)(pl + cl), p->key);
            jm_text_puts(o->b, " = {\n");
            emit_level(o, sub, depth + 1);
            sb_indent(o->b, depth);
            jm_text_puts(o->b, "};\n");
        }
    }
}

/* Every parameter of one owner, as settings at the given depth. idx is
 * scratch space for s->params.n indexes. */
static void emit_params(jm_text_t *b, const jm_session_t *s, const float *values, int *idx,
                        jm_scope_t scope, int owner, int depth)
{
    owner_out_t o = {.b = b, .s = s, .values = values, .idx = idx, .k = 0};
    for (size_t i = 0; i < s->params.n; i++) {
        const jm_param_t *p = &s->params.p[i];
        if (p->scope != scope || (scope == JM_SCOPE_STRIP || scope == JM_SCOPE_BUS ? p->owner != owner : 0))
            continue;
        if (param_skipped(s, p)) continue;
        idx[o.k++] = (int)i;
    }
    emit_level(&o, "", depth);
}

static void emit_ports(jm_text_t *b, const char *key, int n, const char (*ports)[JM_PORT_NAME_MAX],
                       int depth)
{
    sb_indent(b, depth);
    jm_text_puts(b, key);
    jm_text_puts(b, " = [");
    for (int i = 0; i < n; i++) {
        jm_text_puts(b, i ? ", " : " ");
        sb_string(b, ports[i]);
    }
    jm_text_puts(b, " ];\n");
}

/* The header, jack, osc and state. */
static void render_settings(jm_text_t *b, const jm_session_t *s)
{
    jm_text_printf(b, "# jmixd " JMIXD_VERSION " session (written by %s)\n\n",
                   s->saved_by[0] ? s->saved_by : "/session/save");

    jm_text_puts(b, "jack = {\n  name = ");
    sb_string(b, s->jack_name);
    jm_text_puts(b, ";\n  server = ");
    sb_string(b, s->jack_server);
    jm_text_puts(b, ";\n};\n\n");

    jm_text_printf(b, "osc = {\n  port = %d;\n  bind = ", s->osc_port);
    sb_string(b, s->osc_bind);
    jm_text_puts(b, ";\n  allow = [");
    for (int i = 0; i < s->n_allow; i++) {
        char cidr[20];
        jm_cidr_format(&s->allow[i], cidr);
        jm_text_printf(b, "%s\"%s\"", i ? ", " : " ", cidr);
    }
    jm_text_puts(b, " ];\n");
    if (s->has_engineers) {
        jm_text_puts(b, "  engineers = [");
        for (int i = 0; i < s->n_engineers; i++) {
            char cidr[20];
            jm_cidr_format(&s->engineers[i], cidr);
            jm_text_printf(b, "%s\"%s\"", i ? ", " : " ", cidr);
        }
        jm_text_puts(b, " ];\n");
    }
    jm_text_puts(b, "  meter_rate = ");
    sb_real(b, s->meter_rate, 1);
    jm_text_puts(b, ";\n  clients = (");
    for (int i = 0; i < s->n_clients; i++) {
        const jm_osc_client_cfg_t *c = &s->clients[i];
        jm_text_puts(b, i ? ",\n    { host = " : "\n    { host = ");
        sb_string(b, c->host);
        jm_text_printf(b, "; port = %d; style = \"%s\"; }", c->port, c->norm ? "norm" : "units");
    }
    jm_text_puts(b, s->n_clients ? "\n  );\n};\n\n" : " );\n};\n\n");

    if (s->state[0]) {
        jm_text_puts(b, "state = ");
        sb_string(b, s->state);
        jm_text_puts(b, ";\n\n");
    }
    if (s->recordings[0]) {
        jm_text_puts(b, "recordings = ");
        sb_string(b, s->recordings);
        jm_text_puts(b, ";\n\n");
    }
    if (s->sessions[0]) {
        jm_text_puts(b, "sessions = ");
        sb_string(b, s->sessions);
        jm_text_puts(b, ";\n\n");
    }
    if (s->record_min_free_mb != 1024)
        jm_text_printf(b, "record_min_free_mb = %d;\n\n", s->record_min_free_mb);
}

/* "(" list items: item i opens with its name; the list closes after n. */
static void item_open(jm_text_t *b, int i, const char *name)
{
    jm_text_puts(b, i ? ",\n  {\n    name = " : "\n  {\n    name = ");
    sb_string(b, name);
}

static void list_close(jm_text_t *b, int n)
{
    jm_text_puts(b, n ? "\n);\n\n" : " );\n\n");
}

/* Strips, buses and master with every parameter. */
static void render_console(jm_text_t *b, const jm_session_t *s, const float *values, int *idx)
{
    jm_text_puts(b, "strips = (");
    for (int i = 0; i < s->n_strips; i++) {
        const jm_strip_cfg_t *st = &s->strips[i];
        item_open(b, i, st->name);
        jm_text_printf(b, ";\n    channels = %d;\n", st->channels);
        emit_ports(b, "input", st->n_inputs, (const char (*)[JM_PORT_NAME_MAX])st->inputs, 2);
        if (st->file[0]) {
            jm_text_puts(b, "    file = ");
            sb_string(b, st->file);
            jm_text_puts(b, ";\n");
        }
        emit_params(b, s, values, idx, JM_SCOPE_STRIP, i, 2);
        jm_text_puts(b, "  }");
    }
    list_close(b, s->n_strips);

    jm_text_puts(b, "buses = (");
    for (int i = 0; i < s->n_buses; i++) {
        const jm_bus_cfg_t *bus = &s->buses[i];
        item_open(b, i, bus->name);
        jm_text_puts(b, ";\n    type = ");
        sb_string(b, bus->type);
        jm_text_puts(b, ";\n");
        if (!strcmp(bus->type, "aux")) {
            jm_text_printf(b, "    channels = %d;\n", bus->channels);
            emit_ports(b, "output", bus->n_outputs, (const char (*)[JM_PORT_NAME_MAX])bus->outputs, 2);
        }
        emit_params(b, s, values, idx, JM_SCOPE_BUS, i, 2);
        jm_text_puts(b, "  }");
    }
    list_close(b, s->n_buses);

    jm_text_puts(b, "master = {\n");
    emit_ports(b, "output", s->n_master_outputs,
               (const char (*)[JM_PORT_NAME_MAX])s->master_outputs, 1);
    emit_params(b, s, values, idx, JM_SCOPE_MASTER, 0, 1);
    jm_text_puts(b, "};\n");
    if (s->has_monitor) {
        jm_text_puts(b, "monitor = {\n");
        emit_ports(b, "output", s->n_monitor_outputs,
                   (const char (*)[JM_PORT_NAME_MAX])s->monitor_outputs, 1);
        emit_params(b, s, values, idx, JM_SCOPE_MONITOR, 0, 1);
        jm_text_puts(b, "};\n");
    }
    if (s->has_talkback) {
        jm_text_puts(b, "talkback = {\n");
        emit_ports(b, "input", s->n_talkback_inputs,
                   (const char (*)[JM_PORT_NAME_MAX])s->talkback_inputs, 1);
        jm_text_puts(b, "  buses = [");
        for (int i = 0, k = 0; i < s->n_buses; i++) {
            if (!s->talkback_bus[i]) continue;
            jm_text_puts(b, k++ ? ", " : " ");
            sb_string(b, s->buses[i].name);
        }
        jm_text_puts(b, " ];\n");
        emit_params(b, s, values, idx, JM_SCOPE_TALKBACK, 0, 1);
        jm_text_puts(b, "};\n");
    }
}

/* Automation lanes, aliases and the optional surfaces. */
static void render_extras(jm_text_t *b, const jm_session_t *s, const jm_lane_cfg_t *lanes,
                          int n_lanes)
{
    if (n_lanes > 0) {
        jm_text_puts(b, "\nautomation = (");
        for (int i = 0; i < n_lanes; i++) {
            const jm_lane_cfg_t *l = &lanes[i];
            jm_text_puts(b, i ? ",\n  {\n    param = " : "\n  {\n    param = ");
            sb_string(b, s->params.p[l->param].name_path);
            jm_text_puts(b, ";\n    mode = ");
            sb_string(b, jm_automode_name(l->mode));
            jm_text_puts(b, ";\n    points = (");
            for (int k = 0; k < l->n_points; k++) {
                jm_text_puts(b, k ? ",\n      (" : "\n      (");
                sb_real(b, l->points[k].t, 0);
                jm_text_puts(b, ", ");
                sb_real(b, l->points[k].v, 1);
                jm_text_puts(b, ")");
            }
            jm_text_puts(b, l->n_points ? "\n    );\n  }" : " );\n  }");
        }
        jm_text_puts(b, "\n);\n");
    }
    if (s->n_aliases > 0) {
        jm_text_puts(b, "\naliases = (");
        for (int i = 0; i < s->n_aliases; i++) {
            jm_text_puts(b, i ? ",\n  { from = " : "\n  { from = ");
            sb_string(b, s->aliases[i].from);
            jm_text_puts(b, "; to = ");
            sb_string(b, s->aliases[i].to);
            jm_text_puts(b, "; }");
        }
        jm_text_puts(b, "\n);\n");
    }
    if (s->n_performers > 0) {
        /* the PINs are the administrator's, as in the file that was loaded */
        jm_text_puts(b, "\nperformers = (");
        for (int i = 0; i < s->n_performers; i++) {
            const jm_performer_cfg_t *pf = &s->performers[i];
            jm_text_puts(b, i ? ",\n  { name = " : "\n  { name = ");
            sb_string(b, pf->name);
            jm_text_puts(b, "; bus = ");
            sb_string(b, s->buses[pf->bus].name);
            jm_text_puts(b, "; pin = ");
            sb_string(b, pf->pin);
            jm_text_puts(b, "; }");
        }
        jm_text_puts(b, "\n);\n");
    }
    if (s->has_playback) {
        jm_text_puts(b, "\nplayback = { take = ");
        sb_string(b, s->playback_take);
        jm_text_printf(b, "; loop = %s; play = %s; transport = %s; };\n",
                       s->playback_loop ? "true" : "false", s->playback_play ? "true" : "false",
                       s->playback_transport ? "true" : "false");
    }
    if (s->x32_port) jm_text_printf(b, "\nx32 = { port = %d; };\n", s->x32_port);
    if (s->xair_port) jm_text_printf(b, "\nxair = { port = %d; };\n", s->xair_port);
    if (s->web_port) {
        jm_text_printf(b, "\nweb = { port = %d;", s->web_port);
        if (s->web_idle_seconds) jm_text_printf(b, " idle_seconds = %d;", s->web_idle_seconds);
        for (int list = 0; list < 2; list++) {
            int n = list ? s->n_web_hosts : s->n_web_origins;
            if (!n) continue;
            jm_text_puts(b, list ? " hosts = [" : " origins = [");
            for (int i = 0; i < n; i++) {
                jm_text_puts(b, i ? ", " : " ");
                sb_string(b, list ? s->web_hosts[i] : s->web_origins[i]);
            }
            jm_text_puts(b, " ];");
        }
        jm_text_puts(b, " };\n");
    }
}

/* midi = { ... } with the bindings as they are now (learned ones too). */
static void render_midi(jm_text_t *b, const jm_session_t *s)
{
    const jm_midi_cfg_t *mc = &s->midi;
    if (!mc->enabled) return;
    jm_text_puts(b, "\nmidi = {\n");
    emit_ports(b, "input", mc->n_inputs, (const char (*)[JM_PORT_NAME_MAX])mc->inputs, 1);
    emit_ports(b, "output", mc->n_outputs, (const char (*)[JM_PORT_NAME_MAX])mc->outputs, 1);
    jm_text_puts(b, "  surface = ");
    sb_string(b, mc->surface);
    jm_text_puts(b, ";\n  map = (");
    for (int i = 0; i < mc->n_map; i++) {
        const jm_midi_binding_t *m = &mc->map[i];
        jm_text_puts(b, i ? ",\n    { path = " : "\n    { path = ");
        sb_string(b, s->params.p[m->param].name_path);
        if (m->kind == JM_MIDI_PITCHBEND) jm_text_puts(b, "; pitchbend = true");
        else jm_text_printf(b, "; %s = %d", m->kind == JM_MIDI_NOTE ? "note" : "cc", m->number);
        if (m->kind == JM_MIDI_CC14) jm_text_printf(b, "; lsb = %d", m->lsb);
        jm_text_printf(b, "; channel = %d;", m->channel);
        if (m->kind == JM_MIDI_NOTE)
            jm_text_puts(b, m->momentary ? " mode = \"momentary\";" : " mode = \"toggle\";");
        if (!m->feedback) jm_text_puts(b, " feedback = false;");
        jm_text_puts(b, " }");
    }
    jm_text_puts(b, mc->n_map ? "\n  );\n};\n" : " );\n};\n");
}

static void render(jm_text_t *b, const jm_session_t *s, const float *values,
                   const jm_lane_cfg_t *lanes, int n_lanes, int *idx)
{
    render_settings(b, s);
    render_console(b, s, values, idx);
    render_extras(b, s, lanes, n_lanes);
    render_midi(b, s);
}

/* ------------------------------------------------------------- public -- */

/* Check and render s into b; 0, or -1 with the error in e. */
static int render_checked(jm_sess_ectx_t *e, jm_text_t *b, const jm_session_t *s,
                          const float *values, const jm_lane_cfg_t *lanes, int n_lanes)
{
    if (!s) return jm_sess_efail(e, "no session");
    if (!values) values = s->values;
    if (jm_sess_check_save(e, s, values, lanes, n_lanes) < 0) return -1;

    /* Numbers in the C locale whatever the process locale is (per thread). */
    locale_t cloc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (cloc == (locale_t)0) return jm_sess_efail(e, "cannot create the C locale: %s", strerror(errno));
    locale_t old = uselocale(cloc);

    int *idx = malloc((s->params.n ? s->params.n : 1) * sizeof *idx);
    if (idx) render(b, s, values, lanes, n_lanes, idx);
    else b->oom = 1;
    free(idx);

    uselocale(old);
    freelocale(cloc);
    if (b->oom || !b->d) return jm_sess_efail(e, "out of memory");
    return 0;
}

int jm_session_save(const jm_session_t *s, const float *values, const jm_lane_cfg_t *lanes,
                    int n_lanes, const char *path, char *err, size_t errlen)
{
    char dummy[1];
    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    jm_sess_ectx_t e = {.path = path && *path ? path : "(no path)", .err = err, .errlen = errlen};
    if (!path || !*path) return jm_sess_efail(&e, "no file name given");
    jm_text_t b = {0};
    int rc = render_checked(&e, &b, s, values, lanes, n_lanes);
    if (rc == 0) {
        char why[JM_ERR_MAX];
        if ((rc = jm_atomic_write(path, b.d, b.n, why, sizeof why)) > 0)
            rc = jm_sess_efail(&e, "the session was written, but %s", why);
        else if (rc < 0)
            jm_sess_efail(&e, "%s", why);
    }
    jm_text_free(&b);
    return rc;
}

int jm_session_save_new(const jm_session_t *s, const float *values, const jm_lane_cfg_t *lanes,
                        int n_lanes, const char *dir, const char *name, char *err, size_t errlen)
{
    char dummy[1], why[128];
    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    jm_sess_ectx_t e = {.path = name && *name ? name : "(no name)", .err = err, .errlen = errlen};
    if (!dir || !*dir) return jm_sess_efail(&e, "no sessions folder");
    if (jm_safe_name_check(name, JM_SAFE_NAME_MAX, why, sizeof why))
        return jm_sess_efail(&e, "bad file name: %s", why);
    jm_text_t b = {0};
    int rc = render_checked(&e, &b, s, values, lanes, n_lanes);
    if (rc == 0 && jm_safe_mkdirs(dir, 0750) < 0)
        rc = jm_sess_efail(&e, "cannot create the sessions folder: %s", strerror(errno));
    int fd = -1;
    if (rc == 0 && (fd = jm_safe_create(dir, name, 0640)) < 0)
        rc = jm_sess_efail(&e, errno == EEXIST ? "exists already (a saved session is never "
                                                 "overwritten)" : "cannot create it: %s",
                           strerror(errno));
    if (fd >= 0) {
        const char *step = NULL;
        if (jm_write_all(fd, b.d, b.n) < 0) step = "write";
        else if (fsync(fd) < 0) step = "sync";
        int saved = errno;
        if (close(fd) < 0 && !step) step = "close", saved = errno;
        if (step) {
            jm_safe_unlink(dir, name); /* we made it: nothing half written stays */
            rc = jm_sess_efail(&e, "cannot %s it: %s", step, strerror(saved));
        }
    }
    jm_text_free(&b);
    return rc;
}
