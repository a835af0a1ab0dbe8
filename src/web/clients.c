/* WebSocket clients. The page's socket (/ui) gets JSON: changed parameters
 * and the meters; any client may LISTEN/IGNORE namespace nodes (OSCQuery:
 * a parameter at its index or name path, an alias, a meter) and then gets
 * their changes as binary OSC frames. Nothing is queued per message: a
 * client holds one "changed" flag per parameter (the page) and per node
 * (LISTEN) and the latest meters, so a slow or stalled browser costs a
 * fixed amount of memory and only ever receives the newest values. */
#include "web_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DIRTY_UI 1
#define FRAME_MAX (32 * 1024)       /* a JSON frame is cut here; the rest follows */
#define METER_GATHER_US 4000

static void mark(jm_conn_t *c, int p, unsigned char f)
{
    unsigned char add = (unsigned char)(f & ~c->dirty[p]);
    if (!add) return;
    if (!c->dirty[p]) c->n_dirty++; /* counts parameters with any flag */
    c->dirty[p] |= add;
    c->want_write = 1;
}

int jm_web_ws_open(jm_web_t *w, jm_conn_t *c, struct lws *wsi)
{
    jm_web_http_done(c); /* an upgraded keep-alive connection */
    memset(c, 0, sizeof *c);
    char uri[64] = "";
    if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) < 0) uri[0] = '\0';
    c->dirty = calloc(w->ps->n ? w->ps->n : 1, 1);
    if (!c->dirty) return -1;
    c->wsi = wsi;
    c->ws = 1;
    c->ui = !strcmp(uri, "/ui");
    int k = jm_web_mix_performer(w, uri);
    c->mix = k + 1;
    /* a performer-only address gets a mix socket or nothing (web.c) */
    if (!c->mix && !jm_perm_is_engineer(w->s, jm_web_peer_ip(wsi))) {
        free(c->dirty);
        c->dirty = NULL;
        return -1;
    }
    c->next = w->clients;
    if (w->clients) w->clients->prev = c;
    w->clients = c;
    w->n_clients++;
    if (c->ui) {
        /* a new page gets everything it shows, then changes */
        for (size_t p = 0; p < w->ps->n; p++)
            if (w->on_page[p]) mark(c, (int)p, DIRTY_UI);
        c->meters_dirty = 1;
        lws_callback_on_writable(wsi);
    }
    return 0;
}

static int rta_others(const jm_web_t *w, const jm_conn_t *c);

void jm_web_ws_close(jm_web_t *w, jm_conn_t *c)
{
    if (!c->ws) return;
    /* the last channel view gone: the analyser stops (no FFT runs) */
    if (c->rta && !rta_others(w, c)) jm_web_gw_send_str(w, "/rta/source", "off");
    if (c->prev) c->prev->next = c->next;
    else w->clients = c->next;
    if (c->next) c->next->prev = c->prev;
    w->n_clients--;
    free(c->dirty);
    free(c->listen);
    free(c->odirty);
    free(c->rx);
    memset(c, 0, sizeof *c);
}

/* A LISTENed node changed: send it when the socket takes it. */
static void mark_node(jm_conn_t *c, int n)
{
    if (!c->listen || !c->listen[n] || c->odirty[n]) return;
    c->odirty[n] = 1;
    c->n_odirty++;
    c->want_write = 1;
}

static void unmark_node(jm_conn_t *c, int n)
{
    if (!c->odirty || !c->odirty[n]) return;
    c->odirty[n] = 0;
    c->n_odirty--;
}

void jm_web_param_changed(jm_web_t *w, int p)
{
    for (jm_conn_t *c = w->clients; c; c = c->next) {
        if (c->ui && w->on_page[p]) mark(c, p, DIRTY_UI);
        if (c->logged && jm_perm_param_ok(&w->ps->p[p], c->mix_bus)) mark(c, p, DIRTY_UI);
        if (c->listen)
            for (int n = w->param_node[p]; n >= 0; n = w->nodes[n].same) mark_node(c, n);
    }
}

