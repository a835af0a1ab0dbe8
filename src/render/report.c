/* The render report as one HTML file (include/jmixd/render/report.h).
 * Every plot is drawn with presentation attributes only (no CSS classes),
 * so the monitor curves' SVG is the same standalone (docs/monitor-curves.svg)
 * and inline. Nothing in the file loads anything: a Content-Security-Policy
 * of default-src 'none' says so to the browser too. */
#include "jmixd/render/report.h"

#include "jmixd/dsp/monitor.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define W 860.0
#define H 290.0
#define ML 64.0 /* margins: left, right, top, bottom */
#define MR 24.0
#define MT 34.0
#define MB 42.0
#define FONT "font-family=\"sans-serif\" font-size=\"11\""

#define C_MOMENTARY "#8fb3de"
#define C_SHORT "#1f4e8c"
#define C_INTEGRATED "#c0392b"
#define C_TARGET "#1e8449"
#define C_LRA "#f5b041"
#define C_PEAK "#6c3483"
#define C_CEILING "#c0392b"

/* Monitor curves: 1/24 octave from 20 Hz to 20 kHz, and one colour each. */
#define MON_PER_OCT 24
#define MON_Y0 (-36.0)
#define MON_Y1 6.0
static const char *const mon_colour[JM_CURVE_COUNT] = {"#7f8c8d", "#c0392b", "#2471a3",
                                                       "#d68910", "#1e8449", "#7d3c98"};

static jm_plot_t plot_area(double x0, double x1, double y0, double y1, int logx)
{
    return (jm_plot_t){.x0 = x0, .x1 = x1, .y0 = y0, .y1 = y1, .logx = logx, .left = ML,
                       .top = MT, .w = W - ML - MR, .h = H - MT - MB};
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == '<' || c == '>' || c == '&') fprintf(f, "\\u%04x", c);
        else fputc(c, f); /* '<' escaped above: no "</script>" inside the block */
    }
    fputc('"', f);
}

static void json_array(FILE *f, const double *v, size_t n)
{
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        if (i) fputc(',', f);
        jm_report_json_num(f, v[i]);
    }
    fputc(']', f);
}

/* Two decimals, as the summary on stderr prints them; null when there is nothing. */
static void json_num2(FILE *f, double v)
{
    if (!isfinite(v) || v <= JM_LOUDNESS_FLOOR) fputs("null", f);
    else fprintf(f, "%.2f", v);
}

/* Values rounded as the JSON block has them: the paths are drawn from these. */
static double *rounded(const double *v, size_t n)
{
    double *r = malloc((n ? n : 1) * sizeof *r);
    if (r)
        for (size_t i = 0; i < n; i++) r[i] = jm_report_round(v[i]);
    return r;
}

/* <svg> with its axes, grid and labels; the caller draws and closes it. */
static void frame(FILE *f, const jm_plot_t *p, const char *id, const char *title,
                  const char *xlabel, const char *ylabel, int standalone)
{
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"%s\" width=\"%.0f\" "
            "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" data-x0=\"%g\" data-x1=\"%g\" "
            "data-y0=\"%g\" data-y1=\"%g\" data-logx=\"%d\" data-left=\"%g\" data-top=\"%g\" "
            "data-width=\"%g\" data-height=\"%g\">\n", id, W, H, W, H, p->x0, p->x1, p->y0,
            p->y1, p->logx, p->left, p->top, p->w, p->h);
    fputs("<title>", f);
    jm_svg_escape(f, title);
    fputs("</title>\n", f);
    if (standalone) fprintf(f, "<rect width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", W, H);
    fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"#fbfbfb\" "
            "stroke=\"#888888\" stroke-width=\"1\"/>\n", p->left, p->top, p->w, p->h);
    double first, step;
    int n = jm_svg_ticks(p->y0, p->y1, 11, &first, &step);
    fprintf(f, "<g " FONT " fill=\"#333333\">\n");
    for (int i = 0; i < n; i++) {
        double v = first + i * step, y = jm_plot_py(p, v);
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#dddddd\"/>"
                "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\">%g</text>\n", p->left, y,
                p->left + p->w, y, p->left - 6, y + 4, fabs(v) < 1e-9 ? 0.0 : v);
    }
    if (p->logx) {
        static const double fx[] = {20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000};
        for (size_t i = 0; i < sizeof fx / sizeof fx[0]; i++) {
            double x = jm_plot_px(p, fx[i]);
            fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#dddddd\"/>"
                    "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">", x, p->top, x,
                    p->top + p->h, x, p->top + p->h + 15);
            if (fx[i] >= 1000) fprintf(f, "%gk</text>\n", fx[i] / 1000);
            else fprintf(f, "%g</text>\n", fx[i]);
        }
    } else {
        n = jm_svg_ticks(p->x0, p->x1, 11, &first, &step);
        for (int i = 0; i < n; i++) {
            double v = first + i * step, x = jm_plot_px(p, v);
            fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#dddddd\"/>"
                    "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">%g</text>\n", x, p->top,
                    x, p->top + p->h, x, p->top + p->h + 15, v);
        }
    }
    fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">", p->left + p->w / 2,
            H - 8);
    jm_svg_escape(f, xlabel);
    fprintf(f, "</text>\n<text x=\"14\" y=\"%.2f\" text-anchor=\"middle\" "
            "transform=\"rotate(-90 14 %.2f)\">", p->top + p->h / 2, p->top + p->h / 2);
    jm_svg_escape(f, ylabel);
    fputs("</text>\n</g>\n", f);
}

