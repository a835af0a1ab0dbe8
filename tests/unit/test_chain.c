/* The strip chain end to end: defaults, responses through the chain, glides
 * and on/off switching without clicks, exact bypass, block-size independence,
 * gain reduction, linked stereo, silence without denormals. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "jmixd/dsp/chain.h"
#include "jmixd/session/params.h"

#define FS 48000.0f
#define PI 3.14159265358979323846
#define SMOOTH 960 /* 20 ms */
#define NBUF (48000 * 4)

static jm_chain_t *ch;
static float bl[NBUF], br[NBUF], xl[NBUF];

static const double iso_third[] = {20,   25,   31.5, 40,   50,   63,    80,    100,   125,  160,  200,
                                   250,  315,  400,  500,  630,  800,   1000,  1250,  1600, 2000, 2500,
                                   3150, 4000, 5000, 6300, 8000, 10000, 12500, 16000, 20000};
#define N_ISO (sizeof iso_third / sizeof iso_third[0])

static int setup(void **state)
{
    (void)state;
    ch = calloc(1, sizeof *ch);
    return ch ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(ch);
    return 0;
}

/* Strips: 0 mono, 1 stereo, 2 mono. */
static void fresh(void)
{
    const uint8_t stereo[3] = {0, 1, 0};
    float def[JM_CF_COUNT];
    jm_params_chain_defaults(def);
    jm_chain_init(ch, 3, stereo, FS, SMOOTH, def);
}

static void sine(float *x, long o, long n, double f, double amp)
{
    for (long k = o; k < o + n; k++) x[k] = (float)(amp * sin(2.0 * PI * f * (double)k / FS));
}

/* Process in JACK-like blocks of 64 (stereo when r is given). */
static void run(int strip, float *l, float *r, long n)
{
    for (long o = 0; o < n; o += 64) jm_chain_process(ch, strip, l + o, r ? r + o : NULL, (uint32_t)(n - o < 64 ? n - o : 64));
}

/* Level in dB of the sine at f in x[o..o+n) (least squares, any n). */
static double level_db(const float *x, long o, long n, double f)
{
    double yc = 0, ys = 0, cc = 0, cs = 0, ss = 0, w = 2 * PI * f / FS;
    for (long k = o; k < o + n; k++) {
        double c = cos(w * (double)k), s = sin(w * (double)k);
        yc += x[k] * c, ys += x[k] * s, cc += c * c, cs += c * s, ss += s * s;
    }
    double det = cc * ss - cs * cs;
    return 20 * log10(hypot((yc * ss - ys * cs) / det, (ys * cc - yc * cs) / det));
}

/* Measured chain response of strip 1 (stereo; both channels) at f, dB. */
static double measure_db(double f)
{
    long settle = 96000, n = settle + (long)(20 * FS / f) + 4800;
    if (n > NBUF) n = NBUF;
    jm_chain_reset(ch, 1);
    sine(bl, 0, n, f, 0.5);
    memcpy(br, bl, (size_t)n * sizeof *bl);
    run(1, bl, br, n);
    assert_memory_equal(bl, br, (size_t)n * sizeof *bl);
    return level_db(bl, settle, n - settle, f) - 20 * log10(0.5);
}

/* ------------------------------------------------------------- defaults -- */

static void test_defaults(void **state)
{
    (void)state;
    fresh();
    for (size_t i = 0; i < jm_param_defs_count; i++) {
        const jm_param_def_t *d = &jm_param_defs[i];
        int f = d->field - JM_SF_CHAIN;
        if (d->scope != JM_SCOPE_STRIP || f < 0 || f >= JM_CF_COUNT) continue;
        int bands = strstr(d->tail, "{n}") ? 4 : 1;
        for (int b = 0; b < bands; b++) assert_float_equal(jm_chain_get(ch, 1, f + b), d->def[b], 1e-3 * fabsf(d->def[b]));
    }
    assert_float_equal(jm_chain_get(ch, 0, JM_CF_EQ_ON), 1, 0);
    assert_float_equal(jm_chain_get(ch, 0, JM_CF_COMP_ON), 0, 0);
    /* at defaults the chain is a bit-exact identity */
    for (long k = 0; k < 48000; k++) xl[k] = (float)(0.8 * sin(0.05 * k) + 0.1 * sin(2.1 * k));
    memcpy(bl, xl, 48000 * sizeof *bl);
    memcpy(br, xl, 48000 * sizeof *bl);
    run(0, bl, NULL, 48000);
    assert_memory_equal(bl, xl, 48000 * sizeof *bl);
    run(1, br, bl, 48000);
    assert_memory_equal(bl, xl, 48000 * sizeof *bl);
    assert_memory_equal(br, xl, 48000 * sizeof *bl);
    assert_float_equal(jm_chain_gr_db(ch, 1), 0, 0);
}

