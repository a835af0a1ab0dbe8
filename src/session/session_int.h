/* Internals of the session loader (src/session), shared by its files only.
 * Loading runs on one thread (see session.h); nothing here keeps state
 * beyond the ctx_t of one load.
 *
 * Every reader returns 0, or -1 with c->err set to "FILE:LINE: message"
 * (the first error found). */
#ifndef JMIXD_SESSION_INT_H
#define JMIXD_SESSION_INT_H

#include "jmixd/session/session.h"

#include <libconfig.h>
#include <stdarg.h>
#include <stddef.h>

typedef struct {
    jm_session_t *s;
    const char *path;
    char *err;
    size_t errlen;
} ctx_t;

/* Parameters of one owner (a strip, a bus, the master or the monitor). */
typedef struct {
    jm_scope_t scope;
    int owner;
    size_t lo, hi;      /* index range in s->params.p that holds them */
    char label[48];     /* "strips[1]", "buses[2]", "master": prefix of value errors */
    char desc[48];      /* "strip 'kick'", "bus 'verb'", "master" */
} owner_t;

/* ---- cfgutil.c: errors and typed reads ---- */
__attribute__((format(printf, 4, 0)))
int jm_sess_failv(ctx_t *c, const char *file, int line, const char *fmt, va_list ap);
/* Report an error at a setting's line (line 0 when st is NULL); returns -1. */
__attribute__((format(printf, 3, 4)))
int jm_sess_fail(ctx_t *c, const config_setting_t *st, const char *fmt, ...);
/* "a group", "an integer"... for messages. */
const char *jm_sess_type_word(int type);
/* A number setting (int, int64 or float; not bool or string): 0 or -1. */
int jm_sess_number(const config_setting_t *st, double *out);
int jm_sess_integer(const config_setting_t *st, long long *out);
/* An integer in lo..hi. `what` names the setting in messages. */
int jm_sess_read_int(ctx_t *c, const config_setting_t *st, const char *what, long long lo,
                     long long hi, int *out);
/* A string that must fit a buffer of cap bytes. */
int jm_sess_read_string(ctx_t *c, const config_setting_t *st, const char *what, char *buf,
                        size_t cap, int allow_empty);
/* A list of JACK port names (or a single one), at most max. */
int jm_sess_read_ports(ctx_t *c, const config_setting_t *st, const char *what, int max,
                       char (*ports)[JM_PORT_NAME_MAX], int *n_out);
/* A list of groups (an empty array counts as none); a group. */
int jm_sess_expect_list(ctx_t *c, const config_setting_t *st, const char *what);
int jm_sess_expect_group(ctx_t *c, const config_setting_t *st, const char *what);

/* ---- paramkeys.c: parameter keys of an owner ---- */
void jm_sess_owner_init(const jm_session_t *s, owner_t *o, jm_scope_t scope, int owner);
int jm_sess_bus_index(const jm_session_t *s, const char *name);
/* One setting below an owner's group whose dotted path is prefix.name
 * (prefix "" at the top of the group). */
int jm_sess_param_child(ctx_t *c, const owner_t *o, const char *prefix,
                        const config_setting_t *st);

/* ---- topology.c: pass 1 ---- */
int jm_sess_check_top(ctx_t *c, const config_setting_t *root);
int jm_sess_topo_buses(ctx_t *c, const config_setting_t *list);
int jm_sess_topo_strips(ctx_t *c, const config_setting_t *list);

/* ---- pass 2 readers: sections.c, read_auto.c, read_alias.c, surfaces.c ---- */
int jm_sess_read_jack(ctx_t *c, const config_setting_t *g);
int jm_sess_read_talkback(ctx_t *c, const config_setting_t *g);
int jm_sess_read_osc(ctx_t *c, const config_setting_t *g);
int jm_sess_read_strip(ctx_t *c, const config_setting_t *g, int i);
int jm_sess_read_bus(ctx_t *c, const config_setting_t *g, int i);
int jm_sess_read_master(ctx_t *c, const config_setting_t *g);
int jm_sess_read_automation(ctx_t *c, const config_setting_t *list);
int jm_sess_read_aliases(ctx_t *c, const config_setting_t *list);
int jm_sess_read_x32(ctx_t *c, const config_setting_t *g);
int jm_sess_read_xair(ctx_t *c, const config_setting_t *g);
int jm_sess_read_web(ctx_t *c, const config_setting_t *g);
/* playback = { take; loop; play; transport; } (surfaces.c) */
int jm_sess_read_playback(ctx_t *c, const config_setting_t *g);
/* read_midi.c: midi = { input; output; surface; map; } */
int jm_sess_read_midi(ctx_t *c, const config_setting_t *g);
/* read_performers.c: performers = ( { name; bus; pin; } ) */
int jm_sess_read_performers(ctx_t *c, const config_setting_t *list);

/* ---- rules.c: what a session may hold, for the loader and the writer ---- */
/* A JACK port name as given to jack_connect: "client:port". */
int jm_sess_port_valid(const char *port);
/* libconfig reads true/false (any case) as booleans, never as setting
 * names: a bus so named cannot be a key in a strip's send group. */
int jm_sess_name_is_keyword(const char *name);
/* "reverb" or "delay". */
int jm_sess_bus_type_valid(const char *type);
/* How many input ports a strip of `channels` channels may list. */
int jm_sess_max_inputs(int channels);
/* 1 when v lies in the parameter's range (NaN never does). */
int jm_sess_value_in_range(const jm_param_def_t *d, double v);
/* One automation point at time t with value v, after a point at prev_t (0
 * for the first): 0, or -1 with why set ("points must be in time order
 * (1 after 2)"). */
int jm_sess_point_check(const jm_param_def_t *d, double t, double v, double prev_t, char *why,
                        size_t whylen);

/* ---- save_check.c: the writer's check, before the disk is touched ---- */
typedef struct {
    const char *path;
    char *err;
    size_t errlen;
} jm_sess_ectx_t;

/* err = "PATH: message"; returns -1. */
__attribute__((format(printf, 2, 3)))
int jm_sess_efail(jm_sess_ectx_t *e, const char *fmt, ...);
/* 0 when the console (values, lanes) would load again; else -1 with err. */
int jm_sess_check_save(jm_sess_ectx_t *e, const jm_session_t *s, const float *values,
                       const jm_lane_cfg_t *lanes, int n_lanes);

#endif
