/* Ramps and lanes in the audio thread (see include/jmixd/engine/autoplay.h). */
#include "jmixd/engine/autoplay.h"

#include <string.h>

void jm_autoplay_init(jm_autoplay_t *a) { memset(a, 0, sizeof *a); }

static jm_glide_t *find(jm_autoplay_t *a, int scope, int field, int index)
{
    for (int i = 0; i < JM_MAX_GLIDES; i++) {
        jm_glide_t *g = &a->g[i];
        if (g->used && g->scope == scope && g->field == field && g->index == index) return g;
    }
    return NULL;
}

void jm_autoplay_glide(jm_autoplay_t *a, int scope, int field, int index, float from, float to,
                       uint32_t len)
{
    jm_glide_t *g = find(a, scope, field, index);
    if (!g) {
        for (int i = 0; i < JM_MAX_GLIDES && !g; i++)
            if (!a->g[i].used) g = &a->g[i];
        if (!g) return; /* full: the caller's plain set still lands the value */
        a->n_glides++;
    }
    *g = (jm_glide_t){.used = 1, .scope = (uint8_t)scope, .field = (uint16_t)field,
                      .index = (uint16_t)index, .cur = from, .to = to,
                      .step = len ? ((double)to - from) / len : 0.0, .left = len ? len : 1};
}

void jm_autoplay_cancel(jm_autoplay_t *a, int scope, int field, int index)
{
    if (!a->n_glides) return;
    jm_glide_t *g = find(a, scope, field, index);
    if (g) {
        g->used = 0;
        a->n_glides--;
    }
}

const jm_rtlanes_t *jm_autoplay_lanes(jm_autoplay_t *a, const jm_rtlanes_t *lanes)
{
    const jm_rtlanes_t *old = a->lanes;
    a->lanes = lanes;
    return old;
}

static int has_lanes(const jm_autoplay_t *a) { return a->lanes && a->lanes->n > 0; }

void jm_autoplay_transport(jm_autoplay_t *a, int rolling, double frame)
{
    /* the first frame given is no locate: lanes keep the values the mixer
     * started from until the transport moves */
    if (a->have_frame && !rolling && frame != a->frame && has_lanes(a)) a->chase = 1;
    a->have_frame = 1;
    a->rolling = rolling;
    a->frame = frame;
}

int jm_autoplay_active(const jm_autoplay_t *a)
{
    return a->n_glides > 0 || ((a->rolling || a->chase) && has_lanes(a));
}

void jm_autoplay_advance(jm_autoplay_t *a, uint32_t n)
{
    if (a->rolling) a->frame += n;
}

void jm_autoplay_step(jm_autoplay_t *a, uint32_t n, jm_autoplay_set_fn set, void *ctx)
{
    for (int i = 0; a->n_glides && i < JM_MAX_GLIDES; i++) {
        jm_glide_t *g = &a->g[i];
        if (!g->used) continue;
        uint32_t k = n < g->left ? n : g->left;
        g->left -= k;
        g->cur = g->left ? g->cur + g->step * k : g->to;
        set(ctx, g->scope, g->field, g->index, (float)g->cur, (int32_t)n);
        if (!g->left) {
            g->used = 0;
            a->n_glides--;
        }
    }
    if ((a->rolling || a->chase) && a->lanes) {
        /* rolling: the value at the end of the chunk, reached over it;
         * stopped after a locate: the value at the playhead, smoothed */
        double at = a->rolling ? a->frame + n : a->frame;
        int32_t len = a->rolling ? (int32_t)n : -1;
        for (uint32_t i = 0; i < a->lanes->n; i++) {
            const jm_rtlane_t *l = &a->lanes->lane[i];
            set(ctx, l->scope, l->field, l->index, jm_rtlane_eval(l, at), len);
        }
    }
    a->chase = 0;
}
