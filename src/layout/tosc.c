/* TouchOSC layout writer.
 *
 * A .tosc file is a zlib stream (RFC 1950, not gzip) of one XML document:
 *   <?xml version='1.0' encoding='UTF-8'?><lexml version='6'>
 *     <node ID='uuid' type='GROUP'> <includes/> <properties> <values>
 *       <messages> <children> ... </node></lexml>
 * Properties are typed key/value pairs (s b i f r c), written in key order,
 * keys and strings in CDATA; values hold the live state (x, touch, text,
 * page) with its default; an <osc> message has enabled/send/receive/
 * feedback/noDuplicates flags, ten connection slots, triggers, and a path
 * and arguments built from partials (CONSTANT, VALUE; conversions STRING,
 * INTEGER, FLOAT). Version 6 (TouchOSC 1.5) adds <includes> on the root node
 * and <noDuplicates>; older releases wrote version 3.
 * Sources: the file format notes of the open-source py2tosc and tosclib
 * projects (verified there against files saved by TouchOSC 1.5.2), and
 * Hexler's TouchOSC manual (editor messages, script callbacks). */
#include "jmixd/layout/layout.h"
#include "layout_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define LEXML_VERSION "6"
#define ALL_CONNECTIONS "1111111111"
#define TABBAR 40

/* ------------------------------------------------------------ properties -- */

typedef struct {
    const char *key;
    char type;          /* s b i f r c */
    const char *s;      /* type s */
    double v[4];        /* b i f: v[0]; r: x y w h; c: r g b a */
} prop_t;

#define MAX_PROPS 40

typedef struct {
    prop_t p[MAX_PROPS];
    int n;
} props_t;

static prop_t *prop(props_t *ps, const char *key, char type)
{
    prop_t *p = &ps->p[ps->n < MAX_PROPS ? ps->n++ : MAX_PROPS - 1];
    *p = (prop_t){.key = key, .type = type};
    return p;
}
static void ps_str(props_t *ps, const char *k, const char *s) { prop(ps, k, 's')->s = s; }
static void ps_bool(props_t *ps, const char *k, int v) { prop(ps, k, 'b')->v[0] = v != 0; }
static void ps_int(props_t *ps, const char *k, int v) { prop(ps, k, 'i')->v[0] = v; }
static void ps_frame(props_t *ps, float x, float y, float w, float h)
{
    prop_t *p = prop(ps, "frame", 'r');
    p->v[0] = x, p->v[1] = y, p->v[2] = w, p->v[3] = h;
}
static void ps_color(props_t *ps, const char *k, const float c[4])
{
    prop_t *p = prop(ps, k, 'c');
    for (int i = 0; i < 4; i++) p->v[i] = c[i];
}

/* ---- the properties every node of a type carries, with TouchOSC's
 * defaults, so the app never falls back on a guess: as in files saved by
 * TouchOSC (tosclib's docs/demos/files/controls.tosc, one control of each
 * type as the editor creates it, and peak_meter_1.tosc; both lexml version 3,
 * whose property set version 6 keeps). Keys already set are kept. */
static int has(const props_t *ps, const char *key)
{
    for (int i = 0; i < ps->n; i++)
        if (!strcmp(ps->p[i].key, key)) return 1;
    return 0;
}
static void def_bool(props_t *ps, const char *k, int v) { if (!has(ps, k)) ps_bool(ps, k, v); }
static void def_int(props_t *ps, const char *k, int v) { if (!has(ps, k)) ps_int(ps, k, v); }
static void def_float(props_t *ps, const char *k, double v)
{
    if (!has(ps, k)) prop(ps, k, 'f')->v[0] = v;
}

