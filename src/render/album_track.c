/* One album track as raw interleaved float at the album rate, in a
 * temporary file: a session rendered as `jmixd render` renders it (same
 * mixer, --block cycles, pre-roll, tail) or a finished file read as is;
 * then resampled (libsoxr) if its rate is not the album's, a session's
 * silent tail end trimmed (the album's gaps set the spacing), faded out,
 * and measured (BS.1770-4) before any album gain. */
#include "album_int.h"

#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CHUNK 4096

typedef struct {
    jm_rmix_t *mix;  /* session, or */
    SNDFILE *sf;     /* file */
    int channels;
    uint32_t rate;
} src_t;

static void src_close(src_t *s)
{
    jm_rmix_close(s->mix);
    if (s->sf) sf_close(s->sf);
    memset(s, 0, sizeof *s);
}

static int src_open(src_t *s, const jm_album_track_t *t, uint32_t block, char *err,
                    size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (t->is_session) {
        jm_render_opts_t *o = calloc(1, sizeof *o);
        if (!o) return snprintf(err, errlen, "out of memory"), -1;
        o->session = t->path, o->block = block, o->ceiling_db = -1.0;
        int rc = jm_rmix_open(&s->mix, o, err, errlen);
        free(o);
        if (rc) return -1;
        s->rate = jm_rmix_rate(s->mix);
        return 0;
    }
    SF_INFO info = {0};
    if (!(s->sf = sf_open(t->path, SFM_READ, &info)))
        return snprintf(err, errlen, "track '%s': %s", t->path, sf_strerror(NULL)), -1;
    s->channels = info.channels, s->rate = (uint32_t)info.samplerate;
    if (info.channels < 1 || info.channels > 2) {
        snprintf(err, errlen, "track '%s' has %d channels (give it 1 or 2)", t->path,
                 info.channels);
        return src_close(s), -1;
    }
    return 0;
}

/* Next frames of the source: planar, n > 0, 0 at the end, -1 on error. */
static long src_next(src_t *s, float *buf, float *l, float *r, const float **pl,
                     const float **pr, char *err, size_t errlen)
{
    if (s->mix) return jm_rmix_next(s->mix, pl, pr, err, errlen);
    sf_count_t got = sf_readf_float(s->sf, buf, CHUNK);
    if (got < 0 || sf_error(s->sf))
        return snprintf(err, errlen, "reading a track: %s", sf_strerror(s->sf)), -1;
    for (sf_count_t k = 0; k < got; k++)
        l[k] = buf[s->channels * k], r[k] = buf[s->channels * k + s->channels - 1];
    *pl = l, *pr = r;
    return (long)got;
}

