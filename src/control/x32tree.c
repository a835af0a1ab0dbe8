/* The X32 address tree as tables (docs/osc.md, "The X32 dialect"): the
 * families of strips (ch, auxin, fxrtn, bus, mtx, main, dca; X-Air: ch, rtn,
 * fxsend, bus, lr, dca), the leaves every one of them has with their X32
 * type, law, range and default, and the jmixd parameter a leaf stands for
 * where jmixd has one. Ranges and defaults: P.-G. Maillot, "Unofficial
 * X32/M32 OSC Remote Protocol" (channel, bus and main sections). */
#include "jmixd/control/x32.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OWN_NONE, OWN_STRIP, OWN_BUS, OWN_MASTER };

/* A family of X32 objects: NAME/NN/... (width digits, 1..count) or a fixed
 * NAME/... (width 0). */
typedef struct {
    const char *name;
    int width, count;
    int owner;        /* what jmixd has in its place */
    int bands, sends; /* eq/# bands and mix/## sends it has */
} family_t;

static const family_t x32_families[] = {
    {"ch", 2, 32, OWN_STRIP, 4, 16},   {"auxin", 2, 8, OWN_NONE, 4, 16},
    {"fxrtn", 2, 8, OWN_NONE, 4, 16},  {"bus", 2, 16, OWN_BUS, 6, 6},
    {"mtx", 2, 6, OWN_NONE, 6, 0},     {"dca", 1, 8, OWN_NONE, 0, 0},
    {"main/st", 0, 1, OWN_MASTER, 6, 6}, {"main/m", 0, 1, OWN_NONE, 6, 6},
};
static const family_t xair_families[] = {
    {"ch", 2, 16, OWN_STRIP, 4, 10}, {"rtn/aux", 0, 1, OWN_NONE, 4, 10},
    {"rtn", 1, 4, OWN_NONE, 4, 10},  {"fxsend", 1, 4, OWN_NONE, 0, 0},
    {"bus", 1, 6, OWN_BUS, 6, 0},    {"lr", 0, 1, OWN_MASTER, 6, 0},
    {"dca", 1, 4, OWN_NONE, 0, 0},
};

#define F_(lo, hi) JM_X32_LAW_LIN, lo, hi
#define L_(lo, hi) JM_X32_LAW_LOG, lo, hi
#define N_ JM_X32_LAW_NONE, 0, 0
#define I_ JM_X32_LAW_INT, 0, 0

/* One leaf below a family object. '#' is a one-digit band (1..bands),
 * "##" a two-digit send (01..sends). jtail: the jmixd parameter below
 * /strip/N/, /bus/N/ or /master/ ({n} the band, {b} the send), or NULL.
 * def: the X32 default (f 0..1, or the int). */
typedef struct {
    const char *tail;
    char type;
    jm_x32_law_t law;
    float lo, hi;
    float def;
    const char *jtail;
} leaf_t;

