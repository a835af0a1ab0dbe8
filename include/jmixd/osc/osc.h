/* The OSC thread: owns the UDP socket; drops sources outside osc.allow;
 * walks bundles; parses and validates every message (type, arity, finite
 * numbers, existing target), answers /error itself, and posts valid requests
 * to the control thread.
 *
 * Threads: jm_osc_start/stop from the main thread; jm_osc_socket's fd is
 * used by the control thread for sendto only. */
#ifndef JMIXD_OSC_H
#define JMIXD_OSC_H

#include "jmixd/control/control.h"
#include "jmixd/util/log.h"
#include "jmixd/session/session.h"

#include <stddef.h>
#include <stdint.h>

typedef struct jm_osc jm_osc_t;

/* Another console may hold the ports (a session manager's session): a
 * taken OSC port moves to the next free one (jm_osc_port says which), a
 * taken X32 or X-Air port leaves that dialect off, each with a log line. */
#define JM_OSC_SHARE 1

/* Binds bind:port (UDP), and the session's X32 and X-Air ports. flags: 0 or
 * JM_OSC_SHARE. nsm_fd (-1: none) is the session manager's socket, read
 * here for its requests. NULL with a message in err when that fails. */
jm_osc_t *jm_osc_start(const jm_session_t *s, const char *bind_addr, int port, int flags,
                       int nsm_fd, jm_control_t *ctl, const jm_log_t *log, char *err,
                       size_t errlen);
int jm_osc_socket(const jm_osc_t *o);
/* The OSC port bound (the one asked for, or the system's pick for 0). */
int jm_osc_port(const jm_osc_t *o);
/* The X32 dialect's socket, or -1 (session without `x32`). */
int jm_osc_x32_socket(const jm_osc_t *o);
int jm_osc_xair_socket(const jm_osc_t *o);
void jm_osc_stop(jm_osc_t *o);

/* The parsing and dispatch path without the socket, for tests and fuzzing:
 * handle one datagram as if it came from `src` (host byte order IPv4).
 * Replies go to `reply_fd` (-1: none). */
typedef struct jm_osc_parser jm_osc_parser_t;
jm_osc_parser_t *jm_osc_parser_new(const jm_session_t *s, jm_queue_t *requests, int reply_fd,
                                   const jm_log_t *log);
void jm_osc_parser_free(jm_osc_parser_t *p);
void jm_osc_parser_feed(jm_osc_parser_t *p, const void *data, size_t len, uint32_t src_ip,
                        uint16_t src_port);

#endif
