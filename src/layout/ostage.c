/* Open Stage Control session writer.
 *
 * A session (1.x) is JSON: {"createdWith": "Open Stage Control", "version",
 * "type": "session", "content": root widget}. Widgets carry `type`, `id`,
 * geometry, `address`, `preArgs`, `typeTags`, `target` ("host:port") and
 * `bypass`; containers (root, panel) hold `widgets`. Types used: panel,
 * text, fader (also as a non-interactive meter: 1.x has no meter widget),
 * button (mode "toggle" replaces the 0.x toggle widget; mode "tap" for the
 * subscription), script (keeps the subscription alive and echoes the
 * console's /subscribe/confirm token, see w_keepalive). A message with several floats reaches a widget as an
 * array, so meters and the loudness readout take the first float through
 * an OSC{} listener in their `value` property, and ignore the raw message
 * through a preArgs they never match.
 * Source: Open Stage Control's widget property reference and scripting
 * documentation (github.com/jean-emmanuel/open-stage-control). */
#include "jmixd/layout/layout.h"
#include "layout_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OSC_VERSION "1.30.1"

static void jstr(jm_text_t *b, const char *s)
{
    jm_text_puts(b, "\"");
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') jm_text_printf(b, "\\%c", ch);
        else if (ch == '\n') jm_text_puts(b, "\\n");
        else if (ch < 0x20) jm_text_printf(b, "\\u%04x", ch);
        else jm_text_printf(b, "%c", ch);
    }
    jm_text_puts(b, "\"");
}

static void key(jm_text_t *b, const char *k)
{
    jm_text_puts(b, ",");
    jstr(b, k);
    jm_text_puts(b, ":");
}
static void kstr(jm_text_t *b, const char *k, const char *v) { key(b, k); jstr(b, v); }
static void kraw(jm_text_t *b, const char *k, const char *v) { key(b, k); jm_text_puts(b, v); }
static void knum(jm_text_t *b, const char *k, double v)
{
    char num[32];
    kraw(b, k, jm_lnum(num, v));
}

/* Opens a widget object; the caller adds its own keys and closes it. */
static void begin(jm_text_t *b, const char *type, const char *id, const char *width,
                  const char *height, int interaction)
{
    jm_text_puts(b, "{\"type\":");
    jstr(b, type);
    kstr(b, "id", id);
    kraw(b, "lock", "false");
    kraw(b, "visible", "true");
    kraw(b, "interaction", interaction ? "true" : "false");
    kstr(b, "left", "auto");
    kstr(b, "top", "auto");
    kraw(b, "width", width);
    kraw(b, "height", height);
}

/* The OSC keys of a widget that talks to the daemon (target non-NULL) or
 * only listens (target NULL: bypass). */
static void osc_keys(jm_text_t *b, const char *address, const char *pre_args,
                     const char *type_tags, const char *target)
{
    kstr(b, "linkId", "");
    kstr(b, "address", address);
    kraw(b, "preArgs", pre_args);
    kstr(b, "typeTags", type_tags);
    knum(b, "decimals", 4);
    kstr(b, "target", target ? target : "");
    kraw(b, "ignoreDefaults", "false");
    kraw(b, "bypass", target ? "false" : "true");
}

static void w_text(jm_text_t *b, const char *id, const char *height, const char *txt,
                   const char *listen, const char *color)
{
    char expr[256];
    begin(b, "text", id, "\"auto\"", height, 0);
    kstr(b, "colorText", color);
    kstr(b, "align", "center");
    kraw(b, "wrap", "true");
    if (listen) {
        /* the first float of /meter/loudness, momentary LUFS */
        snprintf(expr, sizeof expr,
                 "#{[].concat(OSC{%s, -70, false})[0].toFixed(1) + ' LUFS'}", listen);
        kstr(b, "value", expr);
    } else {
        kstr(b, "value", "");
    }
    kstr(b, "default", txt);
    osc_keys(b, listen ? listen : "auto", listen ? "\"display\"" : "\"\"", "", NULL);
    jm_text_puts(b, "}");
}

static void w_fader(jm_text_t *b, const jm_layout_ctl_t *c, const char *target,
                    const char *width, const char *height, const char *color, int horizontal)
{
    begin(b, "fader", c->id, width, height, 1);
    kraw(b, "expand", horizontal ? "false" : "true");
    kstr(b, "colorWidget", color);
    kraw(b, "horizontal", horizontal ? "true" : "false");
    kstr(b, "design", "default");
    kraw(b, "range", "{\"min\":0,\"max\":1}");
    if (horizontal) knum(b, "origin", 0.5);
    kraw(b, "doubleTap", "true");
    kstr(b, "value", "");
    knum(b, "default", c->value);
    osc_keys(b, c->address, "\"\"", "f", target);
    jm_text_puts(b, "}");
}