static const leaf_t leaves[] = {
    {"config/name", 's', N_, 0, NULL},
    {"config/icon", 'i', N_, 1, NULL},
    {"config/color", 'i', I_, 0, "color"},
    {"config/source", 'i', N_, 0, NULL},
    {"grp/dca", 'i', N_, 0, NULL},
    {"grp/mute", 'i', N_, 0, NULL},
    {"preamp/trim", 'f', F_(-18, 18), 0.5f, "trim"},
    {"preamp/invert", 'i', I_, 0, "polarity"},
    {"preamp/hpon", 'i', I_, 0, "hpf/on"},
    {"preamp/hpslope", 'i', N_, 0, NULL},
    {"preamp/hpf", 'f', L_(20, 400), 0, "hpf/freq"},
    {"delay/on", 'i', N_, 0, NULL},
    {"delay/time", 'f', N_, 0, NULL},
    {"insert/on", 'i', N_, 0, NULL},
    {"insert/pos", 'i', N_, 0, NULL},
    {"insert/sel", 'i', N_, 0, NULL},
    {"gate/on", 'i', I_, 0, "gate/on"},
    {"gate/mode", 'i', N_, 3, NULL}, /* GATE */
    {"gate/thr", 'f', F_(-80, 0), 0, "gate/threshold"},
    {"gate/range", 'f', F_(3, 60), 1, "gate/range"},
    {"gate/attack", 'f', F_(0, 120), 0, "gate/attack"},
    {"gate/hold", 'f', L_(0.02f, 2000), 0.5f, "gate/hold"},
    {"gate/release", 'f', L_(5, 4000), 0.5f, "gate/release"},
    {"gate/keysrc", 'i', N_, 0, NULL},
    {"gate/filter/on", 'i', N_, 0, NULL},
    {"gate/filter/type", 'i', N_, 0, NULL},
    {"gate/filter/f", 'f', N_, 0.5f, NULL},
    {"dyn/on", 'i', I_, 0, "comp/on"},
    {"dyn/mode", 'i', N_, 0, NULL},
    {"dyn/det", 'i', N_, 0, NULL},
    {"dyn/env", 'i', N_, 1, NULL},
    {"dyn/thr", 'f', F_(-60, 0), 1, "comp/threshold"},
    {"dyn/ratio", 'i', JM_X32_LAW_RATIO, 0, 0, 6, "comp/ratio"},
    {"dyn/knee", 'f', F_(0, 5), 0, "comp/knee"},
    {"dyn/mgain", 'f', F_(0, 24), 0, "comp/makeup"},
    {"dyn/attack", 'f', F_(0, 120), 0, "comp/attack"},
    {"dyn/hold", 'f', L_(0.02f, 2000), 0.5f, NULL},
    {"dyn/release", 'f', L_(5, 4000), 0.5f, "comp/release"},
    {"dyn/pos", 'i', N_, 0, NULL},
    {"dyn/keysrc", 'i', N_, 0, NULL},
    {"dyn/mix", 'f', N_, 1, NULL},
    {"dyn/auto", 'i', N_, 0, NULL},
    {"dyn/filter/on", 'i', N_, 0, NULL},
    {"dyn/filter/type", 'i', N_, 0, NULL},
    {"dyn/filter/f", 'f', N_, 0.5f, NULL},
    {"eq/on", 'i', I_, 1, "eq/on"},
    {"eq/#/type", 'i', N_, 2, NULL}, /* jmixd's bands have fixed types: see band_type */
    {"eq/#/f", 'f', L_(20, 20000), 0.5f, "eq/{n}/freq"},
    {"eq/#/g", 'f', F_(-15, 15), 0.5f, "eq/{n}/gain"},
    {"eq/#/q", 'f', L_(10, 0.3f), 0.5f, "eq/{n}/q"},
    {"mix/on", 'i', JM_X32_LAW_ONINV, 0, 0, 1, "mute"},
    {"mix/fader", 'f', JM_X32_LAW_FADER, 0, 0, 0.75f, "fader"},
    {"mix/st", 'i', N_, 1, NULL},
    {"mix/pan", 'f', F_(-1, 1), 0.5f, "pan"},
    {"mix/mono", 'i', N_, 0, NULL},
    {"mix/mlevel", 'f', N_, 0, NULL},
    /* a channel's send MM is its send to jmixd's bus MM (session order,
     * FX and aux alike); pan only where the row exists (aux buses) */
    {"mix/##/on", 'i', I_, 1, "send/{b}/on"},
    {"mix/##/level", 'f', JM_X32_LAW_FADER, 0, 0, 0, "send/{b}/level"},
    {"mix/##/pan", 'f', F_(-1, 1), 0.5f, "send/{b}/pan"},
    {"mix/##/type", 'i', JM_X32_LAW_SENDTYPE, 0, 0, 4, "send/{b}/pre"}, /* default POST */
    {"mix/##/panFollow", 'i', N_, 0, NULL},
    {"automix/group", 'i', N_, 0, NULL},
    {"automix/weight", 'f', N_, 0.5f, NULL},
    {"on", 'i', N_, 1, NULL},      /* dca/N/on */
    {"fader", 'f', N_, 0.75f, NULL}, /* dca/N/fader */
};

/* X32 EQ band types: 0 LCut, 1 LShv, 2 PEQ, 3 VEQ, 4 HShv, 5 HCut; jmixd's
 * four bands are a low shelf, two peaking bands and a high shelf. */
static int band_type(int band) { return band == 1 ? 1 : band == 4 ? 4 : 2; }

/* s: exactly `width` digits (width 0: none) with a value 1..max; the value
 * or -1. */
static int number(const char *s, size_t len, int width, int max)
{
    if (width <= 0 || len != (size_t)width) return -1;
    int v = 0;
    for (size_t k = 0; k < len; k++) {
        if (s[k] < '0' || s[k] > '9') return -1;
        v = v * 10 + (s[k] - '0');
    }
    return v >= 1 && v <= max ? v : -1;
}

