/* Gate and compressor: static curve, time constants, makeup, gate range,
 * opening, hold and release timing, linked stereo detection, denormals. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "jmixd/dsp/dynamics.h"

#define FS 48000.0f
#define PI 3.14159265358979323846
#define PERIOD 48 /* samples of the 1 kHz test sine at 48 kHz */

static jm_comp_bank_t comp;
static jm_gate_bank_t gate;
static float buf[48000 * 4], ref[48000 * 4];

static float db_to_lin(double db) { return (float)pow(10.0, db / 20.0); }

/* 1 kHz cosine (a peak at every multiple of PERIOD) of amplitude amp into x[o..o+n). */
static void sine(float *x, long o, long n, double amp)
{
    for (long k = o; k < o + n; k++) x[k] = (float)(amp * cos(2.0 * PI * 1000.0 * (double)k / FS));
}

/* Level of the 1 kHz component of x[o..o+n) in dBFS (peak), n whole periods. */
static double level_db(const float *x, long o, long n)
{
    double c = 0, s = 0;
    for (long k = o; k < o + n; k++) {
        double w = 2.0 * PI * 1000.0 * (double)k / FS;
        c += x[k] * cos(w), s += x[k] * sin(w);
    }
    return 20.0 * log10(2.0 * hypot(c, s) / (double)n);
}

/* ----------------------------------------------------------- compressor -- */

static void test_comp_static_curve(void **state)
{
    (void)state;
    const struct { float t, r, w, mk; } set[] = {{-20, 4, 6, 0}, {-30, 10, 0, 0}, {-10, 2, 12, 3},
                                                 {-40, 20, 24, 0}, {-18, 4, 6, 6}};
    for (size_t i = 0; i < sizeof set / sizeof set[0]; i++) {
        double worst = 0;
        for (int in_db = -60; in_db <= 0; in_db += 3) {
            jm_comp_set(&comp, 2, FS, set[i].t, set[i].r, 5, 50, set[i].w, set[i].mk, 0);
            jm_comp_reset(&comp, 2);
            sine(buf, 0, 24000, db_to_lin(in_db));
            jm_comp_run(&comp, 2, buf, NULL, 24000);
            double out = level_db(buf, 24000 - 100 * PERIOD, 100 * PERIOD);
            double want = jm_comp_curve_db((float)in_db, set[i].t, set[i].r, set[i].w) + set[i].mk;
            worst = fmax(worst, fabs(out - want));
        }
        printf("  comp T %5.1f R %4.1f W %4.1f makeup %3.1f: max |out - curve| %.3f dB (-60..0 dBFS)\n",
               set[i].t, set[i].r, set[i].w, set[i].mk, worst);
        assert_true(worst < 0.5);
    }
}

static void test_comp_curve_shape(void **state)
{
    (void)state;
    /* GMR: below T-W/2 unchanged, above T+W/2 T+(x-T)/R, continuous at the knee edges */
    assert_float_equal(jm_comp_curve_db(-40, -20, 4, 10), -40, 1e-5);
    assert_float_equal(jm_comp_curve_db(0, -20, 4, 10), -15, 1e-5);
    assert_float_equal(jm_comp_curve_db(-25, -20, 4, 10), -25, 1e-4);
    assert_float_equal(jm_comp_curve_db(-15, -20, 4, 10), -20 + 5.0f / 4, 1e-4);
    assert_float_equal(jm_comp_curve_db(-20, -20, 4, 10), -20 - 0.75f * 25 / 20, 1e-4);
    assert_float_equal(jm_comp_curve_db(-10, -20, 1, 10), -10, 1e-6);
}

