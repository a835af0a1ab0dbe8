/* jm_render_run: the passes of an offline render (see include/jmixd/render/render.h).
 *
 * Direct (no gain stage): mixer -> [resampler] -> output file, one pass.
 * Gain stage (--normalize, --platform, --ceiling): mixer -> [resampler] ->
 * temporary file (raw float) and a loudness meter; then gain + limiter over
 * the temporary file, measured and corrected until the target is met, and
 * a last identical pass writes the output. The mixer runs once either way. */
#include "render_int.h"

#include "jmixd/util/rt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STAGE 4096           /* frames handed from the mixer to what follows */
#define MAX_ROUNDS 8         /* gain corrections when limiting lowers loudness */
#define LUFS_TOL 0.01        /* stop correcting below this miss (LU) */
#define CEIL_MARGIN_DB 0.02  /* libebur128's interpolator is not the limiter's */
#define SKIP_MARGIN_DB 0.5   /* the limiter's detector may read above BS.1770's */

typedef struct {
    const jm_render_opts_t *o;
    jm_render_report_t *rep;
    char *err;
    size_t errlen;
    jm_rout_t *out;          /* direct: the file */
    jm_rmeter_t *meter;      /* direct: the file's meter; else the mix's */
    FILE *tmp;               /* gain stage: raw interleaved float */
    jm_rsmp_t *rs;
    float stage[2][STAGE];
    size_t staged;
    float inter[2 * STAGE];
    double t0, last_progress;
    uint64_t mixed, stem_frames;
    uint32_t mix_rate;
} ctx_t;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void progress(ctx_t *c, int force_end)
{
    if (!c->o->progress) return;
    if (force_end) {
        fprintf(stderr, "\r\033[K");
        return;
    }
    double t = now_s();
    if (t - c->last_progress < 0.25) return;
    c->last_progress = t;
    double at = (double)c->mixed / c->mix_rate, total = (double)c->stem_frames / c->mix_rate;
    double speed = at / (t - c->t0 > 1e-6 ? t - c->t0 : 1e-6);
    if (c->mixed <= c->stem_frames)
        fprintf(stderr, "\rrender: %.1f of %.1f s (%.0f%%), %.0fx real time\033[K", at, total,
                total > 0 ? 100.0 * at / total : 100.0, speed);
    else
        fprintf(stderr, "\rrender: tail %.1f s, %.0fx real time\033[K", at - total, speed);
}

/* Mixed (and resampled) frames go to the file or to the temporary file. */
static int sink(ctx_t *c, const float *l, const float *r, size_t n)
{
    if (c->out) return jm_rout_write(c->out, l, r, n, c->meter, c->err, c->errlen);
    while (n) { /* upsampling hands over more than STAGE frames at a time */
        size_t m = n < STAGE ? n : STAGE;
        for (size_t k = 0; k < m; k++) c->inter[2 * k] = l[k], c->inter[2 * k + 1] = r[k];
        jm_rmeter_add(c->meter, c->inter, m);
        if (fwrite(c->inter, 2 * sizeof(float), m, c->tmp) != m) {
            snprintf(c->err, c->errlen, "cannot write the temporary file (disk full?)");
            return -1;
        }
        l += m, r += m, n -= m;
    }
    return 0;
}

static int flush_stage(ctx_t *c, int last)
{
    const float *l = c->stage[0], *r = c->stage[1];
    long n = (long)c->staged;
    c->staged = 0;
    if (c->rs) {
        n = jm_rsmp_process(c->rs, l, r, (size_t)n, &l, &r);
        if (n < 0) goto rs_fail;
    }
    if (n > 0 && sink(c, l, r, (size_t)n)) return -1;
    while (last && c->rs) { /* the resampler's last frames */
        n = jm_rsmp_process(c->rs, NULL, NULL, 0, &l, &r);
        if (n < 0) goto rs_fail;
        if (!n) break;
        if (sink(c, l, r, (size_t)n)) return -1;
    }
    return 0;
rs_fail:
    snprintf(c->err, c->errlen, "resampler failed");
    return -1;
}

