/* The render report (docs/cli.md, "--report"): one self-contained HTML file
 * (inline CSS and SVG, no script, no font, image or link to load) with
 * pictures of what a render wrote:
 *
 *  - momentary (400 ms) and short-term (3 s) loudness over time, ITU-R
 *    BS.1770-4 / EBU R128 (libebur128), every JM_REPORT_STEP_S of the
 *    output as written, with the integrated value, the target and the
 *    loudness-range band;
 *  - true peak per step (libebur128's 4x interpolator) with the ceiling;
 *  - the long-term spectrum: the mean square per 1/3-octave band over the
 *    whole file (jm_rta_t, include/jmixd/dsp/rta.h, AES17 dBFS);
 *  - the monitor curves' responses (jm_monitor_curve_db);
 *  - the summary's numbers and lines.
 *
 * What is plotted is also in a <script type="application/json"
 * id="jmixd-report"> block (data, not a script that runs), and every SVG
 * path is built from exactly those (rounded) values, so a test reads the
 * data back and can map the drawn coordinates onto it (each <svg> says
 * its axes in data-x0/x1/y0/y1, data-left/top/width/height, data-logx).
 *
 * Threads: a series is fed by one thread (the render's meter worker) and
 * read by another only after that one has been joined; everything else
 * runs on the render's thread. */
#ifndef JMIXD_RENDER_REPORT_H
#define JMIXD_RENDER_REPORT_H

#include "jmixd/dsp/rta.h"
#include "jmixd/io/loudness.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JM_REPORT_STEP_S 0.1 /* one point per 100 ms of output (EBU meters refresh at 10 Hz) */

/* ---- the measured series (src/render/report_series.c) ---- */
typedef struct jm_rseries jm_rseries_t;

/* rate: the output's. NULL when out of memory. */
jm_rseries_t *jm_rseries_create(uint32_t rate);
/* Interleaved stereo, as written. Returns 0 or -1 (out of memory). */
int jm_rseries_add(jm_rseries_t *s, const float *interleaved, size_t frames);
/* After the last add: the last partial step becomes a point too. */
void jm_rseries_finish(jm_rseries_t *s);
void jm_rseries_destroy(jm_rseries_t *s);

/* Points so far; t: seconds at the END of each point's step; m, st in
 * LUFS, tp in dBTP (max of both channels over the step), NAN for silence. */
size_t jm_rseries_points(const jm_rseries_t *s, const double **t, const double **m,
                         const double **st, const double **tp);
/* The long-term spectrum: mean square per 1/3-octave band (jm_rta_centre_hz)
 * over everything added, dBFS (a sine of peak A reads 20log10(A)); NAN for
 * a band at the analyser's floor. 0, or -1 when nothing was added. */
int jm_rseries_spectrum(const jm_rseries_t *s, double db[JM_RTA_BANDS]);
/* The loudness range's band (EBU Tech 3342 as libebur128 computes it: the
 * short-term values every 1 s from 3 s on, gated at -70 LUFS and 20 LU
 * below their mean, 10th and 95th percentile). 0, or -1 when there are no
 * such values (lo, hi untouched). */
int jm_rseries_lra_band(const jm_rseries_t *s, double *lo, double *hi);

/* ---- the document (src/render/report.c) ---- */
typedef struct {
    const char *title;           /* heading, e.g. the output file's name */
    const char *what;            /* "render", "album track 2 of 3", "album" */
    const jm_rseries_t *series;
    jm_loudness_result_t loud;   /* the summary's numbers of this file */
    double seconds;              /* length of the file */
    int has_target;              /* --normalize / --platform given */
    double target_lufs;
    const char *target_name;     /* platform name or NULL */
    int has_ceiling;             /* limiter on (normalising or --ceiling) */
    double ceiling_db;
    double gain_db;              /* the normalisation gain (0 without) */
    uint32_t rate;               /* of the output; the monitor curves are at this rate */
    const char *summary;         /* the summary lines as printed on stderr, or NULL */
} jm_report_t;

/* Write the HTML file (created or replaced). 0, or -1 with err. */
int jm_report_write(const char *path, const jm_report_t *r, char *err, size_t errlen);

/* The monitor curves' plot as a standalone SVG document (docs/monitor-curves.svg
 * is `jmixd render --monitor-curves-svg FILE`, at 48 kHz). 0, or -1 with err. */
int jm_report_monitor_svg(const char *path, double rate, char *err, size_t errlen);

/* ---- SVG and HTML helpers (src/render/report_svg.c), exported for the unit test ---- */

/* A plot area: data x0..x1 (log10 when logx) by y0..y1 onto the pixel
 * rectangle left, top, w, h (y up). */
typedef struct {
    double x0, x1, y0, y1;
    int logx;
    double left, top, w, h;
} jm_plot_t;

double jm_plot_px(const jm_plot_t *p, double x);
/* y clamped to y0..y1 (a value off the scale is drawn on its edge). */
double jm_plot_py(const jm_plot_t *p, double y);

/* Linear ticks for lo..hi: a step of 1, 2 or 5 times a power of ten giving
 * at most max_ticks ticks; *first is the first multiple of the step >= lo.
 * Returns the number of ticks (0 when lo >= hi or max_ticks < 2). */
int jm_svg_ticks(double lo, double hi, int max_ticks, double *first, double *step);

/* SVG path data "M x y L x y ..." (two decimals) of the points whose x and
 * y are finite; a non-finite y breaks the line (the next point starts a new
 * "M"). Returns the number of points drawn. */
size_t jm_svg_path(FILE *f, const jm_plot_t *p, const double *x, const double *y, size_t n);

/* Text for HTML and SVG: & < > " ' escaped; control characters other than
 * tab and newline dropped. */
void jm_svg_escape(FILE *f, const char *s);

/* A number for the JSON block and the paths: v rounded to 3 decimals
 * (what both use), and that number printed ("null" when not finite). */
double jm_report_round(double v);
void jm_report_json_num(FILE *f, double v);

#endif
