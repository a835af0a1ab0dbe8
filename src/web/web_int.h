/* Internals of the web surface (src/web). Everything here runs on the web
 * thread (libwebsockets' event loop) unless a comment says otherwise. */
#ifndef JMIXD_WEB_INT_H
#define JMIXD_WEB_INT_H

#include "jmixd/web/web.h"
#include "jmixd/osc/perm.h"
#include "jmixd/osc/zeroconf.h"
#include "jmixd/util/text.h"

#include <libwebsockets.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define JM_WEB_MAX_MSG 4096         /* largest WebSocket message accepted */
#define JM_WEB_MAX_CONNECTIONS 64   /* browsers and OSCQuery clients together */
#define JM_WEB_PEER_SLOTS (JM_WEB_MAX_CONNECTIONS + 16)
#define JM_WEB_STRIP_METER 4        /* /meter/strip: peak, rms, gr, comp input */
#define JM_WEB_RTA_BANDS 31         /* /meter/rta: 1/3 octaves 20 Hz..20 kHz */

/* Bodies and frames are built in a jm_text_t (jmixd/util/text.h) with a
 * hard cap in `max`; json.c: */
/* A JSON string literal; also escapes < > & so it is safe inside <script>. */
void jm_web_json_str(jm_text_t *b, const char *s);
/* A JSON number; non-finite values become null. */
void jm_web_json_num(jm_text_t *b, double v);
/* A JSON number written as a float ("-10.0", "1e-05", never "-10"), for
 * OSC 'f' values; a non-finite v is written as fallback (finite). */
void jm_web_json_float(jm_text_t *b, double v, double fallback);

/* One node of the OSCQuery namespace (docs/osc.md): a container, a
 * parameter at its index path, the same parameter at its name path, a
 * session alias of it, or a meter (read-only). */
typedef enum {
    JM_OQ_CONTAINER,
    JM_OQ_PARAM,                /* /strip/1/fader */
    JM_OQ_NAME,                 /* /strip/kick/fader */
    JM_OQ_ALIAS,                /* aliases[k].from, maybe in the /norm taper */
    JM_OQ_METER                 /* /meter/strip/1, /meter/bus/1, /meter/master, /meter/loudness */
} jm_oqkind_t;

typedef enum { JM_OQ_M_STRIP, JM_OQ_M_BUS, JM_OQ_M_MASTER, JM_OQ_M_LOUDNESS } jm_oqmeter_t;

typedef struct {
    char name[JM_NAME_MAX];
    char full[JM_PATH_MAX];
    jm_oqkind_t kind;
    int param;              /* PARAM, NAME, ALIAS: index into the paramset; else -1 */
    int norm;               /* ALIAS: the value is in the /norm taper */
    jm_oqmeter_t meter;     /* METER: which, and index (strip or bus, 0-based) */
    int index;
    int child, next;        /* first child, next sibling; -1 when none */
    int same;               /* next node showing the same parameter; -1 when none */
} jm_oqnode_t;

/* Per-connection data (lws per-session data): an HTTP exchange or a
 * WebSocket client. */
typedef struct jm_conn {
    char *body;                 /* HTTP: response body being written */
    size_t body_len, body_off;

    struct lws *wsi;            /* WebSocket clients */
    struct jm_conn *prev, *next;
    int ws, ui;                 /* ui: the page's socket (JSON state and meters) */
    unsigned char *dirty;       /* per parameter: changed since last sent (page) */
    unsigned char *listen;      /* OSCQuery LISTEN per namespace node; NULL: none */
    unsigned char *odirty;      /* per node: LISTENed and changed since last sent */
    size_t n_odirty;
    int scan;                   /* where the next search for odirty starts */
    size_t n_dirty;
    int meters_dirty;
    int want_write;
    char *rx;                   /* message being reassembled from fragments */
    size_t rx_len;
    int rx_binary, rx_more;     /* rx_more: a message is being reassembled */
    char err_path[64];          /* a refused OSC message's address, answered */
    int err_pending;            /* with /error (the latest only) */
    /* a performer's page socket (/mix/NAME, page.c "mix"): */
    int mix;                    /* the performer's index + 1; 0: not a mix socket */
    int logged;                 /* its PIN was right: it gets and sets its mix */
    int mix_bus;                /* the performer's bus (when logged) */
    char jreply[160];           /* a JSON answer waiting to be sent ("" none) */
    int rta;                    /* the page has a channel view open (gets /meter/rta) */
    unsigned rta_sent;          /* the RTA frame (w->rta_seq) it got last */
} jm_conn_t;

