/* Bus delay: echoes at the set time (+-1 frame), each repeat lower by the
 * feedback factor, click-free time changes, no denormals in the lines, and
 * the settled fast path bit for bit equal to the frame-by-frame loop. */
#include "jmixd/dsp/delay.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#define TWO_PI 6.28318530717958647692

static jm_delay_t *new_delay(float fs, float ms, float fb, float tone)
{
    jm_delay_t *d = calloc(1, sizeof *d);
    assert_non_null(d);
    jm_delay_init(d, fs);
    jm_delay_set(d, ms, fb, tone);
    jm_delay_reset(d);
    return d;
}

/* Run n frames of mono x (same on both sides) in blocks of 256; y = left. */
static void run(jm_delay_t *d, const float *x, float *y, size_t n)
{
    float r[256];
    for (size_t i = 0; i < n; i += 256) {
        uint32_t k = (uint32_t)(n - i < 256 ? n - i : 256);
        jm_delay_process(d, x + i, x + i, y + i, r, k);
        for (uint32_t j = 0; j < k; j++) assert_true(r[j] == y[i + j]);
    }
}

/* An impulse: echo k peaks at k * D (+-1 frame), D = round(ms fs / 1000);
 * each echo's area (its DC content, which the tone filter keeps) is the
 * feedback times the previous one's. */
static void check_echoes(float fs, float ms, float fb, int echoes)
{
    long D = lroundf(ms * fs / 1000.0f);
    size_t n = (size_t)D * (size_t)(echoes + 1) + 1000;
    float *x = calloc(n, sizeof *x), *y = calloc(n, sizeof *y);
    jm_delay_t *d = new_delay(fs, ms, fb, 20000.0f);
    x[0] = 1.0f;
    run(d, x, y, n);
    double prev_area = 0.0, prev_pk = 0.0;
    for (int k = 1; k <= echoes; k++) {
        long c = k * D, lo = c - D / 2, hi = c + D / 2, at = lo;
        double area = 0.0;
        for (long i = lo; i < hi; i++) {
            if (fabsf(y[i]) > fabsf(y[at])) at = i;
            area += y[i];
        }
        assert_true(labs(at - c) <= 1);
        if (k > 1) {
            double e = 20.0 * log10(area / prev_area / fb);
            printf("# fs %g time %g ms: echo %d at %ld (set %ld), area step %+.3f dB "
                   "vs feedback, peak step %.2f dB\n",
                   fs, ms, k, at, c, e, 20.0 * log10(fabs(y[at]) / prev_pk));
            assert_true(fabs(e) < 0.5);
        } else {
            printf("# fs %g time %g ms: echo 1 at %ld (set %ld), value %g\n", fs, ms, at, c,
                   y[at]);
            assert_true(y[at] == 1.0f); /* the first echo is the input itself */
        }
        prev_area = area;
        prev_pk = fabs(y[at]);
    }
    free(x);
    free(y);
    free(d);
}

static void test_echo_times_and_levels(void **state)
{
    (void)state;
    check_echoes(48000.0f, 375.0f, 0.5f, 4);
    check_echoes(48000.0f, 123.45f, 0.9f, 4); /* 5925.6 -> 5926 frames */
    check_echoes(44100.0f, 1.37f, 0.95f, 6);  /* 60.4 -> 60 frames */
    check_echoes(96000.0f, 2000.0f, 0.35f, 2);
}

/* A 1 kHz tone burst: with tone 20 kHz each repeat's peak is feedback times
 * the previous within 0.5 dB; with tone 500 Hz the repeats get darker. */
static double burst_step_db(float tone)
{
    const float fs = 48000.0f, fb = 0.7f;
    const long D = 4800;
    size_t n = (size_t)D * 4;
    float *x = calloc(n, sizeof *x), *y = calloc(n, sizeof *y);
    for (int i = 0; i < 192; i++) /* 4 ms Hann-windowed 1 kHz */
        x[i] = (float)(0.5 * (0.5 - 0.5 * cos(TWO_PI * i / 192.0)) * sin(TWO_PI * 1000.0 * i / fs));
    jm_delay_t *d = new_delay(fs, 100.0f, fb, tone);
    run(d, x, y, n);
    double pk[3] = {0.0, 0.0, 0.0};
    for (int k = 1; k <= 3; k++)
        for (long i = k * D; i < k * D + 400; i++) pk[k - 1] = fmax(pk[k - 1], fabs(y[i]));
    double step = 20.0 * log10(pk[2] / pk[1]);
    free(x);
    free(y);
    free(d);
    return step;
}

