/* MIDI: the byte-stream parser of midi_in (running status, SysEx across
 * events, real-time bytes inside messages, oversize SysEx) and the learn
 * bindings (CC, 14-bit pairs, notes, pitch bend, learn, feedback without
 * echo), driven through a fake surface host. */
#include "jmixd/control/midilearn.h"
#include "jmixd/control/state.h"
#include "jmixd/engine/midiparse.h"
#include "jmixd/session/session.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

/* ---- parser ------------------------------------------------------------ */

typedef struct {
    jm_midi_msg_t m[64];
    int n;
    int refuse;     /* emit fails (a full ring) */
} sink_t;

static int collect(void *arg, const jm_midi_msg_t *m)
{
    sink_t *s = arg;
    if (s->refuse || s->n == 64) return -1;
    s->m[s->n++] = *m;
    return 0;
}

static void assert_msg(const jm_midi_msg_t *m, const uint8_t *want, size_t n)
{
    assert_int_equal(m->len, n);
    assert_memory_equal(m->data, want, n);
}

static void test_running_status(void **state)
{
    (void)state;
    jm_midi_parser_t p;
    jm_midi_parser_init(&p);
    sink_t s = {.n = 0};
    /* B0 07 10, then 07 20 and 0A 30 under running status; C1 05 (one data
     * byte) then 06 under running status */
    const uint8_t in[] = {0xb0, 0x07, 0x10, 0x07, 0x20, 0x0a, 0x30, 0xc1, 0x05, 0x06};
    assert_int_equal(jm_midi_parse(&p, in, sizeof in, collect, &s), 0);
    assert_int_equal(s.n, 5);
    assert_msg(&s.m[0], (const uint8_t[]){0xb0, 0x07, 0x10}, 3);
    assert_msg(&s.m[1], (const uint8_t[]){0xb0, 0x07, 0x20}, 3);
    assert_msg(&s.m[2], (const uint8_t[]){0xb0, 0x0a, 0x30}, 3);
    assert_msg(&s.m[3], (const uint8_t[]){0xc1, 0x05}, 2);
    assert_msg(&s.m[4], (const uint8_t[]){0xc1, 0x06}, 2);
    /* a message split over two events */
    s.n = 0;
    assert_int_equal(jm_midi_parse(&p, (const uint8_t[]){0xe0, 0x00}, 2, collect, &s), 0);
    assert_int_equal(s.n, 0);
    jm_midi_parse(&p, (const uint8_t[]){0x40}, 1, collect, &s);
    assert_int_equal(s.n, 1);
    assert_msg(&s.m[0], (const uint8_t[]){0xe0, 0x00, 0x40}, 3);
}

static void test_realtime_and_system_common(void **state)
{
    (void)state;
    jm_midi_parser_t p;
    jm_midi_parser_init(&p);
    sink_t s = {.n = 0};
    /* a clock (dropped) and a start (passed) inside a note-on; then a song
     * position (system common) cancels running status: 33 is stray */
    const uint8_t in[] = {0x90, 0xf8, 0x3c, 0xfa, 0x7f, 0xf2, 0x01, 0x02, 0x33, 0xfe};
    jm_midi_parse(&p, in, sizeof in, collect, &s);
    assert_int_equal(s.n, 3);
    assert_msg(&s.m[0], (const uint8_t[]){0xfa}, 1);
    assert_msg(&s.m[1], (const uint8_t[]){0x90, 0x3c, 0x7f}, 3);
    assert_msg(&s.m[2], (const uint8_t[]){0xf2, 0x01, 0x02}, 3);
    assert_int_equal(p.stray, 1);
    /* data bytes with no status at all are stray */
    jm_midi_parser_init(&p);
    s.n = 0;
    jm_midi_parse(&p, (const uint8_t[]){0x10, 0x20}, 2, collect, &s);
    assert_int_equal(s.n, 0);
    assert_int_equal(p.stray, 2);
}

