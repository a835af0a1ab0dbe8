/* Performers' rights over a loaded session (docs/osc.md, "Performers"):
 * which parameters the performer of one bus may set, query and receive.
 * The OSC thread refuses requests with them, the control thread filters a
 * performer's feedback and dump with them, the web thread its mix page.
 *
 * Threads: pure, any thread (they only read a loaded session); not for the
 * audio thread. */
#ifndef JMIXD_SESSION_ACCESS_H
#define JMIXD_SESSION_ACCESS_H

#include "jmixd/session/session.h"

#include <stdint.h>

/* 1 when a performer of bus `bus` may set or query p: a parameter of that
 * bus that is not a send to another bus (/bus/drums/fader, .../eq/2/gain,
 * .../limiter/...), or a send into that bus (/strip/N/send/drums/level, and
 * any other row with a {b} tail whose bus is `bus`). */
int jm_perm_param_ok(const jm_param_t *p, int bus);

/* 1 when every parameter and alias that a /dump or /params prefix reaches
 * (the control thread's prefix rule: path or name path, or an alias's
 * address, starts with it) is jm_perm_param_ok; an empty prefix never is. */
int jm_perm_prefix_ok(const jm_session_t *s, const char *prefix, int bus);

/* 1 when ip (host byte order) is in osc.engineers (all of osc.allow when
 * the session has no osc.engineers). */
int jm_perm_is_engineer(const jm_session_t *s, uint32_t ip);

#endif
