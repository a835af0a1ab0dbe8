/* THE parameter table and the expansion of it into a session's parameters. */
#include "jmixd/session/params.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D1(x) {x, x, x, x}

/* Adding a parameter means adding a row here (and the DSP that reads its
 * field). Order is the order of --list-params within a strip. */
/* The X32's channel colours (/ch/NN/config/color, docs/osc.md). */
static const char *const strip_colors[] = {"OFF", "RD",  "GN",  "YE",  "BL",  "MG",  "CY",  "WH", "OFFi",
                                           "RDi", "GNi", "YEi", "BLi", "MGi", "CYi", "WHi", NULL};
static const char *const strip_sources[] = {"live", "file", NULL};
static const char *const monitor_curves[] = {"flat", "phone", "laptop", "earbuds", "car", "club",
                                             NULL};

const jm_param_def_t jm_param_defs[] = {
#define S JM_SCOPE_STRIP
#define M JM_SCOPE_MASTER
#define B JM_SCOPE_BUS
#define MON JM_SCOPE_MONITOR
#define TB JM_SCOPE_TALKBACK
#define LIN JM_TAPER_LIN
#define LOG JM_TAPER_LOG
#define FAD JM_TAPER_FADER
#define BOOL JM_TAPER_BOOL
#define SC(f) (JM_SF_CHAIN + (f))
#define MC(f) (JM_MF_CHAIN + (f))
#define BC(f) (JM_BF_CHAIN + (f))
    /* scope tail unit min max default taper smooth_ms field bus_type doc */
    {S, "trim", "dB", -24, 24, D1(0), LIN, 20, JM_SF_TRIM, NULL, "input gain before all processing", NULL, NULL},
    {S, "polarity", "bool", 0, 1, D1(0), BOOL, 20, JM_SF_POLARITY, NULL, "invert the polarity", NULL, NULL},
    {S, "hpf/on", "bool", 0, 1, D1(0), BOOL, 20, SC(JM_CF_HPF_ON), NULL, "high-pass filter in", NULL, NULL},
    {S, "hpf/freq", "Hz", 20, 1000, D1(80), LOG, 20, SC(JM_CF_HPF_FREQ), NULL, "high-pass corner, 12 dB/oct Butterworth", NULL, NULL},
    {S, "gate/on", "bool", 0, 1, D1(0), BOOL, 20, SC(JM_CF_GATE_ON), NULL, "gate in", NULL, NULL},
    {S, "gate/threshold", "dB", -90, 0, D1(-50), LIN, 20, SC(JM_CF_GATE_THRESHOLD), NULL, "gate opens above", NULL, NULL},
    {S, "gate/range", "dB", 0, 90, D1(60), LIN, 20, SC(JM_CF_GATE_RANGE), NULL, "attenuation when closed", NULL, NULL},
    {S, "gate/attack", "ms", 0.1f, 100, D1(1), LOG, 20, SC(JM_CF_GATE_ATTACK), NULL, "opening time", NULL, NULL},
    {S, "gate/hold", "ms", 0, 2000, D1(50), LIN, 20, SC(JM_CF_GATE_HOLD), NULL, "stays open after the signal falls", NULL, NULL},
    {S, "gate/release", "ms", 5, 4000, D1(200), LOG, 20, SC(JM_CF_GATE_RELEASE), NULL, "closing time", NULL, NULL},
#define EQ_ROWS(SCOPE, F)                                                                          \
    {SCOPE, "eq/on", "bool", 0, 1, D1(1), BOOL, 20, F(JM_CF_EQ_ON), NULL, "equaliser in", NULL, NULL},          \
    {SCOPE, "eq/{n}/freq", "Hz", 20, 20000, {100, 400, 2500, 8000}, LOG, 20, F(JM_CF_EQ_FREQ), NULL, \
     "band frequency (1 low shelf, 2-3 peaking, 4 high shelf)", NULL, NULL},                                   \
    {SCOPE, "eq/{n}/gain", "dB", -18, 18, D1(0), LIN, 20, F(JM_CF_EQ_GAIN), NULL, "band gain", NULL, NULL},      \
    {SCOPE, "eq/{n}/q", "", 0.1f, 10, {0.707f, 1, 1, 0.707f}, LOG, 20, F(JM_CF_EQ_Q), NULL,          \
     "band Q (shelf slope for bands 1 and 4)", NULL, NULL},                                                    \
    {SCOPE, "comp/on", "bool", 0, 1, D1(0), BOOL, 20, F(JM_CF_COMP_ON), NULL, "compressor in", NULL, NULL},     \
    {SCOPE, "comp/threshold", "dB", -60, 0, D1(-18), LIN, 20, F(JM_CF_COMP_THRESHOLD), NULL,        \
     "compression starts here", NULL, NULL},                                                                   \
    {SCOPE, "comp/ratio", ":1", 1, 20, D1(4), LOG, 20, F(JM_CF_COMP_RATIO), NULL, "ratio above threshold", NULL, NULL}, \
    {SCOPE, "comp/attack", "ms", 0.1f, 200, D1(10), LOG, 20, F(JM_CF_COMP_ATTACK), NULL, "attack time constant", NULL, NULL}, \
    {SCOPE, "comp/release", "ms", 5, 2000, D1(100), LOG, 20, F(JM_CF_COMP_RELEASE), NULL, "release time constant", NULL, NULL}, \
    {SCOPE, "comp/knee", "dB", 0, 24, D1(6), LIN, 20, F(JM_CF_COMP_KNEE), NULL, "soft knee width", NULL, NULL}, \
    {SCOPE, "comp/makeup", "dB", 0, 24, D1(0), LIN, 20, F(JM_CF_COMP_MAKEUP), NULL, "makeup gain", NULL, NULL}
    EQ_ROWS(S, SC),
    {S, "mute", "bool", 0, 1, D1(0), BOOL, 20, JM_SF_MUTE, NULL, "mute (fades out and in)", NULL, NULL},
    {S, "solo", "bool", 0, 1, D1(0), BOOL, 20, JM_SF_SOLO, NULL, "solo in place", NULL, NULL},
    /* PFL/AFL: listen on monitor_L/R; never changes the master or aux mixes */
    {S, "pfl", "bool", 0, 1, D1(0), BOOL, 20, JM_SF_PFL, NULL,
     "listen on the monitor (pre-fader; after fader and pan with /monitor/afl); master and aux untouched", NULL, NULL},
    {S, "fader", "dB", -90, 10, D1(0), FAD, 20, JM_SF_FADER, NULL, "channel fader; -90 is silence", NULL, NULL},
    {S, "pan", "", -1, 1, D1(0), LIN, 20, JM_SF_PAN, NULL, "pan (mono: constant power) or balance (stereo)", NULL, NULL},
    {S, "send/{b}/level", "dB", -90, 10, D1(-90), FAD, 20, JM_SF_SEND_LEVEL, NULL, "send to a bus", NULL, NULL},
    /* Sends to aux buses tap before the fader by default (monitor mixes, as
     * on consoles), sends to FX buses after it: two rows, one per kind. */
    {S, "send/{b}/pre", "bool", 0, 1, D1(1), BOOL, 20, JM_SF_SEND_PRE, NULL,
     "send taps before the fader (aux bus: default on)", NULL, "aux"},
    {S, "send/{b}/pre", "bool", 0, 1, D1(0), BOOL, 20, JM_SF_SEND_PRE, NULL,
     "send taps before the fader (FX bus: default off)", NULL, "!aux"},
    {S, "send/{b}/on", "bool", 0, 1, D1(1), BOOL, 20, JM_SF_SEND_ON, NULL, "send switched on (FX sends too)", NULL, NULL},
    {S, "send/{b}/pan", "", -1, 1, D1(0), LIN, 20, JM_SF_SEND_PAN, NULL,
     "pan into a stereo aux bus (mono strip: constant power; stereo strip: balance)", NULL, "aux"},
    /* Pan link: the send pans with the strip (X32 "link to main pan"); off by default */
    {S, "send/{b}/link", "bool", 0, 1, D1(0), BOOL, 20, JM_SF_SEND_LINK, NULL,
     "the aux send pans with the strip's pan instead of send/{b}/pan", NULL, "aux"},
    {S, "color", "enum", 0, 15, D1(0), JM_TAPER_ENUM, 0, JM_SF_COLOR, NULL,
     "strip colour for controllers (X32 colours: OFF RD GN YE BL MG CY WH, i = inverted); no sound", strip_colors, NULL},
    {S, "source", "enum", 0, 1, D1(0), JM_TAPER_ENUM, 20, JM_SF_SOURCE, NULL,
     "what the strip plays: live (its JACK inputs) or file (its file of the loaded take: virtual soundcheck); a switch crossfades", strip_sources, NULL},
    {B, "fader", "dB", -90, 10, D1(0), FAD, 20, JM_BF_FADER, NULL, "bus return fader", NULL, NULL},
    {B, "mute", "bool", 0, 1, D1(0), BOOL, 20, JM_BF_MUTE, NULL, "bus return mute", NULL, NULL},
    {B, "reverb/size", "", 0, 1, D1(0.5f), LIN, 20, JM_BF_REVERB_SIZE, "reverb", "room size", NULL, NULL},
    {B, "reverb/damping", "", 0, 1, D1(0.5f), LIN, 20, JM_BF_REVERB_DAMPING, "reverb", "high-frequency damping", NULL, NULL},
    {B, "reverb/width", "", 0, 1, D1(1), LIN, 20, JM_BF_REVERB_WIDTH, "reverb", "stereo width", NULL, NULL},
    {B, "reverb/predelay", "ms", 0, 200, D1(0), LIN, 20, JM_BF_REVERB_PREDELAY, "reverb", "pre-delay", NULL, NULL},
    {B, "delay/time", "ms", 1, 2000, D1(375), LOG, 20, JM_BF_DELAY_TIME, "delay", "echo time", NULL, NULL},
    {B, "delay/feedback", "", 0, 0.95f, D1(0.35f), LIN, 20, JM_BF_DELAY_FEEDBACK, "delay", "repeat level", NULL, NULL},
    {B, "delay/tone", "Hz", 500, 20000, D1(6000), LOG, 20, JM_BF_DELAY_TONE, "delay", "low-pass in the feedback", NULL, NULL},
    {B, "send/{b}/level", "dB", -90, 10, D1(-90), FAD, 20, JM_BF_SEND_LEVEL, "!aux",
     "FX return sent to an aux bus (post return fader)", NULL, "aux"},
    {B, "eq/on", "bool", 0, 1, D1(1), BOOL, 20, BC(JM_CF_EQ_ON), "aux", "aux bus: equaliser in", NULL, NULL},
    {B, "eq/{n}/freq", "Hz", 20, 20000, {100, 400, 2500, 8000}, LOG, 20, BC(JM_CF_EQ_FREQ), "aux",
     "aux bus: band frequency (1 low shelf, 2-3 peaking, 4 high shelf)", NULL, NULL},
    {B, "eq/{n}/gain", "dB", -18, 18, D1(0), LIN, 20, BC(JM_CF_EQ_GAIN), "aux", "aux bus: band gain", NULL, NULL},
    {B, "eq/{n}/q", "", 0.1f, 10, {0.707f, 1, 1, 0.707f}, LOG, 20, BC(JM_CF_EQ_Q), "aux",
     "aux bus: band Q (shelf slope for bands 1 and 4)", NULL, NULL},
    {B, "limiter/on", "bool", 0, 1, D1(1), BOOL, 20, JM_BF_LIMITER_ON, "aux",
     "aux bus: true-peak limiter in (ear protection; on by default; 2 ms lookahead)", NULL, NULL},
    {B, "limiter/ceiling", "dBTP", -12, 0, D1(-6), LIN, 20, JM_BF_LIMITER_CEILING, "aux",
     "aux bus: true-peak ceiling, the loudest its output gets", NULL, NULL},
    {B, "limiter/release", "ms", 1, 1000, D1(50), LOG, 20, JM_BF_LIMITER_RELEASE, "aux", "aux bus: limiter release time", NULL, NULL},
    {B, "pfl", "bool", 0, 1, D1(0), BOOL, 20, JM_BF_PFL, "aux",
     "aux bus: listen to its output on the monitor (as the musician hears it)", NULL, NULL},
    EQ_ROWS(M, MC),
    {M, "fader", "dB", -90, 10, D1(0), FAD, 20, JM_MF_FADER, NULL, "master fader", NULL, NULL},
    {M, "mono", "bool", 0, 1, D1(0), BOOL, 20, JM_MF_MONO, NULL, "sum the master to mono, (L+R)/2 on both sides", NULL, NULL},
    {M, "limiter/on", "bool", 0, 1, D1(0), BOOL, 20, JM_MF_LIMITER_ON, NULL, "true-peak limiter in", NULL, NULL},
    {M, "limiter/ceiling", "dBTP", -12, 0, D1(-1), LIN, 20, JM_MF_LIMITER_CEILING, NULL, "true-peak ceiling", NULL, NULL},
    {M, "limiter/release", "ms", 1, 1000, D1(50), LOG, 20, JM_MF_LIMITER_RELEASE, NULL, "release time", NULL, NULL},
    {M, "limiter/lookahead", "ms", 0.5f, 10, D1(2), LOG, 0, JM_MF_LIMITER_LOOKAHEAD, NULL,
     "lookahead; also the console's latency while the limiter is on", NULL, NULL},
    {MON, "level", "dB", -90, 10, D1(0), FAD, 20, JM_MONF_LEVEL, NULL, "monitor level", NULL, NULL},
    {MON, "dim", "bool", 0, 1, D1(0), BOOL, 20, JM_MONF_DIM, NULL, "monitor dim, -20 dB", NULL, NULL},
    {MON, "mono", "bool", 0, 1, D1(0), BOOL, 20, JM_MONF_MONO, NULL, "monitor in mono, (L+R)/2", NULL, NULL},
    {MON, "side", "bool", 0, 1, D1(0), BOOL, 20, JM_MONF_SIDE, NULL,
     "monitor L-R only: what mono loses", NULL, NULL},
    {MON, "curve", "enum", 0, 5, D1(0), JM_TAPER_ENUM, 20, JM_MONF_CURVE, NULL,
     "translation curve: flat, phone, laptop, earbuds, car, club", monitor_curves, NULL},
    {MON, "afl", "bool", 0, 1, D1(0), BOOL, 20, JM_MONF_AFL, NULL,
     "strip listen (pfl) after fader, mute and pan instead of pre-fader", NULL, NULL},
    /* talkback: the engineer's mic into the listed aux buses (docs/dsp.md) */
    {TB, "on", "bool", 0, 1, D1(0), BOOL, 20, JM_TBF_ON, NULL,
     "talkback on: the mic into the listed aux buses, their program dimmed", NULL, NULL},
    {TB, "dim", "dB", -40, 0, D1(-20), LIN, 20, JM_TBF_DIM, NULL,
     "the listed aux buses' program while talkback is on", NULL, NULL},
    {TB, "level", "dB", -90, 10, D1(0), FAD, 20, JM_TBF_LEVEL, NULL,
     "talkback mic level into the aux buses (after their fader)", NULL, NULL},
#undef S
#undef M
#undef B
#undef MON
#undef TB
#undef LIN
#undef LOG
#undef FAD
#undef BOOL
#undef SC
#undef MC
#undef BC
#undef EQ_ROWS
};
const size_t jm_param_defs_count = sizeof jm_param_defs / sizeof jm_param_defs[0];

