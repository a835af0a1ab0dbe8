/* Performers (include/jmixd/osc/perm.h): which parameters a performer may
 * touch, /dump and /params prefixes, PIN comparison, the login table and
 * the wrong-PIN limit; then the parser: what a performer-only address and a
 * logged-in performer get posted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jmixd/osc/osc.h"
#include "jmixd/osc/perm.h"

#include <arpa/inet.h>
#include <lo/lo.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#define PERFORMER_IP 0x7f000002u
#define ENGINEER_IP 0x7f000001u

typedef struct {
    char path[64];
    jm_session_t s;
    jm_log_t log;
    jm_queue_t q;
    jm_osc_parser_t *p;
    int rx, tx;
    uint16_t rx_port;
} fx_t;

static const char cfg[] =
    "osc = { allow = [ \"127.0.0.0/8\" ]; engineers = [ \"127.0.0.1/32\" ]; };\n"
    "strips = ( { name = \"kick\"; }, { name = \"snare\"; } );\n"
    "buses = ( { name = \"drums\"; type = \"reverb\"; }, { name = \"other\"; type = \"delay\"; } );\n"
    "aliases = ( { from = \"/dr/fader\"; to = \"/bus/drums/fader\"; },\n"
    "            { from = \"/k/fader\"; to = \"/strip/kick/fader\"; } );\n"
    "performers = ( { name = \"drummer\"; bus = \"drums\"; pin = \"4711\"; },\n"
    "               { name = \"singer\"; bus = \"other\"; pin = \"0815\"; } );\n";

static int load(fx_t *f, const char *text)
{
    snprintf(f->path, sizeof f->path, "/tmp/jm_test_perm_XXXXXX");
    int fd = mkstemp(f->path);
    size_t n = strlen(text);
    if (fd < 0 || write(fd, text, n) != (ssize_t)n) return -1;
    close(fd);
    char err[JM_ERR_MAX];
    int rc = jm_session_load(&f->s, f->path, err, sizeof err);
    if (rc) fprintf(stderr, "%s\n", err);
    return rc;
}

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    if (load(f, cfg)) return -1;
    f->log.level = JM_LOG_ERROR;
    if (jm_queue_init(&f->q, sizeof(jm_req_t), 64)) return -1;
    f->rx = socket(AF_INET, SOCK_DGRAM, 0);
    f->tx = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(PERFORMER_IP)};
    socklen_t sl = sizeof a;
    if (bind(f->rx, (struct sockaddr *)&a, sizeof a) ||
        getsockname(f->rx, (struct sockaddr *)&a, &sl))
        return -1;
    f->rx_port = ntohs(a.sin_port);
    f->p = jm_osc_parser_new(&f->s, &f->q, f->tx, &f->log);
    *state = f;
    return f->p ? 0 : -1;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    jm_osc_parser_free(f->p);
    jm_queue_free(&f->q);
    jm_session_free(&f->s);
    close(f->rx);
    close(f->tx);
    unlink(f->path);
    free(f);
    return 0;
}

/* ---- the matcher ---- */

static void test_param_ok(void **state)
{
    fx_t *f = *state;
    const jm_paramset_t *ps = &f->s.params;
    int drums = 0, other = 0;
    for (size_t i = 0; i < ps->n; i++) {
        const jm_param_t *p = &ps->p[i];
        int own_bus = !strncmp(p->path, "/bus/1/", 7);
        int send_in = !strncmp(p->path, "/strip/", 7) && strstr(p->path, "/send/1/");
        assert_int_equal(jm_perm_param_ok(p, 0), own_bus || send_in);
        drums += jm_perm_param_ok(p, 0);
        other += jm_perm_param_ok(p, 1);
        assert_false(jm_perm_param_ok(p, -1));
    }
    /* drums: fader, mute, 4 reverb rows; 2 strips x (level, pre, on) */
    assert_int_equal(drums, 6 + 6);
    assert_int_equal(other, 5 + 6);
    assert_true(jm_perm_param_ok(&ps->p[jm_params_find(ps, "/strip/snare/send/drums/level")], 0));
    assert_false(jm_perm_param_ok(&ps->p[jm_params_find(ps, "/strip/snare/send/other/level")], 0));
    assert_false(jm_perm_param_ok(&ps->p[jm_params_find(ps, "/strip/1/fader")], 0));
    assert_false(jm_perm_param_ok(&ps->p[jm_params_find(ps, "/master/fader")], 0));
    assert_false(jm_perm_param_ok(&ps->p[jm_params_find(ps, "/bus/other/fader")], 0));
}

