/* The OSCQuery namespace (docs/osc.md, the OSCQuery proposal): a tree built once
 * from the parameter table's index-form paths, the name-form paths and the
 * session's aliases (each a node of its own with the parameter's TYPE,
 * RANGE and VALUE, in the alias's taper), and the meters (read-only);
 * written as JSON with the gateway's current values. */
#include "web_int.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define METER_FLOOR -120.0  /* dBFS, what the console sends for silence */

const char *jm_web_oq_type(const jm_param_def_t *d)
{
    return jm_param_is_bool(d) || d->taper == JM_TAPER_ENUM ? "i" : "f";
}

/* ---- building ---- */

static int add_node(jm_web_t *w, int parent, const char *name, size_t len)
{
    int last = -1;
    for (int k = w->nodes[parent].child; k >= 0; k = w->nodes[k].next) {
        if (strlen(w->nodes[k].name) == len && !strncmp(w->nodes[k].name, name, len)) return k;
        last = k;
    }
    const char *base = parent ? w->nodes[parent].full : "";
    size_t bl = strlen(base);
    if (!len || len >= JM_NAME_MAX || bl + 1 + len >= JM_PATH_MAX) return -1;
    jm_oqnode_t *n = &w->nodes[w->n_nodes];
    memset(n, 0, sizeof *n);
    memcpy(n->name, name, len);
    memcpy(n->full, base, bl);
    n->full[bl] = '/';
    memcpy(n->full + bl + 1, name, len);
    n->kind = JM_OQ_CONTAINER;
    n->param = -1;
    n->child = n->next = n->same = -1;
    if (last >= 0) w->nodes[last].next = w->n_nodes;
    else w->nodes[parent].child = w->n_nodes;
    return w->n_nodes++;
}

/* The leaf at path, made with its containers; -1 when the path is
 * malformed or already taken (an index path beats a name or an alias). */
static int add_leaf(jm_web_t *w, const char *path)
{
    if (path[0] != '/') return -1;
    int at = 0;
    for (const char *c = path + 1; at >= 0 && *c;) {
        size_t len = strcspn(c, "/");
        if (w->nodes[at].kind != JM_OQ_CONTAINER) return -1; /* below a leaf */
        at = add_node(w, at, c, len);
        c += len + (c[len] == '/');
    }
    if (at <= 0 || w->nodes[at].kind != JM_OQ_CONTAINER || w->nodes[at].child >= 0) return -1;
    return at;
}

static void add_param_node(jm_web_t *w, const char *path, jm_oqkind_t kind, int p, int norm)
{
    int n = add_leaf(w, path);
    if (n < 0) return;
    w->nodes[n].kind = kind;
    w->nodes[n].param = p;
    w->nodes[n].norm = norm;
    /* the index node heads the chain; names and aliases follow it */
    int *link = &w->param_node[p];
    while (*link >= 0) link = &w->nodes[*link].same;
    *link = n;
}

static void add_meter_node(jm_web_t *w, const char *path, jm_oqmeter_t m, int index)
{
    int n = add_leaf(w, path);
    if (n < 0) return;
    w->nodes[n].kind = JM_OQ_METER;
    w->nodes[n].meter = m;
    w->nodes[n].index = index;
    w->meter_nodes[w->n_meter_nodes++] = n;
}

