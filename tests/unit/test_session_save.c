/* Session saving: a saved session loads back into the same console, bit for
 * bit (topology, settings, every parameter, lanes); saving is stable (the
 * same bytes twice) and atomic (a failed save leaves the old file alone). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jmixd/session/session.h"
#include "jmixd/session/save.h"

#define GOOD "tests/sessions/good/"

static char tmpdir[256];

/* ------------------------------------------------------------- helpers -- */

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

/* The whole file, NUL-terminated; *len its size. */
static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot read %s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        size_t r = fread(buf + n, 1, 4096, f);
        n += r;
        if (r == 0) break;
    }
    fclose(f);
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

static int file_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void load_ok(jm_session_t *s, const char *path)
{
    char err[JM_ERR_MAX];
    if (jm_session_load(s, path, err, sizeof err) != 0)
        fail_msg("%s did not load: %s", path, err);
}

static void save_ok(const jm_session_t *s, const float *values, const jm_lane_cfg_t *lanes,
                    int n_lanes, const char *path)
{
    char err[JM_ERR_MAX];
    if (jm_session_save(s, values, lanes, n_lanes, path, err, sizeof err) != 0)
        fail_msg("saving %s failed: %s", path, err);
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    assert_false(file_exists(tmp));
}

static int same_float(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }
static int same_double(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* b (a loaded file) is the console a with values va and lanes la. */
static void assert_same_console(const jm_session_t *a, const float *va, const jm_lane_cfg_t *la,
                                int nla, const jm_session_t *b)
{
    assert_string_equal(a->jack_name, b->jack_name);
    assert_string_equal(a->jack_server, b->jack_server);
    assert_int_equal(a->osc_port, b->osc_port);
    assert_string_equal(a->osc_bind, b->osc_bind);
    assert_int_equal(a->n_allow, b->n_allow);
    for (int i = 0; i < a->n_allow; i++) {
        assert_int_equal(a->allow[i].addr, b->allow[i].addr);
        assert_int_equal(a->allow[i].mask, b->allow[i].mask);
    }
    assert_true(same_float(a->meter_rate, b->meter_rate));
    assert_int_equal(a->n_clients, b->n_clients);
    for (int i = 0; i < a->n_clients; i++) {
        assert_string_equal(a->clients[i].host, b->clients[i].host);
        assert_int_equal(a->clients[i].port, b->clients[i].port);
        assert_int_equal(a->clients[i].norm, b->clients[i].norm);
    }
    assert_string_equal(a->state, b->state);

    assert_int_equal(a->n_strips, b->n_strips);
    for (int i = 0; i < a->n_strips; i++) {
        const jm_strip_cfg_t *x = &a->strips[i], *y = &b->strips[i];
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->channels, y->channels);
        assert_int_equal(x->n_inputs, y->n_inputs);
        for (int k = 0; k < x->n_inputs; k++) assert_string_equal(x->inputs[k], y->inputs[k]);
        assert_string_equal(x->file, y->file);
    }
    assert_int_equal(a->n_buses, b->n_buses);
    for (int i = 0; i < a->n_buses; i++) {
        assert_string_equal(a->buses[i].name, b->buses[i].name);
        assert_string_equal(a->buses[i].type, b->buses[i].type);
    }
    assert_int_equal(a->n_master_outputs, b->n_master_outputs);
    for (int k = 0; k < a->n_master_outputs; k++)
        assert_string_equal(a->master_outputs[k], b->master_outputs[k]);

    assert_int_equal(a->params.n, b->params.n);
    for (size_t i = 0; i < a->params.n; i++) {
        assert_string_equal(a->params.p[i].name_path, b->params.p[i].name_path);
        if (!same_float(va[i], b->values[i]))
            fail_msg("%s: saved %.9g, loaded %.9g", a->params.p[i].name_path, (double)va[i],
                     (double)b->values[i]);
    }

    assert_int_equal(nla, b->n_lanes);
    for (int i = 0; i < nla; i++) {
        const jm_lane_cfg_t *x = &la[i], *y = &b->lanes[i];
        assert_int_equal(x->param, y->param);
        assert_int_equal(x->mode, y->mode);
        assert_int_equal(x->n_points, y->n_points);
        for (int k = 0; k < x->n_points; k++) {
            if (!same_double(x->points[k].t, y->points[k].t) ||
                !same_float(x->points[k].v, y->points[k].v))
                fail_msg("lane %d point %d: saved (%.17g, %.9g), loaded (%.17g, %.9g)", i, k,
                         x->points[k].t, (double)x->points[k].v, y->points[k].t,
                         (double)y->points[k].v);
        }
    }
}

