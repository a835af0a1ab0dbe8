/* `jmixd render`: arguments, progress switch, and the summary on stderr. */
#include "render_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: jmixd render SESSION -o OUT [--stem NAME=FILE]... [--block N]\n"
    "                    [--normalize LUFS | --platform NAME] [--ceiling dBTP]\n"
    "                    [--rate HZ] [--bits 16|24|32f] [--preroll SECONDS]\n"
    "                    [--report OUT.html]\n"
    "       jmixd render --monitor-curves-svg FILE [--rate HZ]\n"
    "  -o, --output OUT     .wav, .aiff/.aif or .flac\n"
    "  --stem NAME=FILE     stem for strip NAME (name or 1-based index); overrides file =\n"
    "  --block N            frames per mixer cycle, 1..8192 (default 64, as a JACK period)\n"
    "  --normalize LUFS     integrated loudness target, -70..0 (two passes, true-peak limited)\n"
    "  --platform NAME      spotify, youtube, tidal, amazon (-14), apple (-16), deezer (-15)\n"
    "  --ceiling dBTP       true-peak ceiling, -12..0 (default -1 when normalising); alone:\n"
    "                       limit only, no gain\n"
    "  --rate HZ            resample the output (libsoxr, very high quality), 8000..192000\n"
    "  --bits 16|24|32f     PCM with TPDF dither, or 32-bit float (default 32f; FLAC 24)\n"
    "  --preroll SECONDS    silence run before frame 0, as a console idles before the\n"
    "                       transport starts (default: what the gates need to close; 0..60)\n"
    "  --report OUT.html    also write an HTML report: loudness and true peak over time,\n"
    "                       loudness range, monitor curves, this summary (self-contained)\n"
    "  --monitor-curves-svg FILE  only write the monitor curves' plot as SVG (48 kHz unless\n"
    "                       --rate) and exit\n";

static const struct {
    const char *name;
    double lufs;
} platforms[] = {{"spotify", -14.0}, {"youtube", -14.0}, {"tidal", -14.0},
                 {"amazon", -14.0},  {"apple", -16.0},   {"deezer", -15.0}};

int jm_render_platform(const char *name, double *lufs)
{
    for (size_t i = 0; i < sizeof platforms / sizeof platforms[0]; i++)
        if (!strcmp(platforms[i].name, name)) return *lufs = platforms[i].lufs, 0;
    return -1;
}

int jm_rcli_number(const char *text, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end || !isfinite(v) || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

/* "--opt value" or "--opt=value". Returns the value or NULL. */
const char *jm_rcli_value_of(int argc, char **argv, int *i, const char *opt)
{
    size_t n = strlen(opt);
    if (!strncmp(argv[*i], opt, n) && argv[*i][n] == '=') return argv[*i] + n + 1;
    if (strcmp(argv[*i], opt)) return NULL;
    if (*i + 1 >= argc) return "";
    return argv[++*i];
}

int jm_rcli_parse(int argc, char **argv, const jm_rcli_opt_t *opts, size_t n, void *o,
                  const char *usage, int (*other)(void *o, const char *arg, char *err,
                                                  size_t errlen),
                  char *err, size_t errlen)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return 2;
        }
        const char *v = NULL;
        size_t k;
        for (k = 0; k < n && !v; k++) {
            v = jm_rcli_value_of(argc, argv, &i, opts[k].name);
            if (!v && opts[k].alias) v = jm_rcli_value_of(argc, argv, &i, opts[k].alias);
        }
        if (v ? opts[k - 1].apply(o, v, err, errlen) : other(o, argv[i], err, errlen)) return 1;
    }
    return 0;
}

#define BAD(...) return snprintf(err, errlen, __VA_ARGS__), 1

int jm_rcli_block(const char *v, uint32_t *out, char *err, size_t errlen)
{
    double d;
    if (jm_rcli_number(v, 1, JM_RENDER_MAX_BLOCK, &d) || d != floor(d))
        BAD("--block: '%s' is not a frame count (1..%u)", v, JM_RENDER_MAX_BLOCK);
    *out = (uint32_t)d;
    return 0;
}

