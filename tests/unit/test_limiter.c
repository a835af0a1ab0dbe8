/* True-peak limiter: ceiling held (checked by an independent BS.1770-4
 * Annex 2 meter, not the limiter's own detector), exact latency, bit-exact
 * pass-through below the ceiling, click-free switching. */
#include "jmixd/dsp/limiter.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#define FS 48000.0f
#define TWO_PI 6.28318530717958647692

/* ITU-R BS.1770-4 Annex 2, the 48-tap 4-phase interpolator (as published):
 * y_p[n] = sum_k tp_h[p][k] x[n-k]. */
static const double tp_h[4][12] = {
    {0.0017089843750, 0.0109863281250, -0.0196533203125, 0.0332031250000, -0.0594482421875,
     0.1373291015625, 0.9721679687500, -0.1022949218750, 0.0476074218750, -0.0266113281250,
     0.0148925781250, -0.0083007812500},
    {-0.0291748046875, 0.0292968750000, -0.0517578125000, 0.0891113281250, -0.1665039062500,
     0.4650878906250, 0.7797851562500, -0.2003173828125, 0.1015625000000, -0.0582275390625,
     0.0330810546875, -0.0189208984375},
    {-0.0189208984375, 0.0330810546875, -0.0582275390625, 0.1015625000000, -0.2003173828125,
     0.7797851562500, 0.4650878906250, -0.1665039062500, 0.0891113281250, -0.0517578125000,
     0.0292968750000, -0.0291748046875},
    {-0.0083007812500, 0.0148925781250, -0.0266113281250, 0.0476074218750, -0.1022949218750,
     0.9721679687500, 0.1373291015625, -0.0594482421875, 0.0332031250000, -0.0196533203125,
     0.0109863281250, 0.0017089843750},
};

/* True peak (linear) of one channel: the larger of the sample peak and the
 * 4x oversampled peak (stricter than the Annex, which uses only the latter).
 * Silence before x[0] is real (the stream starts there); the interpolator
 * is not run past the end, where cutting the stream would be a step that
 * the limiter never saw. */
static double true_peak(const float *x, size_t n)
{
    double pk = 0.0;
    for (size_t i = 0; i < n; i++) {
        pk = fmax(pk, fabs(x[i]));
        for (int p = 0; p < 4; p++) {
            double acc = 0.0;
            for (int k = 0; k < 12; k++)
                if (i >= (size_t)k && i - (size_t)k < n) acc += tp_h[p][k] * x[i - (size_t)k];
            pk = fmax(pk, fabs(acc));
        }
    }
    return pk;
}

static double db(double g) { return 20.0 * log10(g); }

/* Deterministic noise, uniform in [-1, 1). */
static float rnd(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)((*s >> 8) * (1.0 / 8388608.0)) - 1.0f;
}

typedef enum {
    SIG_SINE6, SIG_CLICKS, SIG_SQUARE, SIG_NOISE, SIG_ISP, SIG_HF, SIG_COUNT
} sigkind_t;
static const char *const sig_name[] = {"+6 dBFS 997 Hz sine", "full-scale clicks",
                                       "full-scale square bursts", "+6 dBFS white noise",
                                       "fs/4 sine 45 deg 1.41", "+6 dBFS 3.6/12/18 kHz"};

static void make(sigkind_t s, float *l, float *r, size_t n)
{
    uint32_t seed = 12345u;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i;
        switch (s) {
        case SIG_SINE6:
            l[i] = (float)(2.0 * sin(TWO_PI * 997.0 * t / FS));
            r[i] = (float)(2.0 * sin(TWO_PI * 997.0 * t / FS + 0.3));
            break;
        case SIG_CLICKS: /* a click every 1000..1300 frames, either sign, on one side */
            l[i] = r[i] = 0.0f;
            if (i % 1117 == 500) l[i] = (i / 1117) % 2 ? 1.0f : -1.0f;
            if (i % 1301 == 77) r[i] = 1.0f;
            if (i % 4001 == 9) l[i] = r[i] = -1.0f;
            break;
        case SIG_SQUARE: /* 10 ms bursts of a 1.2 kHz full-scale square, 10 ms apart */
            l[i] = (i / 480) % 2 ? 0.0f : ((i / 20) % 2 ? 1.0f : -1.0f);
            r[i] = (i / 480) % 2 ? 0.0f : ((i / 13) % 2 ? -1.0f : 1.0f);
            break;
        case SIG_NOISE:
            l[i] = 2.0f * rnd(&seed);
            r[i] = 2.0f * rnd(&seed);
            break;
        case SIG_ISP: /* every sample +-0.997, true peak 1.41 (+3 dBTP) */
            l[i] = r[i] = (float)(1.41 * sin(TWO_PI * t / 4.0 + TWO_PI / 8.0));
            break;
        case SIG_HF: /* 3.6 kHz and fs/4 are where the Annex 2 ripple peaks */
            l[i] = (float)(2.0 * sin(TWO_PI * (i < n / 2 ? 3600.0 : 12000.0) * t / FS));
            r[i] = (float)(2.0 * sin(TWO_PI * 18000.0 * t / FS + 1.0));
            break;
        default:
            break;
        }
    }
}

