/* The render report's helpers (include/jmixd/render/report.h): axis ticks,
 * plot mapping, path data with gaps, escaping, the shared rounding, and the
 * series measured by the report (steps, LRA band, spectrum). */
#include "jmixd/render/report.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* What fn writes to a FILE, as a string (caller frees). */
typedef struct {
    char *buf;
    size_t len;
    FILE *f;
} mem_t;

static void mem_open(mem_t *m)
{
    m->buf = NULL, m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
    assert_non_null(m->f);
}

static char *mem_close(mem_t *m)
{
    assert_int_equal(fclose(m->f), 0);
    return m->buf;
}

static void test_ticks(void **state)
{
    (void)state;
    double first, step;
    /* -54..-6 LUFS, at most 11 ticks: every 5 from -50 */
    assert_int_equal(jm_svg_ticks(-54, -6, 11, &first, &step), 9); /* -50 .. -10 */
    assert_true(first == -50.0 && step == 5.0);
    /* 0..21 s, 11 ticks at most: 2 s would need 11.5, so every 5 s */
    assert_int_equal(jm_svg_ticks(0, 21, 11, &first, &step), 5);
    assert_true(first == 0.0 && step == 5.0);
    assert_int_equal(jm_svg_ticks(0, 20, 11, &first, &step), 11); /* 2 s fits exactly */
    assert_true(first == 0.0 && step == 2.0);
    /* 0..0.5 s: 0.05 steps */
    assert_int_equal(jm_svg_ticks(0, 0.5, 11, &first, &step), 11);
    assert_true(fabs(step - 0.05) < 1e-12 && first == 0.0);
    /* 6 dB steps would fit, but 6 is no 1-2-5 step: 10 */
    assert_int_equal(jm_svg_ticks(-36, 6, 8, &first, &step), 4); /* -30 .. 0 */
    assert_true(first == -30.0 && step == 10.0);
    /* never more than asked, and ticks inside the range */
    for (int n = 2; n < 15; n++)
        for (double hi = 0.3; hi < 5000; hi *= 1.7) {
            int k = jm_svg_ticks(-hi / 3, hi, n, &first, &step);
            assert_true(k >= 1 && k <= n);
            assert_true(first >= -hi / 3 - 1e-9 && first + (k - 1) * step <= hi + 1e-9);
            assert_false(signbit(first) && first == 0.0); /* no "-0" label */
        }
    assert_int_equal(jm_svg_ticks(1, 1, 5, &first, &step), 0);
    assert_int_equal(jm_svg_ticks(0, 1, 1, &first, &step), 0);
}

static void test_mapping(void **state)
{
    (void)state;
    jm_plot_t p = {.x0 = 0, .x1 = 20, .y0 = -50, .y1 = 0, .left = 60, .top = 10, .w = 400,
                   .h = 200};
    assert_true(fabs(jm_plot_px(&p, 0) - 60) < 1e-9);
    assert_true(fabs(jm_plot_px(&p, 10) - 260) < 1e-9);
    assert_true(fabs(jm_plot_py(&p, 0) - 10) < 1e-9);
    assert_true(fabs(jm_plot_py(&p, -25) - 110) < 1e-9);
    assert_true(fabs(jm_plot_py(&p, -90) - 210) < 1e-9); /* clamped to the bottom edge */
    assert_true(fabs(jm_plot_py(&p, 12) - 10) < 1e-9);   /* and the top */
    jm_plot_t q = {.x0 = 20, .x1 = 20000, .logx = 1, .y0 = -1, .y1 = 1, .w = 300, .h = 10};
    assert_true(fabs(jm_plot_px(&q, 20) - 0) < 1e-9);
    assert_true(fabs(jm_plot_px(&q, 632.4555320336759) - 150) < 1e-9); /* the decade midpoint */
    assert_true(fabs(jm_plot_px(&q, 20000) - 300) < 1e-9);
}

static void test_path_gaps(void **state)
{
    (void)state;
    jm_plot_t p = {.x0 = 0, .x1 = 10, .y0 = 0, .y1 = 10, .w = 100, .h = 100};
    double x[] = {0, 1, 2, 3, 4, 5}, y[] = {0, 5, NAN, NAN, 10, INFINITY};
    mem_t m;
    mem_open(&m);
    assert_int_equal(jm_svg_path(m.f, &p, x, y, 6), 3);
    char *s = mem_close(&m);
    assert_string_equal(s, "M0.00 100.00 L10.00 50.00 M40.00 0.00");
    free(s);
    mem_open(&m);
    assert_int_equal(jm_svg_path(m.f, &p, x, y + 2, 2), 0); /* nothing finite: empty */
    s = mem_close(&m);
    assert_string_equal(s, "");
    free(s);
}

