/* OSC thread: sockets (OSC, X32, X-Air, session manager), the loop that drains
 * them into the parsers (parser.c), start and stop. */
#include "osc_int.h"

#include "jmixd/control/x32.h"
#include "jmixd/util/rt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Datagrams taken from one socket, or time spent, before the thread looks
 * at its stop flag and the other sockets again. */
#define DRAIN_MAX 256
#define DRAIN_SECONDS 0.02

struct jm_osc {
    int sock;
    pthread_t thread;
    atomic_bool stop;
    const jm_session_t *s;
    jm_control_t *ctl;
    const jm_log_t *log;
    jm_osc_parser_t *parser;
    int x32_sock;               /* -1 without the X32 dialect */
    jm_osc_parser_t *x32_parser;
    int xair_sock;              /* -1 without the X-Air dialect */
    jm_osc_parser_t *xair_parser;
    int nsm_sock;               /* -1 without a session manager */
    jm_osc_parser_t *nsm_parser;
    jm_selfaddrs_t self;        /* every socket above: never a reply's destination */
    unsigned char buf[65536 + 16];
};

/* What is waiting on one socket, but never for long: a flood (or a loop)
 * must not keep the thread from its stop flag or its other sockets. */
static void drain(jm_osc_t *o, int fd, jm_osc_parser_t *parser)
{
    double until = jm_osc_now() + DRAIN_SECONDS;
    int errors = 0;
    for (int k = 0; k < DRAIN_MAX && !atomic_load(&o->stop); k++) {
        if (k && !(k & 15) && jm_osc_now() > until) break;
        struct sockaddr_in src;
        /* IP_PKTINFO (the dialect sockets): the local address the datagram
         * came to, which /status and /xinfo report (the socket is bound to
         * 0.0.0.0 and getsockname would say so) */
        union {
            struct cmsghdr h;
            unsigned char b[CMSG_SPACE(sizeof(struct in_pktinfo))];
        } ctl;
        struct iovec iov = {.iov_base = o->buf, .iov_len = sizeof o->buf};
        struct msghdr mh = {.msg_name = &src, .msg_namelen = sizeof src, .msg_iov = &iov,
                            .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b};
        ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
        /* a connected socket (the session manager's) hears of an ICMP
         * "port unreachable" as an error: reading it clears it (else poll
         * reports POLLERR at once, for ever) */
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && ++errors < 8) continue;
        if (n < 0) break;
        parser->local.s_addr = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
            if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
                struct in_pktinfo pi;
                memcpy(&pi, CMSG_DATA(c), sizeof pi);
                parser->local = pi.ipi_addr;
            }
        parser->posted = 0;
        jm_osc_parser_feed(parser, o->buf, (size_t)n, ntohl(src.sin_addr.s_addr),
                           ntohs(src.sin_port));
        if (parser->posted) jm_control_wake(o->ctl);
    }
}

static void *osc_main(void *arg)
{
    jm_osc_t *o = arg;
    jm_rt_name_thread("jm-osc");
    while (!atomic_load(&o->stop)) {
        jm_control_osc_beat(o->ctl); /* the watchdog is fed while this loop turns */
        struct pollfd pf[4] = {{.fd = o->sock, .events = POLLIN},
                               {.fd = o->x32_sock, .events = POLLIN},
                               {.fd = o->nsm_sock, .events = POLLIN},
                               {.fd = o->xair_sock, .events = POLLIN}};
        if (poll(pf, 4, 100) <= 0) continue; /* negative fds are ignored by poll */
        const short ready = POLLIN | POLLERR; /* an error is read (cleared) too */
        if (pf[0].revents & ready) drain(o, o->sock, o->parser);
        if (o->x32_sock >= 0 && (pf[1].revents & ready)) drain(o, o->x32_sock, o->x32_parser);
        if (o->nsm_sock >= 0 && (pf[2].revents & ready)) drain(o, o->nsm_sock, o->nsm_parser);
        if (o->xair_sock >= 0 && (pf[3].revents & ready)) drain(o, o->xair_sock, o->xair_parser);
    }
    return NULL;
}

static int bind_udp(const char *bind_addr, int port, char *err, size_t errlen)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (fd < 0 || inet_pton(AF_INET, bind_addr, &a.sin_addr) != 1 ||
        bind(fd, (struct sockaddr *)&a, sizeof a)) {
        snprintf(err, errlen, "cannot listen for OSC on %s:%d: %s", bind_addr, port,
                 strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    int rcv = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    return fd;
}

/* The port a socket is bound to (0: unknown). */
static int bound_port(int fd)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    return getsockname(fd, (struct sockaddr *)&a, &len) ? 0 : ntohs(a.sin_port);
}

/* Beside another console (JM_OSC_SHARE): the first free port from `port`
 * up (64 tries), else the system's pick. */
static int bind_udp_shared(const char *bind_addr, int port, const jm_log_t *log, char *err,
                           size_t errlen)
{
    int fd = -1;
    for (int k = 0; k < 64 && port + k <= 65535 && fd < 0; k++) {
        fd = bind_udp(bind_addr, port + k, err, errlen);
        if (fd < 0 && errno != EADDRINUSE) return -1;
    }
    if (fd < 0) fd = bind_udp(bind_addr, 0, err, errlen);
    if (fd >= 0 && port && bound_port(fd) != port)
        jm_log(log, JM_LOG_WARN, "OSC port %d is taken: this console uses %d", port,
               bound_port(fd));
    return fd;
}

