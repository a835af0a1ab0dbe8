/* Automation lanes as the control thread keeps them (docs/osc.md): modes off,
 * read, write, touch and latch; writing from controllers while the
 * transport rolls; the immutable set the audio thread plays.
 *
 * Threads: control thread only. */
#ifndef JMIXD_AUTOMATION_H
#define JMIXD_AUTOMATION_H

#include "jmixd/engine/lanes.h"
#include "jmixd/session/session.h"

#define JM_TOUCH_RELEASE_S 1.0  /* a controller that sends no touch is released after this */

typedef struct {
    int param;
    jm_automode_t mode;
    jm_autopoint_t *pts;
    int n, cap;
    int touched;            /* a controller holds the parameter */
    int explicit_touch;     /* held by {param}/touch 1 (else released by time) */
    double last_change;     /* monotonic time of the last controller change */
    int latched;            /* latch: written since the first touch, until stop */
    double write_last;      /* transport seconds of the last write of this pass; <0 none */
    double write_end;       /* where that write's glide ends */
    jm_autopoint_t *orig;   /* the lane as it was when the pass began */
    int n_orig;
    jm_autopoint_t *pass;   /* what the pass wrote */
    int n_pass, cap_pass;
    int pass_closed;        /* the pass ended: its last point rejoins the curve */
} jm_lane_t;

typedef struct {
    jm_lane_t *l;
    int n, cap;
} jm_autolanes_t;

/* From the session's automation section (copies the points). 0 or -1. */
int jm_lanes_init(jm_autolanes_t *ls, const jm_session_t *s);
void jm_lanes_free(jm_autolanes_t *ls);
/* The lane of a parameter; with create, a new empty one (mode off). */
jm_lane_t *jm_lanes_get(jm_autolanes_t *ls, int param, int create);
void jm_lanes_clear(jm_autolanes_t *ls, int param);

/* True while the lane drives its parameter (the audio thread plays it). */
int jm_lane_playing(const jm_lane_t *l);
/* True while controller changes are written into the lane. */
int jm_lane_recording(const jm_lane_t *l, int rolling);
float jm_lane_eval(const jm_lane_t *l, double t);

/* A controller changed the parameter from `old` to `v` at transport time t
 * (seconds); the console glides there over `glide` seconds. Starts or
 * continues a write pass: the span since the previous write of this pass is
 * replaced. */
void jm_lane_write(jm_lane_t *l, double t, float old, float v, double glide);
/* End of a pass at t (touch released, latch ended): the value held since the
 * last write is written up to t, then the lane glides back onto the curve it
 * had over `glide` seconds. */
void jm_lane_hold(jm_lane_t *l, double t, float v, double glide);

/* Append a point (time not before the last one); for loading. */
void jm_lane_write_point(jm_lane_t *l, double t, float v);

/* Touch from {param}/touch or a change (explicit = 0). Returns 1 when the
 * playing state changed (the audio thread's set must be rebuilt). */
int jm_lane_touch(jm_lane_t *l, int on, int explicit_touch, double now);
/* Release lanes whose implicit touch timed out, and latches and write passes
 * when the transport has stopped (holding the last value up to transport
 * time t). Returns 1 when any playing state changed. */
int jm_lanes_tick(jm_autolanes_t *ls, double now, int rolling, double t, const float *values,
                  double glide);

/* The set the audio thread plays (malloc'd; free with free()). */
jm_rtlanes_t *jm_lanes_build_rt(const jm_autolanes_t *ls, const jm_paramset_t *ps, double rate);

/* As session lanes (points borrowed, valid until the lanes change). */
int jm_lanes_export(const jm_autolanes_t *ls, jm_lane_cfg_t *out, int max);

#endif
