/* The strip chain: HPF -> gate -> EQ -> compressor, with parameter glides,
 * bypass crossfades and skipping of idle blocks. Smoothing follows
 * docs/dsp.md: parameters are interpolated and coefficients
 * recomputed from them every JM_CHAIN_SUB samples, never interpolated. (The
 * filters' output mix and the compressor's threshold and makeup then move
 * per sample inside each sub-block; they are gains outside any feedback
 * loop, see dsp/biquad.h and dsp/dynamics.h.) */
#include "jmixd/dsp/chain.h"

#include <math.h>
#include <string.h>

_Static_assert(JM_CF_COUNT <= 32, "moving[] holds one bit per chain field");

/* Stage bits of dirty[]: HPF, gate, one per EQ band, compressor. */
enum {
    ST_HPF = 1,
    ST_GATE = 2,
    ST_EQ0 = 4,
    ST_EQ_ALL = ((1 << JM_EQ_BANDS) - 1) * ST_EQ0,
    ST_COMP = ST_EQ0 << JM_EQ_BANDS
};

#define BIT(f) (1u << (f))

static int is_bool(int f)
{
    return f == JM_CF_HPF_ON || f == JM_CF_GATE_ON || f == JM_CF_EQ_ON || f == JM_CF_COMP_ON;
}

/* Fields that glide in log2 (the log-taper parameters, docs/parameters.md). */
static int is_log(int f)
{
    return f == JM_CF_HPF_FREQ || f == JM_CF_GATE_ATTACK || f == JM_CF_GATE_RELEASE ||
           (f >= JM_CF_EQ_FREQ && f < JM_CF_EQ_FREQ + JM_EQ_BANDS) ||
           (f >= JM_CF_EQ_Q && f < JM_CF_EQ_Q + JM_EQ_BANDS) ||
           f == JM_CF_COMP_RATIO || f == JM_CF_COMP_ATTACK || f == JM_CF_COMP_RELEASE;
}

/* Stages whose coefficients depend on field f (the on/off fields are
 * crossfade weights; EQ on also scales every band gain). */
static uint32_t stages_of(int f)
{
    if (f == JM_CF_HPF_FREQ) return ST_HPF;
    if (f >= JM_CF_GATE_THRESHOLD && f <= JM_CF_GATE_RELEASE) return ST_GATE;
    if (f == JM_CF_EQ_ON) return ST_EQ_ALL;
    if (f >= JM_CF_EQ_FREQ && f < JM_CF_EQ_Q + JM_EQ_BANDS)
        return (uint32_t)ST_EQ0 << ((f - JM_CF_EQ_FREQ) % JM_EQ_BANDS);
    if (f > JM_CF_COMP_ON && f <= JM_CF_COMP_MAKEUP) return ST_COMP;
    return 0;
}

static float to_internal(int f, float v)
{
    if (is_bool(f)) return v >= 0.5f ? 1.0f : 0.0f;
    if (is_log(f)) return log2f(v > 1e-3f ? v : 1e-3f);
    return v;
}

/* Current value of field f of strip s in the parameter's unit. */
static float val(const jm_chain_t *c, int s, int f)
{
    return is_log(f) ? exp2f(c->cur[f][s]) : c->cur[f][s];
}

/* ------------------------------------------------------------- ramps -- */

static void ramp_start(jm_chain_t *c, int s, int f, float v, int32_t len)
{
    c->quiet[s >> 3] = 0;
    c->tgt[f][s] = v;
    if (len <= 0 || c->cur[f][s] == v) {
        c->cur[f][s] = v;
        c->left[f][s] = 0;
        c->moving[s] &= ~BIT(f);
    } else {
        c->step[f][s] = (v - c->cur[f][s]) / (float)len;
        c->left[f][s] = len;
        c->moving[s] |= BIT(f);
    }
    c->dirty[s] |= stages_of(f);
}

/* Move every gliding field of strip s on by m samples. */
static void ramps_advance(jm_chain_t *c, int s, uint32_t m)
{
    for (int f = 0; f < JM_CF_COUNT; f++) {
        if (!(c->moving[s] & BIT(f))) continue;
        if (c->left[f][s] <= (int32_t)m) {
            c->cur[f][s] = c->tgt[f][s];
            c->left[f][s] = 0;
            c->moving[s] &= ~BIT(f);
        } else {
            c->cur[f][s] += c->step[f][s] * (float)m;
            c->left[f][s] -= (int32_t)m;
        }
        c->dirty[s] |= stages_of(f);
    }
}

/* ------------------------------------------------------------ stages -- */