/* ------------------------------------------------------------ responses -- */

typedef struct {
    int band; /* 0..3, or -1 for the HPF */
    double f, q, gain;
} setting_t;

static void apply(const setting_t *s)
{
    if (s->band < 0) {
        jm_chain_set(ch, 1, JM_CF_HPF_ON, 1, 0);
        jm_chain_set(ch, 1, JM_CF_HPF_FREQ, (float)s->f, 0);
    } else {
        jm_chain_set(ch, 1, JM_CF_EQ_FREQ + s->band, (float)s->f, 0);
        jm_chain_set(ch, 1, JM_CF_EQ_Q + s->band, (float)s->q, 0);
        jm_chain_set(ch, 1, JM_CF_EQ_GAIN + s->band, (float)s->gain, 0);
    }
}

static double analytic_db(const setting_t *s, double f)
{
    static const jm_bq_type_t type[4] = {JM_BQ_LOWSHELF, JM_BQ_PEAK, JM_BQ_PEAK, JM_BQ_HIGHSHELF};
    jm_bq_coef_t c;
    if (s->band < 0) jm_bq_design(&c, JM_BQ_HPF, FS, s->f, JM_BQ_BUTTERWORTH_Q, 0);
    else jm_bq_design(&c, type[s->band], FS, s->f, s->q, s->gain);
    return jm_bq_mag_db(&c, FS, f);
}

static void test_band_responses(void **state)
{
    (void)state;
    const setting_t set[] = {{0, 100, 0.707, 12},  {0, 200, 2, -12},    {0, 20, 0.707, 18},
                             {1, 1000, 1, 12},     {1, 250, 4, -12},    {2, 2500, 0.5, 12},
                             {2, 40, 10, -18},     {3, 8000, 0.707, 12}, {3, 4000, 2, -12},
                             {3, 12000, 0.3, 18},  {-1, 20, 0, 0},      {-1, 80, 0, 0},
                             {-1, 400, 0, 0},      {-1, 1000, 0, 0}};
    for (size_t i = 0; i < sizeof set / sizeof set[0]; i++) {
        fresh();
        apply(&set[i]);
        double worst = 0;
        for (size_t j = 0; j < N_ISO; j++)
            worst = fmax(worst, fabs(measure_db(iso_third[j]) - analytic_db(&set[i], iso_third[j])));
        printf("  %s%d f %7.1f Q %5.3f gain %+5.1f: max |chain - analytic| %.4f dB\n",
               set[i].band < 0 ? "hpf" : "band", set[i].band < 0 ? 0 : set[i].band + 1, set[i].f,
               set[i].q, set[i].gain, worst);
        assert_true(worst < 0.1);
    }
}

/* All four bands and the HPF at once: the dB responses add. */
static void test_full_eq_response(void **state)
{
    (void)state;
    const setting_t set[] = {{0, 120, 0.9, 6}, {1, 500, 2, -8}, {2, 3000, 1.5, 5}, {3, 9000, 0.7, -4}, {-1, 40, 0, 0}};
    fresh();
    for (size_t i = 0; i < 5; i++) apply(&set[i]);
    double worst = 0;
    for (size_t j = 0; j < N_ISO; j++) {
        double want = 0;
        for (size_t i = 0; i < 5; i++) want += analytic_db(&set[i], iso_third[j]);
        worst = fmax(worst, fabs(measure_db(iso_third[j]) - want));
    }
    printf("  HPF + 4 bands: max |chain - analytic| %.4f dB\n", worst);
    assert_true(worst < 0.1);
}

