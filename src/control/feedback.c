/* Replies, feedback and meters, serialised with liblo and sent with one
 * sendto on the OSC server's socket. */
#include "jmixd/control/feedback.h"

#include "jmixd/control/x32.h"
#include "jmixd/session/access.h"

#include <arpa/inet.h>
#include <lo/lo.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>


#define ERROR_RATE 50.0 /* /error replies a second to one peer */

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void jm_feedback_add_self(jm_feedback_t *fb, int fd) { jm_self_add_fd(&fb->self, fd); }

void jm_feedback_send_on(jm_feedback_t *fb, int sock, const struct sockaddr_in *to,
                         const char *path, lo_message m)
{
    unsigned char buf[65536];
    size_t len = lo_message_length(m, path);
    if (sock >= 0 && jm_self_is(&fb->self, to)) {
        /* a spoofed source or subscription naming the console itself */
        fb->send_errors++;
    } else if (sock >= 0 && len <= sizeof buf) {
        size_t size = sizeof buf;
        lo_message_serialise(m, path, buf, &size);
        if (sendto(sock, buf, size, MSG_DONTWAIT, (const struct sockaddr *)to, sizeof *to) < 0)
            fb->send_errors++;
    }
    lo_message_free(m);
}

static void send_msg(jm_feedback_t *fb, const struct sockaddr_in *to, const char *path,
                     lo_message m)
{
    jm_feedback_send_on(fb, fb->sock, to, path, m);
}

void jm_feedback_send_msg(jm_feedback_t *fb, const struct sockaddr_in *to, const char *path,
                          lo_message m)
{
    send_msg(fb, to, path, m);
}

void jm_feedback_send_error(jm_feedback_t *fb, const struct sockaddr_in *to, const char *address,
                            const char *reason)
{
    if (!jm_peerlimit_take(&fb->errors, to, mono_now())) {
        fb->errors_suppressed++;
        return;
    }
    lo_message m = lo_message_new();
    lo_message_add_string(m, address);
    lo_message_add_string(m, reason);
    send_msg(fb, to, "/error", m);
}

void jm_feedback_send_float(jm_feedback_t *fb, const struct sockaddr_in *to, const char *path,
                            float v)
{
    lo_message m = lo_message_new();
    lo_message_add_float(m, v);
    send_msg(fb, to, path, m);
}

/* TouchOSC buttons and X32 clients expect a switch as an integer. */
lo_message jm_feedback_value_msg(const jm_param_def_t *d, float v, int normed)
{
    lo_message m = lo_message_new();
    if (jm_param_is_bool(d) || (!normed && d->taper == JM_TAPER_ENUM))
        lo_message_add_int32(m, (int32_t)lrintf(v));
    else
        lo_message_add_float(m, v);
    return m;
}

void jm_feedback_send_value(jm_feedback_t *fb, const struct sockaddr_in *to, const char *path,
                            const jm_param_def_t *d, float v, int normed)
{
    send_msg(fb, to, path, jm_feedback_value_msg(d, v, normed));
}

static int resolve(const char *host, int port, struct sockaddr_in *out)
{
    memset(out, 0, sizeof *out);
    out->sin_family = AF_INET;
    out->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &out->sin_addr) == 1) return 0;
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM}, *res = NULL;
    if (getaddrinfo(host, NULL, &hints, &res) || !res) return -1;
    out->sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
    freeaddrinfo(res);
    return 0;
}

