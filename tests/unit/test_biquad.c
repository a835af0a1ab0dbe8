/* Biquads: RBJ designs against their analytic response, measured by driving
 * steady sines through the float filter bank (the SVF realisation) and
 * fitting the output; HPF corner and slope; identity at 0 dB; denormal
 * flushing. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "jmixd/dsp/biquad.h"

#define FS 48000.0
#define PI 3.14159265358979323846

static const double iso_third[] = {20,   25,   31.5, 40,   50,   63,    80,    100,   125,  160,  200,
                                   250,  315,  400,  500,  630,  800,   1000,  1250,  1600, 2000, 2500,
                                   3150, 4000, 5000, 6300, 8000, 10000, 12500, 16000, 20000};
#define N_ISO (sizeof iso_third / sizeof iso_third[0])

static jm_bq_bank_t bank; /* large: static, not on the stack */

typedef struct {
    jm_bq_type_t type;
    double f, q, gain;
} design_t;

/* Samples until the slowest pole's transient is below -140 dB, plus 100 ms. */
static long settle_len(const jm_bq_coef_t *c)
{
    double disc = c->a1 * c->a1 - 4.0 * c->a2, r;
    if (disc < 0) r = sqrt(c->a2);
    else r = fmax(fabs((-c->a1 + sqrt(disc)) / 2), fabs((-c->a1 - sqrt(disc)) / 2));
    long n = r > 0 ? (long)(log(1e-7) / log(r)) : 0;
    return n + 4800;
}

/* Level in dB of the sine at f in y[0..n) (least-squares fit of cos and sin,
 * exact for any n), relative to amplitude 1. sums: running fit sums. */
typedef struct {
    double yc, ys, cc, cs, ss;
} fit_t;
static void fit_add(fit_t *ft, double y, double w, long k)
{
    double c = cos(w * (double)k), s = sin(w * (double)k);
    ft->yc += y * c, ft->ys += y * s, ft->cc += c * c, ft->cs += c * s, ft->ss += s * s;
}
static double fit_db(const fit_t *ft)
{
    double det = ft->cc * ft->ss - ft->cs * ft->cs;
    double a = (ft->yc * ft->ss - ft->ys * ft->cs) / det, b = (ft->ys * ft->cc - ft->yc * ft->cs) / det;
    return 20.0 * log10(hypot(a, b));
}

/* Measured response of design d at f: a unit sine through lane 3 of the bank. */
static double measure_db(const design_t *d, double f)
{
    enum { CH = 4096 };
    float buf[CH];
    jm_bq_coef_t co;
    jm_bq_design(&co, d->type, FS, d->f, d->q, d->gain);
    const jm_bq_coef_t *c = &co;
    jm_bq_bank_set(&bank, 3, d->type, FS, d->f, d->q, d->gain);
    jm_bq_bank_clear(&bank, 3);
    double w = 2.0 * PI * f / FS;
    long settle = settle_len(c), meas = (long)(20.0 * FS / f) + 4800, total = settle + meas;
    fit_t ft = {0};
    for (long o = 0; o < total; o += CH) {
        long m = total - o < CH ? total - o : CH;
        for (long k = 0; k < m; k++) buf[k] = (float)sin(w * (double)(o + k));
        jm_bq_bank_run(&bank, 3, 0, buf, buf, (uint32_t)m);
        for (long k = 0; k < m; k++)
            if (o + k >= settle) fit_add(&ft, buf[k], w, o + k);
    }
    return fit_db(&ft);
}

static double max_error_db(const design_t *d)
{
    jm_bq_coef_t c;
    jm_bq_design(&c, d->type, FS, d->f, d->q, d->gain);
    double worst = 0.0;
    for (size_t i = 0; i < N_ISO; i++) {
        double e = fabs(measure_db(d, iso_third[i]) - jm_bq_mag_db(&c, FS, iso_third[i]));
        if (e > worst) worst = e;
    }
    return worst;
}

static void check_designs(const char *what, const design_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double e = max_error_db(&d[i]);
        printf("  %-10s f %7.1f Hz  Q %5.3f  gain %+5.1f dB: max |measured - analytic| %.4f dB\n", what,
               d[i].f, d[i].q, d[i].gain, e);
        assert_true(e < 0.1);
    }
}

