/* Pieces of the offline render, shared by the files of src/render only. Everything
 * runs on the render's single thread. */
#ifndef JMIXD_RENDER_INT_H
#define JMIXD_RENDER_INT_H

#include "jmixd/io/loudness.h"
#include "jmixd/render/render.h"
#include "jmixd/render/report.h"

#include <stddef.h>
#include <stdint.h>

/* ---- render_mix.c: session + stems + mixer + tail ---- */
typedef struct jm_rmix jm_rmix_t;

/* Loads the session, opens and checks the stems, creates the mixer.
 * Returns 0, or 1 with err. */
int jm_rmix_open(jm_rmix_t **out, const jm_render_opts_t *o, char *err, size_t errlen);
uint32_t jm_rmix_rate(const jm_rmix_t *m);
uint64_t jm_rmix_stem_frames(const jm_rmix_t *m);
int jm_rmix_tail_capped(const jm_rmix_t *m);
/* 1 when path is one of the open stems (same file, whatever the name). */
int jm_rmix_is_stem(const jm_rmix_t *m, const char *path);
/* Automation lanes the render plays (read, touch, latch with points). */
int jm_rmix_lanes(const jm_rmix_t *m);
/* Frames of the silent pre-roll run before frame 0 (render.h). */
uint64_t jm_rmix_preroll(const jm_rmix_t *m);
/* One cycle of --block frames: *l, *r point at the master output (valid
 * until the next call). Returns the frames to keep (fewer than the block
 * in the last cycle, where the tail ends), 0 when done, -1 on a read error
 * (err set). */
int jm_rmix_next(jm_rmix_t *m, const float **l, const float **r, char *err, size_t errlen);
void jm_rmix_close(jm_rmix_t *m);

/* ---- render_dsp.c: resampler and normalisation limiter ---- */
typedef struct jm_rsmp jm_rsmp_t;

/* libsoxr, very high quality, stereo planar float; output time-aligned
 * with the input (soxr removes its own delay). NULL on failure. */
jm_rsmp_t *jm_rsmp_create(uint32_t in_rate, uint32_t out_rate);
/* Feed n frames (n == 0: flush the end; call until it returns 0). *ol, *or
 * point at the output, valid until the next call. Returns frames or -1. */
long jm_rsmp_process(jm_rsmp_t *s, const float *l, const float *r, size_t n, const float **ol,
                     const float **or_);
void jm_rsmp_destroy(jm_rsmp_t *s);

typedef struct jm_rlim jm_rlim_t;

/* gain (dB), then the true-peak limiter at ceiling_db, with its lookahead
 * removed: output frame k is input frame k. */
jm_rlim_t *jm_rlim_create(uint32_t rate, double gain_db, double ceiling_db);
/* In place on l, r (n <= 4096); *off is set to the first frame to keep.
 * Returns the number of frames to keep from l + *off. n == 0: flush the
 * lookahead (l, r must hold room for the latency; at most 4096). */
size_t jm_rlim_process(jm_rlim_t *s, float *l, float *r, size_t n, size_t *off);
uint32_t jm_rlim_latency(const jm_rlim_t *s);
double jm_rlim_max_gr(const jm_rlim_t *s);
void jm_rlim_destroy(jm_rlim_t *s);

/* ---- render_meter.c: a jm_lmeter on a worker thread ---- */
typedef struct jm_rmeter jm_rmeter_t;

jm_rmeter_t *jm_rmeter_create(uint32_t rate, int full);
/* Also feed the report's series (before the first add; the worker owns it
 * until finish or destroy). */
void jm_rmeter_series(jm_rmeter_t *r, jm_rseries_t *s);
/* Copy frames to the worker (waits only when its queue is full). */
void jm_rmeter_add(jm_rmeter_t *r, const float *interleaved, size_t frames);
void jm_rmeter_add_planar(jm_rmeter_t *r, const float *l, const float *rr, size_t frames);
/* Wait for the worker to measure everything, stop it, give the result.
 * Returns 0 or -1 (the meter failed). Call once, then destroy. */
int jm_rmeter_finish(jm_rmeter_t *r, jm_loudness_result_t *out);
void jm_rmeter_destroy(jm_rmeter_t *r);

/* ---- render_out.c: the output file ---- */
typedef struct jm_rout jm_rout_t;

/* Format by extension (.wav, .aiff/.aif, .flac) and bits (16, 24, 32 float;
 * 0 picks 32, or 24 for FLAC). Returns 0, or -1 with err. */
int jm_rout_format(const char *path, int bits, int *sf_format, int *bits_out, char *err,
                   size_t errlen);
jm_rout_t *jm_rout_open(const char *path, uint32_t rate, int bits, char *err, size_t errlen);
/* Quantise (TPDF dither for PCM), write, and feed what was written to
 * meter (may be NULL). Returns 0 or -1 (err set). */
int jm_rout_write(jm_rout_t *o, const float *l, const float *r, size_t n, jm_rmeter_t *meter,
                  char *err, size_t errlen);
uint64_t jm_rout_clipped(const jm_rout_t *o);
/* Finalise the header. Returns 0 or -1. remove: delete the file too. */
int jm_rout_close(jm_rout_t *o, int remove);

/* Command-line helpers shared by render and album (render_cli.c). */
/* A number in lo..hi: 0, or -1. */
int jm_rcli_number(const char *text, double lo, double hi, double *out);
/* "--opt value" or "--opt=value" at argv[*i]: the value ("" when missing),
 * or NULL when argv[*i] is not opt. */
const char *jm_rcli_value_of(int argc, char **argv, int *i, const char *opt);

/* An option of a command line: its name (and another, e.g. "-o" and
 * "--output") and what its value does to the options struct; apply
 * returns 0, or 1 with err set. */
typedef struct {
    const char *name, *alias;
    int (*apply)(void *opts, const char *value, char *err, size_t errlen);
} jm_rcli_opt_t;

/* The option loop of render and album: -h/--help prints usage (returns 2);
 * an argument that is none of the n options goes to other() (0, or 1 with
 * err). Returns 0, or 1 with err set. */
int jm_rcli_parse(int argc, char **argv, const jm_rcli_opt_t *opts, size_t n, void *o,
                  const char *usage, int (*other)(void *o, const char *arg, char *err,
                                                  size_t errlen),
                  char *err, size_t errlen);

/* Values both commands take, checked alike; 0, or 1 with err. */
int jm_rcli_block(const char *v, uint32_t *out, char *err, size_t errlen);
int jm_rcli_rate(const char *v, uint32_t *out, char *err, size_t errlen);
int jm_rcli_bits(const char *v, int *out, char *err, size_t errlen);
int jm_rcli_ceiling(const char *v, double *out, char *err, size_t errlen);
/* --normalize LUFS (platform NULL) or --platform NAME (*platform set),
 * once between them: *normalize is set. */
int jm_rcli_target(const char *v, int is_platform, int *normalize, double *lufs,
                   const char **platform, char *err, size_t errlen);

#endif