/* EQ band of an EQ stage bit. */
static int band_of(uint32_t st)
{
    int b = 0;
    while (b + 1 < JM_EQ_BANDS && st >= (uint32_t)ST_EQ0 << (b + 1)) b++;
    return b;
}

static void stage_update(jm_chain_t *c, int s, uint32_t st)
{
    if (st == ST_HPF) {
        jm_bq_bank_set(&c->hpf, s, JM_BQ_HPF, c->fs, val(c, s, JM_CF_HPF_FREQ), JM_BQ_BUTTERWORTH_Q, 0.0);
    } else if (st == ST_GATE) {
        jm_gate_set(&c->gate, s, c->fs, val(c, s, JM_CF_GATE_THRESHOLD), val(c, s, JM_CF_GATE_RANGE),
                    val(c, s, JM_CF_GATE_ATTACK), val(c, s, JM_CF_GATE_HOLD),
                    val(c, s, JM_CF_GATE_RELEASE));
    } else if (st == ST_COMP) {
        jm_comp_set(&c->comp, s, c->fs, val(c, s, JM_CF_COMP_THRESHOLD), val(c, s, JM_CF_COMP_RATIO),
                    val(c, s, JM_CF_COMP_ATTACK), val(c, s, JM_CF_COMP_RELEASE),
                    val(c, s, JM_CF_COMP_KNEE), val(c, s, JM_CF_COMP_MAKEUP), 1);
    } else {
        int b = band_of(st);
        static const jm_bq_type_t type[JM_EQ_BANDS] = {JM_BQ_LOWSHELF, JM_BQ_PEAK, JM_BQ_PEAK, JM_BQ_HIGHSHELF};
        double gain = (double)c->cur[JM_CF_EQ_GAIN + b][s] * c->cur[JM_CF_EQ_ON][s];
        jm_bq_bank_set(&c->eq[b], s, type[b], c->fs, val(c, s, JM_CF_EQ_FREQ + b), val(c, s, JM_CF_EQ_Q + b),
                       gain);
    }
    c->dirty[s] &= ~st;
}

static void stage_reset(jm_chain_t *c, int s, uint32_t st)
{
    if (st == ST_HPF) jm_bq_bank_clear(&c->hpf, s);
    else if (st == ST_GATE) jm_gate_reset(&c->gate, s);
    else if (st == ST_COMP) jm_comp_reset(&c->comp, s);
}

static void stage_run(jm_chain_t *c, int s, uint32_t st, float *l, float *r, uint32_t m)
{
    if (st == ST_GATE) {
        jm_gate_run(&c->gate, s, l, r, m);
    } else if (st == ST_COMP) {
        jm_comp_run(&c->comp, s, l, r, m);
    } else {
        jm_bq_bank_t *b = st == ST_HPF ? &c->hpf : &c->eq[band_of(st)];
        if (r) jm_bq_bank_run2(b, s, l, r, m);
        else jm_bq_bank_run(b, s, 0, l, l, m);
    }
}

/* x = dry + w (x - dry), w going linearly from w0 to w1 over the m samples. */
static void mix(float *x, const float *dry, uint32_t m, float w0, float w1)
{
    float dw = (w1 - w0) / (float)m, w = w0;
    for (uint32_t k = 0; k < m; k++) {
        w += dw;
        x[k] = dry[k] + w * (x[k] - dry[k]);
    }
}

/* Run stage st with a bypass crossfade weight going from w0 to w1. */
static void stage_faded(jm_chain_t *c, int s, uint32_t st, float *l, float *r, uint32_t m,
                        float w0, float w1)
{
    if (w0 <= 0.0f && w1 <= 0.0f) return; /* off and settled: skipped */
    if (c->dirty[s] & st) stage_update(c, s, st);
    if (w0 <= 0.0f) stage_reset(c, s, st); /* switching on: start clean */
    if (w0 >= 1.0f && w1 >= 1.0f) {
        stage_run(c, s, st, l, r, m);
        return;
    }
    float dl[JM_CHAIN_SUB], dr[JM_CHAIN_SUB];
    memcpy(dl, l, m * sizeof *l);
    if (r) memcpy(dr, r, m * sizeof *r);
    stage_run(c, s, st, l, r, m);
    mix(l, dl, m, w0, w1);
    if (r) mix(r, dr, m, w0, w1);
    if (w1 <= 0.0f) stage_reset(c, s, st);
}

/* EQ band b. At exactly 0 dB a band's output is bit-exactly its input
 * (dsp/biquad.h), so once its gain has settled there it is skipped. */
