/* Web control surface and OSCQuery (docs/osc.md): HTTP and WebSocket on one TCP
 * port, bound to osc.bind and filtered by osc.allow, answering only its own
 * Host names, WebSockets only from its own Origin (or none), and OSC from
 * WebSockets only to parameters ("Who may use the web surface").
 *
 * The web thread is a gateway: it talks to the daemon exactly like any OSC
 * controller, over UDP to the daemon's own OSC port (/subscribe, /params,
 * parameter messages), so it never touches the control or audio threads'
 * state. It reads the session and its parameter table only to build the
 * page and the OSCQuery namespace (both immutable after load).
 *
 * Threads: jm_web_port, jm_web_start and jm_web_stop are called from the
 * main thread. Everything else runs on the web thread that start creates
 * (libwebsockets' event loop); it logs through `log`. */
#ifndef JMIXD_WEB_H
#define JMIXD_WEB_H

#include "jmixd/util/log.h"
#include "jmixd/session/session.h"

typedef struct jm_web jm_web_t;

/* The HTTP port to serve: JMIXD_WEB_PORT from the environment when set
 * (1..65535; anything else logs a warning and disables the web surface),
 * else session_port (0: no web surface). */
int jm_web_port(int session_port, const jm_log_t *log);

/* Serve on http_port (0: do nothing, return NULL). `name` is the service
 * name (HOST_INFO, the page title, the `_oscjson._tcp` announcement);
 * osc_port is the daemon's OSC port the gateway talks to. When the port
 * cannot be bound, logs an error and returns NULL: the console carries on
 * without its web surface. The session must outlive the handle. */
jm_web_t *jm_web_start(const jm_session_t *s, const char *name, int osc_port, int http_port,
                       const jm_log_t *log);

/* Close every connection, end the web thread, free the handle; NULL is
 * accepted. */
void jm_web_stop(jm_web_t *w);

#endif
