/* The automation lanes the audio thread plays: an immutable set built by the
 * control thread, handed over by pointer (JM_CMD_LANES) and handed back for
 * freeing (JM_EV_FREE) once the audio thread no longer reads it.
 *
 * Threads: built and freed by the control thread; read by the audio thread
 * (jm_rtlane_eval is real-time safe). */
#ifndef JMIXD_LANES_H
#define JMIXD_LANES_H

#include <stdint.h>

typedef struct {
    uint8_t scope;          /* jm_scope_t */
    uint16_t field;         /* engine field */
    uint16_t index;         /* strip or bus */
    uint32_t n;             /* points */
    const double *frame;    /* transport frame of each point, non-decreasing */
    const float *value;     /* value in the parameter's unit */
} jm_rtlane_t;

typedef struct {
    uint32_t n;
    jm_rtlane_t *lane;      /* n lanes; points live in the same allocation */
} jm_rtlanes_t;

/* Value of a lane at a transport frame: linear between points, held before
 * the first and after the last; at a step (two points at one frame) the
 * later one wins. */
float jm_rtlane_eval(const jm_rtlane_t *l, double frame);

#endif