static void eq_band(jm_chain_t *c, int s, int b, float *l, float *r, uint32_t m, uint32_t was)
{
    uint32_t st = (uint32_t)ST_EQ0 << b;
    float gain = c->cur[JM_CF_EQ_GAIN + b][s];
    int busy = gain * c->cur[JM_CF_EQ_ON][s] != 0.0f || (was & BIT(JM_CF_EQ_GAIN + b)) ||
               ((was & BIT(JM_CF_EQ_ON)) && gain != 0.0f);
    if (!busy) {
        if (c->eq_live[b][s]) jm_bq_bank_clear(&c->eq[b], s);
        c->eq_live[b][s] = 0;
        return;
    }
    c->eq_live[b][s] = 1;
    stage_faded(c, s, st, l, r, m, 1.0f, 1.0f);
}

/* Nothing to do: no glide, every block off and settled, every band flat. */
static int strip_idle(const jm_chain_t *c, int s)
{
    if (c->moving[s] || c->cur[JM_CF_HPF_ON][s] != 0.0f || c->cur[JM_CF_GATE_ON][s] != 0.0f ||
        c->cur[JM_CF_COMP_ON][s] != 0.0f)
        return 0;
    for (int b = 0; b < JM_EQ_BANDS; b++)
        if (c->eq_live[b][s] || c->cur[JM_CF_EQ_GAIN + b][s] * c->cur[JM_CF_EQ_ON][s] != 0.0f) return 0;
    return 1;
}

static void sub_block(jm_chain_t *c, int s, float *l, float *r, uint32_t m)
{
    float w0[4], w1[4];
    static const int on[4] = {JM_CF_HPF_ON, JM_CF_GATE_ON, JM_CF_EQ_ON, JM_CF_COMP_ON};
    uint32_t was = c->moving[s];
    for (int k = 0; k < 4; k++) w0[k] = c->cur[on[k]][s];
    if (was) ramps_advance(c, s, m);
    for (int k = 0; k < 4; k++) w1[k] = c->cur[on[k]][s];
    stage_faded(c, s, ST_HPF, l, r, m, w0[0], w1[0]);
    stage_faded(c, s, ST_GATE, l, r, m, w0[1], w1[1]);
    for (int b = 0; b < JM_EQ_BANDS; b++) eq_band(c, s, b, l, r, m, was);
    stage_faded(c, s, ST_COMP, l, r, m, w0[3], w1[3]);
}

/* ----------------------------------------------- groups of 8 (SIMD) -- */

/* What sub_block does before and after running the stages, for 8 lanes:
 * the stage_faded and eq_band decisions, without the signal work. */
int jm_chain_group_prepare(jm_chain_t *c, int l0, uint32_t m, jm_chain_plan_t *p)
{
    static const int on[4] = {JM_CF_HPF_ON, JM_CF_GATE_ON, JM_CF_EQ_ON, JM_CF_COMP_ON};
    static const uint32_t st3[3] = {ST_HPF, ST_GATE, ST_COMP};
    static const int of3[3] = {0, 1, 3};
    int busy = 0;
    for (int j = 0; j < 8; j++) {
        int s = l0 + j;
        uint32_t was = c->moving[s];
        float w0[4], w1[4];
        for (int k = 0; k < 4; k++) w0[k] = c->cur[on[k]][s];
        if (was) {
            ramps_advance(c, s, m);
            busy = 1;
        }
        for (int k = 0; k < 4; k++) w1[k] = c->cur[on[k]][s];
        for (int t = 0; t < 3; t++) {
            float a = w0[of3[t]], b = w1[of3[t]];
            p->on[t][j] = p->fade[t][j] = 0;
            p->w[t][j] = p->dw[t][j] = 0.0f;
            p->w1[t][j] = b;
            if (a <= 0.0f && b <= 0.0f) continue; /* off and settled: dry */
            if (c->dirty[s] & st3[t]) stage_update(c, s, st3[t]), busy = 1;
            if (a <= 0.0f) stage_reset(c, s, st3[t]), busy = 1;
            if (a >= 1.0f && b >= 1.0f) {
                p->on[t][j] = -1;
            } else {
                p->fade[t][j] = -1;
                p->w[t][j] = a;
                p->dw[t][j] = (b - a) / (float)m;
                busy = 1;
            }
        }
        for (int b = 0; b < JM_EQ_BANDS; b++) {
            uint32_t st = (uint32_t)ST_EQ0 << b;
            float gain = c->cur[JM_CF_EQ_GAIN + b][s];
            int live = gain * c->cur[JM_CF_EQ_ON][s] != 0.0f || (was & BIT(JM_CF_EQ_GAIN + b)) ||
                       ((was & BIT(JM_CF_EQ_ON)) && gain != 0.0f);
            if (!live) {
                if (c->eq_live[b][s]) jm_bq_bank_clear(&c->eq[b], s), busy = 1;
                c->eq_live[b][s] = 0;
            } else {
                if (!c->eq_live[b][s]) busy = 1;
                c->eq_live[b][s] = 1;
                if (c->dirty[s] & st) stage_update(c, s, st), busy = 1;
            }
        }
    }
    p->general = busy;
    if (!busy) c->quiet[l0 >> 3] = 1;
    return busy;
}