static void test_prefix_ok(void **state)
{
    fx_t *f = *state;
    assert_true(jm_perm_prefix_ok(&f->s, "/bus/drums", 0));
    assert_true(jm_perm_prefix_ok(&f->s, "/bus/1", 0));
    assert_true(jm_perm_prefix_ok(&f->s, "/strip/kick/send/drums", 0));
    assert_true(jm_perm_prefix_ok(&f->s, "/strip/2/send/1/", 0));
    assert_true(jm_perm_prefix_ok(&f->s, "/dr", 0));       /* an alias of its own bus */
    assert_true(jm_perm_prefix_ok(&f->s, "/nothing", 0));  /* reaches nothing */
    assert_false(jm_perm_prefix_ok(&f->s, "", 0));
    assert_false(jm_perm_prefix_ok(&f->s, "/", 0));
    assert_false(jm_perm_prefix_ok(&f->s, "/bus/", 0));
    assert_false(jm_perm_prefix_ok(&f->s, "/strip/kick/send", 0));
    assert_false(jm_perm_prefix_ok(&f->s, "/k", 0));       /* alias of a strip fader */
    assert_false(jm_perm_prefix_ok(&f->s, "/bus/drums", 1));
    assert_false(jm_perm_prefix_ok(&f->s, "/bus/drums", -1));
}

static void test_engineers(void **state)
{
    fx_t *f = *state;
    assert_true(jm_perm_is_engineer(&f->s, ENGINEER_IP));
    assert_false(jm_perm_is_engineer(&f->s, PERFORMER_IP));
    jm_session_t def = {0}; /* no osc.engineers: everyone allowed is one */
    assert_true(jm_perm_is_engineer(&def, PERFORMER_IP));
}

static void test_pin_equal(void **state)
{
    (void)state;
    char pin[JM_PIN_MAX] = "4711";
    assert_true(jm_perm_pin_equal("4711", pin));
    assert_false(jm_perm_pin_equal("471", pin));
    assert_false(jm_perm_pin_equal("47110", pin));
    assert_false(jm_perm_pin_equal("4712", pin));
    assert_false(jm_perm_pin_equal("", pin));
    assert_false(jm_perm_pin_equal("4711000000000000000000", pin));
    char none[JM_PIN_MAX] = {0};
    assert_false(jm_perm_pin_equal("", none));
    char twelve[JM_PIN_MAX] = "012345678901";
    assert_true(jm_perm_pin_equal("012345678901", twelve));
    assert_false(jm_perm_pin_equal("0123456789012", twelve));
}

