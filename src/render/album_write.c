/* jm_album_run: tracks -> album gain -> track files -> album file -> CUE.
 *
 * The album file is built by copying the track files as written (integers
 * for PCM, so dither is not applied twice) with the gaps between them, so
 * it is the track files joined, sample for sample. Both are measured from
 * what was written. */
#include "album_int.h"

#include "jmixd/util/rt.h"

#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK 4096
#define MAX_ROUNDS 8
#define LUFS_TOL 0.01
#define CEIL_MARGIN_DB 0.02 /* as render.c: libebur128's interpolator is not the limiter's */
#define SKIP_MARGIN_DB 0.5  /* limit a track whose peak comes this close to the ceiling */

typedef struct {
    const jm_album_opts_t *o;
    const jm_album_t *a;
    jm_album_report_t *rep;
    jm_atrack_t tr[JM_ALBUM_MAX_TRACKS];
    const char *written[JM_ALBUM_MAX_TRACKS + 2];
    int n_written, made_dir;
    char *err;
    size_t errlen;
} ctx_t;

/* A title as a file name: no '/', no control characters, no leading dot. */
static void file_name(char *out, size_t len, const char *title)
{
    size_t n = 0;
    for (const char *p = title; *p && n + 1 < len; p++) {
        unsigned char ch = (unsigned char)*p;
        int bad = ch == '/' || ch < 0x20 || ch == 0x7f || (!n && ch == '.');
        out[n] = bad ? '_' : (char)ch;
        n++;
    }
    out[n] = '\0';
}

static const char *ext_of(const jm_album_opts_t *o)
{
    return !o->format || !strcmp(o->format, "wav") ? "wav" : o->format;
}

static void name_outputs(ctx_t *c)
{
    char base[JM_ALBUM_TITLE_MAX];
    const char *ext = ext_of(c->o), *dir = c->o->out_dir;
    for (int i = 0; i < c->a->n; i++) {
        file_name(base, sizeof base, c->a->t[i].title);
        snprintf(c->rep->t[i].path, PATH_MAX, "%s/%02d %s.%s", dir, i + 1, base, ext);
    }
    file_name(base, sizeof base, c->a->title);
    snprintf(c->rep->album_path, PATH_MAX, "%s/%s.%s", dir, base, ext);
    snprintf(c->rep->cue_path, PATH_MAX, "%s/%s.cue", dir, base);
}

/* Before anything is written: every track opens, the rate is known, no
 * output is an input, OUT_DIR is a folder or can be made. */
static int check(ctx_t *c)
{
    const char *outs[JM_ALBUM_MAX_TRACKS + 2];
    int n = 0;
    for (int i = 0; i < c->a->n; i++) outs[n++] = c->rep->t[i].path;
    outs[n++] = c->rep->album_path;
    outs[n++] = c->rep->cue_path;
    for (int i = 0; i < c->a->n; i++) {
        uint32_t rate;
        if (jm_atrack_probe(&c->a->t[i], c->o->block, outs, n, &rate, c->err, c->errlen))
            return -1;
        if (!c->rep->rate) c->rep->rate = c->o->rate ? c->o->rate : rate;
    }
    struct stat sb;
    if (!stat(c->o->out_dir, &sb) && !S_ISDIR(sb.st_mode))
        return snprintf(c->err, c->errlen, "'%s' is not a folder", c->o->out_dir), -1;
    return 0;
}

static int make_dir(ctx_t *c)
{
    if (!mkdir(c->o->out_dir, 0777)) c->made_dir = 1;
    else if (errno != EEXIST)
        return snprintf(c->err, c->errlen, "cannot create '%s': %s", c->o->out_dir,
                        strerror(errno)), -1;
    return 0;
}

static int meter_sink(void *ctx, const float *l, const float *r, size_t n)
{
    return jm_lmeter_add_planar(ctx, l, r, n);
}

static int add_silence(jm_lmeter_t *m, uint64_t n)
{
    static const float zero[2 * CHUNK];
    for (; n; n -= n < CHUNK ? n : CHUNK)
        if (jm_lmeter_add(m, zero, n < CHUNK ? (size_t)n : CHUNK)) return -1;
    return 0;
}

