/* jm_lufs against libebur128 1.2.6 (exact gating, no histogram) as the
 * reference: momentary and short-term read at whole and partial 100 ms
 * sub-blocks, integrated and range, on programme-like noise whose level
 * jumps every 0.7 s, at 8 rates; histogram mode within 0.01 LU
 * (integrated) and 0.05 LU (range); the same result whatever the chunking;
 * reset; K-weighting at 48 kHz against BS.1770's published coefficients
 * (through a sine's momentary loudness at three frequencies). */
#include "jmixd/dsp/lufs.h"

#include <ebur128.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

static uint32_t rng = 12345u;

static float noise(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)((double)(rng >> 8) / 8388608.0 - 1.0);
}

/* seconds of stereo noise, the level (-50 .. -5 dBFS, the channels apart
 * by up to 6 dB) jumping every 0.7 s, with 2 s of silence in the middle:
 * blocks below the absolute gate, many levels for the relative gates. */
static float *programme(uint32_t rate, double seconds, size_t *frames)
{
    size_t n = (size_t)(seconds * rate), seg = (size_t)(0.7 * rate);
    float *x = malloc(2 * n * sizeof *x);
    assert_non_null(x);
    double gl = 0, gr = 0;
    for (size_t k = 0; k < n; k++) {
        if (k % seg == 0) {
            gl = pow(10.0, (-50.0 + 45.0 * (noise() + 1.0) / 2.0) / 20.0);
            gr = gl * pow(10.0, 3.0 * noise() / 20.0);
        }
        int quiet = k >= n / 2 && k < n / 2 + 2 * (size_t)rate;
        x[2 * k] = quiet ? 0.0f : (float)(gl * noise());
        x[2 * k + 1] = quiet ? 0.0f : (float)(gr * noise());
    }
    *frames = n;
    return x;
}

static void compare_at(uint32_t rate, unsigned flags, double tol_i, double tol_lra)
{
    size_t n;
    float *x = programme(rate, 40.0, &n);
    jm_lufs_t *m = jm_lufs_create(rate, flags);
    ebur128_state *st = ebur128_init(2, rate, EBUR128_MODE_M | EBUR128_MODE_S |
                                                  EBUR128_MODE_I | EBUR128_MODE_LRA);
    assert_non_null(m);
    assert_non_null(st);
    /* uneven chunks, so reads fall on and between sub-block edges */
    size_t step = rate / 10 + 37, checked = 0;
    for (size_t k = 0; k < n; k += step) {
        size_t c = n - k < step ? n - k : step;
        assert_int_equal(jm_lufs_add(m, x + 2 * k, c), 0);
        assert_int_equal(ebur128_add_frames_float(st, x + 2 * k, c), EBUR128_SUCCESS);
        double mo, sh;
        jm_lufs_values_t v;
        jm_lufs_read(m, &v);
        ebur128_loudness_momentary(st, &mo);
        ebur128_loudness_shortterm(st, &sh);
        /* the silence's decaying tail: libebur128's filter states decay for
         * ever, ours are flushed below -600 dB, and at -150 LUFS the two
         * round differently; both far below the meter's floor */
        if (mo < -100.0) {
            assert_true(v.momentary < -99.0);
        } else {
            assert_true(fabs(v.momentary - mo) < 1e-6);
            checked++;
        }
        if (sh < -100.0) assert_true(v.short_term < -99.0);
        else assert_true(fabs(v.short_term - sh) < 1e-6);
    }
    assert_true(checked > 300);
    double i, lra;
    jm_lufs_values_t v;
    jm_lufs_read(m, &v);
    assert_int_equal(ebur128_loudness_global(st, &i), EBUR128_SUCCESS);
    assert_int_equal(ebur128_loudness_range(st, &lra), EBUR128_SUCCESS);
    assert_true(isfinite(i) && lra > 5.0); /* the programme is a real test */
    assert_true(fabs(v.integrated - i) <= tol_i);
    assert_true(fabs(v.range - lra) <= tol_lra);
    assert_int_equal(jm_lufs_frames(m), n);
    ebur128_destroy(&st);
    jm_lufs_destroy(m);
    free(x);
}

static const uint32_t rates[] = {8000, 22050, 32000, 44100, 48000, 88200, 96000, 192000};

static void test_exact_matches_libebur128(void **state)
{
    (void)state;
    for (size_t r = 0; r < sizeof rates / sizeof *rates; r++)
        compare_at(rates[r], JM_LUFS_EXACT, 1e-6, 1e-6);
}

static void test_histogram_close_to_exact(void **state)
{
    (void)state;
    for (size_t r = 0; r < sizeof rates / sizeof *rates; r++)
        compare_at(rates[r], 0, 0.01, 0.05);
}

