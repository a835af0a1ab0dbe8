/* Recorder: a frame counter encoded in the signal goes through write() from
 * a producer thread (JACK-sized blocks, paced faster than real time) and
 * must come back from the file complete, in order, without duplicates;
 * WAV/AIFF/FLAC formats; the header is valid while recording (as after
 * kill -9); errors; overflow accounting. */
#include "jmixd/io/recorder.h"

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
#define BLOCK 64u

static const jm_log_t quiet = {.level = JM_LOG_ERROR};
static char dir[256];

/* Frame k: L = low 16 bits, R = high 16 bits, each as v/65536 - 0.5, exact
 * in float and in 24-bit PCM. */
static void encode(uint64_t k, float *l, float *r)
{
    *l = (float)((double)(k & 0xffff) / 65536.0 - 0.5);
    *r = (float)((double)((k >> 16) & 0xffff) / 65536.0 - 0.5);
}

static uint64_t decode(float l, float r)
{
    uint64_t lo = (uint64_t)((l + 0.5) * 65536.0 + 0.5), hi = (uint64_t)((r + 0.5) * 65536.0 + 0.5);
    return (hi << 16) | lo;
}

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

typedef struct {
    jm_recorder_t *rec;
    uint64_t frames;  /* to write */
    double speed;     /* multiple of real time; 0: as fast as possible */
} prod_t;

static void *producer(void *arg)
{
    prod_t *p = arg;
    float l[BLOCK], r[BLOCK];
    long block_us = p->speed > 0 ? (long)(1e6 * BLOCK / RATE / p->speed) : 0;
    for (uint64_t k = 0; k < p->frames; k += BLOCK) {
        for (uint32_t i = 0; i < BLOCK; i++) encode(k + i, &l[i], &r[i]);
        jm_recorder_write(p->rec, l, r, BLOCK);
        if (block_us) sleep_us(block_us);
    }
    return NULL;
}

/* Read the file back: every frame k must decode to first + k. */
static uint64_t verify(const char *path, int want_format, uint64_t want_frames)
{
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf) fail_msg("cannot open %s: %s", path, sf_strerror(NULL));
    assert_int_equal(info.channels, 2);
    assert_int_equal(info.samplerate, RATE);
    assert_int_equal(info.format, want_format);
    if (want_frames) assert_int_equal((uint64_t)info.frames, want_frames);
    static float buf[2 * 4096];
    uint64_t k = 0;
    sf_count_t n;
    while ((n = sf_readf_float(sf, buf, 4096)) > 0) {
        for (sf_count_t i = 0; i < n; i++, k++) {
            uint64_t got = decode(buf[2 * i], buf[2 * i + 1]);
            if (got != (k & 0xffffffffu))
                fail_msg("%s: frame %llu holds %llu", path, (unsigned long long)k,
                         (unsigned long long)got);
        }
    }
    sf_close(sf);
    return k;
}

static void record(const char *name, int format, double seconds)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    jm_recorder_t *rec = jm_recorder_create(RATE, &quiet);
    assert_non_null(rec);
    char err[256] = "";
    if (jm_recorder_start(rec, dir, name, 0, err, sizeof err)) fail_msg("start: %s", err);
    prod_t p = {rec, (uint64_t)(seconds * RATE) / BLOCK * BLOCK, 8.0};
    pthread_t t;
    pthread_create(&t, NULL, producer, &p);
    pthread_join(t, NULL);
    int recording;
    double secs;
    uint64_t dropped;
    char got_path[512];
    jm_recorder_status(rec, &recording, got_path, sizeof got_path, &secs, &dropped);
    assert_int_equal(recording, 1);
    assert_string_equal(got_path, path);
    assert_int_equal(jm_recorder_stop(rec), 0);
    jm_recorder_status(rec, &recording, NULL, 0, &secs, &dropped);
    assert_int_equal(recording, 0);
    assert_int_equal(dropped, 0);
    assert_true(secs == (double)p.frames / RATE);
    uint64_t n = verify(path, format, p.frames);
    printf("  %s: %llu frames, all present, in order\n", name, (unsigned long long)n);
    assert_int_equal(n, p.frames);
    jm_recorder_destroy(rec);
}

