/* jmixd: command line, signals, start and stop order. */
#include "jmixd/control/control.h"
#include "jmixd/layout/layout.h"
#include "jmixd/util/log.h"
#include "jmixd/util/port.h"
#include "jmixd/util/rt.h"
#include "jmixd/osc/nsm.h"
#include "jmixd/osc/osc.h"
#include "jmixd/render/render.h"
#include "jmixd/session/session.h"
#include "jmixd/version.h"
#include "jmixd/web/web.h"
#include "jmixd/osc/zeroconf.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: jmixd [OPTIONS] SESSION_FILE        run the console\n"
            "       jmixd --check SESSION_FILE          validate a session\n"
            "       jmixd --list-params SESSION_FILE    print PATH UNIT MIN MAX DEFAULT per parameter\n"
            "       jmixd --describe-params SESSION_FILE  the same, tab-separated, with taper,\n"
            "                                           smoothing (ms) and a description\n"
            "options:\n"
            "  -n, --name NAME       JACK client name (default: session jack.name)\n"
            "      --server NAME     JACK server name (default: session jack.server)\n"
            "  -p, --osc-port PORT   OSC UDP port (default: session osc.port)\n"
            "  -s, --state FILE      live-state file (default: session state)\n"
            "  -v, --verbose         more log lines;  -q, --quiet  errors only\n"
            "      --version         print the version;  --help  this text\n");
}

/* --list-params (docs/cli.md) and, with describe, the tab-separated long form
 * that docs/parameters.md and controller layouts are generated from. */
static void list_params(const jm_session_t *s, int describe)
{
    static const char *const taper[] = {"linear", "log", "x32-fader", "switch", "enum"};
    for (size_t i = 0; i < s->params.n; i++) {
        const jm_param_t *p = &s->params.p[i];
        const char *unit = p->def->unit[0] ? p->def->unit : "-";
        if (describe)
            printf("%s\t%s\t%g\t%g\t%g\t%s\t%g\t%s\n", p->path, unit, p->def->min, p->def->max,
                   p->defval, taper[p->def->taper], p->def->smooth_ms, p->def->doc);
        else
            printf("%s %s %g %g %g\n", p->path, unit, p->def->min, p->def->max, p->defval);
    }
}

/* What the command line asked for. */
typedef struct {
    const char *name, *server, *state, *path;
    int port, check, list;
} opts_t;

/* Parses the options; returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, opts_t *o, jm_log_t *log)
{
    enum { OPT_SERVER = 256, OPT_CHECK, OPT_LIST, OPT_DESCRIBE, OPT_VERSION, OPT_HELP };
    static const struct option opts[] = {
        {"name", required_argument, NULL, 'n'},   {"server", required_argument, NULL, OPT_SERVER},
        {"osc-port", required_argument, NULL, 'p'}, {"state", required_argument, NULL, 's'},
        {"verbose", no_argument, NULL, 'v'},      {"quiet", no_argument, NULL, 'q'},
        {"check", no_argument, NULL, OPT_CHECK},  {"list-params", no_argument, NULL, OPT_LIST},
        {"describe-params", no_argument, NULL, OPT_DESCRIBE},
        {"version", no_argument, NULL, OPT_VERSION}, {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "n:p:s:vq", opts, NULL)) != -1) {
        switch (c) {
        case 'n': o->name = optarg; break;
        case OPT_SERVER: o->server = optarg; break;
        case 'p': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 65535) {
                fprintf(stderr, "jmixd: --osc-port: '%s' is not a port number (1..65535)\n", optarg);
                return 1;
            }
            o->port = (int)v;
            break;
        }
        case 's': o->state = optarg; break;
        case 'v': log->level = JM_LOG_DEBUG; break;
        case 'q': log->level = JM_LOG_ERROR; break;
        case OPT_CHECK: o->check = 1; break;
        case OPT_LIST: o->list = 1; break;
        case OPT_DESCRIBE: o->list = 2; break;
        case OPT_VERSION: printf("jmixd %s\n", JMIXD_VERSION); return 0;
        case OPT_HELP: usage(stdout); return 0;
        default: usage(stderr); return 1;
        }
    }
    o->path = optind < argc ? argv[optind] : NULL;
    return -1;
}

/* Signals are taken by the control thread through a signalfd; block them
 * before any thread starts so every thread inherits the mask. */
