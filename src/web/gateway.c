/* The gateway's OSC side: one UDP socket to the daemon's OSC port, used like
 * any controller would (docs/osc.md): /subscribe renewed every few seconds,
 * /params to learn the values, parameter messages for the browsers'
 * actions. Feedback and meters coming back are decoded here and handed to
 * the clients. Messages are built and read with liblo (lo_message_serialise,
 * lo_message_deserialise), the codec of the rest of the project; packets
 * from WebSockets are forwarded as they came once the guard (guard.c) has
 * found them to be parameter messages. The socket is adopted into the
 * lws event loop. */
#include "web_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <lo/lo.h>

#define SUBSCRIBE_EVERY_US (3 * LWS_US_PER_SEC)   /* the lease is 10 s */
#define FETCH_US (100 * 1000)     /* ask again while values are unconfirmed */
#define RESYNC_US (500 * 1000)    /* then one owner re-read this often */
#define FETCH_TRIES 50

/* ---- OSC through liblo: the project's one codec ---- */

/* One decoded message: the address, the tags (without ','), the arguments.
 * Only 'f', 'i' and 's' arguments, at most 32 (/meter/rta has 31), are
 * understood; anything
 * else makes the message ignored (the daemon sends nothing else here). */
typedef struct {
    lo_message lo;              /* owns tags and argv */
    const char *path, *tags;
    int argc;
    lo_arg **argv;
} msg_t;

static int decode(unsigned char *d, size_t len, msg_t *m)
{
    int rc = 0;
    if (len < 4 || d[0] != '/') return -1;
    m->path = lo_get_path(d, (ssize_t)len);
    m->lo = m->path ? lo_message_deserialise(d, len, &rc) : NULL;
    if (!m->lo) return -1;
    m->tags = lo_message_get_types(m->lo);
    m->argc = lo_message_get_argc(m->lo);
    m->argv = lo_message_get_argv(m->lo);
    if (!m->tags) m->tags = "";
    if (m->argc > 32 || strspn(m->tags, "fis") != strlen(m->tags)) {
        lo_message_free(m->lo);
        return -1;
    }
    return 0;
}

static float arg_f(const msg_t *m, int k)
{
    return m->tags[k] == 'i' ? (float)m->argv[k]->i : m->argv[k]->f;
}

static const char *arg_s(const msg_t *m, int k) { return &m->argv[k]->s; }

static int all_numbers(const msg_t *m, int n)
{
    if (m->argc != n) return 0;
    for (int k = 0; k < n; k++)
        if (m->tags[k] != 'f' && m->tags[k] != 'i') return 0;
    return 1;
}

/* ---- sending ---- */

static void send_packet(jm_web_t *w, const void *buf, size_t len)
{
    if (w->udp_fd < 0 || !len) return;
    sendto(w->udp_fd, buf, len, MSG_DONTWAIT, (const struct sockaddr *)&w->daemon,
           sizeof w->daemon);
}

/* Serialise m to path and send it; frees m. Messages longer than 256 bytes
 * are not sent (no path of ours comes close). */
static void send_msg(jm_web_t *w, const char *path, lo_message m)
{
    unsigned char buf[256];
    if (!m) return;
    size_t n = lo_message_length(m, path);
    if (n <= sizeof buf && lo_message_serialise(m, path, buf, &n)) send_packet(w, buf, n);
    lo_message_free(m);
}

void jm_web_gw_send(jm_web_t *w, const char *path, char type, float v)
{
    lo_message m = lo_message_new();
    if (m && type == 'f') lo_message_add_float(m, v);
    else if (m && type == 'i') lo_message_add_int32(m, (int32_t)lrintf(v));
    send_msg(w, path, m);
}

void jm_web_gw_send_raw(jm_web_t *w, const void *data, size_t len) { send_packet(w, data, len); }

size_t jm_web_gw_error(const char *path, const char *why, unsigned char *out, size_t cap)
{
    lo_message m = lo_message_new();
    if (!m) return 0;
    lo_message_add_string(m, path);
    lo_message_add_string(m, why);
    size_t n = lo_message_length(m, "/error");
    if (n > cap || !lo_message_serialise(m, "/error", out, &n)) n = 0;
    lo_message_free(m);
    return n;
}

static void send_str(jm_web_t *w, const char *path, const char *s)
{
    lo_message m = lo_message_new();
    if (m) lo_message_add_string(m, s);
    send_msg(w, path, m);
}

void jm_web_gw_send_str(jm_web_t *w, const char *path, const char *s) { send_str(w, path, s); }

/* ---- values: fetched owner by owner ---- */

/* "/strip/3/", "/bus/1/", "/master/", "/monitor/": the /params prefix of
 * the owner of a parameter path. */
static void owner_prefix(const char *path, char *out, size_t cap)
{
    int want = (!strncmp(path, "/strip/", 7) || !strncmp(path, "/bus/", 5)) ? 3 : 2;
    size_t i = 0;
    int seen = 0;
    while (path[i] && i + 1 < cap) {
        out[i] = path[i];
        if (path[i++] == '/' && ++seen == want) break;
    }
    out[i] = '\0';
}

