/* The control thread's private state and what its files share. One request
 * goes OSC -> jm_ctl_handle (dispatch.c: validated once, one handler per
 * kind from one table) -> the kind's handler, which stores values and posts
 * commands through link.c; nothing calls back into jm_ctl_handle except the
 * control tick, for timed requests whose time has come.
 *
 *   control.c       life cycle, the loop, engine upkeep, autosave, SIGHUP
 *   dispatch.c      the handler table; set, query and the small requests
 *   values.c        storing a value and its consequences (feedback, dirty)
 *   link.c          commands to the audio thread; refused ones retried
 *   ramp.c          {param}/ramp and the feedback of moving ramps
 *   timed.c         bundles with a future timetag
 *   lanes.c         automation requests and the lane set the audio plays
 *   snapshot_req.c  snapshot requests (the store itself is snapshot.c)
 *   save_req.c      /session/save and the session manager's save
 *   record_req.c    /record/...
 *
 * Threads: control thread only (tests drive these functions directly). */
#ifndef JMIXD_CONTROL_INT_H
#define JMIXD_CONTROL_INT_H

#include "jmixd/control/automation.h"
#include "jmixd/control/control.h"
#include "jmixd/engine/engine.h"
#include "jmixd/control/feedback.h"
#include "jmixd/control/service.h"
#include "jmixd/control/snapshot.h"
#include "jmixd/control/state.h"
#include "jmixd/control/x32meters.h"
#include "jmixd/util/cyclehist.h"

#include <stdatomic.h>
#include <stdbool.h>

#define JM_MAX_CRAMPS 512      /* ramps followed for feedback */
#define JM_MAX_SCHEDULED 1024  /* timed bundle messages waiting */
#define JM_MAX_RT_OUT 64       /* lane sets handed to the audio thread */
#define JM_SAVES_PER_MINUTE 10 /* /session/save cap (save_req.c) */
#define JM_MAX_OWED 1024       /* timed changes whose feedback waits for the engine (timed.c) */

typedef struct jm_midi jm_midi_t;  /* midi.c */

typedef struct {
    int param;
    float from, to;
    double t0, dur;             /* monotonic start, seconds */
} jm_cramp_t;

typedef struct {
    jm_req_t req;
    double due;                 /* monotonic time it is due */
} jm_sched_t;

/* Feedback owed for a timed change: sent when the engine reports the
 * command's tag applied (JM_EV_APPLIED), or at `deadline` if that report
 * never comes (a full event queue, a JACK server gone). */
typedef struct {
    uint32_t tag;
    int param;
    float value;
    double deadline;            /* monotonic */
} jm_owed_t;

/* A command as a test's queue receives it (jm_ctl_attach_queue). */
typedef struct {
    jm_cmd_t cmd;
    uint32_t frame;             /* 0: at once */
} jm_ctl_out_t;

struct jm_control {
    jm_control_config_t cfg;
    const jm_log_t *log;
    jm_session_t *s;
    const jm_paramset_t *ps;
    float *values;

    jm_engine_t *engine;
    jm_queue_t reqs;
    int wake_fd;
    jm_feedback_t fb;
    jm_x32meters_t x32m;        /* X32/X-Air meter streams (x32meters.c) */

    jm_state_writer_t *writer;
    int dirty;
    double dirty_since;
    double next_reconnect;
    int jack_was_up;

    /* commands the audio queue refused (link.c): one bit per parameter,
     * posted again on the next tick; no allocation per request */
    uint64_t *unsent;
    size_t n_unsent_words;
    int any_unsent;
    int lanes_unsent;           /* rt_current still has to reach the audio thread */
    uint64_t cmds_refused;      /* every push the full queue refused (/stats commands_dropped) */
    uint64_t reqs_refused;      /* requests with an unknown kind or parameter index */

    /* unit tests: commands go to this queue instead of an engine */
    jm_queue_t *test_q;
    uint32_t test_rate;
    double test_t0;             /* monotonic time of the test's frame 0 */

    /* automation */
    jm_autolanes_t lanes;
    jm_snapshots_t snaps;
    jm_rtlanes_t *rt_current;            /* the lane set the audio thread should play */
    jm_rtlanes_t *rt_out[JM_MAX_RT_OUT]; /* sets handed over and not yet handed back */
    int n_rt_out;
    jm_cramp_t cramps[JM_MAX_CRAMPS];
    int n_cramps;
    jm_sched_t *sched;
    int n_sched;
    uint64_t sched_dropped;
    jm_owed_t owed[JM_MAX_OWED];
    int n_owed;
    uint32_t owed_tag;          /* the last tag given out (never 0) */
    uint64_t owed_late;         /* owed feedback sent at its deadline, not on the engine's word */
    double next_lane_feedback;
    int rolling;
    double transport_t;         /* the transport position seen last tick (lanes.c) */
    int transport_known;        /* 0 until seen with an engine open */

