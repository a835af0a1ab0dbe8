/* Building the lane set the audio thread plays (jm_lanes_build_rt, in
 * src/control/automation.c) from the control thread's lanes: which lanes,
 * in which order, points as transport frames, and what jm_rtlane_eval then
 * reads; and the clamping of points on their way in (the session loader
 * and the state file clamp; the build copies as is). */
#include "jmixd/control/automation.h"
#include "jmixd/control/state.h"
#include "jmixd/engine/autoplay.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#define GOOD "tests/sessions/good/"

static int setup(void **state)
{
    jm_session_t *s = calloc(1, sizeof *s);
    char err[JM_ERR_MAX];
    if (!s || jm_session_load(s, GOOD "full.cfg", err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    jm_session_free(*state);
    free(*state);
    return 0;
}

static int find(const jm_session_t *s, const char *path)
{
    int i = jm_params_find(&s->params, path);
    if (i < 0) fail_msg("no parameter %s", path);
    return i;
}

static jm_lane_t *lane(jm_autolanes_t *ls, int param, jm_automode_t mode)
{
    jm_lane_t *l = jm_lanes_get(ls, param, 1);
    assert_non_null(l);
    l->mode = mode;
    return l;
}

static void test_which_and_order(void **state)
{
    const jm_session_t *s = *state;
    int kf = find(s, "/strip/kick/fader"), kp = find(s, "/strip/keys/pan");
    int mf = find(s, "/master/fader"), off = find(s, "/strip/kick/mute");
    int empty = find(s, "/strip/keys/fader"), wr = find(s, "/bus/verb/fader");
    jm_autolanes_t ls = {0};
    jm_lane_write_point(lane(&ls, mf, JM_AUTO_READ), 2.0, -6.0f);
    jm_lane_write_point(lane(&ls, off, JM_AUTO_OFF), 0.0, 1.0f);  /* off: not played */
    lane(&ls, empty, JM_AUTO_READ);                               /* no points: not played */
    jm_lane_write_point(lane(&ls, wr, JM_AUTO_WRITE), 0.0, 0.0f); /* write: not played */
    jm_lane_t *kfl = lane(&ls, kf, JM_AUTO_TOUCH);
    jm_lane_write_point(kfl, 0.0, -20.0f);
    jm_lane_write_point(kfl, 1.0, 0.0f);
    jm_lane_t *kpl = lane(&ls, kp, JM_AUTO_LATCH);
    jm_lane_write_point(kpl, 0.5, -1.0f);

    jm_rtlanes_t *rt = jm_lanes_build_rt(&ls, &s->params, 48000.0);
    assert_non_null(rt);
    assert_int_equal(rt->n, 3); /* the order of the control thread's lanes */
    const jm_param_t *p[3] = {&s->params.p[mf], &s->params.p[kf], &s->params.p[kp]};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rt->lane[i].scope, p[i]->scope);
        assert_int_equal(rt->lane[i].field, p[i]->field);
        assert_int_equal(rt->lane[i].index, p[i]->owner);
    }
    assert_int_equal(rt->lane[1].n, 2);
    assert_true(rt->lane[1].frame[0] == 0.0 && rt->lane[1].frame[1] == 48000.0);
    assert_true(rt->lane[1].value[0] == -20.0f && rt->lane[1].value[1] == 0.0f);
    assert_true(rt->lane[0].frame[0] == 96000.0);
    free(rt);

    /* a touched touch lane and a latched latch lane stop playing */
    kfl->touched = 1;
    kpl->latched = 1;
    rt = jm_lanes_build_rt(&ls, &s->params, 48000.0);
    assert_non_null(rt);
    assert_int_equal(rt->n, 1);
    assert_int_equal(rt->lane[0].index, s->params.p[mf].owner);
    free(rt);

    /* nothing playing: an empty set, not NULL */
    jm_lanes_get(&ls, mf, 0)->mode = JM_AUTO_OFF;
    rt = jm_lanes_build_rt(&ls, &s->params, 48000.0);
    assert_non_null(rt);
    assert_int_equal(rt->n, 0);
    free(rt);
    jm_lanes_free(&ls);
}