/* The mixer from frame 0 to the end of the tail. */
static int mix_pass(ctx_t *c, jm_rmix_t *mix)
{
    const float *l, *r;
    int n;
    while ((n = jm_rmix_next(mix, &l, &r, c->err, c->errlen)) > 0) {
        for (int done = 0; done < n;) {
            size_t m = (size_t)(n - done) < STAGE - c->staged ? (size_t)(n - done)
                                                             : STAGE - c->staged;
            memcpy(c->stage[0] + c->staged, l + done, m * sizeof(float));
            memcpy(c->stage[1] + c->staged, r + done, m * sizeof(float));
            c->staged += m;
            done += (int)m;
            if (c->staged == STAGE && flush_stage(c, 0)) return -1;
        }
        c->mixed += (uint64_t)n;
        progress(c, 0);
    }
    if (n < 0) return -1;
    return flush_stage(c, 1);
}

/* Gain + limiter over the temporary file: to `out` and `fin` when given
 * (the written pass), else only measured into `round`. Returns 0 or -1. */
static int gain_pass(ctx_t *c, double gain_db, jm_rout_t *out, jm_rmeter_t *fin,
                     jm_lmeter_t *round)
{
    uint32_t rate = c->rep->out_rate;
    double ceil = c->o->ceiling_db - CEIL_MARGIN_DB;
    jm_rlim_t *lim = jm_rlim_create(rate, gain_db, ceil < -12.0 ? -12.0 : ceil);
    float *l = c->stage[0], *r = c->stage[1];
    int result = -1;
    if (!lim) {
        snprintf(c->err, c->errlen, "out of memory");
        return -1;
    }
    rewind(c->tmp);
    for (int end = 0; !end;) {
        size_t n = fread(c->inter, 2 * sizeof(float), STAGE, c->tmp), off;
        if (!n) {
            if (ferror(c->tmp)) {
                snprintf(c->err, c->errlen, "cannot read the temporary file");
                goto done;
            }
            end = 1; /* flush the lookahead */
        }
        for (size_t k = 0; k < n; k++) l[k] = c->inter[2 * k], r[k] = c->inter[2 * k + 1];
        size_t keep = jm_rlim_process(lim, l, r, n, &off);
        if (out) {
            if (keep && jm_rout_write(out, l + off, r + off, keep, fin, c->err, c->errlen))
                goto done;
        } else if (keep) {
            jm_lmeter_add_planar(round, l + off, r + off, keep);
        }
    }
    result = 0;
    if (c->rep->limiter_gr_db > jm_rlim_max_gr(lim)) c->rep->limiter_gr_db = jm_rlim_max_gr(lim);
done:
    jm_rlim_destroy(lim);
    return result;
}

/* Pick the gain (measure, correct), then write. Returns 0, 1 or 2. */
static int gain_stage(ctx_t *c, jm_rout_t *out, jm_rmeter_t *final)
{
    jm_loudness_result_t mix;
    if (jm_rmeter_finish(c->meter, &mix)) {
        snprintf(c->err, c->errlen, "loudness meter failed");
        return 2;
    }
    c->rep->mix_lufs = mix.integrated;
    double gain = 0.0;
    if (c->o->normalize) {
        if (mix.integrated <= -70.0) {
            snprintf(c->err, c->errlen, "cannot normalise: the mix is silent (below the -70 LUFS "
                     "gate)");
            return 1;
        }
        gain = c->o->target_lufs - mix.integrated;
        /* peaks well under the ceiling after the gain: the limiter will not
         * act and loudness moves by exactly the gain, no need to measure */
        int rounds = mix.true_peak + gain > c->o->ceiling_db - SKIP_MARGIN_DB ? MAX_ROUNDS : 0;
        double g_prev = 0.0, i_prev = mix.integrated; /* gain 0 gave the mix's loudness */
        for (int round = 0; round < rounds; round++) {
            jm_lmeter_t *m = jm_lmeter_create(c->rep->out_rate, 0);
            jm_loudness_result_t got;
            int bad = !m || gain_pass(c, gain, NULL, NULL, m);
            if (!bad) jm_lmeter_result(m, &got);
            jm_lmeter_destroy(m);
            if (bad) return 2;
            double miss = c->o->target_lufs - got.integrated;
            if (fabs(miss) < LUFS_TOL || round == rounds - 1) break;
            /* secant step: limiting makes loudness grow slower than gain */
            double slope = fabs(gain - g_prev) > 1e-6 ? (got.integrated - i_prev) / (gain - g_prev)
                                                      : 1.0;
            slope = slope < 0.05 ? 0.05 : slope > 1.0 ? 1.0 : slope;
            g_prev = gain, i_prev = got.integrated;
            gain += miss / slope;
        }
    }
    c->rep->gain_db = gain;
    c->rep->limiter_gr_db = 0.0; /* report the written pass only */
    if (c->o->progress) fprintf(stderr, "\rrender: writing\033[K");
    return gain_pass(c, gain, out, final, NULL) ? 2 : 0;
}