static void test_sysex_across_events_and_oversize(void **state)
{
    (void)state;
    jm_midi_parser_t p;
    jm_midi_parser_init(&p);
    sink_t s = {.n = 0};
    /* an MCU scribble-strip SysEx in three pieces, a clock inside it */
    jm_midi_parse(&p, (const uint8_t[]){0xf0, 0x00, 0x00, 0x66}, 4, collect, &s);
    jm_midi_parse(&p, (const uint8_t[]){0x14, 0x12, 0xf8, 0x00}, 4, collect, &s);
    assert_int_equal(s.n, 0);
    jm_midi_parse(&p, (const uint8_t[]){0x41, 0xf7, 0xb0, 0x01, 0x02}, 5, collect, &s);
    assert_int_equal(s.n, 2);
    assert_msg(&s.m[0], (const uint8_t[]){0xf0, 0x00, 0x00, 0x66, 0x14, 0x12, 0x00, 0x41, 0xf7}, 9);
    assert_msg(&s.m[1], (const uint8_t[]){0xb0, 0x01, 0x02}, 3);
    /* the largest SysEx that fits (JM_MIDI_MSG_MAX bytes with F0 and F7) */
    uint8_t big[JM_MIDI_MSG_MAX + 1];
    memset(big, 0x11, sizeof big);
    big[0] = 0xf0;
    big[JM_MIDI_MSG_MAX - 1] = 0xf7;
    s.n = 0;
    jm_midi_parse(&p, big, JM_MIDI_MSG_MAX, collect, &s);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.m[0].len, JM_MIDI_MSG_MAX);
    assert_int_equal(p.oversize, 0);
    /* one byte more: dropped whole and counted; the next message is fine */
    big[JM_MIDI_MSG_MAX - 1] = 0x11;
    big[JM_MIDI_MSG_MAX] = 0xf7;
    s.n = 0;
    jm_midi_parse(&p, big, JM_MIDI_MSG_MAX + 1, collect, &s);
    jm_midi_parse(&p, (const uint8_t[]){0x90, 0x10, 0x7f}, 3, collect, &s);
    assert_int_equal(p.oversize, 1);
    assert_int_equal(s.n, 1);
    assert_msg(&s.m[0], (const uint8_t[]){0x90, 0x10, 0x7f}, 3);
    /* a SysEx cut off by a status byte is not passed on */
    s.n = 0;
    jm_midi_parse(&p, (const uint8_t[]){0xf0, 0x01, 0x02, 0x80, 0x10, 0x00}, 6, collect, &s);
    assert_int_equal(s.n, 1);
    assert_msg(&s.m[0], (const uint8_t[]){0x80, 0x10, 0x00}, 3);
    /* a refused emit is reported (the engine counts it) */
    s.n = 0;
    s.refuse = 1;
    assert_int_equal(jm_midi_parse(&p, (const uint8_t[]){0x90, 0x10, 0x7f, 0x11, 0x7f}, 5,
                                   collect, &s), 2);
}

/* ---- bindings ------------------------------------------------------------ */

typedef struct {
    jm_paramset_t ps;
    float *values;
    uint8_t sent[64][3];
    int n_sent;
    int sets;
    jm_midilearn_t *l;
} fake_t;

static int f_send(void *ctx, const uint8_t *b, size_t len)
{
    fake_t *f = ctx;
    assert_true(len == 3 && f->n_sent < 64);
    memcpy(f->sent[f->n_sent++], b, 3);
    return 0;
}

/* as the console: store, then tell the bindings (feedback) */
static void f_set(void *ctx, int i, float v)
{
    fake_t *f = ctx;
    v = jm_param_clamp(f->ps.p[i].def, v);
    f->sets++;
    if (v == f->values[i]) return;
    f->values[i] = v;
    jm_midilearn_param(f->l, i, v);
}

static void f_set_norm(void *ctx, int i, float n)
{
    fake_t *f = ctx;
    f_set(ctx, i, jm_param_from_norm(f->ps.p[i].def, n));
}

static float f_value(void *ctx, int i) { return ((fake_t *)ctx)->values[i]; }

static const char names[4][JM_NAME_MAX] = {"kick", "snare", "oh", "bass"};

static void setup(fake_t *f, jm_surface_host_t *h, jm_midi_cfg_t *mc, jm_midilearn_t *l)
{
    memset(f, 0, sizeof *f);
    jm_topo_names_t tn = {.n_strips = 4, .strip_names = names};
    assert_int_equal(jm_params_build(&f->ps, &tn), 0);
    f->values = calloc(f->ps.n, sizeof *f->values);
    for (size_t i = 0; i < f->ps.n; i++) f->values[i] = f->ps.p[i].defval;
    *h = (jm_surface_host_t){.ctx = f, .send = f_send, .set = f_set, .set_norm = f_set_norm,
                             .value = f_value, .params = &f->ps, .n_strips = 4};
    memset(mc, 0, sizeof *mc);
    mc->enabled = 1;
    jm_midilearn_init(l, mc, h);
    f->l = l;
}

static void teardown(fake_t *f)
{
    free(f->values);
    jm_params_free(&f->ps);
}