static void series_path(FILE *f, const jm_plot_t *p, const char *name, const char *colour,
                        double width, const double *x, const double *y, size_t n)
{
    fprintf(f, "<path data-series=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"%g\" "
            "stroke-linejoin=\"round\" d=\"", name, colour, width);
    jm_svg_path(f, p, x, y, n);
    fputs("\"/>\n", f);
}

/* A horizontal line at data value v across the plot, with a label. */
static void hline(FILE *f, const jm_plot_t *p, const char *name, double v, const char *colour,
                  const char *dash, const char *label, int label_left)
{
    double y = jm_plot_py(p, jm_report_round(v));
    fprintf(f, "<line data-series=\"%s\" data-value=\"%.3f\" x1=\"%.2f\" y1=\"%.2f\" "
            "x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"%s\"/>"
            "\n<text " FONT " fill=\"%s\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"%s\">", name,
            jm_report_round(v), p->left, y, p->left + p->w, y, colour, dash, colour,
            label_left ? p->left + 4 : p->left + p->w - 4, y - 4, label_left ? "start" : "end");
    jm_svg_escape(f, label);
    fputs("</text>\n", f);
}

/* Legend entries above the plot, left to right. */
static void legend(FILE *f, const jm_plot_t *p, const char *const *names,
                   const char *const *colours, int n)
{
    double x = p->left;
    fprintf(f, "<g " FONT ">\n");
    for (int i = 0; i < n; i++) {
        fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"14\" height=\"4\" fill=\"%s\"/>"
                "<text x=\"%.2f\" y=\"%.2f\" fill=\"#333333\">", x, p->top - 15, colours[i],
                x + 18, p->top - 10);
        jm_svg_escape(f, names[i]);
        fputs("</text>\n", f);
        x += 26 + 6.5 * (double)strlen(names[i]);
    }
    fputs("</g>\n", f);
}

static double max_finite(double m, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]) && v[i] > m) m = v[i];
    return m;
}

static double t_end(const jm_report_t *r, const double *t, size_t n)
{
    double e = n ? t[n - 1] : r->seconds;
    return e > 0.5 ? e : 0.5;
}