int jm_rcli_rate(const char *v, uint32_t *out, char *err, size_t errlen)
{
    double d;
    if (jm_rcli_number(v, 8000, 192000, &d) || d != floor(d))
        BAD("--rate: '%s' is not a sample rate (8000..192000 Hz)", v);
    *out = (uint32_t)d;
    return 0;
}

int jm_rcli_bits(const char *v, int *out, char *err, size_t errlen)
{
    if (!strcmp(v, "16") || !strcmp(v, "24")) *out = atoi(v);
    else if (!strcmp(v, "32f") || !strcmp(v, "32")) *out = 32;
    else BAD("--bits: '%s' is not 16, 24 or 32f", v);
    return 0;
}

int jm_rcli_ceiling(const char *v, double *out, char *err, size_t errlen)
{
    if (jm_rcli_number(v, -12, 0, out)) BAD("--ceiling: '%s' is not a level in dBTP (-12..0)", v);
    return 0;
}

int jm_rcli_target(const char *v, int is_platform, int *normalize, double *lufs,
                   const char **platform, char *err, size_t errlen)
{
    double d;
    if (!is_platform && jm_rcli_number(v, -70, 0, &d))
        BAD("--normalize: '%s' is not a loudness in LUFS (-70..0)", v);
    if (is_platform && jm_render_platform(v, &d))
        BAD("--platform: unknown '%s' (spotify, apple, youtube, tidal, amazon, deezer)", v);
    if (*normalize) BAD("give one of --normalize and --platform, once");
    *normalize = 1, *lufs = d;
    if (is_platform) *platform = v;
    return 0;
}

static int opt_out(void *o, const char *v, char *err, size_t errlen)
{
    jm_render_opts_t *r = o;
    if (!*v) BAD("-o needs a file name");
    if (r->out) BAD("-o given twice");
    r->out = v;
    return 0;
}

static int opt_stem(void *o, const char *v, char *err, size_t errlen)
{
    jm_render_opts_t *r = o;
    const char *eq = strchr(v, '=');
    if (!eq || eq == v || !eq[1]) BAD("--stem: expected NAME=FILE, got '%s'", v);
    if (r->n_stems == JM_MAX_STRIPS) BAD("--stem: too many");
    /* NAME is split off in place: argv strings are ours to edit */
    char *w = (char *)v;
    w[eq - v] = '\0';
    r->stems[r->n_stems++] = (jm_render_stem_t){.name = w, .file = eq + 1};
    return 0;
}

static int opt_preroll(void *o, const char *v, char *err, size_t errlen)
{
    jm_render_opts_t *r = o;
    if (jm_rcli_number(v, 0, JM_RENDER_PREROLL_MAX_S, &r->preroll_s))
        BAD("--preroll: '%s' is not a time in seconds (0..%.0f)", v, JM_RENDER_PREROLL_MAX_S);
    r->preroll_set = 1;
    return 0;
}

static int opt_report(void *o, const char *v, char *err, size_t errlen)
{
    jm_render_opts_t *r = o;
    if (!*v) BAD("--report needs a file name");
    if (r->report) BAD("--report given twice");
    r->report = v;
    return 0;
}

static int session_arg(void *o, const char *a, char *err, size_t errlen)
{
    jm_render_opts_t *r = o;
    if (a[0] == '-' && a[1]) BAD("unknown option '%s' (see jmixd render --help)", a);
    if (r->session) BAD("unexpected argument '%s' (one SESSION only)", a);
    r->session = a;
    return 0;
}
#undef BAD

static int opt_block(void *o, const char *v, char *e, size_t n)
{
    return jm_rcli_block(v, &((jm_render_opts_t *)o)->block, e, n);
}
static int opt_rate(void *o, const char *v, char *e, size_t n)
{
    return jm_rcli_rate(v, &((jm_render_opts_t *)o)->rate, e, n);
}
static int opt_bits(void *o, const char *v, char *e, size_t n)
{
    return jm_rcli_bits(v, &((jm_render_opts_t *)o)->bits, e, n);
}
static int opt_ceiling(void *o, const char *v, char *e, size_t n)
{
    jm_render_opts_t *r = o;
    return jm_rcli_ceiling(v, &r->ceiling_db, e, n) || (r->limit = 1, 0);
}
static int opt_normalize(void *o, const char *v, char *e, size_t n)
{
    jm_render_opts_t *r = o;
    return jm_rcli_target(v, 0, &r->normalize, &r->target_lufs, &r->platform, e, n);
}
static int opt_platform(void *o, const char *v, char *e, size_t n)
{
    jm_render_opts_t *r = o;
    return jm_rcli_target(v, 1, &r->normalize, &r->target_lufs, &r->platform, e, n);
}

