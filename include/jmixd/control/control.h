/* The control thread: owns every parameter value. It applies requests from
 * the OSC thread (clamp, store, post to the engine, feed back to every
 * subscriber), forwards meters, autosaves the state, reloads on SIGHUP and
 * keeps the JACK engine connected.
 *
 * Threads: jm_control_create/run/destroy on the control (main) thread;
 * the OSC thread is the single producer of jm_control_requests() and may call
 * jm_control_wake. */
#ifndef JMIXD_CONTROL_H
#define JMIXD_CONTROL_H

#include "jmixd/util/log.h"
#include "jmixd/util/queue.h"
#include "jmixd/session/session.h"

#include <netinet/in.h>
#include <stdint.h>

enum {
    JM_REQ_SET = 1,     /* param, value (units, or 0..1 when norm) */
    JM_REQ_QUERY,       /* param; reply on `path` */
    JM_REQ_INFO,
    JM_REQ_STRIPS,      /* iarg: offset (first strip of the page) */
    JM_REQ_PARAMS,      /* sarg: prefix (may be empty); iarg: offset among its matches */
    JM_REQ_SUBSCRIBE,   /* iarg: port (0: source port); sarg: style; param: the
                           sender's performer bus, -1: an engineer */
    JM_REQ_UNSUBSCRIBE,
    JM_REQ_STATS,
    JM_REQ_RAMP,        /* param, value = target (units), aux = seconds */
    JM_REQ_TOUCH,       /* param, iarg = 1 touch / 0 release */
    JM_REQ_AUTO_MODE,   /* param, iarg = jm_automode_t */
    JM_REQ_AUTO_CLEAR,  /* param */
    JM_REQ_AUTO_LIST,
    JM_REQ_SNAP_SAVE,   /* sarg = name */
    JM_REQ_SNAP_RECALL, /* sarg = name, aux = fade seconds */
    JM_REQ_SNAP_DELETE, /* sarg = name */
    JM_REQ_SNAP_LIST,
    JM_REQ_SESSION_SAVE, /* sarg = path ("" = the session's own file) */
    JM_REQ_REC_START,   /* sarg = path ("" = a dated name) */
    JM_REQ_REC_STOP,
    JM_REQ_REC_STATUS,
    JM_REQ_MT_START,    /* sarg = take name ("" = a dated name) */
    JM_REQ_MT_STOP,
    JM_REQ_MT_STATUS,
    JM_REQ_PB_LOAD,     /* sarg = take folder name */
    JM_REQ_PB_PLAY,     /* iarg = 1 play, 0 stop */
    JM_REQ_PB_LOCATE,   /* value = seconds */
    JM_REQ_PB_LOOP,     /* iarg = 1 / 0 */
    JM_REQ_PB_STATUS,
    JM_REQ_LOUD_RESET,
    JM_REQ_SUBSCRIBE_CONFIRM, /* iarg: the token of /subscribe/confirm */
    JM_REQ_X32,         /* path: an X32 address to answer (x32req.c); dialect */
    JM_REQ_X32_NODE,    /* sarg: an X32 node ("ch/01/mix") to answer as text; dialect */
    JM_REQ_DUMP,        /* sarg: prefix; iarg: 0 the lease's style, JM_DUMP_UNITS or _NORM */
    JM_REQ_X32_METERS,  /* iarg: JM_X32M_OP_*; sarg: name; aux: N; value: factor (x32meters.h) */
    JM_REQ_RTA_SOURCE,  /* iarg: JM_RTA_SRC_* (engine/mixer.h) to select, or -1: query;
                           param: the strip or bus index (0-based; not a parameter) */
    JM_REQ_MIDI_LEARN,  /* param: the parameter to learn, -1: cancel (docs/midi.md) */
    JM_REQ_MIDI_UNLEARN, /* param */
    JM_REQ_MIDI_MAP,
    JM_REQ_NSM_GUI,     /* the session manager: iarg 1 show, 0 hide the optional GUI */
};

/* OSC -> control: fixed size. */
typedef struct {
    uint8_t kind;
    uint8_t norm;                 /* value and reply in the 0..1 taper */
    uint8_t dialect;              /* 0 native; JM_DIALECT_X32 / _XAIR (control/x32.h) */
    int32_t param;                /* index into the session's parameter set */
    float value;
    float aux;
    int32_t iarg;
    uint64_t timetag;             /* OSC/NTP time of its bundle; 0 or 1 = at once */
    struct sockaddr_in src;       /* who sent it (replies go there) */
    char path[JM_PATH_MAX + 8];   /* address to answer on, as sent */
    char sarg[JM_PATH_MAX];
    uint64_t counters[4];         /* /stats: OSC denied, malformed, rejected, errors suppressed */
} jm_req_t;

typedef struct {
    jm_session_t *session;        /* borrowed; topology is fixed for the run */
    const char *session_path;
    const char *client_name;
    const char *server_name;
    const char *state_path;       /* NULL or "" for none */
    /* Under a session manager (docs/operations.md): values, lanes, snapshots
     * and MIDI map are restored from restore_path (the manager's last save;
     * may not exist), not from state_path, which is then only written;
     * recover_path (NULL: none) is a live state left by a run that did not
     * stop (its values become the snapshot "recovered" when they differ);
     * saved_state_path is written by the manager's save. All NULL: the
     * state file is read and written. */
    const char *restore_path, *recover_path, *saved_state_path;
    const jm_log_t *log;
} jm_control_config_t;

typedef struct jm_control jm_control_t;

jm_control_t *jm_control_create(const jm_control_config_t *cfg);
void jm_control_destroy(jm_control_t *c);

/* OSC thread side. */
jm_queue_t *jm_control_requests(jm_control_t *c);
void jm_control_wake(jm_control_t *c);
/* The OSC thread's loop came round (at least every 100 ms): the watchdog
 * is fed only while it does. */
void jm_control_osc_beat(jm_control_t *c);
/* Control thread: replies and feedback leave through this UDP socket (the OSC
 * server's, so they come from the OSC port). */
void jm_control_set_socket(jm_control_t *c, int fd);
void jm_control_set_x32_socket(jm_control_t *c, int fd);
void jm_control_set_xair_socket(jm_control_t *c, int fd);
/* Under a session manager: its socket and address (dirty flag, replies),
 * the OSC port for the label and the web page's address ("" none) for the
 * optional GUI. "opened" goes out when JACK first runs. */
void jm_control_set_nsm(jm_control_t *c, int fd, const struct sockaddr_in *server, int osc_port,
                        const char *web_url);

/* Run until SIGTERM/SIGINT arrive on signal_fd (a signalfd for SIGTERM,
 * SIGINT, SIGHUP). Returns the process exit code. */
int jm_control_run(jm_control_t *c, int signal_fd);

#endif
