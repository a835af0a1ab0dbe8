/* Multitrack recorder: every strip's input and the master, one file each,
 * written by the disk thread from blocks of 1..256 frames fed from another
 * thread (standing in for the audio thread) at ~10x real time: every file
 * exists with its name, has the strip's channel count, the same length
 * and, sample for sample, what was fed at the same frame (alignment to the
 * frame); no frame dropped; take names (collision, bad name); stop and
 * start errors; the free-space floor. */
#include "jmixd/io/multitrack.h"

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <sndfile.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#define RATE 48000u
#define STRIPS 16
#define SECONDS 10

static const jm_log_t quiet = {.level = JM_LOG_ERROR};

/* channel id (strips' channels in order, then master L, R) and frame ->
 * sample: exact in float and in a float WAV */
static float value(int chan, uint64_t frame) { return (float)(chan * 100000 + (int)(frame % 100000)); }

static int is_stereo(int s) { return s == 2 || s == 6 || s == 13; }

typedef struct {
    jm_mtrack_t *m;
    uint64_t frames;
} feed_t;

/* the "audio thread": blocks of 1..256 frames, paced at ~10x real time */
static void *feeder(void *arg)
{
    feed_t *f = arg;
    static float buf[2 * STRIPS + 2][256];
    const float *in[2 * STRIPS];
    uint32_t seed = 5;
    uint64_t done = 0, total = (uint64_t)SECONDS * RATE;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (done < total) {
        seed = seed * 1664525u + 1013904223u;
        uint32_t n = 1 + (seed >> 8) % 256;
        if (n > total - done) n = (uint32_t)(total - done);
        int chan = 0;
        for (int s = 0; s < STRIPS; s++) {
            for (int c = 0; c < (is_stereo(s) ? 2 : 1); c++, chan++)
                for (uint32_t k = 0; k < n; k++) buf[chan][k] = value(chan, done + k);
            in[2 * s] = buf[chan - (is_stereo(s) ? 2 : 1)];
            in[2 * s + 1] = is_stereo(s) ? buf[chan - 1] : NULL;
        }
        for (uint32_t k = 0; k < n; k++) {
            buf[chan][k] = value(chan, done + k);
            buf[chan + 1][k] = value(chan + 1, done + k);
        }
        jm_mtrack_write(f->m, in, buf[chan], buf[chan + 1], n);
        done += n;
        /* pace: audio time / 10 ahead of wall time at most */
        for (;;) {
            struct timespec t;
            clock_gettime(CLOCK_MONOTONIC, &t);
            double wall = (double)(t.tv_sec - t0.tv_sec) + 1e-9 * (double)(t.tv_nsec - t0.tv_nsec);
            if ((double)done / RATE / 10.0 <= wall) break;
            struct timespec ms = {0, 1000000L};
            nanosleep(&ms, NULL);
        }
    }
    f->frames = done;
    return NULL;
}

static char root[64];

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/jm_mtrack_XXXXXX");
    assert_non_null(mkdtemp(root));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static jm_mtrack_t *make(double ring_s)
{
    static char names[STRIPS][16];
    jm_mtrack_strip_t st[STRIPS];
    for (int s = 0; s < STRIPS; s++) {
        snprintf(names[s], sizeof names[s], s == 4 ? "bad/name" : "ch %d", s + 1);
        st[s] = (jm_mtrack_strip_t){names[s], is_stereo(s)};
    }
    return jm_mtrack_create(RATE, STRIPS, st, ring_s, &quiet);
}

