/* The SIMD strip path against the scalar reference (issue: "the SIMD path
 * equals the scalar reference within -100 dB, max abs difference <= 1e-5 on
 * full-scale material"): the same session and material through two mixers,
 * one on jm_mixer_set_simd(m, JM_SIMD_OFF), one on each SIMD kernel this CPU
 * runs. Every chain block active, parameters gliding, blocks switching on
 * and off (crossfades), a gate opening and closing on bursts, a compressor
 * pumping, mixed mono/stereo strips (lane remapping, scalar strips between
 * groups), a group of plain strips (idle kernel skip) in which a block is
 * switched on later, odd block sizes (sub-block tails), full-scale noise. */
#include "jmixd/engine/mixer.h"
#include "jmixd/session/params.h"
#include "jmixd/util/queue.h"
#include "jmixd/util/rt.h"
#include "jmixd/dsp/simd.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define RATE 48000
#define NS 27         /* strips: 3 stereo, 24 mono = 3 groups */
#define FRAMES 72000  /* 1.5 s */
#define MAXB 512

static const int is_stereo[NS] = {[3] = 1, [14] = 1, [26] = 1};

typedef struct {
    jm_paramset_t ps;
    float *values;
    jm_mixer_t *m[2]; /* [0] scalar reference, [1] SIMD */
    jm_queue_t ev[2];
    uint8_t stereo[NS];
} pair_t;

static void setv(pair_t *p, const char *path, float v)
{
    int i = jm_params_find(&p->ps, path);
    if (i < 0) fail_msg("no parameter %s", path);
    p->values[i] = jm_param_clamp(p->ps.p[i].def, v);
}

/* Mono strips by group (1-based strip numbers; 4, 15 and 27 are stereo):
 * group 1 (1-3, 5-9) has blocks off in some lanes, group 2 (10-14, 16-18)
 * has every block on in every lane, group 3 (19-26) stays plain (idle). */
static int plain(int s) { return s >= 19 && s <= 26; }

static void initial(pair_t *p)
{
    char path[128];
    for (int s = 1; s <= NS; s++) {
#define SET(tail, v) (snprintf(path, sizeof path, "/strip/%d/%s", s, tail), setv(p, path, (float)(v)))
        SET("fader", -3 - s % 5);
        SET("pan", -0.9 + 1.8 * (s - 1) / (NS - 1));
        if (plain(s)) continue;
        SET("trim", (s % 3) * 2 - 2);
        SET("hpf/on", s != 8), SET("hpf/freq", 40 + 10 * s);
        SET("gate/on", s != 5), SET("gate/threshold", -30 - s % 4), SET("gate/range", 30 + s);
        SET("gate/attack", 0.5 + 0.2 * s), SET("gate/hold", 5 + s), SET("gate/release", 20 + s);
        SET("eq/on", 1);
        SET("eq/1/gain", s % 7 == 6 ? 1 : 6 - s % 7), SET("eq/2/gain", -8 + s % 5), SET("eq/3/gain", 4 + s % 3);
        SET("eq/4/gain", s == 6 ? 0 : -5 + s % 4); /* strip 6: band 4 flat (not live) */
        SET("eq/2/freq", 200 + 20 * s), SET("eq/2/q", 0.7 + 0.1 * s), SET("eq/3/freq", 1500 + 100 * s);
        SET("eq/4/freq", 6000 + 200 * s), SET("eq/1/q", 0.5 + 0.05 * s);
        SET("comp/on", s != 9), SET("comp/threshold", -24 + s % 6), SET("comp/ratio", 2 + s % 8);
        SET("comp/attack", 0.3 + 0.4 * s), SET("comp/release", 15 + 3 * s);
        SET("comp/knee", s % 4 == 0 ? 0 : 3 * (s % 4)), SET("comp/makeup", s % 5);
        SET("send/1/level", -6 - s % 7), SET("send/2/level", s % 3 ? -10 : -90);
        SET("send/2/pre", s % 2);
#undef SET
    }
}