static void w_meter(jm_text_t *b, const jm_layout_ctl_t *c, const char *width)
{
    char expr[256];
    begin(b, "fader", c->id, width, "\"auto\"", 0);
    kraw(b, "expand", "false");
    kstr(b, "colorWidget", "#33e566");
    kstr(b, "design", "compact");
    kraw(b, "range", "{\"min\":0,\"max\":1}");
    /* first float (peak, 0..1 in norm style) of the meter message */
    snprintf(expr, sizeof expr, "#{[].concat(OSC{%s, 0, false})[0]}", c->address);
    kstr(b, "value", expr);
    knum(b, "default", 0);
    osc_keys(b, c->address, "\"display\"", "", NULL);
    jm_text_puts(b, "}");
}

static void w_toggle(jm_text_t *b, const jm_layout_ctl_t *c, const char *target,
                     const char *label, const char *color)
{
    begin(b, "button", c->id, "\"auto\"", "48", 1);
    kstr(b, "colorWidget", color);
    kstr(b, "label", label);
    kstr(b, "mode", "toggle");
    knum(b, "on", 1);
    knum(b, "off", 0);
    kstr(b, "value", "");
    knum(b, "default", c->value);
    osc_keys(b, c->address, "\"\"", "i", target);
    jm_text_puts(b, "}");
}

static void w_levels(jm_text_t *b, const char *id, const jm_layout_ctl_t *fader,
                     const jm_layout_ctl_t *meter, const char *target, const char *color)
{
    begin(b, "panel", id, "\"auto\"", "\"auto\"", 1);
    kraw(b, "expand", "true");
    kstr(b, "layout", "horizontal");
    kraw(b, "scroll", "false");
    kraw(b, "widgets", "[");
    w_fader(b, fader, target, "\"auto\"", "\"auto\"", color, 0);
    jm_text_puts(b, ",");
    w_meter(b, meter, "28");
    jm_text_puts(b, "]}");
}

static const jm_layout_ctl_t *find(const jm_layout_t *l, jm_layout_kind_t kind, int strip)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->c[i].kind == kind && l->c[i].strip == strip) return &l->c[i];
    return NULL;
}

static void w_strip(jm_text_t *b, const jm_layout_t *l, int n, const char *target)
{
    char id[32];
    const jm_layout_ctl_t *name = find(l, JM_LC_NAME, n), *pan = find(l, JM_LC_PAN, n),
                          *mute = find(l, JM_LC_MUTE, n), *solo = find(l, JM_LC_SOLO, n),
                          *fader = find(l, JM_LC_FADER, n), *meter = find(l, JM_LC_METER, n);
    if (!name || !pan || !mute || !solo || !fader || !meter) return;
    snprintf(id, sizeof id, "s%d", n);
    begin(b, "panel", id, "124", "\"100%\"", 1);
    kstr(b, "layout", "vertical");
    kraw(b, "scroll", "false");
    kraw(b, "widgets", "[");
    w_text(b, name->id, "40", name->text, NULL, "#ffffff");
    jm_text_puts(b, ",");
    w_fader(b, pan, target, "\"auto\"", "40", "#9980f2", 1);
    jm_text_puts(b, ",");
    w_toggle(b, mute, target, "MUTE", "#ff4040");
    jm_text_puts(b, ",");
    w_toggle(b, solo, target, "SOLO", "#ffcc33");
    jm_text_puts(b, ",");
    snprintf(id, sizeof id, "s%d_levels", n);
    w_levels(b, id, fader, meter, target, "#4d99ff");
    jm_text_puts(b, "]}");
}