static void defaults(props_t *ps, const char *type)
{
    static const float white[4] = {1, 1, 1, 1};
    int container = !strcmp(type, "GROUP") || !strcmp(type, "PAGER");
    def_bool(ps, "background", 1);
    def_float(ps, "cornerRadius", 1);
    def_bool(ps, "grabFocus", !container);
    def_bool(ps, "interactive", !strcmp(type, "FADER") || !strcmp(type, "BUTTON") ||
                                    !strcmp(type, "PAGER"));
    def_bool(ps, "locked", 0);
    def_int(ps, "orientation", 0);
    def_bool(ps, "outline", 1);
    def_int(ps, "outlineStyle", container ? 0 : 1);
    def_int(ps, "pointerPriority", 0);
    def_int(ps, "shape", 1);
    def_bool(ps, "visible", 1);
    if (!strcmp(type, "FADER")) {
        def_bool(ps, "bar", 1);
        def_int(ps, "barDisplay", 0);
        def_bool(ps, "cursor", 1);
        def_int(ps, "cursorDisplay", 0);
        def_bool(ps, "grid", 1);
        def_int(ps, "gridSteps", 13);
        def_int(ps, "response", 0);       /* absolute */
        def_int(ps, "responseFactor", 100);
    } else if (!strcmp(type, "BUTTON")) {
        def_int(ps, "buttonType", 0);
        def_bool(ps, "press", 1);
        def_bool(ps, "release", 1);
        def_bool(ps, "valuePosition", 0);
    } else if (!strcmp(type, "LABEL") || !strcmp(type, "TEXT")) {
        def_int(ps, "font", 0);
        def_int(ps, "textAlignH", 2);
        def_int(ps, "textSize", 14);
        if (!has(ps, "textColor")) ps_color(ps, "textColor", white);
        if (!strcmp(type, "LABEL")) {
            def_int(ps, "textAlignV", 2);
            def_bool(ps, "textClip", 1);
            def_int(ps, "textLength", 0);
        }
    } else if (!strcmp(type, "PAGER")) {
        def_bool(ps, "tabLabels", 1);
        def_bool(ps, "tabbar", 1);
        def_bool(ps, "tabbarDoubleTap", 0);
        def_int(ps, "tabbarSize", 40);
        def_int(ps, "textSizeOff", 14);
        def_int(ps, "textSizeOn", 14);
    }
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const prop_t *)a)->key, ((const prop_t *)b)->key);
}

/* Text in CDATA; a "]]>" inside is split across two sections. */
static void cdata(jm_text_t *b, const char *t)
{
    jm_text_puts(b, "<![CDATA[");
    for (const char *q; (q = strstr(t, "]]>")); t = q + 2) {
        jm_text_printf(b, "%.*s]]]]><![CDATA[", (int)(q - t), t);
    }
    jm_text_puts(b, t);
    jm_text_puts(b, "]]>");
}

static void emit_props(jm_text_t *b, props_t *ps, const char *type)
{
    static const char *const rect[] = {"x", "y", "w", "h"}, *const rgba[] = {"r", "g", "b", "a"};
    char num[32];
    defaults(ps, type);
    qsort(ps->p, (size_t)ps->n, sizeof ps->p[0], by_key);
    jm_text_puts(b, "<properties>");
    for (int i = 0; i < ps->n; i++) {
        const prop_t *p = &ps->p[i];
        jm_text_printf(b, "<property type='%c'><key>", p->type);
        cdata(b, p->key);
        jm_text_puts(b, "</key><value>");
        if (p->type == 's') {
            cdata(b, p->s);
        } else if (p->type == 'r' || p->type == 'c') {
            const char *const *f = p->type == 'r' ? rect : rgba;
            for (int k = 0; k < 4; k++)
                jm_text_printf(b, "<%s>%s</%s>", f[k], jm_lnum(num, p->v[k]), f[k]);
        } else {
            jm_text_puts(b, jm_lnum(num, p->v[0]));
        }
        jm_text_puts(b, "</value></property>");
    }
    jm_text_puts(b, "</properties>");
}

/* ---------------------------------------------------- values and messages -- */

static void emit_value(jm_text_t *b, const char *key, const char *def)
{
    jm_text_puts(b, "<value><key>");
    cdata(b, key);
    jm_text_puts(b, "</key><locked>0</locked><lockedDefaultCurrent>0</lockedDefaultCurrent>"
                    "<default>");
    cdata(b, def);
    jm_text_puts(b, "</default><defaultPull>0</defaultPull></value>");
}

typedef struct {
    const char *type;   /* CONSTANT or VALUE */
    const char *conv;   /* STRING, INTEGER, FLOAT */
    const char *value;  /* constant text or value key */
} partial_t;

static void emit_partial(jm_text_t *b, const partial_t *p)
{
    jm_text_printf(b, "<partial><type>%s</type><conversion>%s</conversion><value>", p->type,
                   p->conv);
    cdata(b, p->value);
    jm_text_puts(b, "</value><scaleMin>0</scaleMin><scaleMax>1</scaleMax></partial>");
}

