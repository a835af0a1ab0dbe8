/* Loudness meter: EBU Tech 3341 cases 1-5 (M, S, I within 0.1 LU) and true
 * peak cases 15 and 19 (+0.2/-0.4 dB), through the threaded live meter
 * (push/read) and through the synchronous helper; reset; overflow count. */
#include "jmixd/io/loudness.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

#define RATE 48000u
#define FADE_S 0.01 /* short fade-in at the start of every test signal */

typedef struct {
    double dbfs, seconds;
} seg_t;

static const jm_log_t quiet = {.level = JM_LOG_ERROR};

/* 1 kHz stereo sine, peak per channel `dbfs`, phase continuous across
 * segments. Returns the frame count; *out is malloc'd, interleaved. */
static size_t tone(const seg_t *segs, int n, double freq, double phase, float **out)
{
    size_t frames = 0;
    for (int i = 0; i < n; i++) frames += (size_t)llround(segs[i].seconds * RATE);
    float *buf = malloc(frames * 2 * sizeof(float));
    assert_non_null(buf);
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        double a = pow(10.0, segs[i].dbfs / 20.0);
        size_t end = k + (size_t)llround(segs[i].seconds * RATE);
        for (; k < end; k++) {
            double fade = (double)k < FADE_S * RATE ? (double)k / (FADE_S * RATE) : 1.0;
            float v = (float)(a * fade * sin(2.0 * M_PI * freq * (double)k / RATE + phase));
            buf[2 * k] = buf[2 * k + 1] = v;
        }
    }
    *out = buf;
    return frames;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Through the live meter: push in JACK-sized blocks (paced so the ring
 * never overflows), wait for the meter thread to catch up, read. */
static void live(jm_loudness_t *ln, const float *buf, size_t frames, float out[5])
{
    float l[256], r[256];
    uint64_t base, measured, dropped;
    jm_loudness_reset(ln);
    for (int t = 0; t < 2000 && jm_loudness_read(ln, out); t++) sleep_ms(1);
    assert_int_equal(jm_loudness_read(ln, out), 0); /* reset seen: floors */
    assert_true(out[JM_LN_INTEGRATED] == JM_LOUDNESS_FLOOR);
    jm_loudness_stats(ln, &base, NULL);
    for (size_t k = 0; k < frames; k += 256) {
        uint32_t n = (uint32_t)(frames - k < 256 ? frames - k : 256);
        for (uint32_t i = 0; i < n; i++) l[i] = buf[2 * (k + i)], r[i] = buf[2 * (k + i) + 1];
        jm_loudness_push(ln, l, r, n);
        for (;;) { /* keep at most 3 s queued (the ring holds 4 s or more) */
            jm_loudness_stats(ln, &measured, NULL);
            if (k + n - (measured - base) < 3 * RATE) break;
            sleep_ms(1);
        }
    }
    for (int t = 0; t < 10000; t++) {
        jm_loudness_stats(ln, &measured, &dropped);
        if (measured - base >= frames) break;
        sleep_ms(1);
    }
    assert_int_equal(measured - base, frames);
    assert_int_equal(dropped, 0);
    assert_int_equal(jm_loudness_read(ln, out), 1);
}

static void check(const char *what, double got, double want, double lo, double hi)
{
    printf("  %-34s %8.3f (want %.1f)\n", what, got, want);
    if (got < want + lo || got > want + hi)
        fail_msg("%s: %.3f, want %.1f (%+.1f/%+.1f)", what, got, want, hi, lo);
}

typedef struct {
    const char *name;
    seg_t segs[5];
    int n;
    int ms; /* check momentary and short-term too */
    double want;
} tcase_t;

static const tcase_t cases[] = {
    {"case 1 (-23 dBFS 20 s)", {{-23, 20}}, 1, 1, -23.0},
    {"case 2 (-33 dBFS 20 s)", {{-33, 20}}, 1, 1, -33.0},
    {"case 3 (-36/-23/-36)", {{-36, 10}, {-23, 60}, {-36, 10}}, 3, 0, -23.0},
    {"case 4 (-72/-36/-23/-36/-72)", {{-72, 10}, {-36, 10}, {-23, 60}, {-36, 10}, {-72, 10}},
     5, 0, -23.0},
    {"case 5 (-26/-20/-26)", {{-26, 20}, {-20, 20.1}, {-26, 20}}, 3, 0, -23.0},
};

