/* The OSCQuery namespace (docs/osc.md, the OSCQuery proposal): a tree built once
 * from the parameter table's index-form paths, written as JSON with the
 * gateway's current values. */
#include "web_int.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *jm_web_oq_type(const jm_param_def_t *d)
{
    if (jm_param_is_bool(d)) return "T";
    return d->taper == JM_TAPER_ENUM ? "i" : "f";
}

static int add_node(jm_web_t *w, int parent, const char *name, size_t len)
{
    int last = -1;
    for (int k = w->nodes[parent].child; k >= 0; k = w->nodes[k].next) {
        if (strlen(w->nodes[k].name) == len && !strncmp(w->nodes[k].name, name, len)) return k;
        last = k;
    }
    const char *base = parent ? w->nodes[parent].full : "";
    size_t bl = strlen(base);
    if (len >= JM_NAME_MAX || bl + 1 + len >= JM_PATH_MAX) return -1;
    jm_oqnode_t *n = &w->nodes[w->n_nodes];
    memset(n, 0, sizeof *n);
    memcpy(n->name, name, len);
    memcpy(n->full, base, bl);
    n->full[bl] = '/';
    memcpy(n->full + bl + 1, name, len);
    n->param = -1;
    n->child = n->next = -1;
    if (last >= 0) w->nodes[last].next = w->n_nodes;
    else w->nodes[parent].child = w->n_nodes;
    return w->n_nodes++;
}