int jm_web_oq_build(jm_web_t *w)
{
    const jm_paramset_t *ps = w->ps;
    int n_meters = w->s->n_strips + w->s->n_buses + 2;
    size_t cap = 1 + (size_t)n_meters * 3 + 2;
    for (size_t i = 0; i < ps->n; i++) {
        for (const char *c = ps->p[i].path; *c; c++) cap += *c == '/';
        for (const char *c = ps->p[i].name_path; *c; c++) cap += *c == '/';
    }
    for (int k = 0; k < w->s->n_aliases; k++)
        for (const char *c = w->s->aliases[k].from; *c; c++) cap += *c == '/';
    w->nodes = calloc(cap, sizeof *w->nodes);
    w->param_node = malloc((ps->n ? ps->n : 1) * sizeof *w->param_node);
    w->meter_nodes = calloc((size_t)n_meters, sizeof *w->meter_nodes);
    if (!w->nodes || !w->param_node || !w->meter_nodes) return -1;
    for (size_t i = 0; i < ps->n; i++) w->param_node[i] = -1;
    w->nodes[0] = (jm_oqnode_t){.full = "/", .kind = JM_OQ_CONTAINER, .param = -1,
                                .child = -1, .next = -1, .same = -1};
    w->n_nodes = 1;
    for (size_t i = 0; i < ps->n; i++) add_param_node(w, ps->p[i].path, JM_OQ_PARAM, (int)i, 0);
    for (size_t i = 0; i < ps->n; i++)
        if (strcmp(ps->p[i].name_path, ps->p[i].path))
            add_param_node(w, ps->p[i].name_path, JM_OQ_NAME, (int)i, 0);
    for (int k = 0; k < w->s->n_aliases; k++) {
        const jm_alias_t *a = &w->s->aliases[k];
        if (a->param >= 0 && (size_t)a->param < ps->n)
            add_param_node(w, a->from, JM_OQ_ALIAS, a->param, a->norm);
    }
    char path[48];
    for (int i = 0; i < w->s->n_strips; i++) {
        snprintf(path, sizeof path, "/meter/strip/%d", i + 1);
        add_meter_node(w, path, JM_OQ_M_STRIP, i);
    }
    for (int i = 0; i < w->s->n_buses; i++) {
        snprintf(path, sizeof path, "/meter/bus/%d", i + 1);
        add_meter_node(w, path, JM_OQ_M_BUS, i);
    }
    add_meter_node(w, "/meter/master", JM_OQ_M_MASTER, 0);
    add_meter_node(w, "/meter/loudness", JM_OQ_M_LOUDNESS, 0);
    return 0;
}

int jm_web_oq_find(const jm_web_t *w, const char *path)
{
    if (path[0] != '/') return -1;
    int at = 0;
    for (const char *c = path + 1; *c;) {
        size_t len = strcspn(c, "/");
        if (!len) { /* "//" or a trailing slash */
            c++;
            continue;
        }
        int k = w->nodes[at].child;
        while (k >= 0 && (strlen(w->nodes[k].name) != len || strncmp(w->nodes[k].name, c, len)))
            k = w->nodes[k].next;
        if (k < 0) return -1;
        at = k;
        c += len;
    }
    return at;
}

/* ---- what a node holds ---- */

static const char *const METER_TYPE[] = {"ffff", "fff", "ffff", "fffff"};

/* TYPE, or NULL for a container. */
static const char *node_type(const jm_web_t *w, const jm_oqnode_t *n)
{
    if (n->kind == JM_OQ_METER) return METER_TYPE[n->meter];
    if (n->kind == JM_OQ_CONTAINER) return NULL;
    const jm_param_def_t *d = w->ps->p[n->param].def;
    /* a /norm alias is 0..1 as a float; a switch's stays 0/1 */
    if (n->norm && !jm_param_is_bool(d)) return "f";
    return jm_web_oq_type(d);
}

/* The meter values of node n (in dB, LUFS, LU as the console sends them to
 * a units subscriber); returns how many. */
static int meter_values(const jm_web_t *w, const jm_oqnode_t *n, float out[5])
{
    int k = (int)strlen(METER_TYPE[n->meter]);
    const float *src = n->meter == JM_OQ_M_STRIP    ? &w->strip_meter[n->index * JM_WEB_STRIP_METER]
                       : n->meter == JM_OQ_M_BUS    ? w->bus_meter[n->index]
                       : n->meter == JM_OQ_M_MASTER ? w->master_meter
                                                    : w->loudness;
    for (int i = 0; i < k; i++) out[i] = isfinite(src[i]) ? src[i] : (float)METER_FLOOR;
    return k;
}