static void w_master(jm_text_t *b, const jm_layout_t *l, const char *target)
{
    const jm_layout_ctl_t *fader = find(l, JM_LC_MASTER_FADER, 0),
                          *meter = find(l, JM_LC_MASTER_METER, 0),
                          *loud = find(l, JM_LC_LOUDNESS, 0);
    if (!fader || !meter || !loud) return;
    begin(b, "panel", "master", "200", "\"100%\"", 1);
    kstr(b, "layout", "vertical");
    kraw(b, "scroll", "false");
    kraw(b, "widgets", "[");
    w_text(b, "master_title", "40", "MASTER", NULL, "#ffffff");
    jm_text_puts(b, ",");
    w_text(b, loud->id, "40", loud->text, loud->address, "#ffffff");
    jm_text_puts(b, ",");
    w_text(b, "loudness_caption", "32", "momentary loudness", NULL, "#9999a6");
    jm_text_puts(b, ",");
    w_levels(b, "master_levels", fader, meter, target, "#ffa626");
    jm_text_puts(b, "]}");
}

/* The subscription lasts 10 s (docs/osc.md) and streams only once the
 * /subscribe/confirm i:token the console sends to the feedback port has come
 * back. Open Stage Control's send() does nothing in a script run by a
 * received message (its script VM checks the event's `send` option, false
 * for OSC input), but works in onCreate and in the timers onCreate starts,
 * which keep its options. So this invisible script widget receives the
 * token (onValue only stores it), and its onCreate subscribes at once,
 * renews every 5 s and sends a stored token back within 100 ms.
 * Source: Open Stage Control's scripting documentation (onCreate, onValue,
 * send, setInterval(id, callback, delay), setVar/getVar) and its client's
 * script-vm.js and osc.js (github.com/jean-emmanuel/open-stage-control). */
#define RENEW_MS 5000
#define CONFIRM_POLL_MS 100

static void w_keepalive(jm_text_t *b, const jm_layout_t *l, const char *target)
{
    char create[1280], login[256] = "";
    /* a performer's layout logs in before each (re)subscription: a lease
     * taken by a logged-in sender carries only its mix. Names are letters,
     * digits, '_' and '-', PINs digits: nothing to escape. */
    if (l->login[0])
        snprintf(login, sizeof login,
                 "  send(jmixd, '/performer/login', {type: 's', value: '%s'}, "
                 "{type: 's', value: '%s'});\n", l->login, l->pin);
    snprintf(create, sizeof create,
             "// jmixd: keep the norm-style feedback subscription alive (10 s lease)\n"
             "var jmixd = '%s';\n"
             "function subscribe() {\n"
             "%s"
             "  send(jmixd, '/subscribe', {type: 'i', value: %d}, {type: 's', value: 'norm'});\n"
             "}\n"
             "subscribe();\n"
             "setInterval('renew', subscribe, %d);\n"
             "// answer the console's /subscribe/confirm with the same token\n"
             "setInterval('confirm', function () {\n"
             "  var token = getVar('this', 'token');\n"
             "  if (token) {\n"
             "    setVar('this', 'token', 0);\n"
             "    send(jmixd, '/subscribe/confirm', {type: 'i', value: token});\n"
             "  }\n"
             "}, %d);\n",
             target, login, l->feedback_port, RENEW_MS, CONFIRM_POLL_MS);
    begin(b, "script", "subscribe_confirm", "0", "0", 0);
    kstr(b, "onCreate", create);
    kstr(b, "onValue", "setVar('this', 'token', value);");
    osc_keys(b, "/subscribe/confirm", "\"\"", "i", NULL);
    jm_text_puts(b, "}");
}

/* A performer's strip: its name over its send into the bus and the strip's
 * meter. */
static void w_send(jm_text_t *b, const jm_layout_t *l, int n, const char *target)
{
    char id[32];
    const jm_layout_ctl_t *name = find(l, JM_LC_NAME, n), *send = find(l, JM_LC_SEND, n),
                          *meter = find(l, JM_LC_METER, n);
    if (!name || !send || !meter) return;
    snprintf(id, sizeof id, "s%d", n);
    begin(b, "panel", id, "124", "\"100%\"", 1);
    kstr(b, "layout", "vertical");
    kraw(b, "scroll", "false");
    kraw(b, "widgets", "[");
    w_text(b, name->id, "40", name->text, NULL, "#ffffff");
    jm_text_puts(b, ",");
    snprintf(id, sizeof id, "s%d_levels", n);
    w_levels(b, id, send, meter, target, "#4d99ff");
    jm_text_puts(b, "]}");
}