/* Makeup applies exactly when no gain reduction is active. */
static void test_comp_makeup_exact(void **state)
{
    (void)state;
    const float mk[] = {0, 0.5f, 6, 12.5f, 24};
    for (size_t i = 0; i < sizeof mk / sizeof mk[0]; i++) {
        jm_comp_set(&comp, 7, FS, -20, 4, 10, 100, 6, mk[i], 0);
        jm_comp_reset(&comp, 7);
        sine(buf, 0, 4800, db_to_lin(-40));
        memcpy(ref, buf, 4800 * sizeof *buf);
        jm_comp_run(&comp, 7, buf, NULL, 4800);
        double worst = 0;
        for (int k = 0; k < 4800; k++)
            if (fabsf(ref[k]) > 1e-4f) worst = fmax(worst, fabs(20 * log10(buf[k] / ref[k]) - mk[i]));
        printf("  makeup %5.2f dB: max error %.5f dB\n", mk[i], worst);
        assert_true(worst < 0.01);
        if (mk[i] == 0) assert_memory_equal(buf, ref, 4800 * sizeof *buf); /* unity is exact */
    }
}

/* Gain reduction after a level step, sample by sample. */
static void gr_trace(float *gr, long n_low, long n_high, long n_after, double low_db, double high_db)
{
    long n = n_low + n_high + n_after;
    sine(buf, 0, n_low, db_to_lin(low_db));
    sine(buf, n_low, n_high, db_to_lin(high_db));
    sine(buf, n_low + n_high, n_after, db_to_lin(low_db));
    for (long k = 0; k < n; k++) {
        jm_comp_run(&comp, 1, &buf[k], NULL, 1);
        gr[k] = jm_comp_gr_db(&comp, 1);
    }
}

/* Time from `from` until gr first covers 1 - 1/e of the way to `final`. */
static double t63_ms(const float *gr, long from, double start, double final)
{
    double mark = start + (1.0 - exp(-1.0)) * (final - start);
    for (long k = from; k < from + 10 * 48000; k++)
        if ((final > start && gr[k] >= mark) || (final < start && gr[k] <= mark))
            return (double)(k - from + 1) * 1000.0 / FS;
    return -1;
}

/* 1 - 1/e time of a downward step through two one-poles in cascade (the
 * release one-pole tr feeding the attack one-pole ta), by bisection on
 * y(t) = (tr e^(-t/tr) - ta e^(-t/ta)) / (tr - ta). */
static double cascade_t63(double ta, double tr)
{
    double lo = 0, hi = 10 * (ta + tr);
    for (int i = 0; i < 100; i++) {
        double t = 0.5 * (lo + hi), y = (tr * exp(-t / tr) - ta * exp(-t / ta)) / (tr - ta);
        if (y > exp(-1.0)) lo = t;
        else hi = t;
    }
    return lo;
}

/* Time constants. Step a 1 kHz sine from -40 dBFS (below threshold, no
 * gain reduction) to -10 dBFS (15 dB reduction) and back, at a sine peak.
 * Attack: y1 jumps to the new over-threshold level at the first peak, and
 * the gain reduction yL follows as a one-pole with tau = attack, so it covers
 * 1 - 1/e of its change after `attack`. Release: y1 decays as a one-pole with
 * tau = release, yL follows through the attack one-pole; 1 - 1/e is covered
 * after about release + attack (the test keeps attack << release). */
static void test_comp_time_constants(void **state)
{
    (void)state;
    static float gr[48000 * 4];
    const struct { float att, rel; } tc[] = {{1, 50}, {10, 100}, {30, 500}, {0.5f, 20}, {100, 2000}};
    for (size_t i = 0; i < sizeof tc / sizeof tc[0]; i++) {
        jm_comp_set(&comp, 1, FS, -30, 3, tc[i].att, tc[i].rel, 0, 0, 0);
        jm_comp_reset(&comp, 1);
        long n_low = 4800, n_high = (long)(tc[i].att * 10 * 48) + 4800;
        long n_after = (long)(tc[i].rel * 6 * 48) + 4800;
        if (n_low + n_high + n_after > 48000 * 4) n_after = 48000 * 4 - n_low - n_high;
        gr_trace(gr, n_low, n_high, n_after, -40, -10);
        double top = gr[n_low + n_high - 1];
        double ta = t63_ms(gr, n_low, 0, top), tr = t63_ms(gr, n_low + n_high, top, 0);
        double cascade = cascade_t63(tc[i].att, tc[i].rel);
        printf("  attack %6.1f ms -> measured %7.2f ms (%+5.1f %%); release %6.1f ms -> %7.2f ms "
               "(%+5.1f %%; the attack+release cascade predicts %.2f); GR %.2f dB\n",
               tc[i].att, ta, 100 * (ta / tc[i].att - 1), tc[i].rel, tr, 100 * (tr / tc[i].rel - 1), cascade, top);
        assert_true(fabs(tr / cascade - 1) < 0.02);
        assert_true(fabs(top - 20.0 * (1 - 1 / 3.0)) < 0.5);
        assert_true(fabs(ta / tc[i].att - 1) < 0.2);
        assert_true(fabs(tr / tc[i].rel - 1) < 0.2);
    }
}