static void test_bindings(void **state)
{
    (void)state;
    jm_perm_t t;
    jm_perm_init(&t);
    assert_int_equal(jm_perm_lookup(&t, PERFORMER_IP, 9000), -1);
    jm_perm_bind(&t, PERFORMER_IP, 9000, 1);
    assert_int_equal(jm_perm_lookup(&t, PERFORMER_IP, 9000), 1);
    assert_int_equal(jm_perm_lookup(&t, PERFORMER_IP, 9001), -1);
    jm_perm_bind(&t, PERFORMER_IP, 9000, 0); /* a new login replaces */
    assert_int_equal(jm_perm_lookup(&t, PERFORMER_IP, 9000), 0);
    for (int k = 1; k < JM_PERM_BINDINGS; k++) jm_perm_bind(&t, PERFORMER_IP, (uint16_t)(9000 + k), 1);
    assert_int_equal(jm_perm_lookup(&t, PERFORMER_IP, 9000), 0);
    jm_perm_bind(&t, PERFORMER_IP, 10000, 1); /* full: the oldest goes */
    assert_int_equal(jm_perm_lookup(&t, PERFORMER_IP, 9000), -1);
    assert_int_equal(jm_perm_lookup(&t, PERFORMER_IP, 9001), 1);
    assert_int_equal(jm_perm_lookup(&t, PERFORMER_IP, 10000), 1);
    assert_int_equal(jm_perm_unbind(&t, PERFORMER_IP, 10000), 1);
    assert_int_equal(jm_perm_unbind(&t, PERFORMER_IP, 10000), -1);
    assert_int_equal(jm_perm_lookup(&t, PERFORMER_IP, 10000), -1);
}

static void test_tries(void **state)
{
    (void)state;
    jm_perm_t t;
    jm_perm_init(&t);
    for (int k = 0; k < 5; k++) {
        assert_true(jm_perm_may_try(&t, PERFORMER_IP, 100.0));
        jm_perm_failed(&t, PERFORMER_IP, 100.0);
    }
    assert_false(jm_perm_may_try(&t, PERFORMER_IP, 100.0));
    assert_false(jm_perm_may_try(&t, PERFORMER_IP, 111.0));
    assert_true(jm_perm_may_try(&t, ENGINEER_IP, 100.0)); /* per source IP */
    assert_true(jm_perm_may_try(&t, PERFORMER_IP, 112.5)); /* one try every 12 s */
    jm_perm_failed(&t, PERFORMER_IP, 112.5);
    assert_false(jm_perm_may_try(&t, PERFORMER_IP, 112.5));
    /* 64 other sources failing once do not make it forget the guesser */
    for (uint32_t k = 0; k < 64; k++) jm_perm_failed(&t, 0x0a000000u + k, 113.0);
    assert_false(jm_perm_may_try(&t, PERFORMER_IP, 113.0));
}

/* ---- through the parser ---- */

static void feed(fx_t *f, uint32_t ip, const char *path, lo_message m)
{
    unsigned char buf[4096];
    size_t len = sizeof buf;
    assert_non_null(lo_message_serialise(m, path, buf, &len));
    jm_osc_parser_feed(f->p, buf, len, ip, f->rx_port);
    lo_message_free(m);
}

static lo_message msg_f(float v)
{
    lo_message m = lo_message_new();
    lo_message_add_float(m, v);
    return m;
}

static lo_message login_msg(const char *name, const char *pin)
{
    lo_message m = lo_message_new();
    lo_message_add_string(m, name);
    lo_message_add_string(m, pin);
    return m;
}

static int n_posted(fx_t *f)
{
    jm_req_t r;
    int n = 0;
    while (jm_queue_pop(&f->q, &r)) n++;
    return n;
}

/* The next reply: its path and, for /error, its reason. */
static void reply(fx_t *f, const char *path, const char *second)
{
    struct pollfd pf = {.fd = f->rx, .events = POLLIN};
    if (poll(&pf, 1, 1000) != 1) fail_msg("no %s", path);
    unsigned char buf[2048];
    ssize_t n = recv(f->rx, buf, sizeof buf, 0);
    assert_true(n > 0);
    assert_string_equal((const char *)buf, path);
    int res = 0;
    lo_message m = lo_message_deserialise(buf, (size_t)n, &res);
    assert_non_null(m);
    lo_arg **argv = lo_message_get_argv(m);
    if (!strcmp(path, "/error")) assert_string_equal(&argv[1]->s, second);
    else assert_string_equal(&argv[0]->s, second);
    lo_message_free(m);
}