/* A parameter node's value, in its own taper. */
static float param_value(const jm_web_t *w, const jm_oqnode_t *n)
{
    const jm_param_def_t *d = w->ps->p[n->param].def;
    float v = w->values[n->param];
    return n->norm && !jm_param_is_bool(d) ? jm_param_to_norm(d, v) : v;
}

/* A container's DESCRIPTION: strips and buses by their session names;
 * groups inside them as "eq/2 of strip 1 \"kick\"". */
static void describe(const jm_web_t *w, const jm_oqnode_t *n, jm_text_t *b)
{
    static const char *const tops[][2] = {{"/strip", "input strips"}, {"/bus", "effect buses"},
                                          {"/master", "master bus"},
                                          {"/monitor", "monitor section"},
                                          {"/meter", "meters (read-only)"},
                                          {"/meter/strip", "strip meters"},
                                          {"/meter/bus", "bus meters"}};
    char text[160], owner[96] = "";
    const char *rest = NULL;
    int i = 0, len = 0;
    if (n == &w->nodes[0]) {
        snprintf(text, sizeof text, "jmixd console \"%s\"", w->name);
        jm_web_json_str(b, text);
        return;
    }
    for (size_t k = 0; k < sizeof tops / sizeof tops[0]; k++)
        if (!strcmp(n->full, tops[k][0])) {
            jm_web_json_str(b, tops[k][1]);
            return;
        }
    if (sscanf(n->full, "/strip/%d%n", &i, &len) == 1 && i >= 1 && i <= w->s->n_strips)
        snprintf(owner, sizeof owner, "strip %d \"%s\"", i, w->s->strips[i - 1].name);
    else if (sscanf(n->full, "/bus/%d%n", &i, &len) == 1 && i >= 1 && i <= w->s->n_buses)
        snprintf(owner, sizeof owner, "bus %d \"%s\" (%s)", i, w->s->buses[i - 1].name,
                 w->s->buses[i - 1].type);
    else if (!strncmp(n->full, "/master/", 8) || !strncmp(n->full, "/monitor/", 9))
        len = n->full[2] == 'a' ? 7 : 8;
    else if (!strncmp(n->full, "/strip/", 7) || !strncmp(n->full, "/bus/", 5)) {
        /* the name form: /strip/kick/... */
        int strip = n->full[1] == 's';
        const char *nm = n->full + (strip ? 7 : 5);
        size_t nl = strcspn(nm, "/");
        int count = strip ? w->s->n_strips : w->s->n_buses;
        for (int k = 0; k < count; k++) {
            const char *have = strip ? w->s->strips[k].name : w->s->buses[k].name;
            if (strlen(have) == nl && !strncmp(have, nm, nl)) {
                snprintf(owner, sizeof owner, "%s %d \"%s\" (by name)", strip ? "strip" : "bus",
                         k + 1, have);
                len = (int)(nm - n->full + nl);
                break;
            }
        }
    }
    rest = len > 0 && n->full[len] == '/' ? n->full + len + 1 : NULL;
    if (rest && owner[0]) snprintf(text, sizeof text, "%s of %s", rest, owner);
    else if (rest) snprintf(text, sizeof text, "%s of the %.*s", rest, len - 1, n->full + 1);
    else if (owner[0]) snprintf(text, sizeof text, "%s", owner);
    else snprintf(text, sizeof text, "%s", n->full);
    jm_web_json_str(b, text);
}