/* Stereo: one gain for both channels, from max(|L|, |R|). */
static void test_comp_linked(void **state)
{
    (void)state;
    jm_comp_set(&comp, 4, FS, -30, 4, 5, 50, 0, 0, 0);
    jm_comp_reset(&comp, 4);
    static float l[9600], r[9600];
    sine(l, 0, 9600, db_to_lin(-6));
    sine(r, 0, 9600, db_to_lin(-50));
    jm_comp_run(&comp, 4, l, r, 9600);
    double gl = level_db(l, 4800, 4800) + 6, gr = level_db(r, 4800, 4800) + 50;
    printf("  linked: L gain %.3f dB, R gain %.3f dB\n", gl, gr);
    assert_true(gl < -10);
    assert_float_equal(gl, gr, 0.01);
}

static void test_comp_silence(void **state)
{
    (void)state;
    jm_comp_set(&comp, 0, FS, -40, 8, 0.1f, 2000, 6, 0, 0);
    jm_comp_reset(&comp, 0);
    sine(buf, 0, 4800, 1.0);
    jm_comp_run(&comp, 0, buf, NULL, 4800);
    assert_true(comp.yl[0] > 20);
    for (int sec = 0; sec < 150; sec++) { /* 2 s release: ~100 s to reach 1e-20 dB */
        for (int k = 0; k < 48000; k++) buf[k] = 0.0f;
        for (int k = 0; k < 48000; k += 64) {
            jm_comp_run(&comp, 0, buf + k, NULL, 64);
            assert_true(fpclassify(comp.y1[0]) != FP_SUBNORMAL && fpclassify(comp.yl[0]) != FP_SUBNORMAL);
        }
    }
    assert_true(comp.y1[0] == 0.0f && comp.yl[0] == 0.0f);
}

/* ------------------------------------------------------------------ gate -- */

/* Per-sample gain |out/in| in dB where the input is not near a zero crossing. */
static double gain_db_at(long k) { return 20.0 * log10(fabs(buf[k] / ref[k])); }

