/* The OSC parser beyond the fuzzer's properties: what a datagram becomes.
 * The socket-free parser (jm_osc_parser_feed) posts into a request queue
 * the test owns; its /error replies come back on a loopback socket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jmixd/osc/osc.h"

#include <arpa/inet.h>
#include <lo/lo.h>
#include <math.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOCAL 0x7f000001u

typedef struct {
    char path[64];
    jm_session_t s;
    jm_log_t log;
    jm_queue_t q;
    jm_osc_parser_t *p;
    int rx, tx;
    uint16_t rx_port;
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    snprintf(f->path, sizeof f->path, "/tmp/jm_test_osc_XXXXXX");
    int fd = mkstemp(f->path);
    static const char cfg[] =
        "osc = { allow = [ \"127.0.0.1\" ]; };\n"
        "strips = ( { name = \"kick\"; }, { name = \"snare\"; } );\n"
        "buses = ( { name = \"verb\"; type = \"reverb\"; } );\n";
    if (fd < 0 || write(fd, cfg, sizeof cfg - 1) != (ssize_t)(sizeof cfg - 1)) return -1;
    close(fd);
    char err[JM_ERR_MAX];
    if (jm_session_load(&f->s, f->path, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    f->log.level = JM_LOG_ERROR;
    if (jm_queue_init(&f->q, sizeof(jm_req_t), 64)) return -1;
    f->rx = socket(AF_INET, SOCK_DGRAM, 0);
    f->tx = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(LOCAL)};
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

static void feed_msg(fx_t *f, const char *path, lo_message m)
{
    unsigned char buf[4096];
    size_t len = sizeof buf;
    assert_non_null(lo_message_serialise(m, path, buf, &len));
    jm_osc_parser_feed(f->p, buf, len, LOCAL, f->rx_port);
    lo_message_free(m);
}

static void feed_bundle(fx_t *f, lo_bundle b)
{
    unsigned char buf[4096];
    size_t len = sizeof buf;
    assert_non_null(lo_bundle_serialise(b, buf, &len));
    jm_osc_parser_feed(f->p, buf, len, LOCAL, f->rx_port);
    lo_bundle_free_recursive(b);
}

static lo_message msg_f(float v)
{
    lo_message m = lo_message_new();
    lo_message_add_float(m, v);
    return m;
}

static lo_message msg_s(const char *s)
{
    lo_message m = lo_message_new();
    lo_message_add_string(m, s);
    return m;
}

static int posted(fx_t *f, jm_req_t *r) { return jm_queue_pop(&f->q, r); }

static jm_req_t one(fx_t *f)
{
    jm_req_t r, extra;
    if (!posted(f, &r)) fail_msg("nothing posted");
    if (posted(f, &extra)) fail_msg("a second request posted: %s", extra.path);
    return r;
}

static void nothing_posted(fx_t *f)
{
    jm_req_t r;
    if (posted(f, &r)) fail_msg("posted %s (kind %d)", r.path, r.kind);
}

/* An /error s:address s:reason reply. */
static void error_reply(fx_t *f, const char *address, const char *reason)
{
    struct pollfd pf = {.fd = f->rx, .events = POLLIN};
    if (poll(&pf, 1, 1000) != 1) fail_msg("no /error for %s", address);
    unsigned char buf[2048];
    ssize_t n = recv(f->rx, buf, sizeof buf, 0);
    assert_true(n > 0);
    assert_string_equal((const char *)buf, "/error");
    int res = 0;
    lo_message m = lo_message_deserialise(buf, (size_t)n, &res);
    assert_non_null(m);
    assert_string_equal(lo_message_get_types(m), "ss");
    assert_string_equal(&lo_message_get_argv(m)[0]->s, address);
    assert_string_equal(&lo_message_get_argv(m)[1]->s, reason);
    lo_message_free(m);
}

static void no_reply(fx_t *f)
{
    struct pollfd pf = {.fd = f->rx, .events = POLLIN};
    assert_int_equal(poll(&pf, 1, 20), 0);
}

static int param(fx_t *f, const char *path)
{
    int i = jm_params_find(&f->s.params, path);
    if (i < 0) fail_msg("no parameter %s", path);
    return i;
}

/* ----------------------------------------------------------------------- */

