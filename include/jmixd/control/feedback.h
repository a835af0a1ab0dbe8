/* Everything the console sends: replies, parameter feedback to subscribers,
 * meters. Subscribers come from /subscribe (10 s lease, renewed by sending it
 * again) and from the session's osc.clients (permanent).
 *
 * UDP source addresses can be forged, so a /subscribe from a new address and
 * port only earns a /subscribe/confirm i:token sent to where the stream
 * would go; streaming starts when that token comes back from that IP
 * (docs/osc.md, "Subscriptions"). At most JM_SUBS_PER_ADDRESS leases per
 * IP. Bulk answers (/params, /strips) are paged so that one request never
 * draws more than about JM_PAGE_BYTES of answer. A new lease (confirmed,
 * osc.clients at start, /xremote) is first sent the state dump (dump.h).
 *
 * Threads: control thread only. */
#ifndef JMIXD_FEEDBACK_H
#define JMIXD_FEEDBACK_H

#include "jmixd/control/dump.h"
#include "jmixd/util/log.h"
#include "jmixd/util/netguard.h"
#include "jmixd/engine/mixer.h"
#include "jmixd/session/session.h"

#include <lo/lo.h>
#include <netinet/in.h>
#include <stdint.h>

#define JM_MAX_SUBSCRIBERS 64
#define JM_LEASE_SECONDS 10.0
#define JM_SUBS_PER_ADDRESS 4   /* leases (and /xremote) per source IP; osc.clients not counted */
#define JM_MAX_PENDING 64       /* subscriptions waiting for their confirmation */
#define JM_PENDING_PER_ADDRESS 8
#define JM_CONFIRM_SECONDS 3.0  /* an unanswered /subscribe/confirm is forgotten after this */
#define JM_PAGE_PARAMS 8        /* /param messages per /params page */
#define JM_PAGE_BYTES 512       /* and at most this many bytes of them (and of /strips names) */

typedef struct {
    struct sockaddr_in addr;
    int norm;
    int x32;            /* an /xremote client: 0 none, JM_DIALECT_X32 (X32 addresses
                           and types, from the X32 port) or JM_DIALECT_XAIR (X-Air's) */
    double expires;     /* 0: permanent */
    int used;
    int bus;            /* a performer's lease: the bus it mixes, whose parameters
                           (jm_perm_param_ok) and meters are all it gets; -1: all */
    jm_dump_t dump;     /* the state dump a new subscription gets (dump.h) */
} jm_subscriber_t;

/* A /subscribe waiting for /subscribe/confirm i:token from addr's IP. */
typedef struct {
    struct sockaddr_in addr;    /* where the stream would go */
    int norm;
    int bus;                    /* the lease's bus (jm_subscriber_t), -1: all */
    int32_t token;              /* 1 .. 2^31-1, from getrandom */
    double expires;             /* its request is forgotten then */
    double asked;               /* when it was asked: the oldest is evicted first */
    int used;
} jm_pending_t;

typedef struct jm_feedback {
    int sock;                       /* UDP socket replies leave from */
    int x32_sock;                   /* the X32 dialect's socket, or -1 */
    int xair_sock;                  /* the X-Air dialect's socket, or -1 */
    const jm_session_t *s;
    const jm_log_t *log;
    jm_subscriber_t subs[JM_MAX_SUBSCRIBERS];
    jm_pending_t pending[JM_MAX_PENDING];
    uint64_t send_errors;           /* sendto failed, or the destination was the console */
    jm_selfaddrs_t self;            /* the console's own sockets: never sent to */
    jm_peerlimit_t errors;          /* /error replies per peer */
    uint64_t errors_suppressed;     /* /error replies over that rate, not sent */
    jm_dump_t dumps[JM_MAX_DUMPS];  /* /dump requests in progress (dump.c) */
    jm_peerlimit_t dump_peers;      /* dump bundles per unverified peer */
} jm_feedback_t;

int jm_feedback_init(jm_feedback_t *fb, const jm_session_t *s, const jm_log_t *log);
void jm_feedback_free(jm_feedback_t *fb);

/* /subscribe from src (to src's IP at `port`, or src's port when 0): renews
 * a lease it already has; otherwise, within the per-IP limit, sends
 * /subscribe/confirm i:token there (an X32 /xremote, whose apps cannot
 * answer, is added at once). Beyond the limit: /error to src. `bus`: the
 * bus of the performer src is logged in as (the OSC thread knows), or -1
 * for an engineer; a renewal takes the bus of the latest /subscribe. A
 * performer's lease carries only the parameters jm_perm_param_ok allows
 * it and aliases of them, strip meters and its own bus's meter (docs/osc.md,
 * "Performers"). */
void jm_feedback_subscribe(jm_feedback_t *fb, const struct sockaddr_in *src, int port, int norm,
                           int x32, int bus, double now);
/* 1 when a lease for bus (-1: all) carries parameter param. */
int jm_feedback_sees(const jm_feedback_t *fb, int bus, int param);
/* /subscribe/confirm i:token from src: the pending subscription to src's IP
 * with that token becomes a lease. A wrong or stale token: /error. */
void jm_feedback_confirm(jm_feedback_t *fb, const struct sockaddr_in *src, int32_t token,
                         double now);
/* Reply to an X32 query: the X32 value of parameter `param` on `path`. */
void jm_feedback_x32_reply(jm_feedback_t *fb, const struct sockaddr_in *to, const char *path,
                           int kind, int param, float value);
/* Parameter `param` at `value` as X32 feedback (its X32 address, X32 types
 * and ranges) to `to`, from the X32 socket: 1 sent, 0 it has no X32 address. */