static const jm_rcli_opt_t options[] = {
    {"-o", "--output", opt_out},        {"--stem", NULL, opt_stem},
    {"--block", NULL, opt_block},       {"--normalize", NULL, opt_normalize},
    {"--platform", NULL, opt_platform}, {"--ceiling", NULL, opt_ceiling},
    {"--rate", NULL, opt_rate},         {"--preroll", NULL, opt_preroll},
    {"--bits", NULL, opt_bits},         {"--report", NULL, opt_report},
};

int jm_render_parse(int argc, char **argv, jm_render_opts_t *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->block = 64;
    o->ceiling_db = -1.0;
    int rc = jm_rcli_parse(argc, argv, options, sizeof options / sizeof options[0], o,
                           usage_text, session_arg, err, errlen);
    if (rc) return rc;
    if (!o->session) return snprintf(err, errlen, "missing SESSION (see jmixd render --help)"), 1;
    if (!o->out) return snprintf(err, errlen, "missing -o OUT (see jmixd render --help)"), 1;
    if (o->report && !strcmp(o->report, o->out))
        return snprintf(err, errlen, "--report: '%s' is the output file", o->report), 1;
    return 0;
}

static void fmt_db(char *buf, size_t len, double v, const char *unit)
{
    if (v <= JM_LOUDNESS_FLOOR) snprintf(buf, len, "-inf %s", unit);
    else snprintf(buf, len, "%.2f %s", v, unit);
}

/* The summary, to stderr and (--report) into the report. */
static void summary(FILE *f, const jm_render_opts_t *o, const jm_render_report_t *r)
{
    const char *dot = strrchr(o->out, '.');
    const char *kind = dot && !strcasecmp(dot, ".flac") ? "FLAC"
                       : dot && (!strcasecmp(dot, ".aif") || !strcasecmp(dot, ".aiff")) ? "AIFF"
                                                                                         : "WAV";
    char i[32], tp[32], sp[32];
    fprintf(f, "render: wrote %s: %s %s, %u Hz stereo%s\n", o->out, kind,
            r->bits == 32 ? "32-bit float" : r->bits == 24 ? "24-bit PCM, TPDF dither"
                                                           : "16-bit PCM, TPDF dither",
            r->out_rate, r->out_rate != r->mix_rate ? " (resampled with libsoxr VHQ)" : "");
    fprintf(f, "render: duration %.3f s (stems %.3f s, tail %.3f s, mixed at %u Hz, "
            "block %u)\n", (double)r->frames / r->out_rate, r->stem_seconds, r->tail_seconds,
            r->mix_rate, o->block);
    fmt_db(i, sizeof i, r->loud.integrated, "LUFS");
    fmt_db(tp, sizeof tp, r->loud.true_peak, "dBTP");
    fmt_db(sp, sizeof sp, r->loud.sample_peak, "dBFS");
    fprintf(f, "render: integrated %s, true peak %s, LRA %.2f LU, sample peak %s\n", i, tp,
            r->loud.range, sp);
    if (o->normalize)
        fprintf(f, "render: gain %+.2f dB (mix %.2f LUFS, target %.1f LUFS%s%s, ceiling "
                "%.1f dBTP, limiter %.2f dB max)\n", r->gain_db, r->mix_lufs, o->target_lufs,
                o->platform ? " for " : "", o->platform ? o->platform : "", o->ceiling_db,
                r->limiter_gr_db);
    else if (o->limit)
        fprintf(f, "render: gain +0.00 dB (no normalisation; ceiling %.1f dBTP, limiter "
                "%.2f dB max)\n", o->ceiling_db, r->limiter_gr_db);
    else
        fprintf(f, "render: gain +0.00 dB (no normalisation)\n");
    if (r->lanes)
        fprintf(f, "render: automation: %d lane%s played from transport frame 0\n", r->lanes,
                r->lanes == 1 ? "" : "s");
    if (r->preroll_seconds > 0)
        fprintf(f, "render: pre-roll %.3f s of silence before frame 0 (gates idle as on a "
                "console before the transport starts)\n", r->preroll_seconds);
    fprintf(f, "render: speed %.0fx real time (%.2f s)\n", r->speed, r->wall_seconds);
    if (r->tail_capped)
        fprintf(f, "render: warning: tail cut at %.0f s (the mix does not decay below %.0f "
                "dBFS)\n", JM_RENDER_TAIL_MAX_S, JM_RENDER_SILENCE_DB);
    if (r->clipped)
        fprintf(f, "render: warning: %llu samples clipped at full scale (lower the master "
                "or use --ceiling)\n", (unsigned long long)r->clipped);
}

