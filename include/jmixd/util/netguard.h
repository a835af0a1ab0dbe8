/* Two guards for a console on a shared network: a per-peer rate limit
 * (token bucket) for replies that an attacker could otherwise make us send
 * without end, and the list of the console's own UDP endpoints, so that no
 * reply, feedback or subscription ever targets the console itself (a
 * spoofed source address would otherwise start a loop).
 *
 * Threads: each jm_peerlimit_t / jm_selfaddrs_t belongs to one thread
 * (the OSC thread and the control thread have their own). Not for the
 * audio thread (jm_self_is may make system calls). */
#ifndef JMIXD_UTIL_NETGUARD_H
#define JMIXD_UTIL_NETGUARD_H

#include <netinet/in.h>
#include <stdint.h>

#define JM_PEERLIMIT_SLOTS 64

typedef struct {
    uint32_t addr;      /* network byte order */
    uint16_t port;      /* network byte order */
    uint8_t used;
    double tokens;
    double last;        /* monotonic seconds of the last refill */
} jm_peerslot_t;

typedef struct {
    double rate;        /* tokens per second */
    double burst;       /* bucket size */
    jm_peerslot_t slot[JM_PEERLIMIT_SLOTS];
} jm_peerlimit_t;

void jm_peerlimit_init(jm_peerlimit_t *l, double rate, double burst);
/* 1: one more reply to `to` is allowed now; 0: over its rate. Peers share
 * slots by hash; a peer that takes over a slot starts with a full bucket
 * (so the limit can only err towards answering). */
int jm_peerlimit_take(jm_peerlimit_t *l, const struct sockaddr_in *to, double now);

#define JM_SELF_MAX 8

typedef struct {
    int n;
    struct sockaddr_in a[JM_SELF_MAX];   /* as bound: address may be INADDR_ANY */
} jm_selfaddrs_t;

/* Record the local address of a bound socket (ignored: fd < 0, full). */
void jm_self_add_fd(jm_selfaddrs_t *s, int fd);
/* 1 when a datagram sent to `to` would reach one of the recorded sockets:
 * same port, and the address is the bound one, or the socket is bound to
 * every address and `to` is loopback, 0.0.0.0 or an address of this host. */
int jm_self_is(const jm_selfaddrs_t *s, const struct sockaddr_in *to);
/* 1 for 127.0.0.0/8, 0.0.0.0 and the addresses of this host's interfaces
 * (network byte order). */
int jm_addr_is_local(uint32_t addr);

#endif