static void pair_make(pair_t *p, int level)
{
    static char names[NS][JM_NAME_MAX];
    static const char bnames[2][JM_NAME_MAX] = {"verb", "echo"};
    static const char btypes[2][16] = {"reverb", "delay"};
    for (int i = 0; i < NS; i++) snprintf(names[i], JM_NAME_MAX, "s%d", i + 1);
    memset(p, 0, sizeof *p);
    jm_topo_names_t tn = {.n_strips = NS, .strip_names = names, .n_buses = 2, .bus_names = bnames,
                          .bus_types = btypes};
    assert_int_equal(jm_params_build(&p->ps, &tn), 0);
    p->values = calloc(p->ps.n, sizeof(float));
    for (size_t i = 0; i < p->ps.n; i++) p->values[i] = p->ps.p[i].defval;
    initial(p);
    for (int i = 0; i < NS; i++) p->stereo[i] = (uint8_t)is_stereo[i];
    uint8_t bt[2] = {JM_BUS_REVERB, JM_BUS_DELAY};
    jm_mixer_config_t cfg = {.n_strips = NS, .stereo = p->stereo, .n_buses = 2, .bus_type = bt,
                             .rate = RATE, .meter_frames = 2400};
    for (int k = 0; k < 2; k++) {
        p->m[k] = jm_mixer_create(&cfg, &p->ps, p->values);
        assert_non_null(p->m[k]);
        assert_int_equal(jm_queue_init(&p->ev[k], sizeof(jm_event_t), 4096), 0);
    }
    assert_int_equal(jm_mixer_set_simd(p->m[0], JM_SIMD_OFF), 0);
    assert_string_equal(jm_mixer_simd(p->m[0]), "scalar");
    assert_int_equal(jm_mixer_set_simd(p->m[1], level), 0);
}

static void pair_free(pair_t *p)
{
    for (int k = 0; k < 2; k++) {
        jm_mixer_destroy(p->m[k]);
        jm_queue_free(&p->ev[k]);
    }
    jm_params_free(&p->ps);
    free(p->values);
}

static void cmd(pair_t *p, const char *path, float v)
{
    int i = jm_params_find(&p->ps, path);
    if (i < 0) fail_msg("no parameter %s", path);
    const jm_param_t *q = &p->ps.p[i];
    jm_cmd_t c = {.type = JM_CMD_SET, .scope = (uint8_t)q->scope, .field = q->field,
                  .index = q->owner, .value = jm_param_clamp(q->def, v)};
    for (int k = 0; k < 2; k++) jm_mixer_apply(p->m[k], &c);
}

/* The glides, switches and jumps, at frame t. */
typedef struct {
    int t;
    const char *path;
    float v;
} step_t;

static const step_t script[] = {
    {6000, "/strip/1/hpf/freq", 300},     {6000, "/strip/2/eq/2/gain", -12},
    {6000, "/strip/4/comp/threshold", -35}, {6000, "/strip/6/eq/on", 0},
    {6000, "/strip/13/eq/4/freq", 900},   {6000, "/strip/16/comp/ratio", 20},
    {12000, "/strip/3/gate/on", 0},       {12000, "/strip/7/comp/on", 0},
    {12000, "/strip/8/hpf/on", 1},        {12000, "/strip/11/eq/3/q", 8},
    {12000, "/strip/27/eq/1/gain", -18},  {12000, "/strip/6/eq/4/gain", 7},
    {20000, "/strip/3/gate/on", 1},       {20000, "/strip/7/comp/on", 1},
    {20000, "/strip/20/comp/on", 1},      {20000, "/strip/21/eq/1/gain", 6},
    {20000, "/strip/5/gate/on", 1},       {20000, "/strip/9/comp/attack", 50},
    {26000, "/strip/1/fader", -20},       {26000, "/strip/2/pan", 0.9f},
    {26000, "/strip/5/trim", 6},          {26000, "/strip/9/send/1/level", 0},
    {26000, "/strip/10/send/2/pre", 1},   {26000, "/strip/11/mute", 1},
    {26000, "/strip/18/trim", -6},        {26000, "/strip/19/fader", 4},
    {34000, "/strip/6/eq/on", 1},         {34000, "/strip/11/mute", 0},
    {34000, "/strip/13/polarity", 1},     {34000, "/strip/12/eq/3/freq", 5000},
    {34000, "/strip/12/eq/3/q", 4},       {34000, "/strip/21/eq/1/gain", 0},
    {34000, "/strip/20/comp/on", 0},      {34000, "/strip/8/hpf/freq", 20},
    {40000, "/strip/2/solo", 1},          {40000, "/strip/15/gate/threshold", -10},
    {46000, "/strip/2/solo", 0},          {46000, "/strip/14/comp/makeup", 12},
    {50000, "/strip/1/comp/knee", 24},    {50000, "/strip/6/comp/threshold", -60},
    {50000, "/strip/16/gate/range", 90},  {50000, "/strip/22/hpf/on", 1},
    {50000, "/strip/12/eq/2/gain", 0},    {56000, "/strip/12/eq/2/gain", -3},
    {56000, "/strip/23/eq/on", 0},        {56000, "/strip/23/eq/2/gain", 9},
    {56000, "/strip/1/hpf/on", 0},        {56000, "/strip/2/eq/4/q", 0.1f},
    {62000, "/strip/23/eq/on", 1},        {62000, "/strip/4/gate/hold", 0},
};

