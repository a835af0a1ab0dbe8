/* Automation lanes: modes, writing, touch and latch, and the set the audio
 * thread plays. */
#include "jmixd/control/automation.h"
#include "jmixd/util/grow.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int reserve(jm_lane_t *l, int n)
{
    jm_autopoint_t *p = jm_grow(l->pts, &l->cap, n, sizeof *p, 16);
    if (!p) return -1;
    l->pts = p;
    return 0;
}

jm_lane_t *jm_lanes_get(jm_autolanes_t *ls, int param, int create)
{
    for (int i = 0; i < ls->n; i++)
        if (ls->l[i].param == param) return &ls->l[i];
    if (!create) return NULL;
    jm_lane_t *grown = jm_grow(ls->l, &ls->cap, ls->n + 1, sizeof *grown, 8);
    if (!grown) return NULL;
    ls->l = grown;
    jm_lane_t *l = &ls->l[ls->n++];
    memset(l, 0, sizeof *l);
    l->param = param;
    l->mode = JM_AUTO_OFF;
    l->write_last = -1.0;
    l->thin_lo = l->glide_lo = -INFINITY;
    l->thin_hi = l->glide_hi = INFINITY;
    return l;
}

int jm_lanes_init(jm_autolanes_t *ls, const jm_session_t *s)
{
    memset(ls, 0, sizeof *ls);
    for (int i = 0; i < s->n_lanes; i++) {
        jm_lane_t *l = jm_lanes_get(ls, s->lanes[i].param, 1);
        if (!l || reserve(l, s->lanes[i].n_points)) return -1;
        l->mode = s->lanes[i].mode;
        memcpy(l->pts, s->lanes[i].points, (size_t)s->lanes[i].n_points * sizeof *l->pts);
        l->n = s->lanes[i].n_points;
    }
    return 0;
}

void jm_lanes_free(jm_autolanes_t *ls)
{
    for (int i = 0; i < ls->n; i++) {
        free(ls->l[i].pts);
        free(ls->l[i].orig);
        free(ls->l[i].pass);
    }
    free(ls->l);
    memset(ls, 0, sizeof *ls);
}

void jm_lanes_clear(jm_autolanes_t *ls, int param)
{
    jm_lane_t *l = jm_lanes_get(ls, param, 0);
    if (l) { l->n = 0; l->write_last = -1.0; l->n_pass = 0; l->stale = 0; }
}

int jm_lane_playing(const jm_lane_t *l)
{
    if (l->n == 0) return 0;
    switch (l->mode) {
    case JM_AUTO_READ: return 1;
    case JM_AUTO_TOUCH: return !l->touched;
    case JM_AUTO_LATCH: return !l->latched;
    default: return 0;
    }
}

int jm_lane_recording(const jm_lane_t *l, int rolling)
{
    if (!rolling) return 0;
    switch (l->mode) {
    case JM_AUTO_WRITE: return 1;
    case JM_AUTO_TOUCH: return l->touched;
    case JM_AUTO_LATCH: return l->latched;
    default: return 0;
    }
}

/* Index of the first point with time > t. */
static int upper(const jm_autopoint_t *p, int n, double t)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (p[mid].t <= t) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

float jm_lane_eval(const jm_lane_t *l, double t)
{
    if (l->n == 0) return 0.0f;
    int u = upper(l->pts, l->n, t);
    if (u == 0) return l->pts[0].v;
    if (u == l->n) return l->pts[l->n - 1].v;
    const jm_autopoint_t *a = &l->pts[u - 1], *b = &l->pts[u];
    double f = b->t > a->t ? (t - a->t) / (b->t - a->t) : 1.0;
    return (float)(a->v + f * (b->v - a->v));
}

void jm_lane_write_point(jm_lane_t *l, double t, float v)
{
    if (reserve(l, l->n + 1)) return;
    l->pts[l->n++] = (jm_autopoint_t){t, v};
}

static float eval_points(const jm_autopoint_t *p, int n, double t)
{
    if (n == 0) return 0.0f;
    int u = upper(p, n, t);
    if (u == 0) return p[0].v;
    if (u == n) return p[n - 1].v;
    double f = p[u].t > p[u - 1].t ? (t - p[u - 1].t) / (p[u].t - p[u - 1].t) : 1.0;
    return (float)(p[u - 1].v + f * (p[u].v - p[u - 1].v));
}

static int append(jm_autopoint_t **p, int *n, int *cap, double t, float v)
{
    jm_autopoint_t *q = jm_grow(*p, cap, *n + 1, sizeof *q, 16);
    if (!q) return -1;
    *p = q;
    (*p)[(*n)++] = (jm_autopoint_t){t, v};
    return 0;
}

