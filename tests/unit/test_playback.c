/* Take playback against takes the multitrack recorder wrote: every sample
 * back at its frame through blocks of 1..256 frames, a locate while
 * playing (no stale frame after it), a seamless loop, the end of the take,
 * a missing file and a file of the wrong width playing silence, and no
 * underrun at any time. */
#include "jmixd/io/multitrack.h"
#include "jmixd/io/playback.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#define RATE 48000u
#define NS 3
#define FRAMES (2 * RATE + 1000) /* not a multiple of any block */

static const jm_log_t quiet = {.level = JM_LOG_ERROR};
static const jm_mtrack_strip_t strips[NS] = {{"kick", 0}, {"keys", 1}, {"bass", 0}};
static char root[64], folder[4096];

static float value(int chan, uint64_t frame) { return (float)(chan * 1000000 + (int)frame); }

static void nap_ms(int ms)
{
    struct timespec t = {0, ms * 1000000L};
    nanosleep(&t, NULL);
}

/* A take of FRAMES frames: strip channel c holds value(c, frame). */
static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/jm_pback_XXXXXX");
    assert_non_null(mkdtemp(root));
    jm_mtrack_t *m = jm_mtrack_create(RATE, NS, strips, 1.0, &quiet);
    char err[256];
    assert_int_equal(jm_mtrack_start(m, root, "take", 0, err, sizeof err), 0);
    static float buf[4][256], mst[256];
    for (uint64_t done = 0; done < FRAMES;) {
        uint32_t n = FRAMES - done < 256 ? (uint32_t)(FRAMES - done) : 256;
        for (int c = 0; c < 4; c++)
            for (uint32_t k = 0; k < n; k++) buf[c][k] = value(c, done + k);
        const float *in[2 * NS] = {buf[0], NULL, buf[1], buf[2], buf[3], NULL};
        jm_mtrack_write(m, in, mst, mst, n);
        done += n;
        nap_ms(1); /* give the disk thread time: 1 ms per 5 ms of audio */
    }
    uint64_t dropped;
    assert_int_equal(jm_mtrack_stop(m), 0);
    jm_mtrack_status(m, NULL, folder, sizeof folder, NULL, &dropped);
    assert_int_equal(dropped, 0);
    jm_mtrack_destroy(m);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

/* Reads n frames (waiting for the read-ahead once after an open or a
 * locate) and checks them against the take from frame `from` on; returns
 * the frame after them. */
static uint64_t check_block(jm_pback_t *p, uint32_t n, uint64_t from, int loop)
{
    const float *buf[2 * NS];
    assert_int_equal(jm_pback_read(p, n, buf), 1);
    for (uint32_t k = 0; k < n; k++) {
        uint64_t f = (from + k) % (loop ? FRAMES : UINT64_MAX);
        assert_true(f < FRAMES);
        assert_true(buf[0][k] == value(0, f));
        assert_true(buf[2][k] == value(1, f) && buf[3][k] == value(2, f));
        assert_true(buf[4][k] == value(3, f));
    }
    assert_null(buf[1]);
    assert_null(buf[5]);
    return from + n;
}

/* Until the disk thread has read ahead (read() is not called meanwhile). */
static void wait_filled(void) { nap_ms(100); }

/* After a locate: the audio side's part of the handshake (reads of 0
 * frames) until the position is the target, then the read-ahead. */
static void settle(jm_pback_t *p, uint64_t target)
{
    const float *buf[2 * NS];
    uint64_t pos = UINT64_MAX;
    for (int t = 0; t < 1000 && pos != target; t++) {
        jm_pback_read(p, 0, buf);
        jm_pback_status(p, NULL, &pos, NULL, NULL);
        nap_ms(1);
    }
    assert_int_equal(pos, target);
    wait_filled();
}

