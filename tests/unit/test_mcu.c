/* The Mackie Control driver (src/control/mcu.c) against a fake host: the
 * protocol's bytes in and out, the fader law, touch, banking, buttons and
 * their LEDs, V-Pots, meters, the timecode display and the handshake. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jmixd/control/mcu.h"
#include "jmixd/session/params.h"

#define NSTRIPS 16
#define NBUSES 2
#define MAXLOG 1024
#define EPS 1e-4f

typedef struct {
    size_t len;
    uint8_t b[JM_MIDI_MSG_MAX];
} msg_t;

typedef struct {
    jm_surface_host_t host;
    jm_paramset_t ps;
    char strip_names[NSTRIPS][JM_NAME_MAX];
    char bus_names[NBUSES][JM_NAME_MAX];
    char bus_types[NBUSES][16];
    float *val;
    void *drv;
    msg_t log[MAXLOG];
    int nlog;
    int pending[64];        /* param_changed still to deliver (FROM_SELF) */
    int npending;
    int touch_param[32], touch_on[32], ntouch;
    int rolling;
    uint32_t frame;
    int starts, stops, locates;
    uint32_t locate_to;
    double now;
} fake_t;

/* ------------------------------------------------------- fake host -- */

static int f_send(void *ctx, const uint8_t *b, size_t len)
{
    fake_t *f = ctx;
    assert_true(len >= 1 && len <= JM_MIDI_MSG_MAX);
    if (f->nlog >= MAXLOG) return -1;
    f->log[f->nlog].len = len;
    memcpy(f->log[f->nlog].b, b, len);
    f->nlog++;
    return 0;
}

static void f_set(void *ctx, int p, float v)
{
    fake_t *f = ctx;
    f->val[p] = jm_param_clamp(f->ps.p[p].def, v);
    if (f->npending < 64) f->pending[f->npending++] = p;
}

static void f_set_norm(void *ctx, int p, float n)
{
    fake_t *f = ctx;
    f_set(ctx, p, jm_param_from_norm(f->ps.p[p].def, n));
}

static void f_touch(void *ctx, int p, int on)
{
    fake_t *f = ctx;
    if (f->ntouch < 32) {
        f->touch_param[f->ntouch] = p;
        f->touch_on[f->ntouch++] = on;
    }
}

static float f_value(void *ctx, int p) { return ((fake_t *)ctx)->val[p]; }
static const char *f_strip_name(void *ctx, int s) { return ((fake_t *)ctx)->strip_names[s]; }
static const char *f_bus_name(void *ctx, int b) { return ((fake_t *)ctx)->bus_names[b]; }
static const char *f_bus_type(void *ctx, int b) { return ((fake_t *)ctx)->bus_types[b]; }
static int f_start(void *ctx) { fake_t *f = ctx; f->starts++; f->rolling = 1; return 0; }
static int f_stop(void *ctx) { fake_t *f = ctx; f->stops++; f->rolling = 0; return 0; }
static int f_locate(void *ctx, uint32_t fr) { fake_t *f = ctx; f->locates++; f->locate_to = fr; f->frame = fr; return 0; }
static int f_transport(void *ctx, uint32_t *fr) { fake_t *f = ctx; if (fr) *fr = f->frame; return f->rolling; }
static uint32_t f_rate(void *ctx) { (void)ctx; return 48000; }

/* The host delivers its stored changes back to the driver after each call
 * (as the control thread does once a set is stored). */
static void flush(fake_t *f)
{
    while (f->npending > 0) {
        int p = f->pending[0];
        memmove(f->pending, f->pending + 1, (size_t)--f->npending * sizeof(int));
        jm_surface_mcu.param_changed(f->drv, p, f->val[p], JM_SURF_FROM_SELF);
    }
}

static void in(fake_t *f, const uint8_t *b, size_t len)
{
    jm_surface_mcu.midi_in(f->drv, b, len);
    flush(f);
}

static void in3(fake_t *f, uint8_t a, uint8_t b, uint8_t c)
{
    uint8_t m[3] = {a, b, c};
    in(f, m, 3);
}

static void press(fake_t *f, uint8_t note)
{
    in3(f, 0x90, note, 0x7F);
    in3(f, 0x90, note, 0x00);
}

static void tick(fake_t *f, double dt)
{
    f->now += dt;
    jm_surface_mcu.tick(f->drv, f->now);
}

