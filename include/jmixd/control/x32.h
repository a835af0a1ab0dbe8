/* The X32 dialect (docs/osc.md): X32 addresses <-> the console's parameters, for
 * strips 1..32 and the master, with X32's argument types.
 *
 * Threads: pure functions over the session (read-only); any thread. */
#ifndef JMIXD_X32_H
#define JMIXD_X32_H

#include "jmixd/session/session.h"

#include <stddef.h>

#define JM_X32_STRIPS 32

enum {
    JM_X32_FLOAT = 1,   /* f 0..1 = the parameter's /norm taper */
    JM_X32_ON            /* i 1 = playing (the inverse of mute) */
};

/* An X32 parameter address -> the native path to look up (with "/norm" when
 * the value is the taper) and its kind; 0 when the address is not one. */
int jm_x32_to_native(const jm_session_t *s, const char *x32, char *native, size_t cap);

/* A parameter -> its X32 address and kind; 0 when it has none. */
int jm_x32_from_param(const jm_session_t *s, int param, char *x32, size_t cap);

/* Replies the dialect answers by itself: /info (four strings), /status. */
#define JM_X32_VERSION "V2.07"
#define JM_X32_MODEL "X32"
#define JM_X32_CONSOLE_VERSION "4.06"

#endif