static void ask_owner(jm_web_t *w, size_t p)
{
    char prefix[JM_PATH_MAX];
    owner_prefix(w->ps->p[p].path, prefix, sizeof prefix);
    send_str(w, "/params", prefix);
}

/* Ask for the owner (strip, bus, master...) of the first unconfirmed value:
 * one owner at a time, as a whole /params burst could overflow the socket
 * buffer. Returns 0 when every value is confirmed. */
static int fetch(jm_web_t *w)
{
    size_t n = w->ps->n;
    while (w->unknown_from < n && w->known[w->unknown_from]) w->unknown_from++;
    size_t p = w->unknown_from;
    if (p == n) return 0;
    if (p != w->fetch_p) {
        w->fetch_p = p;
        w->fetch_tries = 0;
    } else if (w->last_reply_us && ++w->fetch_tries > FETCH_TRIES) {
        /* the console answers, but never this one: keep the session's value */
        jm_log(w->log, JM_LOG_WARN, "web: no value for %s from the console", w->ps->p[p].path);
        w->known[p] = 1;
        return 1;
    }
    ask_owner(w, p);
    return 1;
}

/* A /param reply for p: when it ends its owner's list, ask for the next
 * owner at once instead of waiting for the tick. */
static void fetched(jm_web_t *w, int p)
{
    if (p < 0 || w->confirmed) return;
    size_t n = w->ps->n;
    if ((size_t)p + 1 < n) {
        char a[JM_PATH_MAX], b[JM_PATH_MAX];
        owner_prefix(w->ps->p[p].path, a, sizeof a);
        owner_prefix(w->ps->p[p + 1].path, b, sizeof b);
        if (!strcmp(a, b)) return;
    }
    fetch(w);
}

/* ---- receiving ---- */

/* Feedback comes on the index address; an alias (maybe in its /norm taper)
 * could look like a name-form path, so only the exact index path counts. */
static int index_path(const jm_web_t *w, const char *path)
{
    int p = jm_params_find(w->ps, path);
    return p >= 0 && !strcmp(w->ps->p[p].path, path) ? p : -1;
}

static void got_value(jm_web_t *w, int p, float v)
{
    if (p < 0 || !isfinite(v)) return;
    int changed = !w->known[p] || w->values[p] != v;
    w->values[p] = v;
    w->known[p] = 1;
    if (changed) jm_web_param_changed(w, p);
}

static void got_meter(jm_web_t *w, const msg_t *m)
{
    const char *p = m->path + 7; /* after "/meter/" */
    if (!strncmp(p, "strip/", 6) && (all_numbers(m, 3) || all_numbers(m, 4))) {
        /* peak, rms, gain reduction and (since issue 17) the compressor's input */
        int i = atoi(p + 6) - 1;
        if (i < 0 || i >= w->s->n_strips) return;
        for (int k = 0; k < JM_WEB_STRIP_METER; k++)
            w->strip_meter[i * JM_WEB_STRIP_METER + k] = k < m->argc ? arg_f(m, k) : -120.0f;
    } else if (!strcmp(p, "rta") && all_numbers(m, JM_WEB_RTA_BANDS)) {
        /* the analyser's tap (/rta/source), for pages with a channel view */
        for (int k = 0; k < JM_WEB_RTA_BANDS; k++) w->rta[k] = arg_f(m, k);
        w->rta_seq++;
    } else if (!strncmp(p, "bus/", 4) && all_numbers(m, 3)) {
        int i = atoi(p + 4) - 1;
        if (i < 0 || i >= w->s->n_buses) return;
        for (int k = 0; k < 3; k++) w->bus_meter[i][k] = arg_f(m, k);
    } else if (!strcmp(p, "master") && all_numbers(m, 4)) {
        for (int k = 0; k < 4; k++) w->master_meter[k] = arg_f(m, k);
    } else if (!strcmp(p, "loudness") && all_numbers(m, 5)) {
        for (int k = 0; k < 5; k++) w->loudness[k] = arg_f(m, k);
    } else {
        return;
    }
    jm_web_meters_changed(w);
}

