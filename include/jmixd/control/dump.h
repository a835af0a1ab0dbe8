/* The state dump: the current value of every parameter and alias (or of
 * those under a prefix) sent to one destination in its style, so that a
 * controller that connects shows the console as it is (docs/osc.md,
 * "State dump").
 *
 * A dump starts when a subscription is new (confirmed /subscribe, an
 * osc.clients entry at start, an X32 /xremote lease) and on /dump. It goes
 * out a piece at a time from the control loop: an OSC bundle (timetag 1,
 * "immediately") of at most JM_DUMP_BYTES, at most one per JM_DUMP_GAP to
 * one destination, each built from the values current when it is built
 * (nothing is copied at the start). The X32 style sends single messages
 * (X32 apps read no bundles), about JM_DUMP_BYTES of them per step. The
 * native styles end with /dump/end s:prefix i:count.
 *
 * A /dump to an address that holds no lease there may be forged: it takes
 * one token per bundle from a per-peer bucket of JM_DUMP_PEER_RATE a
 * second (the rate of /error), and at most JM_MAX_DUMPS /dump run at once:
 * forged /dump draw at most ~280 KB/s from the console in all.
 *
 * Threads: control thread only. */
#ifndef JMIXD_DUMP_H
#define JMIXD_DUMP_H

#include "jmixd/session/params.h"

#include <netinet/in.h>
#include <stddef.h>

#define JM_DUMP_BYTES 1400      /* a bundle fits one Ethernet/Wi-Fi frame */
#define JM_DUMP_GAP 0.002       /* s between two bundles to one destination */
#define JM_MAX_DUMPS 4          /* /dump requests in progress at once */
#define JM_DUMP_PEER_RATE 50.0  /* bundles a second to a peer without a lease (as /error) */
#define JM_DUMP_PEER_BURST 5.0  /* and at most this many at once */

enum { JM_DUMP_UNITS = 1, JM_DUMP_NORM, JM_DUMP_X32 };

typedef struct {
    int style;                  /* JM_DUMP_*; 0: no dump in progress */
    int limited;                /* the requester is unverified: per-peer bucket */
    size_t next;                /* cursor: parameters, then aliases */
    int sent;                   /* values sent so far */
    double due;                 /* monotonic time the next piece may leave */
    struct sockaddr_in to;
    char prefix[JM_PATH_MAX];
} jm_dump_t;

struct jm_feedback;

/* Start (or restart from the beginning) a dump into d. */
void jm_dump_start(jm_dump_t *d, const struct sockaddr_in *to, int style, const char *prefix,
                   int limited, double now);
/* /dump [s:prefix] from src: style JM_DUMP_UNITS or _NORM, or 0 for the
 * style of src's lease (units without one). A dump to src in progress
 * starts again; with JM_MAX_DUMPS others running: /error s:/dump s:busy. */
void jm_dump_request(struct jm_feedback *fb, const struct sockaddr_in *src, const char *prefix,
                     int style, double now);
/* Send what is due of every dump in progress (values: the live values).
 * Returns the milliseconds until the next piece is due (at most 20), or -1
 * when no dump is in progress. */
int jm_dump_step(struct jm_feedback *fb, const float *values, double now);

#endif
