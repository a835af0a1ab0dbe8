/* Non Session Manager client (API 1.1.2, docs/operations.md): announce from our
 * own UDP socket, wait for /nsm/client/open, take the session file, client
 * id and state file from what the manager gives. The socket is then read
 * by the OSC thread (/nsm/client/save) and written by the control thread
 * (replies, dirty flag).
 *
 * Only the manager is listened to: the socket is bound to loopback when
 * the manager runs on this host (else to the one local address that
 * reaches it), a message counts only when it comes from the manager's
 * port and address, and once the manager has opened us the socket is
 * connected to it, so the kernel drops everything else. */
#include "jmixd/osc/nsm.h"

#include "jmixd/util/netguard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <lo/lo.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* How long to wait for the manager's /nsm/client/open after the announce;
 * nothing listening at NSM_URL is known at once (ICMP, IP_RECVERR). */
#define OPEN_TIMEOUT_MS 10000

static int send_to(int fd, const struct sockaddr_in *to, const char *path, lo_message m)
{
    unsigned char buf[4096];
    size_t size = sizeof buf;
    int rc = -1;
    if (lo_message_length(m, path) <= sizeof buf) {
        lo_message_serialise(m, path, buf, &size);
        rc = sendto(fd, buf, size, 0, (const struct sockaddr *)to, sizeof *to) < 0 ? -1 : 0;
    }
    lo_message_free(m);
    return rc;
}

/* host names this machine: its own name (nsmd's URL carries it, from
 * gethostname), alone or as the first label of a longer name. */
static int is_this_host(const char *host)
{
    char me[256];
    if (gethostname(me, sizeof me - 1)) return 0;
    me[sizeof me - 1] = '\0';
    size_t k = strcspn(me, ".");
    return !strcasecmp(host, me) || (!strncasecmp(host, me, k) && (!host[k] || host[k] == '.'));
}

static int resolve_url(const char *url, struct sockaddr_in *out)
{
    char *host = lo_url_get_hostname(url), *port = lo_url_get_port(url);
    int rc = -1;
    if (host && port) {
        struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM}, *res = NULL;
        if (!getaddrinfo(host, port, &hints, &res) && res) {
            memcpy(out, res->ai_addr, sizeof *out);
            freeaddrinfo(res);
            rc = 0;
        } else if (is_this_host(host)) {
            /* a machine whose own name does not resolve (no /etc/hosts line
             * for it, as in a container or a minimal root): the manager is
             * here, on loopback */
            char *end;
            long p = strtol(port, &end, 10);
            if (!*end && p > 0 && p < 65536) {
                *out = (struct sockaddr_in){.sin_family = AF_INET,
                                            .sin_port = htons((uint16_t)p),
                                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
                rc = 0;
            }
        }
    }
    free(host);
    free(port);
    return rc;
}

/* A copy of the template (or a minimal console) when the manager's path
 * holds no session yet. */
static int create_session(const char *path, const char *template_path, char *err, size_t errlen)
{
    FILE *in = template_path ? fopen(template_path, "r") : NULL;
    FILE *out = fopen(path, "w");
    if (!out) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        if (in) fclose(in);
        return -1;
    }
    if (in) {
        char buf[8192];
        size_t k;
        while ((k = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, k, out);
        fclose(in);
    } else {
        fputs("# jmixd session created for the session manager; add strips here\n"
              "strips = ( );\nmaster = { output = [ ]; };\n", out);
    }
    return fclose(out) ? -1 : 0;
}

/* The manager's own address, or (a manager on this host may answer from
 * any of its addresses, 127.0.1.1 in NSM_URL, 127.0.0.1 on the wire) both
 * of this host; and its port. A remote host cannot forge a local source:
 * the kernel drops those. */
static int from_manager(const jm_nsm_t *n, const struct sockaddr_in *src)
{
    if (src->sin_port != n->server.sin_port) return 0;
    if (src->sin_addr.s_addr == n->server.sin_addr.s_addr) return 1;
    return jm_addr_is_local(src->sin_addr.s_addr) && jm_addr_is_local(n->server.sin_addr.s_addr);
}

/* The narrowest address to listen on that the manager can reach:
 * loopback for a manager on this host, else the address the route to it
 * leaves from. */
