/* What moves parameters inside the audio thread, sample-accurately: ramps
 * (`{param}/ramp`, snapshot fades: linear in the parameter's own unit) and
 * automation lanes following the transport.
 *
 * The mixer calls jm_autoplay_step before each chunk of at most
 * JM_AUTOPLAY_CHUNK frames; every moving parameter gets its value at the end
 * of the chunk, and the mixer ramps the DSP to it over the chunk.
 *
 * Threads: audio thread only (real-time safe), after init. */
#ifndef JMIXD_AUTOPLAY_H
#define JMIXD_AUTOPLAY_H

#include "jmixd/engine/lanes.h"

#include <stdint.h>

#define JM_AUTOPLAY_CHUNK 16
#define JM_MAX_GLIDES 512

/* Glossary: cur = value now (double so long ramps land exactly); step =
 * change per frame; left = frames to go; (scope, field, index) = target. */
typedef struct {
    uint8_t used, scope;
    uint16_t field, index;
    double cur, step, to;
    uint32_t left;
} jm_glide_t;

/* set(ctx, scope, field, index, value, len): move that parameter to value
 * over len frames (< 0: its own smoothing time; the mixer's own parameter
 * path). */
typedef void (*jm_autoplay_set_fn)(void *ctx, int scope, int field, int index, float value,
                                   int32_t len);

typedef struct {
    jm_glide_t g[JM_MAX_GLIDES];
    int n_glides;             /* slots in use, for a fast idle check */
    const jm_rtlanes_t *lanes;
    int rolling;
    double frame;             /* transport frame at the start of the next chunk */
    int have_frame;           /* frame was given once: a later jump is a locate */
    int chase;                /* located while stopped: lanes jump to their value there */
} jm_autoplay_t;

void jm_autoplay_init(jm_autoplay_t *a);
/* A ramp from `from` to `to` over len frames (replaces one on the same target). */
void jm_autoplay_glide(jm_autoplay_t *a, int scope, int field, int index, float from, float to,
                       uint32_t len);
/* A plain set interrupts a ramp on that target. */
void jm_autoplay_cancel(jm_autoplay_t *a, int scope, int field, int index);
/* Swap the lane set; returns the previous one (to hand back for freeing). */
const jm_rtlanes_t *jm_autoplay_lanes(jm_autoplay_t *a, const jm_rtlanes_t *lanes);
/* The transport before each run of the mixer. A frame other than the one
 * the previous run ended on, while stopped, is a locate: the next step
 * moves every playing lane's parameter to the lane's value there (over
 * the parameter's smoothing time), as consoles chase automation to the
 * playhead. While rolling, lanes follow every chunk anyway. */
void jm_autoplay_transport(jm_autoplay_t *a, int rolling, double frame);
/* 1 when something moves (the mixer then works in chunks). */
int jm_autoplay_active(const jm_autoplay_t *a);
/* Advance n frames (n <= JM_AUTOPLAY_CHUNK), calling set for every moving
 * parameter with its value at the end of the chunk (a chase: len -1, the
 * parameter's own smoothing). */
void jm_autoplay_step(jm_autoplay_t *a, uint32_t n, jm_autoplay_set_fn set, void *ctx);
/* n frames were processed (every run of the mixer, stepped or not): the
 * transport frame the next run should start at, while rolling. */
void jm_autoplay_advance(jm_autoplay_t *a, uint32_t n);

#endif