/* What the audio thread reads: linear between points, held outside them,
 * the later point at a step; the same as the control thread's curve. */
static void test_what_audio_reads(void **state)
{
    const jm_session_t *s = *state;
    jm_autolanes_t ls = {0};
    jm_lane_t *l = lane(&ls, find(s, "/strip/kick/fader"), JM_AUTO_READ);
    jm_lane_write_point(l, 1.0, -40.0f);
    jm_lane_write_point(l, 2.0, -20.0f);
    jm_lane_write_point(l, 3.0, -20.0f);
    jm_lane_write_point(l, 3.0, -5.0f); /* a step */
    const double rate = 44100.0;
    jm_rtlanes_t *rt = jm_lanes_build_rt(&ls, &s->params, rate);
    assert_non_null(rt);
    const jm_rtlane_t *r = &rt->lane[0];
    assert_float_equal(jm_rtlane_eval(r, 0.0), -40.0f, 0.0f);
    assert_float_equal(jm_rtlane_eval(r, 1.5 * rate), -30.0f, 1e-4f);
    assert_float_equal(jm_rtlane_eval(r, 2.5 * rate), -20.0f, 0.0f);
    assert_float_equal(jm_rtlane_eval(r, 3.0 * rate), -5.0f, 0.0f);
    assert_float_equal(jm_rtlane_eval(r, 1e9), -5.0f, 0.0f);
    for (double t = 0.0; t < 4.0; t += 0.37)
        if (t != 3.0) assert_float_equal(jm_rtlane_eval(r, t * rate), jm_lane_eval(l, t), 1e-4f);
    free(rt);
    jm_lanes_free(&ls);
}

/* Points from the session (jm_lanes_init) and the state file are clamped to
 * the parameter's range and kept in time order before any build. */
static void test_points_clamped_in_order(void **state)
{
    const jm_session_t *s = *state;
    int kf = find(s, "/strip/kick/fader");
    const jm_param_def_t *d = s->params.p[kf].def;
    char path[] = "/tmp/jmt-lanes-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# jmixd state 1\n@lane /strip/kick/fader read\n0 -500\n1 99\n0.5 -3\n2 -6\n");
    fclose(f);
    jm_autolanes_t ls = {0};
    float *v = malloc(s->params.n * sizeof *v);
    assert_non_null(v);
    memcpy(v, s->values, s->params.n * sizeof *v);
    const jm_log_t quiet = {.level = JM_LOG_ERROR};
    assert_int_equal(jm_state_load(path, &s->params, v, &ls, NULL, &quiet), 0);
    unlink(path);
    jm_rtlanes_t *rt = jm_lanes_build_rt(&ls, &s->params, 1000.0);
    assert_non_null(rt);
    assert_int_equal(rt->n, 1);
    const jm_rtlane_t *r = &rt->lane[0];
    assert_int_equal(r->n, 3); /* 0.5 after 1 is out of order: skipped */
    assert_true(r->value[0] == d->min);
    assert_true(r->value[1] == d->max);
    assert_true(r->value[2] == -6.0f);
    assert_true(r->frame[0] == 0.0 && r->frame[1] == 1000.0 && r->frame[2] == 2000.0);
    free(rt);
    jm_lanes_free(&ls);

    /* and from the session: jm_lanes_init copies the loader's points */
    jm_session_t copy = *s;
    jm_autopoint_t pts[] = {{0.0, -10.0f}, {4.0, -2.0f}};
    jm_lane_cfg_t cfg = {.param = kf, .mode = JM_AUTO_READ, .n_points = 2, .points = pts};
    copy.lanes = &cfg;
    copy.n_lanes = 1;
    assert_int_equal(jm_lanes_init(&ls, &copy), 0);
    rt = jm_lanes_build_rt(&ls, &s->params, 48000.0);
    assert_non_null(rt);
    assert_int_equal(rt->n, 1);
    assert_int_equal(rt->lane[0].n, 2);
    assert_true(rt->lane[0].frame[1] == 4.0 * 48000.0 && rt->lane[0].value[1] == -2.0f);
    free(rt);
    jm_lanes_free(&ls);
    free(v);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A slow curve written by a controller at 1 kHz is thinned: every dropped
 * point stays within 0.1 dB of the curve the lane keeps (also one with
 * curvature: a constant slope of slope cannot hide it). */