/* One <osc> message. Receive-only messages (send 0) carry their trigger
 * too, as files TouchOSC saves do (a meter fader in tosclib's
 * peak_meter_1.tosc: send 0, receive 1, trigger x ANY). */
static void emit_osc_rx(jm_text_t *b, int send, int receive, const char *trigger,
                        const char *cond, const char *address, const partial_t *args, int nargs)
{
    jm_text_printf(b, "<osc><enabled>1</enabled><send>%d</send><receive>%d</receive>"
                      "<feedback>0</feedback><noDuplicates>0</noDuplicates>"
                      "<connections>" ALL_CONNECTIONS "</connections>", send, receive);
    jm_text_puts(b, "<triggers><trigger><var>");
    cdata(b, trigger);
    jm_text_printf(b, "</var><condition>%s</condition></trigger></triggers>", cond);
    jm_text_puts(b, "<path>");
    emit_partial(b, &(partial_t){"CONSTANT", "STRING", address});
    jm_text_puts(b, "</path><arguments>");
    for (int i = 0; i < nargs; i++) emit_partial(b, &args[i]);
    jm_text_puts(b, "</arguments></osc>");
}

static void emit_osc(jm_text_t *b, int send, const char *trigger, const char *cond,
                     const char *address, const partial_t *args, int nargs)
{
    emit_osc_rx(b, send, 1, trigger, cond, address, args, nargs);
}

/* ------------------------------------------------------------------ nodes -- */

/* A stable version-4-shaped UUID from the control's name and page, so a
 * regenerated layout keeps its IDs. */
static void node_id(char out[40], const char *name, int page)
{
    uint64_t h[2] = {0xcbf29ce484222325ull, 0x84222325cbf29ce4ull};
    for (int k = 0; k < 2; k++) {
        for (const char *s = name; *s; s++) h[k] = (h[k] ^ (unsigned char)*s) * 0x100000001b3ull;
        h[k] = (h[k] ^ (uint64_t)(page + 7)) * 0x100000001b3ull;
        h[k] ^= h[k] >> 29;
    }
    snprintf(out, 40, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(h[0] >> 32),
             (unsigned)(h[0] >> 16) & 0xffff, (unsigned)h[0] & 0xfff,
             0x8000 | ((unsigned)(h[1] >> 48) & 0x3fff),
             (unsigned long long)(h[1] & 0xffffffffffffull));
}

static void open_node(jm_text_t *b, const char *type, const char *name, int page)
{
    char id[40];
    node_id(id, name, page);
    jm_text_printf(b, "<node ID='%s' type='%s'>", id, type);
}

static const float BG[4] = {0.07f, 0.07f, 0.09f, 1}, PAGE_BG[4] = {0.11f, 0.11f, 0.13f, 1},
                   WHITE[4] = {1, 1, 1, 1}, GREY[4] = {0.6f, 0.6f, 0.65f, 1},
                   BLUE[4] = {0.3f, 0.6f, 1, 1}, VIOLET[4] = {0.6f, 0.5f, 0.95f, 1},
                   RED[4] = {1, 0.25f, 0.25f, 1}, YELLOW[4] = {1, 0.8f, 0.2f, 1},
                   GREEN[4] = {0.2f, 0.9f, 0.4f, 1}, GOLD[4] = {1, 0.65f, 0.15f, 1};

static void common(props_t *ps, const char *name, const jm_layout_ctl_t *c, const float col[4])
{
    ps_str(ps, "name", name);
    ps_frame(ps, c->x, c->y, c->w, c->h);
    ps_color(ps, "color", col);
}

static void emit_label(jm_text_t *b, const char *type, const char *name, int page,
                       const jm_layout_ctl_t *c, const char *txt, int size, const float col[4])
{
    props_t ps = {.n = 0};
    common(&ps, name, c, col);
    ps_bool(&ps, "background", 0);
    ps_bool(&ps, "outline", 0);
    ps_bool(&ps, "interactive", 0);
    ps_int(&ps, "textSize", size);
    ps_color(&ps, "textColor", col);
    if (!strcmp(type, "TEXT")) {
        ps_bool(&ps, "textWrap", 1);
        ps_int(&ps, "textAlignH", 1); /* left; numbered from 1 */
    }
    if (c->kind == JM_LC_LOUDNESS) ps_int(&ps, "textLength", 6);
    open_node(b, type, name, page);
    emit_props(b, &ps, type);
    jm_text_puts(b, "<values>");
    emit_value(b, "text", txt);
    emit_value(b, "touch", "false");
    jm_text_puts(b, "</values>");
    if (c->address[0]) { /* the loudness readout shows the first float */
        static const partial_t arg = {"VALUE", "STRING", "text"};
        jm_text_puts(b, "<messages>");
        emit_osc(b, 0, "text", "ANY", c->address, &arg, 1);
        jm_text_puts(b, "</messages>");
    }
    jm_text_puts(b, "</node>");
}