static void test_gate_range_open_hold(void **state)
{
    (void)state;
    const struct { float thr, range, att, hold, rel; } set[] = {
        {-40, 60, 1, 50, 100}, {-30, 30, 5, 10, 200}, {-50, 90, 0.1f, 0, 50}, {-20, 12, 2, 200, 20}};
    for (size_t i = 0; i < sizeof set / sizeof set[0]; i++) {
        jm_gate_set(&gate, 3, FS, set[i].thr, set[i].range, set[i].att, set[i].hold, set[i].rel);
        jm_gate_reset(&gate, 3);
        /* quiet 0.6 s (closes), burst 0.2 s 20 dB over threshold (opens), quiet again */
        long q1 = 28800, b = 9600, q2 = 48000 * 4 - q1 - b;
        sine(buf, 0, q1, db_to_lin(set[i].thr - 10));
        sine(buf, q1, b, db_to_lin(set[i].thr + 20));
        sine(buf, q1 + b, q2, db_to_lin(set[i].thr - 10));
        memcpy(ref, buf, sizeof buf);
        jm_gate_run(&gate, 3, buf, NULL, 48000 * 4);

        /* closed: attenuated by the range */
        double closed = level_db(buf, q1 - 4800, 4800) - (set[i].thr - 10);
        /* open: unity, once the attack is over */
        double open = level_db(buf, q1 + b - 4800, 4800) - (set[i].thr + 20);
        /* hold: from the last input sample at or above threshold to the first
         * gain below -0.05 dB; release: from there to within 0.5 dB of -range */
        float thr = db_to_lin(set[i].thr);
        long last = q1;
        for (long k = q1; k < q1 + b + 4800; k++)
            if (fabsf(ref[k]) >= thr) last = k;
        long rel_start = -1, rel_end = -1;
        for (long k = last; k < 48000 * 4 && rel_end < 0; k++) {
            if (fabsf(ref[k]) < 1e-3f * thr) continue;
            if (rel_start < 0 && gain_db_at(k) < -0.05) rel_start = k;
            if (rel_start >= 0 && gain_db_at(k) < -set[i].range + 0.5) rel_end = k;
        }
        double hold_ms = (double)(rel_start - last) * 1000 / FS;
        double rel_ms = (double)(rel_end - rel_start) * 1000 / FS;
        printf("  gate thr %5.1f range %4.1f: closed %+7.2f dB, open %+6.3f dB, hold %6.2f ms (set %5.1f), "
               "release %6.2f ms (set %5.1f)\n",
               set[i].thr, set[i].range, closed, open, hold_ms, set[i].hold, rel_ms, set[i].rel);
        assert_true(fabs(closed + set[i].range) < 0.5);
        assert_true(fabs(open) < 0.05);
        assert_true(fabs(hold_ms - set[i].hold) <= 1.0);
        assert_true(fabs(rel_ms - set[i].rel) <= 1.0 + 0.02 * set[i].rel);
    }
}

/* Opening takes the attack time: from -range to unity (within 0.01 dB),
 * linearly in amplitude. */
static void test_gate_attack(void **state)
{
    (void)state;
    const float att[] = {0.5f, 2, 10, 50};
    for (size_t i = 0; i < sizeof att / sizeof att[0]; i++) {
        jm_gate_set(&gate, 6, FS, -30, 60, att[i], 20, 100);
        jm_gate_reset(&gate, 6);
        long q = 24000, n = 48000;
        memset(buf, 0, (size_t)q * sizeof *buf);
        for (long k = q; k < n; k++) buf[k] = 0.5f; /* a step well over threshold */
        memcpy(ref, buf, (size_t)n * sizeof *buf);
        jm_gate_run(&gate, 6, buf, NULL, (uint32_t)n);
        long k = q;
        while (k < n && gain_db_at(k) < -0.01) k++;
        double ms = (double)(k - q + 1) * 1000 / FS, mid = buf[q + (long)(att[i] * 24) - 1] / ref[q + (long)(att[i] * 24) - 1];
        printf("  gate attack %5.1f ms: open within 0.01 dB after %6.2f ms, gain %.3f halfway\n", att[i], ms, mid);
        assert_true(fabs(ms - att[i]) <= 0.05 + 0.01 * att[i]);
        assert_float_equal(mid, 0.5, 0.03);
    }
}

/* Stereo: a loud left channel keeps the quiet right one open too. */
static void test_gate_linked(void **state)
{
    (void)state;
    static float l[48000], r[48000];
    jm_gate_set(&gate, 9, FS, -30, 60, 1, 10, 50);
    jm_gate_reset(&gate, 9);
    sine(l, 0, 48000, db_to_lin(-10));
    sine(r, 0, 48000, db_to_lin(-60));
    jm_gate_run(&gate, 9, l, r, 48000);
    assert_float_equal(level_db(r, 24000, 4800), -60, 0.01);
    assert_float_equal(level_db(l, 24000, 4800), -10, 0.01);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_comp_curve_shape),     cmocka_unit_test(test_comp_static_curve),
        cmocka_unit_test(test_comp_makeup_exact),    cmocka_unit_test(test_comp_time_constants),
        cmocka_unit_test(test_comp_linked),          cmocka_unit_test(test_comp_silence),
        cmocka_unit_test(test_gate_range_open_hold), cmocka_unit_test(test_gate_attack),
        cmocka_unit_test(test_gate_linked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