/* Worst true-peak overshoot (dB over the ceiling) of the limiter output for
 * one case, processed in blocks of `block`. */
static double overshoot(sigkind_t s, float ceil_db, float rel_ms, float look_ms, uint32_t block)
{
    const size_t n = 48000;
    float *l = malloc(n * sizeof *l), *r = malloc(n * sizeof *r);
    jm_limiter_t *lim = calloc(1, sizeof *lim);
    assert_non_null(l);
    assert_non_null(r);
    assert_non_null(lim);
    make(s, l, r, n);
    jm_limiter_init(lim, FS);
    jm_limiter_set(lim, 1, ceil_db, rel_ms, look_ms);
    jm_limiter_reset(lim);
    for (size_t i = 0; i < n; i += block) {
        uint32_t k = (uint32_t)(n - i < block ? n - i : block);
        jm_limiter_process(lim, l + i, r + i, k);
    }
    double tp = fmax(true_peak(l, n), true_peak(r, n));
    free(l);
    free(r);
    free(lim);
    return db(tp) - ceil_db;
}

static void test_ceiling_held(void **state)
{
    (void)state;
    static const float ceils[] = {-1.0f, -3.0f};
    static const float looks[] = {0.5f, 2.0f, 10.0f};
    static const float rels[] = {1.0f, 50.0f};
    for (int s = 0; s < SIG_COUNT; s++) {
        double worst = -1e9;
        for (int c = 0; c < 2; c++)
            for (int a = 0; a < 3; a++)
                for (int rr = 0; rr < 2; rr++) {
                    double o = overshoot((sigkind_t)s, ceils[c], rels[rr], looks[a], 256);
                    if (o > worst) worst = o;
                    if (o > 0.1)
                        printf("# %s ceiling %g lookahead %g release %g: over by %.3f dB\n",
                               sig_name[s], ceils[c], looks[a], rels[rr], o);
                    assert_true(o <= 0.1);
                }
        printf("# %-26s worst true peak - ceiling: %+.3f dB\n", sig_name[s], worst);
    }
}

/* Odd block sizes and a block of one frame do not change the result. */
static void test_block_size_independent(void **state)
{
    (void)state;
    assert_true(overshoot(SIG_NOISE, -1.0f, 50.0f, 2.0f, 1) <= 0.1);
    assert_true(overshoot(SIG_SQUARE, -3.0f, 5.0f, 1.0f, 61) <= 0.1);
}

/* Impulse below the ceiling leaves exactly L frames later, unchanged. */
static void test_latency_and_impulse(void **state)
{
    (void)state;
    static const float rates[] = {44100.0f, 48000.0f, 96000.0f};
    static const float looks[] = {0.5f, 2.0f, 5.3f, 10.0f};
    jm_limiter_t *lim = calloc(1, sizeof *lim);
    float l[4096], r[4096];
    for (int q = 0; q < 3; q++)
        for (int a = 0; a < 4; a++) {
            uint32_t L = (uint32_t)lroundf(looks[a] * rates[q] / 1000.0f);
            jm_limiter_init(lim, rates[q]);
            jm_limiter_set(lim, 1, -1.0f, 50.0f, looks[a]);
            jm_limiter_reset(lim);
            assert_int_equal(jm_limiter_latency(lim), L);
            for (int i = 0; i < 4096; i++) l[i] = r[i] = 0.0f;
            l[100] = 0.5f;
            r[100] = -0.25f;
            jm_limiter_process(lim, l, r, 4096);
            for (int i = 0; i < 4096; i++) {
                float el = i == 100 + (int)L ? 0.5f : 0.0f;
                float er = i == 100 + (int)L ? -0.25f : 0.0f;
                assert_true(l[i] == el && r[i] == er);
            }
            jm_limiter_set(lim, 0, -1.0f, 50.0f, looks[a]);
            assert_int_equal(jm_limiter_latency(lim), 0);
        }
    printf("# impulse out at exactly L = round(lookahead*fs/1000) frames "
           "(44.1/48/96 kHz x 0.5/2/5.3/10 ms)\n");
    free(lim);
}