static void loudness_plot(FILE *f, const jm_report_t *r, const double *t, const double *m,
                          const double *st, size_t n, int band, double lo, double hi)
{
    double top = max_finite(-HUGE_VAL, m, n);
    top = max_finite(top, st, n);
    if (r->loud.integrated > JM_LOUDNESS_FLOOR && r->loud.integrated > top)
        top = r->loud.integrated;
    if (r->has_target && r->target_lufs > top) top = r->target_lufs;
    double y1 = isfinite(top) ? ceil((top + 3.0) / 6.0) * 6.0 : 0.0;
    y1 = y1 > 6.0 ? 6.0 : y1 < -42.0 ? -42.0 : y1;
    jm_plot_t p = plot_area(0.0, t_end(r, t, n), y1 - 48.0, y1, 0);
    frame(f, &p, "plot-loudness", "Momentary and short-term loudness", "time (s)",
          "loudness (LUFS)", 0);
    if (band) { /* drawn first: under the curves */
        double ya = jm_plot_py(&p, jm_report_round(hi)), yb = jm_plot_py(&p, jm_report_round(lo));
        fprintf(f, "<rect data-series=\"lra_band\" data-lo=\"%.3f\" data-hi=\"%.3f\" "
                "x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\" "
                "fill-opacity=\"0.25\"/>\n", jm_report_round(lo), jm_report_round(hi), p.left,
                ya, p.w, yb - ya, C_LRA);
    }
    series_path(f, &p, "momentary", C_MOMENTARY, 1.0, t, m, n);
    series_path(f, &p, "short_term", C_SHORT, 2.0, t, st, n);
    char label[96];
    if (r->loud.integrated > JM_LOUDNESS_FLOOR) {
        snprintf(label, sizeof label, "integrated %.2f LUFS", r->loud.integrated);
        hline(f, &p, "integrated", r->loud.integrated, C_INTEGRATED, "6 3", label, 0);
    }
    if (r->has_target) {
        snprintf(label, sizeof label, "target %.1f LUFS%s%s", r->target_lufs,
                 r->target_name ? " " : "", r->target_name ? r->target_name : "");
        hline(f, &p, "target", r->target_lufs, C_TARGET, "2 3", label, 1);
    }
    const char *names[5] = {"momentary (400 ms)", "short-term (3 s)"};
    const char *colours[5] = {C_MOMENTARY, C_SHORT};
    int k = 2;
    if (r->loud.integrated > JM_LOUDNESS_FLOOR) names[k] = "integrated", colours[k++] = C_INTEGRATED;
    if (r->has_target) names[k] = "target", colours[k++] = C_TARGET;
    if (band) names[k] = "loudness range", colours[k++] = C_LRA;
    legend(f, &p, names, colours, k);
    fputs("</svg>\n", f);
}

static void peak_plot(FILE *f, const jm_report_t *r, const double *t, const double *tp, size_t n)
{
    double top = max_finite(-HUGE_VAL, tp, n);
    if (r->has_ceiling && r->ceiling_db > top) top = r->ceiling_db;
    double y1 = isfinite(top) ? ceil((top + 1.0) / 3.0) * 3.0 : 0.0;
    y1 = y1 < 0.0 ? 0.0 : y1 > 12.0 ? 12.0 : y1;
    jm_plot_t p = plot_area(0.0, t_end(r, t, n), y1 - 36.0, y1, 0);
    frame(f, &p, "plot-true-peak", "True peak per 100 ms", "time (s)", "true peak (dBTP)", 0);
    series_path(f, &p, "true_peak", C_PEAK, 1.5, t, tp, n);
    char label[64];
    if (r->has_ceiling) {
        snprintf(label, sizeof label, "ceiling %.1f dBTP", r->ceiling_db);
        hline(f, &p, "ceiling", r->ceiling_db, C_CEILING, "6 3", label, 0);
    } else {
        hline(f, &p, "full_scale", 0.0, "#555555", "2 3", "0 dBTP (no ceiling set)", 0);
    }
    static const char *const names[] = {"true peak (max of L, R per 100 ms)", "ceiling"};
    static const char *const colours[] = {C_PEAK, C_CEILING};
    legend(f, &p, names, colours, r->has_ceiling ? 2 : 1);
    fputs("</svg>\n", f);
}

#define C_SPECTRUM "#2e86c1"

/* The long-term spectrum as one bar per 1/3-octave band, between the
 * band's nominal edges fm * 10^(+-1/20) (so the bars tile the axis), and a
 * path through the bars' tops at the centres (what a test maps back). */