/* Save (a, values, lanes) to name, load it, compare, save the loaded
 * session again and compare the bytes. Returns the first file's text. */
static char *roundtrip(const jm_session_t *a, const float *va, const jm_lane_cfg_t *la, int nla,
                       const char *name)
{
    char p1[300], p2[300];
    snprintf(p1, sizeof p1, "%s/%s", tmpdir, name);
    snprintf(p2, sizeof p2, "%s/%s.again", tmpdir, name);
    save_ok(a, va, la, nla, p1);
    if (!va) va = a->values; /* what NULL means to jm_session_save */
    jm_session_t b;
    load_ok(&b, p1);
    assert_same_console(a, va, la, nla, &b);
    save_ok(&b, b.values, b.lanes, b.n_lanes, p2);
    jm_session_free(&b);
    size_t n1, n2;
    char *t1 = read_all(p1, &n1), *t2 = read_all(p2, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(t1, t2, n1);
    free(t2);
    return t1;
}

/* ----------------------------------------------------------- fixtures -- */

static void test_fixtures(void **state)
{
    (void)state;
    static const char *const files[] = {"full.cfg", "minimal.cfg", "empty.cfg",
                                        "include_main.cfg"};
    int done = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char src[300], name[64];
        snprintf(src, sizeof src, GOOD "%s", files[i]);
        if (access(src, R_OK) != 0) continue;
        jm_session_t s;
        load_ok(&s, src);
        snprintf(name, sizeof name, "fixture-%s", files[i]);
        free(roundtrip(&s, s.values, s.lanes, s.n_lanes, name));
        jm_session_free(&s);
        done++;
    }
    assert_true(done >= 2);
}

/* ------------------------------------------------- everything changed -- */

static const char big_session[] =
    "jack = { name = \"stage\"; server = \"srv2\"; };\n"
    "osc = { port = 9100; bind = \"10.0.0.5\";\n"
    "  allow = [ \"127.0.0.1\", \"10.20.0.0/16\", \"0.0.0.0/0\", \"192.168.7.128/25\" ];\n"
    "  meter_rate = 33.3;\n"
    "  clients = ( { host = \"10.0.0.9\"; port = 9000; style = \"norm\"; },\n"
    "              { host = \"10.0.0.10\"; port = 9001; style = \"units\"; } ); };\n"
    "state = \"state/stage-state.cfg\";\n"
    "strips = (\n"
    "  { name = \"kick\"; input = [ \"system:capture_1\" ]; file = \"stems/kick.wav\"; },\n"
    "  { name = \"keys\"; channels = 2; input = [ \"system:capture_3\", \"system:capture_4\" ];\n"
    "    file = \"../stems/keys 2.flac\"; },\n"
    "  { name = \"Vox_lead-2\"; input = [ ]; },\n"
    "  { name = \"gtr\"; channels = 1; input = \"system:capture_5\"; }\n"
    ");\n"
    "buses = ( { name = \"verb\"; type = \"reverb\"; }, { name = \"echo\"; type = \"delay\"; },\n"
    "          { name = \"plate\"; type = \"reverb\"; } );\n"
    "master = { output = [ \"system:playback_1\", \"system:playback_2\" ];\n"
    "  limiter = { on = true; ceiling = -1.5; }; };\n"
    "automation = (\n"
    "  { param = \"/strip/kick/fader\"; mode = \"read\"; points = ( (0.0, -6.0), (10.0, 0.0) ); },\n"
    "  { param = \"/bus/echo/delay/time\"; mode = \"latch\"; points = ( ); },\n"
    "  { param = \"/strip/keys/mute\"; mode = \"touch\"; points = ( (1.5, 1.0), (2, 0) ); }\n"
    ");\n";

