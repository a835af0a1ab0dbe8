/* Private to src/osc: the socket-free parser that the OSC thread (osc.c)
 * and the fuzzer (tests/fuzz/fuzz_osc.c) feed one datagram at a time.
 *   parser.c     datagrams, bundles, replies never answered, dispatch
 *   param_msg.c  parameter addresses: patterns, arguments, requests
 *   commands.c   the command table (/info, /subscribe, /snapshot/... )
 *   x32.c        the X32 dialect
 *   reply.c      answers the parser sends itself (/error, X32 replies)
 *   performer.c  /performer/login|logout and what a performer may do
 *
 * Threads: a parser belongs to the thread that feeds it (the OSC thread);
 * nothing here is for the audio thread. */
#ifndef JMIXD_OSC_INT_H
#define JMIXD_OSC_INT_H

#include "jmixd/osc/osc.h"

#include "jmixd/osc/match.h"
#include "jmixd/osc/perm.h"
#include "jmixd/util/netguard.h"

#include <lo/lo.h>
#include <netinet/in.h>
#include <stdint.h>

#define MAX_BUNDLE_DEPTH 8
#define MAX_PATTERN_LEN 256
#define MAX_PATTERN_STARS 8
/* Matching work one datagram may cost (jm_osc_match units, a few
 * nanoseconds each): the OSC thread answers anything behind it within a few
 * milliseconds, whatever the datagram holds. A plain pattern for every
 * strip's mute costs about 70,000 on a 64-strip console. */
#define WORK_BUDGET 1000000u
/* /error replies one peer gets at most per second (burst: as many). */
#define ERROR_RATE 50.0

struct jm_osc_parser {
    const jm_session_t *s;
    const jm_paramset_t *ps;
    jm_queue_t *q;
    int reply_fd;
    const jm_log_t *log;
    struct sockaddr_in src;
    int posted;          /* requests posted for the current datagram */
    int x32;             /* this parser reads the X32 port (JM_DIALECT_X32) or the X-Air port */
    struct in_addr local; /* the local address the datagram came in on (0: unknown) */
    int nsm;             /* this parser reads the session manager's socket */
    uint64_t timetag;    /* timetag of the bundle being walked; 1 = immediately */
    uint64_t malformed, rejected, denied;
    uint64_t suppressed; /* /error replies over the per-peer rate, not sent */
    uint64_t budget;     /* matching work left for the current datagram */
    int over;            /* the budget ran out: the rest of the datagram is dropped */
    int32_t *hits;       /* the parameters one pattern matched (ps->n) */
    const jm_selfaddrs_t *self; /* the console's own sockets (NULL: none known) */
    jm_peerlimit_t errors;
    /* Performers (perm.h): the logins, owned by this parser's thread (only
     * the OSC port's parser uses them); for the current datagram, whether
     * the sender is in osc.engineers and the performer it is logged in as
     * (-1: none). */
    jm_perm_t perm;
    int engineer;
    int performer;
};

/* reply.c */
double jm_osc_now(void);
/* The sender may be answered: not one of the console's own sockets. */
int jm_osc_may_answer(const jm_osc_parser_t *p);
/* /error s:address s:reason to the sender (counted, rate-limited per peer). */
void jm_osc_reply_error(jm_osc_parser_t *p, const char *address, const char *reason);
/* m (consumed) on path straight back to the sender. */
void jm_osc_send_direct(jm_osc_parser_t *p, const char *path, lo_message m);
/* A request to the control thread, stamped with the sender and timetag. */
void jm_osc_post(jm_osc_parser_t *p, jm_req_t *r);
void jm_osc_post_simple(jm_osc_parser_t *p, int kind, const char *path);

/* param_msg.c: path is the native address to act on; sent the address to
 * answer on (an alias or X32 address as it was sent); x32: JM_X32_* or 0. */
void jm_osc_param_message(jm_osc_parser_t *p, const char *path, const char *sent,
                          const char *types, lo_arg **argv, int argc, int x32);

/* commands.c: 1 when path is a command (handled, or refused), else 0. */
int jm_osc_command(jm_osc_parser_t *p, const char *path, const char *types, lo_arg **argv,
                   int argc);

/* performer.c: 1 when the sender is held to a performer's rights (an
 * address outside osc.engineers, or logged in as a performer); the bus it
 * may mix (-1: not logged in). */
int jm_osc_restricted(const jm_osc_parser_t *p);
int jm_osc_perm_bus(const jm_osc_parser_t *p);
/* /performer/...: 1 when path is one (handled, or answered with /error). */
int jm_osc_performer_command(jm_osc_parser_t *p, const char *path, const char *types,
                             lo_arg **argv, int argc);
/* 1 when a restricted sender may not send this message at all (answered
 * /error "not permitted"); 0 to go on (parameters are checked per match). */
int jm_osc_perm_gate(jm_osc_parser_t *p, const char *path, const char *types, lo_arg **argv,
                     int argc);

/* x32.c: one message on the X32 port. */
void jm_osc_x32_message(jm_osc_parser_t *p, const char *path, const char *types, lo_arg **argv,
                        int argc);

#endif
