/* The console's cycle and the mapping of parameter values onto DSP state.
 *
 * Per sub-block: each strip: input x trim/polarity -> chain (HPF, gate, EQ,
 * compressor) -> mute -> [pre tap] -> fader -> [post tap] -> pan -> master
 * sum; sends from the taps into the bus inputs. Aux sends have taps of
 * their own that ignore solo (dsp/aux.h): pre = the chain's output x mute,
 * post = that x fader; then send level x on, pan, into the aux bus. FX
 * buses: reverb or delay, wet only, x return gain -> master sum (returns
 * are solo-safe), and x send level into aux buses. Aux buses: EQ -> fader
 * x mute -> true-peak limiter -> their own outputs, metered. Master: chain
 * (EQ, compressor) -> fader -> mono -> limiter -> out, metered. Listen bus
 * (dsp/pfl.h), only while the engine asks for the monitor feed: strips
 * flagged pfl (their chain output x their listen gains) and aux buses
 * flagged pfl (their final output) -> the monitor feed, crossfaded with the
 * final master; it reads those signals and never writes them.
 *
 * Two paths compute the strips (both give the same audio; see simd.h):
 * - the scalar reference: one strip at a time, as described above;
 * - SIMD (default): the chains of mono strips run 8 at a time. Strips own
 *   chain lanes: mono strips lanes 0.. in strip order, stereo strips after
 *   them, so each group of 8 mono strips is 8 adjacent lanes (SoA state ->
 *   one vector load per field). A group's inputs (x trim) are interleaved
 *   into lane order, the chain kernel runs over the sub-block, the result
 *   is de-interleaved; then each strip's output stage (mute, fader, meter,
 *   pan into the sums, sends) runs vectorised over time while its gains
 *   are settled (per sample, as the reference, while one glides). Strips
 *   are still summed in strip order, so the sums round identically. Stereo
 *   strips, and the last mono strips when fewer than 8 remain and no spare
 *   lanes are left (more than 248 strips), take the scalar path. A group
 *   whose chains are all idle skips the kernel. */
#include "jmixd/engine/mixer.h"

#include "jmixd/engine/autoplay.h"
#include "jmixd/dsp/aux.h"
#include "jmixd/dsp/gain.h"
#include "jmixd/dsp/chain.h"
#include "jmixd/dsp/delay.h"
#include "jmixd/dsp/limiter.h"
#include "jmixd/dsp/pfl.h"
#include "jmixd/dsp/reverb.h"
#include "jmixd/dsp/simd.h"
#include "jmixd/util/ring.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SUB JM_MIXER_SUB

/* Glossary: sp/mp/bp = raw parameter values in their units, by field;
 * slen/mlen/blen = smoothing length per field (samples); bus_in/bus_wet =
 * bus input and output buffers of the current sub-block; ret = bus return
 * gain (fader x mute) ramps, lane per bus; s/pre/post = scratch signal of
 * the strip being processed (after the chain; pre- and post-fader taps). */
struct jm_mixer {
    uint32_t rate;
    /* meter windows: meter_count = frames since the last window ended (the
     * part past meter_frames is carried over, so the average rate is exact
     * although windows end only where a process call ends); meter_acc =
     * frames in the meter accumulators (the RMS divisor) */
    uint32_t meter_frames, meter_count, meter_acc;
    uint32_t latency_posted;
    int n_buses;
    uint8_t bus_type[JM_MAX_BUSES];
    uint8_t bus_stereo[JM_MAX_BUSES];
    int n_aux;                 /* aux buses in the session */
    uint8_t tb_bus[JM_MAX_BUSES]; /* aux buses talkback feeds */
    int n_tb;                  /* how many */

    float sp[JM_SF_COUNT][JM_MAX_STRIPS];
    float mp[JM_MF_COUNT];
    float bp[JM_BF_COUNT][JM_MAX_BUSES];
    float tp[JM_TBF_COUNT];
    int32_t slen[JM_SF_COUNT], mlen[JM_MF_COUNT], blen[JM_BF_COUNT], tlen[JM_TBF_COUNT];
    int solo_count;

    jm_strip_bank_t strips;
    jm_chain_t chain;          /* all strips */
    jm_chain_t mchain;         /* the master, one stereo lane */
    jm_send_bank_t sends[JM_MAX_BUSES];
    /* aux (glossary in dsp/aux.h): a_taps per strip, a_sends per aux bus;
     * fx_aux[fx] lane a = send of FX bus fx's return into aux bus a;
     * a_chain lane b = the EQ of aux bus b; a_lim = its limiter */
    jm_aux_taps_t a_taps;
    jm_aux_send_bank_t a_sends[JM_MAX_BUSES];
    jm_rampbank_t fx_aux[JM_MAX_BUSES];
    jm_chain_t a_chain;
    jm_limiter_t *a_lim[JM_MAX_BUSES];
    float *a_out[JM_MAX_BUSES][2];
    jm_reverb_t *reverb[JM_MAX_BUSES];
    jm_delay_t *delay[JM_MAX_BUSES];
    jm_rampbank_t ret;
    /* talkback (dsp/aux.h): tb lane 0 = the dim gain, lane 1 = the mic's;
     * tb_in = this call's mic (NULL: silence); tb_dim/tb_talk = per sample */
    jm_rampbank_t tb;
    const float *tb_in;
    int tb_live;               /* this sub-block: talkback changes the buses */
    float tb_dim[SUB], tb_talk[SUB];
    jm_meteracc_t bus_meter[JM_MAX_BUSES];
    jm_master_t master;
    jm_limiter_t limiter;
    jm_meteracc_t master_meter[2];
    /* per strip, this meter window: peak of its input after trim, before
     * the chain (the compressor's operating point in the web channel view) */
    float in_peak[JM_MAX_STRIPS];
    /* listen bus (dsp/pfl.h): l_strip lane i = strip i, l_bus lane b = aux
     * bus b; l_w lane 0 = the monitor feed's source (0 master .. 1 listen
     * bus); monp = monitor-scope values (only AFL is read here); n_listen =
     * sources flagged; mon_out = where the feed goes (NULL: nowhere, as in
     * a render); l_live = this sub-block computes the listen bus */
    jm_pfl_bank_t l_strip, l_bus;
    jm_rampbank_t l_w;
    float monp[JM_MONF_COUNT];
    int n_listen, l_live;
    float *mon_out[2];
    float l_l[SUB], l_r[SUB];

    /* ramps and automation lanes; lane sets swapped out, to hand back */
    jm_autoplay_t ap;
    const void *retired[8];
    int n_retired;

    /* virtual soundcheck: src_w = each strip's crossfade weight from its
     * live input (0) to its file (1); file_in = the take's channels for
     * the next process call (NULL: no take playing: silence); src_mix =
     * a sub-block per strip channel for the crossfades; cur_in = the inputs
     * of the sub-block when a strip is not live; zeros = silence */
    jm_rampbank_t src_w;
    const float *const *file_in;
    float *src_mix;
    const float *cur_in[2 * JM_MAX_STRIPS];
    float w_buf[SUB], zeros[SUB];