    jm_service_t service;       /* systemd notify and watchdog */
    jm_cyclestats_t cycle_stats; /* the process callback's durations (/stats) */
    _Atomic uint64_t osc_beats; /* the OSC thread's loop turns (jm_control_osc_beat) */

    int nsm_fd;                 /* session manager: -1 none (nsm_link.c) */
    struct sockaddr_in nsm_server;
    int session_dirty;          /* changed since the session file was saved */
    int nsm_opened;             /* "opened" was sent (JACK ran) */
    int nsm_error_sent;         /* the manager heard that JACK did not come */
    double nsm_deadline;        /* ... at this time */
    double nsm_wait;            /* seconds from start to nsm_deadline */
    int nsm_osc_port;           /* for the label */
    char nsm_web_url[160];      /* the optional GUI: "" none */
    int nsm_gui_shown;

    int rta_kind, rta_index;    /* /rta/source (dispatch.c): JM_RTA_SRC_*, 0-based index */
    struct sockaddr_in rec_by;  /* who started the running recording (record_req.c) */
    float *take_values;         /* every parameter at the running take's start (take_req.c) */
    double take_pos;            /* the transport position then, seconds */
    struct sockaddr_in take_by; /* who started the running take */
    char pb_take[128];          /* the take loaded for playback (playback_req.c) */
    int pb_missing;             /* its strips without a usable file */
    double pb_retry_at;         /* the session's playback.take: next try (0: now) */
    int pb_warned;              /* its failure was logged */
    int pb_rolling;             /* the transport rolled at the last tick (playback.transport) */
    double pb_located;          /* monotonic time of the last locate made by following */
    double save_times[JM_SAVES_PER_MINUTE]; /* the last controller saves (save_req.c) */
    unsigned n_saves;
    jm_midi_t *midi;            /* midi.c: NULL without a midi group in the session */
};

/* control.c */
double jm_ctl_now(void);
/* The state file the values, lanes, snapshots and MIDI map were restored
 * from at start (NULL: none). */
const char *jm_ctl_restore_path(const jm_control_t *c);
/* Hand the live state to the state file's disk thread now. */
void jm_ctl_save_state(jm_control_t *c);

/* nsm_link.c: the session manager, when there is one. */
void jm_ctl_nsm_send(jm_control_t *c, const char *path, const char *s1, const char *s2);
/* /error WHAT -1 MESSAGE (ERR_GENERAL) to the manager. */
void jm_ctl_nsm_error(jm_control_t *c, const char *what, const char *message);
/* JACK opened: the first time, "opened" with the label. */
void jm_ctl_nsm_engine_up(jm_control_t *c);
/* An /error to the manager when JACK has not come in time. */
void jm_ctl_nsm_tick(jm_control_t *c, double now);
/* The state file the manager's save writes (cfg.saved_state_path): 0, or
 * -1 with err. */
int jm_ctl_nsm_write_saved(jm_control_t *c, char *err, size_t errlen);
/* The values of a live state left by a run that did not stop become the
 * snapshot "recovered" when they differ from the restored ones. */
void jm_ctl_nsm_recover(jm_control_t *c, const char *path);
void jm_ctl_req_nsm_gui(jm_control_t *c, const jm_req_t *r, uint32_t frame);
/* Everything that runs on every loop turn besides requests and the engine's
 * upkeep: refused commands again, due timed requests, lanes, ramp and lane
 * feedback. */
void jm_ctl_tick(jm_control_t *c, double now);

/* dispatch.c: handle one request from the OSC thread (or one whose time has
 * come). Unknown kinds and parameter indexes outside the set are refused
 * here, before any handler runs. */
void jm_ctl_handle(jm_control_t *c, const jm_req_t *r);

/* One handler per request kind; `frame` is the JACK frame a timed request
 * lands on (0: at once), r->param is valid where the kind needs one. */
