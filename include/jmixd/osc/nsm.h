/* Non Session Manager support (NSM API 1.1.2; docs/operations.md).
 * With NSM_URL set, jmixd announces itself, waits for /nsm/client/open and
 * runs the session the manager gives: PREFIX.cfg (created from the session
 * file given on the command line, or a minimal one, when missing), with
 * PREFIX.state as its state file and the client id as its JACK name.
 *
 * Threads: jm_nsm_open/opened/close on the main thread before and after the
 * other threads run; afterwards the socket is read by the OSC thread and
 * written (replies, dirty flag) by the control thread. */
#ifndef JMIXD_NSM_H
#define JMIXD_NSM_H

#include "jmixd/util/log.h"

#include <netinet/in.h>
#include <stddef.h>

typedef struct {
    int fd;                         /* our socket towards the manager */
    struct sockaddr_in server;      /* the manager */
    char session_path[1024];
    char state_path[1024];
    char client_id[64];
} jm_nsm_t;

/* Announce and wait (at most 30 s) for /nsm/client/open. 0, or -1 with err. */
int jm_nsm_open(jm_nsm_t *n, const char *url, const char *argv0, const char *template_path,
                const jm_log_t *log, char *err, size_t errlen);
/* /reply "/nsm/client/open" "opened" once the console runs. */
void jm_nsm_opened(const jm_nsm_t *n);
void jm_nsm_error(const jm_nsm_t *n, const char *what, const char *message);
/* Send `path` with up to two string arguments (NULL: none) to the manager. */
int jm_nsm_send(const jm_nsm_t *n, const char *path, const char *s1, const char *s2);
void jm_nsm_close(jm_nsm_t *n);

#endif
