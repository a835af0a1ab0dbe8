/* `jmixd render --album`: arguments and the report (docs/cli.md; see
 * include/jmixd/render/render.h for the album's rules). */
#include "album_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: jmixd render --album ALBUM_FILE -o OUT_DIR [--platform NAME | --normalize LUFS]\n"
    "                    [--ceiling dBTP] [--rate HZ] [--bits 16|24|32f]\n"
    "                    [--format wav|aiff|flac] [--block N] [--report]\n"
    "  --album ALBUM_FILE   title = \"...\"; tracks = ( { title = \"One\"; session = \"one.cfg\"; },\n"
    "                       { title = \"Two\"; file = \"two.wav\"; gap = 2.0; fade_out = 1.5; } );\n"
    "                       gap: seconds of silence before the track; paths relative to the\n"
    "                       album file\n"
    "  -o, --output OUT_DIR folder for 'NN Title.EXT', 'ALBUM.EXT' (all tracks and gaps) and\n"
    "                       'ALBUM.cue' (made if missing)\n"
    "  --normalize LUFS     album loudness target, -70..0: one gain for every track\n"
    "  --platform NAME      spotify, youtube, tidal, amazon (-14), apple (-16), deezer (-15)\n"
    "  --ceiling dBTP       true-peak ceiling per track, -12..0 (default -1 when normalising)\n"
    "  --rate HZ            album rate (default: the first track's), libsoxr VHQ\n"
    "  --bits 16|24|32f     PCM with TPDF dither, or 32-bit float (default 32f; FLAC 24)\n"
    "  --format wav|aiff|flac  file format (default wav)\n"
    "  --block N            session tracks: frames per mixer cycle (default 64)\n"
    "  --report             also write 'NN Title.html' per track and 'ALBUM.html': HTML\n"
    "                       reports of loudness and true peak over time (self-contained)\n";

#define BAD(...) return snprintf(err, errlen, __VA_ARGS__), 1
static int opt_album(void *o, const char *v, char *err, size_t errlen)
{
    jm_album_opts_t *a = o;
    if (!*v || a->album) BAD("--album needs one album file");
    a->album = v;
    return 0;
}

static int opt_out(void *o, const char *v, char *err, size_t errlen)
{
    jm_album_opts_t *a = o;
    if (!*v || a->out_dir) BAD("-o needs one output folder");
    a->out_dir = v;
    return 0;
}

static int opt_format(void *o, const char *v, char *err, size_t errlen)
{
    if (strcmp(v, "wav") && strcmp(v, "aiff") && strcmp(v, "flac"))
        BAD("--format: '%s' is not wav, aiff or flac", v);
    ((jm_album_opts_t *)o)->format = v;
    return 0;
}

static int extra_arg(void *o, const char *a, char *err, size_t errlen)
{
    jm_album_opts_t *al = o;
    if (!strcmp(a, "--report")) { /* a switch: the names follow the audio files */
        if (al->report) BAD("--report given twice");
        al->report = 1;
        return 0;
    }
    BAD("%s '%s' (see jmixd render --album --help)",
        a[0] == '-' ? "unknown option" : "unexpected argument", a);
}
#undef BAD

static int opt_block(void *o, const char *v, char *e, size_t n)
{
    return jm_rcli_block(v, &((jm_album_opts_t *)o)->block, e, n);
}
static int opt_rate(void *o, const char *v, char *e, size_t n)
{
    return jm_rcli_rate(v, &((jm_album_opts_t *)o)->rate, e, n);
}
static int opt_bits(void *o, const char *v, char *e, size_t n)
{
    return jm_rcli_bits(v, &((jm_album_opts_t *)o)->bits, e, n);
}
static int opt_ceiling(void *o, const char *v, char *e, size_t n)
{
    jm_album_opts_t *a = o;
    return jm_rcli_ceiling(v, &a->ceiling_db, e, n) || (a->limit = 1, 0);
}
/* an album normalised is also limited, at the default ceiling or --ceiling */
static int opt_normalize(void *o, const char *v, char *e, size_t n)
{
    jm_album_opts_t *a = o;
    return jm_rcli_target(v, 0, &a->normalize, &a->target_lufs, &a->platform, e, n) ||
           (a->limit = 1, 0);
}
static int opt_platform(void *o, const char *v, char *e, size_t n)
{
    jm_album_opts_t *a = o;
    return jm_rcli_target(v, 1, &a->normalize, &a->target_lufs, &a->platform, e, n) ||
           (a->limit = 1, 0);
}