/* A change from elsewhere (OSC, X32, web). */
static void osc_set(fake_t *f, int p, float v)
{
    f->val[p] = v;
    jm_surface_mcu.param_changed(f->drv, p, v, 0);
}

static int P(fake_t *f, const char *path)
{
    int p = jm_params_find(&f->ps, path);
    assert_true(p >= 0);
    return p;
}

static int setup_n(void **state, int n_strips, int n_buses)
{
    fake_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    for (int s = 0; s < NSTRIPS; s++) snprintf(f->strip_names[s], JM_NAME_MAX, "ch%02d", s + 1);
    snprintf(f->strip_names[0], JM_NAME_MAX, "Kick drum");
    snprintf(f->bus_names[0], JM_NAME_MAX, "mon1");
    snprintf(f->bus_names[1], JM_NAME_MAX, "verb");
    snprintf(f->bus_types[0], 16, "aux");
    snprintf(f->bus_types[1], 16, "reverb");
    jm_topo_names_t names = {n_strips, (const char(*)[JM_NAME_MAX])f->strip_names, n_buses,
                             (const char(*)[JM_NAME_MAX])f->bus_names,
                             (const char(*)[16])f->bus_types, 0, 0};
    assert_int_equal(jm_params_build(&f->ps, &names), 0);
    f->val = calloc(f->ps.n, sizeof(float));
    for (size_t i = 0; i < f->ps.n; i++) f->val[i] = f->ps.p[i].defval;
    jm_surface_host_t h = {
        .ctx = f, .send = f_send, .set = f_set, .set_norm = f_set_norm, .touch = f_touch,
        .value = f_value, .params = &f->ps, .n_strips = n_strips, .n_buses = n_buses,
        .strip_name = f_strip_name, .bus_name = f_bus_name, .bus_type = f_bus_type,
        .meter_rate = 20.0f, .transport_start = f_start, .transport_stop = f_stop,
        .transport_locate = f_locate, .transport = f_transport, .rate = f_rate,
    };
    f->host = h;
    f->now = 100.0;
    f->drv = jm_surface_mcu.open(&f->host);
    assert_non_null(f->drv);
    tick(f, 0.0);
    f->nlog = 0;
    *state = f;
    return 0;
}

static int setup(void **state) { return setup_n(state, NSTRIPS, NBUSES); }
/* 3 strips and no buses: channels 4..8 empty, no send mode */
static int setup_small(void **state) { return setup_n(state, 3, 0); }

static int teardown(void **state)
{
    fake_t *f = *state;
    jm_surface_mcu.close(f->drv);
    jm_params_free(&f->ps);
    free(f->val);
    free(f);
    return 0;
}

/* ------------------------------------------------------ log helpers -- */

/* Index of the last message starting with b[0..n), from `from` on, or -1. */
static int find_last(const fake_t *f, int from, const uint8_t *b, size_t n)
{
    for (int i = f->nlog - 1; i >= from; i--)
        if (f->log[i].len >= n && !memcmp(f->log[i].b, b, n)) return i;
    return -1;
}

static int count_status(const fake_t *f, uint8_t status)
{
    int c = 0;
    for (int i = 0; i < f->nlog; i++) c += f->log[i].b[0] == status;
    return c;
}

/* The last pitch bend on channel ch (0-based), or -1. */
static int last_pb(const fake_t *f, int ch)
{
    uint8_t st = (uint8_t)(0xE0 | ch);
    int i = find_last(f, 0, &st, 1);
    return i < 0 ? -1 : (f->log[i].b[1] | f->log[i].b[2] << 7);
}

/* The last LED state of a note: 1, 0, or -1 when none was sent. */
static int last_led(const fake_t *f, uint8_t note)
{
    uint8_t h[2] = {0x90, note};
    int i = find_last(f, 0, h, 2);
    return i < 0 ? -1 : f->log[i].b[2] == 0x7F;
}

/* The text of the last scribble SysEx at `offset`, or NULL. */
static const char *scribble(fake_t *f, int offset, char *out, size_t size)
{
    uint8_t h[7] = {0xF0, 0x00, 0x00, 0x66, 0x14, 0x12, (uint8_t)offset};
    int i = find_last(f, 0, h, 7);
    if (i < 0) return NULL;
    size_t n = f->log[i].len - 8;
    if (n >= size) n = size - 1;
    memcpy(out, f->log[i].b + 7, n);
    out[n] = 0;
    assert_int_equal(f->log[i].b[f->log[i].len - 1], 0xF7);
    return out;
}

