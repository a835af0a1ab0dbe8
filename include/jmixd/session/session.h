/* The session: a libconfig file validated into topology + parameter values.
 *
 * Threads: jm_session_load/free are called by the main thread at start and
 * by the control thread on SIGHUP; a loaded session is then read-only. */
#ifndef JMIXD_SESSION_H
#define JMIXD_SESSION_H

#include "jmixd/session/params.h"
#include "jmixd/util/cidr.h"

#include <stddef.h>
#include <stdint.h>

#define JM_MAX_PORTS_PER_LIST 16
#define JM_PORT_NAME_MAX 256
#define JM_MAX_ALLOW 32
#define JM_MAX_CLIENTS 16
#define JM_ERR_MAX 512
#define JM_WEB_NAMES_MAX 16                         /* web.origins, web.hosts entries */
#define JM_WEB_NAME_LEN 128

typedef struct {
    char name[JM_NAME_MAX];
    int channels;                                   /* 1 or 2 */
    int n_inputs;
    char inputs[JM_MAX_PORTS_PER_LIST][JM_PORT_NAME_MAX];
    char file[JM_PORT_NAME_MAX];                    /* stem file for render; may be "" */
} jm_strip_cfg_t;

typedef struct {
    char name[JM_NAME_MAX];
    char type[16];                                  /* "reverb", "delay" or "aux" */
    int channels;                                   /* aux: 1 or 2 (default 2); FX: 2 */
    int n_outputs;                                  /* aux: output = [...] */
    char outputs[JM_MAX_PORTS_PER_LIST][JM_PORT_NAME_MAX];
} jm_bus_cfg_t;

/* performers = ( { name; bus; pin; } ) (docs/osc.md, "Performers"): who may
 * log in over OSC and then control only the mix of one bus. */
#define JM_MAX_PERFORMERS 32
#define JM_PIN_MAX 16                               /* 4..12 digits, NUL-padded */
typedef struct {
    char name[JM_NAME_MAX];
    int bus;                                        /* index into buses */
    char pin[JM_PIN_MAX];
} jm_performer_cfg_t;

typedef struct {
    char host[64];
    int port;
    int norm;                                       /* style "norm" */
} jm_osc_client_cfg_t;

/* Automation (docs/session.md). */
typedef enum { JM_AUTO_OFF, JM_AUTO_READ, JM_AUTO_WRITE, JM_AUTO_TOUCH, JM_AUTO_LATCH } jm_automode_t;

typedef struct {
    double t;       /* transport time, seconds */
    float v;        /* value in the parameter's unit */
} jm_autopoint_t;

typedef struct {
    int param;                  /* index into params */
    jm_automode_t mode;
    int n_points;
    jm_autopoint_t *points;     /* n_points, time non-decreasing */
} jm_lane_cfg_t;

/* An alias: messages to `from` act on parameter `param` (in its /norm
 * taper when norm); its feedback is also sent on `from`; from/z is touch. */
#define JM_ALIAS_MAX 128
typedef struct {
    char from[JM_PATH_MAX];
    char to[JM_PATH_MAX + 8];   /* as written: a parameter path, maybe + "/norm" */
    int param;
    int norm;
} jm_alias_t;

/* midi = { input; output; surface; map = ( ... ); } (docs/midi.md). */
#define JM_MIDI_MAP_MAX 256
typedef enum { JM_MIDI_CC = 1, JM_MIDI_CC14, JM_MIDI_NOTE, JM_MIDI_PITCHBEND } jm_midi_kind_t;

/* One MIDI binding: a control on the surface moves parameter `param`. */
typedef struct {
    int param;                  /* index into params */
    uint8_t kind;               /* jm_midi_kind_t */
    uint8_t channel;            /* 1..16 */
    uint8_t number;             /* CC or note number (CC14: the MSB controller) */
    uint8_t lsb;                /* CC14: the LSB controller */
    uint8_t momentary;          /* notes: on while held (else a note-on toggles) */
    uint8_t feedback;           /* send the value back to midi_out (default 1) */
} jm_midi_binding_t;

typedef struct {
    int enabled;                                    /* the session has a midi group */
    int n_inputs, n_outputs;
    char inputs[JM_MAX_PORTS_PER_LIST][JM_PORT_NAME_MAX];
    char outputs[JM_MAX_PORTS_PER_LIST][JM_PORT_NAME_MAX];
    char surface[16];                               /* "generic" (default) or "mcu" */
    int n_map;
    jm_midi_binding_t map[JM_MIDI_MAP_MAX];         /* the control thread edits it (learn) */
} jm_midi_cfg_t;

/* "off", "read", ... -> mode; -1 when unknown. */
int jm_automode_parse(const char *word);
const char *jm_automode_name(jm_automode_t m);