static void test_wav_counter_5s(void **state)
{
    (void)state;
    record("count.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 5.0);
}

static void test_aiff_and_flac(void **state)
{
    (void)state;
    record("count.aiff", SF_FORMAT_AIFF | SF_FORMAT_FLOAT, 1.0);
    record("count.AIF", SF_FORMAT_AIFF | SF_FORMAT_FLOAT, 0.5);
    record("count.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24, 1.0);
}

/* A copy of the file taken mid-recording is what kill -9 leaves: it must
 * open and hold the frames so far, in order. WAV: the header covers exactly
 * the data on disk. FLAC: the length in the header is still 0 (unknown),
 * libsndfile reads the frames that libFLAC has written. */
static uint64_t crash_copy(const char *name, int format, uint64_t *size)
{
    char path[512], copy[600], cmd[1400], err[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(copy, sizeof copy, "%s/crash-%s", dir, name);
    jm_recorder_t *rec = jm_recorder_create(RATE, &quiet);
    assert_int_equal(jm_recorder_start(rec, dir, name, 0, err, sizeof err), 0);
    prod_t p = {rec, 2 * RATE, 2.0}; /* 2 s at 2x: 1 s of wall time */
    pthread_t t;
    pthread_create(&t, NULL, producer, &p);
    sleep_us(500000);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", path, copy);
    assert_int_equal(system(cmd), 0);
    pthread_join(t, NULL);
    assert_int_equal(jm_recorder_stop(rec), 0);
    jm_recorder_destroy(rec);
    struct stat st;
    assert_int_equal(stat(copy, &st), 0);
    *size = (uint64_t)st.st_size;
    uint64_t n = verify(copy, format, 0);
    printf("  %s copied mid-recording: %llu frames, %llu bytes\n", name, (unsigned long long)n,
           (unsigned long long)*size);
    return n;
}

static void test_valid_while_recording(void **state)
{
    (void)state;
    uint64_t size, n = crash_copy("live.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, &size);
    SF_INFO info = {0};
    char copy[600];
    snprintf(copy, sizeof copy, "%s/crash-live.wav", dir);
    SNDFILE *sf = sf_open(copy, SFM_READ, &info);
    assert_non_null(sf);
    sf_close(sf);
    assert_true(n > RATE / 4);
    assert_int_equal((uint64_t)info.frames, n);
    assert_true(size - n * 8 < 200); /* header only, no stray data */
    n = crash_copy("live.aiff", SF_FORMAT_AIFF | SF_FORMAT_FLOAT, &size);
    assert_true(n > RATE / 4);
    assert_true(size - n * 8 < 200);
    n = crash_copy("live.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24, &size);
    assert_true(n > RATE / 4);
}

static void test_errors_and_default_name(void **state)
{
    (void)state;
    jm_recorder_t *rec = jm_recorder_create(RATE, &quiet);
    char err[256], path[512];
    int recording;
    assert_int_equal(jm_recorder_start(rec, dir, "take.mp3", 0, err, sizeof err), -1);
    printf("  .mp3: %s\n", err);
    assert_non_null(strstr(err, "unsupported"));
    assert_int_equal(jm_recorder_start(rec, dir, "noext", 0, err, sizeof err), -1);
    assert_int_equal(jm_recorder_start(rec, "/proc/nonexistent/dir", "take.wav", 0, err,
                                       sizeof err), -1);
    printf("  unwritable: %s\n", err);
    assert_non_null(strstr(err, "cannot create"));
    jm_recorder_status(rec, &recording, NULL, 0, NULL, NULL);
    assert_int_equal(recording, 0);
    assert_int_equal(jm_recorder_stop(rec), -1); /* not recording */

    assert_int_equal(jm_recorder_start(rec, dir, NULL, 0, err, sizeof err), 0);
    assert_int_equal(jm_recorder_start(rec, dir, "again.wav", 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "already recording"));
    jm_recorder_status(rec, &recording, path, sizeof path, NULL, NULL);
    printf("  default name: %s\n", path);
    assert_int_equal(recording, 1);
    const char *base = strrchr(path, '/') + 1;
    assert_int_equal(strncmp(path, dir, strlen(dir)), 0);
    assert_int_equal(strncmp(base, "jmixd-", 6), 0);
    assert_int_equal(strlen(base), strlen("jmixd-YYYYmmdd-HHMMSS.wav"));
    assert_int_equal(jm_recorder_stop(rec), 0);
    assert_int_equal(access(path, R_OK), 0);
    jm_recorder_destroy(rec);
}

/* Writing far faster than any disk thread drains overflows the ring: every
 * frame is either in the file or counted as dropped, and the file stays in
 * order. Also: destroy while recording finalises the file. */
static void test_overflow_counted(void **state)
{
    (void)state;
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/flood.wav", dir);
    jm_recorder_t *rec = jm_recorder_create(RATE, &quiet);
    assert_int_equal(jm_recorder_start(rec, dir, "flood.wav", 0, err, sizeof err), 0);
    static float l[16384], r[16384];
    uint64_t total = 0;
    double secs;
    uint64_t dropped = 0;
    /* faster than any disk: the 4-s ring overflows within 64 blocks unless
     * this thread is preempted while the disk thread drains (seen once on a
     * loaded machine); then write on until a drop has been counted */
    for (int i = 0; i < 64 * 64 && (i < 64 || !dropped); i++, total += 16384) {
        jm_recorder_write(rec, l, r, 16384);
        jm_recorder_status(rec, NULL, NULL, 0, NULL, &dropped);
    }
    jm_recorder_status(rec, NULL, NULL, 0, &secs, &dropped);
    jm_recorder_destroy(rec); /* stops and finalises */
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    assert_non_null(sf);
    sf_close(sf);
    printf("  wrote %llu, file %lld, dropped %llu\n", (unsigned long long)total,
           (long long)info.frames, (unsigned long long)dropped);
    assert_true(dropped > 0);
    assert_int_equal((uint64_t)info.frames + dropped, total);
    assert_true(secs * RATE == (double)info.frames);
}

/* Names, never paths; never through a link, FIFO or existing file: a
 * taken name gets -2, -3 ... before the extension, and what is there is
 * left byte for byte as it was. */
static void test_names_links_and_fifos(void **state)
{
    (void)state;
    jm_recorder_t *rec = jm_recorder_create(RATE, &quiet);
    char err[256], path[600], target[600], link[600], fifo[600], sub[300];
    static const char *const bad[] = {"../up.wav", "a/b.wav", ".hidden.wav", "x..y.wav",
                                      "tab\tname.wav", "", "/etc/passwd.wav"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *name = bad[i][0] ? bad[i] : "\x01.wav";
        assert_int_equal(jm_recorder_start(rec, dir, name, 0, err, sizeof err), -1);
        printf("  '%s': %s\n", name, err);
        assert_non_null(strstr(err, "bad file name"));
    }
    char longname[128];
    memset(longname, 'a', 101);
    snprintf(longname + 97, sizeof longname - 97, ".wav");
    assert_int_equal(jm_recorder_start(rec, dir, longname, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "longer than"));

    /* an existing file, a link to a file outside, a FIFO: all kept */
    snprintf(sub, sizeof sub, "%s/recs", dir);
    snprintf(target, sizeof target, "%s/precious", dir);
    snprintf(path, sizeof path, "%s/taken.wav", sub);
    snprintf(link, sizeof link, "%s/link.wav", sub);
    snprintf(fifo, sizeof fifo, "%s/fifo.wav", sub);
    assert_int_equal(jm_recorder_start(rec, sub, "first.wav", 0, err, sizeof err), 0);
    assert_int_equal(jm_recorder_stop(rec), 0);
    struct stat st;
    assert_int_equal(stat(sub, &st), 0);
    printf("  folder created with mode %o\n", st.st_mode & 0777);
    assert_int_equal(st.st_mode & 0027, 0);
    FILE *f = fopen(target, "w");
    fputs("precious", f);
    fclose(f);
    f = fopen(path, "w");
    fputs("taken", f);
    fclose(f);
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    static const char *const names[] = {"taken.wav", "link.wav", "fifo.wav"};
    static const char *const want[] = {"taken-2.wav", "link-2.wav", "fifo-2.wav"};
    for (int i = 0; i < 3; i++) {
        char got[512], w[600];
        assert_int_equal(jm_recorder_start(rec, sub, names[i], 0, err, sizeof err), 0);
        jm_recorder_status(rec, NULL, got, sizeof got, NULL, NULL);
        snprintf(w, sizeof w, "%s/%s", sub, want[i]);
        printf("  %s exists: recorded to %s\n", names[i], got);
        assert_string_equal(got, w);
        assert_int_equal(jm_recorder_stop(rec), 0);
    }
    char buf[32] = "";
    f = fopen(target, "r");
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "precious");
    f = fopen(path, "r");
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "taken");
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    jm_recorder_destroy(rec);
}

/* Under the free-space floor the disk thread stops writing and poll says
 * so; the file is finished by stop. */
static void test_disk_floor(void **state)
{
    (void)state;
    jm_recorder_t *rec = jm_recorder_create(RATE, &quiet);
    char err[256], why[256];
    assert_int_equal(jm_recorder_start(rec, dir, "floor.wav", 1LL << 60, err, sizeof err), 0);
    int polled = 0;
    for (int i = 0; i < 200 && !(polled = jm_recorder_poll(rec, why, sizeof why)); i++)
        sleep_us(10000);
    printf("  floor: %s\n", why);
    assert_int_equal(polled, 1);
    assert_non_null(strstr(why, "floor"));
    jm_recorder_stop(rec);
    assert_int_equal(jm_recorder_poll(rec, why, sizeof why), 0);
    /* no floor: never */
    assert_int_equal(jm_recorder_start(rec, dir, "nofloor.wav", 0, err, sizeof err), 0);
    sleep_us(100000);
    assert_int_equal(jm_recorder_poll(rec, why, sizeof why), 0);
    assert_int_equal(jm_recorder_stop(rec), 0);
    jm_recorder_destroy(rec);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/jm_rec_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wav_counter_5s),
        cmocka_unit_test(test_aiff_and_flac),
        cmocka_unit_test(test_valid_while_recording),
        cmocka_unit_test(test_errors_and_default_name),
        cmocka_unit_test(test_overflow_counted),
        cmocka_unit_test(test_names_links_and_fifos),
        cmocka_unit_test(test_disk_floor),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