static int pb_of_db(float db) { return jm_mcu_pb_from_norm(jm_x32_norm_from_db(db)); }

/* ----------------------------------------------------------- tests -- */

static void test_pure(void **state)
{
    (void)state;
    assert_int_equal(jm_mcu_vpot_ticks(0x01), 1);
    assert_int_equal(jm_mcu_vpot_ticks(0x47), -7);  /* the documentation's example */
    assert_int_equal(jm_mcu_vpot_ticks(0x0F), 15);
    assert_int_equal(jm_mcu_pb_from_norm(0.0f), 0);
    assert_int_equal(jm_mcu_pb_from_norm(1.0f), 16383);
    assert_int_equal(jm_mcu_pb_from_norm(0.75f), 12287);
    assert_float_equal(jm_mcu_norm_from_pb(16383), 1.0f, EPS);
    assert_float_equal(jm_mcu_norm_from_pb(8192), 8192.0f / 16383.0f, 1e-6f);
    assert_int_equal(jm_mcu_meter_level(-INFINITY), 0);
    assert_int_equal(jm_mcu_meter_level(NAN), 0);
    assert_int_equal(jm_mcu_meter_level(-60.5f), 0);
    assert_int_equal(jm_mcu_meter_level(-60.0f), 1);
    assert_int_equal(jm_mcu_meter_level(-32.0f), 6);
    assert_int_equal(jm_mcu_meter_level(-5.0f), 12);
    assert_int_equal(jm_mcu_meter_level(3.0f), 12);
    assert_int_equal(jm_mcu_7seg('0'), 0x30);
    assert_int_equal(jm_mcu_7seg('P'), 0x10);
    assert_int_equal(jm_mcu_7seg('a'), 0x01);
    assert_int_equal(jm_mcu_7seg(' '), 0x20);
    char b[16];
    assert_string_equal(jm_mcu_fmt_db(b, sizeof b, -6.0f), "-6.0dB");
    assert_string_equal(jm_mcu_fmt_db(b, sizeof b, -12.5f), "-12.5");
    assert_string_equal(jm_mcu_fmt_db(b, sizeof b, 10.0f), "+10.0");
    assert_string_equal(jm_mcu_fmt_db(b, sizeof b, -90.0f), "-inf");
    assert_string_equal(jm_mcu_fmt_pan(b, sizeof b, 0.0f), "<C>");
    assert_string_equal(jm_mcu_fmt_pan(b, sizeof b, -0.5f), "L50");
    assert_string_equal(jm_mcu_fmt_pan(b, sizeof b, 1.0f), "R100");
    /* the response algorithm of the Logic Control documentation, by hand for
     * l = 01 02 03 04: r1 = 1 + (2 ^ 0x0A) - 4 = 1 + 8 - 4 = 5, r2 = (3>>4) ^ (1+4) = 5,
     * r3 = (4 - 12) ^ (1|2) = -8 ^ 3 = -5 -> 0x7B, r4 = 2 - 3 + (0xF0 ^ 0x40)
     * = 0xAF -> 0x2F */
    uint8_t l[4] = {1, 2, 3, 4}, r[4];
    jm_mcu_challenge_response(l, r);
    assert_int_equal(r[0], 0x05);
    assert_int_equal(r[1], 0x05);
    assert_int_equal(r[2], 0x7B);
    assert_int_equal(r[3], 0x2F);
}

static void test_timecode_digits(void **state)
{
    (void)state;
    uint8_t d[JM_MCU_TC_DIGITS];
    /* 1 h 02 min 03.456 s at 48 kHz: "  1.02.03.456", right to left */
    jm_mcu_timecode((uint32_t)(3723.456 * 48000), 48000, d);
    const uint8_t want[JM_MCU_TC_DIGITS] = {0x36, 0x35, 0x34, 0x33 | 0x40, 0x30, 0x32 | 0x40, 0x30,
                                            0x31 | 0x40, 0x20, 0x20};
    assert_memory_equal(d, want, sizeof want);
}

