/* The console's cycle and the mapping of parameter values onto DSP state. */
#include "jmixd/mixer.h"

#include "jmixd/dsp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct jm_mixer {
    uint32_t rate;
    uint32_t meter_frames, meter_count;
    /* Raw parameter values (the parameter's unit), SoA by field. */
    float sp[JM_SF_COUNT][JM_MAX_STRIPS];
    float mp[JM_MF_COUNT];
    int32_t slen[JM_SF_COUNT], mlen[JM_MF_COUNT]; /* smoothing, samples */
    int solo_count;
    jm_strip_bank_t strips;
    jm_master_t master;
};

static void strip_mute_target(jm_mixer_t *m, int i, int32_t len)
{
    int silent = m->sp[JM_SF_MUTE][i] >= 0.5f ||
                 (m->solo_count > 0 && m->sp[JM_SF_SOLO][i] < 0.5f);
    jm_ramp_set(&m->strips.mute, i, silent ? 0.0f : 1.0f, len);
}

/* Recompute the DSP targets that depend on `field` of strip i. */
static void strip_derive(jm_mixer_t *m, int i, int field, int32_t len)
{
    jm_strip_bank_t *b = &m->strips;
    switch (field) {
    case JM_SF_TRIM:
    case JM_SF_POLARITY: {
        float g = jm_db_to_gain(m->sp[JM_SF_TRIM][i]);
        jm_ramp_set(&b->in, i, m->sp[JM_SF_POLARITY][i] >= 0.5f ? -g : g, len);
        break;
    }
    case JM_SF_MUTE: strip_mute_target(m, i, len); break;
    case JM_SF_SOLO: {
        int n = 0;
        for (int s = 0; s < b->n; s++) n += m->sp[JM_SF_SOLO][s] >= 0.5f;
        m->solo_count = n;
        for (int s = 0; s < b->n; s++) strip_mute_target(m, s, len);
        break;
    }
    case JM_SF_FADER: jm_ramp_set(&b->fader, i, jm_db_to_gain(m->sp[JM_SF_FADER][i]), len); break;
    case JM_SF_PAN: {
        float gl, gr;
        if (b->stereo[i]) jm_pan_balance(m->sp[JM_SF_PAN][i], &gl, &gr);
        else jm_pan_mono(m->sp[JM_SF_PAN][i], &gl, &gr);
        jm_ramp_set(&b->pl, i, gl, len);
        jm_ramp_set(&b->pr, i, gr, len);
        break;
    }
    default: break;
    }
}

static void master_derive(jm_mixer_t *m, int field, int32_t len)
{
    switch (field) {
    case JM_MF_FADER: jm_ramp_set(&m->master.g, 0, jm_db_to_gain(m->mp[JM_MF_FADER]), len); break;
    case JM_MF_MONO: jm_ramp_set(&m->master.g, 1, m->mp[JM_MF_MONO] >= 0.5f ? 1.0f : 0.0f, len); break;
    default: break;
    }
}

void jm_mixer_apply(jm_mixer_t *m, const jm_cmd_t *c)
{
    if (c->type != JM_CMD_SET) return;
    if (c->scope == JM_SCOPE_STRIP && c->field < JM_SF_COUNT && c->index < m->strips.n) {
        m->sp[c->field][c->index] = c->value;
        strip_derive(m, c->index, c->field, m->slen[c->field]);
    } else if (c->scope == JM_SCOPE_MASTER && c->field < JM_MF_COUNT) {
        m->mp[c->field] = c->value;
        master_derive(m, c->field, m->mlen[c->field]);
    }
}

jm_mixer_t *jm_mixer_create(const jm_mixer_config_t *cfg, const jm_paramset_t *ps,
                            const float *values)
{
    if (cfg->n_strips < 0 || cfg->n_strips > JM_MAX_STRIPS) return NULL;
    jm_mixer_t *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->rate = cfg->rate;
    m->meter_frames = cfg->meter_frames ? cfg->meter_frames : cfg->rate / 20;
    m->strips.n = cfg->n_strips;
    for (int i = 0; i < cfg->n_strips; i++) m->strips.stereo[i] = cfg->stereo[i] ? 1 : 0;
    for (size_t d = 0; d < jm_param_defs_count; d++) {
        const jm_param_def_t *def = &jm_param_defs[d];
        int32_t len = (int32_t)lroundf(def->smooth_ms * 0.001f * (float)cfg->rate);
        if (def->scope == JM_SCOPE_STRIP) m->slen[def->field] = len;
        else if (def->scope == JM_SCOPE_MASTER) m->mlen[def->field] = len;
    }
    /* Values first, then derive everything unsmoothed. */
    for (size_t i = 0; i < ps->n; i++) {
        const jm_param_t *p = &ps->p[i];
        if (p->scope == JM_SCOPE_STRIP && p->owner < cfg->n_strips) m->sp[p->field][p->owner] = values[i];
        else if (p->scope == JM_SCOPE_MASTER) m->mp[p->field] = values[i];
    }
    for (int i = 0; i < cfg->n_strips; i++)
        for (int f = 0; f < JM_SF_COUNT; f++) strip_derive(m, i, f, 0);
    for (int f = 0; f < JM_MF_COUNT; f++) master_derive(m, f, 0);
    return m;
}

void jm_mixer_destroy(jm_mixer_t *m) { free(m); }

static float rms_of(const jm_meteracc_t *a, uint32_t frames)
{
    return frames ? (float)sqrt(a->sumsq / frames) : 0.0f;
}

static void post_meters(jm_mixer_t *m, jm_queue_t *events)
{
    uint32_t fr = m->meter_count;
    for (int i = 0; i < m->strips.n; i++) {
        jm_event_t e = {.type = JM_EV_METER_STRIP, .index = (uint16_t)i};
        e.v[0] = m->strips.meter[i].peak;
        e.v[1] = rms_of(&m->strips.meter[i], fr);
        if (events) jm_queue_push(events, &e);
        m->strips.meter[i] = (jm_meteracc_t){0};
    }
    jm_event_t e = {.type = JM_EV_METER_MASTER};
    e.v[0] = m->master.meter[0].peak;
    e.v[1] = m->master.meter[1].peak;
    e.v[2] = rms_of(&m->master.meter[0], fr);
    e.v[3] = rms_of(&m->master.meter[1], fr);
    if (events) jm_queue_push(events, &e);
    m->master.meter[0] = m->master.meter[1] = (jm_meteracc_t){0};
    m->meter_count = 0;
}

void jm_mixer_process(jm_mixer_t *m, const float *const *in, float *out_l, float *out_r,
                      uint32_t n, jm_queue_t *events)
{
    memset(out_l, 0, n * sizeof *out_l);
    memset(out_r, 0, n * sizeof *out_r);
    jm_strip_bank_process(&m->strips, in, out_l, out_r, n);
    jm_master_process(&m->master, out_l, out_r, n);
    m->meter_count += n;
    if (m->meter_count >= m->meter_frames) post_meters(m, events);
}