static void test_set_in_units(void **state)
{
    fx_t *f = *state;
    feed_msg(f, "/strip/1/fader", msg_f(-10.0f));
    jm_req_t r = one(f);
    assert_int_equal(r.kind, JM_REQ_SET);
    assert_int_equal(r.param, param(f, "/strip/1/fader"));
    assert_float_equal(r.value, -10.0f, 0.0f);
    assert_int_equal(r.norm, 0);
    assert_int_equal(r.timetag, 1); /* at once */
    assert_string_equal(r.path, "/strip/1/fader");
    assert_int_equal(ntohs(r.src.sin_port), f->rx_port);

    /* by name, an int, a double */
    lo_message m = lo_message_new();
    lo_message_add_int32(m, -3);
    feed_msg(f, "/strip/snare/fader", m);
    r = one(f);
    assert_int_equal(r.param, param(f, "/strip/2/fader"));
    assert_float_equal(r.value, -3.0f, 0.0f);
    assert_string_equal(r.path, "/strip/snare/fader");
    m = lo_message_new();
    lo_message_add_double(m, 0.25);
    feed_msg(f, "/strip/1/pan", m);
    assert_float_equal(one(f).value, 0.25f, 0.0f);

    /* out of range is the control thread's to clamp: passed on as sent */
    feed_msg(f, "/strip/1/fader", msg_f(1000.0f));
    assert_float_equal(one(f).value, 1000.0f, 0.0f);
    /* switches take true/false */
    m = lo_message_new();
    lo_message_add_true(m);
    feed_msg(f, "/strip/1/mute", m);
    r = one(f);
    assert_int_equal(r.kind, JM_REQ_SET);
    assert_float_equal(r.value, 1.0f, 0.0f);
    no_reply(f);
}

static void test_set_norm(void **state)
{
    fx_t *f = *state;
    feed_msg(f, "/strip/1/fader/norm", msg_f(0.5f));
    jm_req_t r = one(f);
    assert_int_equal(r.kind, JM_REQ_SET);
    assert_int_equal(r.param, param(f, "/strip/1/fader"));
    assert_int_equal(r.norm, 1);
    assert_float_equal(r.value, 0.5f, 0.0f);
    assert_string_equal(r.path, "/strip/1/fader/norm");
    /* switches have no /norm twin */
    feed_msg(f, "/strip/1/mute/norm", msg_f(1.0f));
    nothing_posted(f);
    error_reply(f, "/strip/1/mute/norm", "no such parameter");
}

static void test_queries(void **state)
{
    fx_t *f = *state;
    feed_msg(f, "/strip/kick/fader", lo_message_new());
    jm_req_t r = one(f);
    assert_int_equal(r.kind, JM_REQ_QUERY);
    assert_int_equal(r.param, param(f, "/strip/1/fader"));
    assert_string_equal(r.path, "/strip/kick/fader"); /* answered as sent */
    feed_msg(f, "/master/fader/norm", lo_message_new());
    r = one(f);
    assert_int_equal(r.kind, JM_REQ_QUERY);
    assert_int_equal(r.norm, 1);

    static const struct { const char *path; int kind; } simple[] = {
        {"/info", JM_REQ_INFO}, {"/strips", JM_REQ_STRIPS}, {"/stats", JM_REQ_STATS},
        {"/params", JM_REQ_PARAMS}, {"/snapshot/list", JM_REQ_SNAP_LIST},
        {"/automation/list", JM_REQ_AUTO_LIST}, {"/record/status", JM_REQ_REC_STATUS},
        {"/loudness/reset", JM_REQ_LOUD_RESET}, {"/session/save", JM_REQ_SESSION_SAVE},
    };
    for (size_t k = 0; k < sizeof simple / sizeof simple[0]; k++) {
        feed_msg(f, simple[k].path, lo_message_new());
        r = one(f);
        assert_int_equal(r.kind, simple[k].kind);
        assert_string_equal(r.path, simple[k].path);
        assert_int_equal(r.param, -1);
    }
    no_reply(f);
}

