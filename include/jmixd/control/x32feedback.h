/* X32 and X-Air answers and feedback (docs/osc.md, "The X32 dialect"):
 * values in X32 addresses, types and ranges (control/x32.h), sent from the
 * dialect's own socket (X32 or X-Air).
 *
 * Threads: control thread only (the feedback state is its own). */
#ifndef JMIXD_X32FEEDBACK_H
#define JMIXD_X32FEEDBACK_H

#include "jmixd/control/feedback.h"

/* The answer to a query of X32 address `path` in dialect d: its value
 * (a parameter's from values[], else the X32 default) with its X32 type.
 * Nothing when the address is not in the tree. */
void jm_feedback_x32_answer(jm_feedback_t *fb, const struct sockaddr_in *to, int d,
                            const char *path, const float *values);
/* node s:"/ch/01/mix ON -3.0 ...\n" for node ("ch/01/mix"), or nothing
 * when jmixd does not format that node. */
void jm_feedback_x32_node(jm_feedback_t *fb, const struct sockaddr_in *to, int d,
                          const char *node, const float *values);

#endif