static void leaf_description(const jm_web_t *w, const jm_oqnode_t *n, jm_text_t *b)
{
    char text[256];
    if (n->kind == JM_OQ_METER) {
        static const char *const what[] = {
            "peak dBFS, RMS dBFS (post-fader), gain reduction dB, input peak dBFS (after trim)",
            "peak dBFS, RMS dBFS (the bus return), limiter gain reduction dB (aux buses; 0 otherwise)",
            "peak L, peak R, RMS L, RMS R dBFS (after the limiter)",
            "momentary LUFS, short-term LUFS, integrated LUFS, true peak dBTP, range LU"};
        if (n->meter == JM_OQ_M_STRIP)
            snprintf(text, sizeof text, "meter of strip %d \"%s\": %s", n->index + 1,
                     w->s->strips[n->index].name, what[0]);
        else if (n->meter == JM_OQ_M_BUS)
            snprintf(text, sizeof text, "meter of bus %d \"%s\": %s", n->index + 1,
                     w->s->buses[n->index].name, what[1]);
        else
            snprintf(text, sizeof text, "%s meter: %s",
                     n->meter == JM_OQ_M_MASTER ? "master" : "loudness", what[n->meter]);
        jm_web_json_str(b, text);
        return;
    }
    const jm_param_t *p = &w->ps->p[n->param];
    const char *doc = p->def->doc ? p->def->doc : "";
    if (n->kind == JM_OQ_PARAM) jm_web_json_str(b, doc);
    else if (n->kind == JM_OQ_NAME)
        snprintf(text, sizeof text, "%s (name form of %s)", doc, p->path);
    else
        snprintf(text, sizeof text, "%s (alias of %s%s)", doc, p->path,
                 n->norm && !jm_param_is_bool(p->def) ? "/norm" : "");
    if (n->kind != JM_OQ_PARAM) jm_web_json_str(b, text);
}

/* ---- JSON ---- */

static void put_value(const jm_web_t *w, jm_text_t *b, const jm_oqnode_t *n)
{
    jm_text_puts(b, "[");
    if (n->kind == JM_OQ_METER) {
        float v[5];
        int k = meter_values(w, n, v);
        for (int i = 0; i < k; i++) {
            if (i) jm_text_puts(b, ",");
            jm_web_json_float(b, v[i], METER_FLOOR);
        }
    } else {
        const jm_param_def_t *d = w->ps->p[n->param].def;
        float v = param_value(w, n);
        if (!strcmp(node_type(w, n), "i")) jm_text_printf(b, "%ld", lrintf(v));
        else jm_web_json_float(b, v, n->norm ? 0.0 : d->min);
    }
    jm_text_puts(b, "]");
}

static void put_minmax(jm_text_t *b, double lo, double hi, int has_hi)
{
    jm_text_puts(b, "{\"MIN\":");
    jm_web_json_float(b, lo, 0.0);
    if (has_hi) {
        jm_text_puts(b, ",\"MAX\":");
        jm_web_json_float(b, hi, 0.0);
    }
    jm_text_puts(b, "}");
}

static void put_range(const jm_web_t *w, jm_text_t *b, const jm_oqnode_t *n)
{
    jm_text_puts(b, "[");
    if (n->kind == JM_OQ_METER) {
        /* levels: what to expect (a hot signal passes 0 dBFS: CLIPMODE none);
         * gain reduction, true peak and loudness range have no upper bound */
        static const signed char has_hi[4][5] = {
            {1, 1, 0, 1}, {1, 1, 0}, {1, 1, 1, 1}, {1, 1, 1, 0, 0}};
        static const double lo[4][5] = {
            {METER_FLOOR, METER_FLOOR, 0.0, METER_FLOOR}, {METER_FLOOR, METER_FLOOR, 0.0},
            {METER_FLOOR, METER_FLOOR, METER_FLOOR, METER_FLOOR},
            {METER_FLOOR, METER_FLOOR, METER_FLOOR, METER_FLOOR, 0.0}};
        int k = (int)strlen(METER_TYPE[n->meter]);
        for (int i = 0; i < k; i++) {
            if (i) jm_text_puts(b, ",");
            put_minmax(b, lo[n->meter][i], 0.0, has_hi[n->meter][i]);
        }
    } else {
        const jm_param_def_t *d = w->ps->p[n->param].def;
        if (jm_param_is_bool(d)) {
            jm_text_puts(b, "{\"MIN\":0,\"MAX\":1,\"VALS\":[0,1]}");
        } else if (d->taper == JM_TAPER_ENUM && !n->norm) {
            jm_text_printf(b, "{\"MIN\":%ld,\"MAX\":%ld,\"VALS\":[", lrintf(d->min),
                           lrintf(d->max));
            for (long k = lrintf(d->min); k <= lrintf(d->max); k++)
                jm_text_printf(b, "%s%ld", k > lrintf(d->min) ? "," : "", k);
            jm_text_puts(b, "]}");
        } else if (n->norm) {
            put_minmax(b, 0.0, 1.0, 1);
        } else {
            put_minmax(b, d->min, d->max, 1);
        }
    }
    jm_text_puts(b, "]");
}