static void test_fader_in_law(void **state)
{
    fake_t *f = *state;
    int p = P(f, "/strip/1/fader");
    in3(f, 0xE0, 0x00, 0x40); /* 8192 on channel 1 */
    float want = jm_x32_db_from_norm(8192.0f / 16383.0f);
    assert_float_equal(f->val[p], want, 1e-3f);
    assert_float_equal(f->val[p], -9.998f, 2e-3f); /* just above the law's -10 dB at 0.5 */
    /* 0x3FFF: +10 dB; 0: -90 */
    in3(f, 0xE0, 0x7F, 0x7F);
    assert_float_equal(f->val[p], 10.0f, EPS);
    in3(f, 0xE0, 0x00, 0x00);
    assert_float_equal(f->val[p], -90.0f, EPS);
    /* the master on channel 9 */
    in3(f, 0xE8, 0x7F, 0x5F); /* 12287: 0.75 -> 0 dB */
    assert_float_equal(f->val[P(f, "/master/fader")], jm_x32_db_from_norm(12287.0f / 16383.0f), 1e-3f);
    /* the driver does not echo the surface's own move */
    assert_int_equal(count_status(f, 0xE0), 0);
    assert_int_equal(count_status(f, 0xE8), 0);
    /* the value shows in channel 1's lower cell */
    char t[64];
    assert_non_null(scribble(f, 56, t, sizeof t));
    assert_string_equal(t, "-inf   ");
}

static void test_feedback_pb(void **state)
{
    fake_t *f = *state;
    osc_set(f, P(f, "/strip/2/fader"), -10.0f);
    assert_int_equal(last_pb(f, 1), pb_of_db(-10.0f));
    assert_int_equal(last_pb(f, 1), 8192);
    osc_set(f, P(f, "/master/fader"), 0.0f);
    assert_int_equal(last_pb(f, 8), 12287);
    /* strip 9 is not on the surface: nothing */
    int n = f->nlog;
    osc_set(f, P(f, "/strip/9/fader"), -3.0f);
    assert_int_equal(f->nlog, n);
}

static void test_touch_suppresses(void **state)
{
    fake_t *f = *state;
    int p = P(f, "/strip/2/fader");
    in3(f, 0x90, 0x69, 0x7F);
    assert_int_equal(f->ntouch, 1);
    assert_int_equal(f->touch_param[0], p);
    assert_int_equal(f->touch_on[0], 1);
    osc_set(f, p, -20.0f);
    osc_set(f, p, -30.0f);
    assert_int_equal(count_status(f, 0xE1), 0);
    /* while touched, the lower cell shows the value */
    char t[64];
    assert_non_null(scribble(f, 56 + 7, t, sizeof t));
    assert_string_equal(t, "-30.0  ");
    in3(f, 0x90, 0x69, 0x00);
    assert_int_equal(f->ntouch, 2);
    assert_int_equal(f->touch_on[1], 0);
    assert_int_equal(count_status(f, 0xE1), 1);
    assert_int_equal(last_pb(f, 1), pb_of_db(-30.0f));
    /* after the hold time the lower cell goes back to the pan */
    tick(f, 2.0);
    assert_non_null(scribble(f, 56 + 7, t, sizeof t));
    assert_string_equal(t, "<C>    ");
    /* the master's touch note 0x70 */
    in3(f, 0x90, 0x70, 0x7F);
    osc_set(f, P(f, "/master/fader"), -5.0f);
    assert_int_equal(count_status(f, 0xE8), 0);
    in3(f, 0x80, 0x70, 0x40); /* note off releases too */
    assert_int_equal(last_pb(f, 8), pb_of_db(-5.0f));
}

static void test_bank(void **state)
{
    fake_t *f = *state;
    for (int s = 9; s <= 16; s++) {
        char path[32];
        snprintf(path, sizeof path, "/strip/%d/fader", s);
        f->val[P(f, path)] = -(float)s; /* set behind the driver's back */
    }
    char t[128];
    assert_null(scribble(f, 0, t, sizeof t));
    press(f, JM_MCU_BANK_RIGHT);
    assert_null(scribble(f, 0, t, sizeof t)); /* the picture comes with the turn's tick */
    tick(f, 0.0);
    assert_non_null(scribble(f, 0, t, sizeof t));
    assert_string_equal(t, "ch09   ch10   ch11   ch12   ch13   ch14   ch15   ch16   ");
    for (int ch = 0; ch < 8; ch++) assert_int_equal(last_pb(f, ch), pb_of_db(-(float)(9 + ch)));
    /* now strip 9 is on channel 1 and strip 1 is off the surface */
    f->nlog = 0;
    osc_set(f, P(f, "/strip/9/fader"), 0.0f);
    assert_int_equal(last_pb(f, 0), 12287);
    osc_set(f, P(f, "/strip/1/fader"), -3.0f);
    assert_int_equal(count_status(f, 0xE0), 1);
    /* no further right than the last 8 strips */
    f->nlog = 0;
    press(f, JM_MCU_BANK_RIGHT);
    tick(f, 0.0);
    assert_null(scribble(f, 0, t, sizeof t));
    /* channel left by one: strips 8..15 */
    press(f, JM_MCU_CHANNEL_LEFT);
    tick(f, 0.0);
    assert_non_null(scribble(f, 0, t, sizeof t));
    assert_string_equal(t, "ch08   ch09   ch10   ch11   ch12   ch13   ch14   ch15   ");
    press(f, JM_MCU_BANK_LEFT);
    tick(f, 0.0);
    assert_non_null(scribble(f, 0, t, sizeof t));
    assert_string_equal(t, "Kick d ch02   ch03   ch04   ch05   ch06   ch07   ch08   ");
}

