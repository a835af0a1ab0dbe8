/* The analyser's tap and thread (JM_CMD_RTA in engine/mixer.h, io/rtameter.h):
 * the mixer writes exactly the selected signal into the ring (a strip after
 * its trim and chain, before its fader; the master after its fader), and
 * nothing with the source off or pointed elsewhere; the analyser thread posts
 * readings of the tap's level while on and runs no block while off. */
#include "jmixd/engine/mixer.h"
#include "jmixd/io/rtameter.h"
#include "jmixd/session/params.h"
#include "jmixd/util/ring.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "mixer_fixture.h"

#define RATE 48000
#define BLOCK 64

static const char names[3][JM_NAME_MAX] = {"a", "b", "c"};

typedef struct {
    jm_paramset_t ps;
    float *values;
    jm_mixer_t *m;
    uint8_t stereo[3];
    jm_ring_t ring;
} fx_t;

static fx_t *make(void)
{
    fx_t *f = calloc(1, sizeof *f);
    jm_topo_names_t tn = {.n_strips = 3, .strip_names = names};
    assert_int_equal(jm_params_build(&f->ps, &tn), 0);
    f->values = mfx_defaults(&f->ps);
    f->stereo[2] = 1;
    jm_mixer_config_t cfg = {.n_strips = 3, .stereo = f->stereo, .rate = RATE, .meter_frames = 2400};
    f->m = jm_mixer_create(&cfg, &f->ps, f->values);
    assert_non_null(f->m);
    assert_int_equal(jm_ring_init(&f->ring, 1 << 16), 0);
    return f;
}

static void drop(fx_t *f)
{
    jm_mixer_destroy(f->m);
    jm_params_free(&f->ps);
    jm_ring_free(&f->ring);
    free(f->values);
    free(f);
}

static void set(fx_t *f, const char *path, float v) { mfx_set(f->m, &f->ps, path, v); }

static void source(fx_t *f, int kind, int index)
{
    jm_cmd_t c = {.type = JM_CMD_RTA, .field = (uint16_t)kind, .index = (uint16_t)index,
                  .ptr = kind == JM_RTA_SRC_OFF ? NULL : &f->ring};
    jm_mixer_apply(f->m, &c);
}

/* n blocks: strip a gets xa, b xb, c (stereo) xc on both sides. */
static void run(fx_t *f, float xa, float xb, float xc, int blocks)
{
    float ia[BLOCK], ib[BLOCK], ic[BLOCK], ol[BLOCK], or_[BLOCK];
    for (int k = 0; k < BLOCK; k++) ia[k] = xa, ib[k] = xb, ic[k] = xc;
    const float *in[6] = {ia, NULL, ib, NULL, ic, ic};
    for (int b = 0; b < blocks; b++) jm_mixer_process(f->m, in, ol, or_, BLOCK, NULL);
}

/* Frames in the ring, and its last frame. */
static size_t ring_last(fx_t *f, float *l, float *r)
{
    const float *seg[2];
    size_t len[2], n = jm_ring_peek(&f->ring, seg, len);
    if (n) {
        const float *last = len[1] ? seg[1] + 2 * (len[1] - 1) : seg[0] + 2 * (len[0] - 1);
        *l = last[0];
        *r = last[1];
    }
    jm_ring_release(&f->ring, n);
    return n;
}

