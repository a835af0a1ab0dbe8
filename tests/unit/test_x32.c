/* The X32 tree (src/control/x32tree.c, x32map.c) against the formulas of
 * P.-G. Maillot, "Unofficial X32/M32 OSC Remote Protocol": X32 floats are
 * 0..1 over linf [lo, hi] (lo + f*(hi-lo)) or logf [lo, hi] (lo*(hi/lo)^f);
 * the fader law is four linear segments; enums are ints. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "jmixd/control/x32.h"
#include "jmixd/control/x32meters.h"

#include <arpa/inet.h>

#define EPS 1e-4f

static jm_session_t S;

static int setup(void **state)
{
    (void)state;
    char path[] = "/tmp/jm_test_x32_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char cfg[] =
        "strips = ( { name = \"kick\"; color = \"RD\"; }, { name = \"snare\"; } );\n"
        "buses = ( { name = \"verb\"; type = \"reverb\"; }, { name = \"echo\"; type = \"delay\"; },\n"
        "          { name = \"mon\"; type = \"aux\"; channels = 2; } );\n"
        "master = { output = [ ]; };\n";
    assert_int_equal(write(fd, cfg, sizeof cfg - 1), (ssize_t)(sizeof cfg - 1));
    close(fd);
    char err[JM_ERR_MAX];
    int rc = jm_session_load(&S, path, err, sizeof err);
    unlink(path);
    if (rc) fail_msg("session: %s", err);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    jm_session_free(&S);
    return 0;
}

static jm_x32_ent_t get(int d, const char *path)
{
    jm_x32_ent_t e;
    if (!jm_x32_lookup(&S, d, path, &e)) fail_msg("%s is not in the tree", path);
    return e;
}

static int param(const char *native) { return jm_params_find(&S.params, native); }

/* linf/logf per the document, in both directions */
static void test_laws(void **state)
{
    (void)state;
    jm_x32_ent_t e = get(JM_DIALECT_X32, "/ch/01/eq/2/g"); /* linf [-15, 15] */
    assert_int_equal(e.type, 'f');
    assert_int_equal(e.param, param("/strip/1/eq/2/gain"));
    assert_float_equal(jm_x32_to_units(&e, 0.5f), 0.0f, EPS);
    assert_float_equal(jm_x32_to_units(&e, 0.75f), 7.5f, EPS);
    assert_float_equal(jm_x32_to_units(&e, 1.0f), 15.0f, EPS);
    assert_float_equal(jm_x32_from_units(&e, -15.0f), 0.0f, EPS);
    assert_float_equal(jm_x32_from_units(&e, 18.0f), 1.0f, EPS); /* jmixd's ±18 clamps */

    e = get(JM_DIALECT_X32, "/ch/01/eq/3/f"); /* logf [20, 20000] */
    assert_float_equal(jm_x32_to_units(&e, 0.5f), 20.0f * sqrtf(1000.0f), 0.01f); /* 632.5 Hz */
    assert_float_equal(jm_x32_from_units(&e, 2000.0f), 2.0f / 3.0f, EPS);

    e = get(JM_DIALECT_X32, "/ch/01/eq/1/q"); /* logf [10, 0.3]: 0 is Q 10 */
    assert_float_equal(jm_x32_to_units(&e, 0.0f), 10.0f, EPS);
    assert_float_equal(jm_x32_to_units(&e, 1.0f), 0.3f, EPS);
    assert_float_equal(jm_x32_from_units(&e, sqrtf(3.0f)), 0.5f, EPS);

    e = get(JM_DIALECT_X32, "/ch/02/preamp/trim"); /* linf [-18, 18] */
    assert_float_equal(jm_x32_to_units(&e, 0.25f), -9.0f, EPS);
    e = get(JM_DIALECT_X32, "/ch/02/preamp/hpf"); /* logf [20, 400] */
    assert_float_equal(jm_x32_to_units(&e, 1.0f), 400.0f, 0.01f);
    assert_float_equal(jm_x32_from_units(&e, 80.0f), logf(4.0f) / logf(20.0f), EPS);
    e = get(JM_DIALECT_X32, "/ch/01/gate/thr"); /* linf [-80, 0] */
    assert_float_equal(jm_x32_to_units(&e, 0.5f), -40.0f, EPS);
    e = get(JM_DIALECT_X32, "/ch/01/gate/range"); /* linf [3, 60] */
    assert_float_equal(jm_x32_to_units(&e, 0.0f), 3.0f, EPS);
    e = get(JM_DIALECT_X32, "/ch/01/gate/release"); /* logf [5, 4000] */
    assert_float_equal(jm_x32_to_units(&e, 0.5f), sqrtf(5.0f * 4000.0f), 0.01f);
    e = get(JM_DIALECT_X32, "/ch/01/dyn/thr"); /* linf [-60, 0] */
    assert_float_equal(jm_x32_to_units(&e, 0.75f), -15.0f, EPS);
    e = get(JM_DIALECT_X32, "/ch/01/dyn/mgain"); /* linf [0, 24] */
    assert_float_equal(jm_x32_from_units(&e, 6.0f), 0.25f, EPS);
    e = get(JM_DIALECT_X32, "/ch/01/mix/pan"); /* linf [-100, 100] = jmixd -1..1 */
    assert_float_equal(jm_x32_to_units(&e, 0.25f), -0.5f, EPS);
}

