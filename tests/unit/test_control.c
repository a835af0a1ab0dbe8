/* The control thread's request handling, driven through its internal API
 * (src/control/control_int.h): a real control context on a real session;
 * the only seam is the command queue, which the test owns instead of a
 * JACK engine (jm_ctl_attach_queue). A small queue is a full engine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/control/control_int.h"

#include <arpa/inet.h>
#include <lo/lo.h>
#include <math.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RATE 48000

typedef struct {
    char path[64];
    jm_session_t s;
    jm_log_t log;
    jm_control_t *c;
    jm_queue_t q;
    int rx;                     /* replies arrive here */
    struct sockaddr_in rx_addr;
    int tx;                     /* the control thread's reply socket */
} fx_t;

/* subscribed: the reply socket is also a permanent subscriber (osc.clients) */
static fx_t *fx_make(size_t queue_cap, int subscribed)
{
    fx_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->rx = socket(AF_INET, SOCK_DGRAM, 0);
    f->rx_addr = (struct sockaddr_in){.sin_family = AF_INET,
                                      .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof f->rx_addr;
    assert_int_equal(bind(f->rx, (struct sockaddr *)&f->rx_addr, sizeof f->rx_addr), 0);
    assert_int_equal(getsockname(f->rx, (struct sockaddr *)&f->rx_addr, &sl), 0);
    snprintf(f->path, sizeof f->path, "/tmp/jm_test_control_XXXXXX");
    int fd = mkstemp(f->path);
    assert_true(fd >= 0);
    char cfg[256];
    int len = snprintf(cfg, sizeof cfg, "strips = ( { name = \"a\"; }, { name = \"b\"; } );\n");
    if (subscribed)
        len += snprintf(cfg + len, sizeof cfg - (size_t)len,
                        "osc = { clients = ( { host = \"127.0.0.1\"; port = %d; } ); };\n",
                        ntohs(f->rx_addr.sin_port));
    assert_int_equal(write(fd, cfg, (size_t)len), (ssize_t)len);
    close(fd);
    char err[JM_ERR_MAX];
    if (jm_session_load(&f->s, f->path, err, sizeof err)) fail_msg("session: %s", err);
    f->log.level = JM_LOG_ERROR;
    jm_control_config_t cc = {.session = &f->s, .session_path = f->path,
                              .client_name = "jm_test", .log = &f->log};
    f->c = jm_control_create(&cc);
    assert_non_null(f->c);
    assert_int_equal(jm_queue_init(&f->q, sizeof(jm_ctl_out_t), queue_cap), 0);
    jm_ctl_attach_queue(f->c, &f->q, RATE);

    f->tx = socket(AF_INET, SOCK_DGRAM, 0);
    jm_control_set_socket(f->c, f->tx);
    return f;
}

static fx_t *fx_new(size_t queue_cap) { return fx_make(queue_cap, 0); }

static void fx_free(fx_t *f)
{
    jm_control_destroy(f->c);
    jm_queue_free(&f->q);
    jm_session_free(&f->s);
    close(f->rx);
    close(f->tx);
    unlink(f->path);
    free(f);
}

static int param(fx_t *f, const char *path)
{
    int i = jm_params_find(&f->s.params, path);
    if (i < 0) fail_msg("no parameter %s", path);
    return i;
}

static jm_req_t req(fx_t *f, int kind, int i, float value)
{
    jm_req_t r = {.kind = (uint8_t)kind, .param = i, .value = value, .timetag = 1,
                  .src = f->rx_addr};
    if (i >= 0 && (size_t)i < f->s.params.n)
        snprintf(r.path, sizeof r.path, "%s", f->s.params.p[i].path);
    return r;
}

static void handle(fx_t *f, jm_req_t r) { jm_ctl_handle(f->c, &r); }

static int queued(fx_t *f)
{
    return (int)(atomic_load(&f->q.head) - atomic_load(&f->q.tail));
}

static jm_ctl_out_t pop(fx_t *f)
{
    jm_ctl_out_t m;
    if (!jm_queue_pop(&f->q, &m)) fail_msg("nothing reached the engine queue");
    return m;
}

/* The next OSC message that arrives on the reply socket. */
static lo_message reply(fx_t *f, char *path, size_t pathlen)
{
    struct pollfd pf = {.fd = f->rx, .events = POLLIN};
    if (poll(&pf, 1, 1000) != 1) fail_msg("no reply");
    unsigned char buf[2048];
    ssize_t n = recv(f->rx, buf, sizeof buf, 0);
    assert_true(n > 0);
    size_t len = strnlen((const char *)buf, (size_t)n);
    if (len >= pathlen) len = pathlen - 1;
    memcpy(path, buf, len);
    path[len] = '\0';
    int res = 0;
    lo_message m = lo_message_deserialise(buf, (size_t)n, &res);
    assert_non_null(m);
    return m;
}

static uint64_t ntp_in(double secs)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double t = (double)ts.tv_sec + ts.tv_nsec * 1e-9 + secs + 2208988800.0;
    double whole = floor(t);
    return (uint64_t)whole << 32 | (uint64_t)((t - whole) * 4294967296.0);
}

