/* The web thread: a libwebsockets context serving HTTP (page, OSCQuery
 * JSON) and WebSockets on one port, plus the gateway's UDP socket, all on
 * one event loop. Only jm_web_start/stop run on the main thread. */
#include "web_int.h"

#include "jmixd/osc/perm.h"
#include "jmixd/util/port.h"
#include "jmixd/util/rt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define IDLE_DEFAULT_S 60           /* web.idle_seconds */
#define REQUEST_S 2                 /* to send a whole request, or the next one */
#define SERVICE_TYPE "_oscjson._tcp"

int jm_web_port(int session_port, const jm_log_t *log)
{
    const char *e = getenv("JMIXD_WEB_PORT");
    if (!e || !*e) return session_port;
    char *end;
    long v = strtol(e, &end, 10);
    if (*end || v < 1 || v > 65535) {
        jm_log(log, JM_LOG_WARN, "JMIXD_WEB_PORT='%s' is not a port number (1..65535); "
               "no web surface", e);
        return 0;
    }
    return (int)v;
}

static void lws_emit(int level, const char *line)
{
    (void)level;
    fprintf(stderr, "jmixd: web: libwebsockets: %s", line);
}

/* Can bind:port be listened on? Asked before libwebsockets is, for a clear
 * reason in the log (and lws 4.1 leaks a little when its bind fails). */
static int port_free(const char *bind_addr, int port, const jm_log_t *log)
{
    struct in_addr a;
    if (inet_pton(AF_INET, bind_addr, &a) != 1) a.s_addr = INADDR_ANY;
    int ok = jm_port_probe(SOCK_STREAM, a, port);
    if (!ok)
        jm_log(log, JM_LOG_ERROR, "web: cannot serve HTTP on %s:%d: %s; no web surface",
               bind_addr, port, strerror(errno));
    return ok != 0; /* -1, no socket: let libwebsockets try and say */
}

/* osc.allow, then the per-address limit. An address outside
 * osc.engineers is admitted too, but only to a performer's page (/mix/NAME
 * and its WebSocket, which asks for the PIN): everything else it asks for
 * is closed without an answer (engineer_or_mix), as the engineer's surface
 * would get round its restriction (docs/osc.md "Performers"). */
static int peer_allowed(jm_web_t *w, const struct sockaddr_storage *ss)
{
    if (ss->ss_family != AF_INET) return 0; /* osc.allow is IPv4 */
    uint32_t a = ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr);
    return jm_cidr_match(w->s->allow, w->s->n_allow, a) && jm_web_peer_admit(w, a);
}

/* The engineer's, or a request for a performer's page. */
static int engineer_or_mix(const jm_web_t *w, struct lws *wsi, const char *uri)
{
    if (jm_perm_is_engineer(w->s, jm_web_peer_ip(wsi))) return 1;
    return uri && jm_web_mix_performer(w, uri) >= 0;
}

/* A WebSocket upgrade: only "websocket", for one of the console's names,
 * from no Origin (not a browser) or the console's own. Returns what lws
 * wants: 0 to go on, -1 after a refusal was written. */