typedef void jm_ctl_handler_t(jm_control_t *c, const jm_req_t *r, uint32_t frame);
jm_ctl_handler_t jm_ctl_req_ramp;                           /* ramp.c */
jm_ctl_handler_t jm_ctl_req_touch, jm_ctl_req_auto_mode,    /* lanes.c */
    jm_ctl_req_auto_clear, jm_ctl_req_auto_list;
jm_ctl_handler_t jm_ctl_req_snap_save, jm_ctl_req_snap_recall, /* snapshot_req.c */
    jm_ctl_req_snap_delete, jm_ctl_req_snap_list;
jm_ctl_handler_t jm_ctl_req_session_save;                   /* save_req.c */
jm_ctl_handler_t jm_ctl_req_rec_start, jm_ctl_req_rec_stop, /* record_req.c */
    jm_ctl_req_rec_status;
jm_ctl_handler_t jm_ctl_req_mt_start, jm_ctl_req_mt_stop, jm_ctl_req_mt_status; /* take_req.c */
jm_ctl_handler_t jm_ctl_req_pb_load, jm_ctl_req_pb_play, jm_ctl_req_pb_locate, /* playback_req.c */
    jm_ctl_req_pb_loop, jm_ctl_req_pb_status;
jm_ctl_handler_t jm_ctl_req_x32, jm_ctl_req_x32_node,      /* x32req.c */
    jm_ctl_req_x32_meters;
/* record_req.c: 0 when r->sarg is a plain file name a controller may give
 * (jm_safe_name_check, and short enough not to have been cut by the OSC
 * layer), else -1 with "bad file name: ..." in why. */
int jm_ctl_file_name_check(const jm_req_t *r, char *why, size_t whylen);
/* record_req.c, every loop turn: a recording whose disk fell under the
 * floor is stopped, with /error to its starter and to subscribers. */
void jm_ctl_rec_tick(jm_control_t *c);
/* A recorder's status, i:recording s:where f:seconds i:dropped, as path
 * (/record/status, /record/multitrack/status) (record_req.c). */
void jm_ctl_send_rec_status(jm_control_t *c, const struct sockaddr_in *to, const char *path,
                            int recording, const char *where, double secs, uint64_t dropped);
/* A recorder stopped for want of disk: /error path why to its starter and
 * every engineer's lease (record_req.c). */
void jm_ctl_tell_disk_full(jm_control_t *c, const struct sockaddr_in *starter, const char *path,
                           const char *why);
/* Every tick: end a take whose disk fell under the floor (take_req.c). */
void jm_ctl_take_tick(jm_control_t *c);
/* Every tick while JACK runs: load the session's playback.take once, and
 * follow the JACK transport when playback.transport (playback_req.c). */
void jm_ctl_playback_tick(jm_control_t *c, double now, int rolling, double t);

/* midi.c: the MIDI surfaces and bindings (docs/midi.md) */
/* After the state is loaded and the engine made: 0, or -1 out of memory. */
int jm_ctl_midi_open(jm_control_t *c);
void jm_ctl_midi_close(jm_control_t *c);
/* Every loop turn: messages from midi_in to the bindings and the driver,
 * timers, a resync when midi_out is new. */
void jm_ctl_midi_tick(jm_control_t *c, double now);
/* Parameter i now has the stored value v (every source). */
void jm_ctl_midi_param(jm_control_t *c, int i, float v);
/* A meter event from the engine (strips collected, the driver told at the
 * master's). */
void jm_ctl_midi_meter(jm_control_t *c, const jm_event_t *ev);
/* Send the whole state to midi_out again. */
void jm_ctl_midi_resync(jm_control_t *c);
jm_ctl_handler_t jm_ctl_req_midi_learn, jm_ctl_req_midi_unlearn, jm_ctl_req_midi_map;

/* values.c */
/* Store a value and make every consequence happen (engine at `frame`, 0 =
 * at once; feedback; autosave). */
void jm_ctl_set_value(jm_control_t *c, int i, float v, uint32_t frame);
/* Only the record and the feedback (the audio thread moves it itself). */
void jm_ctl_note_value(jm_control_t *c, int i, float v);
/* Only the record (values[], autosave, the session manager's dirty flag);
 * 1 when the value changed. The caller owes the feedback. */
int jm_ctl_store_value(jm_control_t *c, int i, float v);
void jm_ctl_mark_dirty(jm_control_t *c);

/* link.c: the way to the audio thread. */
/* Unit tests: commands go to q (jm_ctl_out_t messages) instead of the
 * engine, which then counts as open at `rate`; a future timetag maps onto a
 * frame clock that counts from 0 at this call. */