/* A value of parameter i that is in range and not its default. */
static float other_value(const jm_param_t *p, size_t i)
{
    const jm_param_def_t *d = p->def;
    if (d->taper == JM_TAPER_BOOL) return p->defval >= 0.5f ? 0.0f : 1.0f;
    float v;
    if (i % 7 == 3 && d->max != p->defval) v = d->max;
    else if (i % 11 == 5 && d->min != p->defval) v = d->min;
    else {
        double f = fmod(0.137 + (double)i * 0.6180339887498949, 1.0);
        v = (float)(d->min + (d->max - d->min) * (0.01 + 0.98 * f));
        if (v == p->defval) v = nextafterf(v, d->max);
    }
    return v;
}

static int find(const jm_session_t *s, const char *path)
{
    int i = jm_params_find(&s->params, path);
    if (i < 0) fail_msg("no parameter %s", path);
    return i;
}

static void test_everything_changed(void **state)
{
    (void)state;
    char src[300];
    tpath(src, sizeof src, "big-src.cfg");
    write_text(src, big_session);
    jm_session_t s;
    load_ok(&s, src);
    assert_int_equal(s.n_strips, 4);
    assert_int_equal(s.n_buses, 3);
    assert_int_equal(s.n_lanes, 3);

    /* the lanes from the file, unchanged values */
    free(roundtrip(&s, s.values, s.lanes, s.n_lanes, "big-asloaded.cfg"));

    /* every parameter to a non-default value */
    float *v = malloc(s.params.n * sizeof *v);
    assert_non_null(v);
    int bools = 0, eq = 0, sends = 0;
    for (size_t i = 0; i < s.params.n; i++) {
        const jm_param_t *p = &s.params.p[i];
        v[i] = other_value(p, i);
        assert_true(v[i] != p->defval);
        assert_true(v[i] >= p->def->min && v[i] <= p->def->max);
        bools += p->def->taper == JM_TAPER_BOOL;
        eq += !strncmp(p->key, "eq.band", 7);
        sends += !strncmp(p->key, "send.", 5);
    }
    assert_true(bools > 20);
    assert_int_equal(eq, 5 * 12);       /* 4 strips + master, 4 bands x 3 */
    assert_int_equal(sends, 4 * 3 * 3); /* 4 strips x 3 buses x level/pre/on */
    /* awkward numbers */
    v[find(&s, "/strip/kick/fader")] = -6.0f;
    v[find(&s, "/strip/kick/pan")] = 0.1f;
    v[find(&s, "/strip/keys/eq/4/freq")] = 20000.0f;
    v[find(&s, "/strip/gtr/trim")] = 1.0f;
    v[find(&s, "/strip/gtr/pan")] = -0.0f;
    v[find(&s, "/master/limiter/lookahead")] = 0.5f;
    v[find(&s, "/strip/kick/eq/2/q")] = nextafterf(1.0f, 2.0f);
    v[find(&s, "/bus/verb/reverb/size")] = 1.0f / 3.0f;

    /* lanes in every mode, on several kinds of parameter */
    static jm_autopoint_t p_fader[] = {{0.0, -90.0f},        {1e-5, 0.0f},
                                       {1.0 / 3.0, -12.5f},  {2.0 / 3.0, -3.0f},
                                       {2.0 / 3.0, 10.0f}, /* equal times are allowed */
                                       {12345.678901234567, 0.3f}, {1e7, -0.1f}};
    static jm_autopoint_t p_eq[] = {{0.25, -18.0f}, {0.5, 18.0f}, {99.99, 0.123456789f}};
    static jm_autopoint_t p_mute[] = {{0.0, 0.0f}, {4.0, 1.0f}, {8.0, 0.0f}};
    static jm_autopoint_t p_send[] = {{3.0, -90.0f}, {3.5, 7.25f}};
    static jm_autopoint_t p_size[] = {{0.0, 0.0f}, {60.0, 1.0f}};
    static jm_autopoint_t p_ceil[] = {{1.0, -12.0f}, {1.0000000000000002, -0.01f}};
    jm_lane_cfg_t lanes[] = {
        {find(&s, "/strip/kick/fader"), JM_AUTO_READ, 7, p_fader},
        {find(&s, "/strip/keys/eq/2/gain"), JM_AUTO_WRITE, 3, p_eq},
        {find(&s, "/strip/Vox_lead-2/mute"), JM_AUTO_TOUCH, 3, p_mute},
        {find(&s, "/strip/gtr/send/echo/level"), JM_AUTO_LATCH, 2, p_send},
        {find(&s, "/bus/plate/reverb/size"), JM_AUTO_OFF, 2, p_size},
        {find(&s, "/master/limiter/ceiling"), JM_AUTO_READ, 2, p_ceil},
        {find(&s, "/bus/echo/delay/feedback"), JM_AUTO_WRITE, 0, NULL},
    };
    int nl = (int)(sizeof lanes / sizeof lanes[0]);

    char *text = roundtrip(&s, v, lanes, nl, "big.cfg");

    /* the shape of the text */
    assert_non_null(strstr(text, "    eq = {\n      on = "));
    assert_non_null(strstr(text, "      band2 = {\n"));
    assert_non_null(strstr(text, "    send = {\n      verb = {\n        level = "));
    assert_non_null(strstr(text, "    fader = -6.0;\n"));
    assert_non_null(strstr(text, "    pan = 0.1;\n"));
    assert_non_null(strstr(text, "    trim = 1.0;\n"));
    assert_non_null(strstr(text, "    pan = -0.0;\n"));
    assert_non_null(strstr(text, "freq = 20000.0;\n"));
    assert_non_null(strstr(text, "    mute = true;\n"));
    assert_non_null(strstr(text, "  on = false;\n"));
    assert_non_null(strstr(text, "\"10.20.0.0/16\""));
    assert_non_null(strstr(text, "\"0.0.0.0/0\""));
    assert_non_null(strstr(text, "\"127.0.0.1/32\""));
    assert_non_null(strstr(text, "meter_rate = 33.3;"));
    assert_non_null(strstr(text, "param = \"/strip/gtr/send/echo/level\";\n    mode = \"latch\";"));
    assert_non_null(strstr(text, "(10000000.0, -0.1)"));
    assert_non_null(strstr(text, "(0.00001, 0.0)"));
    assert_non_null(strstr(text, "state = \"state/stage-state.cfg\";"));
    assert_non_null(strstr(text, "file = \"../stems/keys 2.flac\";"));
    assert_null(strstr(text, "nan"));
    free(text);

    free(v);
    jm_session_free(&s);
}

