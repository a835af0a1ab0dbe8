/* Bus reverb: decaying tail whose RT60 grows with size, no DC, the
 * pre-delay, click-free parameter changes, no denormals (nor their
 * slow-down) after a long silence, and the block-wise tank bit for bit
 * equal to Freeverb run frame by frame over all twelve filters. */
#include "jmixd/dsp/reverb.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

#define FS 48000.0f
#define TWO_PI 6.28318530717958647692

static jm_reverb_t *new_reverb(float size, float damping, float width, float pre_ms)
{
    jm_reverb_t *r = calloc(1, sizeof *r);
    assert_non_null(r);
    jm_reverb_init(r, FS);
    jm_reverb_set(r, size, damping, width, pre_ms);
    jm_reverb_reset(r);
    return r;
}

/* Process in blocks of 256; x feeds both inputs (NULL: silence). */
static void run(jm_reverb_t *r, const float *x, float *yl, float *yr, size_t n)
{
    static const float zero[256];
    for (size_t i = 0; i < n; i += 256) {
        uint32_t k = (uint32_t)(n - i < 256 ? n - i : 256);
        const float *in = x ? x + i : zero;
        jm_reverb_process(r, in, in, yl + i, yr + i, k);
    }
}

/* Impulse response of n frames (L and R). */
static void impulse_response(jm_reverb_t *r, float *yl, float *yr, size_t n)
{
    float *x = calloc(n, sizeof *x);
    x[0] = 1.0f;
    run(r, x, yl, yr, n);
    free(x);
}

/* RT60 by Schroeder backward integration: 2 x the time from -5 to -35 dB of
 * the energy decay curve of yl^2 + yr^2 (T30). */
static double rt60(const float *yl, const float *yr, size_t n)
{
    double total = 0.0, acc = 0.0;
    for (size_t i = 0; i < n; i++) total += (double)yl[i] * yl[i] + (double)yr[i] * yr[i];
    double t5 = -1.0, t35 = -1.0;
    for (size_t i = n; i-- > 0;) {
        acc += (double)yl[i] * yl[i] + (double)yr[i] * yr[i];
        double edc = 10.0 * log10(acc / total);
        if (t35 < 0.0 && edc >= -35.0) t35 = (double)i / FS;
        if (edc >= -5.0) { t5 = (double)i / FS; break; }
    }
    return 2.0 * (t35 - t5);
}

static double rms(const float *x, size_t a, size_t b)
{
    double s = 0.0;
    for (size_t i = a; i < b; i++) s += (double)x[i] * x[i];
    return sqrt(s / (double)(b - a));
}

static void test_tail_decays_and_grows_with_size(void **state)
{
    (void)state;
    static const float sizes[] = {0.2f, 0.5f, 0.9f};
    const size_t n = (size_t)(12.0f * FS);
    float *yl = calloc(n, sizeof *yl), *yr = calloc(n, sizeof *yr);
    double prev = 0.0;
    for (int s = 0; s < 3; s++) {
        jm_reverb_t *r = new_reverb(sizes[s], 0.5f, 1.0f, 0.0f);
        impulse_response(r, yl, yr, n);
        double t = rt60(yl, yr, n);
        double early = rms(yl, 2400, 24000), late = rms(yl, 48000, 72000);
        double sum = 0.0;
        for (size_t i = 2400; i < n; i++) sum += yl[i];
        double mean = sum / (double)(n - 2400), all = rms(yl, 2400, n);
        printf("# size %.1f: RT60 %.2f s (T30), 50-500 ms rms %.2e, 1.0-1.5 s rms %.2e, "
               "tail mean/rms %.1e\n", sizes[s], t, early, late, mean / all);
        assert_true(late < early);
        assert_true(t > 1.2 * prev);
        assert_true(fabs(mean) < 1e-3 * all);
        prev = t;
        free(r);
    }
    free(yl);
    free(yr);
}