/* A burst of bank presses in one control turn: one picture. */
static void test_bank_burst(void **state)
{
    fake_t *f = *state;
    for (int k = 0; k < 100; k++) {
        press(f, JM_MCU_BANK_RIGHT);
        press(f, JM_MCU_BANK_LEFT);
    }
    press(f, JM_MCU_CHANNEL_RIGHT);
    assert_int_equal(f->nlog, 0);
    tick(f, 0.0);
    char t[128];
    assert_non_null(scribble(f, 0, t, sizeof t));
    assert_string_equal(t, "ch02   ch03   ch04   ch05   ch06   ch07   ch08   ch09   ");
    assert_int_equal(count_status(f, 0xF0), 1 + 8); /* upper row, 8 lower cells */
    assert_int_equal(count_status(f, 0xE0), 1);
}

static void test_mute_solo_leds(void **state)
{
    fake_t *f = *state;
    int mute = P(f, "/strip/1/mute"), solo = P(f, "/strip/3/solo");
    press(f, 0x10);
    assert_float_equal(f->val[mute], 1.0f, EPS);
    assert_int_equal(last_led(f, 0x10), 1);
    press(f, 0x10);
    assert_float_equal(f->val[mute], 0.0f, EPS);
    assert_int_equal(last_led(f, 0x10), 0);
    /* from elsewhere */
    osc_set(f, mute, 1.0f);
    assert_int_equal(last_led(f, 0x10), 1);
    press(f, 0x0A);
    assert_float_equal(f->val[solo], 1.0f, EPS);
    assert_int_equal(last_led(f, 0x0A), 1);
    /* rec is not mapped: nothing changes, nothing lights */
    int n = f->nlog;
    press(f, 0x00);
    assert_int_equal(f->nlog, n);
    /* select: one strip, its LED, its lower cell shows the fader value */
    press(f, 0x19);
    assert_int_equal(last_led(f, 0x19), 1);
    char t[64];
    assert_non_null(scribble(f, 56 + 7, t, sizeof t));
    assert_string_equal(t, "+0.0dB ");
    press(f, 0x1A);
    assert_int_equal(last_led(f, 0x19), 0);
    assert_int_equal(last_led(f, 0x1A), 1);
}