/* ----------------------------------------------------------------------- */

static void test_set_stored_clamped_posted(void **state)
{
    (void)state;
    fx_t *f = fx_new(64);
    int i = param(f, "/strip/1/fader");
    const jm_param_t *p = &f->s.params.p[i];

    handle(f, req(f, JM_REQ_SET, i, -12.5f));
    assert_float_equal(f->c->values[i], -12.5f, 0.0f);
    jm_ctl_out_t m = pop(f);
    assert_int_equal(m.cmd.type, JM_CMD_SET);
    assert_int_equal(m.cmd.scope, p->scope);
    assert_int_equal(m.cmd.field, p->field);
    assert_int_equal(m.cmd.index, p->owner);
    assert_float_equal(m.cmd.value, -12.5f, 0.0f);
    assert_int_equal(m.frame, 0);

    /* out of range: clamped, posted clamped, and the sender told */
    handle(f, req(f, JM_REQ_SET, i, p->def->max + 100.0f));
    assert_float_equal(f->c->values[i], p->def->max, 0.0f);
    assert_float_equal(pop(f).cmd.value, p->def->max, 0.0f);
    char path[256];
    lo_message r = reply(f, path, sizeof path);
    assert_string_equal(path, p->path);
    assert_string_equal(lo_message_get_types(r), "f");
    assert_float_equal(lo_message_get_argv(r)[0]->f, p->def->max, 0.0f);
    lo_message_free(r);

    /* in the 0..1 taper */
    jm_req_t n = req(f, JM_REQ_SET, i, 0.5f);
    n.norm = 1;
    handle(f, n);
    assert_float_equal(f->c->values[i], jm_param_from_norm(p->def, 0.5f), 1e-6f);
    assert_float_equal(pop(f).cmd.value, f->c->values[i], 0.0f);
    assert_int_equal(queued(f), 0);
    fx_free(f);
}