/* The value node (x and touch) and the one OSC message of a fader or
 * button: sent on a change of x when interactive (argument type `type`),
 * and received on the same address (a meter only receives: the first float
 * of /meter/... is its x). */
static void emit_x_message(jm_text_t *b, const jm_layout_ctl_t *c, int interactive,
                           const char *type)
{
    char num[32];
    jm_text_puts(b, "<values>");
    emit_value(b, "x", jm_lnum(num, c->value));
    emit_value(b, "touch", "false");
    jm_text_puts(b, "</values><messages>");
    const partial_t arg = {"VALUE", type, "x"};
    emit_osc(b, interactive, "x", "ANY", c->address, &arg, 1);
    jm_text_puts(b, "</messages></node>");
}

static void emit_fader(jm_text_t *b, const char *name, int page, const jm_layout_ctl_t *c,
                       const float col[4], int horizontal, int centered, int interactive)
{
    props_t ps = {.n = 0};
    common(&ps, name, c, col);
    ps_int(&ps, "orientation", horizontal ? 1 : 0); /* 0 north, 1 east */
    ps_bool(&ps, "interactive", interactive);
    ps_bool(&ps, "bar", 1);
    ps_bool(&ps, "cursor", interactive);
    ps_bool(&ps, "grid", 0);
    if (centered) ps_bool(&ps, "centered", 1);
    open_node(b, "FADER", name, page);
    emit_props(b, &ps, "FADER");
    emit_x_message(b, c, interactive, "FLOAT");
}

static void emit_toggle(jm_text_t *b, const char *name, int page, const jm_layout_ctl_t *c,
                        const float col[4])
{
    props_t ps = {.n = 0};
    common(&ps, name, c, col);
    ps_int(&ps, "buttonType", 1); /* toggle on release */
    open_node(b, "BUTTON", name, page);
    emit_props(b, &ps, "BUTTON");
    emit_x_message(b, c, 1, "INTEGER"); /* sends 0 or 1 */
}

/* The subscription lasts 10 s (docs/osc.md): the button sends it on press and
 * its script re-sends it every 5 s while the layout runs. The console starts
 * streaming only once the tablet has echoed the /subscribe/confirm i:token
 * it sends to the feedback port: the button's second message receives it
 * and the script answers on the connection it came from. */
/* A performer's layout logs in first (its first message, /performer/login
 * s:NAME s:PIN, from the same connection): a subscription from a logged-in
 * sender carries only that mix (docs/osc.md, "Performers"). Renewing the
 * login with each renewal restores it after the console restarts. */
static const char RENEW_SCRIPT[] =
    "-- jmixd: renew the norm-style feedback subscription every 5 s\n"
    "local last = -10000\n"
    "function update()\n"
    "  local now = getMillis()\n"
    "  if now - last >= 5000 then\n"
    "    last = now\n"
    "    self.messages.OSC[1]:trigger()\n"
    "  end\n"
    "end\n"
    "-- and answer the console's /subscribe/confirm with the same token\n"
    "function onReceiveOSC(message, connections)\n"
    "  local args = message[2]\n"
    "  if message[1] == '/subscribe/confirm' and args[1] and args[1].tag == 'i' then\n"
    "    sendOSC({'/subscribe/confirm', {{tag = 'i', value = args[1].value}}}, connections)\n"
    "    return true\n"
    "  end\n"
    "  return false\n"
    "end\n";

