/* Render post-processing: the libsoxr resampler and the normalisation stage
 * (gain, then the console's true-peak limiter with its delay removed). */
#include "render_int.h"

#include "jmixd/dsp/limiter.h"

#include <math.h>
#include <soxr.h>
#include <stdlib.h>
#include <string.h>

/* ---- resampler ---- */

struct jm_rsmp {
    soxr_t soxr;
    double ratio;
    float *o[2];
    size_t cap;
};

jm_rsmp_t *jm_rsmp_create(uint32_t in_rate, uint32_t out_rate)
{
    jm_rsmp_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    soxr_error_t e = NULL;
    /* planar float both ways; VHQ: passband to 91.3 % of Nyquist, 175 dB
     * stop band, linear phase */
    soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_S, SOXR_FLOAT32_S);
    soxr_quality_spec_t q = soxr_quality_spec(SOXR_VHQ, 0);
    s->soxr = soxr_create(in_rate, out_rate, 2, &e, &io, &q, NULL);
    s->ratio = (double)out_rate / in_rate;
    if (e || !s->soxr) {
        jm_rsmp_destroy(s);
        return NULL;
    }
    return s;
}

static int grow(jm_rsmp_t *s, size_t need)
{
    if (need <= s->cap) return 0;
    for (int c = 0; c < 2; c++) {
        float *p = realloc(s->o[c], need * sizeof(float));
        if (!p) return -1;
        s->o[c] = p;
    }
    s->cap = need;
    return 0;
}

long jm_rsmp_process(jm_rsmp_t *s, const float *l, const float *r, size_t n, const float **ol,
                     const float **or_)
{
    if (grow(s, (size_t)((double)n * s->ratio) + 1024)) return -1;
    const float *in[2] = {l, r};
    size_t left = n, total = 0;
    for (;;) {
        float *out[2] = {s->o[0] + total, s->o[1] + total};
        size_t idone = 0, odone = 0;
        soxr_error_t e = soxr_process(s->soxr, n ? (soxr_in_t)in : NULL, left, &idone,
                                      (soxr_out_t)out, s->cap - total, &odone);
        if (e) return -1;
        total += odone;
        in[0] += idone, in[1] += idone, left -= idone;
        if (!left && total < s->cap) break; /* input taken, output drained */
        if (total == s->cap && grow(s, 2 * s->cap)) return -1;
    }
    *ol = s->o[0];
    *or_ = s->o[1];
    return (long)total;
}

void jm_rsmp_destroy(jm_rsmp_t *s)
{
    if (!s) return;
    if (s->soxr) soxr_delete(s->soxr);
    free(s->o[0]);
    free(s->o[1]);
    free(s);
}

/* ---- gain + limiter ---- */

#define LIM_RELEASE_MS 100.0f  /* smooth for a whole mix */
#define LIM_LOOKAHEAD_MS 5.0f
#define LIM_SUB 64             /* frames between gain-reduction readings */

struct jm_rlim {
    jm_limiter_t lim;  /* ~50 KB */
    float gain;
    uint32_t latency;
    uint64_t skip;     /* output frames still to drop (the lookahead) */
    double max_gr;
};

jm_rlim_t *jm_rlim_create(uint32_t rate, double gain_db, double ceiling_db)
{
    jm_rlim_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    jm_limiter_init(&s->lim, (float)rate);
    jm_limiter_set(&s->lim, 1, (float)ceiling_db, LIM_RELEASE_MS, LIM_LOOKAHEAD_MS);
    jm_limiter_reset(&s->lim); /* settled: fully on from frame 0, no 5 ms fade-in */
    s->gain = (float)pow(10.0, gain_db / 20.0);
    s->latency = jm_limiter_latency(&s->lim);
    s->skip = s->latency;
    return s;
}

size_t jm_rlim_process(jm_rlim_t *s, float *l, float *r, size_t n, size_t *off)
{
    if (!n) { /* flush: push the lookahead out with silence */
        n = s->latency;
        memset(l, 0, n * sizeof(float));
        memset(r, 0, n * sizeof(float));
    } else {
        for (size_t k = 0; k < n; k++) l[k] *= s->gain, r[k] *= s->gain;
    }
    for (size_t k = 0; k < n; k += LIM_SUB) {
        uint32_t m = (uint32_t)(n - k < LIM_SUB ? n - k : LIM_SUB);
        jm_limiter_process(&s->lim, l + k, r + k, m);
        double gr = jm_limiter_gr_db(&s->lim);
        if (gr < s->max_gr) s->max_gr = gr;
    }
    size_t drop = s->skip < n ? (size_t)s->skip : n;
    s->skip -= drop;
    *off = drop;
    return n - drop;
}

uint32_t jm_rlim_latency(const jm_rlim_t *s) { return s->latency; }
double jm_rlim_max_gr(const jm_rlim_t *s) { return s->max_gr; }
void jm_rlim_destroy(jm_rlim_t *s) { free(s); }