static int needs_limit(const ctx_t *c, int i, double gain)
{
    double ceil = c->o->ceiling_db - SKIP_MARGIN_DB;
    return c->o->limit && c->rep->t[i].mix_tp + gain > ceil;
}

static double lim_ceiling(const ctx_t *c)
{
    double v = c->o->ceiling_db - CEIL_MARGIN_DB;
    return v < -12.0 ? -12.0 : v;
}

/* The album file's integrated loudness with `gain` (and, if limit, the
 * limiter where needed), gaps included. NAN on failure. */
static double album_loudness(ctx_t *c, double gain, int limit)
{
    jm_lmeter_t *m = jm_lmeter_create(c->rep->rate, 0);
    jm_loudness_result_t res;
    int bad = !m;
    for (int i = 0; i < c->a->n && !bad; i++)
        bad = add_silence(m, c->rep->t[i].gap) ||
              jm_atrack_play(&c->tr[i], gain, limit && needs_limit(c, i, gain), lim_ceiling(c),
                             meter_sink,
                             m, NULL);
    if (!bad) jm_lmeter_result(m, &res);
    jm_lmeter_destroy(m);
    if (bad) snprintf(c->err, c->errlen, "measuring the album failed");
    return bad ? NAN : res.integrated;
}

/* One gain for the album (see render.h). Returns 0, 1 or 2. */
static int pick_gain(ctx_t *c)
{
    double i0 = album_loudness(c, 0.0, 0), gain = 0.0; /* as mixed */
    if (isnan(i0)) return 2;
    c->rep->mix_lufs = i0;
    if (c->o->normalize) {
        if (i0 <= -70.0)
            return snprintf(c->err, c->errlen, "cannot normalise: the album is silent (below "
                            "the -70 LUFS gate)"), 1;
        gain = c->o->target_lufs - i0;
        int any = 0;
        for (int i = 0; i < c->a->n; i++) any |= needs_limit(c, i, gain);
        double g_prev = 0.0, i_prev = i0;
        /* without limiting, loudness moves by exactly the gain */
        for (int round = 0; any && round < MAX_ROUNDS; round++) {
            double got = album_loudness(c, gain, 1), miss = c->o->target_lufs - got;
            if (isnan(got)) return 2;
            c->rep->rounds = round + 1;
            if (fabs(miss) < LUFS_TOL || round == MAX_ROUNDS - 1) break;
            double slope = fabs(gain - g_prev) > 1e-6 ? (got - i_prev) / (gain - g_prev) : 1.0;
            slope = slope < 0.05 ? 0.05 : slope > 1.0 ? 1.0 : slope;
            g_prev = gain, i_prev = got;
            gain += miss / slope;
        }
    }
    c->rep->gain_db = gain;
    return 0;
}

static int rout_sink(void *ctx, const float *l, const float *r, size_t n)
{
    char err[256];
    return jm_rout_write(ctx, l, r, n, NULL, err, sizeof err);
}

static int write_track(ctx_t *c, int i)
{
    jm_album_trep_t *t = &c->rep->t[i];
    jm_rout_t *out = jm_rout_open(t->path, c->rep->rate, c->rep->bits, c->err, c->errlen);
    if (!out) return -1;
    c->written[c->n_written++] = t->path;
    t->limited = needs_limit(c, i, c->rep->gain_db);
    int bad = jm_atrack_play(&c->tr[i], c->rep->gain_db, t->limited, lim_ceiling(c), rout_sink,
                             out, &t->gr_db);
    if (jm_rout_close(out, 0) || bad)
        return snprintf(c->err, c->errlen, "writing '%s' failed (disk full?)", t->path), -1;
    return 0;
}

/* Append the track file (or n frames of silence: path NULL) to the album
 * file, measuring both. Returns frames copied or -1. */
typedef struct {
    int i[2 * CHUNK];
    float f[2 * CHUNK];
} bufs_t;