    float s_l[SUB], s_r[SUB], pre_l[SUB], pre_r[SUB], post_l[SUB], post_r[SUB];
    float bus_in[JM_MAX_BUSES][2][SUB];
    float bus_wet[2][SUB];
    float a_pre_l[SUB], a_pre_r[SUB], a_post_l[SUB], a_post_r[SUB], a_scratch[SUB];

    /* SIMD path (glossary): ops = the kernels in use, NULL for the scalar
     * reference; lane_of = chain lane of each strip; strip_of_lane = the
     * strip of a lane (-1: a spare lane of the last group, idle, fed
     * silence); n_groups = groups of 8 mono lanes run by the kernels; x = a
     * group's sub-block, lane-interleaved; g_s = its chain output per
     * member; g_src/g_gin = what a member's output stage reads and the gain
     * it applies first (raw input x settled trim, or the chain output x 1). */
    const jm_simd_ops_t *ops;
    int16_t lane_of[JM_MAX_STRIPS], strip_of_lane[JM_MAX_STRIPS];
    int n_groups;
    jm_lanes_t x[SUB];
    float g_s[JM_SIMD_LANES][SUB];
    const float *g_src[JM_SIMD_LANES];
    float g_gin[JM_SIMD_LANES];

    /* the analyser's tap (JM_CMD_RTA): its ring (NULL: off), which
     * source, and a scratch for a strip's chain output x its input gain */
    jm_ring_t *rta_ring;
    int rta_kind, rta_index;
    float rta_buf[SUB];
};

static void strip_mute_target(jm_mixer_t *m, int i, int32_t len)
{
    int silent = m->sp[JM_SF_MUTE][i] >= 0.5f ||
                 (m->solo_count > 0 && m->sp[JM_SF_SOLO][i] < 0.5f);
    jm_ramp_set(&m->strips.mute, i, silent ? 0.0f : 1.0f, len);
}

/* The pan gains of strip i's send into aux bus k: the send's own pan, or
 * the strip's while the send is linked to it. */
static void send_pan_derive(jm_mixer_t *m, int i, int k, int32_t len)
{
    if (m->bus_type[k] != JM_BUS_AUX) return;
    float pan = m->sp[JM_SF_SEND_LINK + k][i] >= 0.5f ? m->sp[JM_SF_PAN][i] : m->sp[JM_SF_SEND_PAN + k][i];
    float gl, gr;
    jm_aux_pan(pan, m->strips.stereo[i], m->bus_stereo[k], &gl, &gr);
    jm_ramp_set(&m->a_sends[k].pl, i, gl, len);
    jm_ramp_set(&m->a_sends[k].pr, i, gr, len);
}

/* Strip i's listen gains (its pfl, the monitor's afl, and for AFL its
 * fader, own mute (not solo) and pan). */
static void strip_listen_derive(jm_mixer_t *m, int i, int32_t len)
{
    float gl, gr;
    jm_pfl_strip_gains(m->sp[JM_SF_PFL][i] >= 0.5f, m->monp[JM_MONF_AFL] >= 0.5f, m->strips.stereo[i],
                       jm_db_to_gain(m->sp[JM_SF_FADER][i]), m->sp[JM_SF_MUTE][i] >= 0.5f,
                       m->sp[JM_SF_PAN][i], &gl, &gr);
    jm_ramp_set(&m->l_strip.gl, i, gl, len);
    jm_ramp_set(&m->l_strip.gr, i, gr, len);
}

/* Sources flagged pfl; while any is, the monitor feed is the listen bus. */
static void listen_count(jm_mixer_t *m, int32_t len)
{
    int n = 0;
    for (int i = 0; i < m->strips.n; i++) n += m->sp[JM_SF_PFL][i] >= 0.5f;
    for (int b = 0; b < m->n_buses; b++) n += m->bus_type[b] == JM_BUS_AUX && m->bp[JM_BF_PFL][b] >= 0.5f;
    m->n_listen = n;
    jm_ramp_set(&m->l_w, 0, n ? 1.0f : 0.0f, len);
}

/* Recompute the DSP targets that depend on `field` of strip i. */
static void strip_derive(jm_mixer_t *m, int i, int field, int32_t len)
{
    jm_strip_bank_t *b = &m->strips;
    float v = m->sp[field][i];
    if (field >= JM_SF_CHAIN && field < JM_SF_CHAIN + JM_CF_COUNT) {
        jm_chain_set(&m->chain, m->lane_of[i], field - JM_SF_CHAIN, v, len);
        return;
    }
    if ((field >= JM_SF_SEND_LEVEL && field < JM_SF_SEND_LEVEL + JM_MAX_BUSES) ||
        (field >= JM_SF_SEND_ON && field < JM_SF_SEND_ON + JM_MAX_BUSES)) {
        int k = field < JM_SF_SEND_ON ? field - JM_SF_SEND_LEVEL : field - JM_SF_SEND_ON;
        float g = m->sp[JM_SF_SEND_ON + k][i] >= 0.5f ? jm_db_to_gain(m->sp[JM_SF_SEND_LEVEL + k][i]) : 0.0f;
        jm_ramp_set(m->bus_type[k] == JM_BUS_AUX ? &m->a_sends[k].level : &m->sends[k].level, i, g, len);
        return;
    }
    if (field >= JM_SF_SEND_PRE && field < JM_SF_SEND_PRE + JM_MAX_BUSES) {
        int k = field - JM_SF_SEND_PRE;
        jm_ramp_set(m->bus_type[k] == JM_BUS_AUX ? &m->a_sends[k].pre : &m->sends[k].pre, i,
                    v >= 0.5f ? 1.0f : 0.0f, len);
        return;
    }
    if (field >= JM_SF_SEND_PAN && field < JM_SF_SEND_LINK + JM_MAX_BUSES) {
        send_pan_derive(m, i, (field - JM_SF_SEND_PAN) % JM_MAX_BUSES, len);
        return;
    }
    switch (field) {
    case JM_SF_TRIM:
    case JM_SF_POLARITY: {
        float g = jm_db_to_gain(m->sp[JM_SF_TRIM][i]);
        jm_ramp_set(&b->in, i, m->sp[JM_SF_POLARITY][i] >= 0.5f ? -g : g, len);
        break;
    }
    case JM_SF_MUTE:
        strip_mute_target(m, i, len);
        jm_ramp_set(&m->a_taps.mute, i, v >= 0.5f ? 0.0f : 1.0f, len);
        strip_listen_derive(m, i, len);
        break;
    case JM_SF_PFL:
        strip_listen_derive(m, i, len);
        listen_count(m, len);
        break;
    case JM_SF_SOURCE:
        jm_ramp_set(&m->src_w, i, v >= 0.5f ? 1.0f : 0.0f, len);
        break;
    case JM_SF_SOLO: {
        int n = 0;
        for (int s = 0; s < b->n; s++) n += m->sp[JM_SF_SOLO][s] >= 0.5f;
        m->solo_count = n;
        for (int s = 0; s < b->n; s++) strip_mute_target(m, s, len);
        break;
    }
    case JM_SF_FADER:
        jm_ramp_set(&b->fader, i, jm_db_to_gain(v), len);
        jm_ramp_set(&m->a_taps.fader, i, jm_db_to_gain(v), len);
        strip_listen_derive(m, i, len);
        break;
    case JM_SF_PAN: {
        float gl, gr;
        if (b->stereo[i]) jm_pan_balance(v, &gl, &gr);
        else jm_pan_mono(v, &gl, &gr);
        jm_ramp_set(&b->pl, i, gl, len);
        jm_ramp_set(&b->pr, i, gr, len);
        for (int k = 0; k < m->n_buses; k++) /* linked aux sends follow */
            if (m->sp[JM_SF_SEND_LINK + k][i] >= 0.5f) send_pan_derive(m, i, k, len);
        strip_listen_derive(m, i, len);
        break;
    }
    default: break;
    }
}