int jm_feedback_x32_param(jm_feedback_t *fb, const struct sockaddr_in *to, int param, float value);
void jm_feedback_unsubscribe(jm_feedback_t *fb, const struct sockaddr_in *src, int port);
void jm_feedback_expire(jm_feedback_t *fb, double now);

/* A value as it is sent (feedback, dump, query replies): switches, and
 * enum indexes outside the /norm taper, as i; the rest as f. `normed`: v
 * is in the 0..1 taper. */
lo_message jm_feedback_value_msg(const jm_param_def_t *d, float v, int normed);
/* jm_feedback_value_msg sent on path to one destination. */
void jm_feedback_send_value(jm_feedback_t *fb, const struct sockaddr_in *to, const char *path,
                            const jm_param_def_t *d, float v, int normed);
/* A parameter changed: tell every subscriber, in its style. */
void jm_feedback_param(jm_feedback_t *fb, int param, float value);
/* /meter/loudness f:momentary f:short_term f:integrated f:true_peak f:range
 * (LUFS, LUFS, LUFS, dBTP, LU) to every subscriber. */
void jm_feedback_loudness(jm_feedback_t *fb, const float lu[5]);
/* /meter/rta with the 31 floats of an analyser reading (dBFS, 20 Hz ..
 * 20 kHz; /rta/source) to every subscriber of either style; not to X32
 * clients and not to performers (the tap may be anything in the console). */
void jm_feedback_rta(jm_feedback_t *fb, const float db[31]);
/* Meter event from the engine: forward to every subscriber. */
void jm_feedback_meter(jm_feedback_t *fb, const jm_event_t *ev);

/* The console owns the socket fd: nothing is ever sent to its address. */
void jm_feedback_add_self(jm_feedback_t *fb, int fd);
/* Send a message built by the caller on another socket (takes ownership).
 * A destination that is one of the console's own sockets is refused
 * (counted in send_errors). */
void jm_feedback_send_on(jm_feedback_t *fb, int sock, const struct sockaddr_in *to,
                         const char *path, lo_message m);
/* Send a message built by the caller (takes ownership of m). */
void jm_feedback_send_msg(jm_feedback_t *fb, const struct sockaddr_in *to, const char *path,
                          lo_message m);
/* /error s:address s:reason to one sender; at most 50 a second to one
 * peer (address and port), the rest counted in errors_suppressed. */
void jm_feedback_send_error(jm_feedback_t *fb, const struct sockaddr_in *to, const char *address,
                            const char *reason);
/* Feedback for a value that moved without a controller (lanes, ramps):
 * the same as jm_feedback_param. */
void jm_feedback_send_float(jm_feedback_t *fb, const struct sockaddr_in *to, const char *path,
                            float v);
void jm_feedback_send_info(jm_feedback_t *fb, const struct sockaddr_in *to, const char *version,
                           int rate, int period, int strips, int buses);
/* One page of strip names from `offset`: /strips s:name ... (at most
 * JM_PAGE_BYTES of names), then /strips/more i:next_offset or /strips/end
 * i:count. */
void jm_feedback_send_strips(jm_feedback_t *fb, const struct sockaddr_in *to,
                             const jm_session_t *s, int offset);
/* One page of the parameters whose path starts with prefix, from the
 * offset-th of them: at most JM_PAGE_PARAMS /param messages (fewer past
 * JM_PAGE_BYTES), then /params/more s:prefix i:next_offset or /params/end
 * s:prefix i:count. */
/* One message of a page: sent (and *bytes grown) unless it would take the
 * page past JM_PAGE_BYTES (the first message always goes): 1 sent, 0 not
 * (m freed; the page is full). */
int jm_feedback_page_send(jm_feedback_t *fb, const struct sockaddr_in *to, const char *path,
                          lo_message m, size_t *bytes);
/* The end of a page of `list` (e.g. "/snapshot/list"): LIST/more
 * i:next_offset while next < count, else LIST/end i:count. */
void jm_feedback_send_page_end(jm_feedback_t *fb, const struct sockaddr_in *to, const char *list,
                               int next, int count);
void jm_feedback_send_params(jm_feedback_t *fb, const struct sockaddr_in *to, const char *prefix,
                             int offset, const float *values);
/* What /stats reports, in its order (docs/osc.md, "/stats").
 * requests_dropped: OSC -> control queue full (the request is lost);
 * commands_dropped: pushes the full control -> audio queue refused (the
 * value is kept and posted again on the next control tick: late, not lost);
 * loudness_dropped: master frames the loudness meter did not measure;
 * errors_suppressed: /error replies not sent because their peer was over
 * its rate (osc_counters[3] from the OSC thread, plus the control thread's);
 * rta_blocks: analysis blocks the analyser ran (still while /rta/source is off);
 * midi_in_dropped: MIDI messages from midi_in dropped (ring full, SysEx too
 * long); midi_out_dropped: messages for midi_out dropped (ring full, larger
 * than the port's buffer); cycle_*: the process callback's duration over
 * the last 10 s (include/jmixd/util/cyclehist.h), in ns, and the cycles
 * those cover. send_errors and the control thread's share of
 * errors_suppressed are the feedback's own. */
typedef struct {
    uint64_t osc_counters[4]; /* denied, malformed, rejected, errors suppressed */
    uint64_t req_dropped, cmd_dropped, xruns, loudness_dropped, rta_blocks;
    uint64_t midi_in_dropped, midi_out_dropped;
    uint64_t cycle_median_ns, cycle_p99_ns, cycle_max_ns, cycles;
} jm_stats_t;

/* /stats: the 16 values as i (int32, saturating at 2^31-1); wide: /stats/64
 * with the same as h. */
void jm_feedback_send_stats(jm_feedback_t *fb, const struct sockaddr_in *to,
                            const jm_stats_t *st, int wide);

#endif