static void test_repeat_level_and_tone(void **state)
{
    (void)state;
    double bright = burst_step_db(20000.0f), dark = burst_step_db(500.0f);
    double want = 20.0 * log10(0.7);
    printf("# 1 kHz burst, feedback 0.7 (%.2f dB): repeat step %.3f dB at tone 20 kHz, "
           "%.2f dB at 500 Hz\n", want, bright, dark);
    assert_true(fabs(bright - want) < 0.5);
    assert_true(dark < want - 3.0);
}

/* Largest |second difference| of y over [a, b). */
static double max_d2(const float *y, size_t a, size_t b)
{
    double m = 0.0;
    for (size_t i = a + 2; i < b; i++) m = fmax(m, fabs(y[i] - 2.0 * y[i - 1] + y[i - 2]));
    return m;
}

/* A 220 Hz sine through the delay with feedback 0.5 while the time jumps
 * (375 -> 250 -> 10 -> 2000 ms, then a new time every block for 100 ms).
 * A sum of 220 Hz sines of total amplitude A (<= 0.5 / (1 - 0.5)) has a
 * second difference <= A w^2; a click (a step in the output) would be
 * orders of magnitude above that. */
static void test_time_change_click_free(void **state)
{
    (void)state;
    const float fs = 48000.0f;
    const size_t n = (size_t)(6.0f * fs);
    const double w = TWO_PI * 220.0 / fs, A = 0.5 / (1.0 - 0.5);
    float *x = calloc(n, sizeof *x), *y = calloc(n, sizeof *y), r[64];
    for (size_t i = 0; i < n; i++) /* 100 ms raised-cosine fade-in: no kink */
        x[i] = (float)(0.5 * sin(w * (double)i) *
                       (i < 4800 ? 0.5 - 0.5 * cos(TWO_PI * (double)i / 9600.0) : 1.0));
    jm_delay_t *d = new_delay(fs, 375.0f, 0.5f, 20000.0f);
    double hard = 0.0; /* the step a hard switch of the tap would make */
    for (size_t b = 0; b * 64 < n; b++) {
        double t = (double)b * 64.0 / fs;
        float ms = t < 1.0 ? 375.0f : t < 1.5 ? 250.0f : t < 2.0 ? 10.0f : 2000.0f;
        if (t >= 3.0 && t < 3.1) ms = 100.0f + (float)((b * 7919u) % 500u);
        jm_delay_set(d, ms, 0.5f, 20000.0f);
        jm_delay_process(d, x + b * 64, x + b * 64, y + b * 64, r, 64);
    }
    for (size_t i = 0; i < 10000; i++) /* 375 vs 250 ms taps of the input */
        hard = fmax(hard, fabs(x[i + 18000] - x[i + 12000]));
    double d2 = max_d2(y, 18000, n), bound = A * w * w;
    printf("# time changes under a 220 Hz sine: max |2nd diff| %.2e, smooth-signal "
           "bound %.2e, a hard tap switch would step by up to %.2f\n", d2, bound, hard);
    assert_true(d2 < 1.5 * bound);
    free(x);
    free(y);
    free(d);
}

/* Loud noise, then 30 s of silence: the lines and filters hold exact zeros
 * or normal numbers, never subnormals. */
static void test_no_denormals(void **state)
{
    (void)state;
    const float fs = 48000.0f;
    jm_delay_t *d = new_delay(fs, 10.0f, 0.95f, 500.0f);
    float x[256], y[256], z[256];
    uint32_t s = 1u;
    for (int b = 0; b < 200; b++) {
        for (int i = 0; i < 256; i++) {
            s = s * 1664525u + 1013904223u;
            x[i] = (float)(s >> 8) / 8388608.0f - 1.0f;
        }
        jm_delay_process(d, x, x, y, z, 256);
    }
    for (int i = 0; i < 256; i++) x[i] = 0.0f;
    for (int b = 0; b < (int)(30.0f * fs / 256.0f); b++) jm_delay_process(d, x, x, y, z, 256);
    size_t sub = 0, nonzero = 0;
    for (int c = 0; c < 2; c++)
        for (uint32_t i = 0; i < JM_DLY_LEN; i++) {
            sub += fpclassify(d->buf[c][i]) == FP_SUBNORMAL;
            nonzero += d->buf[c][i] != 0.0f;
        }
    sub += fpclassify(d->lp[0]) == FP_SUBNORMAL || fpclassify(d->lp[1]) == FP_SUBNORMAL;
    printf("# after 30 s of silence (feedback 0.95): %zu subnormal, %zu non-zero samples\n",
           sub, nonzero);
    assert_int_equal(sub, 0);
    free(d);
}