static void meters_due(lws_sorted_usec_list_t *sul)
{
    jm_web_t *w = lws_container_of(sul, jm_web_t, meter_sul);
    for (jm_conn_t *c = w->clients; c; c = c->next) {
        if (c->ui || c->logged) c->meters_dirty = c->want_write = 1;
        if (c->listen)
            for (int k = 0; k < w->n_meter_nodes; k++) mark_node(c, w->meter_nodes[k]);
    }
    jm_web_flush(w);
}

/* The console sends a meter tick as one datagram per strip, bus, master and
 * loudness: gather them for a moment so that a tick is one frame. */
void jm_web_meters_changed(jm_web_t *w)
{
    if (lws_dll2_is_detached(&w->meter_sul.list))
        lws_sul_schedule(w->ctx, 0, &w->meter_sul, meters_due, METER_GATHER_US);
}

void jm_web_flush(jm_web_t *w)
{
    for (jm_conn_t *c = w->clients; c; c = c->next)
        if (c->want_write) {
            c->want_write = 0;
            lws_callback_on_writable(c->wsi);
        }
}

/* ---- incoming ---- */

/* The value of "key" in a flat JSON object: a string without escapes, or a
 * number. Enough for the few messages clients send; anything else fails. */
static const char *json_find(const char *msg, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = strchr(msg, '"'); p; p = strchr(p + 1, '"')) {
        if (strncmp(p + 1, key, kl) || p[kl + 1] != '"') continue;
        const char *q = p + kl + 2;
        while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') q++;
        if (*q != ':') continue;
        q++;
        while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') q++;
        return q;
    }
    return NULL;
}

static int json_str(const char *msg, const char *key, char *out, size_t cap)
{
    const char *q = json_find(msg, key);
    if (!q || *q != '"') return -1;
    q++;
    size_t n = 0;
    while (q[n] && q[n] != '"' && q[n] != '\\') n++;
    if (q[n] != '"' || n >= cap) return -1;
    memcpy(out, q, n);
    out[n] = '\0';
    return 0;
}

static int json_num(const char *msg, const char *key, double *out)
{
    const char *q = json_find(msg, key);
    if (!q) return -1;
    if (!strncmp(q, "true", 4)) { *out = 1; return 0; }
    if (!strncmp(q, "false", 5)) { *out = 0; return 0; }
    char *end;
    *out = strtod(q, &end);
    return end == q || !isfinite(*out) ? -1 : 0;
}

/* An exact index-form parameter path, or -1. */
static int param_at(const jm_web_t *w, const char *path)
{
    int p = jm_params_find(w->ps, path);
    return p >= 0 && !strcmp(w->ps->p[p].path, path) ? p : -1;
}

static int strip_suffix(char *path, const char *suffix)
{
    size_t n = strlen(path), s = strlen(suffix);
    if (n <= s || strcmp(path + n - s, suffix)) return 0;
    path[n - s] = '\0';
    return 1;
}

/* A control on the page moved: {"a": PATH[/norm|/touch], "v": NUMBER}. Only
 * parameters of the table (and the loudness reset) are forwarded. */
static void refuse_json(jm_web_t *w, jm_conn_t *c, const char *path, const char *why);

/* The parameter (index form, /norm or /touch stripped) a page action
 * names, or -1. */
static int action_param(const jm_web_t *w, const char *a)
{
    char base[JM_PATH_MAX + 16];
    snprintf(base, sizeof base, "%s", a);
    if (!strip_suffix(base, "/touch")) strip_suffix(base, "/norm");
    return param_at(w, base);
}

/* The analyser's tap, from an engineer's page (never a performer's):
 * {"a": "/rta/source", "s": "strip/1" | "bus/2" | "master" | "off"}. The
 * tap is the console's, one for all: the page that opens a channel view
 * sets it, and "off" is sent on only when no other page still has a view
 * open (nor when this socket closes, jm_web_ws_close). */
static int rta_name_ok(const char *s)
{
    const char *rest = !strncmp(s, "strip/", 6) ? s + 6 : !strncmp(s, "bus/", 4) ? s + 4 : NULL;
    if (!strcmp(s, "off") || !strcmp(s, "master")) return 1;
    if (!rest || !*rest) return 0;
    for (; *rest; rest++)
        if (!(*rest >= '0' && *rest <= '9') && !(*rest >= 'a' && *rest <= 'z') &&
            !(*rest >= 'A' && *rest <= 'Z') && *rest != '_' && *rest != '-' && *rest != '.')
            return 0;
    return 1;
}