static void master_derive(jm_mixer_t *m, int field, int32_t len)
{
    float *mp = m->mp;
    if (field >= JM_MF_CHAIN) {
        jm_chain_set(&m->mchain, 0, field - JM_MF_CHAIN, mp[field], len);
        return;
    }
    switch (field) {
    case JM_MF_FADER: jm_ramp_set(&m->master.g, 0, jm_db_to_gain(mp[field]), len); break;
    case JM_MF_MONO: jm_ramp_set(&m->master.g, 1, mp[field] >= 0.5f ? 1.0f : 0.0f, len); break;
    default: /* the limiter glides and crossfades internally */
        jm_limiter_set(&m->limiter, mp[JM_MF_LIMITER_ON] >= 0.5f, mp[JM_MF_LIMITER_CEILING],
                       mp[JM_MF_LIMITER_RELEASE], mp[JM_MF_LIMITER_LOOKAHEAD]);
        break;
    }
}

static void talkback_derive(jm_mixer_t *m, int32_t len)
{
    int on = m->tp[JM_TBF_ON] >= 0.5f;
    jm_ramp_set(&m->tb, 0, on ? jm_db_to_gain(m->tp[JM_TBF_DIM]) : 1.0f, len);
    jm_ramp_set(&m->tb, 1, on ? jm_db_to_gain(m->tp[JM_TBF_LEVEL]) : 0.0f, len);
}

static void bus_derive(jm_mixer_t *m, int b, int field, int32_t len)
{
    float *v[JM_BF_COUNT];
    for (int f = 0; f < JM_BF_COUNT; f++) v[f] = &m->bp[f][b];
    switch (field) {
    case JM_BF_FADER:
    case JM_BF_MUTE:
        jm_ramp_set(&m->ret, b, *v[JM_BF_MUTE] >= 0.5f ? 0.0f : jm_db_to_gain(*v[JM_BF_FADER]), len);
        break;
    case JM_BF_LIMITER_ON:
    case JM_BF_LIMITER_CEILING:
    case JM_BF_LIMITER_RELEASE: /* the limiter glides internally; a fixed 2 ms lookahead */
        if (m->a_lim[b])
            jm_limiter_set(m->a_lim[b], *v[JM_BF_LIMITER_ON] >= 0.5f, *v[JM_BF_LIMITER_CEILING],
                           *v[JM_BF_LIMITER_RELEASE], 2.0f);
        break;
    case JM_BF_PFL: { /* an aux bus's output as is, both sides (a mono bus: alike) */
        float g = m->bus_type[b] == JM_BUS_AUX && *v[JM_BF_PFL] >= 0.5f ? 1.0f : 0.0f;
        jm_ramp_set(&m->l_bus.gl, b, g, len);
        jm_ramp_set(&m->l_bus.gr, b, g, len);
        listen_count(m, len);
        break;
    }
    default:
        if (field >= JM_BF_CHAIN) {
            if (m->bus_type[b] == JM_BUS_AUX)
                jm_chain_set(&m->a_chain, b, field - JM_BF_CHAIN, *v[field], len);
            break;
        }
        if (field >= JM_BF_SEND_LEVEL) {
            jm_ramp_set(&m->fx_aux[b], field - JM_BF_SEND_LEVEL, jm_db_to_gain(*v[field]), len);
            break;
        }
        /* reverb and delay smooth their own parameters */
        if (m->reverb[b])
            jm_reverb_set(m->reverb[b], *v[JM_BF_REVERB_SIZE], *v[JM_BF_REVERB_DAMPING],
                          *v[JM_BF_REVERB_WIDTH], *v[JM_BF_REVERB_PREDELAY]);
        if (m->delay[b])
            jm_delay_set(m->delay[b], *v[JM_BF_DELAY_TIME], *v[JM_BF_DELAY_FEEDBACK],
                         *v[JM_BF_DELAY_TONE]);
        break;
    }
}

/* A parameter value; the DSP follows over len frames (< 0: the parameter's
 * own smoothing time). Also the setter of ramps and lanes. */
static void set_param(void *ctx, int scope, int field, int index, float value, int32_t len)
{
    jm_mixer_t *m = ctx;
    if (scope == JM_SCOPE_STRIP && field < JM_SF_COUNT && index < m->strips.n) {
        m->sp[field][index] = value;
        strip_derive(m, index, field, len < 0 ? m->slen[field] : len);
    } else if (scope == JM_SCOPE_MASTER && field < JM_MF_COUNT) {
        m->mp[field] = value;
        master_derive(m, field, len < 0 ? m->mlen[field] : len);
    } else if (scope == JM_SCOPE_BUS && field < JM_BF_COUNT && index < m->n_buses) {
        m->bp[field][index] = value;
        bus_derive(m, index, field, len < 0 ? m->blen[field] : len);
    } else if (scope == JM_SCOPE_TALKBACK && field < JM_TBF_COUNT) {
        m->tp[field] = value;
        talkback_derive(m, len < 0 ? m->tlen[field] : len);
    } else if (scope == JM_SCOPE_MONITOR && field == JM_MONF_AFL) {
        m->monp[field] = value;
        for (int i = 0; i < m->strips.n; i++)
            strip_listen_derive(m, i, len < 0 ? m->slen[JM_SF_PFL] : len);
    }
}