float jm_x32_db_from_norm(float f)
{
    if (f <= 0.0f) return -90.0f;
    if (f >= 1.0f) return 10.0f;
    if (f >= 0.5f) return 40.0f * f - 30.0f;
    if (f >= 0.25f) return 80.0f * f - 50.0f;
    if (f >= 0.0625f) return 160.0f * f - 70.0f;
    return 480.0f * f - 90.0f;
}

float jm_x32_norm_from_db(float d)
{
    float f;
    if (d < -60.0f) f = (d + 90.0f) / 480.0f;
    else if (d < -30.0f) f = (d + 70.0f) / 160.0f;
    else if (d < -10.0f) f = (d + 50.0f) / 80.0f;
    else f = (d + 30.0f) / 40.0f;
    return f < 0.0f ? 0.0f : f > 1.0f ? 1.0f : f;
}

int jm_param_type_match(const char *want, const char *have)
{
    if (!want) return 1;
    if (want[0] == '!') return !have || strcmp(want + 1, have) != 0;
    if (!have) return 0;
    return strcmp(want, have) == 0;
}

int jm_param_is_bool(const jm_param_def_t *d) { return d->taper == JM_TAPER_BOOL; }

int jm_param_choice(const jm_param_def_t *d, const char *name)
{
    for (int i = 0; d->choices && d->choices[i]; i++)
        if (!strcmp(d->choices[i], name)) return i;
    return -1;
}