/* A performer's bus: its name, mute, fader and meter. */
static void w_bus(jm_text_t *b, const jm_layout_t *l, const char *target)
{
    const jm_layout_ctl_t *fader = find(l, JM_LC_BUS_FADER, 0),
                          *meter = find(l, JM_LC_BUS_METER, 0),
                          *mute = find(l, JM_LC_BUS_MUTE, 0);
    if (!fader || !meter || !mute) return;
    const char *title = "";
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->c[i].id, "bus_title")) title = l->c[i].text;
    begin(b, "panel", "bus", "200", "\"100%\"", 1);
    kstr(b, "layout", "vertical");
    kraw(b, "scroll", "false");
    kraw(b, "widgets", "[");
    w_text(b, "bus_title", "40", title, NULL, "#ffffff");
    jm_text_puts(b, ",");
    w_toggle(b, mute, target, "MUTE", "#ff4040");
    jm_text_puts(b, ",");
    w_levels(b, "bus_levels", fader, meter, target, "#ffa626");
    jm_text_puts(b, "]}");
}

static void w_header(jm_text_t *b, const jm_layout_t *l, const char *target)
{
    const jm_layout_ctl_t *sub = find(l, JM_LC_SUBSCRIBE, 0);
    char help[JM_LAYOUT_TEXT_MAX + 160], pre[64];
    begin(b, "panel", "header", "\"100%\"", "64", 1);
    kstr(b, "layout", "horizontal");
    kraw(b, "scroll", "false");
    kraw(b, "widgets", "[");
    w_text(b, "title", "\"auto\"", l->title, NULL, "#ffffff");
    if (sub) {
        jm_text_puts(b, ",");
        begin(b, "button", sub->id, "160", "\"auto\"", 1);
        kstr(b, "colorWidget", "#33e566");
        kstr(b, "label", sub->text);
        kstr(b, "mode", "tap");
        kraw(b, "on", "null"); /* the message is the preArgs alone */
        snprintf(pre, sizeof pre, "[%d,\"norm\"]", l->feedback_port);
        osc_keys(b, sub->address, pre, "is", target);
        jm_text_puts(b, "}");
        jm_text_puts(b, ",");
        w_keepalive(b, l, target);
    }
    if (l->login[0])
        snprintf(help, sizeof help,
                 "Controls send to %s. This session logs in as %s and subscribes this "
                 "server (run it with --osc-port %d) for the mix's feedback, renewed every "
                 "5 s; FEEDBACK subscribes again at once.",
                 target, l->login, l->feedback_port);
    else
        snprintf(help, sizeof help,
                 "Controls send to %s. This session subscribes this server (run it with "
                 "--osc-port %d) for feedback and renews it every 5 s; FEEDBACK subscribes "
                 "again at once. For permanent feedback list it in osc.clients with style "
                 "\"norm\".",
                 target, l->feedback_port);
    jm_text_puts(b, ",");
    w_text(b, "help", "\"auto\"", help, NULL, "#9999a6");
    jm_text_puts(b, "]}");
}

char *jm_layout_osc_json(const jm_layout_t *l)
{
    jm_text_t b = {0};
    char target[96];
    snprintf(target, sizeof target, "%s:%d", l->host, l->daemon_port);

    jm_text_puts(&b, "{\"createdWith\":\"Open Stage Control\"");
    kstr(&b, "version", OSC_VERSION);
    kstr(&b, "type", "session");
    key(&b, "content");
    begin(&b, "root", "root", "\"auto\"", "\"auto\"", 1);
    kstr(&b, "comments", l->title);
    kstr(&b, "layout", "vertical");
    kraw(&b, "scroll", "false");
    kstr(&b, "address", "/root");
    kraw(&b, "widgets", "[");
    w_header(&b, l, target);
    jm_text_puts(&b, ",");
    begin(&b, "panel", "console", "\"100%\"", "\"auto\"", 1);
    kraw(&b, "expand", "true");
    kstr(&b, "layout", "horizontal");
    kraw(&b, "scroll", "true");
    kraw(&b, "widgets", "[");
    for (int n = 1; n <= l->n_strips; n++) {
        if (l->bus) w_send(&b, l, n, target);
        else w_strip(&b, l, n, target);
        jm_text_puts(&b, ",");
    }
    if (l->bus) w_bus(&b, l, target);
    else w_master(&b, l, target);
    jm_text_puts(&b, "]}],\"tabs\":[]}}\n");
    return jm_text_take(&b);
}

int jm_layout_write_osc(const jm_layout_t *l, const char *path, char *err, size_t errlen)
{
    char *json = jm_layout_osc_json(l);
    if (!json) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = jm_lwrite_file(path, json, strlen(json), err, errlen);
    free(json);
    return rc;
}