static float get_param(const jm_mixer_t *m, int scope, int field, int index)
{
    if (scope == JM_SCOPE_STRIP && field < JM_SF_COUNT && index < m->strips.n) return m->sp[field][index];
    if (scope == JM_SCOPE_MASTER && field < JM_MF_COUNT) return m->mp[field];
    if (scope == JM_SCOPE_BUS && field < JM_BF_COUNT && index < m->n_buses) return m->bp[field][index];
    if (scope == JM_SCOPE_TALKBACK && field < JM_TBF_COUNT) return m->tp[field];
    if (scope == JM_SCOPE_MONITOR && field == JM_MONF_AFL) return m->monp[field];
    return 0.0f;
}

void jm_mixer_apply(jm_mixer_t *m, const jm_cmd_t *c)
{
    switch (c->type) {
    case JM_CMD_SET:
        jm_autoplay_cancel(&m->ap, c->scope, c->field, c->index);
        set_param(m, c->scope, c->field, c->index, c->value, -1);
        break;
    case JM_CMD_RAMP:
        jm_autoplay_glide(&m->ap, c->scope, c->field, c->index,
                          get_param(m, c->scope, c->field, c->index), c->value, c->len);
        break;
    case JM_CMD_LANES: {
        const void *old = jm_autoplay_lanes(&m->ap, c->ptr);
        if (old && m->n_retired < 8) m->retired[m->n_retired++] = old;
        break;
    }
    case JM_CMD_RTA:
        m->rta_kind = c->ptr ? c->field : JM_RTA_SRC_OFF;
        m->rta_index = c->index;
        m->rta_ring = m->rta_kind != JM_RTA_SRC_OFF ? (jm_ring_t *)c->ptr : NULL;
        break;
    default: break;
    }
}

void jm_mixer_transport(jm_mixer_t *m, int rolling, double frame)
{
    jm_autoplay_transport(&m->ap, rolling, frame);
}

static void smoothing_lengths(jm_mixer_t *m, uint32_t rate)
{
    for (size_t d = 0; d < jm_param_defs_count; d++) {
        const jm_param_def_t *def = &jm_param_defs[d];
        int32_t len = (int32_t)lroundf(def->smooth_ms * 0.001f * (float)rate);
        int count = jm_param_def_fields(def);
        for (int k = 0; k < count; k++) {
            if (def->scope == JM_SCOPE_STRIP) m->slen[def->field + k] = len;
            else if (def->scope == JM_SCOPE_MASTER) m->mlen[def->field + k] = len;
            else if (def->scope == JM_SCOPE_TALKBACK) m->tlen[def->field + k] = len;
            else if (def->scope == JM_SCOPE_BUS) m->blen[def->field + k] = len;
        }
    }
}

jm_mixer_t *jm_mixer_create(const jm_mixer_config_t *cfg, const jm_paramset_t *ps,
                            const float *values)
{
    if (cfg->n_strips < 0 || cfg->n_strips > JM_MAX_STRIPS || cfg->n_buses < 0 ||
        cfg->n_buses > JM_MAX_BUSES)
        return NULL;
    /* aligned for the lane blocks (32-byte vectors) */
    size_t size = (sizeof(jm_mixer_t) + 63) / 64 * 64;
    jm_mixer_t *m = aligned_alloc(64, size);
    if (!m) return NULL;
    memset(m, 0, size);
    float fs = (float)cfg->rate;
    m->rate = cfg->rate;
    m->meter_frames = cfg->meter_frames ? cfg->meter_frames : cfg->rate / 20;
    m->strips.n = cfg->n_strips;
    for (int i = 0; i < cfg->n_strips; i++) m->strips.stereo[i] = cfg->stereo[i] ? 1 : 0;
    smoothing_lengths(m, cfg->rate);
    /* chain lanes: mono strips first (padded to whole groups of 8 while
     * lanes remain), then stereo strips */
    int n_mono = 0, n_st = 0;
    for (int i = 0; i < cfg->n_strips; i++) n_mono += !m->strips.stereo[i];
    n_st = cfg->n_strips - n_mono;
    int padded = (n_mono + 7) / 8 * 8, st_lane = padded + n_st <= JM_MAX_STRIPS ? padded : n_mono;
    m->n_groups = st_lane / 8;
    uint8_t lane_st[JM_MAX_STRIPS] = {0};
    for (int l = 0; l < JM_MAX_STRIPS; l++) m->strip_of_lane[l] = -1;
    for (int i = 0, mono = 0, st = st_lane; i < cfg->n_strips; i++) {
        int l = m->strips.stereo[i] ? st++ : mono++;
        m->lane_of[i] = (int16_t)l;
        m->strip_of_lane[l] = (int16_t)i;
        lane_st[l] = m->strips.stereo[i];
    }
    float chain_def[JM_CF_COUNT];
    jm_params_chain_defaults(chain_def);
    jm_chain_init(&m->chain, st_lane + n_st, lane_st, fs, m->slen[JM_SF_FADER], chain_def);
    const char *env = getenv("JMIXD_SIMD");
    int level = env ? jm_simd_parse(env) : JM_SIMD_AUTO;
    jm_mixer_set_simd(m, level < 0 ? JM_SIMD_AUTO : level);
    const uint8_t one_stereo = 1;
    jm_chain_init(&m->mchain, 1, &one_stereo, fs, m->mlen[JM_MF_FADER], chain_def);
    jm_limiter_init(&m->limiter, fs);
    m->n_buses = cfg->n_buses;
    for (int b = 0; b < cfg->n_buses; b++) {
        m->bus_type[b] = cfg->bus_type[b];
        m->bus_stereo[b] = cfg->bus_stereo ? cfg->bus_stereo[b] != 0 : 1;
        for (int f = 0; f < JM_CF_COUNT; f++) m->bp[JM_BF_CHAIN + f][b] = chain_def[f];
        if (cfg->bus_type[b] == JM_BUS_AUX) {
            m->n_aux++;
            m->tb_bus[b] = cfg->talkback_bus && cfg->talkback_bus[b];
            m->n_tb += m->tb_bus[b];
            if (!(m->a_lim[b] = calloc(1, sizeof *m->a_lim[b]))) goto fail;
            jm_limiter_init(m->a_lim[b], fs);
        } else if (cfg->bus_type[b] == JM_BUS_REVERB) {
            if (!(m->reverb[b] = calloc(1, sizeof *m->reverb[b]))) goto fail;
            jm_reverb_init(m->reverb[b], fs);
        } else {
            if (!(m->delay[b] = calloc(1, sizeof *m->delay[b]))) goto fail;
            jm_delay_init(m->delay[b], fs);
        }
    }
    if (cfg->n_strips && !(m->src_mix = calloc((size_t)2 * cfg->n_strips * SUB, sizeof(float))))
        goto fail;
    jm_chain_init(&m->a_chain, cfg->n_buses ? cfg->n_buses : 1, m->bus_stereo, fs,
                  m->blen[JM_BF_FADER], chain_def);
    /* Values first (defaults for anything the set does not name), then
     * derive everything unsmoothed. */
    for (size_t i = 0; i < ps->n; i++) {
        const jm_param_t *p = &ps->p[i];
        if (p->scope == JM_SCOPE_STRIP && p->owner < cfg->n_strips) m->sp[p->field][p->owner] = values[i];
        else if (p->scope == JM_SCOPE_MASTER) m->mp[p->field] = values[i];
        else if (p->scope == JM_SCOPE_BUS && p->owner < cfg->n_buses) m->bp[p->field][p->owner] = values[i];
        else if (p->scope == JM_SCOPE_TALKBACK && p->field < JM_TBF_COUNT) m->tp[p->field] = values[i];
        else if (p->scope == JM_SCOPE_MONITOR && p->field < JM_MONF_COUNT) m->monp[p->field] = values[i];
    }
    talkback_derive(m, 0);
    for (int i = 0; i < cfg->n_strips; i++)
        for (int f = 0; f < JM_SF_COUNT; f++) strip_derive(m, i, f, 0);
    for (int f = 0; f < JM_MF_COUNT; f++) master_derive(m, f, 0);
    for (int b = 0; b < cfg->n_buses; b++)
        for (int f = 0; f < JM_BF_COUNT; f++) bus_derive(m, b, f, 0);
    listen_count(m, 0);
    jm_limiter_reset(&m->limiter); /* start settled at the initial lookahead */
    for (int b = 0; b < cfg->n_buses; b++)
        if (m->a_lim[b]) jm_limiter_reset(m->a_lim[b]);
    m->latency_posted = jm_limiter_latency(&m->limiter);
    return m;
fail:
    jm_mixer_destroy(m);
    return NULL;
}

