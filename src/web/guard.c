/* What the web surface lets in (docs/osc.md, "Web surface: who may use it"):
 * the Host a request names (against DNS rebinding), the Origin of a
 * WebSocket (against cross-site WebSocket hijacking), how many connections
 * one address holds, and which OSC a WebSocket may send through the
 * gateway. Everything runs on the web thread. */
#include "web_int.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define PEER_MAX 8                  /* connections per source address */
#define BUNDLE_DEPTH 4

/* ---- Host and Origin ---- */

/* One of this machine's IPv4 addresses (any interface, up or not). */
static int local_address(const char *name)
{
    struct in_addr want;
    if (inet_pton(AF_INET, name, &want) != 1) return 0;
    struct ifaddrs *list = NULL;
    if (getifaddrs(&list)) return 0;
    int found = 0;
    for (struct ifaddrs *i = list; i && !found; i = i->ifa_next)
        if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET)
            found = ((const struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr == want.s_addr;
    freeifaddrs(list);
    return found;
}

/* NAME (no port, lower or upper case, maybe one trailing dot): one of the
 * console's own names. */
static int own_name(const jm_web_t *w, const char *name)
{
    char n[JM_WEB_NAME_LEN], host[256] = "", local[300];
    size_t len = strlen(name);
    if (!len || len >= sizeof n) return 0;
    memcpy(n, name, len + 1);
    if (n[len - 1] == '.') n[--len] = '\0';
    if (!len) return 0;
    if (!strcasecmp(n, "localhost") || !strcmp(n, "127.0.0.1")) return 1;
    if (strcmp(w->s->osc_bind, "0.0.0.0") && !strcmp(n, w->s->osc_bind)) return 1;
    if (!gethostname(host, sizeof host - 1) && host[0]) {
        snprintf(local, sizeof local, "%s.local", host);
        if (!strcasecmp(n, host) || !strcasecmp(n, local)) return 1;
    }
    return local_address(n);
}

/* "name" or "name:port" into its parts; port 0 when absent, -1 when bad. */
static int split_host(const char *v, char *name, size_t cap, long *port)
{
    const char *colon = strchr(v, ':');
    size_t n = colon ? (size_t)(colon - v) : strlen(v);
    if (!n || n >= cap) return -1;
    memcpy(name, v, n);
    name[n] = '\0';
    *port = 0;
    if (!colon) return 0;
    char *end;
    *port = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end || *port < 1 || *port > 65535) return -1;
    return 0;
}

/* A Host value ("name[:port]") that is the console itself, or listed in
 * web.hosts (an entry with a port matches exactly; one without, that name
 * with the console's port or none). */
static int host_ok(const jm_web_t *w, const char *v)
{
    for (int k = 0; k < w->s->n_web_hosts; k++)
        if (strchr(w->s->web_hosts[k], ':') && !strcasecmp(v, w->s->web_hosts[k])) return 1;
    char name[JM_WEB_NAME_LEN];
    long port;
    if (split_host(v, name, sizeof name, &port) || (port && port != w->http_port)) return 0;
    for (int k = 0; k < w->s->n_web_hosts; k++)
        if (!strchr(w->s->web_hosts[k], ':') && !strcasecmp(name, w->s->web_hosts[k])) return 1;
    return own_name(w, name);
}

static int header(struct lws *wsi, enum lws_token_indexes t, char *out, int cap)
{
    int n = lws_hdr_total_length(wsi, t);
    if (n <= 0) return 0;
    if (n >= cap || lws_hdr_copy(wsi, out, cap, t) != n) return -1;
    return 1;
}

int jm_web_host_allowed(const jm_web_t *w, struct lws *wsi)
{
    char v[JM_WEB_NAME_LEN];
    return header(wsi, WSI_TOKEN_HOST, v, sizeof v) == 1 && host_ok(w, v);
}

int jm_web_origin_allowed(const jm_web_t *w, struct lws *wsi)
{
    char v[JM_WEB_NAME_LEN];
    int h = header(wsi, WSI_TOKEN_ORIGIN, v, sizeof v);
    if (h == 0) return 1;   /* no Origin: not a browser (every browser sends one) */
    if (h < 0) return 0;
    for (int k = 0; k < w->s->n_web_origins; k++)
        if (!strcasecmp(v, w->s->web_origins[k])) return 1;
    /* the console's own origin: http, one of its names, its port */
    if (strncasecmp(v, "http://", 7)) return 0;
    char name[JM_WEB_NAME_LEN];
    long port;
    if (split_host(v + 7, name, sizeof name, &port)) return 0;
    if ((port ? port : 80) != w->http_port) return 0;
    for (int k = 0; k < w->s->n_web_hosts; k++)
        if (!strchr(w->s->web_hosts[k], ':') && !strcasecmp(name, w->s->web_hosts[k])) return 1;
    return own_name(w, name);
}

/* ---- connections per address ---- */

int jm_web_peer_admit(jm_web_t *w, uint32_t addr)
{
    int n = 0, free_slot = 0;
    for (int k = 0; k < JM_WEB_PEER_SLOTS; k++) {
        if (!w->peers[k].wsi) free_slot = 1;
        else if (w->peers[k].addr == addr) n++;
    }
    if (n >= PEER_MAX || !free_slot) {
        w->refused.over_limit++;
        return 0;
    }
    w->pending_addr = addr;
    w->pending = 1;
    return 1;
}

