/* Non Session Manager support (NSM API 1.1.2; docs/operations.md).
 * With NSM_URL set, jmixd announces itself, waits for /nsm/client/open and
 * runs the session the manager gives: PREFIX.cfg (created from the session
 * file given on the command line, or a minimal one, when missing), with
 * PREFIX.state as its live state file (never read back at open: the
 * manager's save, PREFIX.cfg and PREFIX.saved.state, is the truth) and the
 * client id as its JACK name. The reply "opened" is sent by the control
 * thread once JACK runs (control.h).
 *
 * Threads: jm_nsm_open/fail/close on the main thread before and after the
 * other threads run; afterwards the socket is read by the OSC thread and
 * written (replies, dirty flag, label) by the control thread. */
#ifndef JMIXD_NSM_H
#define JMIXD_NSM_H

#include "jmixd/util/log.h"

#include <netinet/in.h>
#include <stddef.h>

typedef struct {
    int fd;                         /* our socket towards the manager */
    struct sockaddr_in server;      /* the manager */
    char session_path[1024];        /* PREFIX.cfg */
    char state_path[1024];          /* PREFIX.state: live, for crash recovery only */
    char saved_path[1024];          /* PREFIX.saved.state: snapshots, lanes and MIDI
                                       map as of the manager's last save */
    char running_path[1024];        /* PREFIX.running: exists while a console runs */
    char client_id[64];
    int created;                    /* PREFIX.cfg was made for this open */
} jm_nsm_t;

/* Announce and wait (at most 10 s) for /nsm/client/open. 0: opened; 1: no
 * session manager to be had (NSM_URL unusable, nothing listening, no
 * answer, or the announce refused), err says why: carry on unmanaged;
 * -1: opened but the session cannot be made (the manager was told). */
int jm_nsm_open(jm_nsm_t *n, const char *url, const char *argv0, const char *template_path,
                const jm_log_t *log, char *err, size_t errlen);
/* The console cannot run after all: /error "/nsm/client/open" to the
 * manager, and the session file made for this open is removed. */
void jm_nsm_fail(jm_nsm_t *n, const char *message);
void jm_nsm_error(const jm_nsm_t *n, const char *what, const char *message);
/* PREFIX.running exists while a console runs, naming PREFIX.cfg. Found
 * naming it at start, the last run did not stop (crash, power cut, kill
 * -9): returns the live state file to offer back (control.h,
 * recover_path), else NULL. Then marks this run. */
const char *jm_nsm_mark_running(const jm_nsm_t *n, const jm_log_t *log);
/* The console stopped: not a crash. */
void jm_nsm_stopped(const jm_nsm_t *n);
void jm_nsm_close(jm_nsm_t *n);

#endif