void jm_mixer_destroy(jm_mixer_t *m)
{
    if (!m) return;
    for (int b = 0; b < JM_MAX_BUSES; b++) {
        free(m->reverb[b]);
        free(m->delay[b]);
        free(m->a_lim[b]);
    }
    free(m->src_mix);
    free(m);
}

uint32_t jm_mixer_latency(const jm_mixer_t *m) { return jm_limiter_latency(&m->limiter); }

int jm_mixer_set_simd(jm_mixer_t *m, int level)
{
    m->ops = jm_simd_ops(level);
    /* the quiet marks are only set by the kernels' bookkeeping */
    memset(m->chain.quiet, 0, sizeof m->chain.quiet);
    return m->ops || level == JM_SIMD_OFF ? 0 : -1;
}

void jm_mixer_bus_outputs(jm_mixer_t *m, float *const *out)
{
    for (int b = 0; b < m->n_buses; b++) {
        m->a_out[b][0] = out ? out[2 * b] : NULL;
        m->a_out[b][1] = out && m->bus_stereo[b] ? out[2 * b + 1] : NULL;
    }
}

void jm_mixer_talkback_input(jm_mixer_t *m, const float *in) { m->tb_in = in; }

void jm_mixer_file_inputs(jm_mixer_t *m, const float *const *file) { m->file_in = file; }

/* The inputs of a sub-block when some strip is not live: each such strip's
 * channels crossfaded from live to file (w per frame, one ramp per strip)
 * into src_mix, or the file itself once the crossfade is over. NULL when
 * every strip is live (the caller then reads `in` as it is). */
static const float *const *source_inputs(jm_mixer_t *m, const float *const *in, uint32_t off,
                                         uint32_t n)
{
    jm_rampbank_t *w = &m->src_w;
    int any = 0;
    for (int i = 0; i < m->strips.n && !any; i++) any = w->cur[i] != 0.0f || w->left[i] > 0;
    if (!any) return NULL;
    for (int i = 0; i < m->strips.n; i++) {
        int nch = m->strips.stereo[i] ? 2 : 1;
        for (int c = 0; c < 2; c++) {
            const float *x = in[2 * i + c];
            m->cur_in[2 * i + c] = c < nch && x ? x + off : NULL;
        }
        if (w->cur[i] == 0.0f && w->left[i] <= 0) continue; /* live */
        if (w->left[i] <= 0) { /* all file */
            for (int c = 0; c < nch; c++) {
                const float *f = m->file_in ? m->file_in[2 * i + c] : NULL;
                m->cur_in[2 * i + c] = f ? f + off : m->zeros;
            }
            continue;
        }
        for (uint32_t k = 0; k < n; k++) m->w_buf[k] = jm_ramp_next(w, i);
        for (int c = 0; c < nch; c++) {
            const float *x = in[2 * i + c], *f = m->file_in ? m->file_in[2 * i + c] : NULL;
            float *d = m->src_mix + (size_t)(2 * i + c) * SUB;
            for (uint32_t k = 0; k < n; k++) {
                float a = x ? x[off + k] : 0.0f, b = f ? f[off + k] : 0.0f;
                d[k] = a + m->w_buf[k] * (b - a);
            }
            m->cur_in[2 * i + c] = d;
        }
    }
    return m->cur_in;
}

void jm_mixer_monitor_output(jm_mixer_t *m, float *l, float *r)
{
    m->mon_out[0] = l && r ? l : NULL;
    m->mon_out[1] = l && r ? r : NULL;
}

const char *jm_mixer_simd(const jm_mixer_t *m) { return m->ops ? m->ops->name : "scalar"; }

static float rms_of(const jm_meteracc_t *a, uint32_t frames)
{
    return frames ? (float)sqrt(a->sumsq / frames) : 0.0f;
}

static void post_meters(jm_mixer_t *m, jm_queue_t *events)
{
    uint32_t fr = m->meter_acc;
    for (int i = 0; i < m->strips.n; i++) {
        jm_event_t e = {.type = JM_EV_METER_STRIP, .index = (uint16_t)i};
        e.v[0] = m->strips.meter[i].peak;
        e.v[1] = rms_of(&m->strips.meter[i], fr);
        e.v[2] = jm_chain_gr_db(&m->chain, m->lane_of[i]);
        e.v[3] = m->in_peak[i];
        jm_queue_push(events, &e);
        m->strips.meter[i] = (jm_meteracc_t){0};
        m->in_peak[i] = 0.0f;
    }
    for (int b = 0; b < m->n_buses; b++) {
        jm_event_t e = {.type = JM_EV_METER_BUS, .index = (uint16_t)b};
        e.v[0] = m->bus_meter[b].peak;
        e.v[1] = rms_of(&m->bus_meter[b], fr);
        e.v[2] = m->a_lim[b] ? jm_limiter_gr_db(m->a_lim[b]) : 0.0f;
        jm_queue_push(events, &e);
        m->bus_meter[b] = (jm_meteracc_t){0};
    }
    jm_event_t e = {.type = JM_EV_METER_MASTER};
    e.v[0] = m->master_meter[0].peak;
    e.v[1] = m->master_meter[1].peak;
    e.v[2] = rms_of(&m->master_meter[0], fr);
    e.v[3] = rms_of(&m->master_meter[1], fr);
    jm_queue_push(events, &e);
    m->master_meter[0] = m->master_meter[1] = (jm_meteracc_t){0};
}