static struct sockaddr_in listen_address(const struct sockaddr_in *server)
{
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (jm_addr_is_local(server->sin_addr.s_addr)) return me;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    socklen_t len = sizeof me;
    if (fd < 0 || connect(fd, (const struct sockaddr *)server, sizeof *server) ||
        getsockname(fd, (struct sockaddr *)&me, &len))
        me.sin_addr.s_addr = htonl(INADDR_ANY); /* no route known: as before */
    me.sin_port = 0;
    if (fd >= 0) close(fd);
    return me;
}

/* Wait for one message from the manager; returns it (caller frees), its
 * path in *path and its source in *src. Other senders are ignored. */
static lo_message wait_message(const jm_nsm_t *n, int timeout_ms, char *path, size_t cap,
                               struct sockaddr_in *src, int *refused, const jm_log_t *log)
{
    unsigned char buf[65536];
    struct pollfd pf = {.fd = n->fd, .events = POLLIN};
    if (poll(&pf, 1, timeout_ms) <= 0) return NULL;
    socklen_t sl = sizeof *src;
    ssize_t len = recvfrom(n->fd, buf, sizeof buf, 0, (struct sockaddr *)src, &sl);
    if (len < 0 && errno == ECONNREFUSED) *refused = 1; /* nothing listens at NSM_URL */
    if (len >= 0 && !from_manager(n, src)) {
        jm_log(log, JM_LOG_DEBUG, "NSM: ignored a message from %s:%d (not the session manager)",
               inet_ntoa(src->sin_addr), ntohs(src->sin_port));
        return NULL;
    }
    if (len < 4 || buf[0] != '/' || !memchr(buf, '\0', (size_t)len)) return NULL;
    int res = 0;
    lo_message m = lo_message_deserialise(buf, (size_t)len, &res);
    if (m) {
        size_t k = strnlen((const char *)buf, cap - 1);
        memcpy(path, buf, k); /* longer addresses are cut: none of ours is */
        path[k] = '\0';
    }
    return m;
}

/* The handshake's "nothing listens" detection (IP_RECVERR) ends with it:
 * a queued ICMP report would keep poll's POLLERR up for ever. */
