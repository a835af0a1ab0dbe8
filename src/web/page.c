/* The control surface page, generated once from the session and the
 * parameter table: a small HTML shell, the style sheet and script of
 * src/web/assets/ (embedded by assets.S), and JM_CFG, which names every
 * control's parameter (index into the table, path, unit, taper, default,
 * range) so the script can build the
 * desk. The parameters the page shows are flagged in w->on_page; only their
 * changes are sent to page sockets. */
#include "web_int.h"
#include "jmixd/dsp/biquad.h"

#include <stdio.h>
#include <string.h>

static int find(jm_web_t *w, const char *fmt, int i)
{
    char path[JM_PATH_MAX];
    snprintf(path, sizeof path, fmt, i);
    int p = jm_params_find(w->ps, path);
    if (p >= 0) w->on_page[p] = 1;
    return p;
}

static void put_idx(jm_text_t *b, const char *key, int p)
{
    jm_text_printf(b, ",\"%s\":", key);
    if (p >= 0) jm_text_printf(b, "%d", p);
    else jm_text_puts(b, "null");
}

static const char *kind(const jm_param_def_t *d)
{
    switch (d->taper) {
    case JM_TAPER_FADER: return "fader";
    case JM_TAPER_LOG: return "log";
    case JM_TAPER_BOOL: return "bool";
    case JM_TAPER_ENUM: return "enum";
    default: return "lin";
    }
}

static void put_param(const jm_web_t *w, jm_text_t *b, size_t p, int first)
{
    const jm_param_t *pr = &w->ps->p[p];
    const jm_param_def_t *d = pr->def;
    jm_text_printf(b, "%s\"%zu\":{\"p\":", first ? "" : ",", p);
    jm_web_json_str(b, pr->path);
    jm_text_puts(b, ",\"u\":");
    jm_web_json_str(b, jm_param_is_bool(d) || d->taper == JM_TAPER_ENUM ? "" : d->unit);
    jm_text_printf(b, ",\"k\":\"%s\",\"d\":%.6f,\"lo\":%.7g,\"hi\":%.7g", kind(d),
                   jm_param_to_norm(d, pr->defval), (double)d->min, (double)d->max);
    if (d->taper == JM_TAPER_ENUM && d->choices) {
        jm_text_puts(b, ",\"c\":[");
        for (int k = 0; d->choices[k]; k++) {
            if (k) jm_text_puts(b, ",");
            jm_web_json_str(b, d->choices[k]);
        }
        jm_text_puts(b, "]");
    }
    jm_text_puts(b, "}");
}

/* ,"v":[...]: every parameter of the owner under prefix ("/strip/3/"),
 * for its channel view; the page picks the leaves it shows per section. */
static void put_view(jm_web_t *w, jm_text_t *b, const char *fmt, int i)
{
    char prefix[JM_PATH_MAX];
    snprintf(prefix, sizeof prefix, fmt, i);
    size_t pl = strlen(prefix);
    int any = 0;
    jm_text_puts(b, ",\"v\":[");
    for (size_t p = 0; p < w->ps->n; p++) {
        if (strncmp(w->ps->p[p].path, prefix, pl)) continue;
        jm_text_printf(b, "%s%zu", any ? "," : "", p);
        w->on_page[p] = 1;
        any = 1;
    }
    jm_text_puts(b, "]");
}

_Static_assert(JM_EQ_BANDS == 4, "JM_CFG.dsp.eqt names four EQ bands");