/* A DC input (0.5 on both sides for 5 s) leaves no DC at the output. */
static void test_no_dc(void **state)
{
    (void)state;
    const size_t n = (size_t)(5.0f * FS);
    float *x = calloc(n, sizeof *x), *yl = calloc(n, sizeof *yl), *yr = calloc(n, sizeof *yr);
    for (size_t i = 0; i < n; i++) x[i] = 0.5f;
    jm_reverb_t *r = new_reverb(1.0f, 0.0f, 1.0f, 0.0f);
    run(r, x, yl, yr, n);
    double ml = 0.0, mr = 0.0;
    for (size_t i = n - 48000; i < n; i++) { ml += yl[i]; mr += yr[i]; }
    ml /= 48000.0;
    mr /= 48000.0;
    double worst_comb = 0.0; /* DC held inside the tank */
    for (int c = 0; c < 2; c++)
        for (int k = 0; k < JM_RV_COMBS; k++) {
            double m = 0.0;
            for (uint32_t i = 0; i < r->comb_len[c][k]; i++) m += r->comb[c][k][i];
            worst_comb = fmax(worst_comb, fabs(m / r->comb_len[c][k]));
        }
    printf("# DC 0.5 in for 5 s (size 1, damping 0): output mean over the last second "
           "%.1e / %.1e, largest comb-line mean %.1e\n", ml, mr, worst_comb);
    assert_true(fabs(ml) < 1e-3 && fabs(mr) < 1e-3);
    assert_true(worst_comb < 1e-2); /* without the input blocker: ~0.75 */
    free(x);
    free(yl);
    free(yr);
    free(r);
}

/* The first output sample of an impulse comes exactly pre-delay + the
 * shortest comb later. */
static void test_predelay(void **state)
{
    (void)state;
    static const float pres[] = {0.0f, 50.0f, 200.0f};
    const size_t n = 16000;
    float *yl = calloc(n, sizeof *yl), *yr = calloc(n, sizeof *yr);
    for (int p = 0; p < 3; p++) {
        jm_reverb_t *r = new_reverb(0.5f, 0.5f, 1.0f, pres[p]);
        impulse_response(r, yl, yr, n);
        size_t first = 0;
        while (first < n && yl[first] == 0.0f) first++;
        size_t want = (size_t)lroundf(pres[p] * FS / 1000.0f) + r->comb_len[0][0];
        printf("# pre-delay %g ms: first output at frame %zu (want %zu)\n", pres[p], first, want);
        assert_int_equal(first, want);
        free(r);
    }
    free(yl);
    free(yr);
}

/* A 220 Hz sine in while size, damping, width and pre-delay change: the
 * output stays a sum of slowly varying 220 Hz sines, whose second
 * difference is <= amplitude * w^2; a click would be far above. */
static void test_changes_click_free(void **state)
{
    (void)state;
    const size_t n = (size_t)(8.0f * FS);
    const double w = TWO_PI * 220.0 / FS;
    float *x = calloc(n, sizeof *x), *yl = calloc(n, sizeof *yl), *yr = calloc(n, sizeof *yr);
    for (size_t i = 0; i < n; i++) /* 200 ms raised-cosine fade-in */
        x[i] = (float)(0.5 * sin(w * (double)i) *
                       (i < 9600 ? 0.5 - 0.5 * cos(TWO_PI * (double)i / 19200.0) : 1.0));
    jm_reverb_t *r = new_reverb(0.5f, 0.5f, 1.0f, 0.0f);
    for (size_t b = 0; b * 64 < n; b++) {
        int phase = (int)((double)b * 64.0 / FS / 0.75) % 4;
        jm_reverb_set(r, phase == 1 ? 0.9f : 0.3f, phase == 2 ? 1.0f : 0.2f,
                      phase == 3 ? 0.0f : 1.0f, phase % 2 ? 137.0f : 20.0f);
        jm_reverb_process(r, x + b * 64, x + b * 64, yl + b * 64, yr + b * 64, 64);
    }
    double worst = 0.0;
    for (size_t a = 48000; a + 4800 <= n; a += 4800) { /* 100 ms windows */
        double amp = 0.0, d2 = 0.0;
        for (size_t i = a; i < a + 4800; i++) {
            amp = fmax(amp, fmax(fabs(yl[i]), fabs(yr[i])));
            d2 = fmax(d2, fabs(yl[i] - 2.0 * yl[i - 1] + yl[i - 2]));
            d2 = fmax(d2, fabs(yr[i] - 2.0 * yr[i - 1] + yr[i - 2]));
        }
        worst = fmax(worst, d2 / (amp * w * w));
    }
    printf("# size/damping/width/pre-delay changes under a 220 Hz sine: "
           "max |2nd diff| / (amplitude w^2) = %.2f\n", worst);
    assert_true(worst < 1.5);
    free(x);
    free(yl);
    free(yr);
    free(r);
}

