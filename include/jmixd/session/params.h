/* The parameter table: the single source of every parameter's path, unit,
 * range, default, taper and smoothing. OSC dispatch, session keys, the state
 * file and --list-params are all derived from it.
 *
 * Threads: the table (jm_param_defs) is constant. A jm_paramset_t is built
 * once per topology by the thread that loads the session, then only read; it
 * may be shared read-only by the OSC and control threads. */
#ifndef JMIXD_PARAMS_H
#define JMIXD_PARAMS_H

#include "jmixd/dsp/fields.h"

#include <stddef.h>
#include <stdint.h>

#define JM_NAME_MAX 32
#define JM_PATH_MAX 96

typedef enum {
    JM_SCOPE_STRIP, JM_SCOPE_BUS, JM_SCOPE_MASTER, JM_SCOPE_MONITOR, JM_SCOPE_TALKBACK
} jm_scope_t;

/* What a {n} or {b} placeholder in a tail stands for. */
typedef enum { JM_SUB_NONE, JM_SUB_BAND, JM_SUB_BUS } jm_sub_t;

typedef enum {
    JM_TAPER_LIN,   /* linear over the range */
    JM_TAPER_LOG,   /* lo * (hi/lo)^f */
    JM_TAPER_FADER, /* X32 four-segment law, docs/dsp.md */
    JM_TAPER_BOOL,  /* 0 or 1 */
    JM_TAPER_ENUM   /* an index 0..max into def->choices; /norm is index/max */
} jm_taper_t;

typedef struct {
    jm_scope_t scope;
    const char *tail;   /* after /strip/{s}/, /bus/{b}/ or /master/; may hold {n} or {b} */
    const char *unit;   /* "dB", "bool", "Hz", "ms", ":1", "dBTP", "" */
    float min, max;
    float def[JM_EQ_BANDS]; /* default; per band for {n} tails, else def[0] */
    jm_taper_t taper;
    float smooth_ms;    /* audio-thread smoothing time; bools fade over it */
    int field;          /* JM_SF_*, JM_MF_* or JM_BF_* */
    const char *bus_type; /* bus rows: only on buses of this type ("!aux": of any
                             other type); NULL: all */
    const char *doc;    /* one line for docs and layouts */
    const char *const *choices; /* JM_TAPER_ENUM: the names, NULL-terminated */
    const char *sub_type; /* {b} tails: only for buses {b} of this type ("!aux": any
                             other type); NULL: every bus. Two rows with one tail and
                             complementary sub_types give a per-type default. */
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
    const char (*bus_types)[16];    /* "reverb", "delay" or "aux"; may be NULL */
    int monitor;                    /* the session has a monitor section */
    int talkback;                   /* the session has a talkback section */
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

/* Index of the parameter at an exact path, or -1. Strips and buses may be
 * named by index or name, mixed in one path (/strip/2/send/drums/level);
 * a miss costs at most two passes over the set. */
int jm_params_find(const jm_paramset_t *set, const char *path);

/* 1 when a bus of type `have` (NULL: unknown, an FX bus) matches a row's
 * bus_type or sub_type `want` (NULL: any; "!t": any type but t). Pure. */
int jm_param_type_match(const char *want, const char *have);

/* How many consecutive fields a row occupies: JM_EQ_BANDS for {n} tails,
 * JM_MAX_BUSES for {b} tails, else 1. Pure. */
int jm_param_def_fields(const jm_param_def_t *d);

/* The chain fields' defaults (JM_CF_*, in their units) from the strip rows;
 * what jm_chain_init starts a chain at. Pure. */
void jm_params_chain_defaults(float def[JM_CF_COUNT]);

/* Value conversions; pure. */
float jm_param_clamp(const jm_param_def_t *d, float v);
float jm_param_to_norm(const jm_param_def_t *d, float v);
float jm_param_from_norm(const jm_param_def_t *d, float f);
int jm_param_is_bool(const jm_param_def_t *d);
/* JM_TAPER_ENUM: the index of a choice name, or -1. */
int jm_param_choice(const jm_param_def_t *d, const char *name);

/* X32 fader law, docs/dsp.md. */
float jm_x32_db_from_norm(float f);
float jm_x32_norm_from_db(float db);

#endif