static int confirm_upgrade(jm_web_t *w, struct lws *wsi, const char *up)
{
    char uri[64] = "";
    if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) < 0) uri[0] = '\0';
    if (!engineer_or_mix(w, wsi, uri)) {
        w->refused.mix_refused++;
        return -1;
    }
    if (!jm_web_host_allowed(w, wsi)) {
        w->refused.bad_host++;
        return jm_web_http_refuse(wsi, 421);
    }
    if (!up || strcasecmp(up, "websocket") || !jm_web_origin_allowed(w, wsi)) {
        w->refused.bad_origin++;
        return jm_web_http_refuse(wsi, 403);
    }
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct lws_context *ctx = lws_get_context(wsi);
    jm_web_t *w = ctx ? lws_context_user(ctx) : NULL;
    jm_conn_t *c = user;
    if (!w) return 0;
    switch (reason) {
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        /* before a byte is read: outside osc.allow is hung up on */
        return peer_allowed(w, &((const struct lws_filter_network_conn_args *)user)->cli_addr)
                   ? 0 : -1;
    case LWS_CALLBACK_WSI_CREATE:
        jm_web_peer_created(w, wsi);
        break;
    case LWS_CALLBACK_WSI_DESTROY:
        jm_web_peer_gone(w, wsi);
        break;
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return confirm_upgrade(w, wsi, in);
    case LWS_CALLBACK_HTTP:
        if (!engineer_or_mix(w, wsi, in)) {
            w->refused.mix_refused++;
            return -1;
        }
        return c ? jm_web_http(w, c, wsi, in) : -1;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return c ? jm_web_http_writeable(w, c, wsi) : -1;
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        jm_web_http_done(c);
        break;
    case LWS_CALLBACK_ESTABLISHED:
        return c ? jm_web_ws_open(w, c, wsi) : -1;
    case LWS_CALLBACK_RECEIVE:
        return c ? jm_web_ws_rx(w, c, in, len) : -1;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return c ? jm_web_ws_writeable(w, c) : 0;
    case LWS_CALLBACK_CLOSED:
        if (c) jm_web_ws_close(w, c);
        break;
    case LWS_CALLBACK_RAW_RX_FILE:
        if (wsi == w->udp) jm_web_gw_rx(w, wsi);
        break;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
        if (wsi == w->udp) {
            w->udp = NULL;
            w->udp_fd = -1;
        }
        break;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static void tick(lws_sorted_usec_list_t *sul)
{
    jm_web_t *w = lws_container_of(sul, jm_web_t, tick);
    int64_t next = jm_web_gw_tick(w);
    jm_web_guard_log(w);
    lws_sul_schedule(w->ctx, 0, &w->tick, tick, next);
}

static void *web_main(void *arg)
{
    jm_web_t *w = arg;
    jm_rt_name_thread("jm-web");
    while (!atomic_load(&w->stop))
        if (lws_service(w->ctx, 0) < 0) break;
    return NULL;
}

static void free_web(jm_web_t *w)
{
    if (w->ctx) {
        lws_sul_cancel(&w->tick);
        lws_sul_cancel(&w->meter_sul);
        lws_context_destroy(w->ctx); /* closes every connection and the UDP socket */
    }
    jm_zeroconf_stop(w->zc);
    free(w->values);
    free(w->known);
    free(w->strip_meter);
    free(w->on_page);
    free(w->page);
    free(w->nodes);
    free(w->param_node);
    free(w->meter_nodes);
    free(w);
}

static int build_tables(jm_web_t *w)
{
    size_t n = w->ps->n;
    w->values = calloc(n ? n : 1, sizeof *w->values);
    w->known = calloc(n ? n : 1, 1);
    w->on_page = calloc(n ? n : 1, 1);
    w->strip_meter = calloc((size_t)(w->s->n_strips ? w->s->n_strips : 1) * JM_WEB_STRIP_METER, sizeof(float));
    if (!w->values || !w->known || !w->on_page || !w->strip_meter) return -1;
    /* the session's values until the console confirms them (a state file
     * may have changed some) */
    for (size_t i = 0; i < n; i++)
        w->values[i] = w->s->values ? w->s->values[i] : w->ps->p[i].defval;
    for (int i = 0; i < w->s->n_strips * JM_WEB_STRIP_METER; i++) w->strip_meter[i] = -120.0f;
    for (int b = 0; b < JM_MAX_BUSES; b++) {
        w->bus_meter[b][0] = w->bus_meter[b][1] = -120.0f;
        w->bus_meter[b][2] = 0.0f;
    }
    for (int k = 0; k < 4; k++) w->master_meter[k] = -120.0f;
    for (int k = 0; k < 5; k++) w->loudness[k] = -120.0f;
    return jm_web_oq_build(w) || jm_web_page_build(w) ? -1 : 0;
}

/* The libwebsockets context: one vhost on the HTTP port, bound like OSC.
 * 0, or -1 when the port cannot be served. */
static int create_context(jm_web_t *w)
{
    static const struct lws_protocols protocols[] = {
        {"jmixd", callback, sizeof(jm_conn_t), JM_WEB_MAX_MSG, 0, NULL, 0},
        {NULL, NULL, 0, 0, 0, NULL, 0}};
    /* A WebSocket that answers no ping for web.idle_seconds is closed: a
     * dead tablet, or a socket held open by something that is no WebSocket
     * client. Pings go out after a third of it; browsers answer them. */
    int idle = w->s->web_idle_seconds > 0 ? w->s->web_idle_seconds : IDLE_DEFAULT_S;
    w->idle.secs_since_valid_ping = (uint16_t)(idle / 3 > 0 ? idle / 3 : 1);
    w->idle.secs_since_valid_hangup = (uint16_t)idle;
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = w->http_port;
    info.iface = strcmp(w->s->osc_bind, "0.0.0.0") ? w->s->osc_bind : NULL;
    info.protocols = protocols;
    info.vhost_name = "jmixd";
    info.server_string = "jmixd";
    info.user = w;
    info.gid = -1;
    info.uid = -1;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6 | LWS_SERVER_OPTION_VALIDATE_UTF8 |
                   LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
    info.fd_limit_per_thread = JM_WEB_MAX_CONNECTIONS + 8; /* + listen, UDP, cancel pipe */
    info.max_http_header_data = 4096;
    /* a connection that has not sent a whole request in 2 s (or the next
     * one on a kept-alive connection) is closed */
    info.timeout_secs = REQUEST_S;
    info.timeout_secs_ah_idle = REQUEST_S;
    info.keepalive_timeout = REQUEST_S;
    info.retry_and_idle_policy = &w->idle;
    /* libwebsockets' errors say why the port cannot be bound; once serving,
     * its errors are what clients did wrong (oversized headers...), which
     * must not let anyone fill the journal */
    lws_set_log_level(LLL_ERR, lws_emit);
    w->ctx = lws_create_context(&info);
    lws_set_log_level(0, lws_emit);
    w->vh = w->ctx ? lws_get_vhost_by_name(w->ctx, "jmixd") : NULL;
    w->proto = &protocols[0];
    return w->vh ? 0 : -1;
}

jm_web_t *jm_web_start(const jm_session_t *s, const char *name, int osc_port, int http_port,
                       const jm_log_t *log)
{
    if (http_port <= 0) return NULL;
    jm_web_t *w = calloc(1, sizeof *w);
    if (!w) {
        jm_log(log, JM_LOG_ERROR, "web: out of memory");
        return NULL;
    }
    w->s = s;
    w->ps = &s->params;
    w->log = log;
    w->osc_port = osc_port;
    w->http_port = http_port;
    w->udp_fd = -1;
    jm_perm_init(&w->logins);
    snprintf(w->name, sizeof w->name, "%s", name && *name ? name : "jmixd");
    if (!port_free(s->osc_bind, http_port, log)) {
        free_web(w);
        return NULL;
    }
    if (build_tables(w)) {
        jm_log(log, JM_LOG_ERROR, "web: out of memory");
        free_web(w);
        return NULL;
    }

    if (create_context(w)) {
        jm_log(log, JM_LOG_ERROR, "web: cannot serve HTTP on %s:%d; no web surface",
               s->osc_bind, http_port);
        free_web(w);
        return NULL;
    }
    if (jm_web_gw_open(w)) {
        free_web(w);
        return NULL;
    }
    lws_sul_schedule(w->ctx, 0, &w->tick, tick, 1);
    if (pthread_create(&w->thread, NULL, web_main, w)) {
        jm_log(log, JM_LOG_ERROR, "web: cannot start the web thread");
        free_web(w);
        return NULL;
    }
    w->zc = jm_zeroconf_start_type(w->name, SERVICE_TYPE, http_port, log);
    jm_log(log, JM_LOG_INFO, "web: control surface on http://%s:%d/ui, OSCQuery on /",
           s->osc_bind, http_port);
    return w;
}

void jm_web_stop(jm_web_t *w)
{
    if (!w) return;
    atomic_store(&w->stop, true);
    lws_cancel_service(w->ctx);
    pthread_join(w->thread, NULL);
    jm_web_gw_close(w);
    free_web(w);
}
