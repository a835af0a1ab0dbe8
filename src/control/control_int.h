/* The control thread's state, shared by src/control/control.c (loop,
 * values, requests) and src/control/control_auto.c (ramps, lanes,
 * snapshots, timed bundles, session save). Control thread only. */
#ifndef JMIXD_CONTROL_INT_H
#define JMIXD_CONTROL_INT_H

#include "jmixd/control/automation.h"
#include "jmixd/control/control.h"
#include "jmixd/engine/engine.h"
#include "jmixd/control/feedback.h"
#include "jmixd/control/service.h"
#include "jmixd/control/snapshot.h"
#include "jmixd/control/state.h"

#define JM_MAX_CRAMPS 512      /* ramps followed for feedback */
#define JM_MAX_SCHEDULED 1024  /* timed bundle messages waiting */
#define JM_MAX_RT_OUT 64       /* lane sets handed to the audio thread */

typedef struct {
    int param;
    float from, to;
    double t0, dur;             /* monotonic start, seconds */
} jm_cramp_t;

typedef struct {
    jm_req_t req;
    double due;                 /* monotonic time it is due */
} jm_sched_t;

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

    jm_state_writer_t *writer;
    int dirty;
    double dirty_since;
    double next_reconnect;
    int jack_was_up;

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
    double next_lane_feedback;
    int rolling;

    jm_service_t service;       /* systemd notify and watchdog */

    int nsm_fd;                 /* session manager: -1 none */
    struct sockaddr_in nsm_server;
    int session_dirty;          /* changed since the session file was saved */
};

double jm_ctl_now(void);
/* Store a value and make every consequence happen (engine at `frame`, 0 =
 * at once; feedback; autosave). */
void jm_ctl_set_value(jm_control_t *c, int i, float v, uint32_t frame);
/* Only the record and the feedback (the audio thread moves it itself). */
void jm_ctl_note_value(jm_control_t *c, int i, float v);
void jm_ctl_mark_dirty(jm_control_t *c);
/* To the session manager, when there is one. */
void jm_ctl_nsm_send(jm_control_t *c, const char *path, const char *s1, const char *s2);
/* Handle one request from the OSC thread (or one whose time has come). */
void jm_ctl_handle(jm_control_t *c, const jm_req_t *r);

/* control_auto.c */
int jm_ctl_auto_init(jm_control_t *c);
void jm_ctl_auto_free(jm_control_t *c);
/* A request that involves time, lanes, snapshots or the session file.
 * Returns 1 when it handled r. */
int jm_ctl_auto_request(jm_control_t *c, const jm_req_t *r);
/* A controller moved parameter i from old to v over `glide` seconds
 * (touch, write pass). */
void jm_ctl_auto_on_set(jm_control_t *c, int i, float old, float v, double glide);
void jm_ctl_auto_tick(jm_control_t *c, double now);
void jm_ctl_auto_engine_opened(jm_control_t *c);
void jm_ctl_auto_engine_closed(jm_control_t *c);
void jm_ctl_auto_freed(jm_control_t *c, const void *ptr);
/* Frame for a timed request: 0 when it is due now; -1 when it was queued. */
int jm_ctl_auto_schedule(jm_control_t *c, const jm_req_t *r, uint32_t *frame);

#endif
