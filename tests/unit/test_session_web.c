/* The web section of a session (docs/session.md, "web"): port, origins,
 * hosts and idle_seconds are read and checked, and /session/save writes
 * them back so that they load again unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <unistd.h>

#include "jmixd/session/save.h"
#include "jmixd/session/session.h"

static char tmpdir[64];

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) fail_msg("cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

/* Load TEXT: 0, or -1 with err after the "FILE:" prefix in *msg. */
static int load_text(jm_session_t *s, const char *text, char *err, size_t cap, const char **msg)
{
    char path[128];
    snprintf(path, sizeof path, "%s/s.cfg", tmpdir);
    write_text(path, text);
    int rc = jm_session_load(s, path, err, cap);
    *msg = rc ? err + strlen(path) + 1 : "";
    return rc;
}

static void test_defaults(void **state)
{
    (void)state;
    jm_session_t s;
    char err[JM_ERR_MAX];
    const char *msg;
    if (load_text(&s, "web = { port = 9000; };\n", err, sizeof err, &msg))
        fail_msg("%s", err);
    assert_int_equal(s.web_port, 9000);
    assert_int_equal(s.web_idle_seconds, 0); /* the web surface's default, 60 */
    assert_int_equal(s.n_web_origins, 0);
    assert_int_equal(s.n_web_hosts, 0);
    jm_session_free(&s);
}

static const char *const FULL =
    "strips = ( { name = \"kick\"; } );\n"
    "web = { port = 8081; idle_seconds = 5;\n"
    "        origins = [ \"http://tablet.studio:9000\", \"https://console.example\" ];\n"
    "        hosts = [ \"console.studio\", \"mixer.example:80\" ]; };\n";

static void check_full(const jm_session_t *s)
{
    assert_int_equal(s->web_port, 8081);
    assert_int_equal(s->web_idle_seconds, 5);
    assert_int_equal(s->n_web_origins, 2);
    assert_string_equal(s->web_origins[0], "http://tablet.studio:9000");
    assert_string_equal(s->web_origins[1], "https://console.example");
    assert_int_equal(s->n_web_hosts, 2);
    assert_string_equal(s->web_hosts[0], "console.studio");
    assert_string_equal(s->web_hosts[1], "mixer.example:80");
}

static void test_keys_and_round_trip(void **state)
{
    (void)state;
    jm_session_t s, t;
    char err[JM_ERR_MAX], out[128];
    const char *msg;
    if (load_text(&s, FULL, err, sizeof err, &msg)) fail_msg("%s", err);
    check_full(&s);
    snprintf(out, sizeof out, "%s/saved.cfg", tmpdir);
    if (jm_session_save(&s, s.values, s.lanes, s.n_lanes, out, err, sizeof err))
        fail_msg("save: %s", err);
    if (jm_session_load(&t, out, err, sizeof err)) fail_msg("saved session: %s", err);
    check_full(&t);
    jm_session_free(&t);
    jm_session_free(&s);
    unlink(out);
}

typedef struct {
    const char *web;    /* the inside of web = { ... } */
    const char *msg;    /* expected start of the error after "FILE:" */
} bad_t;

static const bad_t bad[] = {
    {"origins = \"http://a.example\";", "1: web.origins: expected an array of strings"},
    {"origins = [ \"a.example\" ];", "1: web.origins: 'a.example' is not like"},
    {"origins = [ \"http://a.example/\" ];", "1: web.origins: 'http://a.example/' is not like"},
    {"origins = [ \"http://a.example:0\" ];", "1: web.origins: 'http://a.example:0' is not"},
    {"origins = [ \"ftp://a.example\" ];", "1: web.origins: 'ftp://a.example' is not like"},
    {"origins = [ \"\" ];", "1: web.origins: must not be empty"},
    {"origins = [ 7 ];", "1: web.origins: expected a string"},
    {"hosts = [ \"a b\" ];", "1: web.hosts: 'a b' is not like"},
    {"hosts = [ \"a.example:99999\" ];", "1: web.hosts: 'a.example:99999' is not like"},
    {"hosts = [ \"[::1]\" ];", "1: web.hosts: '[::1]' is not like"},
    {"hosts = [ \"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\","
     "\"a\",\"a\",\"a\" ];", "1: web.hosts: 17 entries, at most 16 allowed"},
    {"idle_seconds = 1;", "1: web.idle_seconds: 1 is out of range 2..3600"},
    {"idle_seconds = 4000;", "1: web.idle_seconds: 4000 is out of range 2..3600"},
    {"idle = 5;", "1: unknown key 'idle' in web"},
};

static void test_bad(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char text[512], err[JM_ERR_MAX];
        const char *msg;
        jm_session_t s;
        snprintf(text, sizeof text, "web = { %s };\n", bad[k].web);
        if (!load_text(&s, text, err, sizeof err, &msg)) {
            jm_session_free(&s);
            fail_msg("loaded: %s", text);
        }
        if (strncmp(msg, bad[k].msg, strlen(bad[k].msg)))
            fail_msg("%s\n  want \"%s\"\n  got  \"%s\"", text, bad[k].msg, msg);
    }
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/jm_sweb_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/s.cfg", tmpdir);
    unlink(path);
    rmdir(tmpdir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_keys_and_round_trip),
        cmocka_unit_test(test_bad),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