static void spectrum_plot(FILE *f, const double *db)
{
    double hz[JM_RTA_BANDS], top = -HUGE_VAL;
    for (int b = 0; b < JM_RTA_BANDS; b++) hz[b] = jm_report_round(jm_rta_centre_hz(b));
    top = max_finite(top, db, JM_RTA_BANDS);
    double y1 = isfinite(top) ? ceil((top + 3.0) / 6.0) * 6.0 : 0.0;
    y1 = y1 > 6.0 ? 6.0 : y1 < -60.0 ? -60.0 : y1;
    jm_plot_t p = plot_area(jm_rta_centre_hz(0) * pow(10.0, -0.05),
                            jm_rta_centre_hz(JM_RTA_BANDS - 1) * pow(10.0, 0.05), y1 - 72.0, y1,
                            1);
    frame(f, &p, "plot-spectrum", "Long-term spectrum, 1/3 octave", "frequency (Hz)",
          "level per band (dBFS)", 0);
    for (int b = 0; b < JM_RTA_BANDS; b++) {
        if (!isfinite(db[b])) continue;
        double xa = jm_plot_px(&p, jm_rta_centre_hz(b) * pow(10.0, -0.05)) + 1.0;
        double xb = jm_plot_px(&p, jm_rta_centre_hz(b) * pow(10.0, 0.05)) - 1.0;
        double y = jm_plot_py(&p, db[b]);
        fprintf(f, "<rect data-band=\"%s\" data-db=\"%.3f\" x=\"%.2f\" y=\"%.2f\" "
                "width=\"%.2f\" height=\"%.2f\" fill=\"%s\" fill-opacity=\"0.35\"/>\n",
                jm_rta_label(b), db[b], xa, y, xb - xa, p.top + p.h - y, C_SPECTRUM);
    }
    series_path(f, &p, "spectrum", C_SPECTRUM, 1.5, hz, db, JM_RTA_BANDS);
    static const char *const names[] = {"mean level per 1/3-octave band over the whole file"};
    static const char *const colours[] = {C_SPECTRUM};
    legend(f, &p, names, colours, 1);
    fputs("</svg>\n", f);
}

/* Frequencies of the monitor plot (1/24 octave, 20 Hz .. 20 kHz). */
static size_t mon_freqs(double *hz, size_t cap)
{
    size_t n = 0;
    for (int k = 0; n < cap; k++) {
        double fr = 20.0 * pow(2.0, (double)k / MON_PER_OCT);
        if (fr >= 20000.0) {
            hz[n++] = 20000.0;
            break;
        }
        hz[n++] = jm_report_round(fr);
    }
    return n;
}

#define MON_MAX 256

static void monitor_plot(FILE *f, double rate, int standalone)
{
    double hz[MON_MAX], db[MON_MAX];
    size_t n = mon_freqs(hz, MON_MAX);
    jm_plot_t p = plot_area(20.0, 20000.0, MON_Y0, MON_Y1, 1);
    char title[96];
    snprintf(title, sizeof title, "Monitor curves (jm_monitor_curve_db at %.0f Hz)", rate);
    frame(f, &p, "plot-monitor-curves", title, "frequency (Hz)", "gain (dB)", standalone);
    const char *names[JM_CURVE_COUNT];
    for (int c = 0; c < JM_CURVE_COUNT; c++) {
        for (size_t i = 0; i < n; i++) db[i] = jm_report_round(jm_monitor_curve_db(c, rate, hz[i]));
        names[c] = jm_monitor_curve_name(c);
        char series[48];
        snprintf(series, sizeof series, "monitor_%s", names[c]);
        series_path(f, &p, series, mon_colour[c], c ? 1.8 : 1.2, hz, db, n);
    }
    legend(f, &p, names, mon_colour, JM_CURVE_COUNT);
    fputs("</svg>\n", f);
}

int jm_report_monitor_svg(const char *path, double rate, char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f) return snprintf(err, errlen, "cannot create '%s': %s", path, strerror(errno)), -1;
    monitor_plot(f, rate, 1);
    if (fclose(f)) return snprintf(err, errlen, "writing '%s' failed", path), -1;
    return 0;
}

static void number_row(FILE *f, const char *key, const char *label, const char *value)
{
    fprintf(f, "<tr><th>%s</th><td data-key=\"%s\">", label, key);
    jm_svg_escape(f, value);
    fputs("</td></tr>\n", f);
}

static const char *fmt_db(char *buf, size_t len, double v, const char *unit)
{
    if (v <= JM_LOUDNESS_FLOOR || !isfinite(v)) snprintf(buf, len, "-inf %s", unit);
    else snprintf(buf, len, "%.2f %s", v, unit);
    return buf;
}