int jm_feedback_init(jm_feedback_t *fb, const jm_session_t *s, const jm_log_t *log)
{
    memset(fb, 0, sizeof *fb);
    fb->sock = -1;
    fb->x32_sock = -1;
    fb->xair_sock = -1;
    fb->s = s;
    fb->log = log;
    jm_peerlimit_init(&fb->errors, ERROR_RATE, ERROR_RATE);
    jm_peerlimit_init(&fb->dump_peers, JM_DUMP_PEER_RATE, JM_DUMP_PEER_BURST);
    for (int i = 0; i < s->n_clients && i < JM_MAX_SUBSCRIBERS; i++) {
        jm_subscriber_t *sub = &fb->subs[i];
        if (resolve(s->clients[i].host, s->clients[i].port, &sub->addr)) {
            jm_log(log, JM_LOG_WARN, "osc.clients: cannot resolve '%s'; skipped",
                   s->clients[i].host);
            continue;
        }
        sub->used = 1;
        sub->bus = -1; /* the operator's */
        sub->norm = s->clients[i].norm;
        sub->expires = 0;
        /* a permanent client sees the console as it is from the start */
        jm_dump_start(&sub->dump, &sub->addr, sub->norm ? JM_DUMP_NORM : JM_DUMP_UNITS, "", 0, 0);
    }
    return 0;
}

void jm_feedback_free(jm_feedback_t *fb) { (void)fb; }