/* An accepted TCP connection and its source address (the per-address
 * limit); wsi NULL: a free slot. */
typedef struct {
    struct lws *wsi;
    uint32_t addr;
} jm_web_peer_t;

/* What the guard refused, since start (logged when it grows). */
typedef struct {
    uint64_t over_limit;        /* connections over the per-address limit */
    uint64_t bad_host;          /* requests naming a foreign Host */
    uint64_t bad_origin;        /* WebSockets from a foreign Origin, or other upgrades */
    uint64_t osc_dropped;       /* OSC from WebSockets that is not a parameter */
    uint64_t mix_refused;       /* what a performer's socket may not do */
} jm_web_refused_t;

struct jm_web {
    const jm_session_t *s;
    const jm_paramset_t *ps;
    const jm_log_t *log;
    char name[64];
    int osc_port, http_port;

    struct lws_context *ctx;
    struct lws_vhost *vh;
    const struct lws_protocols *proto;
    pthread_t thread;
    atomic_bool stop;
    jm_zeroconf_t *zc;
    lws_sorted_usec_list_t tick;       /* the gateway's housekeeping */
    lws_sorted_usec_list_t meter_sul;  /* a meter tick is complete */

    /* the gateway's OSC side */
    struct lws *udp;            /* adopted UDP socket (lws owns the fd) */
    int udp_fd;
    int gw_denied;              /* our address is outside osc.allow */
    struct sockaddr_in daemon;  /* where the daemon's OSC port is */
    float *values;              /* last known value per parameter, in units */
    unsigned char *known;       /* value confirmed by the daemon */
    size_t resync;              /* next parameter whose owner is re-read */
    size_t unknown_from;        /* every value before this one is confirmed */
    size_t fetch_p;             /* first unconfirmed parameter, and how often */
    int fetch_tries;            /* its owner was asked for */
    int64_t last_subscribe_us, last_reply_us, started_us;
    int confirmed;              /* every value was confirmed once (logged) */
    unsigned char rxbuf[65536];

    /* meters, as last received (dBFS; loudness LUFS/dBTP/LU) */
    float *strip_meter;         /* n_strips x {peak, rms, gr, comp input} */
    float bus_meter[JM_MAX_BUSES][3]; /* peak, rms, limiter gain reduction dB (aux) */
    float master_meter[4];
    float loudness[5];
    float rta[JM_WEB_RTA_BANDS]; /* the last /meter/rta frame, dBFS per 1/3 octave */
    unsigned rta_seq;           /* counts /meter/rta frames received */
    int fs;                     /* the engine's sample rate (/info); 0 until known */

    unsigned char *on_page;     /* per parameter: the page shows it */
    char *page;                 /* the page, built once */
    size_t page_len;
    jm_oqnode_t *nodes;         /* the namespace tree; nodes[0] is "/" */
    int n_nodes;
    int *param_node;            /* per parameter: its first node (then ->same) */
    int *meter_nodes;           /* the meter nodes, n_meter_nodes of them */
    int n_meter_nodes;

    jm_perm_t logins;           /* the web thread's own wrong-PIN limiter (perm.h) */

    jm_conn_t *clients;         /* WebSocket clients */
    int n_clients;

    /* the guard (guard.c) */
    lws_retry_bo_t idle;        /* WebSocket ping and hang-up (web.idle_seconds) */
    jm_web_peer_t peers[JM_WEB_PEER_SLOTS];
    uint32_t pending_addr;      /* accepted, its wsi not created yet */
    int pending;
    jm_web_refused_t refused, refused_logged;
    int64_t refused_log_us;
};

/* gateway.c: the OSC side */
int jm_web_gw_open(jm_web_t *w);
void jm_web_gw_rx(jm_web_t *w, struct lws *wsi);
/* Renew the subscription, fetch or re-read values; returns the delay to
 * the next tick in microseconds. */
int64_t jm_web_gw_tick(jm_web_t *w);
void jm_web_gw_close(jm_web_t *w);
/* Send PATH with one argument of type 'f' or 'i', or none when type is 0. */
void jm_web_gw_send(jm_web_t *w, const char *path, char type, float v);
/* Send PATH with one string argument. */
void jm_web_gw_send_str(jm_web_t *w, const char *path, const char *s);
/* Forward an OSC packet as received from a WebSocket client (which
 * jm_web_osc_allowed let through). */
void jm_web_gw_send_raw(jm_web_t *w, const void *data, size_t len);

