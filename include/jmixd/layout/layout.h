/* Controller layouts generated from a session (docs/cli.md): a TouchOSC layout
 * (.tosc: zlib-compressed lexml XML) and an Open Stage Control session
 * (JSON), both wired to the native addresses in `norm` style.
 *
 * Both writers render the same control list (jm_layout_t), built once from
 * the session and its parameter table, so the two files always carry the
 * same controls and addresses.
 *
 * Threads: an offline command; every function runs on the calling thread
 * and touches no shared state. */
#ifndef JMIXD_LAYOUT_H
#define JMIXD_LAYOUT_H

#include "jmixd/session/session.h"

#include <stddef.h>

#define JM_LAYOUT_STRIPS_PER_PAGE 8
#define JM_LAYOUT_TEXT_MAX 200

typedef enum {
    /* one of each per strip */
    JM_LC_NAME,        /* label: the strip's name */
    JM_LC_PAN,         /* fader, /strip/N/pan/norm */
    JM_LC_MUTE,        /* toggle sending 0/1, /strip/N/mute */
    JM_LC_SOLO,        /* toggle sending 0/1, /strip/N/solo */
    JM_LC_FADER,       /* fader, /strip/N/fader/norm */
    JM_LC_METER,       /* display, first float of /meter/strip/N (peak, 0..1) */
    /* master and global */
    JM_LC_MASTER_FADER,
    JM_LC_MASTER_METER,  /* display, first float of /meter/master (peak L) */
    JM_LC_LOUDNESS,      /* readout, first float of /meter/loudness (momentary LUFS) */
    JM_LC_SUBSCRIBE,     /* button sending /subscribe i:feedback_port s:norm (a
                          * performer's layout: /performer/login s:NAME s:PIN first) */
    JM_LC_TEXT,          /* static text: titles, row captions, help */
    /* a performer's layout (--performer): its mix only */
    JM_LC_SEND,          /* fader, /strip/N/send/B/level/norm (one per strip) */
    JM_LC_BUS_FADER,     /* fader, /bus/B/fader/norm */
    JM_LC_BUS_MUTE,      /* toggle sending 0/1, /bus/B/mute */
    JM_LC_BUS_METER      /* display, first float of /meter/bus/B (peak) */
} jm_layout_kind_t;

/* Where a control sits. */
enum { JM_LAYOUT_HEADER = -1, JM_LAYOUT_EVERY_PAGE = -2 };

typedef struct {
    jm_layout_kind_t kind;
    int strip;                      /* 1-based for strip controls, else 0 */
    int page;                       /* 0-based page, or JM_LAYOUT_HEADER / _EVERY_PAGE */
    char id[48];                    /* unique: s3_fader, master_fader, subscribe ... */
    char address[JM_PATH_MAX + 8];  /* "" for static text */
    char text[JM_LAYOUT_TEXT_MAX];  /* label text or caption */
    float value;                    /* initial value: norm position or 0/1 */
    float x, y, w, h;               /* frame, relative to its page or the header */
} jm_layout_ctl_t;

typedef struct {
    const char *host;   /* daemon address for Open Stage Control targets (default 127.0.0.1) */
    int daemon_port;    /* daemon OSC port; 0: the session's osc.port */
    int feedback_port;  /* the controller's receive port sent in /subscribe; 0: 9000 */
    const char *performer; /* a performer's name: that mix only (docs/cli.md); NULL: the
                            * engineer's layout */
} jm_layout_opts_t;

typedef struct {
    jm_layout_ctl_t *c;
    size_t n, cap;
    int n_pages;            /* TouchOSC pages of JM_LAYOUT_STRIPS_PER_PAGE strips */
    int n_strips;
    float width, height;    /* canvas */
    float header_h;         /* header band above the pages */
    char title[JM_LAYOUT_TEXT_MAX];
    char host[64];
    int daemon_port, feedback_port;
    int bus;                /* a performer's layout: its bus, 1-based; 0: engineer's */
    char login[JM_NAME_MAX];  /* a performer's layout: /performer/login s:login s:pin */
    char pin[JM_PIN_MAX];
} jm_layout_t;

/* Build the control list: the engineer's, or with o->performer that
 * performer's mix (a send fader per strip, its bus's fader, mute and
 * meter; every address one jm_perm_param_ok allows it). Returns 0, or -1
 * with a message in err (an unknown performer too). */
int jm_layout_build(jm_layout_t *l, const jm_session_t *s, const jm_layout_opts_t *o,
                    char *err, size_t errlen);
void jm_layout_free(jm_layout_t *l);

/* The documents, as malloc'd NUL-terminated text (NULL when out of memory). */
char *jm_layout_touchosc_xml(const jm_layout_t *l);
char *jm_layout_osc_json(const jm_layout_t *l);

/* Write OUT.tosc (zlib stream of the XML) or OUT.json atomically.
 * Returns 0, or -1 with a message in err. */
int jm_layout_write_touchosc(const jm_layout_t *l, const char *path, char *err, size_t errlen);
int jm_layout_write_osc(const jm_layout_t *l, const char *path, char *err, size_t errlen);

/* `jmixd layout SESSION --touchosc OUT.tosc [--open-stage-control OUT.json]`;
 * argv[0] is "layout". Returns the process exit code. */
int jm_layout_main(int argc, char **argv);

#endif