/* Feeding frame by frame or all at once gives bit-identical values. */
static void test_chunking_does_not_matter(void **state)
{
    (void)state;
    size_t n;
    float *x = programme(48000, 12.0, &n);
    jm_lufs_t *a = jm_lufs_create(48000, JM_LUFS_PEAKS), *b = jm_lufs_create(48000, JM_LUFS_PEAKS);
    assert_int_equal(jm_lufs_add(a, x, n), 0);
    for (size_t k = 0; k < n; k++) assert_int_equal(jm_lufs_add(b, x + 2 * k, 1), 0);
    jm_lufs_values_t va, vb;
    jm_lufs_read(a, &va);
    jm_lufs_read(b, &vb);
    assert_memory_equal(&va, &vb, sizeof va);
    assert_true(va.true_peak >= va.sample_peak && va.sample_peak > 0.3);
    jm_lufs_destroy(a);
    jm_lufs_destroy(b);
    free(x);
}

/* After a reset the meter reads what a new one reads after the same audio. */
static void test_reset(void **state)
{
    (void)state;
    size_t n;
    float *x = programme(44100, 8.0, &n);
    jm_lufs_t *a = jm_lufs_create(44100, JM_LUFS_PEAKS), *b = jm_lufs_create(44100, JM_LUFS_PEAKS);
    assert_int_equal(jm_lufs_add(a, x, n), 0);
    jm_lufs_reset(a);
    jm_lufs_values_t v;
    jm_lufs_read(a, &v);
    assert_true(isinf(v.momentary) && isinf(v.short_term) && isinf(v.integrated));
    assert_true(v.range == 0.0 && v.true_peak == 0.0 && v.sample_peak == 0.0);
    assert_int_equal(jm_lufs_frames(a), 0);
    assert_int_equal(jm_lufs_add(a, x + n, n / 2), 0); /* second half only */
    assert_int_equal(jm_lufs_add(b, x + n, n / 2), 0);
    jm_lufs_values_t va, vb;
    jm_lufs_read(a, &va);
    jm_lufs_read(b, &vb);
    assert_memory_equal(&va, &vb, sizeof va);
    jm_lufs_destroy(a);
    jm_lufs_destroy(b);
    free(x);
}

/* The K-weighting's gain at f from BS.1770's published 48 kHz biquads,
 * evaluated analytically: |H1(e^jw)| |H2(e^jw)|. */
static double k_gain_db(double f)
{
    static const double b1[3] = {1.53512485958697, -2.69169618940638, 1.19839281085285};
    static const double a1[3] = {1.0, -1.69065929318241, 0.73248077421585};
    static const double b2[3] = {1.0, -2.0, 1.0};
    static const double a2[3] = {1.0, -1.99004745483398, 0.99007225036621};
    double w = 2.0 * M_PI * f / 48000.0, g = 1.0;
    const double *bs[2] = {b1, b2}, *as[2] = {a1, a2};
    for (int s = 0; s < 2; s++) {
        double nr = 0, ni = 0, dr = 0, di = 0;
        for (int k = 0; k < 3; k++) {
            nr += bs[s][k] * cos(k * w), ni -= bs[s][k] * sin(k * w);
            dr += as[s][k] * cos(k * w), di -= as[s][k] * sin(k * w);
        }
        g *= sqrt((nr * nr + ni * ni) / (dr * dr + di * di));
    }
    return 20.0 * log10(g);
}

/* A sine of peak A in both channels: mean square A^2/2 each, energy A^2 x
 * |K|^2, so L = -0.691 + 20 log10(A) + K dB. Checked at 1 s (settled). */
static void test_k_weighting_48k(void **state)
{
    (void)state;
    const double freqs[] = {20.0, 1000.0, 10000.0};
    for (int i = 0; i < 3; i++) {
        jm_lufs_t *m = jm_lufs_create(48000, 0);
        float *x = malloc(2 * 48000 * sizeof *x);
        assert_non_null(x);
        for (int k = 0; k < 48000; k++)
            x[2 * k] = x[2 * k + 1] = (float)(0.5 * sin(2.0 * M_PI * freqs[i] * k / 48000.0));
        assert_int_equal(jm_lufs_add(m, x, 48000), 0);
        jm_lufs_values_t v;
        jm_lufs_read(m, &v);
        double want = -0.691 + 20.0 * log10(0.5) + k_gain_db(freqs[i]);
        assert_true(fabs(v.momentary - want) < 0.01);
        jm_lufs_destroy(m);
        free(x);
    }
}

static void test_bad_rate(void **state)
{
    (void)state;
    assert_null(jm_lufs_create(7999, 0));
    assert_null(jm_lufs_create(768001, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_matches_libebur128),
        cmocka_unit_test(test_histogram_close_to_exact),
        cmocka_unit_test(test_chunking_does_not_matter),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_k_weighting_48k),
        cmocka_unit_test(test_bad_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