/* tail against a leaf pattern: 1 and *band / *send set when it matches. */
static int leaf_match(const char *pat, const char *tail, const family_t *f, int *band, int *send)
{
    *band = *send = 0;
    while (*pat && *tail) {
        if (pat[0] == '#' && pat[1] == '#') {
            const char *end = strchr(tail, '/');
            size_t len = end ? (size_t)(end - tail) : strlen(tail);
            if ((*send = number(tail, len, 2, f->sends)) < 0) return 0;
            pat += 2;
            tail += len;
        } else if (pat[0] == '#') {
            const char *end = strchr(tail, '/');
            size_t len = end ? (size_t)(end - tail) : strlen(tail);
            if ((*band = number(tail, len, 1, f->bands)) < 0) return 0;
            pat++;
            tail += len;
        } else if (*pat++ != *tail++) {
            return 0;
        }
    }
    return !*pat && !*tail;
}

/* path (after the leading '/') -> its family, object number (0 when the
 * family is fixed) and the tail after it; NULL when it is none. */
static const char *split_family(int d, const char *path, const family_t **fam, int *num)
{
    const family_t *t = d == JM_DIALECT_XAIR ? xair_families : x32_families;
    size_t n = d == JM_DIALECT_XAIR ? sizeof xair_families / sizeof xair_families[0]
                                    : sizeof x32_families / sizeof x32_families[0];
    for (size_t k = 0; k < n; k++) {
        size_t nl = strlen(t[k].name);
        if (strncmp(path, t[k].name, nl) || path[nl] != '/') continue;
        const char *rest = path + nl + 1;
        if (!t[k].width) {
            *fam = &t[k];
            *num = 0;
            return rest;
        }
        const char *slash = strchr(rest, '/');
        if (!slash) continue;
        int v = number(rest, (size_t)(slash - rest), t[k].width, t[k].count);
        if (v < 0) continue; /* "rtn/aux" is tried before "rtn/N" */
        *fam = &t[k];
        *num = v;
        return slash + 1;
    }
    return NULL;
}

/* The jmixd parameter of a leaf for the object, or -1. */
static int leaf_param(const jm_session_t *s, const family_t *f, int num, const leaf_t *l,
                      int band, int send)
{
    if (!l->jtail) return -1;
    /* an X32 bus's mix/MM are its matrix sends: jmixd's FX-return sends
     * into aux buses are no such thing */
    if (f->owner == OWN_BUS && strstr(l->jtail, "{b}")) return -1;
    char native[JM_PATH_MAX * 2];
    int n;
    if (f->owner == OWN_STRIP && num <= s->n_strips) n = snprintf(native, sizeof native, "/strip/%d/", num);
    else if (f->owner == OWN_BUS && num <= s->n_buses) n = snprintf(native, sizeof native, "/bus/%d/", num);
    else if (f->owner == OWN_MASTER) n = snprintf(native, sizeof native, "/master/");
    else return -1;
    for (const char *c = l->jtail; *c && (size_t)n + 4 < sizeof native; c++) {
        if (!strncmp(c, "{n}", 3) || !strncmp(c, "{b}", 3)) {
            n += snprintf(native + n, sizeof native - (size_t)n, "%d", c[1] == 'n' ? band : send);
            c += 2;
        } else {
            native[n++] = *c;
            native[n] = '\0';
        }
    }
    return jm_params_find(&s->params, native);
}

static const char *object_name(const jm_session_t *s, const family_t *f, int num)
{
    if (f->owner == OWN_STRIP && num <= s->n_strips) return s->strips[num - 1].name;
    if (f->owner == OWN_BUS && num <= s->n_buses) return s->buses[num - 1].name;
    if (f->owner == OWN_MASTER) return "jmixd";
    return "";
}

/* Addresses outside the families: /-stat/..., /config/... (console state
 * jmixd has not: all off) and /headamp/NNN/gain|phantom. */
static int other(int d, const char *path, jm_x32_ent_t *e)
{
    *e = (jm_x32_ent_t){.type = 'i', .param = -1, .str = ""};
    if (!strncmp(path, "-stat/", 6)) return path[6] != '\0';
    if (!strncmp(path, "config/", 7)) return path[7] != '\0';
    if (strncmp(path, "headamp/", 8)) return 0;
    const char *num = path + 8, *slash = strchr(num, '/');
    size_t width = d == JM_DIALECT_XAIR ? 2 : 3;
    if (!slash || (size_t)(slash - num) != width || strspn(num, "0123456789") < width) return 0;
    if (!strcmp(slash, "/gain")) {
        e->type = 'f';
        e->def = 0.5f;
        return 1;
    }
    return !strcmp(slash, "/phantom");
}

