/* Pieces of the album render (docs/cli.md), shared by src/render/album*.c
 * only. Everything runs on the render's single thread. */
#ifndef JMIXD_ALBUM_INT_H
#define JMIXD_ALBUM_INT_H

#include "render_int.h"

#include <limits.h>
#include <stdio.h>

#define JM_ALBUM_MAX_TRACKS 99    /* a CUE sheet numbers tracks 01..99 */
#define JM_ALBUM_MAX_SECONDS 3600.0 /* gap and fade_out upper bound */
#define JM_ALBUM_TITLE_MAX 200

/* ---- album_file.c: the album file ---- */
typedef struct {
    char title[JM_ALBUM_TITLE_MAX];
    char path[PATH_MAX];  /* resolved against the album file's folder */
    int is_session;       /* session = ...; else file = ... */
    double gap;           /* seconds of silence before the track */
    double fade_out;      /* seconds faded out at its end */
    int line;             /* of its group in the album file */
} jm_album_track_t;

typedef struct {
    char path[PATH_MAX];
    char title[JM_ALBUM_TITLE_MAX];
    int n;
    jm_album_track_t t[JM_ALBUM_MAX_TRACKS];
} jm_album_t;

/* Parse and check (keys, types, ranges, the track files exist). Returns 0,
 * or -1 with err "FILE:LINE: message". */
int jm_album_load(jm_album_t *a, const char *path, char *err, size_t errlen);

/* ---- album_track.c: one track as raw float at the album rate ---- */
typedef struct {
    FILE *tmp;                 /* interleaved stereo float, `frames` of them */
    uint64_t frames;
    uint32_t rate;             /* the album's */
    uint32_t src_rate;         /* the session's mix rate or the file's rate */
    int faded;                 /* fade_out applied (clamped to the track) */
    jm_loudness_result_t loud; /* as mixed, before the album gain */
} jm_atrack_t;

/* Open the track's source (session + stems, or file) and close it again:
 * its rate, and an error before anything is written. outs: paths the
 * album will write, which must not be inputs. Returns 0 or -1 with err. */
int jm_atrack_probe(const jm_album_track_t *t, uint32_t block, const char *const *outs,
                    int n_outs, uint32_t *rate, char *err, size_t errlen);
/* Render (session) or read (file), resample to `rate`, trim a session's
 * silent tail end, fade out, measure. Returns 0 or -1 with err. */
int jm_atrack_render(const jm_album_track_t *t, uint32_t block, uint32_t rate, jm_atrack_t *out,
                     char *err, size_t errlen);
void jm_atrack_free(jm_atrack_t *t);

typedef int (*jm_atrack_sink_fn)(void *ctx, const float *l, const float *r, size_t n);
/* The track with gain_db, through the true-peak limiter at ceiling_db when
 * limit (lookahead removed), to sink in chunks. *gr gets the deepest
 * reduction (may be NULL). Returns 0, or -1 (sink or read failure). */
int jm_atrack_play(jm_atrack_t *t, double gain_db, int limit, double ceiling_db,
                   jm_atrack_sink_fn sink, void *ctx, double *gr);

/* ---- album_write.c: normalise, write the files and the CUE sheet ---- */
typedef struct {
    uint64_t gap, start, frames;   /* album-rate frames; start in the album file */
    uint32_t src_rate;
    int limited, faded;
    double mix_lufs, mix_tp;       /* as mixed, before the album gain */
    double gr_db;                  /* deepest limiter reduction, <= 0 */
    jm_loudness_result_t loud;     /* of the track file as written */
    jm_rseries_t *series;          /* --report: of the track file as written */
    char path[PATH_MAX];
} jm_album_trep_t;

typedef struct {
    uint32_t rate;
    int bits;
    double mix_lufs;               /* the album before gain (gaps included) */
    double gain_db;
    int rounds;                    /* gain corrections because of limiting */
    uint64_t frames;
    jm_loudness_result_t loud;     /* of the album file as written */
    jm_rseries_t *series;          /* --report: of the album file as written */
    char album_path[PATH_MAX], cue_path[PATH_MAX];
    jm_album_trep_t t[JM_ALBUM_MAX_TRACKS];
} jm_album_report_t;

/* Everything after parsing. Returns 0, 1 with err (a track or output
 * problem; nothing written), or 2 with err (failure while writing; what
 * was written is removed). */
int jm_album_run(const jm_album_opts_t *o, const jm_album_t *a, jm_album_report_t *rep,
                 char *err, size_t errlen);
/* The report's series (jm_album_run leaves them on success). */
void jm_album_report_free(jm_album_report_t *rep, int n);

#endif