static jm_sub_t sub_kind(const char *tail)
{
    if (strstr(tail, "{n}")) return JM_SUB_BAND;
    if (strstr(tail, "{b}")) return JM_SUB_BUS;
    return JM_SUB_NONE;
}

int jm_param_def_fields(const jm_param_def_t *d)
{
    jm_sub_t sk = sub_kind(d->tail);
    return sk == JM_SUB_BAND ? JM_EQ_BANDS : sk == JM_SUB_BUS ? JM_MAX_BUSES : 1;
}

void jm_params_chain_defaults(float def[JM_CF_COUNT])
{
    for (int f = 0; f < JM_CF_COUNT; f++) def[f] = 0.0f;
    for (size_t i = 0; i < jm_param_defs_count; i++) {
        const jm_param_def_t *d = &jm_param_defs[i];
        int f = d->field - JM_SF_CHAIN;
        if (d->scope != JM_SCOPE_STRIP || f < 0 || f >= JM_CF_COUNT) continue;
        for (int b = 0; b < jm_param_def_fields(d); b++) def[f + b] = d->def[b];
    }
}

float jm_param_clamp(const jm_param_def_t *d, float v)
{
    if (d->taper == JM_TAPER_BOOL) return v >= 0.5f ? 1.0f : 0.0f;
    if (d->taper == JM_TAPER_ENUM) return v < d->min ? d->min : v > d->max ? d->max : roundf(v);
    return v < d->min ? d->min : v > d->max ? d->max : v;
}