static void config(jm_web_t *w, jm_text_t *b)
{
    const jm_session_t *s = w->s;
    jm_text_puts(b, "{\"name\":");
    jm_web_json_str(b, w->name);
    jm_text_puts(b, ",\"strips\":[");
    for (int i = 1; i <= s->n_strips; i++) {
        jm_text_puts(b, i > 1 ? ",{\"n\":" : "{\"n\":");
        jm_web_json_str(b, s->strips[i - 1].name);
        put_idx(b, "fader", find(w, "/strip/%d/fader", i));
        put_idx(b, "pan", find(w, "/strip/%d/pan", i));
        put_idx(b, "mute", find(w, "/strip/%d/mute", i));
        put_idx(b, "solo", find(w, "/strip/%d/solo", i));
        put_view(w, b, "/strip/%d/", i);
        jm_text_puts(b, "}");
    }
    jm_text_puts(b, "],\"buses\":[");
    for (int i = 1; i <= s->n_buses; i++) {
        jm_text_puts(b, i > 1 ? ",{\"n\":" : "{\"n\":");
        jm_web_json_str(b, s->buses[i - 1].name);
        jm_text_puts(b, ",\"t\":");
        jm_web_json_str(b, s->buses[i - 1].type);
        put_idx(b, "fader", find(w, "/bus/%d/fader", i));
        put_idx(b, "mute", find(w, "/bus/%d/mute", i));
        put_view(w, b, "/bus/%d/", i);
        jm_text_puts(b, "}");
    }
    jm_text_puts(b, "],\"master\":{\"x\":0");
    put_idx(b, "fader", find(w, "/master/fader", 0));
    put_idx(b, "mono", find(w, "/master/mono", 0));
    put_view(w, b, "/master/", 0);
    /* The filter designs the chain runs (src/dsp/chain.c): the HPF is a
     * Butterworth high-pass, EQ band 1 a low shelf, 2 and 3 peaking, 4 a
     * high shelf; the page draws the curve from them (jm_bq_design). */
    jm_text_printf(b, "},\"dsp\":{\"hpfq\":%.17g,\"eqt\":[\"lowshelf\",\"peak\",\"peak\","
                   "\"highshelf\"]},\"mon\":", JM_BQ_BUTTERWORTH_Q);
    /* the monitor section, whatever parameters it has */
    int any = 0;
    for (size_t p = 0; p < w->ps->n; p++) {
        if (w->ps->p[p].scope != JM_SCOPE_MONITOR) continue;
        jm_text_printf(b, "%s%zu", any ? "," : "[", p);
        w->on_page[p] = 1;
        any = 1;
    }
    jm_text_puts(b, any ? "]" : "null");
    jm_text_puts(b, ",\"P\":{");
    int first = 1;
    for (size_t p = 0; p < w->ps->n; p++) {
        if (!w->on_page[p]) continue;
        put_param(w, b, p, first);
        first = 0;
    }
    jm_text_puts(b, "}}");
}

static void html_text(jm_text_t *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '<') jm_text_puts(b, "&lt;");
        else if (*s == '>') jm_text_puts(b, "&gt;");
        else if (*s == '&') jm_text_puts(b, "&amp;");
        else if (*s == '"') jm_text_puts(b, "&quot;");
        else jm_text_put(b, s, 1);
    }
}

int jm_web_page_build(jm_web_t *w)
{
    jm_text_t b = {.max = 32u << 20};
    jm_text_puts(&b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1,"
                     "viewport-fit=cover\">\n"
                     "<meta name=\"mobile-web-app-capable\" content=\"yes\">\n<title>");
    html_text(&b, w->name);
    jm_text_puts(&b, " \xe2\x80\x94 jmixd</title>\n<style>\n");
    jm_text_puts(&b, jm_web_page_css);
    jm_text_puts(&b, "</style></head>\n<body class=\"off\"><header><h1>");
    html_text(&b, w->name);
    jm_text_puts(&b, "</h1><span id=\"conn\">connecting\xe2\x80\xa6</span>\n<div id=\"loud\">"
                     "<span><b>M</b><span id=\"loud-m\">\xe2\x80\x93</span></span>"
                     "<span><b>S</b><span id=\"loud-s\">\xe2\x80\x93</span></span>"
                     "<span><b>I</b><span id=\"loud-i\">\xe2\x80\x93</span> LUFS</span>"
                     "<span><b>TP</b><span id=\"loud-tp\">\xe2\x80\x93</span> dBTP</span>"
                     "<span><b>LRA</b><span id=\"loud-lra\">\xe2\x80\x93</span> LU</span>"
                     "<button id=\"loud-reset\" title=\"restart the integrated loudness\">"
                     "Reset</button></div></header>\n<main id=\"desk\"></main>\n<script>\n"
                     "var JM_CFG = ");
    config(w, &b);
    jm_text_puts(&b, ";\n</script>\n<script>\n");
    jm_text_puts(&b, jm_web_page_js);
    jm_text_puts(&b, "</script>\n</body></html>\n");
    if (b.oom) {
        jm_text_free(&b);
        return -1;
    }
    w->page = b.d;
    w->page_len = b.n;
    return 0;
}