static long long append(SNDFILE *album, int pcm, const char *path, uint64_t n, jm_lmeter_t *tm,
                        jm_lmeter_t *am, jm_rseries_t *ts, jm_rseries_t *as, bufs_t *b)
{
    int *ibuf = b->i;
    float *fbuf = b->f;
    SF_INFO info = {0};
    SNDFILE *sf = path ? sf_open(path, SFM_READ, &info) : NULL;
    long long total = 0;
    if (path && !sf) return -1;
    for (;;) {
        sf_count_t m = CHUNK;
        if (!sf) m = n - (uint64_t)total < CHUNK ? (sf_count_t)(n - (uint64_t)total) : CHUNK;
        else if (pcm) m = sf_readf_int(sf, ibuf, CHUNK);
        else m = sf_readf_float(sf, fbuf, CHUNK);
        if (m <= 0) break;
        if (!sf) memset(b, 0, sizeof *b);
        if (pcm) /* libsndfile's ints are full 32-bit scale */
            for (sf_count_t k = 0; k < 2 * m; k++) fbuf[k] = (float)(ibuf[k] * 0x1.0p-31);
        if ((pcm ? sf_writef_int(album, ibuf, m) : sf_writef_float(album, fbuf, m)) != m) {
            total = -1;
            break;
        }
        if ((tm && jm_lmeter_add(tm, fbuf, (size_t)m)) || jm_lmeter_add(am, fbuf, (size_t)m) ||
            (ts && jm_rseries_add(ts, fbuf, (size_t)m)) ||
            (as && jm_rseries_add(as, fbuf, (size_t)m))) {
            total = -1;
            break;
        }
        total += m;
    }
    if (sf) sf_close(sf);
    return total;
}