/* The summary as text (the report shows it), or NULL. Caller frees. */
static char *summary_text(const jm_render_opts_t *o, const jm_render_report_t *r)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return NULL;
    summary(f, o, r);
    if (fclose(f)) {
        free(text);
        return NULL;
    }
    return text;
}

static int write_report(const jm_render_opts_t *o, const jm_render_report_t *r, char *err,
                        size_t errlen)
{
    const char *base = strrchr(o->out, '/');
    char *text = summary_text(o, r);
    jm_report_t doc = {.title = base ? base + 1 : o->out, .what = "render",
                       .series = r->series, .loud = r->loud,
                       .seconds = (double)r->frames / r->out_rate, .has_target = o->normalize,
                       .target_lufs = o->target_lufs, .target_name = o->platform,
                       .has_ceiling = o->normalize || o->limit, .ceiling_db = o->ceiling_db,
                       .gain_db = r->gain_db, .rate = r->out_rate, .summary = text};
    int rc = jm_report_write(o->report, &doc, err, errlen);
    free(text);
    return rc;
}

/* `jmixd render --monitor-curves-svg FILE [--rate HZ]`. */
static int monitor_svg_main(int argc, char **argv)
{
    const char *path = NULL;
    uint32_t rate = 48000;
    char err[1024];
    for (int i = 1; i < argc; i++) {
        const char *v;
        if ((v = jm_rcli_value_of(argc, argv, &i, "--monitor-curves-svg"))) {
            if (!*v || path) {
                fprintf(stderr, "jmixd render: --monitor-curves-svg needs one file name\n");
                return 1;
            }
            path = v;
        } else if ((v = jm_rcli_value_of(argc, argv, &i, "--rate"))) {
            if (jm_rcli_rate(v, &rate, err, sizeof err)) {
                fprintf(stderr, "jmixd render: %s\n", err);
                return 1;
            }
        } else {
            fprintf(stderr, "jmixd render: --monitor-curves-svg takes only --rate, not '%s'\n",
                    argv[i]);
            return 1;
        }
    }
    if (jm_report_monitor_svg(path, rate, err, sizeof err)) {
        fprintf(stderr, "jmixd render: %s\n", err);
        return 2;
    }
    return 0;
}

int jm_render_main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) /* docs/cli.md: an album is its own command line */
        if (!strcmp(argv[i], "--album") || !strncmp(argv[i], "--album=", 8))
            return jm_album_main(argc, argv);
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--monitor-curves-svg") ||
            !strncmp(argv[i], "--monitor-curves-svg=", 21))
            return monitor_svg_main(argc, argv);
    jm_render_opts_t *o = calloc(1, sizeof *o);
    jm_render_report_t rep;
    char err[1024];
    if (!o) return 2;
    int rc = jm_render_parse(argc, argv, o, err, sizeof err);
    if (rc == 2) rc = 0; /* --help */
    else if (rc) fprintf(stderr, "jmixd render: %s\n", err);
    else {
        o->progress = isatty(STDERR_FILENO);
        rc = jm_render_run(o, &rep, err, sizeof err);
        if (rc) fprintf(stderr, "jmixd render: %s\n", err);
        else summary(stderr, o, &rep);
        if (!rc && o->report) {
            if ((rc = write_report(o, &rep, err, sizeof err) ? 2 : 0))
                fprintf(stderr, "jmixd render: %s\n", err);
            else fprintf(stderr, "render: report %s\n", o->report);
        }
        jm_rseries_destroy(rep.series);
    }
    free(o);
    return rc;
}