/* ---- a performer's mix (/mix/NAME) ---- */

static int mix_param(const jm_web_t *w, const char *fmt, int a, int b)
{
    char path[JM_PATH_MAX];
    snprintf(path, sizeof path, fmt, a, b);
    return jm_params_find(w->ps, path);
}

/* JM_CFG of a mix: its strips' sends into the bus, the bus's fader and
 * mute; P holds only those parameters. */
static void mix_config(const jm_web_t *w, int k, jm_text_t *b)
{
    const jm_session_t *s = w->s;
    const jm_performer_cfg_t *pf = &s->performers[k];
    int bus = pf->bus + 1, fader = mix_param(w, "/bus/%d/fader", bus, 0),
        mute = mix_param(w, "/bus/%d/mute", bus, 0);
    jm_text_puts(b, "{\"name\":");
    jm_web_json_str(b, w->name);
    jm_text_puts(b, ",\"mix\":{\"n\":");
    jm_web_json_str(b, pf->name);
    jm_text_puts(b, ",\"bus\":");
    jm_web_json_str(b, s->buses[pf->bus].name);
    jm_text_puts(b, ",\"aux\":");
    jm_text_puts(b, !strcmp(s->buses[pf->bus].type, "aux") ? "true" : "false");
    put_idx(b, "fader", fader);
    put_idx(b, "mute", mute);
    jm_text_puts(b, "},\"strips\":[");
    int first = 1;
    for (int i = 1; i <= s->n_strips; i++) {
        int p = mix_param(w, "/strip/%d/send/%d/level", i, bus);
        if (p < 0) continue;
        jm_text_puts(b, first ? "{\"i\":" : ",{\"i\":");
        jm_text_printf(b, "%d,\"n\":", i);
        jm_web_json_str(b, s->strips[i - 1].name);
        put_idx(b, "send", p);
        jm_text_puts(b, "}");
        first = 0;
    }
    jm_text_puts(b, "],\"P\":{");
    first = 1;
    for (size_t p = 0; p < w->ps->n; p++) {
        const char *path = w->ps->p[p].path;
        char want[JM_PATH_MAX];
        snprintf(want, sizeof want, "/send/%d/level", bus);
        size_t pl = strlen(path), wl = strlen(want);
        int send = !strncmp(path, "/strip/", 7) && pl > wl && !strcmp(path + pl - wl, want);
        if ((int)p != fader && (int)p != mute && !send) continue;
        put_param(w, b, p, first);
        first = 0;
    }
    jm_text_puts(b, "}}");
}

void jm_web_mix_page(const jm_web_t *w, int k, jm_text_t *b)
{
    const jm_performer_cfg_t *pf = &w->s->performers[k];
    jm_text_puts(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1,"
                    "viewport-fit=cover\">\n"
                    "<meta name=\"mobile-web-app-capable\" content=\"yes\">\n<title>");
    html_text(b, pf->name);
    jm_text_puts(b, " \xe2\x80\x94 jmixd</title>\n<style>\n");
    jm_text_puts(b, jm_web_page_css);
    jm_text_puts(b, "</style></head>\n<body class=\"off mix\"><header><h1>");
    html_text(b, pf->name);
    jm_text_puts(b, " \xe2\x80\x94 ");
    html_text(b, w->s->buses[pf->bus].name);
    jm_text_puts(b, "</h1><span id=\"conn\">PIN?</span></header>\n"
                    "<form id=\"login\"><label for=\"pin\">PIN</label>"
                    "<input id=\"pin\" type=\"password\" inputmode=\"numeric\" "
                    "autocomplete=\"current-password\" maxlength=\"12\">"
                    "<button id=\"pin-go\" type=\"submit\">Enter</button>"
                    "<p id=\"login-err\" role=\"alert\"></p></form>\n"
                    "<main id=\"desk\" hidden></main>\n<script>\nvar JM_CFG = ");
    mix_config(w, k, b);
    jm_text_puts(b, ";\n</script>\n<script>\n");
    jm_text_puts(b, jm_web_page_js);
    jm_text_puts(b, "</script>\n</body></html>\n");
}