static void test_fader_on_ratio_color(void **state)
{
    (void)state;
    jm_x32_ent_t e = get(JM_DIALECT_X32, "/ch/01/mix/fader");
    assert_int_equal(e.param, param("/strip/1/fader"));
    assert_float_equal(jm_x32_from_units(&e, -6.0f), 0.6f, EPS);
    assert_float_equal(jm_x32_to_units(&e, 0.75f), 0.0f, EPS);
    e = get(JM_DIALECT_X32, "/ch/02/mix/02/level"); /* send to the second bus */
    assert_int_equal(e.param, param("/strip/2/send/2/level"));
    assert_float_equal(jm_x32_to_units(&e, 0.5f), -10.0f, EPS);

    e = get(JM_DIALECT_X32, "/ch/01/mix/on");
    assert_int_equal(e.type, 'i');
    assert_int_equal(e.param, param("/strip/1/mute"));
    assert_float_equal(jm_x32_to_units(&e, 0), 1.0f, EPS); /* on 0 = muted */
    assert_float_equal(jm_x32_from_units(&e, 0.0f), 1.0f, EPS);

    e = get(JM_DIALECT_X32, "/ch/01/dyn/ratio"); /* enum 1.1 ... 100 */
    assert_int_equal(e.type, 'i');
    assert_float_equal(jm_x32_to_units(&e, 6), 4.0f, EPS);
    assert_float_equal(jm_x32_to_units(&e, 11), 100.0f, EPS);
    assert_float_equal(jm_x32_from_units(&e, 3.2f), 5.0f, EPS); /* nearest: 3.0 */
    assert_float_equal(jm_x32_from_units(&e, 20.0f), 10.0f, EPS);

    e = get(JM_DIALECT_X32, "/ch/01/config/color");
    assert_int_equal(e.type, 'i');
    assert_int_equal(e.param, param("/strip/1/color"));
    assert_string_equal(jm_x32_color_names()[1], "RD");
    assert_string_equal(jm_x32_color_names()[15], "WHi");
}