static void test_vpot(void **state)
{
    fake_t *f = *state;
    int pan = P(f, "/strip/1/pan");
    in3(f, 0xB0, 0x10, 0x05); /* 5 ticks clockwise */
    assert_float_equal(f->val[pan], 0.1f, 1e-4f);
    uint8_t ring[2] = {0xB0, 0x30};
    int i = find_last(f, 0, ring, 2);
    assert_true(i >= 0);
    assert_int_equal(f->log[i].b[2], 0x00 | 7); /* single dot, one right of centre (6) */
    in3(f, 0xB0, 0x10, 0x43); /* 3 counter-clockwise */
    assert_float_equal(f->val[pan], 0.04f, 1e-4f);
    in3(f, 0xB0, 0x10, 0x7F); /* 63 counter-clockwise: clamps at hard left */
    assert_float_equal(f->val[pan], -1.0f, 1e-4f);
    i = find_last(f, 0, ring, 2);
    assert_int_equal(f->log[i].b[2], 1);
    /* push: centre */
    press(f, 0x20);
    assert_float_equal(f->val[pan], 0.0f, EPS);

    /* send mode: the first bus */
    press(f, JM_MCU_ASSIGN_SEND);
    assert_int_equal(last_led(f, JM_MCU_ASSIGN_SEND), 1);
    assert_int_equal(last_led(f, JM_MCU_ASSIGN_PAN), 0);
    int s1 = P(f, "/strip/2/send/1/level"), s2 = P(f, "/strip/2/send/2/level");
    in3(f, 0xB0, 0x11, 0x0A); /* 10 ticks from -inf: norm 0.1 */
    assert_float_equal(f->val[s1], jm_x32_db_from_norm(0.1f), 1e-3f);
    assert_float_equal(f->val[s2], -90.0f, EPS);
    uint8_t ring2[2] = {0xB0, 0x31};
    i = find_last(f, 0, ring2, 2);
    assert_int_equal(f->log[i].b[2], 0x20 | 2); /* wrap mode, first two LEDs */
    /* SEND again: the next bus */
    press(f, JM_MCU_ASSIGN_SEND);
    in3(f, 0xB0, 0x11, 0x01);
    assert_float_equal(f->val[s2], jm_x32_db_from_norm(0.01f), 1e-3f);
    /* the assignment display shows the bus: right digit '2' */
    uint8_t asg[2] = {0xB0, 0x4A};
    i = find_last(f, 0, asg, 2);
    assert_int_equal(f->log[i].b[2], 0x32);
    /* a change from elsewhere of the shown send moves the ring */
    osc_set(f, s2, 0.0f); /* 0 dB = norm 0.75 -> position 1 + 8 */
    i = find_last(f, 0, ring2, 2);
    assert_int_equal(f->log[i].b[2], 0x20 | 9);
    /* PAN: back */
    press(f, JM_MCU_ASSIGN_PAN);
    assert_int_equal(last_led(f, JM_MCU_ASSIGN_PAN), 1);
    in3(f, 0xB0, 0x11, 0x02);
    assert_float_equal(f->val[P(f, "/strip/2/pan")], 0.04f, 1e-4f);
}

static void test_meters(void **state)
{
    fake_t *f = *state;
    float peaks[NSTRIPS];
    for (int s = 0; s < NSTRIPS; s++) peaks[s] = -INFINITY;
    peaks[0] = -3.0f;
    peaks[1] = -32.0f;
    peaks[8] = 0.0f; /* strip 9: not on the surface */
    float master[2] = {-1, -1};
    jm_surface_mcu.meters(f->drv, peaks, NSTRIPS, master);
    assert_int_equal(count_status(f, 0xD0), 8); /* every channel once (the silent ones: 0) */
    uint8_t a[2] = {0xD0, 0x0C}, b[2] = {0xD0, 0x16}, c[2] = {0xD0, 0x20};
    assert_true(find_last(f, 0, a, 2) >= 0);
    assert_true(find_last(f, 0, b, 2) >= 0);
    assert_true(find_last(f, 0, c, 2) >= 0);
    assert_int_equal(f->log[find_last(f, 0, a, 2)].len, 2);
    f->nlog = 0;
    jm_surface_mcu.meters(f->drv, peaks, NSTRIPS, master);
    assert_int_equal(count_status(f, 0xD0), 2); /* the silent ones stay quiet */
}

static void test_transport_timecode(void **state)
{
    fake_t *f = *state;
    f->frame = 48000 * 61 + 24000; /* 1:01.500 */
    tick(f, 0.1);
    uint8_t d[JM_MCU_TC_DIGITS], d0[JM_MCU_TC_DIGITS];
    jm_mcu_timecode(f->frame, 48000, d);
    jm_mcu_timecode(0, 48000, d0); /* what setup's tick showed */
    for (int i = 0; i < JM_MCU_TC_DIGITS; i++) {
        if (d[i] == d0[i]) continue; /* unchanged digits are not sent again */
        uint8_t h[2] = {0xB0, (uint8_t)(0x40 + i)};
        int k = find_last(f, 0, h, 2);
        assert_true(k >= 0);
        assert_int_equal(f->log[k].b[2], d[i]);
    }
    assert_int_equal(d[2], 0x35); /* the hundreds of milliseconds: 5 */
    assert_int_equal(d[3], 0x31 | 0x40);
    /* only changed digits are sent again */
    f->nlog = 0;
    f->frame += 48; /* +1 ms */
    tick(f, 0.1);
    assert_int_equal(count_status(f, 0xB0), 1);

    press(f, JM_MCU_PLAY);
    assert_int_equal(f->starts, 1);
    tick(f, 0.1);
    assert_int_equal(last_led(f, JM_MCU_PLAY), 1);
    assert_int_equal(last_led(f, JM_MCU_STOP), 0);
    press(f, JM_MCU_FFWD);
    assert_int_equal(f->locate_to, f->frame);
    assert_int_equal(f->locate_to, 48000u * 71 + 24000 + 48);
    press(f, JM_MCU_STOP);
    assert_int_equal(f->stops, 1);
    press(f, JM_MCU_REWIND);
    assert_int_equal(f->locate_to, 0);
    tick(f, 0.1);
    assert_int_equal(last_led(f, JM_MCU_PLAY), 0);
    assert_int_equal(last_led(f, JM_MCU_STOP), 1);
}