/* Index of the first point with time >= t. */
static int lower(const jm_autopoint_t *p, int n, double t)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (p[mid].t < t) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* The lane = the curve from before the pass, with the pass's points laid
 * over [pass start, last pass point], then the old curve again from an
 * anchor at its own value. Every part is already in time order: one copy,
 * O(points). */
static void rebuild(jm_lane_t *l)
{
    l->stale = 0;
    if (!l->n_pass) return;
    double a = l->pass[0].t, b = l->pass[l->n_pass - 1].t;
    int head = lower(l->orig, l->n_orig, a), tail = upper(l->orig, l->n_orig, b);
    int n = head + l->n_pass + !l->pass_closed + (l->n_orig - tail);
    if (reserve(l, n)) return; /* out of memory: the lane keeps its last curve */
    jm_autopoint_t *p = l->pts;
    memcpy(p, l->orig, (size_t)head * sizeof *p);
    p += head;
    memcpy(p, l->pass, (size_t)l->n_pass * sizeof *p);
    p += l->n_pass;
    if (!l->pass_closed) *p++ = (jm_autopoint_t){b, eval_points(l->orig, l->n_orig, b)};
    memcpy(p, l->orig + tail, (size_t)(l->n_orig - tail) * sizeof *p);
    l->n = n;
}

void jm_lanes_sync(jm_autolanes_t *ls)
{
    for (int i = 0; i < ls->n; i++)
        if (ls->l[i].stale) rebuild(&ls->l[i]);
}

static void thin_reset(jm_lane_t *l)
{
    l->thin_lo = -INFINITY;
    l->thin_hi = INFINITY;
}

static void pass_begin(jm_lane_t *l)
{
    if (l->stale) rebuild(l); /* an earlier pass that ended without a hold */
    free(l->orig);
    l->orig = malloc(((size_t)l->n + 1) * sizeof *l->orig);
    if (l->orig) memcpy(l->orig, l->pts, (size_t)l->n * sizeof *l->pts);
    l->n_orig = l->orig ? l->n : 0;
    l->n_pass = 0;
    l->pass_closed = 0;
    l->full = 0;
    thin_reset(l);
}

/* Before appending nw: drop the pass's last point B when the line from the
 * point before it (A) to nw stays within tol of B and of every point dropped
 * since A (kept as a window of slopes from A: O(1) per point). Only points
 * at or before the write head are dropped: they can no longer change. */
static void thin(jm_lane_t *l, jm_autopoint_t nw, double tol)
{
    if (l->n_pass < 2) { thin_reset(l); return; }
    const jm_autopoint_t *a = &l->pass[l->n_pass - 2], *b = &l->pass[l->n_pass - 1];
    if (a->t == b->t && b->t == nw.t) {
        /* inside a step only its first and last points are ever seen (many
         * writes land on one transport time: it moves once a period) */
        l->n_pass--;
        thin_reset(l);
        return;
    }
    /* steps stay, unless smaller than tol (b.t == nw.t: the test below is
     * then |b.v - nw.v| <= tol) */
    if (!(a->t < b->t && b->t <= nw.t)) { thin_reset(l); return; }
    double lo = fmax(l->thin_lo, (b->v - tol - a->v) / (b->t - a->t));
    double hi = fmin(l->thin_hi, (b->v + tol - a->v) / (b->t - a->t));
    double s = (nw.v - a->v) / (nw.t - a->t);
    if (s >= lo && s <= hi) {
        l->n_pass--;
        l->thin_lo = lo;
        l->thin_hi = hi;
    } else {
        thin_reset(l);
    }
}

double jm_lane_thin_tol(const jm_param_def_t *d)
{
    if (d->unit && !strncmp(d->unit, "dB", 2)) return JM_LANE_THIN_DB;
    return JM_LANE_THIN_FRACTION * (double)(d->max - d->min);
}

int jm_lane_write(jm_lane_t *l, double t, float old, float v, double glide, double tol)
{
    if (l->write_last < 0.0 || t < l->write_last) pass_begin(l);
    if (l->full) return JM_LANE_IGNORED;
    /* the lane after this write, at most: the old curve before the pass, the
     * pass, its anchor, the old curve after it (+2: the closing points) */
    double a = l->n_pass ? l->pass[0].t : t;
    int size = lower(l->orig, l->n_orig, a) + l->n_pass + 2 + 1 +
               (l->n_orig - upper(l->orig, l->n_orig, t + glide)) + 2;
    if (size > JM_LANE_MAX_POINTS) {
        l->full = 1;
        return JM_LANE_FULL;
    }
    /* a write crossing the previous one's glide replaces it from t on (only
     * that glide's end point lies after t) */
    while (l->n_pass && l->pass[l->n_pass - 1].t > t) {
        l->n_pass--;
        l->thin_lo = l->glide_lo;
        l->thin_hi = l->glide_hi;
    }
    jm_autopoint_t at = {t, old};
    thin(l, at, tol);
    if (append(&l->pass, &l->n_pass, &l->cap_pass, t, old)) return 0;
    l->glide_lo = l->thin_lo;
    l->glide_hi = l->thin_hi;
    thin_reset(l); /* the glide's end is kept while it may still be replaced */
    append(&l->pass, &l->n_pass, &l->cap_pass, t + glide, v);
    l->write_last = t;
    l->write_end = t + glide;
    l->stale = 1;
    return 0;
}