/* ------------------------------------------------- strings and lists -- */

static void test_strings_and_empty_lists(void **state)
{
    (void)state;
    jm_session_t s;
    load_ok(&s, GOOD "minimal.cfg");
    snprintf(s.strips[0].file, sizeof s.strips[0].file,
             "we\"ird\\path\twith\nnewline\r\f # not // a /* comment */ \x01\x7f caf\xc3\xa9.wav");
    snprintf(s.strips[0].inputs[0], JM_PORT_NAME_MAX, "my client:in \"1\"");
    s.strips[0].n_inputs = 1;
    snprintf(s.jack_server, sizeof s.jack_server, "@include \"x\"");
    snprintf(s.state, sizeof s.state, "/tmp/a b/state.cfg");
    s.n_allow = 0;  /* nobody may control it: an empty list, not the default */
    s.n_clients = 0;
    s.n_master_outputs = 0;
    s.meter_rate = 100.0f;
    s.osc_port = 65535;
    char *text = roundtrip(&s, s.values, NULL, 0, "strings.cfg");
    assert_non_null(strstr(text, "allow = [ ];"));
    assert_non_null(strstr(text, "clients = ( );"));
    assert_non_null(strstr(text, "output = [ ];"));
    assert_null(strstr(text, "automation"));
    free(text);

    /* default inputs (none), no state */
    s.strips[0].n_inputs = 0;
    s.state[0] = '\0';
    text = roundtrip(&s, NULL, NULL, 0, "strings2.cfg"); /* NULL values: s->values */
    assert_non_null(strstr(text, "input = [ ];"));
    assert_null(strstr(text, "state ="));
    free(text);
    jm_session_free(&s);
}