static void put_clipmode(const jm_web_t *w, jm_text_t *b, const jm_oqnode_t *n)
{
    int k = (int)strlen(node_type(w, n));
    jm_text_puts(b, "[");
    for (int i = 0; i < k; i++)
        jm_text_puts(b, i ? ",\"none\"" : n->kind == JM_OQ_METER ? "\"none\"" : "\"both\"");
    jm_text_puts(b, "]");
}

static int node_access(const jm_oqnode_t *n)
{
    return n->kind == JM_OQ_CONTAINER ? 0 : n->kind == JM_OQ_METER ? 1 : 3;
}

static void put_contents(const jm_web_t *w, jm_text_t *b, int n);

static void put_node(const jm_web_t *w, jm_text_t *b, int k)
{
    const jm_oqnode_t *n = &w->nodes[k];
    jm_text_puts(b, "{\"FULL_PATH\":");
    jm_web_json_str(b, n->full);
    jm_text_puts(b, ",\"DESCRIPTION\":");
    if (n->kind == JM_OQ_CONTAINER) describe(w, n, b);
    else leaf_description(w, n, b);
    jm_text_printf(b, ",\"ACCESS\":%d", node_access(n));
    if (n->kind != JM_OQ_CONTAINER) {
        jm_text_printf(b, ",\"TYPE\":\"%s\",\"VALUE\":", node_type(w, n));
        put_value(w, b, n);
        jm_text_puts(b, ",\"RANGE\":");
        put_range(w, b, n);
        jm_text_puts(b, ",\"CLIPMODE\":");
        put_clipmode(w, b, n);
    }
    if (n->child >= 0) {
        jm_text_puts(b, ",\"CONTENTS\":");
        put_contents(w, b, k);
    }
    jm_text_puts(b, "}");
}

static void put_contents(const jm_web_t *w, jm_text_t *b, int n)
{
    jm_text_puts(b, "{");
    for (int k = w->nodes[n].child; k >= 0; k = w->nodes[k].next) {
        if (k != w->nodes[n].child) jm_text_puts(b, ",");
        jm_web_json_str(b, w->nodes[k].name);
        jm_text_puts(b, ":");
        put_node(w, b, k);
    }
    jm_text_puts(b, "}");
}