float jm_param_to_norm(const jm_param_def_t *d, float v)
{
    v = jm_param_clamp(d, v);
    switch (d->taper) {
    case JM_TAPER_FADER: return jm_x32_norm_from_db(v);
    case JM_TAPER_LOG: return logf(v / d->min) / logf(d->max / d->min);
    case JM_TAPER_BOOL: return v;
    case JM_TAPER_ENUM:
    case JM_TAPER_LIN: default: return (v - d->min) / (d->max - d->min);
    }
}

float jm_param_from_norm(const jm_param_def_t *d, float f)
{
    f = f < 0.0f ? 0.0f : f > 1.0f ? 1.0f : f;
    switch (d->taper) {
    case JM_TAPER_FADER: return jm_param_clamp(d, jm_x32_db_from_norm(f));
    case JM_TAPER_LOG: return jm_param_clamp(d, d->min * powf(d->max / d->min, f));
    case JM_TAPER_BOOL: return f >= 0.5f ? 1.0f : 0.0f;
    case JM_TAPER_ENUM:
    case JM_TAPER_LIN: default: return jm_param_clamp(d, d->min + f * (d->max - d->min));
    }
}

/* Expand a tail template: {n} -> band number (1-based) in OSC form or
 * "band%d" in key form; {b} -> bus index (1-based) or bus name. '/' becomes
 * '.' in key form. */