void jm_ctl_attach_queue(jm_control_t *c, jm_queue_t *q, uint32_t rate);
uint32_t jm_ctl_rate(const jm_control_t *c);   /* 48000 before JACK told one */
bool jm_ctl_engine_ready(const jm_control_t *c);
/* 1 posted; 0 no engine (its next open starts from values[]); -1 refused by
 * a full queue (counted in cmds_refused). */
int jm_ctl_post(jm_control_t *c, const jm_cmd_t *cmd, uint32_t frame);
/* jm_ctl_post for a command that moves parameter i: when refused, i is
 * marked unsent and its stored value is posted again on the next tick. */
int jm_ctl_post_param(jm_control_t *c, int i, const jm_cmd_t *cmd, uint32_t frame);
/* Post what was refused (a SET of the stored value; the lane set). */
void jm_ctl_retry_unsent(jm_control_t *c);
/* A fresh mixer starts from values[]: nothing is owed any more. */
void jm_ctl_forget_unsent(jm_control_t *c);
int jm_ctl_is_unsent(const jm_control_t *c, int i);
/* The JACK frame of an OSC/NTP time: 1 with *frame when it lies ahead
 * (*delta seconds from now), 0 when it is due. */
int jm_ctl_frame_for_ntp(jm_control_t *c, uint64_t ntp, uint32_t *frame, double *delta);

/* ramp.c */
/* A linear move in the parameter's unit over `secs`, from `frame` (0 now). */
void jm_ctl_ramp_start(jm_control_t *c, int i, float target, float secs, uint32_t frame);
/* Stop following a ramp on i (a plain value replaced it). */
void jm_ctl_ramp_cancel(jm_control_t *c, int i);
/* Feedback for the ramps that move by themselves in the audio thread. */
void jm_ctl_ramps_follow(jm_control_t *c, double now);
void jm_ctl_ramps_forget(jm_control_t *c);

/* timed.c */
/* Frame for a timed request: 0 when it is due now (then *frame, 0 = at
 * once); -1 when it is held for later. */
int jm_ctl_schedule(jm_control_t *c, const jm_req_t *r, uint32_t *frame);
/* Take one held request whose time has come: 1 and *r, or 0. */
int jm_ctl_timed_due(jm_control_t *c, double now, jm_req_t *r);
/* A tag for a timed change whose feedback should wait until the engine
 * applies it; 0 when JM_MAX_OWED are waiting (then feedback goes at once). */
uint32_t jm_ctl_timed_tag(jm_control_t *c);
/* Owe the feedback of parameter i at v until tag is reported applied. */
void jm_ctl_timed_owe(jm_control_t *c, uint32_t tag, int i, float v);
/* The engine applied the command with this tag (JM_EV_APPLIED): its
 * feedback goes now (an unknown tag was already sent at its deadline). */
void jm_ctl_timed_applied(jm_control_t *c, uint32_t tag);
/* Owed feedback whose report has not come by its deadline goes now
 * (counted in owed_late); every tick. */
void jm_ctl_timed_overdue(jm_control_t *c, double now);
/* Everything owed goes now (the engine closed: no report will come). */
void jm_ctl_timed_flush(jm_control_t *c);

/* lanes.c */
/* A controller moved parameter i from old to v over `glide` seconds
 * (touch, write pass). */
void jm_ctl_lanes_on_set(jm_control_t *c, int i, float old, float v, double glide);
/* Hand the audio thread a fresh set of the lanes it should play. */
void jm_ctl_lanes_publish(jm_control_t *c);
/* Post rt_current again after the queue refused it. */
void jm_ctl_lanes_retry(jm_control_t *c);
void jm_ctl_lanes_tick(jm_control_t *c, double now, int rolling, double t);
/* Feedback for the values playing lanes move. */
void jm_ctl_lanes_follow(jm_control_t *c, double t);
/* Every tick, before c->rolling is updated: a locate while stopped (the
 * audio thread moves the lanes' parameters there, autoplay.h), or the
 * transport just stopped: the lanes' values at t are stored and fed back
 * now (while rolling, jm_ctl_lanes_follow runs at 20 Hz). */
void jm_ctl_lanes_chase(jm_control_t *c, int rolling, double t);
void jm_ctl_lanes_engine_closed(jm_control_t *c);
/* The audio thread handed back a set (JM_EV_FREE). */
void jm_ctl_lanes_freed(jm_control_t *c, const void *ptr);

#endif