static void test_parser(void **state)
{
    fx_t *f = *state;
    feed(f, PERFORMER_IP, "/bus/drums/fader", msg_f(-3.0f));
    reply(f, "/error", "not permitted");
    assert_int_equal(n_posted(f), 0);
    feed(f, PERFORMER_IP, "/info", lo_message_new());
    assert_int_equal(n_posted(f), 1);
    feed(f, PERFORMER_IP, "/performer/login", login_msg("drummer", "4711"));
    reply(f, "/performer/login", "drummer");
    feed(f, PERFORMER_IP, "/bus/drums/fader", msg_f(-3.0f));
    feed(f, PERFORMER_IP, "/strip/*/send/drums/level", msg_f(-3.0f));
    feed(f, PERFORMER_IP, "/dr/fader", msg_f(-3.0f));
    assert_int_equal(n_posted(f), 4);
    feed(f, PERFORMER_IP, "/strip/*/send/*/level", msg_f(-3.0f));
    reply(f, "/error", "not permitted");
    feed(f, PERFORMER_IP, "/k/fader", msg_f(-3.0f));
    reply(f, "/error", "not permitted");
    feed(f, PERFORMER_IP, "/snapshot/save", login_msg("a", "b"));
    reply(f, "/error", "not permitted");
    assert_int_equal(n_posted(f), 0);
    /* the engineer's address (another sender) is not restricted */
    feed(f, ENGINEER_IP, "/strip/1/fader", msg_f(-3.0f));
    assert_int_equal(n_posted(f), 1);
    feed(f, PERFORMER_IP, "/performer/logout", lo_message_new());
    reply(f, "/performer/logout", "drummer");
    feed(f, PERFORMER_IP, "/bus/drums/fader", msg_f(-3.0f));
    reply(f, "/error", "not permitted");
    assert_int_equal(n_posted(f), 0);
}

static void test_session_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"buses = ( { name = \"d\"; type = \"reverb\"; } );\n"
         "performers = ( { name = \"a\"; bus = \"x\"; pin = \"1234\"; } );\n",
         ":2: performers[1].bus: no bus named 'x'"},
        {"buses = ( { name = \"d\"; type = \"reverb\"; } );\n"
         "performers = ( { name = \"a\"; bus = \"d\"; pin = \"123\"; } );\n",
         ":2: performers[1].pin: expected 4 to 12 digits"},
        {"buses = ( { name = \"d\"; type = \"reverb\"; } );\n"
         "performers = ( { name = \"a\"; bus = \"d\"; pin = 1234; } );\n",
         ":2: performers[1].pin: expected a string"},
        {"buses = ( { name = \"d\"; type = \"reverb\"; } );\n"
         "performers = ( { name = \"a\"; bus = \"d\"; pin = \"1234\"; },\n"
         "  { name = \"a\"; bus = \"d\"; pin = \"12345\"; } );\n",
         ":3: performers[2].name: performer 'a' is already defined"},
        {"buses = ( { name = \"d\"; type = \"reverb\"; } );\n"
         "performers = ( { name = \"a\"; bus = \"d\"; } );\n",
         ":2: performers[1]: missing pin"},
        {"osc = { engineers = [ \"10.0.0.0/33\" ]; };\n", ":1: osc.engineers: bad CIDR"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        fx_t f = {0};
        snprintf(f.path, sizeof f.path, "/tmp/jm_test_perm_XXXXXX");
        int fd = mkstemp(f.path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, bad[k].text, strlen(bad[k].text)), (ssize_t)strlen(bad[k].text));
        close(fd);
        char err[JM_ERR_MAX];
        assert_int_equal(jm_session_load(&f.s, f.path, err, sizeof err), -1);
        if (!strstr(err, bad[k].want)) fail_msg("%s: want '%s'", err, bad[k].want);
        assert_null(strstr(err, "123")); /* a PIN is never echoed */
        unlink(f.path);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_param_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prefix_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_engineers, setup, teardown),
        cmocka_unit_test(test_pin_equal),
        cmocka_unit_test(test_bindings),
        cmocka_unit_test(test_tries),
        cmocka_unit_test_setup_teardown(test_parser, setup, teardown),
        cmocka_unit_test(test_session_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