/* Build an /error s:path s:why message into out; returns its length, 0
 * when it does not fit. */
size_t jm_web_gw_error(const char *path, const char *why, unsigned char *out, size_t cap);

/* guard.c: who may use the web surface (docs/osc.md) */
/* The request's Host is one of the console's own names or addresses (with
 * its port or none), or listed in web.hosts. */
int jm_web_host_allowed(const jm_web_t *w, struct lws *wsi);
/* No Origin (not a browser), the console's own origin, or web.origins. */
int jm_web_origin_allowed(const jm_web_t *w, struct lws *wsi);
/* A connection from addr (host order) was accepted: 1 when it is within the
 * per-address limit (its wsi is recorded by peer_created), else 0 (counted). */
int jm_web_peer_admit(jm_web_t *w, uint32_t addr);
void jm_web_peer_created(jm_web_t *w, struct lws *wsi);
void jm_web_peer_gone(jm_web_t *w, struct lws *wsi);
/* An OSC packet from a WebSocket may be forwarded: a message (or a bundle
 * of them) to a parameter, its /norm twin or touch, an alias, or
 * /rta/source (the analyser's tap). path gets
 * the (first refused) address for the /error reply. */
int jm_web_osc_allowed(const jm_web_t *w, const void *data, size_t n, char *path, size_t cap);
/* The peer's IPv4 address (host order), 0 when unknown. */
uint32_t jm_web_peer_ip(struct lws *wsi);
/* The performer (index) /mix/NAME names, or -1; uri is the request path. */
int jm_web_mix_performer(const jm_web_t *w, const char *uri);
/* Log what the guard refused, when it grew, at most every 10 s. */
void jm_web_guard_log(jm_web_t *w);

/* clients.c: WebSocket clients */
/* 0, or -1 when out of memory (the connection is closed) */
int jm_web_ws_open(jm_web_t *w, jm_conn_t *c, struct lws *wsi);
void jm_web_ws_close(jm_web_t *w, jm_conn_t *c);
int jm_web_ws_rx(jm_web_t *w, jm_conn_t *c, const void *in, size_t len);
int jm_web_ws_writeable(jm_web_t *w, jm_conn_t *c);
void jm_web_param_changed(jm_web_t *w, int param);
void jm_web_meters_changed(jm_web_t *w);
/* Ask lws for a write callback on every client with something to send. */
void jm_web_flush(jm_web_t *w);

/* http.c: one HTTP request; returns what the lws callback must return */
int jm_web_http(jm_web_t *w, jm_conn_t *c, struct lws *wsi, const char *uri);
int jm_web_http_writeable(jm_web_t *w, jm_conn_t *c, struct lws *wsi);
/* Answer status (421, 403) with no body and close; returns -1 for lws. */
int jm_web_http_refuse(struct lws *wsi, unsigned status);
void jm_web_http_done(jm_conn_t *c);

/* oscquery.c: the namespace */
int jm_web_oq_build(jm_web_t *w);
int jm_web_oq_find(const jm_web_t *w, const char *path);
/* The JSON of node `n` (whole subtree), or of one attribute of it: returns
 * the HTTP status (200, 204 for an attribute the node lacks, 400 for an
 * unknown attribute). */
int jm_web_oq_json(const jm_web_t *w, jm_text_t *b, int n, const char *attr);
/* ?HOST_INFO; local_ip: the address the request came in on (OSC_IP when
 * the console's OSC socket is bound to every address). */
void jm_web_oq_host_info(const jm_web_t *w, jm_text_t *b, const char *local_ip);
/* Node `n` (a parameter, alias or meter) as the OSC message LISTEN streams
 * (its address, its value typed as TYPE says) into out; returns the
 * length, 0 when it does not fit or the node has no value. */
size_t jm_web_oq_osc(const jm_web_t *w, int n, unsigned char *out, size_t cap);
/* The OSCQuery TYPE of a parameter: "f", or "i" for switches (0/1, as the
 * console feeds them back) and choices. */
const char *jm_web_oq_type(const jm_param_def_t *d);

/* page.c: the control surface */
int jm_web_page_build(jm_web_t *w);
/* The page of performer k's mix (/mix/NAME) into b: the PIN form, then its
 * sends, its bus's fader, mute and meter (docs/osc.md, "Web surface"). */
void jm_web_mix_page(const jm_web_t *w, int k, jm_text_t *b);
/* assets.S: src/web/assets/page.css and page.js, NUL-terminated */
extern const char jm_web_page_css[];
extern const char jm_web_page_js[];

#endif