int jm_web_oq_json(const jm_web_t *w, jm_text_t *b, int k, const char *attr)
{
    const jm_oqnode_t *n = &w->nodes[k];
    if (!attr || !*attr) {
        put_node(w, b, k);
        return 200;
    }
    static const char *const known[] = {"FULL_PATH", "CONTENTS", "DESCRIPTION", "ACCESS", "TYPE",
                                        "VALUE", "RANGE", "CLIPMODE"};
    size_t i = 0;
    while (i < sizeof known / sizeof known[0] && strcmp(known[i], attr)) i++;
    if (i == sizeof known / sizeof known[0]) return 400; /* unknown or unsupported */
    int leaf = n->kind != JM_OQ_CONTAINER;
    /* the proposal: VALUE of a node whose ACCESS says it cannot be read is
     * 204; an attribute a node does not have (a container's TYPE) is the
     * empty object, as its "/baz?TYPE" example answers */
    if (!strcmp(attr, "VALUE") && !leaf) return 204;
    if ((!strcmp(attr, "CONTENTS") && n->child < 0) ||
        (!leaf && (!strcmp(attr, "TYPE") || !strcmp(attr, "RANGE") ||
                   !strcmp(attr, "CLIPMODE")))) {
        jm_text_puts(b, "{}");
        return 200;
    }
    jm_text_printf(b, "{\"%s\":", attr);
    if (!strcmp(attr, "FULL_PATH")) jm_web_json_str(b, n->full);
    else if (!strcmp(attr, "CONTENTS")) put_contents(w, b, k);
    else if (!strcmp(attr, "DESCRIPTION") && leaf) leaf_description(w, n, b);
    else if (!strcmp(attr, "DESCRIPTION")) describe(w, n, b);
    else if (!strcmp(attr, "ACCESS")) jm_text_printf(b, "%d", node_access(n));
    else if (!strcmp(attr, "TYPE")) jm_text_printf(b, "\"%s\"", node_type(w, n));
    else if (!strcmp(attr, "VALUE")) put_value(w, b, n);
    else if (!strcmp(attr, "RANGE")) put_range(w, b, n);
    else put_clipmode(w, b, n);
    jm_text_puts(b, "}");
    return 200;
}

void jm_web_oq_host_info(const jm_web_t *w, jm_text_t *b, const char *local_ip)
{
    /* OSC_IP: the console's OSC address as this client reaches it: the
     * bind address, or (bound to every address) the one this request came
     * in on; 0.0.0.0 would be no address to send to */
    const char *ip = strcmp(w->s->osc_bind, "0.0.0.0") ? w->s->osc_bind : local_ip;
    jm_text_puts(b, "{\"NAME\":");
    jm_web_json_str(b, w->name);
    if (ip && *ip) {
        jm_text_puts(b, ",\"OSC_IP\":");
        jm_web_json_str(b, ip);
    }
    jm_text_printf(b, ",\"OSC_PORT\":%d,\"OSC_TRANSPORT\":\"UDP\",\"EXTENSIONS\":{"
                      "\"ACCESS\":true,\"VALUE\":true,\"RANGE\":true,\"DESCRIPTION\":true,"
                      "\"CLIPMODE\":true,\"LISTEN\":true,\"TAGS\":false,\"UNIT\":false,"
                      "\"CRITICAL\":false,\"OVERLOADS\":false,\"EXTENDED_TYPE\":false,"
                      "\"HTML\":false,\"PATH_CHANGED\":false,\"PATH_ADDED\":false,"
                      "\"PATH_REMOVED\":false,\"PATH_RENAMED\":false}}",
                   w->osc_port);
}

size_t jm_web_oq_osc(const jm_web_t *w, int k, unsigned char *out, size_t cap)
{
    const jm_oqnode_t *n = &w->nodes[k];
    const char *type = node_type(w, n);
    if (!type) return 0;
    size_t nargs = strlen(type);
    size_t pl = strlen(n->full) + 1, off = (pl + 3) & ~(size_t)3;
    size_t toff = off, tl = (nargs + 2 + 3) & ~(size_t)3, len = off + tl + 4 * nargs;
    if (len > cap) return 0;
    memset(out, 0, len);
    memcpy(out, n->full, pl);
    out[toff] = ',';
    memcpy(out + toff + 1, type, nargs);
    float v[5];
    if (n->kind == JM_OQ_METER) meter_values(w, n, v);
    else v[0] = param_value(w, n);
    for (size_t i = 0; i < nargs; i++) {
        uint32_t u;
        if (type[i] == 'i') u = (uint32_t)(int32_t)lrintf(v[i]);
        else memcpy(&u, &v[i], 4);
        u = htonl(u);
        memcpy(out + off + tl + 4 * i, &u, 4);
    }
    return len;
}