static void test_commands_with_arguments(void **state)
{
    fx_t *f = *state;
    feed_msg(f, "/params", msg_s("/strip/1"));
    assert_string_equal(one(f).sarg, "/strip/1");

    lo_message m = lo_message_new();
    lo_message_add_int32(m, 9100);
    lo_message_add_string(m, "norm");
    feed_msg(f, "/subscribe", m);
    jm_req_t r = one(f);
    assert_int_equal(r.kind, JM_REQ_SUBSCRIBE);
    assert_int_equal(r.iarg, 9100);
    assert_string_equal(r.sarg, "norm");
    feed_msg(f, "/unsubscribe", lo_message_new());
    r = one(f);
    assert_int_equal(r.kind, JM_REQ_UNSUBSCRIBE);
    assert_string_equal(r.sarg, "units");

    m = msg_s("verse");
    lo_message_add_float(m, 2.5f);
    feed_msg(f, "/snapshot/recall", m);
    r = one(f);
    assert_int_equal(r.kind, JM_REQ_SNAP_RECALL);
    assert_string_equal(r.sarg, "verse");
    assert_float_equal(r.aux, 2.5f, 0.0f);

    m = msg_s("/strip/snare/fader");
    lo_message_add_string(m, "touch");
    feed_msg(f, "/automation/mode", m);
    r = one(f);
    assert_int_equal(r.kind, JM_REQ_AUTO_MODE);
    assert_int_equal(r.param, param(f, "/strip/2/fader"));
    assert_int_equal(r.iarg, JM_AUTO_TOUCH);

    feed_msg(f, "/session/save", msg_s("/tmp/x.cfg"));
    r = one(f);
    assert_int_equal(r.kind, JM_REQ_SESSION_SAVE);
    assert_string_equal(r.sarg, "/tmp/x.cfg");

    m = msg_f(-20.0f);
    lo_message_add_float(m, 1.5f);
    feed_msg(f, "/strip/1/fader/ramp", m);
    r = one(f);
    assert_int_equal(r.kind, JM_REQ_RAMP);
    assert_float_equal(r.value, -20.0f, 0.0f);
    assert_float_equal(r.aux, 1.5f, 0.0f);

    m = lo_message_new();
    lo_message_add_int32(m, 1);
    feed_msg(f, "/strip/1/fader/touch", m);
    r = one(f);
    assert_int_equal(r.kind, JM_REQ_TOUCH);
    assert_int_equal(r.iarg, 1);
    no_reply(f);
}

static void test_wrong_arguments_answered(void **state)
{
    fx_t *f = *state;
    feed_msg(f, "/strip/1/fader", msg_s("loud"));
    error_reply(f, "/strip/1/fader", "expected a number, got a string");
    feed_msg(f, "/strip/1/fader", msg_f(NAN));
    error_reply(f, "/strip/1/fader", "value is not a finite number");
    lo_message m = msg_f(1.0f);
    lo_message_add_float(m, 2.0f);
    feed_msg(f, "/strip/1/fader", m);
    error_reply(f, "/strip/1/fader", "expected one value");
    m = lo_message_new();
    lo_message_add_true(m);
    feed_msg(f, "/strip/1/fader", m);
    error_reply(f, "/strip/1/fader", "true/false is only for switches");
    feed_msg(f, "/strip/9/fader", msg_f(0.0f));
    error_reply(f, "/strip/9/fader", "no such parameter");
    feed_msg(f, "/nowhere", msg_f(0.0f));
    error_reply(f, "/nowhere", "unknown address");
    feed_msg(f, "/snapshot/bogus", lo_message_new());
    error_reply(f, "/snapshot/bogus", "unknown address");
    /* /info with arguments is what the console's own reply looks like:
     * never answered (a reply loop), counted as rejected */
    feed_msg(f, "/info", msg_f(1.0f));
    nothing_posted(f);
    no_reply(f);
    feed_msg(f, "/params", msg_f(1.0f));
    error_reply(f, "/params", "expected an optional prefix string");
    feed_msg(f, "/subscribe", msg_s("loud"));
    error_reply(f, "/subscribe", "expected [i:port] [s:units|norm]");
    feed_msg(f, "/snapshot/save", msg_f(1.0f));
    error_reply(f, "/snapshot/save", "wrong arguments");
    feed_msg(f, "/snapshot/save", msg_s("a/b"));
    error_reply(f, "/snapshot/save", "bad snapshot name");
    m = msg_s("verse");
    lo_message_add_float(m, 5000.0f);
    feed_msg(f, "/snapshot/recall", m);
    error_reply(f, "/snapshot/recall", "fade must be 0..3600 s");
    m = msg_s("/strip/1/fader");
    lo_message_add_string(m, "sideways");
    feed_msg(f, "/automation/mode", m);
    error_reply(f, "/automation/mode", "mode is off, read, write, touch or latch");
    m = msg_f(-20.0f);
    lo_message_add_float(m, 5000.0f);
    feed_msg(f, "/strip/1/fader/ramp", m);
    error_reply(f, "/strip/1/fader/ramp", "ramp time must be 0..3600 seconds");
    feed_msg(f, "/strip/1/fader/ramp", msg_f(-20.0f));
    error_reply(f, "/strip/1/fader/ramp", "expected f:target f:seconds");
    nothing_posted(f);
}