static void test_hpf_corner_slope(void **state)
{
    (void)state;
    const double corners[] = {50, 120, 1000};
    for (size_t i = 0; i < 3; i++) {
        fresh();
        setting_t s = {-1, corners[i], 0, 0};
        apply(&s);
        double lo = corners[i] / 2, hi = corners[i] * 2;
        for (int it = 0; it < 20; it++) {
            double mid = sqrt(lo * hi);
            if (measure_db(mid) < -3.0103) lo = mid;
            else hi = mid;
        }
        double f3 = sqrt(lo * hi), slope = measure_db(corners[i] / 8) - measure_db(corners[i] / 16);
        printf("  chain hpf %6.1f Hz: -3 dB at %.2f Hz (%+.3f %%), f/8 vs f/16 %.3f dB\n", corners[i], f3,
               100 * (f3 / corners[i] - 1), slope);
        assert_true(fabs(f3 / corners[i] - 1) < 0.03);
        assert_true(fabs(slope - 12) < 0.5);
    }
}

/* ------------------------------------------------------------ smoothing -- */

/* Largest |y[k] - y[k-1]| relative to what a clean sine of frequency f with
 * the local amplitude (max |y| within one period either side) can do. */
static double worst_step_ratio(const float *y, long from, long n, double f)
{
    long per = (long)(FS / f) + 1;
    double unit = 2 * sin(PI * f / FS), worst = 0;
    for (long k = from + 1; k < from + n; k++) {
        double env = 0;
        for (long j = k - per; j <= k + per; j++)
            if (j >= 0 && j < from + n) env = fmax(env, fabs(y[j]));
        double step = fabs((double)y[k] - y[k - 1]);
        if (env > 1e-9) worst = fmax(worst, step / (env * unit));
    }
    return worst;
}

typedef struct {
    const char *what;
    int field;
    float from, to;
} move_t;

/* Sine of 1 kHz; at 0.1 s move `field` from..to over 20 ms, at 0.3 s back. */
static double sweep(const move_t *m, double amp)
{
    long n = 24000;
    sine(bl, 0, n, 1000, amp);
    jm_chain_set(ch, 0, m->field, m->from, 0);
    run(0, bl, NULL, 4800);
    jm_chain_set(ch, 0, m->field, m->to, SMOOTH);
    run(0, bl + 4800, NULL, 9600);
    jm_chain_set(ch, 0, m->field, m->from, SMOOTH);
    run(0, bl + 14400, NULL, n - 14400);
    return worst_step_ratio(bl, 2400, n - 2400, 1000);
}

static void test_glides_click_free(void **state)
{
    (void)state;
    const move_t moves[] = {
        {"eq2 gain -12..+12", JM_CF_EQ_GAIN + 1, -12, 12}, {"eq2 freq 20..20k", JM_CF_EQ_FREQ + 1, 20, 20000},
        {"eq2 q 0.1..10", JM_CF_EQ_Q + 1, 0.1f, 10},      {"eq1 freq 20..20k", JM_CF_EQ_FREQ, 20, 20000},
        {"eq4 freq 20k..20", JM_CF_EQ_FREQ + 3, 20000, 20}, {"eq4 gain -18..18", JM_CF_EQ_GAIN + 3, -18, 18},
        {"hpf freq 20..1000", JM_CF_HPF_FREQ, 20, 1000},  {"gate thr -90..0", JM_CF_GATE_THRESHOLD, -90, 0},
        {"gate range 0..90", JM_CF_GATE_RANGE, 0, 90},    {"comp thr 0..-60", JM_CF_COMP_THRESHOLD, 0, -60},
        {"comp ratio 1..20", JM_CF_COMP_RATIO, 1, 20},    {"comp makeup 0..24", JM_CF_COMP_MAKEUP, 0, 24},
        {"comp knee 0..24", JM_CF_COMP_KNEE, 0, 24},
    };
    for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++) {
        fresh();
        /* the band under test at +12 dB unless its gain is what moves; all blocks on */
        for (int b = 0; b < 4; b++) jm_chain_set(ch, 0, JM_CF_EQ_GAIN + b, 12, 0);
        jm_chain_set(ch, 0, JM_CF_HPF_ON, 1, 0);
        jm_chain_set(ch, 0, JM_CF_GATE_ON, 1, 0);
        jm_chain_set(ch, 0, JM_CF_GATE_THRESHOLD, -60, 0);
        jm_chain_set(ch, 0, JM_CF_COMP_ON, 1, 0);
        jm_chain_set(ch, 0, JM_CF_COMP_ATTACK, 0.1f, 0); /* fastest detector: hides nothing */
        double r = sweep(&moves[i], 0.05);
        printf("  %-20s worst step / clean-sine step %.3f\n", moves[i].what, r);
        assert_true(r < 1.5);
    }
}