static void end_handshake(const jm_nsm_t *n)
{
    int off = 0;
    setsockopt(n->fd, IPPROTO_IP, IP_RECVERR, &off, sizeof off);
    unsigned char junk[512];
    struct iovec iov = {.iov_base = junk, .iov_len = sizeof junk};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    for (int k = 0; k < 64; k++)
        if (recvmsg(n->fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) break;
}

static const char *arg_string(lo_message m, int k)
{
    const char *types = lo_message_get_types(m);
    if (!types || (int)strlen(types) <= k || types[k] != 's') return NULL;
    return &lo_message_get_argv(m)[k]->s;
}

int jm_nsm_open(jm_nsm_t *n, const char *url, const char *argv0, const char *template_path,
                const jm_log_t *log, char *err, size_t errlen)
{
    memset(n, 0, sizeof *n);
    n->fd = -1;
    if (resolve_url(url, &n->server)) {
        snprintf(err, errlen, "NSM_URL: cannot use '%s'", url);
        return 1;
    }
    n->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in me = listen_address(&n->server);
    int one = 1;
    if (n->fd < 0 || bind(n->fd, (struct sockaddr *)&me, sizeof me)) {
        snprintf(err, errlen, "NSM: no socket: %s", strerror(errno));
        return 1;
    }
    /* an unconnected UDP socket hears of "port unreachable" only so */
    setsockopt(n->fd, IPPROTO_IP, IP_RECVERR, &one, sizeof one);
    lo_message m = lo_message_new();
    lo_message_add_string(m, "jmixd");
    /* the web page is the optional GUI: "shown" labels its address */
    lo_message_add_string(m, ":dirty:optional-gui:");
    lo_message_add_string(m, argv0);
    lo_message_add_int32(m, 1);
    lo_message_add_int32(m, 1);
    lo_message_add_int32(m, (int)getpid());
    if (send_to(n->fd, &n->server, "/nsm/server/announce", m)) {
        snprintf(err, errlen, "NSM: cannot reach the session manager at %s: %s", url,
                 strerror(errno));
        return 1;
    }
    jm_log(log, JM_LOG_INFO, "announced to the session manager at %s", url);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        int left = OPEN_TIMEOUT_MS - (int)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
        char path[256];
        struct sockaddr_in src;
        int refused = 0;
        lo_message msg =
            left > 0 ? wait_message(n, left, path, sizeof path, &src, &refused, log) : NULL;
        if (refused) {
            snprintf(err, errlen, "NSM: no session manager listens at %s", url);
            return 1;
        }
        if (!msg && left <= 0) {
            snprintf(err, errlen, "NSM: no /nsm/client/open from %s within %d s", url,
                     OPEN_TIMEOUT_MS / 1000);
            return 1;
        }
        if (!msg) continue;
        if (!strcmp(path, "/error")) {
            const char *what = arg_string(msg, 0);
            if (what && !strcmp(what, "/nsm/server/announce")) {
                const char *why = arg_string(msg, 2);
                snprintf(err, errlen, "NSM refused the announce: %s", why ? why : "(no reason)");
                lo_message_free(msg);
                return 1;
            }
        } else if (!strcmp(path, "/nsm/client/open")) {
            const char *prefix = arg_string(msg, 0), *id = arg_string(msg, 2);
            if (prefix && id && strlen(prefix) < sizeof n->session_path - 16 &&
                strlen(id) < sizeof n->client_id) {
                snprintf(n->session_path, sizeof n->session_path, "%s.cfg", prefix);
                snprintf(n->state_path, sizeof n->state_path, "%s.state", prefix);
                snprintf(n->saved_path, sizeof n->saved_path, "%s.saved.state", prefix);
                snprintf(n->running_path, sizeof n->running_path, "%s.running", prefix);
                snprintf(n->client_id, sizeof n->client_id, "%s", id);
                lo_message_free(msg);
                end_handshake(n);
                /* from now on the kernel lets only the manager in (replies
                 * still go to NSM_URL's address with sendto) */
                if (connect(n->fd, (const struct sockaddr *)&src, sizeof src))
                    jm_log(log, JM_LOG_WARN, "NSM: cannot tie the socket to the manager: %s",
                           strerror(errno));
                if (access(n->session_path, F_OK)) {
                    if (create_session(n->session_path, template_path, err, errlen)) {
                        jm_nsm_error(n, "/nsm/client/open", err);
                        return -1;
                    }
                    n->created = 1;
                }
                jm_log(log, JM_LOG_INFO, "session manager: open %s as '%s'", n->session_path,
                       n->client_id);
                return 0;
            }
        }
        lo_message_free(msg);
    }
}

void jm_nsm_fail(jm_nsm_t *n, const char *message)
{
    jm_nsm_error(n, "/nsm/client/open", message);
    /* a session we made from the template for this open: nothing of the
     * user's, and the manager will not list the client */
    if (n->created && !unlink(n->session_path)) n->created = 0;
}

const char *jm_nsm_mark_running(const jm_nsm_t *n, const jm_log_t *log)
{
    const char *recover = NULL;
    char line[1100] = "", mine[1100];
    snprintf(mine, sizeof mine, "%s\n", n->session_path);
    FILE *f = fopen(n->running_path, "r");
    if (f) {
        if (!fgets(line, sizeof line, f)) line[0] = '\0';
        fclose(f);
        /* it names its session: one copied with the session (a duplicate
         * made while the console ran) is not this client's crash */
        if (!strcmp(line, mine) && !access(n->state_path, R_OK)) recover = n->state_path;
    }
    f = fopen(n->running_path, "w");
    if (f) {
        fputs(mine, f);
        fclose(f);
    } else {
        jm_log(log, JM_LOG_WARN, "cannot create %s: %s (a crash will not be recognised)",
               n->running_path, strerror(errno));
    }
    return recover;
}

void jm_nsm_stopped(const jm_nsm_t *n) { unlink(n->running_path); }

void jm_nsm_error(const jm_nsm_t *n, const char *what, const char *message)
{
    lo_message m = lo_message_new();
    lo_message_add_string(m, what);
    lo_message_add_int32(m, -1);
    lo_message_add_string(m, message);
    send_to(n->fd, &n->server, "/error", m);
}

void jm_nsm_close(jm_nsm_t *n)
{
    if (n->fd >= 0) close(n->fd);
    n->fd = -1;
}