static void handle(jm_web_t *w, unsigned char *d, size_t len)
{
    msg_t m;
    if (decode(d, len, &m)) return;
    w->last_reply_us = lws_now_usecs();
    if (!strncmp(m.path, "/meter/", 7)) {
        got_meter(w, &m);
    } else if (!strcmp(m.path, "/param")) {
        /* /param s:path s:unit f:min f:max f:default f:value */
        if (m.argc == 6 && !strcmp(m.tags, "ssffff")) {
            int p = index_path(w, arg_s(&m, 0));
            got_value(w, p, arg_f(&m, 5));
            fetched(w, p);
        }
    } else if (!strcmp(m.path, "/subscribe/confirm") && !strcmp(m.tags, "i")) {
        /* the console streams to us once we show we receive here: echo it */
        lo_message c = lo_message_new();
        if (c) lo_message_add_int32(c, m.argv[0]->i);
        send_msg(w, m.path, c);
    } else if (!strcmp(m.path, "/params/more") && !strcmp(m.tags, "si")) {
        /* /params answers in pages: ask for the next one */
        lo_message c = lo_message_new();
        if (c) {
            lo_message_add_string(c, arg_s(&m, 0));
            lo_message_add_int32(c, m.argv[1]->i);
        }
        send_msg(w, "/params", c);
    } else if (!strcmp(m.path, "/info") && m.argc >= 2 && m.tags[1] == 'i') {
        /* /info s:version i:sample_rate ...: the EQ curve's design rate */
        int fs = m.argv[1]->i;
        if (fs >= 8000 && fs <= 768000 && fs != w->fs) {
            w->fs = fs;
            jm_web_meters_changed(w);
        }
    } else if (!strcmp(m.path, "/error")) {
        if (m.argc == 2 && !strcmp(m.tags, "ss"))
            jm_log(w->log, JM_LOG_DEBUG, "web: the console refused %s: %s",
                   arg_s(&m, 0), arg_s(&m, 1));
    } else if (all_numbers(&m, 1)) {
        got_value(w, index_path(w, m.path), arg_f(&m, 0));
    }
    lo_message_free(m.lo);
}

void jm_web_gw_rx(jm_web_t *w, struct lws *wsi)
{
    (void)wsi;
    for (int budget = 4096; budget > 0; budget--) {
        struct sockaddr_in src;
        socklen_t sl = sizeof src;
        ssize_t n = recvfrom(w->udp_fd, w->rxbuf, sizeof w->rxbuf, MSG_DONTWAIT,
                             (struct sockaddr *)&src, &sl);
        if (n < 0) break;
        /* only the daemon talks to us */
        if (src.sin_addr.s_addr != w->daemon.sin_addr.s_addr ||
            src.sin_port != w->daemon.sin_port)
            continue;
        if (n >= 16 && !memcmp(w->rxbuf, "#bundle", 8)) continue; /* the daemon sends none */
        handle(w, w->rxbuf, (size_t)n);
    }
    jm_web_flush(w);
}

int64_t jm_web_gw_tick(jm_web_t *w)
{
    if (w->gw_denied) return 60 * LWS_US_PER_SEC; /* the console would not answer */
    int64_t now = lws_now_usecs();
    if (now - w->last_subscribe_us >= SUBSCRIBE_EVERY_US) {
        send_str(w, "/subscribe", "units");
        if (!w->fs) jm_web_gw_send(w, "/info", 0, 0); /* the sample rate, once */
        w->last_subscribe_us = now;
    }
    if (fetch(w)) return FETCH_US;
    if (!w->confirmed) {
        w->confirmed = 1;
        jm_log(w->log, JM_LOG_DEBUG, "web: %zu values confirmed by the console in %.0f ms",
               w->ps->n, (double)(now - w->started_us) / 1000.0);
    }
    /* then re-read one owner per tick, so that a lost datagram heals */
    size_t n = w->ps->n;
    if (n) {
        size_t p = w->resync % n, q = p;
        char cur[JM_PATH_MAX];
        owner_prefix(w->ps->p[p].path, cur, sizeof cur);
        size_t cl = strlen(cur);
        while (q < n && !strncmp(w->ps->p[q].path, cur, cl)) q++;
        w->resync = q % n;
        ask_owner(w, p);
    }
    return RESYNC_US;
}

int jm_web_gw_open(jm_web_t *w)
{
    w->udp_fd = -1;
    /* the daemon's OSC socket: loopback unless it is bound to one address */
    struct sockaddr_in d = {.sin_family = AF_INET, .sin_port = htons((uint16_t)w->osc_port)};
    if (inet_pton(AF_INET, w->s->osc_bind, &d.sin_addr) != 1 || d.sin_addr.s_addr == INADDR_ANY)
        d.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    w->daemon = d;
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_addr = d.sin_addr};
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof me)) {
        jm_log(w->log, JM_LOG_ERROR, "web: cannot open the gateway's OSC socket: %s",
               strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    /* a /params burst and meters arrive at once */
    int rcv = 1 << 21;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    if (!jm_cidr_match(w->s->allow, w->s->n_allow, ntohl(d.sin_addr.s_addr))) {
        char a[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &d.sin_addr, a, sizeof a);
        jm_log(w->log, JM_LOG_WARN, "web: %s is outside osc.allow: the console will not "
               "answer the web surface (values shown are the session's)", a);
        w->gw_denied = 1;
    }
    lws_sock_file_fd_type u = {.filefd = fd};
    w->udp = lws_adopt_descriptor_vhost(w->vh, LWS_ADOPT_RAW_FILE_DESC, u, w->proto->name, NULL);
    if (!w->udp) {
        jm_log(w->log, JM_LOG_ERROR, "web: cannot add the OSC socket to the event loop");
        close(fd);
        return -1;
    }
    w->udp_fd = fd;
    w->started_us = lws_now_usecs();
    return 0;
}

void jm_web_gw_close(jm_web_t *w)
{
    if (w->udp_fd >= 0) send_str(w, "/unsubscribe", "units");
}