/* ---- the delay frame by frame with every field of the state read and
 * written each frame (the code before the settled fast path), on the same
 * state, with the same operations in the same order ---- */

static float ref_flush(float x) { return fabsf(x) < 1e-18f ? 0.0f : x; }

static uint32_t ref_tap(const jm_delay_t *d, uint32_t delay)
{
    return d->w >= delay ? d->w - delay : d->w + JM_DLY_LEN - delay;
}

static void ref_process(jm_delay_t *d, const float *in_l, const float *in_r, float *out_l,
                        float *out_r, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        float xl = in_l[i], xr = in_r[i];
        if (d->d_new == d->d_cur && d->d_pend != d->d_cur) d->d_new = d->d_pend, d->xf = 0.0f;
        uint32_t ra = ref_tap(d, d->d_cur);
        float yl = d->buf[0][ra], yr = d->buf[1][ra];
        if (d->d_new != d->d_cur) {
            uint32_t rb = ref_tap(d, d->d_new);
            d->xf += d->xf_step;
            if (d->xf >= 1.0f) {
                d->d_cur = d->d_new, d->xf = 0.0f;
                yl = d->buf[0][rb], yr = d->buf[1][rb];
            } else {
                float t = d->xf, k = t * t * (3.0f - 2.0f * t);
                yl += k * (d->buf[0][rb] - yl);
                yr += k * (d->buf[1][rb] - yr);
            }
        }
        d->fb = d->fb_tgt + d->sm_a * (d->fb - d->fb_tgt);
        d->lpc = d->lpc_tgt + d->sm_a * (d->lpc - d->lpc_tgt);
        d->lp[0] = ref_flush(d->lp[0] + d->lpc * (yl - d->lp[0]));
        d->lp[1] = ref_flush(d->lp[1] + d->lpc * (yr - d->lp[1]));
        d->buf[0][d->w] = ref_flush(xl + d->fb * d->lp[0]);
        d->buf[1][d->w] = ref_flush(xr + d->fb * d->lp[1]);
        if (++d->w == JM_DLY_LEN) d->w = 0;
        out_l[i] = yl, out_r[i] = yr;
    }
}

/* Noise with silences, blocks of 1..256 frames, time, feedback and tone
 * changed every 300 blocks (time 1 ms .. 1.5 s: shorter and longer than a
 * block): every output sample equal. */
static void test_equals_frame_by_frame(void **state)
{
    (void)state;
    static const float rates[] = {8000.0f, 44100.0f, 48000.0f, 96000.0f, 192000.0f};
    static float l[256], r[256], al[256], ar[256], bl[256], br[256];
    for (size_t ri = 0; ri < sizeof rates / sizeof *rates; ri++) {
        jm_delay_t *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
        assert_non_null(a);
        assert_non_null(b);
        jm_delay_init(a, rates[ri]);
        jm_delay_init(b, rates[ri]);
        uint32_t seed = 11;
        for (int blk = 0; blk < 3000; blk++) {
            seed = seed * 1664525u + 1013904223u;
            uint32_t n = 1 + (seed >> 8) % 256;
            if (blk % 300 == 0) {
                float p[3];
                for (int k = 0; k < 3; k++) {
                    seed = seed * 1664525u + 1013904223u;
                    p[k] = (float)(seed >> 8) / 16777216.0f;
                }
                jm_delay_set(a, 1.0f + 1499.0f * p[0], p[1], 500.0f + 19500.0f * p[2]);
                jm_delay_set(b, 1.0f + 1499.0f * p[0], p[1], 500.0f + 19500.0f * p[2]);
            }
            for (uint32_t i = 0; i < n; i++) {
                seed = seed * 1664525u + 1013904223u;
                float v = blk % 900 < 600 ? (float)(seed >> 8) / 8388608.0f - 1.0f : 0.0f;
                l[i] = v, r[i] = -0.7f * v;
            }
            jm_delay_process(a, l, r, al, ar, n);
            ref_process(b, l, r, bl, br, n);
            assert_memory_equal(al, bl, n * sizeof *al);
            assert_memory_equal(ar, br, n * sizeof *ar);
        }
        free(a);
        free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_times_and_levels),
        cmocka_unit_test(test_repeat_level_and_tone),
        cmocka_unit_test(test_time_change_click_free),
        cmocka_unit_test(test_no_denormals),
        cmocka_unit_test(test_equals_frame_by_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