static void emit_subscribe(jm_text_t *b, const jm_layout_t *l, const jm_layout_ctl_t *c)
{
    props_t ps = {.n = 0};
    char port[16];
    jm_text_t script = {0};
    if (l->login[0]) {
        /* trigger the login (OSC[1]), then the subscription (OSC[2]) */
        const char *one = "    self.messages.OSC[1]:trigger()\n";
        const char *at = strstr(RENEW_SCRIPT, one);
        jm_text_printf(&script, "%.*s%s    self.messages.OSC[2]:trigger()\n%s",
                       (int)(at - RENEW_SCRIPT), RENEW_SCRIPT, one, at + strlen(one));
    } else {
        jm_text_puts(&script, RENEW_SCRIPT);
    }
    char *code = jm_text_take(&script);
    common(&ps, c->id, c, GREEN);
    ps_int(&ps, "buttonType", 0); /* momentary */
    ps_str(&ps, "script", code ? code : RENEW_SCRIPT);
    open_node(b, "BUTTON", c->id, JM_LAYOUT_HEADER);
    emit_props(b, &ps, "BUTTON");
    jm_text_puts(b, "<values>");
    emit_value(b, "x", "0");
    emit_value(b, "touch", "false");
    jm_text_puts(b, "</values><messages>");
    snprintf(port, sizeof port, "%d", l->feedback_port);
    if (l->login[0]) { /* send only: the console's answer must not press it */
        const partial_t login[2] = {{"CONSTANT", "STRING", l->login},
                                    {"CONSTANT", "STRING", l->pin}};
        emit_osc_rx(b, 1, 0, "x", "RISE", "/performer/login", login, 2);
    }
    free(code);
    const partial_t args[2] = {{"CONSTANT", "INTEGER", port}, {"CONSTANT", "STRING", "norm"}};
    emit_osc(b, 1, "x", "RISE", c->address, args, 2);
    emit_osc(b, 0, "x", "ANY", "/subscribe/confirm", NULL, 0); /* for the script */
    jm_text_puts(b, "</messages></node>");
    char cap[64];
    snprintf(cap, sizeof cap, "%s_caption", c->id);
    emit_label(b, "LABEL", cap, JM_LAYOUT_HEADER, &(jm_layout_ctl_t){.kind = JM_LC_TEXT,
               .x = c->x, .y = c->y, .w = c->w, .h = c->h}, c->text, 16, WHITE);
}

static void emit_ctl(jm_text_t *b, const jm_layout_t *l, const jm_layout_ctl_t *c, int page)
{
    char name[64];
    /* controls repeated on every page get a page suffix after the first */
    if (c->page == JM_LAYOUT_EVERY_PAGE && page > 0)
        snprintf(name, sizeof name, "%s_p%d", c->id, page + 1);
    else
        snprintf(name, sizeof name, "%s", c->id);
    switch (c->kind) {
    case JM_LC_NAME: emit_label(b, "LABEL", name, page, c, c->text, 16, WHITE); break;
    case JM_LC_PAN: emit_fader(b, name, page, c, VIOLET, 1, 1, 1); break;
    case JM_LC_MUTE: emit_toggle(b, name, page, c, RED); break;
    case JM_LC_SOLO: emit_toggle(b, name, page, c, YELLOW); break;
    case JM_LC_FADER: emit_fader(b, name, page, c, BLUE, 0, 0, 1); break;
    case JM_LC_METER: emit_fader(b, name, page, c, GREEN, 0, 0, 0); break;
    case JM_LC_MASTER_FADER: emit_fader(b, name, page, c, GOLD, 0, 0, 1); break;
    case JM_LC_MASTER_METER: emit_fader(b, name, page, c, GREEN, 0, 0, 0); break;
    case JM_LC_LOUDNESS: emit_label(b, "LABEL", name, page, c, c->text, 22, WHITE); break;
    case JM_LC_SUBSCRIBE: emit_subscribe(b, l, c); break;
    case JM_LC_SEND: emit_fader(b, name, page, c, BLUE, 0, 0, 1); break;
    case JM_LC_BUS_FADER: emit_fader(b, name, page, c, GOLD, 0, 0, 1); break;
    case JM_LC_BUS_MUTE: emit_toggle(b, name, page, c, RED); break;
    case JM_LC_BUS_METER: emit_fader(b, name, page, c, GREEN, 0, 0, 0); break;
    case JM_LC_TEXT:
        if (!strcmp(c->id, "help")) emit_label(b, "TEXT", name, page, c, c->text, 12, GREY);
        else emit_label(b, "LABEL", name, page, c, c->text, 14, GREY);
        break;
    }
}