static int P(fake_t *f, const char *path)
{
    int i = jm_params_find(&f->ps, path);
    assert_true(i >= 0);
    return i;
}

static void in3(jm_midilearn_t *l, uint8_t a, uint8_t b, uint8_t c, double t)
{
    const uint8_t m[3] = {a, b, c};
    jm_midilearn_input(l, m, 3, t);
}

static void test_bindings_apply_and_feed_back(void **state)
{
    (void)state;
    fake_t f;
    jm_surface_host_t h;
    jm_midi_cfg_t mc;
    jm_midilearn_t l;
    setup(&f, &h, &mc, &l);
    int fader = P(&f, "/strip/1/fader"), mute = P(&f, "/strip/2/mute"),
        pan = P(&f, "/strip/3/pan"), f4 = P(&f, "/strip/4/fader"), m1 = P(&f, "/strip/1/mute");
    mc.map[0] = (jm_midi_binding_t){.param = fader, .kind = JM_MIDI_CC, .channel = 1,
                                    .number = 7, .feedback = 1};
    mc.map[1] = (jm_midi_binding_t){.param = mute, .kind = JM_MIDI_NOTE, .channel = 1,
                                    .number = 17, .feedback = 1};
    mc.map[2] = (jm_midi_binding_t){.param = pan, .kind = JM_MIDI_PITCHBEND, .channel = 9,
                                    .feedback = 0};
    mc.map[3] = (jm_midi_binding_t){.param = f4, .kind = JM_MIDI_CC14, .channel = 3,
                                    .number = 1, .lsb = 33, .feedback = 1};
    mc.map[4] = (jm_midi_binding_t){.param = m1, .kind = JM_MIDI_NOTE, .channel = 1,
                                    .number = 16, .momentary = 1, .feedback = 1};
    mc.n_map = 5;
    /* CC 7 = 127 on channel 1: the fader's top; nothing echoed to CC 7 */
    in3(&l, 0xb0, 7, 127, 0);
    assert_float_equal(f.values[fader], 10.0f, 1e-4);
    assert_int_equal(f.n_sent, 0);
    /* on another channel: not this binding */
    in3(&l, 0xb1, 7, 0, 0);
    assert_float_equal(f.values[fader], 10.0f, 1e-4);
    /* toggle: presses flip, releases do nothing; its LED is not echoed */
    in3(&l, 0x90, 17, 100, 0);
    assert_float_equal(f.values[mute], 1.0f, 0);
    in3(&l, 0x80, 17, 0, 0);
    in3(&l, 0x90, 17, 0, 0);
    assert_float_equal(f.values[mute], 1.0f, 0);
    in3(&l, 0x90, 17, 1, 0);
    assert_float_equal(f.values[mute], 0.0f, 0);
    /* momentary: on while held */
    in3(&l, 0x90, 16, 127, 0);
    assert_float_equal(f.values[m1], 1.0f, 0);
    in3(&l, 0x90, 16, 0, 0);
    assert_float_equal(f.values[m1], 0.0f, 0);
    /* pitch bend 0 and 16383 on channel 9: pan -1 and +1 */
    in3(&l, 0xe8, 0x00, 0x00, 0);
    assert_float_equal(f.values[pan], -1.0f, 1e-6);
    in3(&l, 0xe8, 0x7f, 0x7f, 0);
    assert_float_equal(f.values[pan], 1.0f, 1e-6);
    /* 14-bit: MSB then LSB */
    in3(&l, 0xb2, 1, 0x40, 0);
    assert_float_equal(jm_param_to_norm(f.ps.p[f4].def, f.values[f4]), 8192.0f / 16383.0f, 1e-4);
    in3(&l, 0xb2, 33, 0x7f, 0);
    assert_float_equal(jm_param_to_norm(f.ps.p[f4].def, f.values[f4]), 8319.0f / 16383.0f, 1e-4);
    assert_int_equal(f.n_sent, 0);
    /* changes from elsewhere are fed back on each binding's channel */
    f_set(&f, fader, 0.0f);                 /* 0 dB = norm 0.75 -> 95 */
    f_set(&f, mute, 1.0f);
    f_set(&f, pan, 0.0f);                   /* feedback = false */
    f_set_norm(&f, f4, 1.0f);
    f_set(&f, m1, 1.0f);
    assert_int_equal(f.n_sent, 5);
    assert_memory_equal(f.sent[0], ((uint8_t[]){0xb0, 7, 95}), 3);
    assert_memory_equal(f.sent[1], ((uint8_t[]){0x90, 17, 127}), 3);
    assert_memory_equal(f.sent[2], ((uint8_t[]){0xb2, 1, 127}), 3);
    assert_memory_equal(f.sent[3], ((uint8_t[]){0xb2, 33, 127}), 3);
    assert_memory_equal(f.sent[4], ((uint8_t[]){0x90, 16, 127}), 3);
    /* resync: every bound parameter with feedback, pan not */
    f.n_sent = 0;
    jm_midilearn_resync(&l);
    assert_int_equal(f.n_sent, 5);
    teardown(&f);
}

