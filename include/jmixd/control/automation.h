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
/* A lane never grows past this many points: a write pass that would stops
 * writing that lane (jm_lane_write returns JM_LANE_FULL). */
#define JM_LANE_MAX_POINTS 10000
/* Written points closer than this to the line between their neighbours are
 * dropped: in dB for dB parameters, else this fraction of the range. */
#define JM_LANE_THIN_DB 0.1
#define JM_LANE_THIN_FRACTION 0.001

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
    int stale;              /* pts lags the pass: rebuilt by jm_lanes_sync, not per write */
    int full;               /* this pass hit JM_LANE_MAX_POINTS: it writes no more */
    double thin_lo, thin_hi;     /* slopes from the kept point before the last one that
                                    keep every point dropped since within tolerance */
    double glide_lo, glide_hi;   /* the same before the glide's end point was appended */
} jm_lane_t;

typedef struct {
    jm_lane_t *l;
    int n, cap;
    uint64_t full_passes;   /* write passes stopped by JM_LANE_MAX_POINTS */
    double published_at;    /* monotonic time the audio thread's set was last built */
    int publish_due;        /* a change waits for the next build (at most one per JM_LANES_PUBLISH_EVERY) */
    uint64_t stored_hash;   /* hash of the lanes as last handed to the state file; 0 none */
} jm_autolanes_t;

#define JM_LANES_PUBLISH_EVERY 0.1  /* s: the audio thread gets a new set at most this often */

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
/* (of pts: after jm_lanes_sync) */
float jm_lane_eval(const jm_lane_t *l, double t);

/* A controller changed the parameter from `old` to `v` at transport time t
 * (seconds); the console glides there over `glide` seconds. Starts or
 * continues a write pass: the span since the previous write of this pass is
 * replaced. A point within `tol` (parameter units) of the line between its
 * kept neighbours is dropped. Amortised O(1): the lane's points (pts, n)
 * are brought up to date by jm_lanes_sync, not here.
 * Returns 0 written, JM_LANE_FULL when this write would take the lane past
 * JM_LANE_MAX_POINTS (the pass writes nothing more to it; reported once per
 * pass), JM_LANE_IGNORED for later writes of such a pass. */
#define JM_LANE_FULL 1
#define JM_LANE_IGNORED 2
int jm_lane_write(jm_lane_t *l, double t, float old, float v, double glide, double tol);
/* The tolerance for thinning a parameter's lane (see JM_LANE_THIN_DB). */
double jm_lane_thin_tol(const jm_param_def_t *d);
/* Bring pts and n of every lane up to date with its write pass (O(points)
 * for a lane written since the last call, nothing otherwise). Every reader
 * of pts/n outside this module calls it first; build_rt, export and
 * jm_state_serialize do. */
void jm_lanes_sync(jm_autolanes_t *ls);
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
jm_rtlanes_t *jm_lanes_build_rt(jm_autolanes_t *ls, const jm_paramset_t *ps, double rate);

/* As session lanes (points borrowed, valid until the lanes change). */
int jm_lanes_export(jm_autolanes_t *ls, jm_lane_cfg_t *out, int max);

#endif
