/* The mixer's gain stage against the laws of docs/parameters.md, docs/dsp.md, run offline on
 * the same code the daemon runs. */
#include "jmixd/dsp/gain.h"
#include "jmixd/engine/mixer.h"
#include "jmixd/session/params.h"
#include "jmixd/util/queue.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mixer_fixture.h"

#define RATE 48000
#define BLOCK 64

typedef struct {
    jm_paramset_t ps;
    float *values;
    jm_mixer_t *m;
    uint8_t stereo[2];
} fx_t;

static const char names[2][JM_NAME_MAX] = {"a", "b"};

static fx_t *make(int stereo_b)
{
    fx_t *f = calloc(1, sizeof *f);
    jm_topo_names_t tn = {.n_strips = 2, .strip_names = names};
    assert_int_equal(jm_params_build(&f->ps, &tn), 0);
    f->values = mfx_defaults(&f->ps);
    f->stereo[1] = (uint8_t)stereo_b;
    jm_mixer_config_t cfg = {.n_strips = 2, .stereo = f->stereo, .rate = RATE, .meter_frames = 2400};
    f->m = jm_mixer_create(&cfg, &f->ps, f->values);
    assert_non_null(f->m);
    return f;
}

static void drop(fx_t *f)
{
    jm_mixer_destroy(f->m);
    jm_params_free(&f->ps);
    free(f->values);
    free(f);
}

static void set(fx_t *f, const char *path, float v) { mfx_set(f->m, &f->ps, path, v); }

/* Run `frames` of a constant input on strip a (and b), return last outputs. */
static void run(fx_t *f, float xa, float xb, int frames, float *l, float *r)
{
    float ia[BLOCK], ib[BLOCK], ib2[BLOCK], ol[BLOCK], or_[BLOCK];
    for (int k = 0; k < BLOCK; k++) ia[k] = xa, ib[k] = xb, ib2[k] = xb;
    const float *in[4] = {ia, NULL, ib, f->stereo[1] ? ib2 : NULL};
    for (int done = 0; done < frames; done += BLOCK) jm_mixer_process(f->m, in, ol, or_, BLOCK, NULL);
    *l = ol[BLOCK - 1];
    *r = or_[BLOCK - 1];
}

static double db(double x) { return 20.0 * log10(fabs(x)); }

static void test_centre_pan_is_minus_3db(void **s)
{
    (void)s;
    fx_t *f = make(0);
    float l, r;
    run(f, 1.0f, 0.0f, BLOCK, &l, &r);
    assert_float_equal(db(l), -3.0103, 0.001);
    assert_float_equal(db(r), -3.0103, 0.001);
    drop(f);
}

static void test_fader_and_pan_hard_left(void **s)
{
    (void)s;
    fx_t *f = make(0);
    float l, r;
    set(f, "/strip/1/fader", -6.0f);
    set(f, "/strip/a/pan", -1.0f);
    run(f, 1.0f, 0.0f, RATE / 10, &l, &r);
    assert_float_equal(db(l), -6.0, 0.001);
    assert_true(r == 0.0f);
    drop(f);
}

static void test_trim_polarity(void **s)
{
    (void)s;
    fx_t *f = make(0);
    float l, r;
    set(f, "/strip/1/trim", 6.0f);
    set(f, "/strip/1/polarity", 1.0f);
    run(f, 0.25f, 0.0f, RATE / 10, &l, &r);
    assert_true(l < 0);
    assert_float_equal(db(l / 0.25f), 6.0 - 3.0103, 0.001);
    drop(f);
}

static void test_stereo_balance_unity(void **s)
{
    (void)s;
    fx_t *f = make(1);
    float l, r;
    run(f, 0.0f, 0.5f, BLOCK, &l, &r);
    assert_float_equal(l, 0.5f, 1e-6);
    assert_float_equal(r, 0.5f, 1e-6);
    set(f, "/strip/2/pan", 1.0f);
    run(f, 0.0f, 0.5f, RATE / 10, &l, &r);
    assert_true(l == 0.0f);
    assert_float_equal(r, 0.5f, 1e-6);
    drop(f);
}