static void expand(char *out, size_t cap, const char *tail, int sub, const char *subname,
                   int key_form)
{
    size_t o = 0;
    for (const char *t = tail; *t && o + 1 < cap; t++) {
        if (t[0] == '{' && (t[1] == 'n' || t[1] == 'b') && t[2] == '}') {
            char tmp[JM_NAME_MAX + 8];
            if (t[1] == 'n') snprintf(tmp, sizeof tmp, key_form ? "band%d" : "%d", sub + 1);
            else if (subname) snprintf(tmp, sizeof tmp, "%s", subname);
            else snprintf(tmp, sizeof tmp, "%d", sub + 1);
            for (const char *c = tmp; *c && o + 1 < cap; c++) out[o++] = *c;
            t += 2;
        } else {
            out[o++] = (key_form && *t == '/') ? '.' : *t;
        }
    }
    out[o] = '\0';
}


static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    while (*s) { h ^= (unsigned char)*s++; h *= 1099511628211ull; }
    return h;
}

static void hash_put(jm_paramset_t *set, const char *key, int32_t idx)
{
    size_t m = set->hash_cap - 1, i = (size_t)hash_str(key) & m;
    while (set->hash[i] >= 0) {
        const jm_param_t *p = &set->p[set->hash[i]];
        if (!strcmp(p->path, key) || !strcmp(p->name_path, key)) return; /* same path twice */
        i = (i + 1) & m;
    }
    set->hash[i] = idx;
}