static void test_full_queue_retried_next_tick(void **state)
{
    (void)state;
    fx_t *f = fx_new(2); /* two commands fit */
    int a = param(f, "/strip/1/fader"), b = param(f, "/strip/2/fader");
    int pan = param(f, "/strip/1/pan");

    handle(f, req(f, JM_REQ_SET, a, -1.0f));
    handle(f, req(f, JM_REQ_SET, b, -2.0f));
    handle(f, req(f, JM_REQ_SET, pan, 0.25f)); /* refused: the queue is full */
    assert_float_equal(f->c->values[pan], 0.25f, 0.0f); /* stored and fed back anyway */
    assert_true(jm_ctl_is_unsent(f->c, pan));
    assert_false(jm_ctl_is_unsent(f->c, a));
    assert_int_equal(f->c->cmds_refused, 1);

    jm_ctl_tick(f->c, jm_ctl_now()); /* still full: kept, counted again */
    assert_true(jm_ctl_is_unsent(f->c, pan));
    assert_int_equal(f->c->cmds_refused, 2);

    /* the audio thread takes what was queued; the next tick delivers */
    assert_float_equal(pop(f).cmd.value, -1.0f, 0.0f);
    assert_float_equal(pop(f).cmd.value, -2.0f, 0.0f);
    jm_ctl_tick(f->c, jm_ctl_now());
    assert_false(jm_ctl_is_unsent(f->c, pan));
    jm_ctl_out_t m = pop(f);
    assert_int_equal(m.cmd.type, JM_CMD_SET);
    assert_int_equal(m.cmd.field, f->s.params.p[pan].field);
    assert_float_equal(m.cmd.value, 0.25f, 0.0f);
    jm_ctl_tick(f->c, jm_ctl_now());
    assert_int_equal(queued(f), 0); /* once */

    /* /stats counts the refusals as commands_dropped: sixteen int32 (node-osc
     * reads no h), and the same sixteen as int64 on /stats/64 */
    jm_req_t st = req(f, JM_REQ_STATS, -1, 0);
    snprintf(st.path, sizeof st.path, "/stats");
    handle(f, st);
    char path[256];
    lo_message r = reply(f, path, sizeof path);
    assert_string_equal(path, "/stats");
    /* ninth: errors_suppressed, tenth: rta_blocks, then midi_in/out_dropped,
     * then the cycle times and count (no engine here: 0) */
    assert_string_equal(lo_message_get_types(r), "iiiiiiiiiiiiiiii");
    assert_int_equal(lo_message_get_argv(r)[15]->i, 0);
    assert_int_equal(lo_message_get_argv(r)[4]->i, 2);
    lo_message_free(r);
    snprintf(st.path, sizeof st.path, "/stats/64");
    handle(f, st);
    r = reply(f, path, sizeof path);
    assert_string_equal(path, "/stats/64");
    assert_string_equal(lo_message_get_types(r), "hhhhhhhhhhhhhhhh");
    assert_int_equal(lo_message_get_argv(r)[4]->h, 2);
    lo_message_free(r);
    fx_free(f);
}

static void test_newer_value_supersedes_unsent(void **state)
{
    (void)state;
    fx_t *f = fx_new(2);
    int a = param(f, "/strip/1/fader"), b = param(f, "/strip/2/fader");
    handle(f, req(f, JM_REQ_SET, a, -1.0f));
    handle(f, req(f, JM_REQ_SET, a, -2.0f));
    handle(f, req(f, JM_REQ_SET, b, -3.0f)); /* refused */
    assert_true(jm_ctl_is_unsent(f->c, b));
    pop(f);
    handle(f, req(f, JM_REQ_SET, b, -4.0f)); /* gets through: nothing owed */
    assert_false(jm_ctl_is_unsent(f->c, b));
    pop(f);
    assert_float_equal(pop(f).cmd.value, -4.0f, 0.0f);
    jm_ctl_tick(f->c, jm_ctl_now());
    assert_int_equal(queued(f), 0);
    fx_free(f);
}

static void test_bad_param_index_refused(void **state)
{
    (void)state;
    fx_t *f = fx_new(64);
    int n = (int)f->s.params.n;
    float *before = malloc((size_t)n * sizeof *before);
    memcpy(before, f->c->values, (size_t)n * sizeof *before);
    jm_req_t r = req(f, JM_REQ_RAMP, n, -10.0f);
    r.aux = 1.0f;
    handle(f, r);
    r.param = -1;
    handle(f, r);
    r.param = INT32_MAX;
    handle(f, r);
    handle(f, req(f, JM_REQ_SET, n, 0.0f));
    handle(f, req(f, JM_REQ_TOUCH, n, 0.0f));
    handle(f, req(f, JM_REQ_AUTO_MODE, -5, 0.0f));
    jm_req_t k = req(f, 200, 0, 0.0f); /* no such kind */
    handle(f, k);
    assert_int_equal(f->c->reqs_refused, 7);
    assert_int_equal(queued(f), 0);
    assert_int_equal(f->c->n_cramps, 0);
    assert_memory_equal(before, f->c->values, (size_t)n * sizeof *before);
    free(before);
    fx_free(f);
}

