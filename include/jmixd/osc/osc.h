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

/* Binds bind:port (UDP), and the session's X32 port. nsm_fd (-1: none) is
 * the session manager's socket, read here for /nsm/client/save. NULL with a
 * message in err when that fails. */
jm_osc_t *jm_osc_start(const jm_session_t *s, const char *bind_addr, int port, int nsm_fd,
                       jm_control_t *ctl, const jm_log_t *log, char *err, size_t errlen);
int jm_osc_socket(const jm_osc_t *o);
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