/* A bus named true/false cannot be a key in a send group (libconfig reads
 * it as a boolean): saved while its sends hold their defaults, refused
 * with a message otherwise. */
/* libconfig reads true/false as booleans even as keys, so a bus so named
 * could never be addressed in `send`: the loader refuses the name, and
 * nothing such can reach the writer. */
static void test_bus_named_true(void **state)
{
    (void)state;
    char src[300], err[JM_ERR_MAX];
    tpath(src, sizeof src, "truebus-src.cfg");
    write_text(src, "strips = ( { name = \"a\"; } );\n"
                    "buses = ( { name = \"True\"; type = \"reverb\"; } );\n");
    jm_session_t s;
    assert_int_equal(jm_session_load(&s, src, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot name a bus"));
}

/* ------------------------------------------------------------ failures -- */

static void test_missing_folder(void **state)
{
    (void)state;
    jm_session_t s;
    load_ok(&s, GOOD "full.cfg");
    char path[300], err[JM_ERR_MAX];
    tpath(path, sizeof path, "no/such/folder/x.cfg");
    assert_int_equal(jm_session_save(&s, s.values, NULL, 0, path, err, sizeof err), -1);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "No such file or directory"));
    /* no err buffer, a tiny one, no path: no crash */
    assert_int_equal(jm_session_save(&s, s.values, NULL, 0, path, NULL, 0), -1);
    char small[8];
    assert_int_equal(jm_session_save(&s, s.values, NULL, 0, path, small, sizeof small), -1);
    assert_true(strlen(small) < sizeof small);
    assert_int_equal(jm_session_save(&s, s.values, NULL, 0, NULL, err, sizeof err), -1);
    assert_int_equal(jm_session_save(&s, s.values, NULL, 0, "", err, sizeof err), -1);
    assert_int_equal(jm_session_save(NULL, NULL, NULL, 0, path, err, sizeof err), -1);
    jm_session_free(&s);
}

/* The old file, byte for byte, and no PATH.tmp left over. */
static void assert_untouched(const char *path, const char *old)
{
    char *now = read_all(path, NULL);
    assert_string_equal(now, old);
    free(now);
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    assert_false(file_exists(tmp));
}