static void test_ramp_posted_with_length(void **state)
{
    (void)state;
    fx_t *f = fx_new(64);
    int i = param(f, "/strip/1/fader");
    jm_req_t r = req(f, JM_REQ_RAMP, i, -10.0f);
    r.aux = 0.5f;
    handle(f, r);
    jm_ctl_out_t m = pop(f);
    assert_int_equal(m.cmd.type, JM_CMD_RAMP);
    assert_int_equal(m.cmd.len, RATE / 2);
    assert_float_equal(m.cmd.value, -10.0f, 0.0f);
    assert_int_equal(m.frame, 0);
    assert_int_equal(f->c->n_cramps, 1);
    /* the value is followed for feedback, and lands at the end */
    jm_ctl_tick(f->c, jm_ctl_now() + 1.0);
    assert_float_equal(f->c->values[i], -10.0f, 0.0f);
    assert_int_equal(f->c->n_cramps, 0);

    /* a switch does not ramp: it is set */
    int mute = param(f, "/strip/1/mute");
    r = req(f, JM_REQ_RAMP, mute, 1.0f);
    r.aux = 0.5f;
    handle(f, r);
    m = pop(f);
    assert_int_equal(m.cmd.type, JM_CMD_SET);
    assert_float_equal(f->c->values[mute], 1.0f, 0.0f);
    fx_free(f);
}

static void test_timed_bundle_held_then_posted_at_its_frame(void **state)
{
    (void)state;
    fx_t *f = fx_new(64);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double real0 = (double)ts.tv_sec + ts.tv_nsec * 1e-9;
    jm_ctl_attach_queue(f->c, &f->q, RATE); /* the test's frame 0 is now */
    int i = param(f, "/strip/1/fader");
    jm_req_t r = req(f, JM_REQ_SET, i, -7.0f);
    r.timetag = ntp_in(0.3);
    double when = (double)(r.timetag >> 32) - 2208988800.0 +
                  (double)(r.timetag & 0xffffffffu) / 4294967296.0;
    handle(f, r);
    assert_int_equal(queued(f), 0); /* held */
    assert_int_equal(f->c->n_sched, 1);
    assert_float_equal(f->c->values[i], f->s.values[i], 0.0f);

    double start = jm_ctl_now();
    while (!queued(f) && jm_ctl_now() - start < 2.0) {
        jm_ctl_tick(f->c, jm_ctl_now());
        usleep(1000);
    }
    jm_ctl_out_t m = pop(f);
    assert_int_equal(m.cmd.type, JM_CMD_SET);
    assert_float_equal(m.cmd.value, -7.0f, 0.0f);
    assert_int_equal(f->c->n_sched, 0);
    /* handed over ahead of time, with the frame its timetag maps to */
    double expect = (when - real0) * RATE;
    assert_true(m.frame != 0);
    if (fabs((double)m.frame - expect) > 0.005 * RATE)
        fail_msg("frame %u, expected about %.0f", m.frame, expect);
    assert_float_equal(f->c->values[i], -7.0f, 0.0f);

    /* a past timetag: at once */
    r.timetag = ntp_in(-1.0);
    r.value = -8.0f;
    handle(f, r);
    m = pop(f);
    assert_int_equal(m.frame, 0);
    assert_float_equal(m.cmd.value, -8.0f, 0.0f);
    fx_free(f);
}

/* 1 when a datagram waits on the reply socket within ms. */
static int arrives(fx_t *f, int ms)
{
    struct pollfd pf = {.fd = f->rx, .events = POLLIN};
    return poll(&pf, 1, ms) == 1;
}

/* A timed change is stored at once but fed back when the engine reports it
 * applied (JM_EV_APPLIED with the command's tag); without that report, at
 * its deadline. An untimed set is fed back at once. */