/* A dialect's port into *fd: 0, or -1 with err. Shared, a taken one leaves
 * the dialect off (*fd -1; its apps cannot use another port, the console
 * that holds it serves them). */
static int bind_dialect(const char *bind_addr, int port, const char *name, int flags, int *fd,
                        const jm_log_t *log, char *err, size_t errlen)
{
    *fd = bind_udp(bind_addr, port, err, errlen);
    if (*fd >= 0) return 0;
    if (!(flags & JM_OSC_SHARE) || errno != EADDRINUSE) return -1;
    jm_log(log, JM_LOG_WARN, "%s port %d is taken (another console?): no %s dialect in this one",
           name, port, name);
    return 0;
}

jm_osc_t *jm_osc_start(const jm_session_t *s, const char *bind_addr, int port, int flags,
                       int nsm_fd, jm_control_t *ctl, const jm_log_t *log, char *err,
                       size_t errlen)
{
    jm_osc_t *o = calloc(1, sizeof *o);
    if (!o) { snprintf(err, errlen, "out of memory"); return NULL; }
    o->s = s;
    o->ctl = ctl;
    o->log = log;
    o->x32_sock = -1;
    o->xair_sock = -1;
    o->nsm_sock = nsm_fd;
    o->sock = flags & JM_OSC_SHARE ? bind_udp_shared(bind_addr, port, log, err, errlen)
                                   : bind_udp(bind_addr, port, err, errlen);
    if (o->sock < 0) { free(o); return NULL; }
    if (s->x32_port &&
        bind_dialect(bind_addr, s->x32_port, "X32", flags, &o->x32_sock, log, err, errlen)) {
        close(o->sock);
        free(o);
        return NULL;
    }
    if (s->xair_port &&
        bind_dialect(bind_addr, s->xair_port, "X-Air", flags, &o->xair_sock, log, err, errlen)) {
        close(o->sock);
        if (o->x32_sock >= 0) close(o->x32_sock);
        free(o);
        return NULL;
    }
    int one = 1;
    if (o->x32_sock >= 0) setsockopt(o->x32_sock, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
    if (o->xair_sock >= 0) setsockopt(o->xair_sock, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
    jm_self_add_fd(&o->self, o->sock);
    jm_self_add_fd(&o->self, o->x32_sock);
    jm_self_add_fd(&o->self, o->xair_sock);
    jm_self_add_fd(&o->self, o->nsm_sock);
    o->parser = jm_osc_parser_new(s, jm_control_requests(ctl), o->sock, log);
    if (o->parser) o->parser->self = &o->self;
    if (o->x32_sock >= 0) {
        o->x32_parser = jm_osc_parser_new(s, jm_control_requests(ctl), o->x32_sock, log);
        if (o->x32_parser) {
            o->x32_parser->x32 = JM_DIALECT_X32;
            o->x32_parser->self = &o->self;
        }
    }
    if (o->xair_sock >= 0) {
        o->xair_parser = jm_osc_parser_new(s, jm_control_requests(ctl), o->xair_sock, log);
        if (o->xair_parser) {
            o->xair_parser->x32 = JM_DIALECT_XAIR;
            o->xair_parser->self = &o->self;
        }
    }
    if (o->nsm_sock >= 0) {
        o->nsm_parser = jm_osc_parser_new(s, jm_control_requests(ctl), -1, log);
        if (o->nsm_parser) o->nsm_parser->nsm = 1;
    }
    if (!o->parser || (o->x32_sock >= 0 && !o->x32_parser) ||
        (o->xair_sock >= 0 && !o->xair_parser) ||
        (o->nsm_sock >= 0 && !o->nsm_parser) ||
        pthread_create(&o->thread, NULL, osc_main, o)) {
        snprintf(err, errlen, "cannot start the OSC thread");
        jm_osc_parser_free(o->parser);
        jm_osc_parser_free(o->x32_parser);
        jm_osc_parser_free(o->xair_parser);
        jm_osc_parser_free(o->nsm_parser);
        close(o->sock);
        if (o->x32_sock >= 0) close(o->x32_sock);
        if (o->xair_sock >= 0) close(o->xair_sock);
        free(o);
        return NULL;
    }
    jm_log(log, JM_LOG_INFO, "OSC on udp %s:%d", bind_addr, jm_osc_port(o));
    if (o->x32_sock >= 0) jm_log(log, JM_LOG_INFO, "X32 dialect on udp %s:%d", bind_addr, s->x32_port);
    if (o->xair_sock >= 0)
        jm_log(log, JM_LOG_INFO, "X-Air dialect on udp %s:%d", bind_addr, s->xair_port);
    return o;
}

int jm_osc_socket(const jm_osc_t *o) { return o->sock; }

int jm_osc_port(const jm_osc_t *o) { return bound_port(o->sock); }
int jm_osc_x32_socket(const jm_osc_t *o) { return o->x32_sock; }
int jm_osc_xair_socket(const jm_osc_t *o) { return o->xair_sock; }

void jm_osc_stop(jm_osc_t *o)
{
    if (!o) return;
    atomic_store(&o->stop, true);
    pthread_join(o->thread, NULL);
    jm_osc_parser_free(o->parser);
    jm_osc_parser_free(o->x32_parser);
    jm_osc_parser_free(o->xair_parser);
    jm_osc_parser_free(o->nsm_parser); /* the NSM socket belongs to main */
    close(o->sock);
    if (o->x32_sock >= 0) close(o->x32_sock);
    if (o->xair_sock >= 0) close(o->xair_sock);
    free(o);
}