static void test_solo_in_place_and_mute_fade(void **s)
{
    (void)s;
    fx_t *f = make(0);
    float l, r;
    set(f, "/strip/1/solo", 1.0f);
    run(f, 0.0f, 1.0f, RATE / 10, &l, &r);
    assert_true(l == 0.0f && r == 0.0f); /* b is not soloed */
    set(f, "/strip/1/solo", 0.0f);
    run(f, 0.0f, 1.0f, RATE / 10, &l, &r);
    assert_float_equal(l, 0.7071068f, 1e-6); /* back after the unsolo fade */
    set(f, "/strip/2/mute", 1.0f);
    /* the fade takes the table's smoothing time (20 ms): halfway it is partly down */
    run(f, 0.0f, 1.0f, 512, &l, &r);
    assert_true(l > 0.0f && l < 0.7071f);
    run(f, 0.0f, 1.0f, RATE / 20, &l, &r);
    assert_true(l == 0.0f);
    drop(f);
}

static void test_smoothing_settles_within_50ms_no_step(void **s)
{
    (void)s;
    fx_t *f = make(0);
    float ia[BLOCK], ol[BLOCK], or_[BLOCK], prev = 0.7071068f, maxstep = 0;
    for (int k = 0; k < BLOCK; k++) ia[k] = 1.0f;
    const float *in[4] = {ia, NULL, ia, NULL};
    set(f, "/strip/2/mute", 1.0f);
    float l, r;
    run(f, 1.0f, 0.0f, RATE / 10, &l, &r);
    set(f, "/strip/1/fader", -40.0f);
    int settled_at = -1;
    float target = 0.7071068f * powf(10.0f, -2.0f);
    for (int done = 0; done < RATE / 10; done += BLOCK) {
        jm_mixer_process(f->m, in, ol, or_, BLOCK, NULL);
        for (int k = 0; k < BLOCK; k++) {
            float st = fabsf(ol[k] - prev);
            if (st > maxstep) maxstep = st;
            prev = ol[k];
            if (settled_at < 0 && fabsf(ol[k] - target) < 1e-6f) settled_at = done + k;
        }
    }
    assert_true(settled_at >= RATE * 5 / 1000 && settled_at <= RATE * 50 / 1000);
    assert_true(maxstep < 0.001f); /* 0.70 spread over 960 samples */
    drop(f);
}

static void test_master_mono_and_fader(void **s)
{
    (void)s;
    fx_t *f = make(0);
    float l, r;
    set(f, "/strip/1/pan", -1.0f);
    set(f, "/master/mono", 1.0f);
    set(f, "/master/fader", -6.0f);
    run(f, 1.0f, 0.0f, RATE / 10, &l, &r);
    assert_float_equal(db(l), -6.0206 - 6.0, 0.001);
    assert_float_equal(l, r, 1e-7);
    drop(f);
}

static void test_pan_law_formula(void **s)
{
    (void)s;
    for (float pan = -1.0f; pan <= 1.0f; pan += 0.125f) {
        float gl, gr, p = (pan + 1.0f) / 2.0f;
        jm_pan_mono(pan, &gl, &gr);
        assert_float_equal(gl, cosf(p * (float)M_PI_2), 1e-6);
        assert_float_equal(gr, sinf(p * (float)M_PI_2), 1e-6);
        assert_float_equal(gl * gl + gr * gr, 1.0f, 1e-5);
    }
}

/* One second in periods of 256 frames, windows of 2400 frames (20 Hz):
 * 20 master meters, not 18 (a window that restarted from zero at the end
 * of the period that completed it lasted 2560 frames), and every window's
 * RMS is over the frames it really holds. */
