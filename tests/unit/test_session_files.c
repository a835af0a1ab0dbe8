/* Session files and the files a controller may name (issue 14): the
 * loader refuses what is not a small regular file before libconfig sees it
 * (a FIFO, /dev/zero, 5 MiB, an @include behind any amount of whitespace
 * naming a folder); the new keys recordings, sessions, record_min_free_mb
 * load, save and reload; the folders resolve without ever being cut; a
 * named save never overwrites and never follows a link. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "jmixd/session/save.h"
#include "jmixd/session/session.h"
#include "jmixd/util/safefile.h"

static char tmpdir[256];

static void tpath(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", tmpdir, name);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) fail_msg("cannot write %s: %s", path, strerror(errno));
    fputs(text, f);
    fclose(f);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* load must fail, fast, with want in the message */
static void load_refused(const char *path, const char *want)
{
    char err[JM_ERR_MAX];
    jm_session_t s;
    double t0 = now_s();
    int rc = jm_session_load(&s, path, err, sizeof err);
    double dt = now_s() - t0;
    if (rc == 0) {
        jm_session_free(&s);
        fail_msg("%s loaded", path);
    }
    printf("  %s: %s (%.1f ms)\n", path, err, dt * 1e3);
    if (!strstr(err, want)) fail_msg("%s: want \"%s\" in \"%s\"", path, want, err);
    assert_true(dt < 1.0);
}

static void test_not_regular(void **state)
{
    (void)state;
    char fifo[300], big[300], folder[300];
    load_refused("/dev/zero", "/dev/zero:0: not a regular file");
    load_refused("/dev/null", "not a regular file");
    tpath(fifo, sizeof fifo, "fifo.cfg");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    load_refused(fifo, "not a regular file"); /* must not block waiting for a writer */
    tpath(folder, sizeof folder, "");
    load_refused(folder, "not a regular file");
    tpath(big, sizeof big, "big.cfg");
    FILE *f = fopen(big, "w");
    for (int i = 0; i < 5 * 1024; i++) fprintf(f, "%-1023s\n", "# padding");
    fclose(f);
    load_refused(big, "larger than 4 MiB");
}

static void test_includes(void **state)
{
    (void)state;
    char main_cfg[300], text[8192], inc[300], fifo[300];
    tpath(main_cfg, sizeof main_cfg, "inc_main.cfg");
    tpath(inc, sizeof inc, "inc_part.cfg");
    tpath(fifo, sizeof fifo, "inc_fifo.cfg");
    /* any whitespace, however long, before and after the keyword */
    static const char *const gaps[] = {" ", "\t", "\t \r\f\v"};
    for (size_t g = 0; g < 3; g++) {
        int n = snprintf(text, sizeof text, "# x\n%s@include", gaps[g]);
        for (int i = 0; i < 3000; i++) text[n++] = gaps[g][i % strlen(gaps[g])];
        snprintf(text + n, sizeof text - (size_t)n, "\".\"\n");
        write_text(main_cfg, text);
        load_refused(main_cfg, ":2: @include \".\" does not name a file");
    }
    assert_int_equal(mkfifo(fifo, 0600), 0);
    write_text(main_cfg, "@include \"inc_fifo.cfg\"\n");
    load_refused(main_cfg, "does not name a file: not a regular file");
    write_text(main_cfg, "@include \"/dev/zero\"\n");
    load_refused(main_cfg, "does not name a file: not a regular file");
    write_text(main_cfg, "@include \"a\\\"b\"\n");
    load_refused(main_cfg, "expected a file name in quotes");
    /* an include of itself: bounded, not endless */
    write_text(main_cfg, "@include \"inc_main.cfg\"\n@include \"inc_main.cfg\"\n");
    load_refused(main_cfg, "@include");
    /* a good one still works */
    write_text(inc, "master = { fader = -3.0; };\n");
    write_text(main_cfg, "strips = ( );\n   @include    \"inc_part.cfg\"\n");
    jm_session_t s;
    char err[JM_ERR_MAX];
    if (jm_session_load(&s, main_cfg, err, sizeof err)) fail_msg("%s", err);
    jm_session_free(&s);
}