static int signals_fd(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    return signalfd(-1, &set, SFD_CLOEXEC);
}

/* Under a session manager a second console in the same session must not
 * fail on a port the first one holds: the OSC port (jm_osc_start,
 * JM_OSC_SHARE) and the web port move to the next free one, kept in this
 * client's session by the manager's save so each console keeps its own;
 * the X32 and X-Air ports, which their apps cannot change, stay with the
 * console that has them. The web port is probed, and a console starting
 * beside this one can take it between the probe and the listen: then the
 * next free ports above it are tried. Returns the web surface or NULL. */
static jm_web_t *nsm_web_start(jm_session_t *s, const char *name, int osc_port, int want,
                               int *http, jm_log_t *log)
{
    jm_web_t *web = NULL;
    *http = jm_port_find(SOCK_STREAM, s->osc_bind, want);
    for (int k = 0; k < 4 && *http && !(web = jm_web_start(s, name, osc_port, *http, log)); k++)
        *http = jm_port_find(SOCK_STREAM, s->osc_bind, *http + 1);
    if (web && *http != want) {
        jm_log(log, JM_LOG_WARN, "web port %d is taken: this console's page is on %d", want,
               *http);
        if (!getenv("JMIXD_WEB_PORT")) s->web_port = *http;
    }
    return web;
}

/* The web page's address for the session manager's label. */
static void web_url(const jm_session_t *s, int port, char *out, size_t len)
{
    char host[256] = "localhost";
    if (strcmp(s->osc_bind, "0.0.0.0")) snprintf(host, sizeof host, "%s", s->osc_bind);
    else if (gethostname(host, sizeof host - 1) == 0) host[sizeof host - 1] = '\0';
    snprintf(out, len, "http://%s:%d/", host, port);
}

/* The running console: control thread, OSC, Zeroconf and the web surface,
 * until a signal ends it. Returns the exit code. Under a session manager a
 * failure is told to it before the return. */
static int run_console(jm_session_t *session, const opts_t *o, jm_nsm_t *nsm,
                       const char *recover, jm_log_t *log)
{
    char err[JM_ERR_MAX];
    jm_rt_lock_memory(log); /* before any thread: their stacks are locked too */
    int sfd = signals_fd();
    int port = o->port ? o->port : session->osc_port;
    int http = jm_web_port(session->web_port, log);
    jm_control_config_t cc = {
        .session = session,
        .session_path = o->path,
        .client_name = o->name ? o->name : session->jack_name,
        .server_name = o->server ? o->server : session->jack_server,
        .state_path = o->state ? o->state : session->state,
        .log = log,
    };
    if (nsm->fd >= 0) {
        cc.restore_path = nsm->saved_path;
        cc.recover_path = recover;
        cc.saved_state_path = nsm->saved_path;
    }
    jm_control_t *ctl = sfd < 0 ? NULL : jm_control_create(&cc);
    if (!ctl) {
        jm_log(log, JM_LOG_ERROR, "cannot start the control thread");
        if (nsm->fd >= 0) jm_nsm_fail(nsm, "jmixd cannot start its control thread");
        if (sfd >= 0) close(sfd);
        return 2;
    }
    jm_osc_t *osc = jm_osc_start(session, session->osc_bind, port,
                                 nsm->fd >= 0 ? JM_OSC_SHARE : 0, nsm->fd, ctl, log, err,
                                 sizeof err);
    if (!osc) {
        jm_log(log, JM_LOG_ERROR, "%s", err);
        if (nsm->fd >= 0) jm_nsm_fail(nsm, err);
        jm_control_destroy(ctl);
        close(sfd);
        return 2;
    }
    port = jm_osc_port(osc);
    if (nsm->fd >= 0) session->osc_port = port; /* this client's port from now on */
    jm_control_set_socket(ctl, jm_osc_socket(osc));
    jm_control_set_x32_socket(ctl, jm_osc_x32_socket(osc));
    jm_control_set_xair_socket(ctl, jm_osc_xair_socket(osc));
    /* _osc._udp for TouchOSC's host browser; without Avahi it carries on */
    jm_zeroconf_t *zc = jm_zeroconf_start(cc.client_name, port, log);
    jm_web_t *web = nsm->fd >= 0 && http /* docs/osc.md */
                        ? nsm_web_start(session, cc.client_name, port, http, &http, log)
                        : jm_web_start(session, cc.client_name, port, http, log);
    if (nsm->fd >= 0) {
        char url[320] = "";
        if (web) web_url(session, http, url, sizeof url);
        /* "opened" goes out once JACK runs (nsm_link.c) */
        jm_control_set_nsm(ctl, nsm->fd, &nsm->server, port, url);
    }
    int rc = jm_control_run(ctl, sfd);
    jm_zeroconf_stop(zc);
    jm_web_stop(web);
    jm_osc_stop(osc);           /* no more requests */
    jm_control_destroy(ctl);    /* closes JACK, flushes the state file */
    close(sfd);
    return rc;
}