static void test_meter_windows_carry_over_the_period(void **s)
{
    (void)s;
    fx_t *f = make(0);
    set(f, "/strip/a/pan", -1.0f);
    jm_queue_t q;
    assert_int_equal(jm_queue_init(&q, sizeof(jm_event_t), 4096), 0);
    enum { N = 256 };
    float ia[N], ib[N], ol[N], or_[N];
    for (int k = 0; k < N; k++) ia[k] = 0.5f, ib[k] = 0.0f;
    const float *in[4] = {ia, NULL, ib, NULL};
    int masters = 0;
    jm_event_t e;
    for (int done = 0; done < RATE; done += N) {
        jm_mixer_process(f->m, in, ol, or_, N, &q);
        while (jm_queue_pop(&q, &e)) {
            if (e.type != JM_EV_METER_MASTER) continue;
            masters++;
            if (masters > 1) assert_float_equal(e.v[2], 0.5f, 1e-4); /* RMS of DC 0.5 */
        }
    }
    assert_int_equal(masters, RATE / 2400);
    jm_queue_free(&q);
    drop(f);
}

/* The input meter (the strip meter's 4th value): the largest |x| of the
 * window times the trim, wherever it lies in an odd-length block, with a
 * negative peak, a NaN ignored, and the right side of a stereo strip. */
static float input_peak(fx_t *f, const float *xa, const float *xb, int n)
{
    jm_queue_t q;
    assert_int_equal(jm_queue_init(&q, sizeof(jm_event_t), 4096), 0);
    float ol[64], or_[64], zero[64] = {0};
    float peak = -1.0f;
    jm_event_t e;
    /* the block, then silence until the 2400-frame window posts */
    const float *in[4] = {xa, xa, xb, f->stereo[1] ? xb + 64 : NULL};
    jm_mixer_process(f->m, in, ol, or_, (uint32_t)n, &q);
    const float *quiet[4] = {zero, zero, zero, f->stereo[1] ? zero : NULL};
    for (int done = n; done < 2400; done += 64)
        jm_mixer_process(f->m, quiet, ol, or_, 2400 - done < 64 ? (uint32_t)(2400 - done) : 64, &q);
    while (jm_queue_pop(&q, &e))
        if (e.type == JM_EV_METER_STRIP && e.index == 1) peak = e.v[3];
    jm_queue_free(&q);
    return peak;
}

static void test_input_peak(void **s)
{
    (void)s;
    fx_t *f = make(1);
    float a[64] = {0}, b[128] = {0};
    for (int n = 1; n <= 64; n += 7) {
        for (int at = 0; at < n; at += 3) {
            memset(b, 0, sizeof b);
            for (int k = 0; k < n; k++) b[k] = 0.1f * (float)(k % 5) / 5.0f;
            b[at] = -0.75f;                 /* the peak, negative */
            float got = input_peak(f, a, b, n);
            assert_float_equal(got, 0.75f, 1e-7);
        }
    }
    memset(b, 0, sizeof b);
    b[3] = NAN;
    b[5] = 0.25f;
    b[64 + 40] = -0.5f;                    /* the right side of stereo strip b */
    assert_float_equal(input_peak(f, a, b, 64), 0.5f, 1e-7);
    set(f, "/strip/b/trim", 6.0f);
    for (int k = 0; k < 4800; k += 64) input_peak(f, a, b, 64); /* the trim settles */
    assert_float_equal(input_peak(f, a, b, 64), 0.5f * powf(10.0f, 6.0f / 20.0f), 1e-5);
    drop(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_centre_pan_is_minus_3db),
        cmocka_unit_test(test_fader_and_pan_hard_left),
        cmocka_unit_test(test_trim_polarity),
        cmocka_unit_test(test_stereo_balance_unity),
        cmocka_unit_test(test_solo_in_place_and_mute_fade),
        cmocka_unit_test(test_smoothing_settles_within_50ms_no_step),
        cmocka_unit_test(test_master_mono_and_fader),
        cmocka_unit_test(test_pan_law_formula),
        cmocka_unit_test(test_meter_windows_carry_over_the_period),
        cmocka_unit_test(test_input_peak),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