typedef struct {
    char path[1024];                                /* file it was read from */
    char saved_by[96];  /* not a key: who saves it, for the header ("": /session/save) */

    char jack_name[64];                             /* default "jmixd" */
    char jack_server[64];                           /* default "" */

    int osc_port;                                   /* default 8000 */
    char osc_bind[64];                              /* default "0.0.0.0" */
    int n_allow;
    jm_cidr_t allow[JM_MAX_ALLOW];                  /* default: loopback + private ranges */
    int has_engineers;                              /* osc.engineers given */
    int n_engineers;
    jm_cidr_t engineers[JM_MAX_ALLOW];              /* default (not given): all of allow */
    float meter_rate;                               /* default 20.0, range 1..100 */
    int n_clients;
    jm_osc_client_cfg_t clients[JM_MAX_CLIENTS];

    char state[1024];                               /* "" when none */
    /* Folders of controller-named files (docs/session.md): as written, ""
     * when not given; *_dir after jm_session_resolve_folders. */
    char recordings[1024];
    char sessions[1024];
    int record_min_free_mb;                         /* default 1024; 0: no floor */
    char recordings_dir[1024];
    char sessions_dir[1024];

    int n_strips;
    jm_strip_cfg_t *strips;                         /* n_strips entries */
    int n_buses;
    jm_bus_cfg_t buses[JM_MAX_BUSES];

    int n_master_outputs;
    char master_outputs[JM_MAX_PORTS_PER_LIST][JM_PORT_NAME_MAX];

    int has_monitor;                                /* monitor = { ... } (docs/dsp.md) */
    int n_monitor_outputs;
    char monitor_outputs[JM_MAX_PORTS_PER_LIST][JM_PORT_NAME_MAX];

    int has_talkback;                               /* talkback = { ... } (docs/session.md) */
    int n_talkback_inputs;
    char talkback_inputs[JM_MAX_PORTS_PER_LIST][JM_PORT_NAME_MAX];
    uint8_t talkback_bus[JM_MAX_BUSES];             /* 1: aux bus b is in talkback.buses */

    char (*strip_names)[JM_NAME_MAX];               /* views for jm_params_build */
    char (*bus_names)[JM_NAME_MAX];
    jm_paramset_t params;
    float *values;                                  /* params.n values, validated */

    int n_lanes;
    jm_lane_cfg_t *lanes;                           /* automation lanes */

    int n_aliases;
    jm_alias_t *aliases;                            /* docs/osc.md, Aliases */

    int n_performers;
    jm_performer_cfg_t performers[JM_MAX_PERFORMERS];

    int x32_port;                                   /* 0: no X32 dialect */
    int xair_port;                                  /* 0: no X-Air dialect */
    /* playback = { ... } (docs/session.md): a take to load at start for
     * virtual soundcheck, looping, playing at once, following the JACK
     * transport */
    int has_playback;
    char playback_take[128];
    int playback_loop, playback_play, playback_transport;
    int web_port;                                   /* 0: no web surface (docs/osc.md) */
    int web_idle_seconds;                           /* 0: the default, 60 */
    int n_web_origins, n_web_hosts;                 /* extra Origins and Hosts accepted */
    char web_origins[JM_WEB_NAMES_MAX][JM_WEB_NAME_LEN];
    char web_hosts[JM_WEB_NAMES_MAX][JM_WEB_NAME_LEN];

    jm_midi_cfg_t midi;                             /* MIDI ports and bindings (docs/midi.md) */
} jm_session_t;

/* Load and validate PATH. Returns 0, or -1 with err set to
 * "FILE:LINE: message" (no partial session is left behind). */
int jm_session_load(jm_session_t *s, const char *path, char *err, size_t errlen);
void jm_session_free(jm_session_t *s);

/* Main thread, before the session is shared: fill recordings_dir and
 * sessions_dir -- the session's recordings/sessions when given, else
 * "recordings" and "sessions" in the state folder: the folder of
 * state_path (the effective state file: --state, the session manager's
 * or the session's `state`), or without one the session file's folder.
 * Returns 0, or -1 with err set when a path does not fit (never cut). */
int jm_session_resolve_folders(jm_session_t *s, const char *state_path, char *err,
                               size_t errlen);

/* A binding as checked by the loader, the learn code and the writer: 0, or
 * -1 with why set ("channel 17 is not 1..16"). ps: the parameter set. */
int jm_midi_binding_check(const jm_paramset_t *ps, const jm_midi_binding_t *b, char *why,
                          size_t whylen);
/* Two bindings listen to the same MIDI control (kind, channel, number; a
 * CC14's LSB counts as a CC too). Pure. */
int jm_midi_binding_clash(const jm_midi_binding_t *a, const jm_midi_binding_t *b);

/* 1 when n is a valid strip or bus name: [A-Za-z][A-Za-z0-9_-]*. */
int jm_session_name_valid(const char *n);

#endif