/* Aux sends of strip i from its chain output s x gin (both paths). */
static void strip_aux(jm_mixer_t *m, int i, const float *s_l, const float *s_r, float gin,
                      uint32_t n)
{
    if (!m->n_aux) return;
    int st = m->strips.stereo[i], any = 0;
    for (int b = 0; b < m->n_buses && !any; b++)
        any = m->bus_type[b] == JM_BUS_AUX && !jm_aux_send_silent(&m->a_sends[b], i);
    if (!any) {
        jm_aux_taps_skip(&m->a_taps, i);
        return;
    }
    jm_aux_taps(&m->a_taps, i, st, s_l, s_r, gin, m->a_pre_l, m->a_pre_r, m->a_post_l,
                m->a_post_r, n);
    for (int b = 0; b < m->n_buses; b++)
        if (m->bus_type[b] == JM_BUS_AUX)
            jm_aux_send(&m->a_sends[b], i, st, m->bus_stereo[b], m->a_pre_l, m->a_pre_r,
                        m->a_post_l, m->a_post_r, m->bus_in[b][0], m->bus_in[b][1], n);
}

/* Strip i (or aux bus i when `bank` is l_bus) into the listen bus from s x
 * gin (both paths: the same code, so the same sums). */
static void listen_add(jm_mixer_t *m, jm_pfl_bank_t *bank, int i, const float *s_l, const float *s_r,
                       float gin, uint32_t n)
{
    if (m->l_live && !jm_pfl_silent(bank, i)) jm_pfl_add(bank, i, s_l, s_r, gin, m->l_l, m->l_r, n);
    else if (bank->gl.left[i] || bank->gr.left[i]) jm_pfl_skip(bank, i);
}

/* The analyser's tap: source (kind, index) wrote n frames l (and r; NULL:
 * mono) x gin. Frames that do not fit the ring are dropped. */
static void rta_tap(jm_mixer_t *m, int kind, int index, const float *l, const float *r, float gin,
                    uint32_t n)
{
    if (!m->rta_ring || m->rta_kind != kind || m->rta_index != index) return;
    if (gin != 1.0f) {
        for (uint32_t k = 0; k < n; k++) m->rta_buf[k] = l[k] * gin;
        l = m->rta_buf, r = NULL; /* a gain is applied only on the mono SIMD path */
    }
    jm_ring_write(m->rta_ring, l, r ? r : l, n);
}

/* One strip, the scalar reference way. */
static void strip_scalar(jm_mixer_t *m, int i, const float *const *in, uint32_t off, float *out_l,
                         float *out_r, uint32_t n)
{
    int st = m->strips.stereo[i];
    const float *in_r = st ? in[2 * i + 1] + off : NULL;
    jm_strip_input(&m->strips, i, in[2 * i] + off, in_r, m->s_l, m->s_r, n);
    jm_chain_process(&m->chain, m->lane_of[i], m->s_l, st ? m->s_r : NULL, n);
    rta_tap(m, JM_RTA_SRC_STRIP, i, m->s_l, st ? m->s_r : NULL, 1.0f, n);
    jm_strip_output(&m->strips, i, m->s_l, m->s_r, m->pre_l, m->pre_r, m->post_l, m->post_r,
                    out_l, out_r, n);
    for (int b = 0; b < m->n_buses; b++)
        if (m->bus_type[b] != JM_BUS_AUX)
            jm_send_process(&m->sends[b], i, st, m->pre_l, m->pre_r, m->post_l, m->post_r,
                            m->bus_in[b][0], m->bus_in[b][1], n);
    strip_aux(m, i, m->s_l, m->s_r, 1.0f, n);
    listen_add(m, &m->l_strip, i, m->s_l, st ? m->s_r : NULL, 1.0f, n);
}

static int settled(const jm_rampbank_t *r, int i) { return r->left[i] == 0; }

/* The group of lanes l0..l0+7: inputs x trim, then (unless every chain of
 * the group is idle) the chain kernel; sets g_src/g_gin of each member. */
static void group_run(jm_mixer_t *m, int l0, const float *const *in, uint32_t off, uint32_t n)
{
    jm_strip_bank_t *b = &m->strips;
    int idle = jm_chain_group_idle(&m->chain, l0);
    const float *src[JM_SIMD_LANES];
    float gin[JM_SIMD_LANES], *dst[JM_SIMD_LANES];
    for (int j = 0; j < JM_SIMD_LANES; j++) {
        int s = m->strip_of_lane[l0 + j];
        dst[j] = m->g_s[j];
        if (s < 0) {
            src[j] = NULL, gin[j] = 0.0f;
        } else if (settled(&b->in, s)) {
            src[j] = in[2 * s] + off, gin[j] = b->in.cur[s];
        } else { /* trim gliding: per sample, as the reference */
            jm_strip_input(b, s, in[2 * s] + off, NULL, m->g_s[j], NULL, n);
            src[j] = m->g_s[j], gin[j] = 1.0f;
        }
    }
    if (idle) {
        for (int j = 0; j < JM_SIMD_LANES; j++) m->g_src[j] = src[j], m->g_gin[j] = gin[j];
        return;
    }
    m->ops->interleave8(m->x, src, gin, n);
    m->ops->chain8(&m->chain, l0, m->x, n);
    m->ops->deinterleave8(dst, (const jm_lanes_t *)m->x, n);
    for (int j = 0; j < JM_SIMD_LANES; j++) m->g_src[j] = m->g_s[j], m->g_gin[j] = 1.0f;
}