int main(int argc, char **argv)
{
    jm_log_t log = {.level = JM_LOG_INFO};
    opts_t o = {0};

    if (argc > 1 && !strcmp(argv[1], "render")) return jm_render_main(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "layout")) return jm_layout_main(argc - 1, argv + 1);
    int rc = parse_args(argc, argv, &o, &log);
    if (rc >= 0) return rc;
    /* Under a session manager the session comes from it; a SESSION_FILE
     * given too is the template for a new one. */
    const char *nsm_url = getenv("NSM_URL");
    int under_nsm = nsm_url && *nsm_url && !o.check && !o.list;
    if (optind != argc - 1 && !(under_nsm && optind == argc)) {
        fprintf(stderr, "jmixd: expected exactly one SESSION_FILE (see --help)\n");
        return 1;
    }
    jm_nsm_t nsm = {.fd = -1};
    char err[JM_ERR_MAX];
    if (under_nsm) {
        int r = jm_nsm_open(&nsm, nsm_url, argv[0], o.path, &log, err, sizeof err);
        if (r && (r < 0 || !o.path)) {
            /* opened but no session (the manager was told), or nothing to
             * run without a manager */
            jm_log(&log, JM_LOG_ERROR, "%s%s", err, r > 0 ? " (and no SESSION_FILE to run)" : "");
            jm_nsm_close(&nsm);
            return 2;
        }
        if (r > 0) {
            /* the NSM API: carry on without session management */
            jm_log(&log, JM_LOG_WARN, "%s: running %s without a session manager", err, o.path);
            jm_nsm_close(&nsm);
            under_nsm = 0;
        } else {
            o.path = nsm.session_path;
            if (!o.name) o.name = nsm.client_id;
            o.state = nsm.state_path; /* the manager's folder, whatever the template says */
        }
    }

    jm_session_t session;
    if (jm_session_load(&session, o.path, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        if (under_nsm) jm_nsm_fail(&nsm, err);
        jm_nsm_close(&nsm);
        return 1;
    }
    if (under_nsm) {
        /* its saves name the client, and JACK name it is saved with */
        snprintf(session.jack_name, sizeof session.jack_name, "%s", o.name);
        snprintf(session.saved_by, sizeof session.saved_by, "the session manager for %s",
                 nsm.client_id);
    }
    /* where controller-named recordings and sessions go (docs/session.md) */
    if (jm_session_resolve_folders(&session, o.state ? o.state : session.state, err,
                                   sizeof err)) {
        fprintf(stderr, "jmixd: %s\n", err);
        if (under_nsm) jm_nsm_fail(&nsm, err);
        jm_session_free(&session);
        jm_nsm_close(&nsm);
        return 1;
    }
    if (o.list) list_params(&session, o.list == 2);
    if (o.check || o.list) {
        rc = 0;
    } else {
        const char *recover = under_nsm ? jm_nsm_mark_running(&nsm, &log) : NULL;
        rc = run_console(&session, &o, &nsm, recover, &log);
        if (under_nsm) jm_nsm_stopped(&nsm);
    }
    jm_session_free(&session);
    jm_nsm_close(&nsm);
    return rc;
}