int jm_x32_lookup(const jm_session_t *s, int d, const char *path, jm_x32_ent_t *e)
{
    if (path[0] != '/' || strlen(path) > 64) return 0;
    const family_t *f;
    int num;
    const char *tail = split_family(d, path + 1, &f, &num);
    if (!tail) return other(d, path + 1, e);
    for (size_t k = 0; k < sizeof leaves / sizeof leaves[0]; k++) {
        const leaf_t *l = &leaves[k];
        int band, send;
        if (!leaf_match(l->tail, tail, f, &band, &send)) continue;
        if ((!strcmp(l->tail, "on") || !strcmp(l->tail, "fader")) && strcmp(f->name, "dca"))
            return 0;
        *e = (jm_x32_ent_t){.type = l->type, .law = l->law, .lo = l->lo, .hi = l->hi,
                            .param = leaf_param(s, f, num, l, band, send), .def = l->def,
                            .str = ""};
        if (l->type == 's') e->str = object_name(s, f, num);
        if (!strcmp(l->tail, "eq/#/type")) e->def = (float)band_type(band);
        if (e->param < 0) e->law = JM_X32_LAW_NONE;
        return 1;
    }
    return 0;
}

/* ---- a parameter's X32 address: the leaf whose jtail is its row ---- */

int jm_x32_path_of(const jm_session_t *s, int d, int param, char *path, size_t cap)
{
    if (param < 0 || (size_t)param >= s->params.n) return 0;
    const jm_param_t *p = &s->params.p[param];
    const char *jt = p->def->tail;
    char obj[24];
    int xair = d == JM_DIALECT_XAIR;
    if (p->scope == JM_SCOPE_STRIP) {
        if (p->owner >= (xair ? JM_XAIR_STRIPS : JM_X32_STRIPS)) return 0;
        snprintf(obj, sizeof obj, "/ch/%02d/", p->owner + 1);
    } else if (p->scope == JM_SCOPE_BUS) {
        if (p->owner >= (xair ? 6 : 16)) return 0;
        snprintf(obj, sizeof obj, xair ? "/bus/%d/" : "/bus/%02d/", p->owner + 1);
    } else if (p->scope == JM_SCOPE_MASTER) {
        snprintf(obj, sizeof obj, xair ? "/lr/" : "/main/st/");
    } else {
        return 0;
    }
    for (size_t k = 0; k < sizeof leaves / sizeof leaves[0]; k++) {
        const leaf_t *l = &leaves[k];
        if (!l->jtail || strcmp(l->jtail, jt)) continue;
        size_t n = (size_t)snprintf(path, cap, "%s", obj);
        for (const char *c = l->tail; *c && n + 4 < cap; c++) {
            if (c[0] == '#' && c[1] == '#') {
                n += (size_t)snprintf(path + n, cap - n, "%02d", p->sub + 1);
                c++;
            } else if (c[0] == '#') {
                n += (size_t)snprintf(path + n, cap - n, "%d", p->sub + 1);
            } else {
                path[n++] = *c;
                path[n] = '\0';
            }
        }
        /* the tree must map it back (a bus has no EQ, X-Air sends stop at 10) */
        jm_x32_ent_t e;
        return n + 4 < cap && jm_x32_lookup(s, d, path, &e) && e.param == param;
    }
    return 0;
}

/* ---- /node text ---- */

typedef enum { FMT_ONOFF, FMT_LEVEL, FMT_LINF, FMT_LINFS, FMT_LOGF, FMT_FREQ, FMT_ENUM, FMT_INT, FMT_STR } fmt_t;

typedef struct {
    const char *leaf;
    fmt_t fmt;
    float lo, hi; /* what the node shows for 0..1 */
    int prec;
    const char *const *names;
} node_item_t;

static const char *const hslopes[] = {"12", "18", "24", NULL};
static const char *const gmodes[] = {"EXP2", "EXP3", "EXP4", "GATE", "DUCK", NULL};
static const char *const dmodes[] = {"COMP", "EXP", NULL};
static const char *const ddets[] = {"PEAK", "RMS", NULL};
static const char *const denvs[] = {"LIN", "LOG", NULL};
static const char *const dpos[] = {"PRE", "POST", NULL};
static const char *const dratios[] = {"1.1", "1.3", "1.5", "2.0", "2.5", "3.0", "4.0", "5.0",
                                      "7.0", "10",  "20",  "100", NULL};