static void test_timed_feedback_when_applied(void **state)
{
    (void)state;
    fx_t *f = fx_make(64, 1);
    int i = param(f, "/strip/1/fader");
    char path[64];

    handle(f, req(f, JM_REQ_SET, i, -3.0f)); /* untimed */
    assert_int_equal(pop(f).cmd.tag, 0);
    lo_message m = reply(f, path, sizeof path);
    assert_string_equal(path, "/strip/1/fader");
    assert_float_equal(lo_message_get_argv(m)[0]->f, -3.0f, 0.0f);
    lo_message_free(m);

    jm_req_t r = req(f, JM_REQ_SET, i, -7.0f);
    r.timetag = ntp_in(0.02); /* within the horizon: to the engine now */
    handle(f, r);
    jm_ctl_out_t out = pop(f);
    assert_true(out.frame != 0);
    assert_true(out.cmd.tag != 0);
    assert_float_equal(f->c->values[i], -7.0f, 0.0f); /* stored as before */
    assert_int_equal(f->c->n_owed, 1);
    jm_ctl_tick(f->c, jm_ctl_now());
    assert_false(arrives(f, 50)); /* not before the engine says so */
    jm_ctl_timed_applied(f->c, out.cmd.tag + 1); /* not its tag */
    assert_false(arrives(f, 20));
    jm_ctl_timed_applied(f->c, out.cmd.tag);
    m = reply(f, path, sizeof path);
    assert_string_equal(path, "/strip/1/fader");
    assert_float_equal(lo_message_get_argv(m)[0]->f, -7.0f, 0.0f);
    lo_message_free(m);
    assert_int_equal(f->c->n_owed, 0);
    jm_ctl_timed_applied(f->c, out.cmd.tag); /* a repeat sends nothing */
    assert_false(arrives(f, 20));

    /* the report never comes (a full event queue): sent at the deadline */
    r.value = -9.0f;
    r.timetag = ntp_in(0.02);
    handle(f, r);
    out = pop(f);
    assert_true(out.cmd.tag != 0);
    jm_ctl_tick(f->c, jm_ctl_now());
    assert_false(arrives(f, 20));
    double start = jm_ctl_now();
    while (f->c->n_owed && jm_ctl_now() - start < 2.0) {
        jm_ctl_tick(f->c, jm_ctl_now());
        usleep(5000);
    }
    assert_int_equal(f->c->owed_late, 1);
    m = reply(f, path, sizeof path);
    assert_float_equal(lo_message_get_argv(m)[0]->f, -9.0f, 0.0f);
    lo_message_free(m);

    /* the same value again: nothing changes, nothing is owed */
    r.timetag = ntp_in(0.02);
    handle(f, r);
    assert_int_equal(pop(f).cmd.tag, 0);
    assert_int_equal(f->c->n_owed, 0);

    /* owed when the engine closes: sent then */
    r.value = -11.0f;
    r.timetag = ntp_in(0.02);
    handle(f, r);
    pop(f);
    jm_ctl_timed_flush(f->c);
    m = reply(f, path, sizeof path);
    assert_float_equal(lo_message_get_argv(m)[0]->f, -11.0f, 0.0f);
    lo_message_free(m);
    fx_free(f);
}

static void test_snapshot_save_recall(void **state)
{
    (void)state;
    fx_t *f = fx_new(64);
    int a = param(f, "/strip/1/fader"), pan = param(f, "/strip/2/pan");
    handle(f, req(f, JM_REQ_SET, a, -5.0f));
    handle(f, req(f, JM_REQ_SET, pan, -0.5f));
    jm_req_t save = req(f, JM_REQ_SNAP_SAVE, -1, 0);
    snprintf(save.sarg, sizeof save.sarg, "verse");
    handle(f, save);
    assert_int_equal(f->c->snaps.n, 1);

    handle(f, req(f, JM_REQ_SET, a, -20.0f));
    handle(f, req(f, JM_REQ_SET, pan, 0.5f));
    while (queued(f)) pop(f);

    jm_req_t recall = req(f, JM_REQ_SNAP_RECALL, -1, 0);
    snprintf(recall.sarg, sizeof recall.sarg, "verse");
    handle(f, recall);
    assert_float_equal(f->c->values[a], -5.0f, 0.0f);
    assert_float_equal(f->c->values[pan], -0.5f, 0.0f);
    int got = 0;
    while (queued(f)) {
        jm_ctl_out_t m = pop(f);
        assert_int_equal(m.cmd.type, JM_CMD_SET);
        if (m.cmd.field == f->s.params.p[a].field && m.cmd.index == 0) {
            assert_float_equal(m.cmd.value, -5.0f, 0.0f);
            got |= 1;
        } else if (m.cmd.field == f->s.params.p[pan].field && m.cmd.index == 1) {
            assert_float_equal(m.cmd.value, -0.5f, 0.0f);
            got |= 2;
        }
    }
    assert_int_equal(got, 3); /* only the values that differed, both posted */

    /* with a fade: ramps of that length, values land when they end */
    handle(f, req(f, JM_REQ_SET, a, -20.0f));
    pop(f);
    recall.aux = 2.0f;
    handle(f, recall);
    jm_ctl_out_t m = pop(f);
    assert_int_equal(m.cmd.type, JM_CMD_RAMP);
    assert_int_equal(m.cmd.len, 2 * RATE);
    assert_float_equal(m.cmd.value, -5.0f, 0.0f);
    jm_ctl_tick(f->c, jm_ctl_now() + 3.0);
    assert_float_equal(f->c->values[a], -5.0f, 0.0f);

    /* an unknown name changes nothing and is answered */
    snprintf(recall.sarg, sizeof recall.sarg, "chorus");
    handle(f, recall);
    assert_int_equal(queued(f), 0);
    char path[256];
    lo_message r = reply(f, path, sizeof path);
    assert_string_equal(path, "/error");
    lo_message_free(r);
    fx_free(f);
}

