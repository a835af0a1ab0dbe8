/* X32 values <-> parameter units, per law (include/jmixd/control/x32.h).
 * X32 floats are 0..1: linear over a range (lo + f*(hi-lo)), logarithmic
 * (lo*(hi/lo)^f) or the fader law (docs/dsp.md); switches and enums are
 * ints; /mix/on is the inverse of mute. */
#include "jmixd/control/x32.h"

#include <math.h>

const float jm_x32_ratios[12] = {1.1f, 1.3f, 1.5f, 2.0f, 2.5f, 3.0f,
                                 4.0f, 5.0f, 7.0f, 10.0f, 20.0f, 100.0f};

const char *const *jm_x32_color_names(void)
{
    /* the strip parameter `color` holds them: one list (src/session/params.c) */
    for (size_t i = 0; i < jm_param_defs_count; i++)
        if (jm_param_defs[i].scope == JM_SCOPE_STRIP && jm_param_defs[i].field == JM_SF_COLOR)
            return jm_param_defs[i].choices;
    return NULL;
}

static float unit(float x) { return x < 0.0f ? 0.0f : x > 1.0f ? 1.0f : x; }

float jm_x32_to_units(const jm_x32_ent_t *e, float x)
{
    switch (e->law) {
    case JM_X32_LAW_FADER: return jm_x32_db_from_norm(x);
    case JM_X32_LAW_LIN: return e->lo + unit(x) * (e->hi - e->lo);
    case JM_X32_LAW_LOG: return e->lo * powf(e->hi / e->lo, unit(x));
    case JM_X32_LAW_ONINV: return x >= 0.5f ? 0.0f : 1.0f;
    case JM_X32_LAW_RATIO: {
        int i = (int)lroundf(x);
        return jm_x32_ratios[i < 0 ? 0 : i > 11 ? 11 : i];
    }
    case JM_X32_LAW_INT: return roundf(x);
    /* IN/LC, <-EQ, EQ-> and PRE all tap before the fader; POST and GRP after */
    case JM_X32_LAW_SENDTYPE: return lroundf(x) <= 3 ? 1.0f : 0.0f;
    case JM_X32_LAW_NONE: default: return x;
    }
}

float jm_x32_from_units(const jm_x32_ent_t *e, float v)
{
    switch (e->law) {
    case JM_X32_LAW_FADER: return jm_x32_norm_from_db(v);
    case JM_X32_LAW_LIN: return unit((v - e->lo) / (e->hi - e->lo));
    case JM_X32_LAW_LOG:
        return v <= 0.0f ? (e->hi > e->lo ? 0.0f : 1.0f) : unit(logf(v / e->lo) / logf(e->hi / e->lo));
    case JM_X32_LAW_ONINV: return v >= 0.5f ? 0.0f : 1.0f;
    case JM_X32_LAW_RATIO: {
        /* the nearest X32 ratio on a log scale */
        int best = 0;
        for (int i = 1; i < 12; i++)
            if (fabsf(logf(jm_x32_ratios[i] / v)) < fabsf(logf(jm_x32_ratios[best] / v))) best = i;
        return (float)best;
    }
    case JM_X32_LAW_INT: return roundf(v);
    case JM_X32_LAW_SENDTYPE: return v >= 0.5f ? 3.0f : 4.0f; /* PRE or POST */
    case JM_X32_LAW_NONE: default: return v;
    }
}