static int rta_others(const jm_web_t *w, const jm_conn_t *c)
{
    for (const jm_conn_t *o = w->clients; o; o = o->next)
        if (o != c && o->rta) return 1;
    return 0;
}

static void rta_source(jm_web_t *w, jm_conn_t *c, const char *msg)
{
    char src[JM_NAME_MAX + 8];
    if (c->mix || !c->ui || json_str(msg, "s", src, sizeof src) || !rta_name_ok(src)) {
        refuse_json(w, c, "/rta/source", "not permitted");
        return;
    }
    int on = strcmp(src, "off") != 0;
    c->rta = on;
    c->rta_sent = w->rta_seq; /* only frames of the new tap */
    if (on || !rta_others(w, c)) jm_web_gw_send_str(w, "/rta/source", src);
}

static void page_action(jm_web_t *w, jm_conn_t *c, const char *msg)
{
    char a[JM_PATH_MAX + 16], base[JM_PATH_MAX + 16];
    double v = 0;
    if (json_str(msg, "a", a, sizeof a)) return;
    if (c->mix) {
        /* a performer's socket: its own mix only (jm_perm_param_ok) */
        int p = action_param(w, a);
        if (p < 0 || !jm_perm_param_ok(&w->ps->p[p], c->mix_bus)) {
            refuse_json(w, c, a, "not permitted");
            return;
        }
    }
    if (!strcmp(a, "/rta/source")) {
        rta_source(w, c, msg);
        return;
    }
    if (!strcmp(a, "/loudness/reset")) {
        jm_web_gw_send(w, a, 0, 0);
        return;
    }
    if (json_num(msg, "v", &v)) return;
    memcpy(base, a, sizeof base);
    if (strip_suffix(base, "/touch")) {
        if (param_at(w, base) >= 0) jm_web_gw_send(w, a, 'i', v != 0 ? 1.0f : 0.0f);
        return;
    }
    int norm = strip_suffix(base, "/norm");
    int p = param_at(w, base);
    if (p < 0) return;
    const jm_param_def_t *d = w->ps->p[p].def;
    if (norm) {
        if (jm_param_is_bool(d)) return; /* switches have no /norm twin */
        jm_web_gw_send(w, a, 'f', (float)(v < 0 ? 0 : v > 1 ? 1 : v));
    } else {
        int integral = jm_param_is_bool(d) || d->taper == JM_TAPER_ENUM;
        jm_web_gw_send(w, a, integral ? 'i' : 'f', (float)v);
    }
}

static int listen_tables(jm_web_t *w, jm_conn_t *c)
{
    if (c->listen) return 0;
    c->listen = calloc((size_t)w->n_nodes, 1);
    c->odirty = calloc((size_t)w->n_nodes, 1);
    if (c->listen && c->odirty) return 0;
    free(c->listen);
    free(c->odirty);
    c->listen = c->odirty = NULL;
    return -1;
}

/* OSCQuery: {"COMMAND": "LISTEN"|"IGNORE", "DATA": PATH}: a node with a
 * value (parameter, name, alias or meter); containers are ignored, as the
 * proposal's LISTEN is for one method, not its children. */
static void command(jm_web_t *w, jm_conn_t *c, const char *msg, const char *cmd)
{
    char path[JM_PATH_MAX];
    if (json_str(msg, "DATA", path, sizeof path)) return;
    int n = jm_web_oq_find(w, path);
    if (n <= 0 || w->nodes[n].kind == JM_OQ_CONTAINER) return;
    if (!strcmp(cmd, "LISTEN")) {
        if (listen_tables(w, c)) return;
        c->listen[n] = 1;
    } else if (!strcmp(cmd, "IGNORE") && c->listen) {
        c->listen[n] = 0;
        unmark_node(c, n);
    }
}

/* /subscribe and /unsubscribe from a WebSocket: LISTEN to or IGNORE every
 * parameter (never forwarded: the gateway's own subscription is not the
 * client's to change, and a port argument would aim feedback elsewhere). */
