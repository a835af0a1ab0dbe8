/* The control thread's side of a session manager (docs/operations.md,
 * "Session managers"): "opened" once JACK runs, an /error when it does not
 * come, the label with the console's ports, the optional GUI (the web
 * page), and the state file the manager's save writes beside the session. */
#include "control_int.h"

#include "jmixd/control/state.h"

#include <errno.h>
#include <lo/lo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* JACK should be there this long after the console started (seconds;
 * JMIXD_NSM_JACK_WAIT, 1..600, changes it); after it the manager hears why
 * "opened" has not come (the console keeps trying). */
#define OPEN_JACK_WAIT 10.0

static double jack_wait(void)
{
    const char *e = getenv("JMIXD_NSM_JACK_WAIT");
    char *end;
    double v = e && *e ? strtod(e, &end) : 0.0;
    return e && *e && !*end && v >= 1.0 && v <= 600.0 ? v : OPEN_JACK_WAIT;
}

void jm_control_set_nsm(jm_control_t *c, int fd, const struct sockaddr_in *server, int osc_port,
                        const char *web_url)
{
    c->nsm_fd = fd;
    jm_feedback_add_self(&c->fb, fd);
    c->nsm_server = *server;
    c->nsm_osc_port = osc_port;
    snprintf(c->nsm_web_url, sizeof c->nsm_web_url, "%s", web_url ? web_url : "");
    c->nsm_wait = jack_wait();
    c->nsm_deadline = jm_ctl_now() + c->nsm_wait;
}

void jm_ctl_nsm_send(jm_control_t *c, const char *path, const char *s1, const char *s2)
{
    if (c->nsm_fd < 0) return;
    lo_message m = lo_message_new();
    if (s1) lo_message_add_string(m, s1);
    if (s2) lo_message_add_string(m, s2);
    jm_feedback_send_on(&c->fb, c->nsm_fd, &c->nsm_server, path, m);
}

void jm_ctl_nsm_error(jm_control_t *c, const char *what, const char *message)
{
    if (c->nsm_fd < 0) return;
    lo_message m = lo_message_new();
    lo_message_add_string(m, what);
    lo_message_add_int32(m, -1); /* ERR_GENERAL */
    lo_message_add_string(m, message);
    jm_feedback_send_on(&c->fb, c->nsm_fd, &c->nsm_server, "/error", m);
}

/* "OSC 8003", and the page's address while the optional GUI is "shown". */
static void send_label(jm_control_t *c)
{
    char label[256];
    int n = snprintf(label, sizeof label, "OSC %d", c->nsm_osc_port);
    if (c->nsm_gui_shown && n > 0 && (size_t)n < sizeof label)
        snprintf(label + n, sizeof label - (size_t)n, " · %s", c->nsm_web_url);
    jm_ctl_nsm_send(c, "/nsm/client/label", label, NULL);
}

void jm_ctl_nsm_engine_up(jm_control_t *c)
{
    if (c->nsm_fd < 0 || c->nsm_opened) return;
    c->nsm_opened = 1;
    jm_ctl_nsm_send(c, "/reply", "/nsm/client/open", "opened");
    send_label(c);
    jm_ctl_nsm_send(c, "/nsm/client/gui_is_hidden", NULL, NULL); /* starts hidden (API) */
    if (c->session_dirty) jm_ctl_nsm_send(c, "/nsm/client/is_dirty", NULL, NULL);
    jm_log(c->log, JM_LOG_INFO, "session manager: opened (JACK client and OSC port %d live)",
           c->nsm_osc_port);
}

void jm_ctl_nsm_tick(jm_control_t *c, double now)
{
    if (c->nsm_fd < 0 || c->nsm_opened || c->nsm_error_sent || now < c->nsm_deadline) return;
    char msg[256];
    snprintf(msg, sizeof msg, "no JACK server '%s' after %.0f s; jmixd keeps trying every second",
             c->cfg.server_name && c->cfg.server_name[0] ? c->cfg.server_name : "default",
             c->nsm_wait);
    jm_ctl_nsm_error(c, "/nsm/client/open", msg);
    jm_log(c->log, JM_LOG_WARN, "session manager told: %s", msg);
    c->nsm_error_sent = 1;
}

void jm_ctl_req_nsm_gui(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    if (c->nsm_fd < 0) return;
    if (r->iarg && !c->nsm_web_url[0]) {
        jm_log(c->log, JM_LOG_INFO, "session manager: show GUI: this session has no web page "
               "(web.port)");
        jm_ctl_nsm_send(c, "/nsm/client/gui_is_hidden", NULL, NULL);
        return;
    }
    c->nsm_gui_shown = r->iarg != 0;
    if (c->nsm_gui_shown) jm_log(c->log, JM_LOG_INFO, "web page: %s", c->nsm_web_url);
    send_label(c);
    jm_ctl_nsm_send(c, c->nsm_gui_shown ? "/nsm/client/gui_is_shown" : "/nsm/client/gui_is_hidden",
                    NULL, NULL);
}

int jm_ctl_nsm_write_saved(jm_control_t *c, char *err, size_t errlen)
{
    const char *path = c->cfg.saved_state_path;
    if (!path || !path[0]) return 0;
    char *midi = c->s->midi.enabled ? jm_state_midi_text(c->ps, &c->s->midi) : NULL;
    char *text = !c->s->midi.enabled || midi
                     ? jm_state_serialize(c->ps, c->values, &c->lanes, &c->snaps, midi)
                     : NULL;
    int rc = -1;
    if (!text) snprintf(err, errlen, "out of memory");
    else if ((rc = jm_state_write_atomic(path, text)))
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    free(text);
    free(midi);
    return rc;
}

void jm_ctl_nsm_recover(jm_control_t *c, const char *path)
{
    float *v = malloc((c->ps->n ? c->ps->n : 1) * sizeof *v);
    if (!v) return;
    memcpy(v, c->values, c->ps->n * sizeof *v);
    int n = jm_state_load(path, c->ps, v, NULL, NULL, c->log);
    if (n > 0 && memcmp(v, c->values, c->ps->n * sizeof *v) &&
        jm_snapshots_save(&c->snaps, "recovered", v) >= 0) {
        c->session_dirty = 1; /* the next save would write the snapshot */
        jm_log(c->log, JM_LOG_WARN, "the last run ended without stopping (crash or power cut): "
               "its unsaved values are the snapshot 'recovered' (/snapshot/recall recovered); "
               "the console runs the session as the manager saved it");
    }
    free(v);
}