static void test_write_thins(void **state)
{
    const jm_session_t *s = *state;
    int kf = find(s, "/strip/kick/fader");
    double tol = jm_lane_thin_tol(s->params.p[kf].def);
    assert_true(tol == JM_LANE_THIN_DB);
    assert_true(jm_lane_thin_tol(s->params.p[find(s, "/strip/kick/pan")].def) > 0.0);
    jm_autolanes_t ls = {0};
    jm_lane_t *l = lane(&ls, kf, JM_AUTO_WRITE);
    float prev = -40.0f;
    int n = 0;
    for (double t = 0.0; t < 4.0; t += 0.001, n++) {
        float v = (float)(-40.0 + 10.0 * t * t); /* a parabola: -40 to +120 clamped below */
        if (v > 0.0f) v = 0.0f;
        assert_int_equal(jm_lane_write(l, t, prev, v, 0.002, tol), 0);
        prev = v;
    }
    jm_lanes_sync(&ls);
    print_message("%d writes -> %d points\n", n, l->n);
    assert_true(l->n < n / 20);
    for (double t = 0.01; t < 1.99; t += 0.0007) {
        double want = -40.0 + 10.0 * t * t;
        double got = jm_lane_eval(l, t);
        /* the written curve is the controller's value, late by one write */
        double lag = -40.0 + 10.0 * (t - 0.001) * (t - 0.001);
        if (fabs(got - want) > tol + 0.03 && fabs(got - lag) > tol + 0.03)
            fail_msg("at %.4f s: lane %.4f, written %.4f", t, got, want);
    }
    jm_lanes_free(&ls);
}

/* A jagged flood fills the lane up to JM_LANE_MAX_POINTS: that write says
 * so once, later writes of the pass are ignored, and the lane keeps what
 * was written before. Each write costs the same however long the lane. */
static void test_write_cap_and_cost(void **state)
{
    const jm_session_t *s = *state;
    int kf = find(s, "/strip/kick/fader");
    jm_autolanes_t ls = {0};
    jm_lane_t *l = lane(&ls, kf, JM_AUTO_WRITE);
    int full = 0, ignored = 0, written = 0;
    double t0 = now_s(), t_first = 0.0;
    for (int k = 0; k < 50000; k++) {
        if (k == 1000) t_first = now_s() - t0;
        float v = k % 2 ? -20.0f : 0.0f;
        int rc = jm_lane_write(l, k * 0.001, k % 2 ? 0.0f : -20.0f, v, 0.0005, 0.1);
        if (rc == JM_LANE_FULL) full++;
        else if (rc == JM_LANE_IGNORED) ignored++;
        else written++;
    }
    double took = now_s() - t0;
    jm_lanes_sync(&ls);
    print_message("50000 jagged writes: %d written, %d full, %d ignored; lane %d points; "
                  "%.1f ms (first 1000: %.2f ms)\n", written, full, ignored, l->n, took * 1e3,
                  t_first * 1e3);
    assert_int_equal(full, 1);
    assert_true(ignored > 30000);
    assert_true(l->n <= JM_LANE_MAX_POINTS && l->n > JM_LANE_MAX_POINTS - 10);
    /* O(1) per write: 50 times the writes may not cost 500 times the time
     * (the old rebuild per write made it O(points)) */
    assert_true(took < 0.25 || took < 500.0 * t_first);
    jm_lane_hold(l, 60.0, -20.0f, 0.02);
    assert_true(l->n <= JM_LANE_MAX_POINTS);
    /* the next pass starts afresh: it may write over what is there */
    assert_int_not_equal(jm_lane_write(l, 0.0, 0.0f, -3.0f, 0.02, 0.1), JM_LANE_IGNORED);
    jm_lanes_free(&ls);
}