static size_t subnormals(const float *x, size_t n, size_t *nonzero)
{
    size_t s = 0;
    for (size_t i = 0; i < n; i++) {
        s += fpclassify(x[i]) == FP_SUBNORMAL;
        *nonzero += x[i] != 0.0f;
    }
    return s;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Seconds to process `blocks` blocks of 256 frames of noise (or silence). */
static double timed(jm_reverb_t *r, int blocks, int noise, uint32_t *seed)
{
    float x[256], yl[256], yr[256];
    double t = 0.0;
    for (int b = 0; b < blocks; b++) {
        for (int i = 0; i < 256; i++) {
            *seed = *seed * 1664525u + 1013904223u;
            x[i] = noise ? (float)(*seed >> 8) / 8388608.0f - 1.0f : 0.0f;
        }
        double t0 = now();
        jm_reverb_process(r, x, x, yl, yr, 256);
        t += now() - t0;
    }
    return t;
}

/* Loud noise, then 30 s of silence: no subnormal anywhere in the state, and
 * a block of (decayed) silence costs no more than a block of noise. Best of
 * 5 rounds each, so a preempted round does not count. */
static void test_no_denormals_after_silence(void **state)
{
    (void)state;
    jm_reverb_t *r = new_reverb(0.5f, 0.5f, 1.0f, 50.0f);
    uint32_t seed = 1u;
    double t_noise = 1e9, t_silence = 1e9;
    const int secs = (int)(FS / 256.0f);
    for (int round = 0; round < 5; round++) {
        t_noise = fmin(t_noise, timed(r, 2 * secs, 1, &seed) / (2 * secs));
        timed(r, 28 * secs, 0, &seed);
        t_silence = fmin(t_silence, timed(r, 2 * secs, 0, &seed) / (2 * secs));
        size_t nz = 0, sub = subnormals(&r->comb[0][0][0], sizeof r->comb / sizeof(float), &nz);
        sub += subnormals(&r->ap[0][0][0], sizeof r->ap / sizeof(float), &nz);
        sub += subnormals(r->pre, JM_RV_PRE_MAX, &nz);
        sub += subnormals(&r->comb_lp[0][0], sizeof r->comb_lp / sizeof(float), &nz);
        sub += subnormals(r->dc_in, 2, &nz) + subnormals(&r->dc_out[0][0], 4, &nz);
        if (round == 0)
            printf("# after 30 s of silence: %zu subnormal, %zu non-zero state values\n", sub,
                   nz);
        assert_int_equal(sub, 0);
    }
    printf("# per 256-frame block: noise %.2f us, silence %.2f us, ratio %.2f\n",
           t_noise * 1e6, t_silence * 1e6, t_silence / t_noise);
    assert_true(t_silence / t_noise < 1.5);
    free(r);
}


/* ---- the reverb as Freeverb runs it: frame by frame, every filter in
 * turn (as src/dsp/reverb.c did before its block-wise tank), on the same
 * state, with the same operations in the same order ---- */

static float ref_flush(float x) { return fabsf(x) < 1e-18f ? 0.0f : x; }

static float ref_dc(float *st, float R, float x)
{
    float y = ref_flush(x - st[0] + R * st[1]);
    st[0] = x, st[1] = y;
    return y;
}

static uint32_t ref_tap(const jm_reverb_t *r, uint32_t d)
{
    return r->pre_w >= d ? r->pre_w - d : r->pre_w + JM_RV_PRE_MAX - d;
}

static float ref_predelay(jm_reverb_t *r)
{
    if (r->pre_new == r->pre_cur && r->pre_pend != r->pre_cur) r->pre_new = r->pre_pend, r->xf = 0.0f;
    float y = r->pre[ref_tap(r, r->pre_cur)];
    if (r->pre_new != r->pre_cur) {
        float b = r->pre[ref_tap(r, r->pre_new)];
        r->xf += r->xf_step;
        if (r->xf >= 1.0f) {
            r->pre_cur = r->pre_new, r->xf = 0.0f;
            y = b;
        } else {
            float t = r->xf;
            y += t * t * (3.0f - 2.0f * t) * (b - y);
        }
    }
    return y;
}

static void ref_smooth(float *s, float tgt, float a)
{
    s[0] = tgt + a * (s[0] - tgt);
    s[1] = s[0] + a * (s[1] - s[0]);
}

static float ref_tank(jm_reverb_t *r, int c, float x, float room, float damp)
{
    float out = 0.0f;
    for (int k = 0; k < JM_RV_COMBS; k++) {
        uint32_t *p = &r->comb_pos[c][k];
        float v = r->comb[c][k][*p];
        r->comb_lp[c][k] = ref_flush(v * (1.0f - damp) + r->comb_lp[c][k] * damp);
        r->comb[c][k][*p] = ref_flush(x + r->comb_lp[c][k] * room);
        if (++*p == r->comb_len[c][k]) *p = 0;
        out += v;
    }
    for (int k = 0; k < JM_RV_APS; k++) {
        uint32_t *p = &r->ap_pos[c][k];
        float b = r->ap[c][k][*p];
        r->ap[c][k][*p] = ref_flush(out + 0.5f * b);
        out = b - out;
        if (++*p == r->ap_len[c][k]) *p = 0;
    }
    return out;
}

static void ref_process(jm_reverb_t *r, const float *in_l, const float *in_r, float *out_l,
                        float *out_r, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        r->pre[r->pre_w] = ref_dc(r->dc_in, r->dc_r, (in_l[i] + in_r[i]) * 0.015f);
        float x = ref_predelay(r);
        if (++r->pre_w == JM_RV_PRE_MAX) r->pre_w = 0;
        ref_smooth(r->room_s, r->room_tgt, r->sm_a);
        ref_smooth(r->damp_s, r->damp_tgt, r->sm_a);
        ref_smooth(r->wid_s, r->wid_tgt, r->sm_a);
        float wid = r->wid_s[1], w1 = wid * 0.5f + 0.5f, w2 = (1.0f - wid) * 0.5f;
        float yl = ref_tank(r, 0, x, r->room_s[1], r->damp_s[1]);
        float yr = ref_tank(r, 1, x, r->room_s[1], r->damp_s[1]);
        out_l[i] = ref_dc(r->dc_out[0], r->dc_r, yl * w1 + yr * w2);
        out_r[i] = ref_dc(r->dc_out[1], r->dc_r, yr * w1 + yl * w2);
    }
}