static const jm_rcli_opt_t options[] = {
    {"--album", NULL, opt_album},       {"-o", "--output", opt_out},
    {"--normalize", NULL, opt_normalize}, {"--platform", NULL, opt_platform},
    {"--ceiling", NULL, opt_ceiling},   {"--rate", NULL, opt_rate},
    {"--block", NULL, opt_block},       {"--bits", NULL, opt_bits},
    {"--format", NULL, opt_format},
};

static int parse(int argc, char **argv, jm_album_opts_t *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->block = 64, o->ceiling_db = -1.0, o->format = "wav";
    int rc = jm_rcli_parse(argc, argv, options, sizeof options / sizeof options[0], o,
                           usage_text, extra_arg, err, errlen);
    if (rc) return rc;
    if (!o->album) return snprintf(err, errlen, "missing --album ALBUM_FILE"), 1;
    if (!o->out_dir) return snprintf(err, errlen, "missing -o OUT_DIR"), 1;
    return 0;
}

static const char *db(char *buf, size_t len, double v, const char *unit)
{
    if (v <= JM_LOUDNESS_FLOOR) snprintf(buf, len, "-inf %s", unit);
    else snprintf(buf, len, "%.2f %s", v, unit);
    return buf;
}

static void line(FILE *f, const char *name, const jm_loudness_result_t *l, uint64_t frames, uint32_t rate,
                 const char *extra)
{
    char i[32], tp[32];
    fprintf(f, "album: %-24s integrated %s, true peak %s, LRA %.2f LU, length %.3f s%s\n",
            name, db(i, sizeof i, l->integrated, "LUFS"), db(tp, sizeof tp, l->true_peak, "dBTP"),
            l->range, (double)frames / rate, extra);
}

/* The summary, to stderr and (--report) into the reports. */
static void report(FILE *f, const jm_album_opts_t *o, const jm_album_t *a,
                   const jm_album_report_t *r)
{
    char name[JM_ALBUM_TITLE_MAX + 8], extra[160], m[32];
    fprintf(f, "album: wrote %s, %s and %d track file%s in %s: %u Hz stereo, %s\n",
            strrchr(r->album_path, '/') + 1, strrchr(r->cue_path, '/') + 1, a->n,
            a->n == 1 ? "" : "s", o->out_dir, r->rate,
            r->bits == 32 ? "32-bit float" : r->bits == 24 ? "24-bit PCM, TPDF dither"
                                                           : "16-bit PCM, TPDF dither");
    for (int i = 0; i < a->n; i++) {
        const jm_album_trep_t *t = &r->t[i];
        int n = snprintf(extra, sizeof extra, " (mix %s, gap %.3f s",
                         db(m, sizeof m, t->mix_lufs, "LUFS"), (double)t->gap / r->rate);
        if (t->faded)
            n += snprintf(extra + n, sizeof extra - (size_t)n, ", fade-out %.3f s",
                          a->t[i].fade_out);
        if (t->src_rate != r->rate)
            n += snprintf(extra + n, sizeof extra - (size_t)n, ", resampled from %u Hz",
                          t->src_rate);
        if (t->limited)
            n += snprintf(extra + n, sizeof extra - (size_t)n, ", limiter %.2f dB", t->gr_db);
        snprintf(extra + n, sizeof extra - (size_t)n, ")");
        snprintf(name, sizeof name, "%02d %s:", i + 1, a->t[i].title);
        line(f, name, &t->loud, t->frames, r->rate, extra);
    }
    snprintf(name, sizeof name, "album %s:", a->title);
    snprintf(extra, sizeof extra, " (gain %+.2f dB, mix %s%s)", r->gain_db,
             db(m, sizeof m, r->mix_lufs, "LUFS"), o->normalize ? "" : ", no normalisation");
    line(f, name, &r->loud, r->frames, r->rate, extra);
    if (o->normalize)
        fprintf(f, "album: target %.1f LUFS%s%s, ceiling %.1f dBTP per track\n",
                o->target_lufs, o->platform ? " for " : "", o->platform ? o->platform : "",
                o->ceiling_db);
}