void jm_web_peer_created(jm_web_t *w, struct lws *wsi)
{
    if (!w->pending) return; /* not an accepted connection (the UDP socket) */
    w->pending = 0;
    for (int k = 0; k < JM_WEB_PEER_SLOTS; k++)
        if (!w->peers[k].wsi) {
            w->peers[k].wsi = wsi;
            w->peers[k].addr = w->pending_addr;
            return;
        }
}

void jm_web_peer_gone(jm_web_t *w, struct lws *wsi)
{
    for (int k = 0; k < JM_WEB_PEER_SLOTS; k++)
        if (w->peers[k].wsi == wsi) w->peers[k].wsi = NULL;
}

/* ---- OSC a WebSocket may send ---- */

static int ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n > k && !memcmp(s + n - k, suffix, k);
}

/* A parameter (index or name form), its /norm twin or touch, or an alias
 * of one (and its /z touch). /rta/source is let through by allowed(). */
static int param_address(const jm_web_t *w, const char *path)
{
    char base[JM_PATH_MAX + 16];
    size_t n = strlen(path);
    if (n >= sizeof base) return 0;
    if (jm_params_find(w->ps, path) >= 0) return 1;
    for (int k = 0; k < w->s->n_aliases; k++) {
        const char *from = w->s->aliases[k].from;
        size_t fl = strlen(from);
        if (!strcmp(path, from) || (n == fl + 2 && !strncmp(path, from, fl) &&
                                    !strcmp(path + fl, "/z")))
            return 1;
    }
    memcpy(base, path, n + 1);
    if (ends_with(base, n, "/norm")) base[n - 5] = '\0';
    else if (ends_with(base, n, "/touch")) base[n - 6] = '\0';
    else return 0;
    return jm_params_find(w->ps, base) >= 0;
}

static int allowed(const jm_web_t *w, const unsigned char *d, size_t n, int depth,
                   char *why_path, size_t cap)
{
    if (n < 8 || n % 4) return 0;
    if (n >= 16 && !memcmp(d, "#bundle", 8)) {
        if (depth >= BUNDLE_DEPTH) return 0;
        for (size_t at = 16; at < n;) {
            if (n - at < 4) return 0;
            uint32_t len = (uint32_t)d[at] << 24 | (uint32_t)d[at + 1] << 16 |
                           (uint32_t)d[at + 2] << 8 | d[at + 3];
            at += 4;
            if (!len || len > n - at || !allowed(w, d + at, len, depth + 1, why_path, cap))
                return 0;
            at += len;
        }
        return 1;
    }
    if (d[0] != '/') return 0;
    const void *nul = memchr(d, '\0', n);
    if (!nul) return 0;
    const char *path = (const char *)d;
    snprintf(why_path, cap, "%s", path);
    /* the analyser's tap is not a parameter, but an engineer's to pick
     * (performers' sockets send no OSC at all: clients.c) */
    if (!strcmp(path, "/rta/source")) return 1;
    return param_address(w, path);
}

int jm_web_osc_allowed(const jm_web_t *w, const void *data, size_t n, char *path, size_t cap)
{
    snprintf(path, cap, "%s", "(not OSC)");
    return allowed(w, data, n, 0, path, cap);
}

uint32_t jm_web_peer_ip(struct lws *wsi)
{
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int fd = (int)lws_get_socket_fd(wsi);
    if (fd < 0 || getpeername(fd, (struct sockaddr *)&a, &al) || a.sin_family != AF_INET)
        return 0;
    return ntohl(a.sin_addr.s_addr);
}

int jm_web_mix_performer(const jm_web_t *w, const char *uri)
{
    if (strncmp(uri, "/mix/", 5)) return -1;
    const char *name = uri + 5;
    size_t n = strlen(name);
    if (n && name[n - 1] == '/') n--;
    for (int k = 0; k < w->s->n_performers; k++)
        if (strlen(w->s->performers[k].name) == n && !strncmp(w->s->performers[k].name, name, n))
            return k;
    return -1;
}

void jm_web_guard_log(jm_web_t *w)
{
    const jm_web_refused_t *r = &w->refused, *l = &w->refused_logged;
    if (r->over_limit == l->over_limit && r->bad_host == l->bad_host &&
        r->bad_origin == l->bad_origin && r->osc_dropped == l->osc_dropped &&
        r->mix_refused == l->mix_refused)
        return;
    int64_t now = lws_now_usecs();
    if (w->refused_log_us && now - w->refused_log_us < 10 * LWS_US_PER_SEC) return;
    w->refused_log_us = now;
    w->refused_logged = *r;
    jm_log(w->log, JM_LOG_WARN, "web: refused so far: %llu connections over %d per address, "
           "%llu requests for a foreign Host, %llu WebSockets from a foreign Origin, %llu OSC "
           "messages that are not parameters, %llu requests outside a performer's mix",
           (unsigned long long)r->over_limit, PEER_MAX, (unsigned long long)r->bad_host,
           (unsigned long long)r->bad_origin, (unsigned long long)r->osc_dropped,
           (unsigned long long)r->mix_refused);
}