static int find_exact(const jm_paramset_t *set, const char *path)
{
    if (!set->hash_cap) return -1;
    size_t m = set->hash_cap - 1, i = (size_t)hash_str(path) & m;
    while (set->hash[i] >= 0) {
        const jm_param_t *p = &set->p[set->hash[i]];
        if (!strcmp(p->path, path) || !strcmp(p->name_path, path)) return set->hash[i];
        i = (i + 1) & m;
    }
    return -1;
}

/* The 1-based index of the strip or bus called name[0..len), from the
 * parameters' own name paths; 0 when there is none. */
static int owner_index(const jm_paramset_t *set, jm_scope_t scope, const char *word,
                       const char *name, size_t len)
{
    size_t wl = strlen(word);
    for (size_t i = 0; i < set->n; i++) {
        const char *np = set->p[i].name_path;
        if (set->p[i].scope == scope && np[0] == '/' && !strncmp(np + 1, word, wl) &&
            np[1 + wl] == '/' && !strncmp(np + 2 + wl, name, len) && np[2 + wl + len] == '/')
            return set->p[i].owner + 1;
    }
    return 0;
}

static int all_digits(const char *a, size_t len)
{
    for (size_t k = 0; k < len; k++)
        if (a[k] < '0' || a[k] > '9') return 0;
    return len > 0;
}

/* A path that names some parts by index and others by name
 * (/strip/2/send/drums/level, /strip/kick/send/1/pan): every named strip or
 * bus becomes its index and the all-index form is looked up. */
static int find_mixed(const jm_paramset_t *set, const char *path)
{
    jm_scope_t scope;
    const char *word;
    if (!strncmp(path, "/strip/", 7)) scope = JM_SCOPE_STRIP, word = "strip";
    else if (!strncmp(path, "/bus/", 5)) scope = JM_SCOPE_BUS, word = "bus";
    else return -1;
    char out[JM_PATH_MAX];
    size_t o = (size_t)snprintf(out, sizeof out, "/%s", word);
    const char *q = path + 1 + strlen(word);   /* at "/OWNER/..." */
    int part = 0, send_next = 0;
    while (*q == '/') {
        const char *seg = q + 1, *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        int idx = 0;
        if (part == 0 && !all_digits(seg, len)) {
            if (!(idx = owner_index(set, scope, word, seg, len))) return -1;
        } else if (send_next && !all_digits(seg, len)) {
            if (!(idx = owner_index(set, JM_SCOPE_BUS, "bus", seg, len))) return -1;
        }
        int n = idx ? snprintf(out + o, sizeof out - o, "/%d", idx)
                    : snprintf(out + o, sizeof out - o, "/%.*s", (int)len, seg);
        if (n < 0 || (size_t)n >= sizeof out - o) return -1;
        o += (size_t)n;
        send_next = len == 4 && !strncmp(seg, "send", 4);
        part++;
        q = seg + len;
    }
    return strcmp(out, path) ? find_exact(set, out) : -1;
}

int jm_params_find(const jm_paramset_t *set, const char *path)
{
    int i = find_exact(set, path);
    return i >= 0 ? i : find_mixed(set, path);
}