static void test_handshake(void **state)
{
    fake_t *f = *state;
    f->val[P(f, "/strip/3/fader")] = -6.0f;
    f->val[P(f, "/strip/1/mute")] = 1.0f;
    tick(f, 1.0);
    f->nlog = 0;
    /* Logic Control's host connection query: serial "ABC1234", challenge */
    uint8_t q[18] = {0xF0, 0x00, 0x00, 0x66, 0x10, 0x01, 'A', 'B', 'C', '1', '2', '3', '4',
                     0x11, 0x22, 0x33, 0x44, 0xF7};
    in(f, q, sizeof q);
    assert_int_equal(f->nlog, 1);
    uint8_t want[18] = {0xF0, 0x00, 0x00, 0x66, 0x10, 0x02, 'A', 'B', 'C', '1', '2', '3', '4'};
    jm_mcu_challenge_response(q + 13, want + 13);
    want[17] = 0xF7;
    assert_int_equal(f->log[0].len, 18);
    assert_memory_equal(f->log[0].b, want, 18);
    /* the next tick sends the whole state, with the surface's device id */
    tick(f, 0.01);
    char t[128];
    uint8_t h[7] = {0xF0, 0x00, 0x00, 0x66, 0x10, 0x12, 0x00};
    int i = find_last(f, 0, h, 7);
    assert_true(i >= 0);
    memcpy(t, f->log[i].b + 7, 56);
    t[56] = 0;
    assert_string_equal(t, "Kick d ch02   ch03   ch04   ch05   ch06   ch07   ch08   ");
    for (int ch = 0; ch < 9; ch++) assert_true(last_pb(f, ch) >= 0);
    assert_int_equal(last_pb(f, 2), pb_of_db(-6.0f));
    assert_int_equal(last_led(f, 0x10), 1);
    assert_int_equal(last_led(f, 0x11), 0);
    assert_int_equal(last_led(f, JM_MCU_ASSIGN_PAN), 1);
    assert_int_equal(count_status(f, 0xB0) >= 8 + 10, 1); /* rings and timecode */

    /* an MCU's own "device ready" (no challenge): the state again, no reply */
    tick(f, 1.0);
    f->nlog = 0;
    uint8_t ready[7] = {0xF0, 0x00, 0x00, 0x66, 0x14, 0x01, 0xF7};
    in(f, ready, sizeof ready);
    assert_int_equal(f->nlog, 0);
    tick(f, 0.01);
    assert_true(count_status(f, 0xE0) == 1);
    /* a universal device inquiry reply, too; but a flood of 50 handshakes
     * over 0.5 s gives one full state per 0.2 s: 3 */
    tick(f, 1.0);
    f->nlog = 0;
    uint8_t inq[15] = {0xF0, 0x7E, 0x00, 0x06, 0x02, 0x00, 0x20, 0x32, 0x14, 0, 0, 0, 0, 0, 0xF7};
    for (int k = 0; k < 50; k++) {
        in(f, inq, sizeof inq);
        tick(f, 0.01);
    }
    assert_int_equal(count_status(f, 0xE0), 3);
    /* garbage SysEx: nothing (after the flood's last pending state) */
    tick(f, 1.0);
    f->nlog = 0;
    uint8_t junk[5] = {0xF0, 0x00, 0x00, 0x66, 0xF7};
    in(f, junk, sizeof junk);
    tick(f, 1.0);
    assert_int_equal(count_status(f, 0xE0), 0);
}

/* Every message the driver sends is well-formed MIDI: a status byte, data
 * bytes below 0x80, the right length; SysEx from F0 to F7. */