static void test_learn(void **state)
{
    (void)state;
    fake_t f;
    jm_surface_host_t h;
    jm_midi_cfg_t mc;
    jm_midilearn_t l;
    setup(&f, &h, &mc, &l);
    int pan = P(&f, "/strip/3/pan"), fader = P(&f, "/strip/1/fader"),
        mute = P(&f, "/strip/1/mute");
    /* CC 10 (< 32: could be a 14-bit MSB): bound once the pair window passed */
    jm_midilearn_arm(&l, pan);
    assert_int_equal(jm_midilearn_input(&l, (const uint8_t[]){0xb0, 10, 0}, 3, 1.0), -1);
    assert_int_equal(mc.n_map, 0);
    assert_int_equal(jm_midilearn_tick(&l, 1.0 + JM_LEARN_PAIR_SECONDS / 2), -1);
    assert_int_equal(jm_midilearn_tick(&l, 1.0 + 2 * JM_LEARN_PAIR_SECONDS), 0);
    assert_int_equal(mc.n_map, 1);
    assert_int_equal(mc.map[0].kind, JM_MIDI_CC);
    assert_int_equal(mc.map[0].number, 10);
    assert_int_equal(mc.map[0].channel, 1);
    assert_float_equal(f.values[pan], -1.0f, 1e-6);
    char d[64];
    jm_midilearn_describe(&mc.map[0], d, sizeof d);
    assert_string_equal(d, "cc 10 ch 1");
    /* CC 7 then CC 39 on channel 2 within the window: a 14-bit pair */
    jm_midilearn_arm(&l, fader);
    jm_midilearn_input(&l, (const uint8_t[]){0xb1, 7, 0x7f}, 3, 2.0);
    assert_int_equal(jm_midilearn_input(&l, (const uint8_t[]){0xb1, 39, 0x7f}, 3, 2.01), 1);
    assert_int_equal(mc.map[1].kind, JM_MIDI_CC14);
    assert_int_equal(mc.map[1].lsb, 39);
    assert_float_equal(f.values[fader], 10.0f, 1e-4);
    /* a note learns on its press; learning the same parameter again
     * replaces its binding, and learning a bound control takes it over */
    jm_midilearn_arm(&l, mute);
    assert_int_equal(jm_midilearn_input(&l, (const uint8_t[]){0x80, 5, 0}, 3, 3.0), -1);
    assert_int_equal(jm_midilearn_input(&l, (const uint8_t[]){0x94, 5, 90}, 3, 3.0), 2);
    assert_int_equal(mc.map[2].kind, JM_MIDI_NOTE);
    assert_int_equal(mc.map[2].channel, 5);
    assert_float_equal(f.values[mute], 1.0f, 0);
    jm_midilearn_arm(&l, pan);
    assert_int_equal(jm_midilearn_input(&l, (const uint8_t[]){0x94, 5, 90}, 3, 4.0), 1);
    assert_int_equal(mc.n_map, 2);   /* pan's CC 10 and mute's note 5 went */
    assert_int_equal(mc.map[1].param, pan);
    assert_int_equal(jm_midilearn_find(&l, mute), -1);
    /* cancel, unlearn */
    jm_midilearn_arm(&l, mute);
    jm_midilearn_arm(&l, -1);
    jm_midilearn_input(&l, (const uint8_t[]){0xb0, 70, 1}, 3, 5.0);
    assert_int_equal(mc.n_map, 2);
    assert_int_equal(jm_midilearn_unlearn(&l, pan), 1);
    assert_int_equal(jm_midilearn_unlearn(&l, pan), 0);
    assert_int_equal(mc.n_map, 1);
    teardown(&f);
}