/* Instances of one owner (strip s, bus b or the master) for one scope. */
static size_t add_owner(jm_paramset_t *set, size_t n, jm_scope_t scope, int owner,
                        const char *owner_name, const jm_topo_names_t *names)
{
    static const char *const scope_word[] = {"strip", "bus", "master", "monitor", "talkback"};
    for (size_t di = 0; di < jm_param_defs_count; di++) {
        const jm_param_def_t *d = &jm_param_defs[di];
        if (d->scope != scope) continue;
        if (d->bus_type &&
            !jm_param_type_match(d->bus_type, names->bus_types ? names->bus_types[owner] : NULL))
            continue;
        jm_sub_t sk = sub_kind(d->tail);
        int subs = sk == JM_SUB_BAND ? JM_EQ_BANDS : sk == JM_SUB_BUS ? names->n_buses : 1;
        for (int sub = 0; sub < subs; sub++) {
            if (sk == JM_SUB_BUS && d->sub_type &&
                !jm_param_type_match(d->sub_type, names->bus_types ? names->bus_types[sub] : NULL))
                continue;
            const char *subname = sk == JM_SUB_BUS ? names->bus_names[sub] : NULL;
            char t_idx[48], t_name[48];
            jm_param_t *p = &set->p[n++];
            p->def = d;
            p->scope = scope;
            p->owner = (uint16_t)owner;
            p->sub = (uint16_t)sub;
            p->field = (uint16_t)(d->field + sub);
            p->defval = d->def[sk == JM_SUB_BAND ? sub : 0];
            expand(t_idx, sizeof t_idx, d->tail, sub, NULL, 0);
            expand(t_name, sizeof t_name, d->tail, sub, subname, 0);
            expand(p->key, sizeof p->key, d->tail, sub, subname, 1);
            /* Names are at most 31 characters and tails short, so these fit;
             * the checks keep a truncated path from ever being registered. */
            int r1, r2;
            if (scope == JM_SCOPE_MASTER || scope == JM_SCOPE_MONITOR || scope == JM_SCOPE_TALKBACK) {
                r1 = snprintf(p->path, sizeof p->path, "/%s/%s", scope_word[scope], t_idx);
                r2 = snprintf(p->name_path, sizeof p->name_path, "/%s/%s", scope_word[scope], t_idx);
            } else {
                r1 = snprintf(p->path, sizeof p->path, "/%s/%d/%s", scope_word[scope],
                              owner + 1, t_idx);
                r2 = snprintf(p->name_path, sizeof p->name_path, "/%s/%s/%s",
                              scope_word[scope], owner_name, t_name);
            }
            if (r1 >= (int)sizeof p->path || r2 >= (int)sizeof p->name_path) p->path[0] = '\0';
        }
    }
    return n;
}

/* An upper bound: bus rows of every type are counted. */
static size_t count_for(jm_scope_t scope, int n_buses)
{
    size_t c = 0;
    for (size_t di = 0; di < jm_param_defs_count; di++) {
        if (jm_param_defs[di].scope != scope) continue;
        jm_sub_t sk = sub_kind(jm_param_defs[di].tail);
        c += sk == JM_SUB_BAND ? JM_EQ_BANDS : sk == JM_SUB_BUS ? (size_t)n_buses : 1;
    }
    return c;
}

int jm_params_build(jm_paramset_t *set, const jm_topo_names_t *names)
{
    memset(set, 0, sizeof *set);
    size_t total = count_for(JM_SCOPE_STRIP, names->n_buses) * (size_t)names->n_strips +
                   count_for(JM_SCOPE_BUS, names->n_buses) * (size_t)names->n_buses +
                   count_for(JM_SCOPE_MASTER, names->n_buses) +
                   count_for(JM_SCOPE_MONITOR, names->n_buses) +
                   count_for(JM_SCOPE_TALKBACK, names->n_buses);
    set->p = calloc(total ? total : 1, sizeof *set->p);
    set->hash_cap = 16;
    while (set->hash_cap < total * 4) set->hash_cap <<= 1;
    set->hash = malloc(set->hash_cap * sizeof *set->hash);
    if (!set->p || !set->hash) { jm_params_free(set); return -1; }
    for (size_t i = 0; i < set->hash_cap; i++) set->hash[i] = -1;

    size_t n = 0;
    for (int s = 0; s < names->n_strips; s++)
        n = add_owner(set, n, JM_SCOPE_STRIP, s, names->strip_names[s], names);
    for (int b = 0; b < names->n_buses; b++)
        n = add_owner(set, n, JM_SCOPE_BUS, b, names->bus_names[b], names);
    n = add_owner(set, n, JM_SCOPE_MASTER, 0, "master", names);
    if (names->monitor) n = add_owner(set, n, JM_SCOPE_MONITOR, 0, "monitor", names);
    if (names->talkback) n = add_owner(set, n, JM_SCOPE_TALKBACK, 0, "talkback", names);
    set->n = n;
    for (size_t i = 0; i < n; i++) {
        hash_put(set, set->p[i].path, (int32_t)i);
        hash_put(set, set->p[i].name_path, (int32_t)i);
    }
    return 0;
}

void jm_params_free(jm_paramset_t *set)
{
    free(set->p);
    free(set->hash);
    memset(set, 0, sizeof *set);
}
