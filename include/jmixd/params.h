/* The parameter table: the single source of every parameter's path, unit,
 * range, default, taper and smoothing. OSC dispatch, session keys, the state
 * file and --list-params are all derived from it.
 *
 * Threads: the table (jm_param_defs) is constant. A jm_paramset_t is built
 * once per topology by the thread that loads the session, then only read; it
 * may be shared read-only by the OSC and control threads. */
#ifndef JMIXD_PARAMS_H
#define JMIXD_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#define JM_MAX_STRIPS 256
#define JM_MAX_BUSES 8
#define JM_NAME_MAX 32
#define JM_PATH_MAX 96

typedef enum { JM_SCOPE_STRIP, JM_SCOPE_BUS, JM_SCOPE_MASTER, JM_SCOPE_MONITOR } jm_scope_t;

/* What a {n} or {b} placeholder in a tail stands for. */
typedef enum { JM_SUB_NONE, JM_SUB_BAND, JM_SUB_BUS } jm_sub_t;

typedef enum {
    JM_TAPER_LIN,   /* linear over the range */
    JM_TAPER_LOG,   /* lo * (hi/lo)^f */
    JM_TAPER_FADER, /* X32 four-segment law, SPEC section 10 */
    JM_TAPER_BOOL,  /* 0 or 1 */
    JM_TAPER_ENUM   /* an index 0..max into def->choices; /norm is index/max */
} jm_taper_t;

/* Engine fields: where a value lands in the mixer's structure of arrays.
 * A tail with {n} or {b} occupies consecutive fields (field + sub).
 * Chain fields (HPF, gate, EQ, compressor) are shared by strips and master:
 * strip field = JM_SF_CHAIN + JM_CF_x, master field = JM_MF_CHAIN + JM_CF_x. */
enum {
    JM_CF_HPF_ON,
    JM_CF_HPF_FREQ,
    JM_CF_GATE_ON,
    JM_CF_GATE_THRESHOLD,
    JM_CF_GATE_RANGE,
    JM_CF_GATE_ATTACK,
    JM_CF_GATE_HOLD,
    JM_CF_GATE_RELEASE,
    JM_CF_EQ_ON,
    JM_CF_EQ_FREQ,                      /* 4 bands */
    JM_CF_EQ_GAIN = JM_CF_EQ_FREQ + 4,  /* 4 bands */
    JM_CF_EQ_Q = JM_CF_EQ_GAIN + 4,     /* 4 bands */
    JM_CF_COMP_ON = JM_CF_EQ_Q + 4,
    JM_CF_COMP_THRESHOLD,
    JM_CF_COMP_RATIO,
    JM_CF_COMP_ATTACK,
    JM_CF_COMP_RELEASE,
    JM_CF_COMP_KNEE,
    JM_CF_COMP_MAKEUP,
    JM_CF_COUNT
};
enum {
    JM_SF_TRIM,
    JM_SF_POLARITY,
    JM_SF_MUTE,
    JM_SF_SOLO,
    JM_SF_FADER,
    JM_SF_PAN,
    JM_SF_CHAIN,
    JM_SF_SEND_LEVEL = JM_SF_CHAIN + JM_CF_COUNT,   /* per bus */
    JM_SF_SEND_PRE = JM_SF_SEND_LEVEL + JM_MAX_BUSES, /* per bus */
    JM_SF_COUNT = JM_SF_SEND_PRE + JM_MAX_BUSES
};
enum {
    JM_MF_FADER,
    JM_MF_MONO,
    JM_MF_LIMITER_ON,
    JM_MF_LIMITER_CEILING,
    JM_MF_LIMITER_RELEASE,
    JM_MF_LIMITER_LOOKAHEAD,
    JM_MF_CHAIN,
    JM_MF_COUNT = JM_MF_CHAIN + JM_CF_COUNT
};
enum { JM_MONF_LEVEL, JM_MONF_DIM, JM_MONF_MONO, JM_MONF_SIDE, JM_MONF_CURVE, JM_MONF_COUNT };
enum {
    JM_BF_FADER,
    JM_BF_MUTE,
    JM_BF_REVERB_SIZE,
    JM_BF_REVERB_DAMPING,
    JM_BF_REVERB_WIDTH,
    JM_BF_REVERB_PREDELAY,
    JM_BF_DELAY_TIME,
    JM_BF_DELAY_FEEDBACK,
    JM_BF_DELAY_TONE,
    JM_BF_COUNT
};

typedef struct {
    jm_scope_t scope;
    const char *tail;   /* after /strip/{s}/, /bus/{b}/ or /master/; may hold {n} or {b} */
    const char *unit;   /* "dB", "bool", "Hz", "ms", ":1", "dBTP", "" */
    float min, max;
    float def[4];       /* default; per band for {n} tails, else def[0] */
    jm_taper_t taper;
    float smooth_ms;    /* audio-thread smoothing time; bools fade over it */
    int field;          /* JM_SF_*, JM_MF_* or JM_BF_* */
    const char *bus_type; /* bus rows: only on buses of this type; NULL: all */
    const char *doc;    /* one line for docs and layouts */
    const char *const *choices; /* JM_TAPER_ENUM: the names, NULL-terminated */
} jm_param_def_t;

extern const jm_param_def_t jm_param_defs[];
extern const size_t jm_param_defs_count;

/* One concrete parameter of a session, e.g. /strip/1/fader. */
typedef struct {
    const jm_param_def_t *def;
    jm_scope_t scope;
    uint16_t owner;                 /* strip or bus index, 0-based; 0 for master */
    uint16_t sub;                   /* band 0..3 or bus index; 0 when none */
    uint16_t field;                 /* def->field + sub */
    float defval;
    char path[JM_PATH_MAX];         /* index form: /strip/1/eq/2/gain */
    char name_path[JM_PATH_MAX];    /* name form:  /strip/kick/eq/2/gain */
    char key[JM_PATH_MAX];          /* session key below the strip/bus/master
                                       group: eq.band2.gain, send.verb.level */
} jm_param_t;

/* Names that parameters are built from. */
typedef struct {
    int n_strips;
    const char (*strip_names)[JM_NAME_MAX];
    int n_buses;
    const char (*bus_names)[JM_NAME_MAX];
    const char (*bus_types)[16];    /* "reverb" or "delay"; may be NULL */
    int monitor;                    /* the session has a monitor section */
} jm_topo_names_t;

typedef struct {
    jm_param_t *p;
    size_t n;
    /* open-addressing hash over both path forms -> index into p */
    int32_t *hash;
    size_t hash_cap;
} jm_paramset_t;

/* Any thread (no shared state). Returns 0, or -1 on allocation failure. */
int jm_params_build(jm_paramset_t *set, const jm_topo_names_t *names);
void jm_params_free(jm_paramset_t *set);

/* Index of the parameter at an exact path (index or name form), or -1. */
int jm_params_find(const jm_paramset_t *set, const char *path);

/* Value conversions; pure. */
float jm_param_clamp(const jm_param_def_t *d, float v);
float jm_param_to_norm(const jm_param_def_t *d, float v);
float jm_param_from_norm(const jm_param_def_t *d, float f);
int jm_param_is_bool(const jm_param_def_t *d);
/* JM_TAPER_ENUM: the index of a choice name, or -1. */
int jm_param_choice(const jm_param_def_t *d, const char *name);

/* X32 fader law, SPEC section 10. */
float jm_x32_db_from_norm(float f);
float jm_x32_norm_from_db(float db);

#endif