static int same_file(const char *a, const char *b)
{
    struct stat x, y;
    return !stat(a, &x) && !stat(b, &y) && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

int jm_atrack_probe(const jm_album_track_t *t, uint32_t block, const char *const *outs,
                    int n_outs, uint32_t *rate, char *err, size_t errlen)
{
    src_t s;
    if (src_open(&s, t, block, err, errlen)) return -1;
    *rate = s.rate;
    for (int i = 0; i < n_outs; i++)
        if (s.mix ? jm_rmix_is_stem(s.mix, outs[i]) : same_file(t->path, outs[i])) {
            snprintf(err, errlen, "'%s' would overwrite an input of track '%s': choose another "
                     "output folder", outs[i], t->title);
            src_close(&s);
            return -1;
        }
    src_close(&s);
    return 0;
}

typedef struct {
    jm_atrack_t *t;
    float inter[2 * CHUNK];
    float thresh;
    uint64_t loud_end;   /* frames up to the last one above the threshold */
} wctx_t;

static int put(wctx_t *w, const float *l, const float *r, size_t n)
{
    while (n) {
        size_t m = n < CHUNK ? n : CHUNK;
        for (size_t k = 0; k < m; k++) {
            w->inter[2 * k] = l[k], w->inter[2 * k + 1] = r[k];
            if (fabsf(l[k]) >= w->thresh || fabsf(r[k]) >= w->thresh)
                w->loud_end = w->t->frames + k + 1;
        }
        if (fwrite(w->inter, 2 * sizeof(float), m, w->t->tmp) != m) return -1;
        w->t->frames += m;
        l += m, r += m, n -= m;
    }
    return 0;
}

/* Raised-cosine fade over the last n frames, in place: smooth at both
 * ends, exactly 0 at the last frame. */
static int fade(jm_atrack_t *t, uint64_t n, float *buf)
{
    uint64_t at = t->frames - n;
    for (uint64_t done = 0; done < n;) {
        size_t m = n - done < CHUNK ? (size_t)(n - done) : CHUNK;
        off_t pos = (off_t)((at + done) * 2 * sizeof(float));
        if (fseeko(t->tmp, pos, SEEK_SET) || fread(buf, 2 * sizeof(float), m, t->tmp) != m)
            return -1;
        for (size_t k = 0; k < m; k++) {
            float g = (float)(0.5 + 0.5 * cos(M_PI * (double)(done + k + 1) / (double)n));
            buf[2 * k] *= g, buf[2 * k + 1] *= g;
        }
        if (fseeko(t->tmp, pos, SEEK_SET) || fwrite(buf, 2 * sizeof(float), m, t->tmp) != m)
            return -1;
        done += m;
    }
    return fflush(t->tmp);
}

static int meter_sink(void *ctx, const float *l, const float *r, size_t n)
{
    return jm_lmeter_add_planar(ctx, l, r, n);
}

int jm_atrack_render(const jm_album_track_t *t, uint32_t block, uint32_t rate, jm_atrack_t *out,
                     char *err, size_t errlen)
{
    src_t s;
    jm_rsmp_t *rs = NULL;
    wctx_t *w = calloc(1, sizeof *w);
    float *lr = calloc(3 * CHUNK, 2 * sizeof(float));
    int rc = -1;
    long n;
    const float *l, *r;
    memset(out, 0, sizeof *out);
    if (!w || !lr) return free(w), free(lr), snprintf(err, errlen, "out of memory"), -1;
    if (src_open(&s, t, block, err, errlen)) return free(w), free(lr), -1;
    out->src_rate = s.rate, out->rate = rate;
    *w = (wctx_t){.t = out, .thresh = (float)pow(10.0, JM_RENDER_SILENCE_DB / 20.0)};
    if (!(out->tmp = tmpfile()) || (s.rate != rate && !(rs = jm_rsmp_create(s.rate, rate)))) {
        snprintf(err, errlen, "cannot set up track '%s' (temporary file or resampler)", t->title);
        goto done;
    }
    for (;;) {
        n = src_next(&s, lr + 2 * CHUNK, lr, lr + CHUNK, &l, &r, err, errlen);
        if (n <= 0) break;
        if (rs && (n = jm_rsmp_process(rs, l, r, (size_t)n, &l, &r)) < 0) goto rs_fail;
        if (n > 0 && put(w, l, r, (size_t)n)) goto io_fail;
    }
    if (n < 0) goto done;
    while (rs) { /* the resampler's last frames */
        if ((n = jm_rsmp_process(rs, NULL, NULL, 0, &l, &r)) < 0) goto rs_fail;
        if (!n) break;
        if (put(w, l, r, (size_t)n)) goto io_fail;
    }
    if (t->is_session && w->loud_end) out->frames = w->loud_end; /* trim the silent second */
    if (t->fade_out > 0 && out->frames) {
        uint64_t f = (uint64_t)llround(t->fade_out * rate);
        if (f > out->frames) f = out->frames;
        out->faded = 1;
        if (f && fade(out, f, lr)) goto io_fail;
    }
    jm_lmeter_t *m = jm_lmeter_create(rate, 1);
    if (!m) goto oom;
    int bad = jm_atrack_play(out, 0.0, 0, 0.0, meter_sink, m, NULL);
    if (!bad) jm_lmeter_result(m, &out->loud);
    jm_lmeter_destroy(m);
    if (bad) goto io_fail;
    rc = 0;
    goto done;
rs_fail:
    snprintf(err, errlen, "track '%s': resampler failed", t->title);
    goto done;
io_fail:
    snprintf(err, errlen, "track '%s': temporary file: %s", t->title,
             errno ? strerror(errno) : "read/write failed");
    goto done;
oom:
    snprintf(err, errlen, "out of memory");
done:
    jm_rsmp_destroy(rs);
    src_close(&s);
    free(w);
    free(lr);
    if (rc) jm_atrack_free(out);
    return rc;
}

void jm_atrack_free(jm_atrack_t *t)
{
    if (t->tmp) fclose(t->tmp);
    t->tmp = NULL;
}

int jm_atrack_play(jm_atrack_t *t, double gain_db, int limit, double ceiling_db,
                   jm_atrack_sink_fn sink, void *ctx, double *gr)
{
    float *buf = malloc(4 * CHUNK * sizeof(float)), *l, *r;
    jm_rlim_t *lim = limit ? jm_rlim_create(t->rate, gain_db, ceiling_db) : NULL;
    float g = (float)pow(10.0, gain_db / 20.0); /* as jm_rlim applies it */
    int rc = -1;
    if (!buf || (limit && !lim)) goto done;
    l = buf + 2 * CHUNK, r = l + CHUNK;
    rewind(t->tmp);
    for (uint64_t left = t->frames;;) {
        size_t n = left < CHUNK ? (size_t)left : CHUNK, off = 0, keep;
        if (n && fread(buf, 2 * sizeof(float), n, t->tmp) != n) goto done;
        left -= n;
        for (size_t k = 0; k < n; k++) l[k] = buf[2 * k], r[k] = buf[2 * k + 1];
        if (lim) {
            keep = jm_rlim_process(lim, l, r, n, &off); /* n == 0: flush the lookahead */
        } else {
            for (size_t k = 0; k < n; k++) l[k] *= g, r[k] *= g;
            keep = n;
        }
        if (keep && sink(ctx, l + off, r + off, keep)) goto done;
        if (!n) break;
    }
    rc = 0;
    if (gr) *gr = lim ? jm_rlim_max_gr(lim) : 0.0;
done:
    jm_rlim_destroy(lim);
    free(buf);
    return rc;
}