static int same(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
    return a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

static struct sockaddr_in with_port(const struct sockaddr_in *src, int port)
{
    struct sockaddr_in a = *src;
    if (port > 0 && port < 65536) a.sin_port = htons((uint16_t)port);
    return a;
}

static int same_ip(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
    return a->sin_addr.s_addr == b->sin_addr.s_addr;
}

/* A random token 1 .. 2^31-1: the one thing a forger cannot see. */
static int32_t new_token(const jm_feedback_t *fb)
{
    uint32_t t = 0;
    if (getrandom(&t, sizeof t, GRND_NONBLOCK) != (ssize_t)sizeof t) {
        /* not seen on Linux >= 3.17 once booted; the clock is still
         * unknown to an off-path sender */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        t = (uint32_t)ts.tv_nsec * 2654435761u ^ (uint32_t)ts.tv_sec;
        jm_log(fb->log, JM_LOG_WARN, "getrandom failed; subscription token from the clock");
    }
    t &= 0x7fffffffu;
    return (int32_t)(t ? t : 1);
}

/* Leases (and /xremote) held by an IP; osc.clients are the operator's. */
static int leases_of(const jm_feedback_t *fb, const struct sockaddr_in *a)
{
    int n = 0;
    for (int i = 0; i < JM_MAX_SUBSCRIBERS; i++)
        n += fb->subs[i].used && fb->subs[i].expires > 0 && same_ip(&fb->subs[i].addr, a);
    return n;
}

static void refuse(jm_feedback_t *fb, const struct sockaddr_in *to, const char *path,
                   const struct sockaddr_in *a, const char *why)
{
    jm_log(fb->log, JM_LOG_DEBUG, "%s for %s:%d refused: %s", path, inet_ntoa(a->sin_addr),
           ntohs(a->sin_port), why);
    jm_feedback_send_error(fb, to, path, why);
}

static const char TOO_MANY[] = "at most 4 subscriptions per address";
_Static_assert(JM_SUBS_PER_ADDRESS == 4, "TOO_MANY names the limit");

static void send_confirm(jm_feedback_t *fb, const jm_pending_t *pd)
{
    lo_message m = lo_message_new();
    lo_message_add_int32(m, pd->token);
    send_msg(fb, &pd->addr, "/subscribe/confirm", m);
}

/* A pending slot for a: its own, else a free one; when none is free, the
 * oldest request of the same IP once it has JM_PENDING_PER_ADDRESS, else
 * the oldest of all. A flood of forged requests thus only pushes out other
 * unconfirmed requests, never a lease. */
static jm_pending_t *pending_slot(jm_feedback_t *fb, const struct sockaddr_in *a, int *fresh)
{
    jm_pending_t *free_slot = NULL, *oldest = NULL, *oldest_ip = NULL;
    int of_ip = 0;
    *fresh = 1;
    for (int i = 0; i < JM_MAX_PENDING; i++) {
        jm_pending_t *pd = &fb->pending[i];
        if (!pd->used) {
            if (!free_slot) free_slot = pd;
            continue;
        }
        if (same(&pd->addr, a)) {
            *fresh = 0;
            return pd;
        }
        if (!oldest || pd->asked < oldest->asked) oldest = pd;
        if (same_ip(&pd->addr, a)) {
            of_ip++;
            if (!oldest_ip || pd->asked < oldest_ip->asked) oldest_ip = pd;
        }
    }
    if (of_ip >= JM_PENDING_PER_ADDRESS) return oldest_ip;
    return free_slot ? free_slot : oldest;
}

static jm_subscriber_t *add_lease(jm_feedback_t *fb, const struct sockaddr_in *a, int norm,
                                  int x32, int bus, double now)
{
    for (int i = 0; i < JM_MAX_SUBSCRIBERS; i++) {
        jm_subscriber_t *sub = &fb->subs[i];
        if (sub->used) continue;
        *sub = (jm_subscriber_t){.addr = *a, .norm = norm, .x32 = x32, .bus = bus,
                                 .expires = now + JM_LEASE_SECONDS, .used = 1};
        return sub;
    }
    jm_log(fb->log, JM_LOG_WARN, "subscriber table full; %s:%d not added",
           inet_ntoa(a->sin_addr), ntohs(a->sin_port));
    return NULL;
}

int jm_feedback_sees(const jm_feedback_t *fb, int bus, int param)
{
    return bus < 0 || jm_perm_param_ok(&fb->s->params.p[param], bus);
}

void jm_feedback_subscribe(jm_feedback_t *fb, const struct sockaddr_in *src, int port, int norm,
                           int x32, int bus, double now)
{
    if (x32) bus = -1; /* the X32 ports are the engineer's */
    struct sockaddr_in a = with_port(src, port);
    const char *path = x32 ? "/xremote" : "/subscribe";
    for (int i = 0; i < JM_MAX_SUBSCRIBERS; i++) {
        jm_subscriber_t *sub = &fb->subs[i];
        if (sub->used && same(&sub->addr, &a) && sub->x32 == x32) {
            /* a confirmed lease: renewing needs no new confirmation; a
             * login or logout since changes what it carries from now on */
            sub->norm = norm;
            sub->bus = bus;
            if (sub->expires > 0) sub->expires = now + JM_LEASE_SECONDS;
            return;
        }
    }
    if (leases_of(fb, &a) >= JM_SUBS_PER_ADDRESS) {
        /* X32 apps ignore /error, as an X32 would send none */
        if (!x32) refuse(fb, src, path, &a, TOO_MANY);
        return;
    }
    if (x32) {
        /* X32 apps cannot answer a confirmation; /xremote streams no meters */
        jm_subscriber_t *sub = add_lease(fb, &a, norm, x32, -1, now);
        if (sub) jm_dump_start(&sub->dump, &a, JM_DUMP_X32, "", 0, now);
        return;
    }
    int fresh;
    jm_pending_t *pd = pending_slot(fb, &a, &fresh);
    if (fresh || now >= pd->expires) /* not swept yet: a new request */
        *pd = (jm_pending_t){.addr = a, .token = new_token(fb), .asked = now,
                             .expires = now + JM_CONFIRM_SECONDS, .used = 1};
    pd->norm = norm; /* the same token again: a lost confirmation can be asked for */
    pd->bus = bus;
    send_confirm(fb, pd);
}

void jm_feedback_confirm(jm_feedback_t *fb, const struct sockaddr_in *src, int32_t token,
                         double now)
{
    jm_pending_t *pd = NULL;
    for (int i = 0; i < JM_MAX_PENDING && !pd; i++)
        if (fb->pending[i].used && fb->pending[i].token == token &&
            same_ip(&fb->pending[i].addr, src) && now < fb->pending[i].expires)
            pd = &fb->pending[i];
    if (!pd) {
        refuse(fb, src, "/subscribe/confirm", src, "unknown token");
        return;
    }
    pd->used = 0;
    /* it may have been renewed or filled up meanwhile */
    for (int i = 0; i < JM_MAX_SUBSCRIBERS; i++) {
        jm_subscriber_t *sub = &fb->subs[i];
        if (sub->used && !sub->x32 && same(&sub->addr, &pd->addr)) {
            sub->norm = pd->norm;
            sub->bus = pd->bus;
            if (sub->expires > 0) sub->expires = now + JM_LEASE_SECONDS;
            return;
        }
    }
    if (leases_of(fb, &pd->addr) >= JM_SUBS_PER_ADDRESS) {
        refuse(fb, src, "/subscribe/confirm", &pd->addr, TOO_MANY);
        return;
    }
    jm_subscriber_t *sub = add_lease(fb, &pd->addr, pd->norm, 0, pd->bus, now);
    if (!sub)
        refuse(fb, src, "/subscribe/confirm", &pd->addr, "subscriber table full");
    else /* a new subscriber: the state, then the changes */
        jm_dump_start(&sub->dump, &sub->addr, sub->norm ? JM_DUMP_NORM : JM_DUMP_UNITS, "", 0,
                      now);
}

void jm_feedback_unsubscribe(jm_feedback_t *fb, const struct sockaddr_in *src, int port)
{
    struct sockaddr_in a = with_port(src, port);
    for (int i = 0; i < JM_MAX_SUBSCRIBERS; i++)
        if (fb->subs[i].used && fb->subs[i].expires > 0 && same(&fb->subs[i].addr, &a))
            fb->subs[i].used = 0;
    for (int i = 0; i < JM_MAX_PENDING; i++)
        if (fb->pending[i].used && same(&fb->pending[i].addr, &a)) fb->pending[i].used = 0;
}

void jm_feedback_expire(jm_feedback_t *fb, double now)
{
    for (int i = 0; i < JM_MAX_SUBSCRIBERS; i++)
        if (fb->subs[i].used && fb->subs[i].expires > 0 && now >= fb->subs[i].expires)
            fb->subs[i].used = 0;
    for (int i = 0; i < JM_MAX_PENDING; i++)
        if (fb->pending[i].used && now >= fb->pending[i].expires) fb->pending[i].used = 0;
}

void jm_feedback_param(jm_feedback_t *fb, int param, float value)
{
    const jm_param_t *p = &fb->s->params.p[param];
    char norm_path[JM_PATH_MAX + 8];
    snprintf(norm_path, sizeof norm_path, "%s/norm", p->path);
    float nv = jm_param_to_norm(p->def, value);
    for (int i = 0; i < JM_MAX_SUBSCRIBERS; i++) {
        const jm_subscriber_t *sub = &fb->subs[i];
        if (!sub->used) continue;
        if (sub->x32) {
            jm_feedback_x32_param(fb, &sub->addr, param, value);
            continue;
        }
        if (!jm_feedback_sees(fb, sub->bus, param)) continue;
        /* switches have no /norm twin: every style gets them on their path */
        if (sub->norm && !jm_param_is_bool(p->def))
            jm_feedback_send_value(fb, &sub->addr, norm_path, p->def, nv, 1);
        else
            jm_feedback_send_value(fb, &sub->addr, p->path, p->def, value, 0);
        /* and on every alias of it, in the alias's own taper */
        for (int k = 0; k < fb->s->n_aliases; k++) {
            const jm_alias_t *a = &fb->s->aliases[k];
            if (a->param == param)
                jm_feedback_send_value(fb, &sub->addr, a->from, p->def, a->norm ? nv : value,
                                       a->norm);
        }
    }
}

/* dBFS of a linear amplitude, floored at -120; or 0..1 over -60..0 dBFS. */
static float level(float lin, int norm)
{
    float db = lin > 1e-6f ? 20.0f * log10f(lin) : -120.0f;
    if (!norm) return db;
    float f = (db + 60.0f) / 60.0f;
    return f < 0.0f ? 0.0f : f > 1.0f ? 1.0f : f;
}

/* A performer sees the strips (what they send into its mix) and its own
 * bus; not the master, nor the other buses. */
static int meter_for(const jm_subscriber_t *sub, const jm_event_t *ev)
{
    if (sub->bus < 0 || ev->type == JM_EV_METER_STRIP) return 1;
    return ev->type == JM_EV_METER_BUS && ev->index == sub->bus;
}

void jm_feedback_meter(jm_feedback_t *fb, const jm_event_t *ev)
{
    char path[48];
    for (int i = 0; i < JM_MAX_SUBSCRIBERS; i++) {
        const jm_subscriber_t *sub = &fb->subs[i];
        if (!sub->used || sub->x32 || !meter_for(sub, ev)) continue;
        lo_message m = lo_message_new();
        if (ev->type == JM_EV_METER_STRIP) {
            snprintf(path, sizeof path, "/meter/strip/%d", ev->index + 1);
            lo_message_add_float(m, level(ev->v[0], sub->norm));
            lo_message_add_float(m, level(ev->v[1], sub->norm));
            lo_message_add_float(m, ev->v[2]);
            lo_message_add_float(m, level(ev->v[3], sub->norm)); /* input after trim */
        } else if (ev->type == JM_EV_METER_BUS) {
            snprintf(path, sizeof path, "/meter/bus/%d", ev->index + 1);
            lo_message_add_float(m, level(ev->v[0], sub->norm));
            lo_message_add_float(m, level(ev->v[1], sub->norm));
            lo_message_add_float(m, ev->v[2]); /* an aux bus's limiter GR dB; 0 for FX */
        } else if (ev->type == JM_EV_METER_MASTER) {
            snprintf(path, sizeof path, "/meter/master");
            for (int k = 0; k < 4; k++) lo_message_add_float(m, level(ev->v[k], sub->norm));
        } else {
            lo_message_free(m);
            continue;
        }
        send_msg(fb, &sub->addr, path, m);
    }
}

void jm_feedback_rta(jm_feedback_t *fb, const float db[31])
{
    for (int i = 0; i < JM_MAX_SUBSCRIBERS; i++) {
        const jm_subscriber_t *sub = &fb->subs[i];
        if (!sub->used || sub->x32 || sub->bus >= 0) continue;
        lo_message m = lo_message_new();
        for (int k = 0; k < 31; k++) lo_message_add_float(m, db[k]);
        send_msg(fb, &sub->addr, "/meter/rta", m);
    }
}

void jm_feedback_loudness(jm_feedback_t *fb, const float lu[5])
{
    for (int i = 0; i < JM_MAX_SUBSCRIBERS; i++) {
        const jm_subscriber_t *sub = &fb->subs[i];
        if (!sub->used || sub->x32 || sub->bus >= 0) continue; /* the master's: not a performer's */
        lo_message m = lo_message_new();
        for (int k = 0; k < 5; k++) lo_message_add_float(m, lu[k]);
        send_msg(fb, &sub->addr, "/meter/loudness", m);
    }
}

void jm_feedback_send_info(jm_feedback_t *fb, const struct sockaddr_in *to, const char *version,
                           int rate, int period, int strips, int buses)
{
    lo_message m = lo_message_new();
    lo_message_add_string(m, version);
    lo_message_add_int32(m, rate);
    lo_message_add_int32(m, period);
    lo_message_add_int32(m, strips);
    lo_message_add_int32(m, buses);
    send_msg(fb, to, "/info", m);
}

/* Bulk answers are paged: a 12-byte request must not draw kilobytes towards
 * an address that may be forged (docs/osc.md, "Console queries"). */
void jm_feedback_send_strips(jm_feedback_t *fb, const struct sockaddr_in *to,
                             const jm_session_t *s, int offset)
{
    lo_message m = lo_message_new();
    int i = offset < 0 ? 0 : offset;
    size_t bytes = 0;
    for (; i < s->n_strips; i++) {
        size_t len = strlen(s->strips[i].name) / 4 * 4 + 5; /* padded string and its tag */
        if (bytes && bytes + len > JM_PAGE_BYTES) break;
        lo_message_add_string(m, s->strips[i].name);
        bytes += len;
    }
    send_msg(fb, to, "/strips", m);
    m = lo_message_new();
    lo_message_add_int32(m, i < s->n_strips ? i : s->n_strips);
    send_msg(fb, to, i < s->n_strips ? "/strips/more" : "/strips/end", m);
}

int jm_feedback_page_send(jm_feedback_t *fb, const struct sockaddr_in *to, const char *path,
                          lo_message m, size_t *bytes)
{
    size_t len = lo_message_length(m, path);
    if (*bytes && *bytes + len > JM_PAGE_BYTES) {
        lo_message_free(m);
        return 0;
    }
    *bytes += len;
    send_msg(fb, to, path, m);
    return 1;
}

void jm_feedback_send_page_end(jm_feedback_t *fb, const struct sockaddr_in *to, const char *list,
                               int next, int count)
{
    char path[64];
    snprintf(path, sizeof path, "%s/%s", list, next < count ? "more" : "end");
    lo_message m = lo_message_new();
    lo_message_add_int32(m, next < count ? next : count);
    send_msg(fb, to, path, m);
}

static int param_matches(const jm_param_t *p, const char *prefix, size_t pl)
{
    return !pl || !strncmp(p->path, prefix, pl) || !strncmp(p->name_path, prefix, pl);
}

void jm_feedback_send_params(jm_feedback_t *fb, const struct sockaddr_in *to, const char *prefix,
                             int offset, const float *values)
{
    const jm_paramset_t *ps = &fb->s->params;
    size_t pl = strlen(prefix), bytes = 0;
    int seen = 0, sent = 0, next = -1;
    for (size_t i = 0; i < ps->n && next < 0; i++) {
        const jm_param_t *p = &ps->p[i];
        if (!param_matches(p, prefix, pl)) continue;
        if (seen++ < offset) continue;
        lo_message m = lo_message_new();
        lo_message_add_string(m, p->path);
        lo_message_add_string(m, p->def->unit);
        lo_message_add_float(m, p->def->min);
        lo_message_add_float(m, p->def->max);
        lo_message_add_float(m, p->defval);
        lo_message_add_float(m, values[i]);
        size_t len = lo_message_length(m, "/param");
        if (sent == JM_PAGE_PARAMS || (sent && bytes + len > JM_PAGE_BYTES)) {
            lo_message_free(m);
            next = seen - 1;
            break;
        }
        bytes += len;
        sent++;
        send_msg(fb, to, "/param", m);
    }
    lo_message m = lo_message_new();
    lo_message_add_string(m, prefix);
    if (next >= 0) {
        lo_message_add_int32(m, next);
        send_msg(fb, to, "/params/more", m);
    } else {
        lo_message_add_int32(m, seen);
        send_msg(fb, to, "/params/end", m);
    }
}

void jm_feedback_send_stats(jm_feedback_t *fb, const struct sockaddr_in *to,
                            const jm_stats_t *st, int wide)
{
    const uint64_t v[16] = {st->osc_counters[0], st->osc_counters[1], st->osc_counters[2],
                            st->req_dropped, st->cmd_dropped, st->xruns, fb->send_errors,
                            st->loudness_dropped, st->osc_counters[3] + fb->errors_suppressed,
                            st->rta_blocks, st->midi_in_dropped, st->midi_out_dropped,
                            st->cycle_median_ns, st->cycle_p99_ns, st->cycle_max_ns, st->cycles};
    lo_message m = lo_message_new();
    for (int k = 0; k < 16; k++) {
        /* h is beyond many OSC libraries (node-osc): i unless asked */
        if (wide) lo_message_add_int64(m, v[k] > INT64_MAX ? INT64_MAX : (int64_t)v[k]);
        else lo_message_add_int32(m, v[k] > INT32_MAX ? INT32_MAX : (int32_t)v[k]);
    }
    send_msg(fb, to, wide ? "/stats/64" : "/stats", m);
}