/* what jmixd has not: the X32's defaults, with the X32's types */
static void test_defaults(void **state)
{
    (void)state;
    jm_x32_ent_t e = get(JM_DIALECT_X32, "/ch/01/mix/01/pan"); /* an FX bus has no send pan */
    assert_int_equal(e.type, 'f');
    assert_int_equal(e.param, -1);
    assert_float_equal(e.def, 0.5f, EPS);
    e = get(JM_DIALECT_X32, "/ch/09/mix/fader"); /* a channel past the strips */
    assert_int_equal(e.param, -1);
    assert_float_equal(e.def, 0.75f, EPS);
    e = get(JM_DIALECT_X32, "/ch/01/mix/04/level"); /* a send past the buses */
    assert_int_equal(e.param, -1);
    assert_float_equal(e.def, 0.0f, EPS);
    e = get(JM_DIALECT_X32, "/ch/32/config/name");
    assert_int_equal(e.type, 's');
    assert_string_equal(e.str, "");
    e = get(JM_DIALECT_X32, "/ch/01/eq/4/type"); /* jmixd's band 4 is a high shelf */
    assert_float_equal(e.def, 4.0f, EPS);
    e = get(JM_DIALECT_X32, "/-stat/solosw/01");
    assert_int_equal(e.type, 'i');
    e = get(JM_DIALECT_X32, "/main/st/config/name");
    assert_string_equal(e.str, "jmixd");
    e = get(JM_DIALECT_X32, "/main/st/mix/on"); /* no master mute */
    assert_int_equal(e.param, -1);
    assert_float_equal(e.def, 1.0f, EPS);
    e = get(JM_DIALECT_X32, "/bus/02/config/name");
    assert_string_equal(e.str, "echo");
    assert_int_equal(get(JM_DIALECT_X32, "/bus/01/mix/on").param, param("/bus/1/mute"));
    get(JM_DIALECT_X32, "/auxin/08/mix/fader");
    get(JM_DIALECT_X32, "/dca/8/fader");

    jm_x32_ent_t x;
    static const char *const bad[] = {"/ch/33/mix/fader", "/ch/1/mix/fader", "/ch/01/mix/17/on",
                                      "/ch/01/eq/5/g",    "/ch/01/mix/fade", "/ch/01/mix/fader/x",
                                      "/bus/1/mix/fader", "/lr/mix/fader",   "/ch/01/on",
                                      "/-stat/",          "/node",           "ch/01/mix/fader"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        if (jm_x32_lookup(&S, JM_DIALECT_X32, bad[k], &x)) fail_msg("%s should not be in the tree", bad[k]);
}

static void test_xair(void **state)
{
    (void)state;
    jm_x32_ent_t e = get(JM_DIALECT_XAIR, "/lr/mix/fader");
    assert_int_equal(e.param, param("/master/fader"));
    assert_int_equal(get(JM_DIALECT_XAIR, "/bus/1/mix/fader").param, param("/bus/1/fader"));
    assert_int_equal(get(JM_DIALECT_XAIR, "/ch/02/mix/fader").param, param("/strip/2/fader"));
    get(JM_DIALECT_XAIR, "/ch/16/mix/on");
    get(JM_DIALECT_XAIR, "/rtn/aux/mix/fader");
    get(JM_DIALECT_XAIR, "/ch/01/mix/10/level");
    jm_x32_ent_t x;
    assert_false(jm_x32_lookup(&S, JM_DIALECT_XAIR, "/ch/17/mix/fader", &x));
    assert_false(jm_x32_lookup(&S, JM_DIALECT_XAIR, "/main/st/mix/fader", &x));
    assert_false(jm_x32_lookup(&S, JM_DIALECT_XAIR, "/bus/01/mix/fader", &x));
}

/* every parameter with an X32 address maps back to itself */
static void test_path_of(void **state)
{
    (void)state;
    char path[64];
    assert_true(jm_x32_path_of(&S, JM_DIALECT_X32, param("/strip/2/eq/3/q"), path, sizeof path));
    assert_string_equal(path, "/ch/02/eq/3/q");
    assert_true(jm_x32_path_of(&S, JM_DIALECT_X32, param("/strip/1/send/2/level"), path, sizeof path));
    assert_string_equal(path, "/ch/01/mix/02/level");
    assert_true(jm_x32_path_of(&S, JM_DIALECT_X32, param("/master/fader"), path, sizeof path));
    assert_string_equal(path, "/main/st/mix/fader");
    assert_true(jm_x32_path_of(&S, JM_DIALECT_XAIR, param("/master/fader"), path, sizeof path));
    assert_string_equal(path, "/lr/mix/fader");
    assert_true(jm_x32_path_of(&S, JM_DIALECT_XAIR, param("/bus/2/mute"), path, sizeof path));
    assert_string_equal(path, "/bus/2/mix/on");
    assert_false(jm_x32_path_of(&S, JM_DIALECT_X32, param("/strip/1/solo"), path, sizeof path));
    assert_false(jm_x32_path_of(&S, JM_DIALECT_X32, param("/bus/1/reverb/size"), path, sizeof path));
    int mapped = 0;
    for (size_t i = 0; i < S.params.n; i++) {
        jm_x32_ent_t e;
        if (!jm_x32_path_of(&S, JM_DIALECT_X32, (int)i, path, sizeof path)) continue;
        assert_true(jm_x32_lookup(&S, JM_DIALECT_X32, path, &e));
        assert_int_equal(e.param, (int)i);
        mapped++;
    }
    /* per strip 44: trim, invert, hpon, hpf, gate 6, dyn 7, eq on, 4 bands
     * x 3, on, fader, pan, color (34), and 10 for its sends to the 3 buses:
     * level, on and pre (mix/MM/type) each, pan only to the aux bus; the
     * master 21: fader, eq on, 12 band values, dyn 7; per bus 2: fader and
     * on; the aux bus 13 more: eq on and 4 bands x 3 (its limiter and the FX
     * returns' sends into it have no X32 address) */
    assert_int_equal(mapped, 2 * 44 + 21 + 3 * 2 + 13);
}

/* X32 mix buses are jmixd's buses in session order: a channel's send to an
 * aux bus has level, on, pan and type (PRE/POST); /bus/NN is the bus */
static void test_aux_sends(void **state)
{
    (void)state;
    char path[64];
    jm_x32_ent_t e = get(JM_DIALECT_X32, "/ch/02/mix/03/level");
    assert_int_equal(e.param, param("/strip/snare/send/mon/level"));
    e = get(JM_DIALECT_X32, "/ch/02/mix/03/on");
    assert_int_equal(e.type, 'i');
    assert_int_equal(e.param, param("/strip/2/send/3/on"));
    assert_float_equal(jm_x32_to_units(&e, 0), 0.0f, EPS);
    assert_float_equal(jm_x32_from_units(&e, 1.0f), 1.0f, EPS);
    assert_int_equal(get(JM_DIALECT_X32, "/ch/01/mix/01/on").param, param("/strip/1/send/1/on"));

    e = get(JM_DIALECT_X32, "/ch/01/mix/03/pan"); /* X32 0..1 = jmixd -1..1 */
    assert_int_equal(e.type, 'f');
    assert_int_equal(e.param, param("/strip/1/send/3/pan"));
    assert_float_equal(jm_x32_to_units(&e, 0.25f), -0.5f, EPS);
    assert_float_equal(jm_x32_from_units(&e, 1.0f), 1.0f, EPS);
    assert_true(jm_x32_path_of(&S, JM_DIALECT_X32, param("/strip/1/send/3/pan"), path, sizeof path));
    assert_string_equal(path, "/ch/01/mix/03/pan");

    /* type: IN/LC <-EQ EQ-> PRE POST GRP (0..5); the first four tap
     * before the fader */
    e = get(JM_DIALECT_X32, "/ch/01/mix/03/type");
    assert_int_equal(e.type, 'i');
    assert_int_equal(e.param, param("/strip/1/send/3/pre"));
    static const float pre[6] = {1, 1, 1, 1, 0, 0};
    for (int k = 0; k < 6; k++) assert_float_equal(jm_x32_to_units(&e, (float)k), pre[k], EPS);
    assert_float_equal(jm_x32_from_units(&e, 1.0f), 3.0f, EPS); /* PRE */
    assert_float_equal(jm_x32_from_units(&e, 0.0f), 4.0f, EPS); /* POST */
    assert_int_equal(get(JM_DIALECT_X32, "/ch/01/mix/01/type").param, param("/strip/1/send/1/pre"));
    assert_true(jm_x32_path_of(&S, JM_DIALECT_X32, param("/strip/2/send/1/pre"), path, sizeof path));
    assert_string_equal(path, "/ch/02/mix/01/type");

    /* the bus: fader, on (= !mute), name, EQ (aux buses have one) */
    assert_int_equal(get(JM_DIALECT_X32, "/bus/03/mix/fader").param, param("/bus/3/fader"));
    assert_int_equal(get(JM_DIALECT_X32, "/bus/03/mix/on").param, param("/bus/3/mute"));
    assert_string_equal(get(JM_DIALECT_X32, "/bus/03/config/name").str, "mon");
    assert_int_equal(get(JM_DIALECT_X32, "/bus/03/eq/2/g").param, param("/bus/3/eq/2/gain"));
    assert_int_equal(get(JM_DIALECT_X32, "/bus/03/eq/on").param, param("/bus/3/eq/on"));
    assert_int_equal(get(JM_DIALECT_X32, "/bus/03/eq/5/g").param, -1); /* jmixd has 4 bands */
    assert_int_equal(get(JM_DIALECT_X32, "/bus/01/eq/2/g").param, -1); /* an FX bus has no EQ */
    assert_true(jm_x32_path_of(&S, JM_DIALECT_X32, param("/bus/3/eq/4/freq"), path, sizeof path));
    assert_string_equal(path, "/bus/03/eq/4/f");
    /* an X32 bus's mix/MM are matrix sends: not jmixd's FX return sends */
    assert_int_equal(get(JM_DIALECT_X32, "/bus/01/mix/03/level").param, -1);
    assert_false(jm_x32_path_of(&S, JM_DIALECT_X32, param("/bus/1/send/3/level"), path, sizeof path));

    /* X-Air: the same sends, buses /bus/N */
    assert_int_equal(get(JM_DIALECT_XAIR, "/ch/01/mix/03/pan").param, param("/strip/1/send/3/pan"));
    assert_int_equal(get(JM_DIALECT_XAIR, "/bus/3/mix/fader").param, param("/bus/3/fader"));
    assert_true(jm_x32_path_of(&S, JM_DIALECT_XAIR, param("/strip/2/send/3/on"), path, sizeof path));
    assert_string_equal(path, "/ch/02/mix/03/on");

    /* /node of a send: on, level, pan, type, panFollow */
    float *v = malloc(S.params.n * sizeof *v);
    assert_non_null(v);
    memcpy(v, S.values, S.params.n * sizeof *v);
    v[param("/strip/1/send/3/level")] = 0.0f;
    v[param("/strip/1/send/3/pan")] = 0.5f;
    char out[256];
    assert_true(jm_x32_node(&S, JM_DIALECT_X32, "ch/01/mix/03", v, out, sizeof out));
    assert_string_equal(out, "/ch/01/mix/03 ON +0.0 +50 PRE 0\n");
    v[param("/strip/1/send/1/on")] = 0.0f;
    assert_true(jm_x32_node(&S, JM_DIALECT_X32, "ch/01/mix/01", v, out, sizeof out));
    assert_string_equal(out, "/ch/01/mix/01 OFF -oo +0 POST 0\n");
    free(v);
}

/* /node text in the document's format */
static void test_node(void **state)
{
    (void)state;
    float *v = malloc(S.params.n * sizeof *v);
    assert_non_null(v);
    memcpy(v, S.values, S.params.n * sizeof *v);
    v[param("/strip/1/fader")] = -3.0f;
    v[param("/strip/1/pan")] = -0.5f;
    char out[512];
    assert_true(jm_x32_node(&S, JM_DIALECT_X32, "ch/01/mix", v, out, sizeof out));
    assert_string_equal(out, "/ch/01/mix ON -3.0 ON -50 OFF -oo\n");
    v[param("/strip/1/mute")] = 1.0f;
    v[param("/strip/1/eq/2/gain")] = 3.0f;
    v[param("/strip/1/eq/2/freq")] = 2500.0f;
    assert_true(jm_x32_node(&S, JM_DIALECT_X32, "/ch/01/mix", v, out, sizeof out));
    assert_string_equal(out, "/ch/01/mix OFF -3.0 ON -50 OFF -oo\n");
    assert_true(jm_x32_node(&S, JM_DIALECT_X32, "ch/01/eq/2", v, out, sizeof out));
    assert_string_equal(out, "/ch/01/eq/2 PEQ 2k50 +3.00 1.0\n");
    assert_true(jm_x32_node(&S, JM_DIALECT_X32, "ch/01/config", v, out, sizeof out));
    assert_string_equal(out, "/ch/01/config \"kick\" 1 RD 0\n");
    assert_true(jm_x32_node(&S, JM_DIALECT_X32, "main/st/mix", v, out, sizeof out));
    assert_string_equal(out, "/main/st/mix ON +0.0 +0\n");
    assert_false(jm_x32_node(&S, JM_DIALECT_X32, "ch/01", v, out, sizeof out));
    assert_false(jm_x32_node(&S, JM_DIALECT_X32, "ch/99/mix", v, out, sizeof out));
    free(v);
}

/* The blob's little-endian fields, read back byte by byte (independent of
 * the host's order). */
static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float lef(const unsigned char *b, int k)
{
    uint32_t u = le32(b + 4 + 4 * k);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static jm_x32m_frame_t frame(void)
{
    jm_x32m_frame_t f = {0};
    f.level[0] = 0.5f;          /* strip 1 at -6 dBFS */
    f.level[31] = 0.25f;
    f.comp_gr[0] = 6.0f;        /* 6 dB of compression: gain 0.501 */
    f.bus[0] = 0.125f;
    f.bus[15] = 0.0625f;
    f.bus_gr[0] = 6.0f;         /* an aux bus limiting by 6 dB */
    f.main[0] = 0.75f;
    f.main[1] = 0.7f;
    f.main_gr = 20.0f;          /* limiter: gain 0.1 */
    return f;
}

/* Maillot, "Meter requests": /meters/0 70, /meters/1 96, /meters/2 49
 * floats after a little-endian count; gain reductions as gain factors
 * (1.0: none, as the document's /meters/6 example shows for a quiet strip). */
static void test_meter_blobs(void **state)
{
    (void)state;
    jm_x32m_frame_t f = frame();
    unsigned char b[JM_X32M_BLOB_MAX];
    size_t n = jm_x32m_encode(&f, JM_DIALECT_X32, 1, b, sizeof b);
    assert_int_equal(n, 388);
    assert_int_equal(b[0], 96);
    assert_int_equal(b[1] | b[2] | b[3], 0);
    assert_true(lef(b, 0) == 0.5f && lef(b, 31) == 0.25f && lef(b, 1) == 0.0f);
    assert_true(lef(b, 32) == 1.0f && lef(b, 63) == 1.0f);       /* gate: none */
    assert_float_equal(lef(b, 64), powf(10.0f, -6.0f / 20.0f), 1e-6f);
    assert_true(lef(b, 65) == 1.0f && lef(b, 95) == 1.0f);
    /* 0.5f is 0x3f000000: its bytes little-endian */
    assert_int_equal(b[4], 0x00);
    assert_int_equal(b[7], 0x3f);

    n = jm_x32m_encode(&f, JM_DIALECT_X32, 0, b, sizeof b);
    assert_int_equal(n, 4 + 70 * 4);
    assert_int_equal(le32(b), 70);
    assert_true(lef(b, 0) == 0.5f && lef(b, 31) == 0.25f);
    for (int k = 32; k < 48; k++) assert_true(lef(b, k) == 0.0f); /* aux, fx returns */
    assert_true(lef(b, 48) == 0.125f && lef(b, 63) == 0.0625f);   /* buses 1, 16 */
    for (int k = 64; k < 70; k++) assert_true(lef(b, k) == 0.0f); /* matrices */

    n = jm_x32m_encode(&f, JM_DIALECT_X32, 2, b, sizeof b);
    assert_int_equal(n, 4 + 49 * 4);
    assert_int_equal(le32(b), 49);
    assert_true(lef(b, 0) == 0.125f && lef(b, 15) == 0.0625f);
    assert_true(lef(b, 22) == 0.75f && lef(b, 23) == 0.7f && lef(b, 24) == 0.0f);
    assert_float_equal(lef(b, 25), powf(10.0f, -6.0f / 20.0f), 1e-6f); /* bus 1 dynamics */
    for (int k = 26; k < 47; k++) assert_true(lef(b, k) == 1.0f);
    assert_float_equal(lef(b, 47), 0.1f, 1e-6f);                 /* main LR: the limiter */
    assert_true(lef(b, 48) == 1.0f);

    /* not answered, or no room */
    assert_int_equal(jm_x32m_encode(&f, JM_DIALECT_X32, 3, b, sizeof b), 0);
    assert_int_equal(jm_x32m_encode(&f, JM_DIALECT_X32, 1, b, 387), 0);
    assert_int_equal(jm_x32m_encode(&f, JM_DIALECT_XAIR, 0, b, sizeof b), 0);

    /* X-Air /meters/1: 40 int16 little-endian in 1/256 dB */
    n = jm_x32m_encode(&f, JM_DIALECT_XAIR, 1, b, sizeof b);
    assert_int_equal(n, 4 + 40 * 2);
    assert_int_equal(le32(b), 40);
    int16_t s0 = (int16_t)(b[4] | b[5] << 8), s1 = (int16_t)(b[6] | b[7] << 8);
    assert_int_equal(s0, (int16_t)lrintf(20.0f * log10f(0.5f) * 256.0f)); /* -6.02 dB */
    assert_int_equal(s1, -32768);                                          /* silence */
    int16_t bus1 = (int16_t)(b[4 + 52] | b[4 + 53] << 8);
    assert_int_equal(bus1, (int16_t)lrintf(20.0f * log10f(0.125f) * 256.0f));
}

static struct sockaddr_in peer(const char *ip, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

/* Streams: 4 per IP, 16 in all, renewed by /renew s:name or the request
 * again, gone after 10 s. */
static void test_meter_streams(void **state)
{
    (void)state;
    jm_x32meters_t m = {0};
    struct sockaddr_in a = peer("10.0.0.1", 5000), a2 = peer("10.0.0.1", 5001);
    jm_x32m_request(&m, &a, JM_DIALECT_X32, JM_X32M_OP_METERS, 1, 1, "/meters/1", 20.0f, 100.0);
    jm_x32m_request(&m, &a, JM_DIALECT_X32, JM_X32M_OP_METERS, 1, 4, "meters/1", 20.0f, 101.0);
    assert_int_equal(jm_x32m_active(&m, 101.0), 1);              /* the same stream renewed */
    assert_int_equal(m.streams[0].every, 4);                     /* factor 4 at 20 Hz */
    assert_string_equal(m.streams[0].name, "/meters/1");
    jm_x32m_request(&m, &a, JM_DIALECT_X32, JM_X32M_OP_BATCH, 0, 0, "/al0", 20.0f, 101.0);
    jm_x32m_request(&m, &a2, JM_DIALECT_X32, JM_X32M_OP_BATCH, 2, 1, "/al1", 20.0f, 101.0);
    jm_x32m_request(&m, &a2, JM_DIALECT_X32, JM_X32M_OP_METERS, 0, 1, "/meters/0", 40.0f, 101.0);
    assert_int_equal(jm_x32m_active(&m, 101.0), 4);
    assert_int_equal(m.streams[1].every, 1);                     /* factor 0: every frame */
    assert_int_equal(m.streams[3].every, 2);                     /* 50 ms at 40 Hz */
    /* a fifth from the same IP (another port) is refused */
    jm_x32m_request(&m, &a2, JM_DIALECT_X32, JM_X32M_OP_METERS, 2, 1, "/meters/2", 20.0f, 101.0);
    assert_int_equal(jm_x32m_active(&m, 101.0), 4);
    assert_int_equal(m.refused, 1);
    /* unknown sets are never streams */
    struct sockaddr_in b = peer("10.0.0.2", 5000);
    jm_x32m_request(&m, &b, JM_DIALECT_X32, JM_X32M_OP_METERS, 7, 1, "/meters/7", 20.0f, 101.0);
    jm_x32m_request(&m, &b, JM_DIALECT_XAIR, JM_X32M_OP_METERS, 0, 1, "/meters/0", 20.0f, 101.0);
    assert_int_equal(jm_x32m_active(&m, 101.0), 4);
    /* /renew s:alias keeps that one alive; the others lapse at 10 s */
    jm_x32m_request(&m, &a, JM_DIALECT_X32, JM_X32M_OP_RENEW, 0, 0, "al0", 20.0f, 109.0);
    assert_int_equal(jm_x32m_active(&m, 111.5), 1);
    assert_string_equal(m.streams[1].name, "/al0");
    /* 16 in all: the other IPs fill up, then nothing more */
    for (int i = 0; i < 20; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "10.0.1.%d", i);
        struct sockaddr_in c = peer(ip, 6000);
        jm_x32m_request(&m, &c, JM_DIALECT_X32, JM_X32M_OP_METERS, 1, 1, "/meters/1", 20.0f,
                        111.5);
    }
    assert_int_equal(jm_x32m_active(&m, 111.5), JM_X32M_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_laws),     cmocka_unit_test(test_fader_on_ratio_color),
        cmocka_unit_test(test_defaults), cmocka_unit_test(test_xair),
        cmocka_unit_test(test_path_of),  cmocka_unit_test(test_aux_sends),
        cmocka_unit_test(test_node),
        cmocka_unit_test(test_meter_blobs), cmocka_unit_test(test_meter_streams),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