static void test_escape_and_numbers(void **state)
{
    (void)state;
    mem_t m;
    mem_open(&m);
    jm_svg_escape(m.f, "<b>\"Tom & Jerry's\"</b>\x01\x1b[31m\tend\n");
    char *s = mem_close(&m);
    assert_string_equal(s, "&lt;b&gt;&quot;Tom &amp; Jerry&#39;s&quot;&lt;/b&gt;[31m\tend\n");
    free(s);
    assert_true(jm_report_round(-23.00049) == -23.0);
    assert_true(jm_report_round(-23.0005) == -23.001);
    assert_false(signbit(jm_report_round(-0.0001))); /* no "-0.000" */
    assert_true(isnan(jm_report_round(-INFINITY)));
    mem_open(&m);
    jm_report_json_num(m.f, -12.34567);
    fputc(',', m.f);
    jm_report_json_num(m.f, NAN);
    fputc(',', m.f);
    jm_report_json_num(m.f, -0.0001);
    s = mem_close(&m);
    assert_string_equal(s, "-12.346,null,0.000");
    free(s);
}

/* A stereo sine of peak a for n frames into the series. */
static void add_sine(jm_rseries_t *s, double a, double hz, size_t n, size_t *phase)
{
    float buf[2 * 480];
    while (n) {
        size_t k = n < 480 ? n : 480;
        for (size_t i = 0; i < k; i++) {
            float v = (float)(a * sin(2 * M_PI * hz * (double)(*phase)++ / 48000.0));
            buf[2 * i] = buf[2 * i + 1] = v;
        }
        assert_int_equal(jm_rseries_add(s, buf, k), 0);
        n -= k;
    }
}

static void test_series(void **state)
{
    (void)state;
    jm_rseries_t *s = jm_rseries_create(48000);
    assert_non_null(s);
    size_t ph = 0;
    add_sine(s, pow(10, -23 / 20.0), 1000, 48000 * 6, &ph);
    add_sine(s, pow(10, -13 / 20.0), 1000, 48000 * 6 + 1234, &ph);
    jm_rseries_finish(s);
    const double *t, *m, *st, *tp;
    size_t n = jm_rseries_points(s, &t, &m, &st, &tp);
    assert_int_equal(n, 121); /* 120 whole steps and the partial last one */
    assert_true(fabs(t[0] - 0.1) < 1e-12 && fabs(t[119] - 12.0) < 1e-12);
    assert_true(fabs(t[120] - (12.0 + 1234 / 48000.0)) < 1e-12);
    assert_true(fabs(st[59] + 23.0) < 0.05 && fabs(m[59] + 23.0) < 0.05); /* at 6 s */
    assert_true(fabs(st[119] + 13.0) < 0.05 && fabs(m[119] + 13.0) < 0.05);
    assert_true(fabs(tp[30] + 23.0) < 0.2 && fabs(tp[100] + 13.0) < 0.2);
    /* the band from the short-term values at 3, 4, ... 12 s: 10th and 95th percentile */
    double lo, hi;
    assert_int_equal(jm_rseries_lra_band(s, &lo, &hi), 0);
    assert_true(fabs(lo + 23.0) < 0.05 && fabs(hi + 13.0) < 0.05);
    double db[JM_RTA_BANDS];
    assert_int_equal(jm_rseries_spectrum(s, db), 0);
    for (int b = 0; b < JM_RTA_BANDS; b++)
        if (b != 17) assert_true(isnan(db[b]) || db[b] < db[17] - 15.0);
    jm_rseries_destroy(s);

    /* silence: no loudness, no band, no spectrum above the floor */
    s = jm_rseries_create(44100);
    float zero[2 * 441] = {0};
    for (int i = 0; i < 100; i++) assert_int_equal(jm_rseries_add(s, zero, 441), 0);
    jm_rseries_finish(s);
    n = jm_rseries_points(s, &t, &m, &st, &tp);
    assert_int_equal(n, 10);
    assert_true(isnan(m[9]) && isnan(st[9]) && isnan(tp[9]));
    assert_int_equal(jm_rseries_lra_band(s, &lo, &hi), -1);
    jm_rseries_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ticks),
        cmocka_unit_test(test_mapping),
        cmocka_unit_test(test_path_gaps),
        cmocka_unit_test(test_escape_and_numbers),
        cmocka_unit_test(test_series),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