static void assert_well_formed(const fake_t *f)
{
    for (int i = 0; i < f->nlog; i++) {
        const msg_t *m = &f->log[i];
        uint8_t st = m->b[0];
        assert_true(st >= 0x80);
        if (st == 0xF0) {
            assert_int_equal(m->b[m->len - 1], 0xF7);
            for (size_t k = 1; k + 1 < m->len; k++) assert_true(m->b[k] < 0x80);
            continue;
        }
        size_t want = (st & 0xF0) == 0xD0 || (st & 0xF0) == 0xC0 ? 2 : 3;
        assert_int_equal(m->len, want);
        for (size_t k = 1; k < m->len; k++) assert_true(m->b[k] < 0x80);
    }
}

/* Random input (any bytes, any length), changes and ticks: no crash (run
 * under valgrind too), only well-formed output, bounded output per input. */
static void fuzz(fake_t *f, unsigned seed)
{
    srand(seed);
    static const uint8_t notes[] = {0x00, 0x08, 0x10, 0x18, 0x20, 0x29, 0x2A, 0x2E, 0x2F, 0x30,
                                    0x31, 0x5B, 0x5C, 0x5D, 0x5E, 0x68, 0x70};
    float peaks[NSTRIPS];
    for (int round = 0; round < 4000; round++) {
        f->nlog = 0;
        uint8_t b[40];
        size_t len = 1 + (size_t)(rand() % 39);
        for (size_t k = 0; k < len; k++) b[k] = (uint8_t)rand();
        switch (rand() % 6) {
        case 0: b[0] = 0xF0; b[1] = 0; b[2] = 0; b[3] = 0x66; b[4] = 0x14; b[5] = (uint8_t)(rand() % 8); break;
        case 1: len = 3; b[0] = 0x90; b[1] = (uint8_t)(notes[rand() % sizeof notes] + rand() % 8); b[2] &= 0x7F; break;
        case 2: len = 3; b[0] = (uint8_t)(0xE0 | rand() % 16); b[1] &= 0x7F; b[2] &= 0x7F; break;
        case 3: len = 3; b[0] = 0xB0; b[1] = (uint8_t)(0x10 + rand() % 8); b[2] &= 0x7F; break;
        default: break;
        }
        in(f, b, len);
        int p = rand() % (int)f->ps.n;
        float v = jm_param_from_norm(f->ps.p[p].def, (float)rand() / (float)RAND_MAX);
        osc_set(f, p, v);
        for (int s = 0; s < NSTRIPS; s++) peaks[s] = -100.0f + (float)(rand() % 110);
        float master[2] = {0, 0};
        jm_surface_mcu.meters(f->drv, peaks, f->host.n_strips, master);
        tick(f, 0.003 * (rand() % 100));
        assert_true(f->nlog < 200); /* one full state is about 80 messages */
        assert_well_formed(f);
    }
}

static void test_fuzz(void **state) { fuzz(*state, 1); }
static void test_fuzz_small(void **state)
{
    fake_t *f = *state;
    fuzz(f, 2);
    /* with 3 strips: the bank never moves, the empty channels stay blank */
    for (int k = 0; k <= 8; k++) in3(f, 0x90, (uint8_t)(JM_MCU_TOUCH + k), 0); /* the fuzz's touches off */
    press(f, JM_MCU_ASSIGN_PAN);
    press(f, JM_MCU_BANK_RIGHT);
    press(f, JM_MCU_CHANNEL_RIGHT);
    f->nlog = 0;
    jm_surface_mcu.resync(f->drv);
    char t[128];
    assert_non_null(scribble(f, 0, t, sizeof t));
    char want[64];
    snprintf(want, sizeof want, "%-56s", "Kick d ch02   ch03");
    assert_string_equal(t, want);
    assert_int_equal(last_pb(f, 5), 0);
    /* SEND with no buses: pan stays */
    press(f, JM_MCU_ASSIGN_SEND);
    assert_int_equal(last_led(f, JM_MCU_ASSIGN_PAN), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pure),
        cmocka_unit_test(test_timecode_digits),
        cmocka_unit_test_setup_teardown(test_fader_in_law, setup, teardown),
        cmocka_unit_test_setup_teardown(test_feedback_pb, setup, teardown),
        cmocka_unit_test_setup_teardown(test_touch_suppresses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bank, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bank_burst, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mute_solo_leds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vpot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transport_timecode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handshake, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fuzz, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fuzz_small, setup_small, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