static void numbers(FILE *f, const jm_report_t *r, int band, double lo, double hi)
{
    char v[128], a[48];
    fputs("<table class=\"numbers\">\n", f);
    number_row(f, "integrated", "Integrated loudness",
               fmt_db(v, sizeof v, r->loud.integrated, "LUFS"));
    if (r->has_target) {
        snprintf(v, sizeof v, "%.1f LUFS%s%s", r->target_lufs, r->target_name ? " for " : "",
                 r->target_name ? r->target_name : "");
        number_row(f, "target", "Target", v);
    } else {
        number_row(f, "target", "Target", "none (no --normalize or --platform)");
    }
    if (band) snprintf(v, sizeof v, "%.2f LU (%.1f to %.1f LUFS)", r->loud.range, lo, hi);
    else snprintf(v, sizeof v, "%.2f LU", r->loud.range);
    number_row(f, "range", "Loudness range", v);
    number_row(f, "true_peak", "True peak", fmt_db(v, sizeof v, r->loud.true_peak, "dBTP"));
    if (r->has_ceiling) snprintf(v, sizeof v, "%.1f dBTP", r->ceiling_db);
    else snprintf(v, sizeof v, "none (no limiter)");
    number_row(f, "ceiling", "Ceiling", v);
    number_row(f, "sample_peak", "Sample peak", fmt_db(v, sizeof v, r->loud.sample_peak, "dBFS"));
    snprintf(v, sizeof v, "%+.2f dB", r->gain_db);
    number_row(f, "gain", "Gain", v);
    snprintf(a, sizeof a, "%.3f s at %u Hz", r->seconds, r->rate);
    number_row(f, "length", "Length", a);
    fputs("</table>\n", f);
}

static void json_block(FILE *f, const jm_report_t *r, const double *t, const double *m,
                       const double *st, const double *tp, size_t n, int band, double lo,
                       double hi, const double *spec)
{
    fputs("<script type=\"application/json\" id=\"jmixd-report\">\n{\"version\":1,\"title\":", f);
    json_str(f, r->title);
    fputs(",\"what\":", f);
    json_str(f, r->what);
    fprintf(f, ",\"step\":%g,\"rate\":%u,\n\"summary\":{\"integrated\":", JM_REPORT_STEP_S,
            r->rate);
    json_num2(f, r->loud.integrated);
    fputs(",\"true_peak\":", f);
    json_num2(f, r->loud.true_peak);
    fputs(",\"sample_peak\":", f);
    json_num2(f, r->loud.sample_peak);
    fprintf(f, ",\"range\":%.2f,\"gain\":%.2f,\"seconds\":%.3f,\"target\":", r->loud.range,
            r->gain_db, r->seconds);
    if (r->has_target) fprintf(f, "%.1f", r->target_lufs);
    else fputs("null", f);
    fputs(",\"target_name\":", f);
    if (r->target_name) json_str(f, r->target_name);
    else fputs("null", f);
    fputs(",\"ceiling\":", f);
    if (r->has_ceiling) fprintf(f, "%.1f", r->ceiling_db);
    else fputs("null", f);
    fputs("},\n\"lra_band\":", f);
    if (band) {
        fputc('[', f);
        jm_report_json_num(f, lo);
        fputc(',', f);
        jm_report_json_num(f, hi);
        fputc(']', f);
    } else {
        fputs("null", f);
    }
    fputs(",\n\"t\":", f);
    json_array(f, t, n);
    fputs(",\n\"momentary\":", f);
    json_array(f, m, n);
    fputs(",\n\"short_term\":", f);
    json_array(f, st, n);
    fputs(",\n\"true_peak\":", f);
    json_array(f, tp, n);
    double hz[MON_MAX], db[MON_MAX];
    fputs(",\n\"spectrum\":", f);
    if (spec) {
        for (int b = 0; b < JM_RTA_BANDS; b++) hz[b] = jm_rta_centre_hz(b);
        fputs("{\"hz\":", f);
        json_array(f, hz, JM_RTA_BANDS);
        fputs(",\"label\":[", f);
        for (int b = 0; b < JM_RTA_BANDS; b++) {
            if (b) fputc(',', f);
            json_str(f, jm_rta_label(b));
        }
        fputs("],\"db\":", f);
        json_array(f, spec, JM_RTA_BANDS);
        fputc('}', f);
    } else {
        fputs("null", f);
    }
    size_t nf = mon_freqs(hz, MON_MAX);
    fputs(",\n\"monitor\":{\"hz\":", f);
    json_array(f, hz, nf);
    for (int c = 0; c < JM_CURVE_COUNT; c++) {
        for (size_t i = 0; i < nf; i++) db[i] = jm_monitor_curve_db(c, r->rate, hz[i]);
        fputs(",\n", f);
        json_str(f, jm_monitor_curve_name(c));
        fputc(':', f);
        json_array(f, db, nf);
    }
    fputs("}\n}\n</script>\n", f);
}