static void test_no_engine_nothing_owed(void **state)
{
    (void)state;
    fx_t *f = fx_new(2);
    f->c->test_q = NULL; /* back to the (closed) engine */
    int a = param(f, "/strip/1/fader");
    handle(f, req(f, JM_REQ_SET, a, -3.0f));
    assert_float_equal(f->c->values[a], -3.0f, 0.0f);
    assert_false(jm_ctl_is_unsent(f->c, a)); /* the next open starts from values[] */
    assert_int_equal(f->c->cmds_refused, 0);
    fx_free(f);
}

/* The watchdog's conditions: the audio thread moves, the OSC thread's
 * loop beats, the control loop comes round (issue 14: a console stuck in a
 * reply loop kept feeding it). */
static void test_service_liveness(void **state)
{
    (void)state;
    jm_service_t sv;
    jm_service_init(&sv);
    /* no OSC thread yet (beats 0): alive */
    jm_service_tick(&sv, 100.0, 1, 10, 64, 48000, 0);
    assert_true(jm_service_alive(&sv, 100.0, 1) && jm_service_loops_alive(&sv, 100.0));
    for (int k = 1; k <= 10; k++) jm_service_tick(&sv, 100.0 + k * 0.1, 1, 10 + k, 64, 48000, k);
    assert_true(jm_service_alive(&sv, 101.0, 1) && jm_service_loops_alive(&sv, 101.0));
    /* the OSC thread stops beating while everything else runs */
    for (int k = 1; k <= 25; k++) jm_service_tick(&sv, 101.0 + k * 0.1, 1, 100 + k, 64, 48000, 10);
    assert_true(jm_service_alive(&sv, 103.5, 1));
    assert_false(jm_service_loops_alive(&sv, 103.5));
    /* it beats again */
    jm_service_tick(&sv, 103.6, 1, 200, 64, 48000, 11);
    assert_true(jm_service_loops_alive(&sv, 103.6));
    /* the control loop itself came round 3 s late */
    assert_false(jm_service_loops_alive(&sv, 106.6));
    /* the audio thread stops */
    for (int k = 1; k <= 25; k++) jm_service_tick(&sv, 106.6 + k * 0.1, 1, 300, 64, 48000, 11 + k);
    assert_false(jm_service_alive(&sv, 109.1, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_stored_clamped_posted),
        cmocka_unit_test(test_full_queue_retried_next_tick),
        cmocka_unit_test(test_newer_value_supersedes_unsent),
        cmocka_unit_test(test_bad_param_index_refused),
        cmocka_unit_test(test_ramp_posted_with_length),
        cmocka_unit_test(test_timed_bundle_held_then_posted_at_its_frame),
        cmocka_unit_test(test_timed_feedback_when_applied),
        cmocka_unit_test(test_snapshot_save_recall),
        cmocka_unit_test(test_no_engine_nothing_owed),
        cmocka_unit_test(test_service_liveness),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