static const char *const eqtypes[] = {"LCut", "LShv", "PEQ", "VEQ", "HShv", "HCut", NULL};
static const char *const mtypes[] = {"IN/LC", "<-EQ", "EQ->", "PRE", "POST", "GRP", NULL};

#define END {NULL, 0, 0, 0, 0, NULL}
static const node_item_t n_config[] = {{"name", FMT_STR, 0, 0, 0, NULL}, {"icon", FMT_INT, 0, 0, 0, NULL},
                                       {"color", FMT_ENUM, 0, 0, 0, NULL}, /* jm_x32_color_names() */
                                       {"source", FMT_INT, 0, 0, 0, NULL}, END};
static const node_item_t n_preamp[] = {{"trim", FMT_LINFS, -18, 18, 1, NULL}, {"invert", FMT_ONOFF, 0, 0, 0, NULL},
                                       {"hpon", FMT_ONOFF, 0, 0, 0, NULL}, {"hpslope", FMT_ENUM, 0, 0, 0, hslopes},
                                       {"hpf", FMT_FREQ, 20, 400, 0, NULL}, END};
static const node_item_t n_gate[] = {{"on", FMT_ONOFF, 0, 0, 0, NULL}, {"mode", FMT_ENUM, 0, 0, 0, gmodes},
                                     {"thr", FMT_LINF, -80, 0, 1, NULL}, {"range", FMT_LINF, 3, 60, 1, NULL},
                                     {"attack", FMT_LINF, 0, 120, 0, NULL}, {"hold", FMT_LOGF, 0.02f, 2000, 2, NULL},
                                     {"release", FMT_LOGF, 5, 4000, 0, NULL}, {"keysrc", FMT_INT, 0, 0, 0, NULL}, END};
static const node_item_t n_dyn[] = {{"on", FMT_ONOFF, 0, 0, 0, NULL}, {"mode", FMT_ENUM, 0, 0, 0, dmodes},
                                    {"det", FMT_ENUM, 0, 0, 0, ddets}, {"env", FMT_ENUM, 0, 0, 0, denvs},
                                    {"thr", FMT_LINF, -60, 0, 1, NULL}, {"ratio", FMT_ENUM, 0, 0, 0, dratios},
                                    {"knee", FMT_LINF, 0, 5, 0, NULL}, {"mgain", FMT_LINF, 0, 24, 1, NULL},
                                    {"attack", FMT_LINF, 0, 120, 0, NULL}, {"hold", FMT_LOGF, 0.02f, 2000, 2, NULL},
                                    {"release", FMT_LOGF, 5, 4000, 0, NULL}, {"pos", FMT_ENUM, 0, 0, 0, dpos},
                                    {"keysrc", FMT_INT, 0, 0, 0, NULL}, {"mix", FMT_LINF, 0, 100, 0, NULL},
                                    {"auto", FMT_ONOFF, 0, 0, 0, NULL}, END};
static const node_item_t n_eq[] = {{"on", FMT_ONOFF, 0, 0, 0, NULL}, END};
static const node_item_t n_band[] = {{"type", FMT_ENUM, 0, 0, 0, eqtypes}, {"f", FMT_FREQ, 20, 20000, 0, NULL},
                                     {"g", FMT_LINFS, -15, 15, 2, NULL}, {"q", FMT_LOGF, 10, 0.3f, 1, NULL}, END};
static const node_item_t n_mix[] = {{"on", FMT_ONOFF, 0, 0, 0, NULL}, {"fader", FMT_LEVEL, 0, 0, 0, NULL},
                                    {"st", FMT_ONOFF, 0, 0, 0, NULL}, {"pan", FMT_LINFS, -100, 100, 0, NULL},
                                    {"mono", FMT_ONOFF, 0, 0, 0, NULL}, {"mlevel", FMT_LEVEL, 0, 0, 0, NULL}, END};
static const node_item_t n_main_mix[] = {{"on", FMT_ONOFF, 0, 0, 0, NULL}, {"fader", FMT_LEVEL, 0, 0, 0, NULL},
                                         {"pan", FMT_LINFS, -100, 100, 0, NULL}, END};