/* Input: full-scale noise (peak 1.0) in bursts of different lengths per
 * channel with quiet gaps (-60 dBFS: the gates close, compressors release),
 * a low-level stretch around the gate thresholds, and some DC offset. */
static uint64_t rng;
static float noise(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)((double)(rng >> 40) / (double)(1u << 24) * 2.0 - 1.0);
}

static float env(int ch, int t)
{
    int period = 5000 + 300 * ch, pos = (t + 777 * ch) % period;
    if (pos < period / 2) return 1.0f;
    if (pos < period * 3 / 4) return 0.001f;
    return 0.03f; /* about -30 dBFS peak: near the gate thresholds */
}

static double run_pair(int level, int *events_checked)
{
    pair_t p;
    pair_make(&p, level);
    static float buf[2 * NS][MAXB];
    float ol[2][MAXB], or_[2][MAXB];
    const float *in[2 * NS];
    for (int i = 0; i < NS; i++) {
        in[2 * i] = buf[2 * i];
        in[2 * i + 1] = is_stereo[i] ? buf[2 * i + 1] : NULL;
    }
    static const uint32_t sizes[] = {64, 64, 37, 128, 300, 16, 1, 64, 256, 15, 17, 512, 64, 3};
    rng = 0x243f6a8885a308d3ull;
    double maxd = 0.0, peak = 0.0;
    size_t si = 0, step = 0;
    int t = 0, ev = 0;
    while (t < FRAMES) {
        while (step < sizeof script / sizeof script[0] && script[step].t <= t) {
            cmd(&p, script[step].path, script[step].v);
            step++;
        }
        uint32_t n = sizes[si++ % (sizeof sizes / sizeof sizes[0])];
        for (int c = 0; c < 2 * NS; c++)
            for (uint32_t k = 0; k < n; k++) buf[c][k] = noise() * env(c, t + (int)k) + (c == 5 ? 0.1f : 0.0f);
        for (int k = 0; k < 2; k++) jm_mixer_process(p.m[k], in, ol[k], or_[k], n, &p.ev[k]);
        for (uint32_t k = 0; k < n; k++) {
            double d = fmax(fabs((double)ol[0][k] - ol[1][k]), fabs((double)or_[0][k] - or_[1][k]));
            if (d > maxd) maxd = d;
            peak = fmax(peak, fabs(ol[0][k]));
            if (!(d <= 1e-5)) fail_msg("SIMD %d: frame %d: L %.9g vs %.9g, R %.9g vs %.9g", level,
                                       t + (int)k, ol[0][k], ol[1][k], or_[0][k], or_[1][k]);
        }
        /* meters: same peaks, same gain reduction, RMS to double rounding */
        jm_event_t a, b;
        while (jm_queue_pop(&p.ev[0], &a)) {
            assert_true(jm_queue_pop(&p.ev[1], &b));
            assert_int_equal(a.type, b.type);
            assert_int_equal(a.index, b.index);
            for (int v = 0; v < 4; v++) assert_float_equal(a.v[v], b.v[v], 1e-6 * (1.0 + fabsf(a.v[v])));
            ev++;
        }
        assert_false(jm_queue_pop(&p.ev[1], &b));
        t += (int)n;
    }
    assert_true(peak > 0.5); /* the material really is loud at the output */
    pair_free(&p);
    *events_checked = ev;
    return maxd;
}

static void check_level(int level)
{
    const jm_simd_ops_t *o = jm_simd_ops(level);
    if (!o) {
        printf("# SIMD level %d not available on this CPU: skipped\n", level);
        skip();
    }
    int ev = 0;
    double d = run_pair(level, &ev);
    printf("# %s vs scalar: max abs difference %.3g over %d frames, %d meter events equal\n", o->name,
           d, FRAMES, ev);
    assert_true(d <= 1e-5);
    assert_true(ev > 100);
}

static void test_generic(void **s)
{
    (void)s;
    check_level(JM_SIMD_GENERIC);
}

static void test_avx2(void **s)
{
    (void)s;
    check_level(JM_SIMD_AVX2);
}

static void test_avx512(void **s)
{
    (void)s;
    check_level(JM_SIMD_AVX512);
}

/* As the daemon's audio thread runs: denormals flushed (FTZ/DAZ). */
static void test_auto_ftz(void **s)
{
    (void)s;
    jm_rt_set_ftz_daz();
    check_level(JM_SIMD_AUTO);
}

/* 250 mono strips and 4 stereo ones: no spare lanes for a padded last
 * group, so 31 groups run SIMD and the last 2 mono strips the scalar path,
 * between the stereo strips; every strip with every block active. */
