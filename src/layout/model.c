/* The control list both layout writers render: per strip a name, pan, mute,
 * solo, fader and meter; the master fader, its meter and the loudness
 * readout; a header with the feedback subscription. Geometry is for a
 * 1280x800 landscape tablet, eight strips per TouchOSC page.
 * A performer's layout (--performer) holds that performer's mix only: per
 * strip a name and its send into the bus with the strip's meter; the bus's
 * mute, fader and meter; the header logs in before it subscribes. */
#include "jmixd/layout/layout.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    CANVAS_W = 1280, CANVAS_H = 800, HEADER_H = 64,
    STRIP_X0 = 80, STRIP_PITCH = 124, STRIP_W = 116,
    MASTER_X = STRIP_X0 + JM_LAYOUT_STRIPS_PER_PAGE * STRIP_PITCH, MASTER_W = 200,
    ROW_NAME = 8, ROW_PAN = 56, ROW_MUTE = 104, ROW_SOLO = 160, ROW_FADER = 216,
    FADER_H = 472,
    /* a performer's layout: sends from the name down, the bus below its mute */
    SEND_H = 632, ROW_BUS_FADER = 112, BUS_FADER_H = 576
};

static jm_layout_ctl_t *add(jm_layout_t *l, jm_layout_kind_t kind, int strip, int page,
                            float x, float y, float w, float h, const char *idfmt, ...)
    __attribute__((format(printf, 9, 10)));

static jm_layout_ctl_t *add(jm_layout_t *l, jm_layout_kind_t kind, int strip, int page,
                            float x, float y, float w, float h, const char *idfmt, ...)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        jm_layout_ctl_t *c = realloc(l->c, cap * sizeof *c);
        if (!c) return NULL;
        l->c = c;
        l->cap = cap;
    }
    jm_layout_ctl_t *c = &l->c[l->n++];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->strip = strip;
    c->page = page;
    c->x = x;
    c->y = y;
    c->w = w;
    c->h = h;
    va_list ap;
    va_start(ap, idfmt);
    vsnprintf(c->id, sizeof c->id, idfmt, ap);
    va_end(ap);
    return c;
}

/* Initial norm position of a parameter from the session's values. */
static int initial(const jm_session_t *s, const char *path, float *out, char *err, size_t errlen)
{
    int i = jm_params_find(&s->params, path);
    if (i < 0) {
        snprintf(err, errlen, "the session has no parameter %s", path);
        return -1;
    }
    const jm_param_def_t *d = s->params.p[i].def;
    float v = s->values ? s->values[i] : s->params.p[i].defval;
    *out = jm_param_is_bool(d) ? (v >= 0.5f ? 1.0f : 0.0f) : jm_param_to_norm(d, v);
    return 0;
}

/* A control on a parameter: native address (with /norm for continuous
 * parameters) and the session's value as its starting position. */
static int wire(jm_layout_ctl_t *c, const jm_session_t *s, const char *path, char *err,
                size_t errlen)
{
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (initial(s, path, &c->value, err, errlen)) return -1;
    int i = jm_params_find(&s->params, path);
    snprintf(c->address, sizeof c->address, "%s%s", path,
             jm_param_is_bool(s->params.p[i].def) ? "" : "/norm");
    return 0;
}

static int text(jm_layout_ctl_t *c, const char *t, char *err, size_t errlen)
{
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(c->text, sizeof c->text, "%s", t);
    return 0;
}

/* Strip n's meter beside its fader (the console's or a performer's send). */
static int add_strip_meter(jm_layout_t *l, int n, int page, int x, int row, int h, char *err,
                           size_t errlen)
{
    jm_layout_ctl_t *m = add(l, JM_LC_METER, n, page, x, row, 28, h, "s%d_meter", n);
    if (text(m, "", err, errlen)) return -1;
    snprintf(m->address, sizeof m->address, "/meter/strip/%d", n);
    return 0;
}