static const node_item_t n_send_odd[] = {{"on", FMT_ONOFF, 0, 0, 0, NULL}, {"level", FMT_LEVEL, 0, 0, 0, NULL},
                                         {"pan", FMT_LINFS, -100, 100, 0, NULL}, {"type", FMT_ENUM, 0, 0, 0, mtypes},
                                         {"panFollow", FMT_INT, 0, 0, 0, NULL}, END};
static const node_item_t n_send_even[] = {{"on", FMT_ONOFF, 0, 0, 0, NULL}, {"level", FMT_LEVEL, 0, 0, 0, NULL}, END};

/* The X32's way of showing a frequency: 80.0, 632.5, 2k50, 12k0. */
static void freq_text(char *o, size_t cap, float hz)
{
    if (hz < 1000.0f) snprintf(o, cap, " %.1f", hz);
    else if (hz < 10000.0f) {
        int c = (int)lroundf(hz / 10.0f);
        snprintf(o, cap, " %dk%02d", c / 100, c % 100);
    } else {
        int c = (int)lroundf(hz / 100.0f);
        snprintf(o, cap, " %dk%d", c / 10, c % 10);
    }
}

static void item_text(const node_item_t *it, const jm_x32_ent_t *e, float x, char *o, size_t cap)
{
    int i = (int)lroundf(x);
    switch (it->fmt) {
    case FMT_ONOFF: snprintf(o, cap, i ? " ON" : " OFF"); break;
    case FMT_LEVEL:
        if (x <= 0.0f) snprintf(o, cap, " -oo");
        else snprintf(o, cap, " %+.1f", jm_x32_db_from_norm(x));
        break;
    case FMT_LINF: snprintf(o, cap, " %.*f", it->prec, it->lo + x * (it->hi - it->lo)); break;
    case FMT_LINFS: snprintf(o, cap, " %+.*f", it->prec, it->lo + x * (it->hi - it->lo)); break;
    case FMT_LOGF: snprintf(o, cap, " %.*f", it->prec, it->lo * powf(it->hi / it->lo, x)); break;
    case FMT_FREQ: freq_text(o, cap, it->lo * powf(it->hi / it->lo, x)); break;
    case FMT_ENUM: {
        const char *const *names = it->names ? it->names : jm_x32_color_names();
        int n = 0;
        while (names && names[n]) n++;
        snprintf(o, cap, " %s", n ? names[i < 0 ? 0 : i >= n ? n - 1 : i] : "");
        break;
    }
    case FMT_INT: snprintf(o, cap, " %d", i); break;
    case FMT_STR: snprintf(o, cap, " \"%s\"", e->str ? e->str : ""); break;
    }
}

int jm_x32_node(const jm_session_t *s, int d, const char *node, const float *values, char *out,
                size_t cap)
{
    char base[72];
    if (strlen(node) > 48 || !cap) return 0;
    snprintf(base, sizeof base, "/%s", node[0] == '/' ? node + 1 : node);
    const family_t *f;
    int num;
    const char *tail = split_family(d, base + 1, &f, &num);
    if (!tail) {
        /* "main/st" style nodes end without a '/': try with one */
        return 0;
    }
    const node_item_t *items = NULL;
    int band = 0, send = 0;
    if (!strcmp(tail, "config")) items = n_config;
    else if (!strcmp(tail, "preamp")) items = n_preamp;
    else if (!strcmp(tail, "gate")) items = n_gate;
    else if (!strcmp(tail, "dyn")) items = n_dyn;
    else if (!strcmp(tail, "eq")) items = n_eq;
    else if (!strcmp(tail, "mix")) items = f->owner == OWN_MASTER ? n_main_mix : n_mix;
    else if (leaf_match("eq/#", tail, f, &band, &send)) items = n_band;
    else if (leaf_match("mix/##", tail, f, &band, &send)) items = send % 2 ? n_send_odd : n_send_even;
    if (!items) return 0;
    size_t n = (size_t)snprintf(out, cap, "%s", base);
    for (const node_item_t *it = items; it->leaf && n < cap; it++) {
        char leaf[96], text[48];
        jm_x32_ent_t e;
        snprintf(leaf, sizeof leaf, "%s/%s", base, it->leaf);
        if (!jm_x32_lookup(s, d, leaf, &e)) continue;
        float x = e.param >= 0 ? jm_x32_from_units(&e, values[e.param]) : e.def;
        item_text(it, &e, x, text, sizeof text);
        n += (size_t)snprintf(out + n, cap - n, "%s", text);
    }
    if (n + 2 > cap) return 0;
    out[n++] = '\n';
    out[n] = '\0';
    return 1;
}