/* Each block switched on and off (20 ms crossfades) under a 1 kHz sine, with
 * settings that make the block change the signal a lot. */
static void test_switching_click_free(void **state)
{
    (void)state;
    const move_t moves[] = {{"hpf on/off", JM_CF_HPF_ON, 0, 1},   {"gate on/off", JM_CF_GATE_ON, 0, 1},
                            {"eq on/off", JM_CF_EQ_ON, 0, 1},     {"comp on/off", JM_CF_COMP_ON, 0, 1},
                            {"eq off/on", JM_CF_EQ_ON, 1, 0}};
    for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++) {
        fresh();
        jm_chain_set(ch, 0, JM_CF_HPF_FREQ, 1000, 0);         /* -3 dB, 90 degrees at 1 kHz */
        jm_chain_set(ch, 0, JM_CF_GATE_THRESHOLD, -10, 0);    /* closes on the -20 dBFS sine */
        jm_chain_set(ch, 0, JM_CF_GATE_HOLD, 0, 0);
        jm_chain_set(ch, 0, JM_CF_GATE_RELEASE, 5, 0);
        jm_chain_set(ch, 0, JM_CF_EQ_GAIN + 1, 18, 0);
        jm_chain_set(ch, 0, JM_CF_EQ_FREQ + 1, 1000, 0);
        jm_chain_set(ch, 0, JM_CF_EQ_GAIN + 2, -18, 0);
        jm_chain_set(ch, 0, JM_CF_EQ_FREQ + 2, 1200, 0);
        jm_chain_set(ch, 0, JM_CF_COMP_THRESHOLD, -60, 0);
        jm_chain_set(ch, 0, JM_CF_COMP_RATIO, 20, 0);
        jm_chain_set(ch, 0, JM_CF_COMP_ATTACK, 0.1f, 0);
        double r = sweep(&moves[i], 0.1);
        printf("  %-12s worst step / clean-sine step %.3f\n", moves[i].what, r);
        assert_true(r < 1.5);
    }
}

/* After switching everything off the chain is bit-exact and skips work. */
static void test_exact_bypass(void **state)
{
    (void)state;
    fresh();
    for (int b = 0; b < 4; b++) jm_chain_set(ch, 1, JM_CF_EQ_GAIN + b, 6 - 4 * b, 0);
    jm_chain_set(ch, 1, JM_CF_HPF_ON, 1, 0);
    jm_chain_set(ch, 1, JM_CF_GATE_ON, 1, 0);
    jm_chain_set(ch, 1, JM_CF_COMP_ON, 1, 0);
    for (long k = 0; k < NBUF; k++) xl[k] = (float)(0.5 * sin(0.07 * k) + 0.3 * sin(0.9 * k));
    memcpy(bl, xl, sizeof bl);
    memcpy(br, xl, sizeof br);
    run(1, bl, br, 48000);
    assert_true(jm_chain_gr_db(ch, 1) > 1);
    for (int f = 0; f < JM_CF_COUNT; f++)
        if (f == JM_CF_HPF_ON || f == JM_CF_GATE_ON || f == JM_CF_EQ_ON || f == JM_CF_COMP_ON)
            jm_chain_set(ch, 1, f, 0, SMOOTH);
    run(1, bl + 48000, br + 48000, 2 * SMOOTH + JM_CHAIN_SUB); /* glide + EQ tail */
    long o = 48000 + 2 * SMOOTH + 64;
    run(1, bl + o, br + o, 48000);
    assert_memory_equal(bl + o, xl + o, 48000 * sizeof *bl);
    assert_memory_equal(br + o, xl + o, 48000 * sizeof *bl);
    for (int b = 0; b < 4; b++) assert_int_equal(ch->eq_live[b][1], 0);
    assert_float_equal(jm_chain_gr_db(ch, 1), 0, 0);
    /* and a band moved back to 0 dB is skipped again once its tail has faded */
    fresh();
    jm_chain_set(ch, 0, JM_CF_EQ_GAIN + 1, 9, 0);
    run(0, bl, NULL, 4800);
    jm_chain_set(ch, 0, JM_CF_EQ_GAIN + 1, 0, SMOOTH);
    run(0, bl + 4800, NULL, 2 * SMOOTH + 64);
    assert_int_equal(ch->eq_live[1][0], 0);
    memcpy(bl, xl, 4800 * sizeof *bl);
    run(0, bl, NULL, 4800);
    assert_memory_equal(bl, xl, 4800 * sizeof *bl);
}