static void test_every_sample_locate_loop_end(void **state)
{
    (void)state;
    char err[256];
    int missing = -1;
    jm_pback_t *p = jm_pback_open(RATE, folder, NS, strips, 0.5, &quiet, &missing, err, sizeof err);
    assert_non_null(p);
    assert_int_equal(missing, 0);
    uint64_t len;
    jm_pback_status(p, NULL, NULL, &len, NULL);
    assert_int_equal(len, FRAMES);
    const float *buf[2 * NS];
    assert_int_equal(jm_pback_read(p, 64, buf), 0); /* stopped */
    wait_filled();
    jm_pback_play(p, 1);
    uint64_t at = 0;
    uint32_t seed = 9;
    /* 1 s in blocks of 1..256, as fast as the read-ahead allows */
    while (at < RATE) {
        seed = seed * 1664525u + 1013904223u;
        uint32_t n = 1 + (seed >> 8) % 256;
        at = check_block(p, n, at, 0);
        nap_ms(1);
    }
    /* locate while playing: silence at once, then exactly there */
    jm_pback_locate(p, 12345);
    assert_int_equal(jm_pback_read(p, 64, buf), 1);
    for (int k = 0; k < 64; k++) assert_true(buf[0][k] == 0.0f && buf[4][k] == 0.0f);
    settle(p, 12345);
    at = check_block(p, 100, 12345, 0);
    uint64_t pos;
    jm_pback_status(p, NULL, &pos, NULL, NULL);
    assert_int_equal(pos, 12445);
    /* loop: across the end without a seam */
    jm_pback_loop(p, 1);
    jm_pback_locate(p, FRAMES - 300);
    settle(p, FRAMES - 300);
    at = check_block(p, 256, FRAMES - 300, 1);
    at = check_block(p, 256, at, 1);
    jm_pback_status(p, NULL, &pos, NULL, NULL);
    assert_int_equal(pos, (FRAMES - 300 + 512) % FRAMES);
    /* no loop: the end stops it */
    jm_pback_loop(p, 0);
    jm_pback_locate(p, FRAMES - 100);
    settle(p, FRAMES - 100);
    check_block(p, 100, FRAMES - 100, 0);
    int playing = 1;
    for (int t = 0; t < 100 && playing; t++) {
        jm_pback_read(p, 64, buf);
        jm_pback_status(p, &playing, NULL, NULL, NULL);
        nap_ms(5);
    }
    assert_int_equal(playing, 0);
    uint64_t under;
    jm_pback_status(p, NULL, NULL, NULL, &under);
    assert_int_equal(under, 0);
    jm_pback_close(p);
}

static void test_missing_and_wrong_files(void **state)
{
    (void)state;
    char path[4200], err[256];
    snprintf(path, sizeof path, "%s/03 bass.wav", folder);
    assert_int_equal(unlink(path), 0);
    /* the console's strip 1 is stereo now: the mono file does not fit */
    jm_mtrack_strip_t other[NS] = {{"kick", 1}, {"keys", 1}, {"bass", 0}};
    int missing = -1;
    jm_pback_t *p = jm_pback_open(RATE, folder, NS, other, 0.5, &quiet, &missing, err, sizeof err);
    assert_non_null(p);
    assert_int_equal(missing, 2);
    wait_filled();
    jm_pback_play(p, 1);
    const float *buf[2 * NS];
    assert_int_equal(jm_pback_read(p, 256, buf), 1);
    for (int k = 0; k < 256; k++) {
        assert_true(buf[0][k] == 0.0f && buf[1][k] == 0.0f && buf[4][k] == 0.0f);
        assert_true(buf[2][k] == value(1, (uint64_t)k) && buf[3][k] == value(2, (uint64_t)k));
    }
    jm_pback_close(p);
    /* nothing usable at all: refused */
    jm_mtrack_strip_t none[1] = {{"nobody", 0}};
    assert_null(jm_pback_open(RATE, folder, 1, none, 0.5, &quiet, &missing, err, sizeof err));
    assert_non_null(strstr(err, "no strip file"));
    assert_int_equal(jm_pback_read(NULL, 64, buf), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_sample_locate_loop_end),
        cmocka_unit_test(test_missing_and_wrong_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