static int write_album(ctx_t *c)
{
    jm_album_report_t *r = c->rep;
    int fmt, bits;
    if (jm_rout_format(r->album_path, r->bits, &fmt, &bits, c->err, c->errlen)) return -1;
    SF_INFO info = {.samplerate = (int)r->rate, .channels = 2, .format = fmt};
    SNDFILE *sf = sf_open(r->album_path, SFM_WRITE, &info);
    if (!sf)
        return snprintf(c->err, c->errlen, "cannot create '%s': %s", r->album_path,
                        sf_strerror(NULL)), -1;
    c->written[c->n_written++] = r->album_path;
    if (bits == 32) sf_command(sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
    jm_lmeter_t *am = jm_lmeter_create(r->rate, 1);
    bufs_t *b = malloc(sizeof *b);
    int rep = c->o->report; /* the report's series of each file, measured as written */
    int bad = !am || !b || (rep && !(r->series = jm_rseries_create(r->rate)));
    for (int i = 0; i < c->a->n && !bad; i++) {
        jm_lmeter_t *tm = jm_lmeter_create(r->rate, 1);
        if (rep && !(r->t[i].series = jm_rseries_create(r->rate))) jm_lmeter_destroy(tm), tm = NULL;
        long long g = tm ? append(sf, bits != 32, NULL, r->t[i].gap, NULL, am, NULL, r->series, b)
                         : -1;
        r->t[i].start = r->frames + (g > 0 ? (uint64_t)g : 0);
        long long n = g >= 0 ? append(sf, bits != 32, r->t[i].path, 0, tm, am, r->t[i].series,
                                      r->series, b)
                             : -1;
        bad = n < 0;
        if (!bad && rep) jm_rseries_finish(r->t[i].series);
        if (!bad) {
            jm_lmeter_result(tm, &r->t[i].loud);
            r->t[i].frames = (uint64_t)n;
            r->frames = r->t[i].start + (uint64_t)n;
        }
        jm_lmeter_destroy(tm);
    }
    if (!bad) jm_lmeter_result(am, &r->loud);
    if (!bad && rep) jm_rseries_finish(r->series);
    jm_lmeter_destroy(am);
    free(b);
    if (sf_close(sf) || bad)
        return snprintf(c->err, c->errlen, "writing '%s' failed (disk full?)", r->album_path), -1;
    return 0;
}

/* mm:ss:ff, ff in CD frames of 1/75 s, to the nearest CD frame. */
static void cue_time(char *buf, size_t len, uint64_t frame, uint32_t rate)
{
    unsigned long long f = (unsigned long long)llround((double)frame * 75.0 / rate);
    snprintf(buf, len, "%02llu:%02llu:%02llu", f / 4500, f / 75 % 60, f % 75);
}

/* CUE strings are quoted: a '"' inside becomes '\''. */
static void cue_quote(char *out, size_t len, const char *s)
{
    size_t n = 0;
    for (; *s && n + 1 < len; s++) out[n++] = *s == '"' ? '\'' : *s;
    out[n] = '\0';
}

static int write_cue(ctx_t *c)
{
    jm_album_report_t *r = c->rep;
    FILE *f = fopen(r->cue_path, "w");
    char q[JM_ALBUM_TITLE_MAX], t0[32], t1[32];
    if (!f)
        return snprintf(c->err, c->errlen, "cannot create '%s': %s", r->cue_path,
                        strerror(errno)), -1;
    c->written[c->n_written++] = r->cue_path;
    const char *base = strrchr(r->album_path, '/');
    cue_quote(q, sizeof q, c->a->title);
    fprintf(f, "REM COMMENT \"jmixd render --album\"\nTITLE \"%s\"\n", q);
    cue_quote(q, sizeof q, base ? base + 1 : r->album_path);
    fprintf(f, "FILE \"%s\" %s\n", q, !strcmp(ext_of(c->o), "aiff") ? "AIFF" : "WAVE");
    for (int i = 0; i < c->a->n; i++) {
        cue_quote(q, sizeof q, c->a->t[i].title);
        cue_time(t0, sizeof t0, r->t[i].start - r->t[i].gap, r->rate);
        cue_time(t1, sizeof t1, r->t[i].start, r->rate);
        fprintf(f, "  TRACK %02d AUDIO\n    TITLE \"%s\"\n", i + 1, q);
        if (r->t[i].gap && strcmp(t0, t1)) fprintf(f, "    INDEX 00 %s\n", t0);
        fprintf(f, "    INDEX 01 %s\n", t1);
    }
    return fclose(f) ? snprintf(c->err, c->errlen, "writing '%s' failed", r->cue_path), -1 : 0;
}

static int run(ctx_t *c)
{
    const jm_album_opts_t *o = c->o;
    char probe[PATH_MAX + 8];
    int fmt;
    name_outputs(c);
    snprintf(probe, sizeof probe, "x.%s", ext_of(o));
    if (jm_rout_format(probe, o->bits, &fmt, &c->rep->bits, c->err, c->errlen)) return 1;
    if (check(c)) return 1;
    if (make_dir(c)) return 1;
    for (int i = 0; i < c->a->n; i++) {
        jm_album_trep_t *t = &c->rep->t[i];
        if (jm_atrack_render(&c->a->t[i], o->block, c->rep->rate, &c->tr[i], c->err, c->errlen))
            return 2;
        t->gap = (uint64_t)llround(c->a->t[i].gap * c->rep->rate);
        t->src_rate = c->tr[i].src_rate, t->faded = c->tr[i].faded;
        t->mix_lufs = c->tr[i].loud.integrated, t->mix_tp = c->tr[i].loud.true_peak;
    }
    int rc = pick_gain(c);
    if (rc) return rc;
    for (int i = 0; i < c->a->n; i++)
        if (write_track(c, i)) return 2;
    return write_album(c) || write_cue(c) ? 2 : 0;
}

int jm_album_run(const jm_album_opts_t *o, const jm_album_t *a, jm_album_report_t *rep,
                 char *err, size_t errlen)
{
    ctx_t *c = calloc(1, sizeof *c);
    if (!c) return snprintf(err, errlen, "out of memory"), 2;
    memset(rep, 0, sizeof *rep);
    jm_rt_set_ftz_daz(); /* as the JACK thread runs the mixer */
    *c = (ctx_t){.o = o, .a = a, .rep = rep, .err = err, .errlen = errlen};
    int rc = run(c);
    for (int i = 0; i < a->n; i++) jm_atrack_free(&c->tr[i]);
    if (rc) jm_album_report_free(rep, a->n);
    if (rc) { /* leave nothing half-done behind */
        for (int i = 0; i < c->n_written; i++) unlink(c->written[i]);
        if (c->made_dir) rmdir(o->out_dir);
    }
    free(c);
    return rc;
}

void jm_album_report_free(jm_album_report_t *rep, int n)
{
    for (int i = 0; i < n; i++) jm_rseries_destroy(rep->t[i].series), rep->t[i].series = NULL;
    jm_rseries_destroy(rep->series);
    rep->series = NULL;
}