static void test_patterns(void **state)
{
    fx_t *f = *state;
    feed_msg(f, "/strip/*/fader", msg_f(-6.0f));
    jm_req_t a, b, c;
    assert_true(posted(f, &a));
    assert_true(posted(f, &b));
    assert_false(posted(f, &c));
    assert_int_equal(a.kind, JM_REQ_SET);
    assert_int_equal(b.kind, JM_REQ_SET);
    /* answered on each concrete address */
    assert_string_equal(a.path, "/strip/1/fader");
    assert_string_equal(b.path, "/strip/2/fader");
    assert_float_equal(b.value, -6.0f, 0.0f);

    feed_msg(f, "/strip/{kick,snare}/mute", lo_message_new());
    assert_true(posted(f, &a));
    assert_true(posted(f, &b));
    assert_false(posted(f, &c));
    assert_int_equal(a.kind, JM_REQ_QUERY);

    feed_msg(f, "/strip/[0-9]/nothing", msg_f(0.0f));
    error_reply(f, "/strip/[0-9]/nothing", "no parameter matches");
    feed_msg(f, "/strip/*/*/*/*/*/*/*/*/*/fader", msg_f(0.0f));
    error_reply(f, "/strip/*/*/*/*/*/*/*/*/*/fader", "pattern too complex");
    /* one bad value and nothing changes, not even the other matches */
    feed_msg(f, "/strip/*/fader", msg_s("x"));
    error_reply(f, "/strip/*/fader", "expected a number, got a string");
    nothing_posted(f);
}

static void test_bundles(void **state)
{
    fx_t *f = *state;
    lo_timetag later = {.sec = 4000000000u, .frac = 0x80000000u};
    lo_bundle b = lo_bundle_new(later);
    lo_bundle_add_message(b, "/strip/1/fader", msg_f(-1.0f));
    lo_bundle_add_message(b, "/strip/2/fader", msg_f(-2.0f));
    feed_bundle(f, b);
    jm_req_t r1, r2, r3;
    assert_true(posted(f, &r1));
    assert_true(posted(f, &r2));
    assert_false(posted(f, &r3));
    uint64_t tt = (uint64_t)later.sec << 32 | later.frac;
    assert_true(r1.timetag == tt && r2.timetag == tt); /* the same time for all */
    assert_float_equal(r2.value, -2.0f, 0.0f);

    /* a nested bundle never runs before the one that holds it */
    lo_timetag earlier = {.sec = 3000000000u, .frac = 0};
    lo_bundle outer = lo_bundle_new(later), inner = lo_bundle_new(earlier);
    lo_bundle_add_message(inner, "/strip/1/pan", msg_f(0.5f));
    lo_bundle_add_bundle(outer, inner);
    feed_bundle(f, outer);
    r1 = one(f);
    assert_true(r1.timetag == tt);

    /* "immediately" */
    lo_bundle now = lo_bundle_new(LO_TT_IMMEDIATE);
    lo_bundle_add_message(now, "/info", lo_message_new());
    feed_bundle(f, now);
    r1 = one(f);
    assert_int_equal(r1.kind, JM_REQ_INFO);
    assert_true(r1.timetag == 1);

    /* a truncated bundle element posts nothing */
    unsigned char bad[24] = "#bundle";
    bad[19] = 200; /* element size past the end */
    jm_osc_parser_feed(f->p, bad, sizeof bad, LOCAL, f->rx_port);
    nothing_posted(f);
}

static void test_denied_source(void **state)
{
    fx_t *f = *state;
    unsigned char buf[256];
    size_t len = sizeof buf;
    lo_message m = msg_f(-1.0f);
    lo_message_serialise(m, "/strip/1/fader", buf, &len);
    lo_message_free(m);
    jm_osc_parser_feed(f->p, buf, len, 0x0a000001u, f->rx_port); /* 10.0.0.1 */
    nothing_posted(f);
    no_reply(f);
    /* /stats carries the counters: one denied */
    feed_msg(f, "/stats", lo_message_new());
    jm_req_t r = one(f);
    assert_true(r.counters[0] >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_set_in_units, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_norm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commands_with_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_arguments_answered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_patterns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bundles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_denied_source, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
