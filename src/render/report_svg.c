/* Small SVG and HTML helpers of the render report
 * (include/jmixd/render/report.h): axis mapping, ticks, path data, escaping,
 * the numbers shared by the JSON block and the paths. */
#include "jmixd/render/report.h"

#include <math.h>

double jm_plot_px(const jm_plot_t *p, double x)
{
    double a = p->x0, b = p->x1;
    if (p->logx) x = log10(x), a = log10(a), b = log10(b);
    return p->left + (x - a) / (b - a) * p->w;
}

double jm_plot_py(const jm_plot_t *p, double y)
{
    if (y < p->y0) y = p->y0;
    if (y > p->y1) y = p->y1;
    return p->top + (p->y1 - y) / (p->y1 - p->y0) * p->h;
}

int jm_svg_ticks(double lo, double hi, int max_ticks, double *first, double *step)
{
    if (!(hi > lo) || max_ticks < 2) return 0;
    double raw = (hi - lo) / (max_ticks - 1), mag = pow(10.0, floor(log10(raw)));
    static const double mult[] = {1.0, 2.0, 5.0, 10.0};
    double s = 10.0 * mag;
    for (int i = 0; i < 4; i++)
        if (mult[i] * mag >= raw * (1.0 - 1e-9)) {
            s = mult[i] * mag;
            break;
        }
    /* s >= (hi - lo) / (max_ticks - 1), so at most max_ticks fit */
    double f = ceil(lo / s - 1e-9) * s;
    int n = (int)floor((hi - f) / s + 1e-9) + 1;
    *first = f == 0.0 ? 0.0 : f; /* no "-0" */
    *step = s;
    return n;
}

size_t jm_svg_path(FILE *f, const jm_plot_t *p, const double *x, const double *y, size_t n)
{
    size_t drawn = 0;
    int pen = 0; /* 1: the last point was drawn, continue with L */
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i])) {
            pen = 0;
            continue;
        }
        fprintf(f, "%s%s%.2f %.2f", drawn ? " " : "", pen ? "L" : "M", jm_plot_px(p, x[i]),
                jm_plot_py(p, y[i]));
        pen = 1;
        drawn++;
    }
    return drawn;
}

void jm_svg_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            if (c >= 0x20 && c != 0x7f) fputc(c, f);
            else if (c == '\n' || c == '\t') fputc(c, f);
        }
    }
}

double jm_report_round(double v)
{
    if (!isfinite(v)) return NAN;
    double r = round(v * 1000.0) / 1000.0;
    return r == 0.0 ? 0.0 : r;
}

void jm_report_json_num(FILE *f, double v)
{
    v = jm_report_round(v);
    if (isnan(v)) fputs("null", f);
    else fprintf(f, "%.3f", v);
}