static int add_strip(jm_layout_t *l, const jm_session_t *s, int k, char *err, size_t errlen)
{
    int n = k + 1, page = k / JM_LAYOUT_STRIPS_PER_PAGE;
    float x = STRIP_X0 + (float)(k % JM_LAYOUT_STRIPS_PER_PAGE) * STRIP_PITCH;
    char path[JM_PATH_MAX];

    if (text(add(l, JM_LC_NAME, n, page, x, ROW_NAME, STRIP_W, 40, "s%d_name", n),
             s->strips[k].name, err, errlen))
        return -1;
    /* the strip's wired controls, top to bottom */
    static const struct {
        jm_layout_kind_t kind;
        const char *param;
        float row, w, h;
    } ctl[] = {
        {JM_LC_PAN, "pan", ROW_PAN, STRIP_W, 40},
        {JM_LC_MUTE, "mute", ROW_MUTE, STRIP_W, 48},
        {JM_LC_SOLO, "solo", ROW_SOLO, STRIP_W, 48},
        {JM_LC_FADER, "fader", ROW_FADER, 80, FADER_H},
    };
    for (size_t i = 0; i < sizeof ctl / sizeof ctl[0]; i++) {
        snprintf(path, sizeof path, "/strip/%d/%s", n, ctl[i].param);
        if (wire(add(l, ctl[i].kind, n, page, x, ctl[i].row, ctl[i].w, ctl[i].h, "s%d_%s", n,
                     ctl[i].param),
                 s, path, err, errlen))
            return -1;
    }
    return add_strip_meter(l, n, page, x + 88, ROW_FADER, FADER_H, err, errlen);
}