/* With steady parameters the output does not depend on the block sizes. */
static void test_block_size_independent(void **state)
{
    (void)state;
    static float a[48000], b[48000];
    for (int pass = 0; pass < 2; pass++) {
        fresh();
        jm_chain_set(ch, 2, JM_CF_HPF_ON, 1, 0);
        jm_chain_set(ch, 2, JM_CF_GATE_ON, 1, 0);
        jm_chain_set(ch, 2, JM_CF_GATE_THRESHOLD, -20, 0);
        jm_chain_set(ch, 2, JM_CF_EQ_GAIN + 2, 7, 0);
        jm_chain_set(ch, 2, JM_CF_COMP_ON, 1, 0);
        float *y = pass ? b : a;
        for (long k = 0; k < 48000; k++) y[k] = (float)(0.5 * sin(0.03 * k) * (k % 9000 < 4500 ? 1 : 0.01));
        srand(7);
        for (long o = 0; o < 48000;) {
            long m = pass ? 1 + rand() % 100 : 64;
            if (m > 48000 - o) m = 48000 - o;
            jm_chain_process(ch, 2, y + o, NULL, (uint32_t)m);
            o += m;
        }
    }
    assert_memory_equal(a, b, sizeof a);
}

/* ------------------------------------------------------------- dynamics -- */

static void test_gain_reduction(void **state)
{
    (void)state;
    fresh();
    jm_chain_set(ch, 0, JM_CF_COMP_ON, 1, SMOOTH);
    sine(bl, 0, 48000, 1000, pow(10, -6 / 20.0));
    memcpy(xl, bl, 48000 * sizeof *bl);
    run(0, bl, NULL, 48000);
    /* defaults T -18, R 4, W 6: a -6 dBFS peak is 12 dB over, GR = 9 dB */
    double gr = jm_chain_gr_db(ch, 0), out = level_db(bl, 24000, 24000, 1000);
    printf("  default compressor, -6 dBFS sine: GR %.3f dB, output %.3f dBFS\n", gr, out);
    assert_float_equal(gr, 9.0, 0.3);
    assert_float_equal(out, -15.0, 0.3);
    jm_chain_set(ch, 0, JM_CF_COMP_MAKEUP, 9, SMOOTH);
    run(0, xl, NULL, 48000);
    assert_float_equal(level_db(xl, 24000, 24000, 1000), -6.0, 0.3);
    jm_chain_set(ch, 0, JM_CF_COMP_ON, 0, SMOOTH);
    run(0, xl, NULL, 4800);
    assert_float_equal(jm_chain_gr_db(ch, 0), 0, 0);
}

/* Stereo strip: gate and compressor see max(|L|, |R|) and apply one gain. */
static void test_stereo_linked(void **state)
{
    (void)state;
    fresh();
    jm_chain_set(ch, 1, JM_CF_GATE_ON, 1, 0);
    jm_chain_set(ch, 1, JM_CF_GATE_THRESHOLD, -30, 0);
    jm_chain_set(ch, 1, JM_CF_COMP_ON, 1, 0);
    sine(bl, 0, 48000, 1000, 0.5);
    sine(br, 0, 48000, 1000, 0.001); /* alone it would be gated */
    run(1, bl, br, 48000);
    double gl = level_db(bl, 24000, 24000, 1000) - 20 * log10(0.5);
    double gr = level_db(br, 24000, 24000, 1000) - 20 * log10(0.001);
    printf("  stereo: L gain %.3f dB, R gain %.3f dB\n", gl, gr);
    assert_true(gl < -5);
    assert_float_equal(gl, gr, 0.01);
}