void jm_chain_group_finish(jm_chain_t *c, int l0, const jm_chain_plan_t *p)
{
    static const uint32_t st3[3] = {ST_HPF, ST_GATE, ST_COMP};
    for (int j = 0; j < 8; j++)
        for (int t = 0; t < 3; t++)
            if (p->fade[t][j] && p->w1[t][j] <= 0.0f) stage_reset(c, l0 + j, st3[t]);
}

int jm_chain_group_idle(jm_chain_t *c, int l0)
{
    if (c->quiet[l0 >> 3] == 3) return 1; /* idle until a set or reset */
    for (int j = 0; j < 8; j++)
        if (!strip_idle(c, l0 + j)) return 0;
    c->quiet[l0 >> 3] = 3;
    return 1;
}

/* ---------------------------------------------------------------- API -- */

void jm_chain_init(jm_chain_t *c, int n_strips, const uint8_t *stereo, float fs,
                   int32_t smooth_len, const float def[JM_CF_COUNT])
{
    memset(c, 0, sizeof *c);
    c->n = n_strips < 0 ? 0 : n_strips > JM_MAX_STRIPS ? JM_MAX_STRIPS : n_strips;
    c->fs = fs;
    c->smooth = smooth_len > 0 ? smooth_len : 0;
    for (int s = 0; s < c->n; s++) {
        c->stereo[s] = stereo && stereo[s];
        for (int f = 0; f < JM_CF_COUNT; f++) ramp_start(c, s, f, to_internal(f, def[f]), 0);
        stage_update(c, s, ST_HPF);
        stage_update(c, s, ST_GATE);
        stage_update(c, s, ST_COMP);
        for (int b = 0; b < JM_EQ_BANDS; b++) stage_update(c, s, (uint32_t)ST_EQ0 << b);
        jm_chain_reset(c, s);
    }
}

void jm_chain_set(jm_chain_t *c, int s, int f, float value, int32_t ramp_len)
{
    if (s < 0 || s >= c->n || f < 0 || f >= JM_CF_COUNT) return;
    ramp_start(c, s, f, to_internal(f, value), ramp_len < 0 ? c->smooth : ramp_len);
}

float jm_chain_get(const jm_chain_t *c, int s, int f)
{
    if (s < 0 || s >= c->n || f < 0 || f >= JM_CF_COUNT) return 0.0f;
    return is_log(f) ? exp2f(c->tgt[f][s]) : c->tgt[f][s];
}

void jm_chain_process(jm_chain_t *c, int s, float *l, float *r, uint32_t n)
{
    if (s < 0 || s >= c->n || strip_idle(c, s)) return;
    if (!c->stereo[s]) r = NULL;
    for (uint32_t o = 0; o < n; o += JM_CHAIN_SUB) {
        uint32_t m = n - o < JM_CHAIN_SUB ? n - o : JM_CHAIN_SUB;
        sub_block(c, s, l + o, r ? r + o : NULL, m);
    }
}

float jm_chain_gr_db(const jm_chain_t *c, int s)
{
    if (s < 0 || s >= c->n) return 0.0f;
    return jm_comp_gr_db(&c->comp, s) * c->cur[JM_CF_COMP_ON][s];
}

void jm_chain_reset(jm_chain_t *c, int s)
{
    if (s < 0 || s >= c->n) return;
    c->quiet[s >> 3] = 0;
    jm_bq_bank_clear(&c->hpf, s);
    for (int b = 0; b < JM_EQ_BANDS; b++) jm_bq_bank_clear(&c->eq[b], s);
    jm_gate_reset(&c->gate, s);
    jm_comp_reset(&c->comp, s);
}

int jm_chain_denormals(const jm_chain_t *c, int s)
{
    if (s < 0 || s >= c->n) return 0;
    int n = jm_bq_bank_denormals(&c->hpf, s);
    for (int b = 0; b < JM_EQ_BANDS; b++) n += jm_bq_bank_denormals(&c->eq[b], s);
    const float v[] = {c->gate.g[s], c->comp.y1[s], c->comp.yl[s]};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) n += fpclassify(v[i]) == FP_SUBNORMAL;
    return n;
}
