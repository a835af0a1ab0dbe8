/* The report's series: momentary, short-term loudness and true peak every
 * JM_REPORT_STEP_S of the output, and its long-term 1/3-octave spectrum
 * (jm_rta_t, src/dsp/rta.c) (include/jmixd/render/report.h). A
 * libebur128 state of its own (modes M, S, TRUE_PEAK) fed in pieces that
 * end exactly on step boundaries, so each point is the meter's reading at
 * that instant; the render's own meter (jm_lmeter_t) keeps giving the
 * summary's numbers. */
#include "jmixd/render/report.h"

#include "jmixd/dsp/rta.h"

#include <ebur128.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct jm_rseries {
    ebur128_state *st;
    size_t step;          /* frames per step */
    size_t fill;          /* frames in the current step */
    uint64_t frames;
    uint32_t rate;
    double tp_step;       /* linear true peak of the current step */
    size_t n, cap;
    double *t, *m, *s, *tp;
    int failed;
    jm_rta_t *rta;
    double band_energy[JM_RTA_BANDS]; /* sum of mean square x frames, per band */
    uint64_t rta_frames;
    float pl[1024], pr[1024];         /* planar copies for the analyser */
};

jm_rseries_t *jm_rseries_create(uint32_t rate)
{
    jm_rseries_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->rate = rate;
    s->step = (size_t)lround(rate * JM_REPORT_STEP_S);
    s->st = ebur128_init(2, rate, EBUR128_MODE_M | EBUR128_MODE_S | EBUR128_MODE_TRUE_PEAK);
    s->rta = jm_rta_new(rate);
    if (!s->st || !s->step || !s->rta) {
        jm_rseries_destroy(s);
        return NULL;
    }
    return s;
}

void jm_rseries_destroy(jm_rseries_t *s)
{
    if (!s) return;
    if (s->st) ebur128_destroy(&s->st);
    jm_rta_free(s->rta);
    free(s->t), free(s->m), free(s->s), free(s->tp);
    free(s);
}

static double db_or_nan(double v, double scale)
{
    if (!(v > 0.0)) return NAN;
    return scale * log10(v);
}

static double lufs_or_nan(double v)
{
    return isfinite(v) && v > JM_LOUDNESS_FLOOR ? v : NAN;
}

static int grow(jm_rseries_t *s)
{
    size_t cap = s->cap ? 2 * s->cap : 1024;
    double **arr[4] = {&s->t, &s->m, &s->s, &s->tp};
    for (int k = 0; k < 4; k++) {
        double *p = realloc(*arr[k], cap * sizeof(double));
        if (!p) return -1;
        *arr[k] = p;
    }
    s->cap = cap;
    return 0;
}

/* The analyser's mean square since the last take, weighted by its frames,
 * into the long-term sums (a mean over the whole file in the end). */
static void take_spectrum(jm_rseries_t *s)
{
    float db[JM_RTA_BANDS];
    uint32_t n = jm_rta_take(s->rta, db);
    if (!n) return;
    for (int b = 0; b < JM_RTA_BANDS; b++)
        s->band_energy[b] += db[b] <= JM_RTA_FLOOR_DB ? 0.0 : pow(10.0, db[b] / 10.0) * n;
    s->rta_frames += n;
}

/* The meter's reading now, as a point at the end of the current step. */
static void point(jm_rseries_t *s)
{
    if (s->failed || (s->n == s->cap && grow(s))) {
        s->failed = 1;
        return;
    }
    double m = -HUGE_VAL, st = -HUGE_VAL;
    ebur128_loudness_momentary(s->st, &m);
    ebur128_loudness_shortterm(s->st, &st);
    s->t[s->n] = (double)s->frames / s->rate;
    s->m[s->n] = lufs_or_nan(m);
    s->s[s->n] = lufs_or_nan(st);
    s->tp[s->n] = db_or_nan(s->tp_step, 20.0);
    s->n++;
    s->fill = 0;
    take_spectrum(s);
    s->tp_step = 0.0;
}

int jm_rseries_add(jm_rseries_t *s, const float *x, size_t frames)
{
    while (frames) {
        size_t n = s->step - s->fill < frames ? s->step - s->fill : frames;
        if (ebur128_add_frames_float(s->st, x, n) != EBUR128_SUCCESS) return -1;
        for (size_t k = 0; k < n;) {
            size_t m = n - k < 1024 ? n - k : 1024;
            for (size_t j = 0; j < m; j++) s->pl[j] = x[2 * (k + j)], s->pr[j] = x[2 * (k + j) + 1];
            jm_rta_process(s->rta, s->pl, s->pr, (uint32_t)m);
            k += m;
        }
        /* prev_true_peak: the peak of the last add only, so keep the step's max */
        for (unsigned c = 0; c < 2; c++) {
            double v = 0.0;
            if (ebur128_prev_true_peak(s->st, c, &v) == EBUR128_SUCCESS && v > s->tp_step)
                s->tp_step = v;
        }
        s->fill += n, s->frames += n;
        x += 2 * n, frames -= n;
        if (s->fill == s->step) point(s);
    }
    return s->failed ? -1 : 0;
}

void jm_rseries_finish(jm_rseries_t *s)
{
    if (s->fill) point(s);
}

size_t jm_rseries_points(const jm_rseries_t *s, const double **t, const double **m,
                         const double **st, const double **tp)
{
    if (t) *t = s->t;
    if (m) *m = s->m;
    if (st) *st = s->s;
    if (tp) *tp = s->tp;
    return s->n;
}

int jm_rseries_spectrum(const jm_rseries_t *s, double db[JM_RTA_BANDS])
{
    if (!s->rta_frames) return -1;
    for (int b = 0; b < JM_RTA_BANDS; b++) {
        double ms = s->band_energy[b] / (double)s->rta_frames;
        db[b] = ms > 0.0 ? 10.0 * log10(ms) : NAN;
        if (db[b] < JM_RTA_FLOOR_DB) db[b] = NAN;
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* As libebur128's ebur128_loudness_range: its short-term blocks are 3 s
 * long every 1 s from 3 s on, which are this series' points at whole
 * seconds (a point at t is the 3 s ending at t). */
int jm_rseries_lra_band(const jm_rseries_t *s, double *lo, double *hi)
{
    double *e = malloc((s->n ? s->n : 1) * sizeof *e), sum = 0.0;
    size_t n = 0, k = 0;
    const double abs_gate = pow(10.0, (-70.0 + 0.691) / 10.0);
    if (!e) return -1;
    for (size_t i = 0; i < s->n; i++) {
        double secs = s->t[i] * 10.0; /* tenths: a whole second is a multiple of 10 */
        long tenths = lround(secs);
        if (fabs(secs - (double)tenths) > 1e-6 || tenths < 30 || tenths % 10) continue;
        if (isnan(s->s[i])) continue;
        double en = pow(10.0, (s->s[i] + 0.691) / 10.0);
        if (en < abs_gate) continue;
        e[n++] = en, sum += en;
    }
    if (n) {
        double rel_gate = 0.01 * sum / (double)n; /* -20 LU */
        for (size_t i = 0; i < n; i++)
            if (e[i] >= rel_gate) e[k++] = e[i];
    }
    if (!k) {
        free(e);
        return -1;
    }
    qsort(e, k, sizeof *e, cmp_double);
    size_t il = (size_t)((double)(k - 1) * 0.10 + 0.5), ih = (size_t)((double)(k - 1) * 0.95 + 0.5);
    *lo = 10.0 * log10(e[il]) - 0.691;
    *hi = 10.0 * log10(e[ih]) - 0.691;
    free(e);
    return 0;
}