static void emit_page(jm_text_t *b, const jm_layout_t *l, int page, float w, float h)
{
    char name[32], tab[48];
    snprintf(name, sizeof name, "page%d", page + 1);
    int first = page * JM_LAYOUT_STRIPS_PER_PAGE + 1;
    int last = first + JM_LAYOUT_STRIPS_PER_PAGE - 1;
    if (last > l->n_strips) last = l->n_strips;
    if (first > last) snprintf(tab, sizeof tab, "%s", l->bus ? "Mix" : "Master");
    else if (first == last) snprintf(tab, sizeof tab, "Strip %d", first);
    else snprintf(tab, sizeof tab, "Strips %d-%d", first, last);
    props_t ps = {.n = 0};
    ps_str(&ps, "name", name);
    ps_frame(&ps, 0, TABBAR, w, h);
    ps_color(&ps, "color", PAGE_BG);
    ps_bool(&ps, "background", 1);
    ps_bool(&ps, "interactive", 0);
    ps_str(&ps, "tabLabel", tab);
    open_node(b, "GROUP", name, page);
    emit_props(b, &ps, "GROUP");
    jm_text_puts(b, "<values>");
    emit_value(b, "touch", "false");
    jm_text_puts(b, "</values><children>");
    for (size_t i = 0; i < l->n; i++)
        if (l->c[i].page == page || l->c[i].page == JM_LAYOUT_EVERY_PAGE)
            emit_ctl(b, l, &l->c[i], page);
    jm_text_puts(b, "</children></node>");
}

char *jm_layout_touchosc_xml(const jm_layout_t *l)
{
    jm_text_t b = {0};
    props_t ps = {.n = 0};
    jm_text_puts(&b, "<?xml version='1.0' encoding='UTF-8'?><lexml version='" LEXML_VERSION "'>");
    ps_str(&ps, "name", "jmixd");
    ps_frame(&ps, 0, 0, l->width, l->height);
    ps_color(&ps, "color", BG);
    ps_bool(&ps, "background", 1);
    ps_bool(&ps, "interactive", 0);
    open_node(&b, "GROUP", "jmixd", JM_LAYOUT_HEADER);
    jm_text_puts(&b, "<includes></includes>");
    emit_props(&b, &ps, "GROUP");
    jm_text_puts(&b, "<values>");
    emit_value(&b, "touch", "false");
    jm_text_puts(&b, "</values><children>");
    for (size_t i = 0; i < l->n; i++)
        if (l->c[i].page == JM_LAYOUT_HEADER) emit_ctl(&b, l, &l->c[i], JM_LAYOUT_HEADER);

    float pw = l->width, ph = l->height - l->header_h;
    ps.n = 0;
    ps_str(&ps, "name", "pages");
    ps_frame(&ps, 0, l->header_h, pw, ph);
    ps_color(&ps, "color", BG);
    ps_bool(&ps, "interactive", 0);
    ps_bool(&ps, "tabbar", 1);
    ps_int(&ps, "tabbarSize", TABBAR);
    ps_bool(&ps, "tabLabels", 1);
    ps_int(&ps, "textSizeOff", 14);
    ps_int(&ps, "textSizeOn", 14);
    open_node(&b, "PAGER", "pages", JM_LAYOUT_HEADER);
    emit_props(&b, &ps, "PAGER");
    jm_text_puts(&b, "<values>");
    emit_value(&b, "page", "0");
    emit_value(&b, "touch", "false");
    jm_text_puts(&b, "</values><children>");
    for (int p = 0; p < l->n_pages; p++) emit_page(&b, l, p, pw, ph - TABBAR);
    jm_text_puts(&b, "</children></node></children></node></lexml>");
    return jm_text_take(&b);
}

int jm_layout_write_touchosc(const jm_layout_t *l, const char *path, char *err, size_t errlen)
{
    char *xml = jm_layout_touchosc_xml(l);
    if (!xml) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    uLong len = (uLong)strlen(xml);
    uLongf zlen = compressBound(len);
    unsigned char *z = malloc(zlen);
    int rc = -1;
    if (!z) snprintf(err, errlen, "out of memory");
    else if (compress2(z, &zlen, (const Bytef *)xml, len, Z_BEST_COMPRESSION) != Z_OK)
        snprintf(err, errlen, "%s: zlib compression failed", path);
    else
        rc = jm_lwrite_file(path, z, zlen, err, errlen);
    free(z);
    free(xml);
    return rc;
}