static void test_binding_rules(void **state)
{
    (void)state;
    fake_t f;
    jm_surface_host_t h;
    jm_midi_cfg_t mc;
    jm_midilearn_t l;
    setup(&f, &h, &mc, &l);
    int fader = P(&f, "/strip/1/fader");
    /* jm_midi_binding_check: each binding, its verdict, and the reason given */
    static const struct {
        jm_midi_binding_t b;
        int rc;
        const char *why;
    } rules[] = {
        {{.kind = JM_MIDI_CC14, .channel = 1, .number = 7, .lsb = 39}, 0, NULL},
        {{.kind = JM_MIDI_CC14, .channel = 1, .number = 7, .lsb = 20}, -1, NULL}, /* LSB not MSB + 32 */
        {{.kind = JM_MIDI_NOTE, .channel = 1, .number = 3, .momentary = 1}, -1, NULL}, /* a fader */
        {{.kind = JM_MIDI_NOTE, .channel = 17, .number = 3}, -1, "channel 17 is not 1..16"},
    };
    char why[128];
    for (size_t k = 0; k < sizeof rules / sizeof rules[0]; k++) {
        jm_midi_binding_t b = rules[k].b;
        b.param = fader;
        assert_int_equal(jm_midi_binding_check(&f.ps, &b, why, sizeof why), rules[k].rc);
        if (rules[k].why) assert_string_equal(why, rules[k].why);
    }
    /* a CC clashes with a 14-bit pair's LSB on the same channel only */
    jm_midi_binding_t b = rules[0].b, c = {.param = P(&f, "/strip/2/fader"), .kind = JM_MIDI_CC,
                                           .channel = 1, .number = 39};
    b.param = fader;
    assert_true(jm_midi_binding_clash(&b, &c));
    c.channel = 2;
    assert_false(jm_midi_binding_clash(&b, &c));
    teardown(&f);
}

/* The state file's @midi lines read back into the same bindings; bad and
 * clashing lines are skipped; a file without @midimap leaves the map. */
static void test_state_lines(void **state)
{
    (void)state;
    fake_t f;
    jm_surface_host_t h;
    jm_midi_cfg_t mc, back;
    jm_midilearn_t l;
    setup(&f, &h, &mc, &l);
    mc.map[0] = (jm_midi_binding_t){.param = P(&f, "/strip/1/fader"), .kind = JM_MIDI_CC14,
                                    .channel = 3, .number = 1, .lsb = 33, .feedback = 1};
    mc.map[1] = (jm_midi_binding_t){.param = P(&f, "/strip/2/mute"), .kind = JM_MIDI_NOTE,
                                    .channel = 16, .number = 5, .momentary = 1};
    mc.map[2] = (jm_midi_binding_t){.param = P(&f, "/strip/3/pan"), .kind = JM_MIDI_PITCHBEND,
                                    .channel = 9, .feedback = 1};
    mc.n_map = 3;
    char *text = jm_state_midi_text(&f.ps, &mc);
    assert_non_null(text);
    assert_string_equal(text, "@midimap\n"
                              "@midi /strip/kick/fader cc14 1 33 3 toggle 1\n"
                              "@midi /strip/snare/mute note 5 0 16 momentary 0\n"
                              "@midi /strip/oh/pan pitchbend 0 0 9 toggle 1\n");
    char path[] = "/tmp/jm_midi_stateXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    fprintf(fp, "# jmixd state 1\n/strip/kick/fader -6\n%s", text);
    fprintf(fp, "@midi /strip/nope/fader cc 1 0 1 toggle 1\n");      /* no such parameter */
    fprintf(fp, "@midi /strip/bass/fader cc 1 0 3 toggle 1\n");      /* the pair's MSB */
    fprintf(fp, "@midi /strip/bass/fader cc 9 0 17 toggle 1\n");     /* channel 17 */
    fclose(fp);
    memset(&back, 0, sizeof back);
    assert_int_equal(jm_state_load_midi(path, &f.ps, &back, NULL), 3);
    assert_int_equal(back.n_map, 3);
    assert_memory_equal(back.map, mc.map, 3 * sizeof mc.map[0]);
    /* without @midimap: -1, the map untouched */
    fp = fopen(path, "w");
    fprintf(fp, "# jmixd state 1\n/strip/kick/fader -6\n");
    fclose(fp);
    assert_int_equal(jm_state_load_midi(path, &f.ps, &back, NULL), -1);
    assert_int_equal(back.n_map, 3);
    unlink(path);
    free(text);
    teardown(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_running_status),
        cmocka_unit_test(test_realtime_and_system_common),
        cmocka_unit_test(test_sysex_across_events_and_oversize),
        cmocka_unit_test(test_bindings_apply_and_feed_back),
        cmocka_unit_test(test_learn),
        cmocka_unit_test(test_binding_rules),
        cmocka_unit_test(test_state_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