int jm_web_oq_build(jm_web_t *w)
{
    size_t cap = 1;
    for (size_t i = 0; i < w->ps->n; i++)
        for (const char *c = w->ps->p[i].path; *c; c++) cap += *c == '/';
    w->nodes = calloc(cap, sizeof *w->nodes);
    if (!w->nodes) return -1;
    w->nodes[0] = (jm_oqnode_t){.full = "/", .param = -1, .child = -1, .next = -1};
    w->n_nodes = 1;
    for (size_t i = 0; i < w->ps->n; i++) {
        int at = 0;
        for (const char *c = w->ps->p[i].path + 1; at >= 0 && *c;) {
            size_t len = strcspn(c, "/");
            at = add_node(w, at, c, len);
            c += len + (c[len] == '/');
        }
        if (at > 0) w->nodes[at].param = (int)i;
    }
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

/* A container's DESCRIPTION: strips and buses by their session names;
 * groups inside them as "eq/2 of strip 1 \"kick\"". */
static void describe(const jm_web_t *w, const jm_oqnode_t *n, jm_text_t *b)
{
    static const char *const tops[][2] = {{"/strip", "input strips"}, {"/bus", "effect buses"},
                                          {"/master", "master bus"},
                                          {"/monitor", "monitor section"}};
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
    rest = len > 0 && n->full[len] == '/' ? n->full + len + 1 : NULL;
    if (rest && owner[0]) snprintf(text, sizeof text, "%s of %s", rest, owner);
    else if (rest) snprintf(text, sizeof text, "%s of the %.*s", rest, len - 1, n->full + 1);
    else if (owner[0]) snprintf(text, sizeof text, "%s", owner);
    else snprintf(text, sizeof text, "%s", n->full);
    jm_web_json_str(b, text);
}

static void put_value(const jm_web_t *w, jm_text_t *b, int p)
{
    const jm_param_def_t *d = w->ps->p[p].def;
    float v = w->values[p];
    jm_text_puts(b, "[");
    if (jm_param_is_bool(d)) jm_text_puts(b, v >= 0.5f ? "true" : "false");
    else if (d->taper == JM_TAPER_ENUM) jm_text_printf(b, "%ld", lrintf(v));
    else jm_web_json_num(b, v);
    jm_text_puts(b, "]");
}

static void put_range(jm_text_t *b, const jm_param_def_t *d)
{
    jm_text_puts(b, "[{\"MIN\":");
    jm_web_json_num(b, d->min);
    jm_text_puts(b, ",\"MAX\":");
    jm_web_json_num(b, d->max);
    if (d->taper == JM_TAPER_ENUM) {
        jm_text_puts(b, ",\"VALS\":[");
        for (long k = lrintf(d->min); k <= lrintf(d->max); k++)
            jm_text_printf(b, "%s%ld", k > lrintf(d->min) ? "," : "", k);
        jm_text_puts(b, "]");
    }
    jm_text_puts(b, "}]");
}

static void put_contents(const jm_web_t *w, jm_text_t *b, int n);

static void put_node(const jm_web_t *w, jm_text_t *b, int n)
{
    const jm_oqnode_t *nd = &w->nodes[n];
    jm_text_puts(b, "{\"FULL_PATH\":");
    jm_web_json_str(b, nd->full);
    jm_text_puts(b, ",\"DESCRIPTION\":");
    if (nd->param >= 0) {
        const jm_param_def_t *d = w->ps->p[nd->param].def;
        jm_web_json_str(b, d->doc ? d->doc : "");
        jm_text_printf(b, ",\"ACCESS\":3,\"TYPE\":\"%s\",\"VALUE\":", jm_web_oq_type(d));
        put_value(w, b, nd->param);
        jm_text_puts(b, ",\"RANGE\":");
        put_range(b, d);
        jm_text_puts(b, ",\"CLIPMODE\":[\"both\"]");
    } else {
        describe(w, nd, b);
        jm_text_puts(b, ",\"ACCESS\":0");
    }
    if (nd->child >= 0) {
        jm_text_puts(b, ",\"CONTENTS\":");
        put_contents(w, b, n);
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

int jm_web_oq_json(const jm_web_t *w, jm_text_t *b, int n, const char *attr)
{
    const jm_oqnode_t *nd = &w->nodes[n];
    if (!attr || !*attr) {
        put_node(w, b, n);
        return 200;
    }
    static const char *const known[] = {"FULL_PATH", "CONTENTS", "DESCRIPTION", "ACCESS", "TYPE",
                                        "VALUE", "RANGE", "CLIPMODE"};
    size_t k = 0;
    while (k < sizeof known / sizeof known[0] && strcmp(known[k], attr)) k++;
    if (k == sizeof known / sizeof known[0]) return 400;
    int leaf = nd->param >= 0;
    const jm_param_def_t *d = leaf ? w->ps->p[nd->param].def : NULL;
    if ((!strcmp(attr, "CONTENTS") && nd->child < 0) ||
        (!leaf && (!strcmp(attr, "TYPE") || !strcmp(attr, "VALUE") || !strcmp(attr, "RANGE") ||
                   !strcmp(attr, "CLIPMODE"))))
        return 204;
    jm_text_printf(b, "{\"%s\":", attr);
    if (!strcmp(attr, "FULL_PATH")) jm_web_json_str(b, nd->full);
    else if (!strcmp(attr, "CONTENTS")) put_contents(w, b, n);
    else if (!strcmp(attr, "DESCRIPTION") && leaf) jm_web_json_str(b, d->doc ? d->doc : "");
    else if (!strcmp(attr, "DESCRIPTION")) describe(w, nd, b);
    else if (!strcmp(attr, "ACCESS")) jm_text_puts(b, leaf ? "3" : "0");
    else if (!strcmp(attr, "TYPE")) jm_text_printf(b, "\"%s\"", jm_web_oq_type(d));
    else if (!strcmp(attr, "VALUE")) put_value(w, b, nd->param);
    else if (!strcmp(attr, "RANGE")) put_range(b, d);
    else jm_text_puts(b, "[\"both\"]");
    jm_text_puts(b, "}");
    return 200;
}

void jm_web_oq_host_info(const jm_web_t *w, jm_text_t *b)
{
    jm_text_puts(b, "{\"NAME\":");
    jm_web_json_str(b, w->name);
    if (strcmp(w->s->osc_bind, "0.0.0.0")) {
        jm_text_puts(b, ",\"OSC_IP\":");
        jm_web_json_str(b, w->s->osc_bind);
    }
    jm_text_printf(b, ",\"OSC_PORT\":%d,\"OSC_TRANSPORT\":\"UDP\",\"EXTENSIONS\":{"
                      "\"ACCESS\":true,\"VALUE\":true,\"RANGE\":true,\"DESCRIPTION\":true,"
                      "\"CLIPMODE\":true,\"LISTEN\":true,\"TAGS\":false,\"UNIT\":false,"
                      "\"CRITICAL\":false,\"OVERLOADS\":false,\"EXTENDED_TYPE\":false,"
                      "\"HTML\":false,\"PATH_CHANGED\":false,\"PATH_ADDED\":false,"
                      "\"PATH_REMOVED\":false,\"PATH_RENAMED\":false}}",
                   w->osc_port);
}

size_t jm_web_oq_osc(const jm_web_t *w, int p, unsigned char *out, size_t cap)
{
    const jm_param_def_t *d = w->ps->p[p].def;
    const char *path = w->ps->p[p].path;
    float v = w->values[p];
    size_t pl = strlen(path) + 1, off = (pl + 3) & ~(size_t)3;
    if (off + 8 > cap) return 0;
    memset(out, 0, off + 8);
    memcpy(out, path, pl);
    out[off] = ',';
    if (jm_param_is_bool(d)) {
        out[off + 1] = v >= 0.5f ? 'T' : 'F';
        return off + 4;
    }
    uint32_t u;
    if (d->taper == JM_TAPER_ENUM) {
        out[off + 1] = 'i';
        u = (uint32_t)(int32_t)lrintf(v);
    } else {
        out[off + 1] = 'f';
        memcpy(&u, &v, 4);
    }
    u = htonl(u);
    memcpy(out + off + 4, &u, 4);
    return off + 8;
}