static void test_keys_round_trip(void **state)
{
    (void)state;
    char cfg[300], out[300], err[JM_ERR_MAX];
    tpath(cfg, sizeof cfg, "keys.cfg");
    tpath(out, sizeof out, "keys_out.cfg");
    write_text(cfg, "recordings = \"/srv/takes\";\nsessions = \"/srv/mixes\";\n"
                    "record_min_free_mb = 4096;\nstrips = ( );\n");
    jm_session_t s, r;
    if (jm_session_load(&s, cfg, err, sizeof err)) fail_msg("%s", err);
    assert_string_equal(s.recordings, "/srv/takes");
    assert_string_equal(s.sessions, "/srv/mixes");
    assert_int_equal(s.record_min_free_mb, 4096);
    assert_int_equal(jm_session_save(&s, NULL, NULL, 0, out, err, sizeof err), 0);
    if (jm_session_load(&r, out, err, sizeof err)) fail_msg("%s", err);
    assert_string_equal(r.recordings, "/srv/takes");
    assert_string_equal(r.sessions, "/srv/mixes");
    assert_int_equal(r.record_min_free_mb, 4096);
    jm_session_free(&r);
    jm_session_free(&s);
    write_text(cfg, "strips = ( );\n");
    if (jm_session_load(&s, cfg, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(s.record_min_free_mb, 1024);
    assert_string_equal(s.recordings, "");
    jm_session_free(&s);
}

static void test_resolve_folders(void **state)
{
    (void)state;
    char cfg[300], err[JM_ERR_MAX], want[400];
    tpath(cfg, sizeof cfg, "res.cfg");
    write_text(cfg, "strips = ( );\n");
    jm_session_t s;
    if (jm_session_load(&s, cfg, err, sizeof err)) fail_msg("%s", err);
    /* the state folder */
    assert_int_equal(jm_session_resolve_folders(&s, "/var/lib/jmixd/state.cfg", err, sizeof err), 0);
    assert_string_equal(s.recordings_dir, "/var/lib/jmixd/recordings");
    assert_string_equal(s.sessions_dir, "/var/lib/jmixd/sessions");
    assert_int_equal(jm_session_resolve_folders(&s, "state.cfg", err, sizeof err), 0);
    assert_string_equal(s.recordings_dir, "./recordings");
    /* no state file: the session file's folder */
    assert_int_equal(jm_session_resolve_folders(&s, NULL, err, sizeof err), 0);
    snprintf(want, sizeof want, "%s/recordings", tmpdir);
    assert_string_equal(s.recordings_dir, want);
    /* given in the session: as given */
    snprintf(s.recordings, sizeof s.recordings, "/srv/takes");
    assert_int_equal(jm_session_resolve_folders(&s, "/x/state.cfg", err, sizeof err), 0);
    assert_string_equal(s.recordings_dir, "/srv/takes");
    assert_string_equal(s.sessions_dir, "/x/sessions");
    /* too long: refused, never cut */
    char longp[1200];
    memset(longp, 'a', sizeof longp - 1);
    longp[0] = '/';
    longp[sizeof longp - 1] = '\0';
    assert_int_equal(jm_session_resolve_folders(&s, longp, err, sizeof err), -1);
    printf("  long --state: %s\n", err);
    assert_non_null(strstr(err, "longer than"));
    memset(longp, 'b', 1015); /* the state path fits, its folder + /recordings does not */
    longp[0] = '/';
    snprintf(longp + 1015, sizeof longp - 1015, "/s.cfg");
    s.recordings[0] = '\0';
    assert_int_equal(jm_session_resolve_folders(&s, longp, err, sizeof err), -1);
    printf("  long folder: %s\n", err);
    assert_non_null(strstr(err, "longer than"));
    jm_session_free(&s);
}

static void test_save_new(void **state)
{
    (void)state;
    char cfg[300], err[JM_ERR_MAX], dir[300], path[400], target[300], link[400];
    tpath(cfg, sizeof cfg, "sn.cfg");
    tpath(dir, sizeof dir, "saved/deeper");
    tpath(target, sizeof target, "precious.txt");
    write_text(cfg, "strips = ( { name = \"a\"; input = [ ]; } );\n");
    write_text(target, "precious");
    jm_session_t s;
    if (jm_session_load(&s, cfg, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(jm_session_save_new(&s, NULL, NULL, 0, dir, "one.cfg", err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/one.cfg", dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777 & ~0640, 0);
    assert_int_equal(stat(dir, &st), 0);
    printf("  folder mode %o, file saved\n", st.st_mode & 0777);
    assert_int_equal(st.st_mode & 0027, 0);
    jm_session_t r;
    if (jm_session_load(&r, path, err, sizeof err)) fail_msg("%s", err);
    jm_session_free(&r);
    /* never overwritten, whatever is there */
    assert_int_equal(jm_session_save_new(&s, NULL, NULL, 0, dir, "one.cfg", err, sizeof err), -1);
    printf("  again: %s\n", err);
    assert_non_null(strstr(err, "exists already"));
    snprintf(link, sizeof link, "%s/link.cfg", dir);
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(jm_session_save_new(&s, NULL, NULL, 0, dir, "link.cfg", err, sizeof err), -1);
    FILE *f = fopen(target, "r");
    char buf[32] = "";
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "precious");
    static const char *const bad[] = {"../x.cfg", "/tmp/owned", ".x", "a/b", "x\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(jm_session_save_new(&s, NULL, NULL, 0, dir, bad[i], err, sizeof err), -1);
        assert_non_null(strstr(err, "bad file name"));
    }
    jm_session_free(&s);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/jm_sfiles_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_regular),
        cmocka_unit_test(test_includes),
        cmocka_unit_test(test_keys_round_trip),
        cmocka_unit_test(test_resolve_folders),
        cmocka_unit_test(test_save_new),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