static int subscribe(jm_web_t *w, jm_conn_t *c, const unsigned char *d, size_t n)
{
    int on;
    if (n >= 12 && !memcmp(d, "/subscribe\0", 11)) on = 1;
    else if (n >= 12 && !memcmp(d, "/unsubscribe\0", 13)) on = 0;
    else return 0;
    if (listen_tables(w, c)) return 1;
    for (size_t p = 0; p < w->ps->n; p++) {
        int n = w->param_node[p]; /* the index path */
        if (n < 0) continue;
        c->listen[n] = (unsigned char)on;
        if (!on) unmark_node(c, n);
    }
    return 1;
}

/* OSC over the socket (OSCQuery clients): parameters, their /norm twins and
 * touch, and aliases are forwarded (the console validates them like any
 * datagram); anything else (files, sessions, snapshots, recording,
 * automation, patterns...) is dropped, counted, and answered with /error. */
static void binary(jm_web_t *w, jm_conn_t *c, size_t n)
{
    const unsigned char *d = (const unsigned char *)c->rx;
    if (subscribe(w, c, d, n)) return;
    char path[sizeof c->err_path];
    if (jm_web_osc_allowed(w, d, n, path, sizeof path)) {
        jm_web_gw_send_raw(w, d, n);
        return;
    }
    w->refused.osc_dropped++;
    memcpy(c->err_path, path, sizeof c->err_path);
    c->err_pending = 1;
    lws_callback_on_writable(c->wsi);
}

static void reply_json(jm_conn_t *c, const char *key, const char *a, const char *why)
{
    jm_text_t b = {.max = sizeof c->jreply - 1};
    jm_text_printf(&b, "{\"%s\":", key);
    jm_web_json_str(&b, a);
    jm_text_puts(&b, ",\"why\":");
    jm_web_json_str(&b, why);
    jm_text_puts(&b, "}");
    snprintf(c->jreply, sizeof c->jreply, "%s", b.oom || !b.d ? "{\"error\":\"\"}" : b.d);
    jm_text_free(&b);
    lws_callback_on_writable(c->wsi);
}