static void test_take_aligned_to_the_frame(void **state)
{
    (void)state;
    jm_mtrack_t *m = make(2.0);
    assert_non_null(m);
    char err[256], dir[128], folder[4096];
    snprintf(dir, sizeof dir, "%s/recordings", root);
    assert_int_equal(jm_mtrack_start(m, dir, "gig", 0, err, sizeof err), 0);
    feed_t f = {m, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, feeder, &f), 0);
    pthread_join(th, NULL);
    int rec;
    double secs;
    uint64_t dropped;
    jm_mtrack_status(m, &rec, folder, sizeof folder, &secs, &dropped);
    assert_int_equal(rec, 1);
    assert_int_equal(jm_mtrack_stop(m), 0);
    jm_mtrack_status(m, &rec, folder, sizeof folder, &secs, &dropped);
    assert_int_equal(rec, 0);
    assert_int_equal(dropped, 0);
    assert_true(fabs(secs - SECONDS) < 1e-9);
    char want[256];
    snprintf(want, sizeof want, "%s/gig", dir);
    assert_string_equal(folder, want);
    /* every file: name, channels, length, every sample */
    int chan = 0;
    static float buf[4096 * 2];
    for (int s = 0; s <= STRIPS; s++) {
        char path[4200];
        if (s == STRIPS) snprintf(path, sizeof path, "%s/master.wav", folder);
        else if (s == 4) snprintf(path, sizeof path, "%s/05.wav", folder); /* name with '/' */
        else snprintf(path, sizeof path, "%s/%02d ch %d.wav", folder, s + 1, s + 1);
        SF_INFO info = {0};
        SNDFILE *sf = sf_open(path, SFM_READ, &info);
        if (!sf) fprintf(stderr, "cannot open %s\n", path);
        assert_non_null(sf);
        int ch = s == STRIPS ? 2 : is_stereo(s) ? 2 : 1;
        assert_int_equal(info.channels, ch);
        assert_int_equal(info.samplerate, RATE);
        assert_int_equal(info.frames, (sf_count_t)SECONDS * RATE);
        assert_int_equal(info.format, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
        uint64_t frame = 0, bad = 0;
        sf_count_t got;
        while ((got = sf_readf_float(sf, buf, 4096)) > 0) {
            for (sf_count_t i = 0; i < got; i++, frame++)
                for (int c = 0; c < ch; c++)
                    if (buf[i * ch + c] != value(chan + c, frame)) bad++;
        }
        assert_int_equal(bad, 0);
        assert_int_equal(frame, (uint64_t)SECONDS * RATE);
        sf_close(sf);
        chan += ch;
    }
    /* the same name again: gig-2; a bad name: refused, nothing made */
    assert_int_equal(jm_mtrack_start(m, dir, "gig", 0, err, sizeof err), 0);
    assert_int_equal(jm_mtrack_start(m, dir, "again", 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "already recording"));
    assert_int_equal(jm_mtrack_stop(m), 0);
    jm_mtrack_status(m, NULL, folder, sizeof folder, NULL, NULL);
    snprintf(want, sizeof want, "%s/gig-2", dir);
    assert_string_equal(folder, want);
    assert_int_equal(jm_mtrack_stop(m), -1); /* nothing running */
    assert_int_equal(jm_mtrack_start(m, dir, "../escape", 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "bad take name"));
    struct stat st;
    char esc[128];
    snprintf(esc, sizeof esc, "%s/escape", root);
    assert_int_not_equal(stat(esc, &st), 0);
    jm_mtrack_destroy(m);
}

/* A disk under the free-space floor: the disk thread stops writing within
 * about a second, poll says why, stop ends the take with its files whole. */
static void test_disk_floor(void **state)
{
    (void)state;
    jm_mtrack_t *m = make(1.0);
    char err[256], dir[128], why[256], folder[4096];
    snprintf(dir, sizeof dir, "%s/floor", root);
    assert_int_equal(jm_mtrack_start(m, dir, "full", (long long)1 << 62, err, sizeof err), 0);
    static float z[64];
    const float *in[2 * STRIPS];
    for (int s = 0; s < 2 * STRIPS; s++) in[s] = z;
    int hit = 0;
    for (int t = 0; t < 300 && !hit; t++) {
        jm_mtrack_write(m, in, z, z, 64);
        struct timespec ms = {0, 10000000L};
        nanosleep(&ms, NULL);
        hit = jm_mtrack_poll(m, why, sizeof why);
    }
    assert_int_equal(hit, 1);
    assert_non_null(strstr(why, "under the"));
    assert_int_equal(jm_mtrack_stop(m), 0);
    assert_int_equal(jm_mtrack_poll(m, why, sizeof why), 0); /* stopped */
    jm_mtrack_status(m, NULL, folder, sizeof folder, NULL, NULL);
    char path[4200];
    snprintf(path, sizeof path, "%s/master.wav", folder);
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    assert_non_null(sf); /* a whole file, if a short one */
    assert_int_equal(info.channels, 2);
    sf_close(sf);
    jm_mtrack_destroy(m);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    jm_mtrack_strip_t s = {"a", 0};
    assert_null(jm_mtrack_create(RATE, 1, &s, 0.1, &quiet));  /* ring too short */
    assert_null(jm_mtrack_create(RATE, 1, NULL, 2.0, &quiet));
    assert_null(jm_mtrack_create(1000, 1, &s, 2.0, &quiet));
    jm_mtrack_t *m = jm_mtrack_create(RATE, 0, NULL, 1.0, &quiet); /* master only */
    assert_non_null(m);
    jm_mtrack_write(m, NULL, NULL, NULL, 64); /* not recording: a no-op */
    jm_mtrack_destroy(m);
    jm_mtrack_write(NULL, NULL, NULL, NULL, 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_take_aligned_to_the_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disk_floor, setup, teardown),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
