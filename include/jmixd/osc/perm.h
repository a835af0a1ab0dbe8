/* Performers (docs/osc.md, "Performers"): what a sender logged in as the
 * performer of one bus may set and query, the table of logged-in senders,
 * and the limit on wrong PINs.
 *
 * The rules themselves (jm_perm_param_ok, jm_perm_prefix_ok,
 * jm_perm_is_engineer) are the session layer's (jmixd/session/access.h), so
 * the control thread can filter feedback with them.
 *
 * Threads: jm_perm_pin_equal is pure (any thread; they only read a loaded session).
 * A jm_perm_t (bindings and the PIN limiter) belongs to the OSC thread: it
 * lives in the parser of the OSC port and nothing else reads or writes it.
 * Nothing here is for the audio thread. */
#ifndef JMIXD_OSC_PERM_H
#define JMIXD_OSC_PERM_H

#include "jmixd/session/access.h"
#include "jmixd/session/session.h"

#include <stdint.h>

#define JM_PERM_BINDINGS 64     /* logged-in senders; the oldest login is evicted */
#define JM_PERM_TRY_SLOTS 64    /* source IPs whose wrong PINs are counted */
#define JM_PERM_TRIES 5.0       /* wrong PINs a source IP may send ... */
#define JM_PERM_TRY_SECONDS 60.0 /* ... per this many seconds (a token bucket) */

typedef struct {
    uint32_t ip;                /* host byte order */
    uint16_t port;              /* host byte order */
    int16_t performer;          /* index into s->performers; -1: free */
    uint64_t seq;               /* login order, for eviction */
} jm_perm_binding_t;

typedef struct {
    uint32_t ip;                /* host byte order */
    uint8_t used;
    double tokens;              /* wrong PINs still allowed */
    double last;                /* monotonic seconds of the last refill */
} jm_perm_tries_t;

typedef struct {
    jm_perm_binding_t bind[JM_PERM_BINDINGS];
    uint64_t seq;
    jm_perm_tries_t tries[JM_PERM_TRY_SLOTS];
} jm_perm_t;

void jm_perm_init(jm_perm_t *t);

/* 1 when given equals pin; the time taken depends only on their lengths
 * being within JM_PIN_MAX, not on where they differ. */
int jm_perm_pin_equal(const char *given, const char pin[JM_PIN_MAX]);

/* The performer the sender ip:port is logged in as, or -1. */
int jm_perm_lookup(const jm_perm_t *t, uint32_t ip, uint16_t port);
/* Log ip:port in as performer (replaces its earlier login; evicts the
 * oldest login when the table is full). */
void jm_perm_bind(jm_perm_t *t, uint32_t ip, uint16_t port, int performer);
/* Log ip:port out: the performer it was, or -1 when it was not logged in. */
int jm_perm_unbind(jm_perm_t *t, uint32_t ip, uint16_t port);

/* 1 when ip may try a PIN now (it has not spent its wrong PINs). */
int jm_perm_may_try(jm_perm_t *t, uint32_t ip, double now);
/* One wrong PIN (or unknown name) from ip. */
void jm_perm_failed(jm_perm_t *t, uint32_t ip, double now);

#endif