static void refuse_json(jm_web_t *w, jm_conn_t *c, const char *path, const char *why)
{
    w->refused.mix_refused++;
    reply_json(c, "error", path, why);
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A mix socket's first message: {"login": NAME, "pin": PIN}, NAME being
 * the page's performer. Wrong PINs count against the source IP as OSC
 * logins do (perm.h's limiter, the web thread's own table). */
static void mix_login(jm_web_t *w, jm_conn_t *c, const char *msg)
{
    const jm_performer_cfg_t *pf = &w->s->performers[c->mix - 1];
    char name[JM_NAME_MAX], pin[JM_PIN_MAX + 8];
    if (json_str(msg, "login", name, sizeof name)) {
        refuse_json(w, c, "", "log in first");
        return;
    }
    uint32_t ip = jm_web_peer_ip(c->wsi);
    double now = mono_now();
    if (!jm_perm_may_try(&w->logins, ip, now)) {
        reply_json(c, "login", name, "too many attempts");
        return;
    }
    if (json_str(msg, "pin", pin, sizeof pin) || strcmp(name, pf->name) ||
        !jm_perm_pin_equal(pin, pf->pin)) {
        jm_perm_failed(&w->logins, ip, now);
        reply_json(c, "login", name, "wrong name or PIN");
        return;
    }
    c->logged = 1;
    c->mix_bus = pf->bus;
    jm_log(w->log, JM_LOG_INFO, "web: performer '%s' logged in from %u.%u.%u.%u", pf->name,
           ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
    reply_json(c, "login", name, "ok");
    /* its mix as it is, then the changes */
    for (size_t p = 0; p < w->ps->n; p++)
        if (jm_perm_param_ok(&w->ps->p[p], c->mix_bus)) mark(c, (int)p, DIRTY_UI);
    c->meters_dirty = 1;
}

int jm_web_ws_rx(jm_web_t *w, jm_conn_t *c, const void *in, size_t len)
{
    if (!c->ws) return -1;
    int final = lws_is_final_fragment(c->wsi) && !lws_remaining_packet_payload(c->wsi);
    if (!c->rx_len && !c->rx_more) c->rx_binary = lws_frame_is_binary(c->wsi);
    if (c->rx_len + len > JM_WEB_MAX_MSG) {
        lws_close_reason(c->wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, NULL, 0);
        return -1;
    }
    if (!c->rx && !(c->rx = malloc(JM_WEB_MAX_MSG + 1))) return -1;
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    if (!final) {
        c->rx_more = 1; /* a message is in progress, even if its first part was empty */
        return 0;
    }
    c->rx[c->rx_len] = '\0';
    size_t n = c->rx_len;
    c->rx_len = 0;
    c->rx_more = 0;
    if (c->mix && (c->rx_binary || !c->logged)) {
        /* a performer's socket speaks the page's JSON only, after its login */
        if (c->rx_binary) refuse_json(w, c, "(OSC)", "not permitted");
        else if (strlen(c->rx) == n) mix_login(w, c, c->rx);
        return 0;
    }
    if (c->rx_binary) {
        binary(w, c, n);
        return 0;
    }
    if (strlen(c->rx) != n) return 0; /* a NUL inside text */
    char cmd[16];
    if (!json_str(c->rx, "COMMAND", cmd, sizeof cmd)) {
        if (c->mix) refuse_json(w, c, cmd, "not permitted");
        else command(w, c, c->rx, cmd);
    } else {
        page_action(w, c, c->rx);
    }
    return 0;
}

/* ---- outgoing ---- */

static void num1(jm_text_t *b, float v)
{
    if (isfinite(v)) jm_text_printf(b, "%.1f", v);
    else jm_text_puts(b, "null");
}

static void meters_json(const jm_web_t *w, jm_conn_t *c, jm_text_t *b)
{
    jm_text_puts(b, "\"m\":{\"s\":[");
    for (int i = 0; i < w->s->n_strips; i++) {
        jm_text_puts(b, i ? ",[" : "[");
        for (int k = 0; k < JM_WEB_STRIP_METER; k++) {
            if (k) jm_text_puts(b, ",");
            num1(b, w->strip_meter[i * JM_WEB_STRIP_METER + k]);
        }
        jm_text_puts(b, "]");
    }
    jm_text_puts(b, "],\"b\":[");
    for (int i = 0; i < w->s->n_buses; i++) {
        jm_text_puts(b, i ? ",[" : "[");
        num1(b, w->bus_meter[i][0]);
        jm_text_puts(b, ",");
        num1(b, w->bus_meter[i][1]);
        jm_text_puts(b, ",");
        num1(b, w->bus_meter[i][2]);
        jm_text_puts(b, "]");
    }
    jm_text_puts(b, "],\"o\":[");
    for (int k = 0; k < 4; k++) {
        if (k) jm_text_puts(b, ",");
        num1(b, w->master_meter[k]);
    }
    jm_text_puts(b, "],\"l\":[");
    for (int k = 0; k < 5; k++) {
        if (k) jm_text_puts(b, ",");
        num1(b, w->loudness[k]);
    }
    jm_text_puts(b, "]");
    if (w->fs) jm_text_printf(b, ",\"fs\":%d", w->fs);
    /* a new analyser frame, to a page with a channel view open */
    if (c->rta && c->rta_sent != w->rta_seq) {
        c->rta_sent = w->rta_seq;
        jm_text_puts(b, ",\"r\":[");
        for (int k = 0; k < JM_WEB_RTA_BANDS; k++) {
            if (k) jm_text_puts(b, ",");
            num1(b, w->rta[k]);
        }
        jm_text_puts(b, "]");
    }
    jm_text_puts(b, "}");
}

/* A performer's meters: every strip (what it sends), its own bus's peak,
 * RMS and limiter gain reduction; not the master, loudness or other buses. */
static void mix_meters_json(const jm_web_t *w, const jm_conn_t *c, jm_text_t *b)
{
    jm_text_puts(b, "\"m\":{\"s\":[");
    for (int i = 0; i < w->s->n_strips; i++) {
        jm_text_puts(b, i ? ",[" : "[");
        num1(b, w->strip_meter[i * JM_WEB_STRIP_METER]);
        jm_text_puts(b, ",");
        num1(b, w->strip_meter[i * JM_WEB_STRIP_METER + 1]);
        jm_text_puts(b, "]");
    }
    jm_text_puts(b, "],\"mb\":[");
    for (int k = 0; k < 3; k++) {
        if (k) jm_text_puts(b, ",");
        num1(b, w->bus_meter[c->mix_bus][k]);
    }
    jm_text_puts(b, "]}");
}

static int write_ui(jm_web_t *w, jm_conn_t *c, jm_text_t *b)
{
    static const char pre[LWS_PRE];
    jm_text_put(b, pre, LWS_PRE);
    jm_text_puts(b, "{\"p\":[");
    int first = 1;
    for (size_t p = 0; p < w->ps->n && b->n < FRAME_MAX; p++) {
        if (!(c->dirty[p] & DIRTY_UI)) continue;
        c->dirty[p] &= (unsigned char)~DIRTY_UI;
        if (!c->dirty[p]) c->n_dirty--;
        const jm_param_def_t *d = w->ps->p[p].def;
        float v = w->values[p];
        jm_text_printf(b, "%s[%zu,%.7g,%.6f]", first ? "" : ",", p, v, jm_param_to_norm(d, v));
        first = 0;
    }
    jm_text_puts(b, "]");
    if (c->meters_dirty) {
        jm_text_puts(b, ",");
        if (c->mix) mix_meters_json(w, c, b);
        else meters_json(w, c, b);
        c->meters_dirty = 0;
    }
    jm_text_puts(b, "}");
    if (b->oom) return -1;
    size_t n = b->n - LWS_PRE;
    return lws_write(c->wsi, (unsigned char *)b->d + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n ? -1 : 0;
}

static int write_osc(jm_web_t *w, jm_conn_t *c)
{
    int n = w->n_nodes;
    for (int k = 0; k < n; k++) {
        int at = (c->scan + k) % n;
        if (!c->odirty[at]) continue;
        unmark_node(c, at);
        c->scan = at + 1;
        unsigned char buf[LWS_PRE + 256];
        size_t len = jm_web_oq_osc(w, at, buf + LWS_PRE, sizeof buf - LWS_PRE);
        if (!len) return 0;
        return lws_write(c->wsi, buf + LWS_PRE, len, LWS_WRITE_BINARY) < (int)len ? -1 : 0;
    }
    return 0;
}

static int osc_pending(const jm_web_t *w, const jm_conn_t *c)
{
    (void)w;
    return c->listen && c->n_odirty > 0;
}

/* One frame per call (libwebsockets' rule); asks for the next if more is
 * waiting. */
int jm_web_ws_writeable(jm_web_t *w, jm_conn_t *c)
{
    if (!c->ws) return 0;
    int rc = 0;
    int page = c->ui || c->logged;
    if (c->jreply[0]) {
        size_t len = strlen(c->jreply);
        unsigned char buf[LWS_PRE + sizeof c->jreply];
        memcpy(buf + LWS_PRE, c->jreply, len);
        c->jreply[0] = '\0';
        if (lws_write(c->wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT) < (int)len) rc = -1;
    } else if (c->err_pending) {
        unsigned char buf[LWS_PRE + 256];
        size_t len = jm_web_gw_error(c->err_path, "not allowed over the web surface",
                                     buf + LWS_PRE, sizeof buf - LWS_PRE);
        c->err_pending = 0;
        if (len && lws_write(c->wsi, buf + LWS_PRE, len, LWS_WRITE_BINARY) < (int)len) rc = -1;
    } else if (osc_pending(w, c)) {
        rc = write_osc(w, c);
    } else if (page && (c->n_dirty || c->meters_dirty)) {
        jm_text_t b = {.max = FRAME_MAX + 4096 + (size_t)w->s->n_strips * 64};
        rc = write_ui(w, c, &b);
        jm_text_free(&b);
    }
    if (!rc && (osc_pending(w, c) || (page && (c->n_dirty || c->meters_dirty))))
        lws_callback_on_writable(c->wsi);
    return rc;
}