/* Output stage and sends of mono strip i from src x gin. */
static void strip_out_simd(jm_mixer_t *m, int i, const float *src, float gin, float *out_l,
                           float *out_r, uint32_t n)
{
    jm_strip_bank_t *b = &m->strips;
    strip_aux(m, i, src, NULL, gin, n); /* reads src before anything overwrites it */
    rta_tap(m, JM_RTA_SRC_STRIP, i, src, NULL, gin, n);
    listen_add(m, &m->l_strip, i, src, NULL, gin, n);
    jm_simd_send_t snd[JM_MAX_BUSES];
    int n_snd = 0, ramping = 0; /* settled audible sends; sends gliding */
    for (int k = 0; k < m->n_buses; k++) {
        jm_send_bank_t *sb = &m->sends[k];
        if (m->bus_type[k] == JM_BUS_AUX) continue;
        if (!settled(&sb->level, i) || !settled(&sb->pre, i)) ramping = 1;
        else if (sb->level.cur[i] != 0.0f)
            snd[n_snd++] = (jm_simd_send_t){sb->level.cur[i], sb->pre.cur[i], m->bus_in[k][0], m->bus_in[k][1]};
    }
    if (settled(&b->mute, i) && settled(&b->fader, i) && settled(&b->pl, i) && settled(&b->pr, i)) {
        if (!ramping) { /* one pass does it all */
            m->ops->strip_out(src, gin, b->mute.cur[i], b->fader.cur[i], b->pl.cur[i], b->pr.cur[i],
                              out_l, out_r, snd, n_snd, NULL, NULL, &b->meter[i], n);
            return;
        }
        m->ops->strip_out(src, gin, b->mute.cur[i], b->fader.cur[i], b->pl.cur[i], b->pr.cur[i],
                          out_l, out_r, NULL, 0, m->pre_l, m->post_l, &b->meter[i], n);
    } else { /* a gain glides: per sample, as the reference */
        for (uint32_t k = 0; k < n; k++) m->s_l[k] = src[k] * gin;
        jm_strip_output(b, i, m->s_l, NULL, m->pre_l, NULL, m->post_l, NULL, out_l, out_r, n);
    }
    for (int k = 0; k < m->n_buses; k++) {
        jm_send_bank_t *sb = &m->sends[k];
        if (m->bus_type[k] == JM_BUS_AUX) continue;
        if (settled(&sb->level, i) && settled(&sb->pre, i)) {
            if (sb->level.cur[i] != 0.0f)
                m->ops->send(m->pre_l, m->post_l, sb->level.cur[i], sb->pre.cur[i],
                             m->bus_in[k][0], m->bus_in[k][1], n);
        } else {
            jm_send_process(sb, i, 0, m->pre_l, NULL, m->post_l, NULL, m->bus_in[k][0],
                            m->bus_in[k][1], n);
        }
    }
}

/* FX bus fx's return (wet x the return gain, which glides as the master's
 * copy does) into the aux buses it sends to. */
static void fx_to_aux(jm_mixer_t *m, int fx, uint32_t n)
{
    int any = 0;
    for (int a = 0; a < m->n_buses; a++)
        any |= m->bus_type[a] == JM_BUS_AUX && (m->fx_aux[fx].cur[a] != 0.0f || m->fx_aux[fx].left[a]);
    if (!any) return;
    /* the return gain without advancing it: the master's return does that */
    const jm_rampbank_t *r = &m->ret;
    for (int c = 0; c < 2; c++) {
        float cur = r->cur[fx];
        int32_t left = r->left[fx];
        float *x = c ? m->a_post_r : m->a_post_l;
        for (uint32_t k = 0; k < n; k++) {
            if (left > 0) cur = --left ? cur + r->step[fx] : r->tgt[fx];
            x[k] = m->bus_wet[c][k] * cur;
        }
    }
    for (int a = 0; a < m->n_buses; a++) {
        if (m->bus_type[a] != JM_BUS_AUX) continue;
        if (m->bus_stereo[a]) {
            /* both sides step one ramp: save it and replay it for the right */
            jm_rampbank_t *g = &m->fx_aux[fx];
            float cur = g->cur[a];
            int32_t left = g->left[a];
            jm_aux_add(g, a, m->a_post_l, m->bus_in[a][0], n);
            float end = g->cur[a];
            int32_t end_left = g->left[a];
            g->cur[a] = cur, g->left[a] = left;
            jm_aux_add(g, a, m->a_post_r, m->bus_in[a][1], n);
            g->cur[a] = end, g->left[a] = end_left;
        } else {
            for (uint32_t k = 0; k < n; k++) m->a_scratch[k] = 0.5f * (m->a_post_l[k] + m->a_post_r[k]);
            jm_aux_add(&m->fx_aux[fx], a, m->a_scratch, m->bus_in[a][0], n);
        }
    }
}

/* Aux bus b: EQ, fader x mute, limiter, meter, out. */
static void aux_bus(jm_mixer_t *m, int b, uint32_t off, uint32_t n)
{
    float *l = m->bus_in[b][0], *r = m->bus_in[b][1];
    int st = m->bus_stereo[b];
    jm_chain_process(&m->a_chain, b, l, st ? r : NULL, n);
    jm_aux_gain(&m->ret, b, l, st ? r : NULL, n);
    if (m->tb_bus[b] && m->tb_live) jm_aux_talkback_mix(l, st ? r : NULL, m->tb_dim, m->tb_talk, n);
    if (!st) memcpy(r, l, n * sizeof *r); /* the limiter is stereo: both sides alike */
    jm_limiter_process(m->a_lim[b], l, r, n);
    for (uint32_t k = 0; k < n; k++) {
        float a = fabsf(l[k]), c = fabsf(r[k]);
        if (a < c) a = c;
        if (a > m->bus_meter[b].peak) m->bus_meter[b].peak = a;
        m->bus_meter[b].sumsq += (double)a * a;
    }
    listen_add(m, &m->l_bus, b, l, r, 1.0f, n);
    rta_tap(m, JM_RTA_SRC_BUS, b, l, r, 1.0f, n);
    if (m->a_out[b][0]) memcpy(m->a_out[b][0] + off, l, n * sizeof *l);
    if (st && m->a_out[b][1]) memcpy(m->a_out[b][1] + off, r, n * sizeof *r);
}

/* Benchmark hook: tests/bench/bench_dsp.c compiles this file with
 * JM_PROF_STRIPS(on) defined to time the strip section alone. */
#ifndef JM_PROF_STRIPS
#define JM_PROF_STRIPS(on) ((void)0)
#endif

/* Largest |x[k]|, NaN ignored. |x| of a float orders like its bits as an
 * integer, and integer maxima in GCC's vector extension (SSE2, NEON) need
 * no dependent compare chain (the scalar loop took ~4 cycles a sample;
 * GCC's -O2 does not vectorise a float max reduction). */
typedef int32_t v4i_t __attribute__((vector_size(16)));
static float peak_abs(const float *x, uint32_t n)
{
    const v4i_t mag = {0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff};
    const v4i_t inf = {0x7f800000, 0x7f800000, 0x7f800000, 0x7f800000};
    v4i_t m0 = {0}, m1 = {0};
    uint32_t k = 0;
    for (; k + 8 <= n; k += 8) {
        v4i_t a, b;
        memcpy(&a, x + k, sizeof a);
        memcpy(&b, x + k + 4, sizeof b);
        a &= mag;
        b &= mag;
        v4i_t ta = (a > m0) & (a <= inf), tb = (b > m1) & (b <= inf);
        m0 = (a & ta) | (m0 & ~ta);
        m1 = (b & tb) | (m1 & ~tb);
    }
    int32_t best = 0;
    for (int j = 0; j < 4; j++) {
        if (m0[j] > best) best = m0[j];
        if (m1[j] > best) best = m1[j];
    }
    for (; k < n; k++) {
        int32_t a;
        memcpy(&a, x + k, sizeof a);
        a &= 0x7fffffff;
        if (a > best && a <= 0x7f800000) best = a;
    }
    float p;
    memcpy(&p, &best, sizeof p);
    return p;
}