int jm_render_run(const jm_render_opts_t *o, jm_render_report_t *rep, char *err, size_t errlen)
{
    memset(rep, 0, sizeof *rep);
    jm_rt_set_ftz_daz(); /* as the JACK thread runs the mixer */
    ctx_t *c = calloc(1, sizeof *c);
    jm_rmix_t *mix = NULL;
    jm_rout_t *out = NULL;
    jm_rmeter_t *final = NULL;
    jm_rseries_t *series = NULL;
    int rc = 1, fmt;
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return 2;
    }
    *c = (ctx_t){.o = o, .rep = rep, .err = err, .errlen = errlen, .t0 = now_s()};
    c->last_progress = c->t0; /* first progress line after 0.25 s */
    if (jm_rout_format(o->out, o->bits, &fmt, &rep->bits, err, errlen)) goto done;
    if (jm_rmix_open(&mix, o, err, errlen)) goto done;
    if (jm_rmix_is_stem(mix, o->out)) {
        snprintf(err, errlen, "output '%s' is one of the stems: choose another file", o->out);
        goto done;
    }
    if (o->report && jm_rmix_is_stem(mix, o->report)) {
        snprintf(err, errlen, "report '%s' is one of the stems: choose another file", o->report);
        goto done;
    }
    c->mix_rate = rep->mix_rate = jm_rmix_rate(mix);
    c->stem_frames = jm_rmix_stem_frames(mix);
    rep->out_rate = o->rate ? o->rate : rep->mix_rate;
    rc = 2;
    if (rep->out_rate != rep->mix_rate &&
        !(c->rs = jm_rsmp_create(rep->mix_rate, rep->out_rate))) {
        snprintf(err, errlen, "cannot create the resampler");
        goto done;
    }
    final = jm_rmeter_create(rep->out_rate, 1);
    if (final && o->report) { /* the series of what is written, on the meter's worker */
        if (!(series = jm_rseries_create(rep->out_rate))) {
            snprintf(err, errlen, "cannot set up the report (out of memory)");
            goto done;
        }
        jm_rmeter_series(final, series);
    }
    int staged = o->normalize || o->limit;
    c->meter = staged ? jm_rmeter_create(rep->out_rate, 1) : final; /* full: its true peak */
    c->tmp = staged ? tmpfile() : NULL;
    if (!final || !c->meter || (staged && !c->tmp)) {
        snprintf(err, errlen, "cannot set up the render (out of memory or no temporary file)");
        goto done;
    }
    if (!(out = jm_rout_open(o->out, rep->out_rate, rep->bits, err, errlen))) {
        rc = 1;
        goto done;
    }
    c->out = staged ? NULL : out;
    if (mix_pass(c, mix)) goto done;
    progress(c, 1);
    if (staged && (rc = gain_stage(c, out, final))) goto done;
    progress(c, 1);
    rep->stem_seconds = (double)c->stem_frames / rep->mix_rate;
    rep->tail_seconds = (double)c->mixed / rep->mix_rate - rep->stem_seconds;
    rep->tail_capped = jm_rmix_tail_capped(mix);
    rep->lanes = jm_rmix_lanes(mix);
    rep->preroll_seconds = (double)jm_rmix_preroll(mix) / rep->mix_rate;
    if (jm_rmeter_finish(final, &rep->loud)) {
        snprintf(err, errlen, "loudness meter failed");
        goto done;
    }
    rep->frames = rep->loud.frames;
    rep->clipped = jm_rout_clipped(out);
    rc = jm_rout_close(out, 0) ? 2 : 0;
    out = NULL;
    if (rc) snprintf(err, errlen, "cannot finish '%s' (disk full?)", o->out);
    rep->wall_seconds = now_s() - c->t0;
    rep->speed = (double)rep->frames / rep->out_rate /
                 (rep->wall_seconds > 1e-9 ? rep->wall_seconds : 1e-9);
    if (!rc) rep->series = series, series = NULL;
done:
    progress(c, 1);
    jm_rout_close(out, 1); /* only on failure: no half-written file left */
    if (c->meter != final) jm_rmeter_destroy(c->meter);
    jm_rmeter_destroy(final); /* joins the worker: the series is ours again */
    jm_rseries_destroy(series);
    if (c->tmp) fclose(c->tmp);
    jm_rsmp_destroy(c->rs);
    jm_rmix_close(mix);
    free(c);
    return rc;
}