/* Well below the ceiling: output == input delayed by L, bit for bit; off:
 * output == input, no delay. */
static void test_transparent_below_ceiling(void **state)
{
    (void)state;
    enum { N = 9600 };
    static float l[N], r[N], l0[N], r0[N];
    jm_limiter_t *lim = calloc(1, sizeof *lim);
    uint32_t seed = 7u;
    for (int i = 0; i < N; i++) {
        l0[i] = l[i] = 0.3f * (float)sin(TWO_PI * 440.0 * i / FS) + 0.05f * rnd(&seed);
        r0[i] = r[i] = 0.2f * rnd(&seed);
    }
    jm_limiter_init(lim, FS);
    jm_limiter_set(lim, 1, -1.0f, 50.0f, 2.0f);
    jm_limiter_reset(lim);
    uint32_t L = jm_limiter_latency(lim);
    assert_int_equal(L, 96);
    jm_limiter_process(lim, l, r, N);
    for (int i = 0; i < N; i++) {
        float el = i >= (int)L ? l0[i - (int)L] : 0.0f;
        float er = i >= (int)L ? r0[i - (int)L] : 0.0f;
        assert_true(l[i] == el && r[i] == er);
    }
    assert_true(jm_limiter_gr_db(lim) == 0.0f);
    jm_limiter_set(lim, 0, -1.0f, 50.0f, 2.0f);
    jm_limiter_reset(lim);
    for (int i = 0; i < N; i++) { l[i] = l0[i]; r[i] = r0[i]; }
    jm_limiter_process(lim, l, r, N);
    for (int i = 0; i < N; i++) assert_true(l[i] == l0[i] && r[i] == r0[i]);
    free(lim);
}

/* Largest frame-to-frame step of the output; a click is a step far larger
 * than the signal's own. */
static float max_step(const float *x, int n)
{
    float m = 0.0f;
    for (int i = 1; i < n; i++) m = fmaxf(m, fabsf(x[i] - x[i - 1]));
    return m;
}

/* On/off and lookahead changes while a loud low sine plays: no click (the
 * largest step stays near the sine's own), ceiling still held while on. */
static void test_switching_click_free(void **state)
{
    (void)state;
    enum { N = 48000, B = 128 };
    static float l[N], r[N];
    jm_limiter_t *lim = calloc(1, sizeof *lim);
    for (int i = 0; i < N; i++) l[i] = r[i] = (float)(0.5 * sin(TWO_PI * 100.0 * i / FS));
    float own = max_step(l, N); /* 0.5 * 2 pi 100 / 48000 = 0.0065 */
    jm_limiter_init(lim, FS);
    jm_limiter_set(lim, 0, -12.0f, 50.0f, 2.0f);
    jm_limiter_reset(lim);
    for (int b = 0; b < N / B; b++) {
        int on = b >= 40 && b < 300;
        float look = b < 120 ? 2.0f : b < 200 ? 9.5f : 0.5f;
        jm_limiter_set(lim, on, -12.0f, 50.0f, look);
        jm_limiter_process(lim, l + b * B, r + b * B, B);
    }
    float step = max_step(l, N);
    /* Fully on from block 42 (5 ms after block 40) to block 300. */
    double over = db(true_peak(l + 42 * B, 258 * B)) + 12.0;
    printf("# on/off and lookahead changes: largest step %.4f (sine's own %.4f); while on, "
           "true peak - ceiling %+.3f dB\n", step, own, over);
    assert_true(over <= 0.1);
    /* A 5 ms crossfade between x and a delayed, -6 dB copy moves at most
     * about own + 0.5/240 per frame; a cut would be a step of ~0.5. */
    assert_true(step < 2.0f * own);
    free(lim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ceiling_held),
        cmocka_unit_test(test_block_size_independent),
        cmocka_unit_test(test_latency_and_impulse),
        cmocka_unit_test(test_transparent_below_ceiling),
        cmocka_unit_test(test_switching_click_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