/* Silence: no subnormal in any state or output, ever; states settle to 0. */
static void test_silence_no_denormals(void **state)
{
    (void)state;
    fresh();
    jm_chain_set(ch, 1, JM_CF_HPF_ON, 1, 0);
    jm_chain_set(ch, 1, JM_CF_HPF_FREQ, 20, 0);
    jm_chain_set(ch, 1, JM_CF_GATE_ON, 1, 0);
    jm_chain_set(ch, 1, JM_CF_GATE_RANGE, 90, 0);
    const float f[4] = {20, 40, 20000, 20000}, q[4] = {10, 10, 0.1f, 0.1f}, g[4] = {18, -18, 18, -18};
    for (int b = 0; b < 4; b++) {
        jm_chain_set(ch, 1, JM_CF_EQ_FREQ + b, f[b], 0);
        jm_chain_set(ch, 1, JM_CF_EQ_Q + b, q[b], 0);
        jm_chain_set(ch, 1, JM_CF_EQ_GAIN + b, g[b], 0);
    }
    jm_chain_set(ch, 1, JM_CF_COMP_ON, 1, 0);
    jm_chain_set(ch, 1, JM_CF_COMP_RELEASE, 2000, 0);
    srand(3);
    for (long k = 0; k < 48000; k++) bl[k] = br[k] = (float)(rand() / (double)RAND_MAX - 0.5);
    clock_t t0 = clock();
    run(1, bl, br, 48000);
    double loud = (double)(clock() - t0) / CLOCKS_PER_SEC;
    double quiet = 0;
    long zero_at = -1;
    for (int sec = 0; sec < 150; sec++) {
        memset(bl, 0, sizeof bl);
        memset(br, 0, sizeof br);
        t0 = clock();
        for (long o = 0; o < 48000; o += 64) {
            jm_chain_process(ch, 1, bl + o, br + o, 64);
            assert_int_equal(jm_chain_denormals(ch, 1), 0);
        }
        if (sec == 0) quiet = (double)(clock() - t0) / CLOCKS_PER_SEC;
        for (long k = 0; k < 48000; k++)
            assert_true(fpclassify(bl[k]) != FP_SUBNORMAL && fpclassify(br[k]) != FP_SUBNORMAL);
        if (zero_at < 0 && ch->comp.yl[1] == 0 && bl[47999] == 0 && br[47999] == 0) zero_at = sec;
    }
    printf("  1 s loud noise %.2f ms CPU, 1 s silence %.2f ms CPU; output and states exactly 0 after %ld s\n",
           loud * 1e3, quiet * 1e3, zero_at);
    assert_true(zero_at >= 0);
}

/* A glide takes ramp_len: the values arrive and stop exactly on time. */
static void test_glide_timing(void **state)
{
    (void)state;
    fresh();
    jm_chain_set(ch, 0, JM_CF_EQ_FREQ + 2, 5000, SMOOTH);
    jm_chain_set(ch, 0, JM_CF_EQ_GAIN + 2, 6, SMOOTH);
    memset(bl, 0, 2000 * sizeof *bl);
    run(0, bl, NULL, SMOOTH - 16);
    assert_true(ch->moving[0] != 0);
    run(0, bl, NULL, 16);
    assert_int_equal(ch->moving[0], 0);
    assert_float_equal(jm_chain_get(ch, 0, JM_CF_EQ_FREQ + 2), 5000, 0.01);
    assert_float_equal(ch->cur[JM_CF_EQ_GAIN + 2][0], 6, 0);
    /* a negative ramp_len means smooth_len (SMOOTH here) */
    jm_chain_set(ch, 0, JM_CF_COMP_MAKEUP, 12, -1);
    assert_int_equal(ch->left[JM_CF_COMP_MAKEUP][0], SMOOTH);
    /* out-of-range strip or field: ignored */
    jm_chain_set(ch, 3, JM_CF_COMP_MAKEUP, 12, 0);
    jm_chain_set(ch, 0, JM_CF_COUNT, 12, 0);
    jm_chain_set(ch, -1, -1, 12, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_band_responses),
        cmocka_unit_test(test_full_eq_response),
        cmocka_unit_test(test_hpf_corner_slope),
        cmocka_unit_test(test_glides_click_free),
        cmocka_unit_test(test_switching_click_free),
        cmocka_unit_test(test_exact_bypass),
        cmocka_unit_test(test_block_size_independent),
        cmocka_unit_test(test_gain_reduction),
        cmocka_unit_test(test_stereo_linked),
        cmocka_unit_test(test_silence_no_denormals),
        cmocka_unit_test(test_glide_timing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