void jm_lane_hold(jm_lane_t *l, double t, float v, double glide)
{
    if (l->write_last < 0.0 || !l->n_pass) return;
    if (t > l->write_end) append(&l->pass, &l->n_pass, &l->cap_pass, t, v);
    double back_t = (t > l->write_end ? t : l->write_end) + glide;
    /* glide back onto the curve the lane had (or hold, past its end) */
    int beyond = l->n_orig && l->orig[l->n_orig - 1].t > back_t;
    append(&l->pass, &l->n_pass, &l->cap_pass, back_t,
           beyond ? eval_points(l->orig, l->n_orig, back_t) : v);
    l->pass_closed = 1;
    rebuild(l);
    l->n_pass = 0;
    l->write_last = -1.0;
}

int jm_lane_touch(jm_lane_t *l, int on, int explicit_touch, double now)
{
    int before = jm_lane_playing(l);
    if (on) {
        if (!l->touched) l->write_last = -1.0;
        l->touched = 1;
        l->explicit_touch = l->explicit_touch || explicit_touch;
        l->last_change = now;
        if (l->mode == JM_AUTO_LATCH) l->latched = 1;
    } else {
        l->touched = 0;
        l->explicit_touch = 0;
        l->write_last = -1.0;
    }
    return before != jm_lane_playing(l);
}

int jm_lanes_tick(jm_autolanes_t *ls, double now, int rolling, double t, const float *values,
                  double glide)
{
    int changed = 0;
    for (int i = 0; i < ls->n; i++) {
        jm_lane_t *l = &ls->l[i];
        int before = jm_lane_playing(l);
        if (l->touched && !l->explicit_touch && now - l->last_change >= JM_TOUCH_RELEASE_S) {
            if (rolling && l->mode == JM_AUTO_TOUCH) jm_lane_hold(l, t, values[l->param], glide);
            l->touched = 0;
            l->write_last = -1.0;
        }
        if (!rolling && (l->latched || (l->mode == JM_AUTO_WRITE && l->write_last >= 0.0))) {
            jm_lane_hold(l, t, values[l->param], glide); /* up to where the transport stopped */
            l->latched = 0;
            l->write_last = -1.0;
        }
        changed |= before != jm_lane_playing(l);
    }
    return changed;
}

jm_rtlanes_t *jm_lanes_build_rt(jm_autolanes_t *ls, const jm_paramset_t *ps, double rate)
{
    jm_lanes_sync(ls);
    uint32_t n = 0;
    size_t points = 0;
    for (int i = 0; i < ls->n; i++)
        if (jm_lane_playing(&ls->l[i])) { n++; points += (size_t)ls->l[i].n; }
    size_t size = sizeof(jm_rtlanes_t) + n * sizeof(jm_rtlane_t) +
                  points * (sizeof(double) + sizeof(float));
    jm_rtlanes_t *rt = calloc(1, size);
    if (!rt) return NULL;
    rt->lane = (jm_rtlane_t *)(rt + 1);
    double *frames = (double *)(rt->lane + n);
    float *values = (float *)(frames + points);
    for (int i = 0; i < ls->n; i++) {
        const jm_lane_t *l = &ls->l[i];
        if (!jm_lane_playing(l)) continue;
        const jm_param_t *p = &ps->p[l->param];
        jm_rtlane_t *r = &rt->lane[rt->n++];
        r->scope = (uint8_t)p->scope;
        r->field = p->field;
        r->index = p->owner;
        r->n = (uint32_t)l->n;
        r->frame = frames;
        r->value = values;
        for (int k = 0; k < l->n; k++) {
            frames[k] = l->pts[k].t * rate;
            values[k] = l->pts[k].v;
        }
        frames += l->n;
        values += l->n;
    }
    return rt;
}

int jm_lanes_export(jm_autolanes_t *ls, jm_lane_cfg_t *out, int max)
{
    jm_lanes_sync(ls);
    int n = 0;
    for (int i = 0; i < ls->n && n < max; i++) {
        if (ls->l[i].mode == JM_AUTO_OFF && ls->l[i].n == 0) continue;
        out[n++] = (jm_lane_cfg_t){.param = ls->l[i].param, .mode = ls->l[i].mode,
                                   .n_points = ls->l[i].n, .points = ls->l[i].pts};
    }
    return n;
}