/* Peak of strip i's input x trim over this sub-block (both sides of a
 * stereo strip). */
static void measure_input(jm_mixer_t *m, int i, const float *const *in, uint32_t off, uint32_t n)
{
    float p = peak_abs(in[2 * i] + off, n);
    if (m->strips.stereo[i]) {
        float q = peak_abs(in[2 * i + 1] + off, n);
        p = q > p ? q : p;
    }
    p *= fabsf(m->strips.in.cur[i]);
    if (p > m->in_peak[i]) m->in_peak[i] = p;
}

static void process_sub(jm_mixer_t *m, const float *const *in, uint32_t off, float *out_l,
                        float *out_r, uint32_t n)
{
    JM_PROF_STRIPS(1);
    /* the listen bus: only for a monitor feed, while a source is flagged
     * or the feed still fades back to the master */
    m->l_live = m->mon_out[0] && (m->n_listen || m->l_w.cur[0] != 0.0f || m->l_w.left[0]);
    if (m->l_live) {
        memset(m->l_l, 0, n * sizeof(float));
        memset(m->l_r, 0, n * sizeof(float));
    }
    for (int b = 0; b < m->n_buses; b++) {
        memset(m->bus_in[b][0], 0, n * sizeof(float));
        memset(m->bus_in[b][1], 0, n * sizeof(float));
    }
    /* before any strip runs: a SIMD group advances its strips' trim ramps
     * together, at its first strip */
    for (int i = 0; i < m->strips.n; i++) measure_input(m, i, in, off, n);
    for (int i = 0; i < m->strips.n; i++) {
        int l = m->lane_of[i];
        if (!m->ops || m->strips.stereo[i] || l >= 8 * m->n_groups) {
            strip_scalar(m, i, in, off, out_l, out_r, n);
            continue;
        }
        /* mono strips reach their groups in order, the first at lane 8g */
        if ((l & 7) == 0) group_run(m, l, in, off, n);
        strip_out_simd(m, i, m->g_src[l & 7], m->g_gin[l & 7], out_l, out_r, n);
    }
    JM_PROF_STRIPS(0);
    for (int b = 0; b < m->n_buses; b++) {
        if (m->bus_type[b] == JM_BUS_AUX) continue;
        if (m->reverb[b])
            jm_reverb_process(m->reverb[b], m->bus_in[b][0], m->bus_in[b][1], m->bus_wet[0],
                              m->bus_wet[1], n);
        else
            jm_delay_process(m->delay[b], m->bus_in[b][0], m->bus_in[b][1], m->bus_wet[0],
                             m->bus_wet[1], n);
        rta_tap(m, JM_RTA_SRC_BUS, b, m->bus_wet[0], m->bus_wet[1], 1.0f, n);
        if (m->n_aux) fx_to_aux(m, b, n);
        jm_return_process(&m->ret, b, m->bus_wet[0], m->bus_wet[1], out_l, out_r,
                          &m->bus_meter[b], n);
    }
    /* talkback: its gains once per sub-block, for every bus it feeds */
    m->tb_live = m->n_tb && !jm_aux_talkback_idle(&m->tb);
    if (m->tb_live)
        jm_aux_talkback_gains(&m->tb, m->tb_in ? m->tb_in + off : NULL, m->tb_dim, m->tb_talk, n);
    for (int b = 0; b < m->n_buses; b++)
        if (m->bus_type[b] == JM_BUS_AUX) aux_bus(m, b, off, n);
    jm_chain_process(&m->mchain, 0, out_l, out_r, n);
    jm_master_process(&m->master, out_l, out_r, n);
    jm_limiter_process(&m->limiter, out_l, out_r, n);
    rta_tap(m, JM_RTA_SRC_MASTER, 0, out_l, out_r, 1.0f, n);
    jm_meter_block(&m->master_meter[0], out_l, n);
    jm_meter_block(&m->master_meter[1], out_r, n);
    if (m->l_live) {
        jm_pfl_select(&m->l_w, out_l, out_r, m->l_l, m->l_r, m->mon_out[0] + off, m->mon_out[1] + off, n);
    } else if (m->mon_out[0]) {
        memcpy(m->mon_out[0] + off, out_l, n * sizeof *out_l);
        memcpy(m->mon_out[1] + off, out_r, n * sizeof *out_r);
    }
}

void jm_mixer_process(jm_mixer_t *m, const float *const *in, float *out_l, float *out_r,
                      uint32_t n, jm_queue_t *events)
{
    memset(out_l, 0, n * sizeof *out_l);
    memset(out_r, 0, n * sizeof *out_r);
    for (uint32_t off = 0; off < n;) {
        uint32_t len = n - off < SUB ? n - off : SUB;
        /* while ramps or lanes move parameters, work in short chunks so
         * every move is followed within JM_AUTOPLAY_CHUNK frames */
        if (jm_autoplay_active(&m->ap)) {
            if (len > JM_AUTOPLAY_CHUNK) len = JM_AUTOPLAY_CHUNK;
            jm_autoplay_step(&m->ap, len, set_param, m);
        }
        const float *const *mixed = source_inputs(m, in, off, len);
        if (mixed) process_sub(m, mixed, 0, out_l + off, out_r + off, len);
        else process_sub(m, in, off, out_l + off, out_r + off, len);
        jm_autoplay_advance(&m->ap, len);
        off += len;
    }
    while (events && m->n_retired) {
        jm_event_t e = {.type = JM_EV_FREE, .ptr = m->retired[m->n_retired - 1]};
        if (!jm_queue_push(events, &e)) break;
        m->n_retired--;
    }
    uint32_t lat = jm_limiter_latency(&m->limiter);
    if (lat != m->latency_posted && events) {
        jm_event_t e = {.type = JM_EV_LATENCY, .v = {(float)lat}};
        if (jm_queue_push(events, &e)) m->latency_posted = lat;
    }
    m->meter_count += n;
    m->meter_acc += n;
    if (m->meter_count >= m->meter_frames) {
        if (events) post_meters(m, events);
        else {
            for (int i = 0; i < m->strips.n; i++) m->strips.meter[i] = (jm_meteracc_t){0};
            for (int i = 0; i < m->strips.n; i++) m->in_peak[i] = 0.0f;
            for (int b = 0; b < m->n_buses; b++) m->bus_meter[b] = (jm_meteracc_t){0};
            m->master_meter[0] = m->master_meter[1] = (jm_meteracc_t){0};
        }
        /* carry the overshoot (a window of 2400 frames in periods of 256
         * would otherwise last 2560: 18.75 meters a second for 20); a
         * period longer than a window gives one window per call */
        m->meter_count -= m->meter_frames;
        if (m->meter_count >= m->meter_frames) m->meter_count = 0;
        m->meter_acc = 0;
    }
}