static void test_lowshelf_response(void **state)
{
    (void)state;
    const design_t d[] = {{JM_BQ_LOWSHELF, 100, 0.707, 12},  {JM_BQ_LOWSHELF, 100, 0.707, -12},
                          {JM_BQ_LOWSHELF, 20, 0.707, 18},   {JM_BQ_LOWSHELF, 250, 2.0, -12},
                          {JM_BQ_LOWSHELF, 1000, 0.5, 12},   {JM_BQ_LOWSHELF, 40, 4.0, 12}};
    check_designs("lowshelf", d, sizeof d / sizeof d[0]);
}

static void test_peak_response(void **state)
{
    (void)state;
    const design_t d[] = {{JM_BQ_PEAK, 1000, 1.0, 12},  {JM_BQ_PEAK, 1000, 1.0, -12},
                          {JM_BQ_PEAK, 400, 4.0, 12},   {JM_BQ_PEAK, 2500, 0.3, -12},
                          {JM_BQ_PEAK, 31.5, 10.0, 12}, {JM_BQ_PEAK, 20, 10.0, -18},
                          {JM_BQ_PEAK, 12000, 2.0, 12}, {JM_BQ_PEAK, 50, 0.1, 18}};
    check_designs("peak", d, sizeof d / sizeof d[0]);
}

static void test_highshelf_response(void **state)
{
    (void)state;
    const design_t d[] = {{JM_BQ_HIGHSHELF, 8000, 0.707, 12}, {JM_BQ_HIGHSHELF, 8000, 0.707, -12},
                          {JM_BQ_HIGHSHELF, 2000, 2.0, 12},   {JM_BQ_HIGHSHELF, 16000, 0.5, -12},
                          {JM_BQ_HIGHSHELF, 30, 0.707, -12}};
    check_designs("highshelf", d, sizeof d / sizeof d[0]);
}

static void test_hpf_response(void **state)
{
    (void)state;
    const design_t d[] = {{JM_BQ_HPF, 20, JM_BQ_BUTTERWORTH_Q, 0},  {JM_BQ_HPF, 80, JM_BQ_BUTTERWORTH_Q, 0},
                          {JM_BQ_HPF, 250, JM_BQ_BUTTERWORTH_Q, 0}, {JM_BQ_HPF, 1000, JM_BQ_BUTTERWORTH_Q, 0}};
    check_designs("hpf", d, sizeof d / sizeof d[0]);
}

/* -3 dB point by bisection on the measured response, and the 12 dB/oct slope. */
static void test_hpf_corner_and_slope(void **state)
{
    (void)state;
    const double corners[] = {20, 80, 400, 1000};
    for (size_t i = 0; i < sizeof corners / sizeof corners[0]; i++) {
        double f0 = corners[i];
        const design_t c = {JM_BQ_HPF, f0, JM_BQ_BUTTERWORTH_Q, 0};
        double lo = f0 / 2, hi = f0 * 2;
        for (int it = 0; it < 30; it++) {
            double mid = sqrt(lo * hi);
            if (measure_db(&c, mid) < -3.0103) lo = mid;
            else hi = mid;
        }
        double f3 = sqrt(lo * hi), slope = measure_db(&c, f0 / 8) - measure_db(&c, f0 / 16);
        printf("  hpf %6.1f Hz: -3 dB at %.2f Hz (%+.3f %%), f/8 vs f/16 %.3f dB\n", f0, f3,
               100 * (f3 / f0 - 1), slope);
        assert_true(fabs(f3 / f0 - 1) < 0.03);
        assert_true(fabs(slope - 12.0) < 0.5);
    }
}

/* The analytic magnitude agrees with a direct complex evaluation, and the
 * design hits the cookbook's landmarks. */