/* Noise with silences, blocks of 1..256 frames, size, damping, width and
 * pre-delay changed every 100 blocks: every output sample equal. */
static void test_equals_frame_by_frame(void **state)
{
    (void)state;
    static const float rates[] = {8000.0f, 44100.0f, 48000.0f, 96000.0f, 192000.0f};
    static float l[256], rr[256], al[256], ar[256], bl[256], br[256];
    for (size_t ri = 0; ri < sizeof rates / sizeof *rates; ri++) {
        jm_reverb_t *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
        assert_non_null(a);
        assert_non_null(b);
        jm_reverb_init(a, rates[ri]);
        jm_reverb_init(b, rates[ri]);
        uint32_t seed = 7;
        for (int blk = 0; blk < 1500; blk++) {
            seed = seed * 1664525u + 1013904223u;
            uint32_t n = 1 + (seed >> 8) % 256;
            if (blk % 100 == 0) {
                float p[4];
                for (int k = 0; k < 4; k++) {
                    seed = seed * 1664525u + 1013904223u;
                    p[k] = (float)(seed >> 8) / 16777216.0f;
                }
                jm_reverb_set(a, p[0], p[1], p[2], 200.0f * p[3]);
                jm_reverb_set(b, p[0], p[1], p[2], 200.0f * p[3]);
            }
            for (uint32_t i = 0; i < n; i++) {
                seed = seed * 1664525u + 1013904223u;
                float v = blk % 300 < 200 ? (float)(seed >> 8) / 8388608.0f - 1.0f : 0.0f;
                l[i] = v, rr[i] = 0.5f * v;
            }
            jm_reverb_process(a, l, rr, al, ar, n);
            ref_process(b, l, rr, bl, br, n);
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
        cmocka_unit_test(test_tail_decays_and_grows_with_size),
        cmocka_unit_test(test_no_dc),
        cmocka_unit_test(test_predelay),
        cmocka_unit_test(test_changes_click_free),
        cmocka_unit_test(test_no_denormals_after_silence),
        cmocka_unit_test(test_equals_frame_by_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