static const char style[] =
    "<style>\n"
    "body{font-family:sans-serif;margin:24px auto;max-width:900px;color:#222;background:#fff}\n"
    "h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 6px}\n"
    ".what{color:#666;margin:0 0 16px}\n"
    "table.numbers{border-collapse:collapse}table.numbers th{text-align:left;font-weight:normal;"
    "color:#555;padding:3px 18px 3px 0}table.numbers td{font-variant-numeric:tabular-nums;"
    "padding:3px 0}\n"
    "svg{display:block;max-width:100%;height:auto}\n"
    "pre{background:#f4f4f4;padding:10px;white-space:pre-wrap;font-size:12px}\n"
    ".note{color:#666;font-size:13px}\n"
    "</style>\n";

int jm_report_write(const char *path, const jm_report_t *r, char *err, size_t errlen)
{
    const double *t0 = NULL, *m0 = NULL, *st0 = NULL, *tp0 = NULL;
    size_t n = r->series ? jm_rseries_points(r->series, &t0, &m0, &st0, &tp0) : 0;
    double lo = 0.0, hi = 0.0;
    int band = r->series && !jm_rseries_lra_band(r->series, &lo, &hi);
    double spec[JM_RTA_BANDS];
    int have_spec = r->series && !jm_rseries_spectrum(r->series, spec);
    for (int b = 0; have_spec && b < JM_RTA_BANDS; b++) spec[b] = jm_report_round(spec[b]);
    double *t = rounded(t0, n), *m = rounded(m0, n), *st = rounded(st0, n), *tp = rounded(tp0, n);
    FILE *f = NULL;
    int rc = -1;
    if (!t || !m || !st || !tp) {
        snprintf(err, errlen, "report: out of memory");
        goto done;
    }
    if (!(f = fopen(path, "w"))) {
        snprintf(err, errlen, "cannot create '%s': %s", path, strerror(errno));
        goto done;
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>jmixd report: ", f);
    jm_svg_escape(f, r->title);
    fprintf(f, "</title>\n%s</head>\n<body>\n<h1>", style);
    jm_svg_escape(f, r->title);
    fputs("</h1>\n<p class=\"what\">", f);
    jm_svg_escape(f, r->what);
    fputs(" &middot; report by jmixd: BS.1770-4 / EBU R128 loudness of the file as written</p>\n", f);
    numbers(f, r, band, lo, hi);
    fputs("<h2>Loudness</h2>\n", f);
    loudness_plot(f, r, t, m, st, n, band, lo, hi);
    fputs("<p class=\"note\">Every 100 ms of the output: momentary (400 ms window) and "
          "short-term (3 s) loudness ending at that time; the band is the loudness range "
          "(10th to 95th percentile of the gated short-term values, EBU Tech 3342).</p>\n", f);
    fputs("<h2>True peak</h2>\n", f);
    peak_plot(f, r, t, tp, n);
    fputs("<h2>Long-term spectrum</h2>\n", f);
    if (have_spec) {
        spectrum_plot(f, spec);
        fputs("<p class=\"note\">The mean square of the whole file in each 1/3-octave band "
              "(IEC 61260-1 centres, 20 Hz to 20 kHz; a sine of peak A reads 20 log10 A "
              "dBFS), from the console's analyser (jm_rta).</p>\n", f);
    } else {
        fputs("<p class=\"note\">No audio: no spectrum.</p>\n", f);
    }
    fputs("<h2>Monitor curves</h2>\n", f);
    monitor_plot(f, r->rate, 0);
    fputs("<p class=\"note\">The responses of the monitor section's translation curves "
          "(/monitor/curve), from the filters the console runs.</p>\n", f);
    if (r->summary) {
        fputs("<h2>Summary</h2>\n<pre>", f);
        jm_svg_escape(f, r->summary);
        fputs("</pre>\n", f);
    }
    json_block(f, r, t, m, st, tp, n, band, lo, hi, have_spec ? spec : NULL);
    fputs("</body>\n</html>\n", f);
    rc = 0;
done:
    if (f && fclose(f) && !rc) rc = -1, snprintf(err, errlen, "writing '%s' failed", path);
    free(t), free(m), free(st), free(tp);
    return rc;
}