static void test_design_landmarks(void **state)
{
    (void)state;
    jm_bq_coef_t c;
    jm_bq_design(&c, JM_BQ_PEAK, FS, 1000, 2, 9);
    assert_float_equal(jm_bq_mag_db(&c, FS, 1000), 9.0, 1e-9);
    jm_bq_design(&c, JM_BQ_LOWSHELF, FS, 200, 0.707, -10);
    assert_float_equal(jm_bq_mag_db(&c, FS, 1e-3), -10.0, 1e-6);
    assert_float_equal(jm_bq_mag_db(&c, FS, 200), -5.0, 1e-6); /* shelf midpoint: half the gain */
    jm_bq_design(&c, JM_BQ_HIGHSHELF, FS, 5000, 0.707, 8);
    assert_float_equal(jm_bq_mag_db(&c, FS, FS / 2), 8.0, 1e-6);
    assert_float_equal(jm_bq_mag_db(&c, FS, 5000), 4.0, 1e-6);
    jm_bq_design(&c, JM_BQ_HPF, FS, 100, JM_BQ_BUTTERWORTH_Q, 0);
    assert_float_equal(jm_bq_mag_db(&c, FS, 100), -3.0103, 1e-3);
    assert_float_equal(jm_bq_mag_db(&c, FS, FS / 2), 0.0, 1e-9);
    /* direct evaluation of |B/A| at a few points */
    const jm_bq_type_t types[] = {JM_BQ_HPF, JM_BQ_LOWSHELF, JM_BQ_PEAK, JM_BQ_HIGHSHELF};
    for (int t = 0; t < 4; t++) {
        jm_bq_design(&c, types[t], FS, 700, 1.3, 7);
        for (double f = 50; f < 20000; f *= 1.7) {
            double w = 2 * PI * f / FS;
            double br = c.b0 + c.b1 * cos(w) + c.b2 * cos(2 * w), bi = -c.b1 * sin(w) - c.b2 * sin(2 * w);
            double ar = 1 + c.a1 * cos(w) + c.a2 * cos(2 * w), ai = -c.a1 * sin(w) - c.a2 * sin(2 * w);
            double direct = 10 * log10((br * br + bi * bi) / (ar * ar + ai * ai));
            assert_float_equal(jm_bq_mag_db(&c, FS, f), direct, 1e-6);
        }
    }
}

/* 0 dB peaking and shelving filters are bit-exact identities, whatever
 * state an earlier, non-flat setting left behind (once the run after the
 * change has glided the output mix there). */
static void test_zero_gain_identity(void **state)
{
    (void)state;
    const jm_bq_type_t types[] = {JM_BQ_LOWSHELF, JM_BQ_PEAK, JM_BQ_HIGHSHELF};
    float x[1000], y[1000];
    for (int k = 0; k < 1000; k++) x[k] = (float)(0.7 * sin(0.01 * k) + 0.2 * sin(1.3 * k));
    for (int t = 0; t < 3; t++) {
        jm_bq_bank_set(&bank, 0, types[t], FS, 20 + 900 * t, 0.3 + t, 9.0);
        jm_bq_bank_clear(&bank, 0);
        jm_bq_bank_run(&bank, 0, 0, x, y, 1000);
        assert_true(bank.s1[0][0] != 0.0f);
        jm_bq_bank_set(&bank, 0, types[t], FS, 20 + 900 * t, 0.3 + t, 0.0);
        jm_bq_bank_run(&bank, 0, 0, x, y, 16); /* the mix glide */
        jm_bq_bank_run(&bank, 0, 0, x, y, 1000);
        assert_memory_equal(x, y, sizeof x);
    }
}

/* The bank (SVF) and the cookbook coefficients are one transfer function:
 * compare the impulse responses of a float SVF and a double direct form. */
static void test_bank_matches_design(void **state)
{
    (void)state;
    const design_t d[] = {{JM_BQ_HPF, 150, JM_BQ_BUTTERWORTH_Q, 0}, {JM_BQ_LOWSHELF, 300, 0.8, 9},
                          {JM_BQ_PEAK, 2000, 3, -7},                  {JM_BQ_HIGHSHELF, 6000, 1.2, 5}};
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        jm_bq_coef_t c;
        jm_bq_design(&c, d[i].type, FS, d[i].f, d[i].q, d[i].gain);
        jm_bq_bank_set(&bank, 1, d[i].type, FS, d[i].f, d[i].q, d[i].gain);
        jm_bq_bank_clear(&bank, 1);
        double z1 = 0, z2 = 0, worst = 0;
        for (int k = 0; k < 2000; k++) {
            float x = k == 0 ? 1.0f : 0.0f, y;
            jm_bq_bank_run(&bank, 1, 0, &x, &y, 1);
            double ref = c.b0 * x + z1; /* transposed direct form II in double */
            z1 = c.b1 * x - c.a1 * ref + z2;
            z2 = c.b2 * x - c.a2 * ref;
            worst = fmax(worst, fabs(y - ref));
        }
        assert_true(worst < 1e-5);
    }
}

