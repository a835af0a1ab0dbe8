/* X32 and X-Air meter streams (docs/osc.md, "X32 meters"): /meters,
 * /batchsubscribe and /renew s:name. A stream sends one meter set as
 * `NAME ,b <blob>` every `factor` x 50 ms for 10 s unless renewed. The blob
 * is a little-endian int32 count and `count` little-endian values (X32:
 * float32 linear levels, gain reductions as gain factors, 1.0 = none;
 * X-Air: int16 in 1/256 dB), per P.-G. Maillot, "Unofficial X32/M32 OSC
 * Remote Protocol", "Meter requests".
 *
 * These are amplifying requests from an unauthenticated port: at most
 * JM_X32M_PER_IP streams per source IP and JM_X32M_MAX in all; more are
 * ignored (an X32 sends no error).
 *
 * Threads: jm_x32m_encode and jm_x32m_count are pure (any thread); the
 * rest on the control thread only (the stream table is its own). */
#ifndef JMIXD_X32METERS_H
#define JMIXD_X32METERS_H

#include "jmixd/control/feedback.h"

#include <netinet/in.h>
#include <stddef.h>

#define JM_X32M_MAX 16          /* meter streams in all */
#define JM_X32M_PER_IP 4        /* meter streams per source IP */
#define JM_X32M_SECONDS 10.0    /* a stream's life without /renew */
#define JM_X32M_TICK 0.05       /* s: the X32's meter interval, the unit of `factor` */
#define JM_X32M_BLOB_MAX 388    /* the largest blob: count + 96 floats (/meters/1) */
#define JM_X32M_NAME 64         /* longest address a stream is sent on, with its NUL */

/* jm_req_t.iarg of JM_REQ_X32_METERS. */
enum {
    JM_X32M_OP_METERS = 0, /* /meters: sarg "/meters/N", aux N, value factor */
    JM_X32M_OP_BATCH = 1,  /* /batchsubscribe: sarg the alias, aux N, value factor */
    JM_X32M_OP_RENEW = 2   /* /renew s:name: sarg the name */
};

/* The latest meter frame, as the engine's meter events carry it. */
typedef struct {
    float level[32];     /* strip peaks, linear (strips past 32 are not shown) */
    float comp_gr[32];   /* strip compressor gain reduction, dB >= 0 */
    float bus[16];       /* bus peaks, linear */
    float bus_gr[16];    /* aux bus limiter gain reduction, dB >= 0 (FX buses: 0) */
    float main[2];       /* master L, R peaks */
    float main_gr;       /* master limiter gain reduction, dB >= 0 */
} jm_x32m_frame_t;

typedef struct {
    int used;
    int dialect;                /* JM_DIALECT_X32 or _XAIR: the socket and the format */
    int set;                    /* N of /meters/N */
    int every;                  /* meter frames between two sends (>= 1) */
    int count;                  /* frames since the last send */
    double expires;             /* monotonic */
    struct sockaddr_in addr;
    char name[JM_X32M_NAME];    /* the address it is sent on */
} jm_x32m_stream_t;

typedef struct {
    jm_x32m_frame_t frame;
    jm_x32m_stream_t streams[JM_X32M_MAX];
    uint64_t refused;           /* requests over the limits */
} jm_x32meters_t;

/* Values in meter set n of dialect d (1 X32, 2 X-Air): 0 when jmixd does
 * not answer it. Inline: the OSC thread's parser checks it without linking
 * the control side. */
static inline int jm_x32m_count(int d, int n)
{
    if (d == 2) return n == 1 ? 40 : 0; /* X-Air /meters/1 */
    return n == 0 ? 70   /* 32 ch, 8 aux, 8 fx returns, 16 bus, 6 matrix */
         : n == 1 ? 96   /* 32 ch, 32 gate GR, 32 dyn GR */
         : n == 2 ? 49   /* 16 bus, 6 mtx, LR, mono, 16 bus GR, 6 mtx GR, LR GR, mono GR */
         : 0;
}

/* The blob of meter set n of dialect d from frame f: bytes written to out
 * (4 + count x 4 for X32, 4 + count x 2 for X-Air), 0 when n is not
 * answered or cap is too small. */
size_t jm_x32m_encode(const jm_x32m_frame_t *f, int d, int n, unsigned char *out, size_t cap);

/* A request from src (JM_X32M_OP_*): a new stream within the limits, or the
 * renewal of src's stream(s) of that name. `factor` as the document gives
 * it (outside 1..99: 1); meter_rate the engine's meter rate in Hz. */
void jm_x32m_request(jm_x32meters_t *m, const struct sockaddr_in *src, int dialect, int op,
                     int n, int factor, const char *name, float meter_rate, double now);

/* Every engine event: meter events fill the frame; after the master meter
 * (the last of a frame) each due stream is sent from its dialect's socket
 * (jm_feedback_send_on: never to the console itself). Other events are
 * ignored. */
void jm_x32m_event(jm_x32meters_t *m, jm_feedback_t *fb, const jm_event_t *ev);

/* Streams alive at `now` (tests, /stats). */
int jm_x32m_active(const jm_x32meters_t *m, double now);

#endif