static void test_tap_is_the_selected_signal(void **s)
{
    (void)s;
    fx_t *f = make();
    float l = 0, r = 0;
    run(f, 0.5f, 0.25f, 0.125f, 4);
    assert_int_equal(ring_last(f, &l, &r), 0); /* off by default: nothing */
    /* strip 1 (the SIMD path for mono strips): after trim, before the fader */
    set(f, "/strip/1/trim", 6.0f);
    set(f, "/strip/1/fader", -20.0f);
    source(f, JM_RTA_SRC_STRIP, 0);
    run(f, 0.5f, 0.25f, 0.125f, 40);
    assert_int_equal(ring_last(f, &l, &r), 40 * BLOCK);
    assert_float_equal(l, 0.5 * pow(10.0, 6.0 / 20.0), 1e-4);
    assert_float_equal(r, l, 0.0f); /* mono: the same on both sides */
    /* the stereo strip (the scalar path) */
    source(f, JM_RTA_SRC_STRIP, 2);
    run(f, 0.5f, 0.25f, 0.125f, 40);
    assert_int_equal(ring_last(f, &l, &r), 40 * BLOCK);
    assert_float_equal(l, 0.125f, 1e-6);
    assert_float_equal(r, 0.125f, 1e-6);
    /* the master: strip 2 alone at unity, centre pan -3 dB, after the master fader */
    set(f, "/strip/1/mute", 1.0f);
    set(f, "/strip/3/mute", 1.0f);
    set(f, "/master/fader", -6.0f);
    source(f, JM_RTA_SRC_MASTER, 0);
    run(f, 0.5f, 0.25f, 0.125f, 100);
    assert_int_equal(ring_last(f, &l, &r), 100 * BLOCK);
    assert_float_equal(l, 0.25 * pow(10.0, (-6.0 - 3.0103) / 20.0), 1e-3);
    assert_float_equal(r, l, 1e-6);
    /* a bus that does not exist taps nothing; off taps nothing */
    source(f, JM_RTA_SRC_BUS, 0);
    run(f, 0.5f, 0.25f, 0.125f, 4);
    assert_int_equal(ring_last(f, &l, &r), 0);
    source(f, JM_RTA_SRC_OFF, 0);
    run(f, 0.5f, 0.25f, 0.125f, 4);
    assert_int_equal(ring_last(f, &l, &r), 0);
    drop(f);
}

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static void test_meter_thread(void **s)
{
    (void)s;
    jm_rtameter_t *m = jm_rtameter_create(RATE, 20.0f, NULL);
    assert_non_null(m);
    float db[JM_RTA_BANDS];
    static float x[RATE];
    for (int k = 0; k < RATE; k++) x[k] = (float)(0.25 * sin(2.0 * M_PI * 1000.0 * k / RATE));
    /* off: what is written is never analysed */
    jm_ring_write(jm_rtameter_ring(m), x, x, 4800);
    sleep_ms(100);
    assert_int_equal(jm_rtameter_blocks(m), 0);
    assert_int_equal(jm_rtameter_read(m, db), 0);
    /* on: a reading per 2400 frames, the 1 kHz band at -12 dBFS */
    jm_rtameter_select(m, 1);
    /* the thread (asleep up to 100 ms while off) drops what the ring held
     * before the selection */
    sleep_ms(150);
    int got = 0;
    float last[JM_RTA_BANDS];
    uint32_t fed = 0;
    for (int t = 0; t < 500 && got < 20; t++) {
        /* up to 0.1 s of audio per 20 ms; what the ring (0.5 s) cannot
         * take yet goes in later, so a slow machine only takes longer */
        uint32_t n = RATE - fed < 4800 ? RATE - fed : 4800;
        if (n) fed += jm_ring_write(jm_rtameter_ring(m), x + fed, x + fed, n);
        while (jm_rtameter_read(m, db)) {
            memcpy(last, db, sizeof db);
            got++;
        }
        sleep_ms(20);
    }
    assert_int_equal(got, 20);
    assert_float_equal(last[17], -12.0, 0.2);
    for (int b = 0; b < JM_RTA_BANDS; b++) if (b != 17) assert_true(last[b] < last[17] - 12.0f);
    uint64_t n = jm_rtameter_blocks(m);
    assert_true(n >= 20);
    /* off again: readings stop, blocks do not move */
    jm_rtameter_select(m, 0);
    sleep_ms(50);
    while (jm_rtameter_read(m, db)) {}
    n = jm_rtameter_blocks(m);
    jm_ring_write(jm_rtameter_ring(m), x, x, 4800);
    sleep_ms(100);
    assert_int_equal(jm_rtameter_blocks(m), n);
    assert_int_equal(jm_rtameter_read(m, db), 0);
    jm_rtameter_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tap_is_the_selected_signal),
        cmocka_unit_test(test_meter_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