/* The two-channel run equals two one-channel runs, through a glide too. */
static void test_run2_matches_run(void **state)
{
    (void)state;
    float l[64], r[64], l2[64], r2[64];
    jm_bq_bank_set(&bank, 7, JM_BQ_LOWSHELF, FS, 200, 0.7, 6);
    jm_bq_bank_clear(&bank, 7);
    jm_bq_bank_set(&bank, 8, JM_BQ_LOWSHELF, FS, 200, 0.7, 6);
    jm_bq_bank_clear(&bank, 8);
    for (int blk = 0; blk < 50; blk++) {
        for (int k = 0; k < 64; k++) {
            l[k] = l2[k] = (float)sin(0.05 * (blk * 64 + k));
            r[k] = r2[k] = (float)cos(0.31 * (blk * 64 + k));
        }
        if (blk == 20) { /* a parameter change mid-way */
            jm_bq_bank_set(&bank, 7, JM_BQ_LOWSHELF, FS, 300, 1.1, -4);
            jm_bq_bank_set(&bank, 8, JM_BQ_LOWSHELF, FS, 300, 1.1, -4);
        }
        jm_bq_bank_run(&bank, 7, 0, l, l, 64);
        jm_bq_bank_run(&bank, 7, 1, r, r, 64);
        jm_bq_bank_run2(&bank, 8, l2, r2, 64);
        assert_memory_equal(l, l2, sizeof l);
        assert_memory_equal(r, r2, sizeof r);
    }
}

/* Silence after a loud signal: the state reaches exact zero without ever
 * holding a subnormal, for slow (20 Hz, Q 10) and fast filters. */
static void test_silence_no_denormals(void **state)
{
    (void)state;
    const design_t d[] = {{JM_BQ_PEAK, 20, 10, 18}, {JM_BQ_HPF, 20, JM_BQ_BUTTERWORTH_Q, 0},
                          {JM_BQ_HIGHSHELF, 20000, 0.1, -18}, {JM_BQ_LOWSHELF, 15000, 0.3, 18}};
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        jm_bq_bank_set(&bank, 5, d[i].type, FS, d[i].f, d[i].q, d[i].gain);
        jm_bq_bank_clear(&bank, 5);
        float buf[16];
        for (int k = 0; k < 48000; k += 16) {
            for (int j = 0; j < 16; j++) buf[j] = (float)sin(0.003 * (k + j)) * 0.9f;
            jm_bq_bank_run(&bank, 5, 1, buf, buf, 16);
        }
        long zero_at = -1;
        for (long k = 0; k < 48000L * 120; k += 16) { /* two minutes of silence */
            memset(buf, 0, sizeof buf);
            jm_bq_bank_run(&bank, 5, 1, buf, buf, 16);
            assert_int_equal(jm_bq_bank_denormals(&bank, 5), 0);
            for (int j = 0; j < 16; j++) assert_true(fpclassify(buf[j]) != FP_SUBNORMAL);
            if (zero_at < 0 && bank.s1[1][5] == 0.0f && bank.s2[1][5] == 0.0f) zero_at = k;
        }
        printf("  silence: design %zu state exactly 0 after %.2f s\n", i, (double)zero_at / FS);
        assert_true(zero_at >= 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_design_landmarks),   cmocka_unit_test(test_zero_gain_identity),
        cmocka_unit_test(test_bank_matches_design), cmocka_unit_test(test_run2_matches_run),
        cmocka_unit_test(test_lowshelf_response),  cmocka_unit_test(test_peak_response),
        cmocka_unit_test(test_highshelf_response), cmocka_unit_test(test_hpf_response),
        cmocka_unit_test(test_hpf_corner_and_slope), cmocka_unit_test(test_silence_no_denormals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