static void test_tech3341_loudness(void **state)
{
    (void)state;
    jm_loudness_t *ln = jm_loudness_create(RATE, &quiet);
    assert_non_null(ln);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const tcase_t *tc = &cases[c];
        float *buf, v[5];
        char what[96];
        size_t frames = tone(tc->segs, tc->n, 1000.0, 0.0, &buf);
        printf("%s\n", tc->name);
        live(ln, buf, frames, v);
        jm_loudness_result_t r;
        assert_int_equal(jm_loudness_measure(buf, frames, RATE, &r), 0);
        snprintf(what, sizeof what, "live integrated");
        check(what, v[JM_LN_INTEGRATED], tc->want, -0.1, 0.1);
        check("sync integrated", r.integrated, tc->want, -0.1, 0.1);
        if (tc->ms) {
            check("live momentary", v[JM_LN_MOMENTARY], tc->want, -0.1, 0.1);
            check("live short-term", v[JM_LN_SHORT_TERM], tc->want, -0.1, 0.1);
            check("sync momentary", r.momentary, tc->want, -0.1, 0.1);
            check("sync short-term", r.short_term, tc->want, -0.1, 0.1);
            check("live range (steady tone)", v[JM_LN_RANGE], 0.0, -0.1, 0.1);
        }
        free(buf);
    }
    jm_loudness_destroy(ln);
}

/* Tech 3341 cases 15 and 19: fs/4 sines; the samples miss the peak by
 * design in case 19 (45 degrees: samples at 0.707 of the peak). */
static void test_tech3341_true_peak(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        double amp, phase, want;
    } tp[] = {{"case 15 (fs/4, 0 deg, 0.5)", 0.5, 0.0, -6.0},
              {"case 19 (fs/4, 45 deg, 1.41)", 1.41, M_PI / 4, 3.0}};
    jm_loudness_t *ln = jm_loudness_create(RATE, &quiet);
    assert_non_null(ln);
    for (int i = 0; i < 2; i++) {
        seg_t s = {20.0 * log10(tp[i].amp), 2.0};
        float *buf, v[5];
        size_t frames = tone(&s, 1, RATE / 4.0, tp[i].phase, &buf);
        printf("%s\n", tp[i].name);
        live(ln, buf, frames, v);
        jm_loudness_result_t r;
        assert_int_equal(jm_loudness_measure(buf, frames, RATE, &r), 0);
        check("live true peak dBTP", v[JM_LN_TRUE_PEAK], tp[i].want, -0.4, 0.2);
        check("sync true peak dBTP", r.true_peak, tp[i].want, -0.4, 0.2);
        free(buf);
    }
    jm_loudness_destroy(ln);
}

/* Nothing measured yet: floors; silence stays at the floor. */
static void test_floor_and_silence(void **state)
{
    (void)state;
    jm_loudness_t *ln = jm_loudness_create(RATE, &quiet);
    float v[5];
    assert_int_equal(jm_loudness_read(ln, v), 0);
    for (int k = 0; k < 4; k++) assert_true(v[k] == JM_LOUDNESS_FLOOR);
    assert_true(v[JM_LN_RANGE] == 0.0f);
    float *z = calloc(RATE, 2 * sizeof(float));
    live(ln, z, RATE, v);
    for (int k = 0; k < 4; k++) assert_true(v[k] == JM_LOUDNESS_FLOOR);
    free(z);
    jm_loudness_destroy(ln);
}

/* Pushing faster than the meter drains: what does not fit is counted, and
 * measured + dropped accounts for every frame. */
static void test_overflow_counted(void **state)
{
    (void)state;
    jm_loudness_t *ln = jm_loudness_create(RATE, &quiet);
    static float l[1024], r[1024];
    uint64_t total = 0, measured = 0, dropped = 0;
    for (int k = 0; k < 10 * (int)RATE / 1024; k++, total += 1024) jm_loudness_push(ln, l, r, 1024);
    for (int t = 0; t < 5000; t++) {
        jm_loudness_stats(ln, &measured, &dropped);
        if (measured + dropped == total) break;
        sleep_ms(1);
    }
    printf("  pushed %llu, measured %llu, dropped %llu\n", (unsigned long long)total,
           (unsigned long long)measured, (unsigned long long)dropped);
    assert_true(dropped > 0);
    assert_int_equal(measured + dropped, total);
    jm_loudness_destroy(ln);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tech3341_loudness),
        cmocka_unit_test(test_tech3341_true_peak),
        cmocka_unit_test(test_floor_and_silence),
        cmocka_unit_test(test_overflow_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