static int add_master(jm_layout_t *l, const jm_session_t *s, char *err, size_t errlen)
{
    const int every = JM_LAYOUT_EVERY_PAGE;
    if (text(add(l, JM_LC_TEXT, 0, every, MASTER_X, ROW_NAME, MASTER_W, 40, "master_title"),
             "MASTER", err, errlen))
        return -1;
    jm_layout_ctl_t *c = add(l, JM_LC_LOUDNESS, 0, every, MASTER_X, ROW_PAN, MASTER_W, 40,
                             "loudness");
    if (text(c, "-- LUFS", err, errlen)) return -1;
    snprintf(c->address, sizeof c->address, "/meter/loudness");
    if (text(add(l, JM_LC_TEXT, 0, every, MASTER_X, ROW_MUTE, MASTER_W, 32, "loudness_caption"),
             "momentary loudness", err, errlen))
        return -1;
    if (wire(add(l, JM_LC_MASTER_FADER, 0, every, MASTER_X, ROW_FADER, 120, FADER_H,
                 "master_fader"), s, "/master/fader", err, errlen))
        return -1;
    c = add(l, JM_LC_MASTER_METER, 0, every, MASTER_X + 132, ROW_FADER, 40, FADER_H,
            "master_meter");
    if (text(c, "", err, errlen)) return -1;
    snprintf(c->address, sizeof c->address, "/meter/master");
    static const struct { const char *id, *t; int y; } rows[] = {
        {"row_pan", "PAN", ROW_PAN}, {"row_mute", "MUTE", ROW_MUTE},
        {"row_solo", "SOLO", ROW_SOLO}, {"row_level", "LEVEL", ROW_FADER}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (text(add(l, JM_LC_TEXT, 0, every, 8, (float)rows[i].y, 64, 40, "%s", rows[i].id),
                 rows[i].t, err, errlen))
            return -1;
    return 0;
}

/* A performer's strip: its name over its send into the bus, with the
 * strip's meter (what the strip sends). */
static int add_send(jm_layout_t *l, const jm_session_t *s, int k, char *err, size_t errlen)
{
    int n = k + 1, page = k / JM_LAYOUT_STRIPS_PER_PAGE;
    float x = STRIP_X0 + (float)(k % JM_LAYOUT_STRIPS_PER_PAGE) * STRIP_PITCH;
    char path[JM_PATH_MAX];
    if (text(add(l, JM_LC_NAME, n, page, x, ROW_NAME, STRIP_W, 40, "s%d_name", n),
             s->strips[k].name, err, errlen))
        return -1;
    snprintf(path, sizeof path, "/strip/%d/send/%d/level", n, l->bus);
    if (wire(add(l, JM_LC_SEND, n, page, x, ROW_PAN, 80, SEND_H, "s%d_send", n), s, path, err,
             errlen))
        return -1;
    return add_strip_meter(l, n, page, x + 88, ROW_PAN, SEND_H, err, errlen);
}

/* A performer's bus, on every page: its name, mute, fader and meter. */
static int add_bus(jm_layout_t *l, const jm_session_t *s, char *err, size_t errlen)
{
    const int every = JM_LAYOUT_EVERY_PAGE;
    char path[JM_PATH_MAX];
    if (text(add(l, JM_LC_TEXT, 0, every, MASTER_X, ROW_NAME, MASTER_W, 40, "bus_title"),
             s->buses[l->bus - 1].name, err, errlen))
        return -1;
    snprintf(path, sizeof path, "/bus/%d/mute", l->bus);
    jm_layout_ctl_t *c = add(l, JM_LC_BUS_MUTE, 0, every, MASTER_X, ROW_PAN, MASTER_W, 48,
                             "bus_mute");
    if (wire(c, s, path, err, errlen) || text(c, "MUTE", err, errlen)) return -1;
    snprintf(path, sizeof path, "/bus/%d/fader", l->bus);
    if (wire(add(l, JM_LC_BUS_FADER, 0, every, MASTER_X, ROW_BUS_FADER, 120, BUS_FADER_H,
                 "bus_fader"), s, path, err, errlen))
        return -1;
    c = add(l, JM_LC_BUS_METER, 0, every, MASTER_X + 132, ROW_BUS_FADER, 40, BUS_FADER_H,
            "bus_meter");
    if (text(c, "", err, errlen)) return -1;
    snprintf(c->address, sizeof c->address, "/meter/bus/%d", l->bus);
    return text(add(l, JM_LC_TEXT, 0, every, 8, ROW_PAN, 64, 40, "row_send"), "SEND", err,
                errlen);
}

static int add_header(jm_layout_t *l, char *err, size_t errlen)
{
    const int hd = JM_LAYOUT_HEADER;
    if (text(add(l, JM_LC_TEXT, 0, hd, 8, 8, 360, 48, "title"), l->title, err, errlen))
        return -1;
    jm_layout_ctl_t *c = add(l, JM_LC_SUBSCRIBE, 0, hd, 376, 8, 160, 48, "subscribe");
    if (text(c, "FEEDBACK", err, errlen)) return -1;
    snprintf(c->address, sizeof c->address, "/subscribe");
    char help[JM_LAYOUT_TEXT_MAX];
    if (l->bus)
        snprintf(help, sizeof help,
                 "Send to port %d, receive on port %d. Logs in as %s, then subscribes "
                 "for 10 s (renewed every 5 s); FEEDBACK does both at once.",
                 l->daemon_port, l->feedback_port, l->login);
    else
        snprintf(help, sizeof help,
             "Send to port %d, receive on port %d. FEEDBACK subscribes for 10 s "
             "(TouchOSC renews it every 5 s); or list this device in osc.clients "
             "with style \"norm\".",
             l->daemon_port, l->feedback_port);
    return text(add(l, JM_LC_TEXT, 0, hd, 544, 4, 728, 56, "help"), help, err, errlen);
}

int jm_layout_build(jm_layout_t *l, const jm_session_t *s, const jm_layout_opts_t *o,
                    char *err, size_t errlen)
{
    memset(l, 0, sizeof *l);
    l->n_strips = s->n_strips;
    l->n_pages = s->n_strips ? (s->n_strips + JM_LAYOUT_STRIPS_PER_PAGE - 1) /
                                   JM_LAYOUT_STRIPS_PER_PAGE
                             : 1;
    l->width = CANVAS_W;
    l->height = CANVAS_H;
    l->header_h = HEADER_H;
    l->daemon_port = o && o->daemon_port ? o->daemon_port : s->osc_port;
    l->feedback_port = o && o->feedback_port ? o->feedback_port : 9000;
    snprintf(l->host, sizeof l->host, "%s", o && o->host && o->host[0] ? o->host : "127.0.0.1");
    const char *base = strrchr(s->path, '/');
    snprintf(l->title, sizeof l->title, "jmixd: %.*s", (int)sizeof l->title - 8,
             base ? base + 1 : s->path);
    if (o && o->performer) {
        for (int k = 0; k < s->n_performers && !l->bus; k++)
            if (!strcmp(s->performers[k].name, o->performer)) {
                const jm_performer_cfg_t *pf = &s->performers[k];
                l->bus = pf->bus + 1;
                snprintf(l->login, sizeof l->login, "%s", pf->name);
                snprintf(l->pin, sizeof l->pin, "%s", pf->pin);
                snprintf(l->title, sizeof l->title, "%s: %s mix", pf->name,
                         s->buses[pf->bus].name);
            }
        if (!l->bus) {
            snprintf(err, errlen, "--performer: the session has no performer '%.64s'%s",
                     o->performer, s->n_performers ? "" : " (it has no performers section)");
            return -1;
        }
    }

    int rc = add_header(l, err, errlen);
    for (int k = 0; !rc && k < s->n_strips; k++)
        rc = l->bus ? add_send(l, s, k, err, errlen) : add_strip(l, s, k, err, errlen);
    if (!rc) rc = l->bus ? add_bus(l, s, err, errlen) : add_master(l, s, err, errlen);
    if (rc) jm_layout_free(l);
    return rc;
}

void jm_layout_free(jm_layout_t *l)
{
    free(l->c);
    l->c = NULL;
    l->n = l->cap = 0;
}
