/* Non Session Manager client (API 1.1.2, docs/operations.md): announce from our
 * own UDP socket, wait for /nsm/client/open, take the session file, client
 * id and state file from what the manager gives. The socket is then read
 * by the OSC thread (/nsm/client/save) and written by the control thread
 * (replies, dirty flag). */
#include "jmixd/osc/nsm.h"

#include <arpa/inet.h>
#include <errno.h>
#include <lo/lo.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define OPEN_TIMEOUT_MS 30000

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

int jm_nsm_send(const jm_nsm_t *n, const char *path, const char *s1, const char *s2)
{
    lo_message m = lo_message_new();
    if (s1) lo_message_add_string(m, s1);
    if (s2) lo_message_add_string(m, s2);
    return send_to(n->fd, &n->server, path, m);
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

/* Wait for one message; returns it (caller frees) and its path in *path. */
static lo_message wait_message(int fd, int timeout_ms, char *path, size_t cap)
{
    unsigned char buf[65536];
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    if (poll(&pf, 1, timeout_ms) <= 0) return NULL;
    ssize_t len = recv(fd, buf, sizeof buf, 0);
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
        return -1;
    }
    n->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in any = {.sin_family = AF_INET};
    if (n->fd < 0 || bind(n->fd, (struct sockaddr *)&any, sizeof any)) {
        snprintf(err, errlen, "NSM: no socket: %s", strerror(errno));
        return -1;
    }
    lo_message m = lo_message_new();
    lo_message_add_string(m, "jmixd");
    lo_message_add_string(m, ":dirty:");
    lo_message_add_string(m, argv0);
    lo_message_add_int32(m, 1);
    lo_message_add_int32(m, 1);
    lo_message_add_int32(m, (int)getpid());
    if (send_to(n->fd, &n->server, "/nsm/server/announce", m)) {
        snprintf(err, errlen, "NSM: cannot reach the session manager at %s", url);
        return -1;
    }
    jm_log(log, JM_LOG_INFO, "announced to the session manager at %s", url);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        int left = OPEN_TIMEOUT_MS - (int)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
        char path[256];
        lo_message msg = left > 0 ? wait_message(n->fd, left, path, sizeof path) : NULL;
        if (!msg && left <= 0) {
            snprintf(err, errlen, "NSM: no /nsm/client/open within %d s", OPEN_TIMEOUT_MS / 1000);
            return -1;
        }
        if (!msg) continue;
        if (!strcmp(path, "/error")) {
            const char *what = arg_string(msg, 0);
            if (what && !strcmp(what, "/nsm/server/announce")) {
                snprintf(err, errlen, "NSM refused the announce");
                lo_message_free(msg);
                return -1;
            }
        } else if (!strcmp(path, "/nsm/client/open")) {
            const char *prefix = arg_string(msg, 0), *id = arg_string(msg, 2);
            if (prefix && id && strlen(prefix) < sizeof n->session_path - 16 &&
                strlen(id) < sizeof n->client_id) {
                snprintf(n->session_path, sizeof n->session_path, "%s.cfg", prefix);
                snprintf(n->state_path, sizeof n->state_path, "%s.state", prefix);
                snprintf(n->client_id, sizeof n->client_id, "%s", id);
                lo_message_free(msg);
                if (access(n->session_path, F_OK) &&
                    create_session(n->session_path, template_path, err, errlen)) {
                    jm_nsm_error(n, "/nsm/client/open", err);
                    return -1;
                }
                jm_log(log, JM_LOG_INFO, "session manager: open %s as '%s'", n->session_path,
                       n->client_id);
                return 0;
            }
        }
        lo_message_free(msg);
    }
}

void jm_nsm_opened(const jm_nsm_t *n) { jm_nsm_send(n, "/reply", "/nsm/client/open", "opened"); }

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
