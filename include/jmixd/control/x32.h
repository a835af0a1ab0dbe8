/* The X32 and X-Air dialects (docs/osc.md): the X32 address tree as a table
 * -- which addresses exist, their X32 type ('f', 'i' or 's'), their X32
 * value law (X32 floats are 0..1 over a linear or log range, or the fader
 * law; switches and enums are ints) and the jmixd parameter they stand for
 * -- and the conversions between X32 values and parameter units. Ranges
 * follow P.-G. Maillot, "Unofficial X32/M32 OSC Remote Protocol".
 *
 * Threads: pure functions over the session (read-only); any thread. */
#ifndef JMIXD_X32_H
#define JMIXD_X32_H

#include "jmixd/session/session.h"

#include <stddef.h>

#define JM_X32_STRIPS 32
#define JM_XAIR_STRIPS 16

/* jm_req_t.dialect and jm_subscriber_t.x32: which port a request came
 * from and which addresses a subscriber gets. JM_X32_FLOAT and JM_X32_ON
 * are the older names of the same values. */
enum {
    JM_DIALECT_X32 = 1,  /* the X32 port (x32.port) */
    JM_DIALECT_XAIR = 2, /* the X-Air port (xair.port): /lr, 16 channels, 6 buses */
    JM_X32_FLOAT = JM_DIALECT_X32,
    JM_X32_ON = JM_DIALECT_XAIR
};

/* How an X32 value maps onto units. */
typedef enum {
    JM_X32_LAW_NONE,  /* an X32 default: no jmixd parameter */
    JM_X32_LAW_FADER, /* f 0..1, the X32 fader law <-> dB */
    JM_X32_LAW_LIN,   /* f 0..1 <-> lo..hi */
    JM_X32_LAW_LOG,   /* f 0..1 <-> lo*(hi/lo)^f */
    JM_X32_LAW_ONINV, /* i 1 = on = not muted */
    JM_X32_LAW_INT,   /* i = the value (switches, enums) */
    JM_X32_LAW_RATIO, /* i: index into the X32 compressor ratios */
    JM_X32_LAW_SENDTYPE /* i: a send's tap, IN/LC <-EQ EQ-> PRE POST GRP (0..5)
                           <-> pre-fader 1 (0..3) or 0 (POST, GRP); 1 -> 3, 0 -> 4 */
} jm_x32_law_t;

/* What one X32 address is. */
typedef struct {
    char type;          /* 'f', 'i' or 's' */
    jm_x32_law_t law;
    float lo, hi;       /* LIN and LOG: the X32 range in jmixd units */
    int param;          /* the parameter, or -1 (then def/str answer) */
    float def;          /* the X32 default (f 0..1 or an int) */
    const char *str;    /* 's': the string (a session name, or "") */
} jm_x32_ent_t;

/* Look up an X32 address (no pattern) in dialect d: 1 and *e filled when
 * it is an address of the tree, else 0. Bounded work: a few string
 * comparisons and one hash lookup. */
int jm_x32_lookup(const jm_session_t *s, int d, const char *path, jm_x32_ent_t *e);

/* A parameter's X32 address in dialect d: 1 and path filled, or 0 when it
 * has none. */
int jm_x32_path_of(const jm_session_t *s, int d, int param, char *path, size_t cap);

/* X32 value (f 0..1, or an int as float) -> units, and back. */
float jm_x32_to_units(const jm_x32_ent_t *e, float x);
float jm_x32_from_units(const jm_x32_ent_t *e, float v);

/* The X32 compressor ratios (/dyn/ratio is an index into these). */
extern const float jm_x32_ratios[12];

/* X32 colour names (OFF RD GN ... WHi): the choices of the strip parameter
 * `color`, the values of /ch/NN/config/color. */
const char *const *jm_x32_color_names(void);

/* /node text for a node ("ch/01/mix", ...): the text after the address,
 * e.g. "/ch/01/mix ON  -3.0 ON +0 OFF   -oo\n"; values[] the parameter
 * values. 1 and out filled, 0 when the node is not one jmixd formats. */
int jm_x32_node(const jm_session_t *s, int d, const char *node, const float *values, char *out,
                size_t cap);

/* Replies the dialect answers by itself. */
#define JM_X32_VERSION "V2.07"
#define JM_X32_MODEL "X32"
#define JM_X32_CONSOLE_VERSION "4.06"
#define JM_XAIR_VERSION "V0.04"
#define JM_XAIR_MODEL "XR18"
#define JM_XAIR_CONSOLE_VERSION "1.17"

#endif