static void test_failed_save_keeps_file(void **state)
{
    (void)state;
    static const char old[] = "# the previous session\nstrips = ( { name = \"old\"; } );\n";
    char path[300], err[JM_ERR_MAX];
    tpath(path, sizeof path, "keep.cfg");
    write_text(path, old);
    jm_session_t s;
    load_ok(&s, GOOD "full.cfg");
    float *v = malloc(s.params.n * sizeof *v);
    assert_non_null(v);

    /* values the loader would refuse */
    memcpy(v, s.values, s.params.n * sizeof *v);
    v[find(&s, "/strip/kick/eq/3/gain")] = NAN;
    assert_int_equal(jm_session_save(&s, v, NULL, 0, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "/strip/kick/eq/3/gain"));
    assert_untouched(path, old);
    memcpy(v, s.values, s.params.n * sizeof *v);
    v[find(&s, "/strip/keys/fader")] = 10.5f;
    assert_int_equal(jm_session_save(&s, v, NULL, 0, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "out of range"));
    assert_untouched(path, old);
    v[find(&s, "/strip/keys/fader")] = INFINITY;
    assert_int_equal(jm_session_save(&s, v, NULL, 0, path, err, sizeof err), -1);
    assert_untouched(path, old);

    /* lanes the loader would refuse */
    jm_autopoint_t back[] = {{2.0, 0.0f}, {1.0, 0.0f}};
    jm_autopoint_t range[] = {{1.0, 11.0f}};
    jm_autopoint_t neg[] = {{-1.0, 0.0f}};
    jm_autopoint_t nan_t[] = {{NAN, 0.0f}};
    int fader = find(&s, "/strip/kick/fader");
    jm_lane_cfg_t bad[][2] = {
        {{fader, JM_AUTO_READ, 2, back}},
        {{fader, JM_AUTO_READ, 1, range}},
        {{fader, JM_AUTO_READ, 1, neg}},
        {{fader, JM_AUTO_READ, 1, nan_t}},
        {{fader, (jm_automode_t)7, 0, NULL}},
        {{(int)s.params.n, JM_AUTO_READ, 0, NULL}},
        {{fader, JM_AUTO_READ, 0, NULL}, {fader, JM_AUTO_WRITE, 0, NULL}},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int n = i == sizeof bad / sizeof bad[0] - 1 ? 2 : 1;
        err[0] = '\0';
        assert_int_equal(jm_session_save(&s, s.values, bad[i], n, path, err, sizeof err), -1);
        assert_true(strlen(err) > strlen(path) + 2);
        assert_untouched(path, old);
    }
    /* a bad topology */
    snprintf(s.strips[0].inputs[0], JM_PORT_NAME_MAX, "no-colon");
    assert_int_equal(jm_session_save(&s, s.values, NULL, 0, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "no-colon"));
    assert_untouched(path, old);
    snprintf(s.strips[0].inputs[0], JM_PORT_NAME_MAX, "system:capture_1");

    /* PATH.tmp cannot be created */
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    assert_int_equal(mkdir(tmp, 0755), 0);
    assert_int_equal(jm_session_save(&s, s.values, NULL, 0, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "keep.cfg.tmp"));
    char *now = read_all(path, NULL);
    assert_string_equal(now, old);
    free(now);
    assert_int_equal(rmdir(tmp), 0);

    /* the disk fills up half-way (a file size limit: EFBIG) */
    struct rlimit rl_old, rl;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl_old), 0);
    void (*old_sig)(int) = signal(SIGXFSZ, SIG_IGN);
    rl = rl_old;
    rl.rlim_cur = 200;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
    int rc = jm_session_save(&s, s.values, NULL, 0, path, err, sizeof err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl_old), 0);
    signal(SIGXFSZ, old_sig);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "cannot write"));
    assert_untouched(path, old);

    /* the destination is a folder */
    char dirpath[300];
    tpath(dirpath, sizeof dirpath, "a-folder.cfg");
    assert_int_equal(mkdir(dirpath, 0755), 0);
    assert_int_equal(jm_session_save(&s, s.values, NULL, 0, dirpath, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a regular file"));

    /* and then a good save replaces it, keeping its permission bits */
    assert_int_equal(chmod(path, 0640), 0);
    save_ok(&s, s.values, NULL, 0, path);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    jm_session_t r;
    load_ok(&r, path);
    assert_same_console(&s, s.values, NULL, 0, &r);
    jm_session_free(&r);

    free(v);
    jm_session_free(&s);
}

/* A path without a folder is saved in the current directory. */
static void test_relative_path(void **state)
{
    (void)state;
    jm_session_t s;
    load_ok(&s, GOOD "full.cfg");
    char cwd[1024];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(tmpdir), 0);
    char err[JM_ERR_MAX];
    int rc = jm_session_save(&s, s.values, NULL, 0, "relative.cfg", err, sizeof err);
    jm_session_t r;
    int lr = rc == 0 ? jm_session_load(&r, "relative.cfg", err, sizeof err) : -1;
    assert_int_equal(chdir(cwd), 0);
    if (rc != 0 || lr != 0) fail_msg("relative save/load: %s", err);
    assert_same_console(&s, s.values, NULL, 0, &r);
    jm_session_free(&r);
    jm_session_free(&s);
}

/* ---------------------------------------------------------------- main -- */

static void rm_rf(const char *dir)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/jmixd-test-save-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_everything_changed),
        cmocka_unit_test(test_strings_and_empty_lists),
        cmocka_unit_test(test_bus_named_true),
        cmocka_unit_test(test_missing_folder),
        cmocka_unit_test(test_failed_save_keeps_file),
        cmocka_unit_test(test_relative_path),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rm_rf(tmpdir);
    return rc;
}