/* What the audio thread's autoplay sets: calls recorded. */
typedef struct {
    int n;
    float value;
    int32_t len;
} sets_t;

static void record_set(void *ctx, int scope, int field, int index, float value, int32_t len)
{
    (void)scope, (void)field, (void)index;
    sets_t *r = ctx;
    r->n++;
    r->value = value;
    r->len = len;
}

/* One run of the mixer over n frames: the transport, a step when active,
 * the advance (as jm_mixer_process). */
static sets_t run_cycle(jm_autoplay_t *a, int rolling, double frame, uint32_t n)
{
    sets_t r = {0};
    jm_autoplay_transport(a, rolling, frame);
    for (uint32_t off = 0; off < n; off += JM_AUTOPLAY_CHUNK) {
        if (jm_autoplay_active(a)) jm_autoplay_step(a, JM_AUTOPLAY_CHUNK, record_set, &r);
        jm_autoplay_advance(a, JM_AUTOPLAY_CHUNK);
    }
    return r;
}

/* A locate while stopped moves the lane's parameter to its value at the new
 * frame once, over the parameter's smoothing (len -1); standing still sets
 * nothing; rolling follows every chunk; stopping where it rolled is no
 * locate. */
static void test_locate_chases_lane(void **state)
{
    (void)state;
    static const double frames[] = {0.0, 48000.0};
    static const float values[] = {-20.0f, -6.0f};
    jm_rtlane_t lane = {.scope = 0, .field = 1, .index = 0, .n = 2, .frame = frames,
                        .value = values};
    jm_rtlanes_t set = {.n = 1, .lane = &lane};
    jm_autoplay_t *a = calloc(1, sizeof *a);
    jm_autoplay_init(a);
    jm_autoplay_lanes(a, &set);
    sets_t r = run_cycle(a, 0, 0.0, 64);
    assert_int_equal(r.n, 0); /* the first position seen is no locate */
    r = run_cycle(a, 0, 0.0, 64);
    assert_int_equal(r.n, 0);
    r = run_cycle(a, 0, 48000.0, 64); /* located to 1 s */
    assert_int_equal(r.n, 1);
    assert_float_equal(r.value, -6.0f, 0.0f);
    assert_int_equal(r.len, -1);
    r = run_cycle(a, 0, 48000.0, 64);
    assert_int_equal(r.n, 0);
    r = run_cycle(a, 0, 24000.0, 64); /* to 0.5 s: halfway */
    assert_int_equal(r.n, 1);
    assert_float_equal(r.value, -13.0f, 1e-5);
    r = run_cycle(a, 1, 24000.0, 64); /* rolls: every chunk, to its end */
    assert_int_equal(r.n, 64 / JM_AUTOPLAY_CHUNK);
    assert_float_equal(r.value, -20.0f + 14.0f * (24000.0f + 64.0f) / 48000.0f, 1e-4);
    assert_int_equal(r.len, JM_AUTOPLAY_CHUNK);
    r = run_cycle(a, 0, 24064.0, 64); /* stopped where the last cycle ended */
    assert_int_equal(r.n, 0);
    jm_autoplay_lanes(a, NULL);
    r = run_cycle(a, 0, 0.0, 64); /* no lanes: nothing to chase, and none later */
    assert_int_equal(r.n, 0);
    jm_autoplay_lanes(a, &set);
    r = run_cycle(a, 0, 0.0, 64);
    assert_int_equal(r.n, 0);
    free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_which_and_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_what_audio_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_points_clamped_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_thins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_cap_and_cost, setup, teardown),
        cmocka_unit_test(test_locate_chases_lane),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