static void test_no_spare_lanes(void **s)
{
    (void)s;
    enum { NM = 254 };
    static char names[NM][JM_NAME_MAX];
    for (int i = 0; i < NM; i++) snprintf(names[i], JM_NAME_MAX, "m%d", i + 1);
    static const char bnames[1][JM_NAME_MAX] = {"verb"};
    static const char btypes[1][16] = {"reverb"};
    jm_paramset_t ps;
    jm_topo_names_t tn = {.n_strips = NM, .strip_names = names, .n_buses = 1, .bus_names = bnames,
                          .bus_types = btypes};
    assert_int_equal(jm_params_build(&ps, &tn), 0);
    float *values = calloc(ps.n, sizeof(float));
    for (size_t i = 0; i < ps.n; i++) values[i] = ps.p[i].defval;
    pair_t tmp = {.ps = ps, .values = values};
    char path[128];
    for (int k = 1; k <= NM; k++) {
#define SET(tail, v) (snprintf(path, sizeof path, "/strip/%d/%s", k, tail), setv(&tmp, path, (float)(v)))
        SET("hpf/on", 1), SET("hpf/freq", 30 + k), SET("gate/on", 1), SET("gate/threshold", -40);
        SET("eq/1/gain", 3), SET("eq/2/gain", -2 - k % 5), SET("eq/3/gain", 1 + k % 3), SET("eq/4/gain", -4);
        SET("comp/on", 1), SET("comp/threshold", -20 - k % 9), SET("comp/ratio", 3);
        SET("fader", -30), SET("pan", -1 + 2.0 * k / NM), SET("send/1/level", -20);
#undef SET
    }
    uint8_t stereo[NM] = {[49] = 1, [99] = 1, [149] = 1, [199] = 1}, bt[1] = {JM_BUS_REVERB};
    jm_mixer_config_t cfg = {.n_strips = NM, .stereo = stereo, .n_buses = 1, .bus_type = bt,
                             .rate = RATE, .meter_frames = 2400};
    jm_mixer_t *m[2];
    for (int k = 0; k < 2; k++) assert_non_null(m[k] = jm_mixer_create(&cfg, &ps, values));
    assert_int_equal(jm_mixer_set_simd(m[0], JM_SIMD_OFF), 0);
    assert_int_equal(jm_mixer_set_simd(m[1], JM_SIMD_AUTO), 0);
    static float buf[2 * NM][64];
    const float *in[2 * NM];
    for (int i = 0; i < NM; i++) in[2 * i] = buf[2 * i], in[2 * i + 1] = stereo[i] ? buf[2 * i + 1] : NULL;
    float ol[2][64], or_[2][64];
    double maxd = 0.0;
    rng = 0x13198a2e03707344ull;
    for (int t = 0; t < 9600; t += 64) {
        for (int c = 0; c < 2 * NM; c++)
            for (int k = 0; k < 64; k++) buf[c][k] = noise() * env(c, t + k);
        if (t == 4800) { /* glide one strip of the last group, one scalar, one stereo */
            for (int k = 0; k < 3; k++) {
                static const int who[3] = {247, 254, 200};
                int i = jm_params_find(&ps, (snprintf(path, sizeof path, "/strip/%d/eq/2/gain", who[k]), path));
                jm_cmd_t c = {.type = JM_CMD_SET, .scope = JM_SCOPE_STRIP, .field = ps.p[i].field,
                              .index = ps.p[i].owner, .value = 9.0f};
                for (int j = 0; j < 2; j++) jm_mixer_apply(m[j], &c);
            }
        }
        for (int k = 0; k < 2; k++) jm_mixer_process(m[k], in, ol[k], or_[k], 64, NULL);
        for (int k = 0; k < 64; k++)
            maxd = fmax(maxd, fmax(fabs((double)ol[0][k] - ol[1][k]), fabs((double)or_[0][k] - or_[1][k])));
    }
    printf("# %d strips (no spare lanes) vs scalar: max abs difference %.3g\n", NM, maxd);
    assert_true(maxd <= 1e-5);
    for (int k = 0; k < 2; k++) jm_mixer_destroy(m[k]);
    jm_params_free(&ps);
    free(values);
}

static void test_default_is_simd(void **s)
{
    (void)s;
    pair_t p;
    pair_make(&p, JM_SIMD_AUTO);
    assert_string_equal(jm_mixer_simd(p.m[1]), jm_simd_ops(JM_SIMD_AUTO)->name);
    assert_int_equal(jm_simd_parse("scalar"), JM_SIMD_OFF);
    assert_int_equal(jm_simd_parse("avx2"), JM_SIMD_AVX2);
    assert_int_equal(jm_simd_parse("bogus"), -1);
    pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_is_simd),
        cmocka_unit_test(test_generic),
        cmocka_unit_test(test_avx2),
        cmocka_unit_test(test_avx512),
        cmocka_unit_test(test_no_spare_lanes),
        cmocka_unit_test(test_auto_ftz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