/* path with its extension replaced by ".html". */
static void html_name(char *out, size_t len, const char *path)
{
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    size_t n = dot && (!slash || dot > slash) ? (size_t)(dot - path) : strlen(path);
    snprintf(out, len, "%.*s.html", (int)n, path);
}

static int write_reports(const jm_album_opts_t *o, const jm_album_t *a,
                         const jm_album_report_t *r, char *err, size_t errlen)
{
    char *text = NULL, path[PATH_MAX + 16], what[64];
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem) {
        report(mem, o, a, r);
        if (fclose(mem)) free(text), text = NULL;
    }
    jm_report_t doc = {.has_target = o->normalize, .target_lufs = o->target_lufs,
                       .target_name = o->platform, .has_ceiling = o->limit,
                       .ceiling_db = o->ceiling_db, .gain_db = r->gain_db, .rate = r->rate,
                       .summary = text};
    int rc = 0;
    for (int i = 0; i <= a->n && !rc; i++) {
        int album = i == a->n;
        const char *p = album ? r->album_path : r->t[i].path;
        html_name(path, sizeof path, p);
        for (int k = 0; album && k < a->n; k++) { /* an album titled as a track file */
            char other[PATH_MAX + 16];
            html_name(other, sizeof other, r->t[k].path);
            if (!strcmp(other, path)) {
                html_name(path, sizeof path, r->album_path);
                snprintf(path + strlen(path) - 5, sizeof path - strlen(path) + 5,
                         " (album).html");
            }
        }
        if (album) snprintf(what, sizeof what, "album of %d track%s", a->n, a->n == 1 ? "" : "s");
        else snprintf(what, sizeof what, "album track %d of %d", i + 1, a->n);
        doc.title = strrchr(p, '/') + 1;
        doc.what = what;
        doc.series = album ? r->series : r->t[i].series;
        doc.loud = album ? r->loud : r->t[i].loud;
        doc.seconds = (double)(album ? r->frames : r->t[i].frames) / r->rate;
        rc = jm_report_write(path, &doc, err, errlen);
        if (!rc) fprintf(stderr, "album: report %s\n", path);
    }
    free(text);
    return rc;
}

int jm_album_main(int argc, char **argv)
{
    jm_album_opts_t o;
    jm_album_t *a = calloc(1, sizeof *a);
    jm_album_report_t *r = calloc(1, sizeof *r);
    char err[1024];
    int rc = 2;
    if (!a || !r) goto done;
    rc = parse(argc, argv, &o, err, sizeof err);
    if (rc == 2) rc = 0; /* --help */
    else if (rc) fprintf(stderr, "jmixd render: %s\n", err);
    else if (jm_album_load(a, o.album, err, sizeof err)) {
        fprintf(stderr, "jmixd render: %s\n", err);
        rc = 1;
    } else if ((rc = jm_album_run(&o, a, r, err, sizeof err))) {
        fprintf(stderr, "jmixd render: %s\n", err);
    } else {
        report(stderr, &o, a, r);
        if (o.report && write_reports(&o, a, r, err, sizeof err)) {
            fprintf(stderr, "jmixd render: %s\n", err);
            rc = 2;
        }
        jm_album_report_free(r, a->n);
    }
done:
    free(a);
    free(r);
    return rc;
}
