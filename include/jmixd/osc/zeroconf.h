/* Zeroconf: announce the OSC port as `_osc._udp` through Avahi (docs/osc.md), so
 * TouchOSC's host browser finds the console.
 *
 * Threads: jm_zeroconf_start and jm_zeroconf_stop are called from the main
 * thread. The announcement runs on its own Avahi thread (an
 * AvahiThreadedPoll), which renames the service on a name collision and
 * re-announces it when the Avahi daemon restarts; it logs through `log`.
 * Without an Avahi daemon (or D-Bus), start logs one line and returns a
 * handle that does nothing, so the console carries on. */
#ifndef JMIXD_ZEROCONF_H
#define JMIXD_ZEROCONF_H

#include "jmixd/util/log.h"

typedef struct jm_zeroconf jm_zeroconf_t;

/* Announce service `name` (cut to 63 bytes) on UDP `port`. Returns NULL only
 * when out of memory; stop accepts NULL. */
jm_zeroconf_t *jm_zeroconf_start(const char *name, int port, const jm_log_t *log);
/* The same for another service type, e.g. "_oscjson._tcp" (docs/osc.md). */
jm_zeroconf_t *jm_zeroconf_start_type(const char *name, const char *type, int port,
                                      const jm_log_t *log);

/* Withdraw the announcement, end the Avahi thread, free the handle. */
void jm_zeroconf_stop(jm_zeroconf_t *z);

#endif
