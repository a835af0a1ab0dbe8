/* Session loading: good sessions land on the right parameters; every broken
 * session is refused with the exact FILE:LINE: message and leaves nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "jmixd/session/session.h"

#define GOOD "tests/sessions/good/"
#define BAD "tests/sessions/bad/"

static uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d)
{
    return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | (uint32_t)d;
}

static void load_ok(jm_session_t *s, const char *path)
{
    char err[JM_ERR_MAX];
    int rc = jm_session_load(s, path, err, sizeof err);
    if (rc != 0) fail_msg("%s did not load: %s", path, err);
}

static float value(const jm_session_t *s, const char *path)
{
    int i = jm_params_find(&s->params, path);
    if (i < 0) fail_msg("no parameter %s", path);
    return s->values[i];
}

static void assert_zeroed(const jm_session_t *s)
{
    static const jm_session_t zero;
    assert_memory_equal(s, &zero, sizeof zero);
}

/* ------------------------------------------------------------ good ones -- */

static void test_full(void **state)
{
    (void)state;
    jm_session_t s;
    load_ok(&s, GOOD "full.cfg");

    assert_string_equal(s.path, GOOD "full.cfg");
    assert_string_equal(s.jack_name, "foh");
    assert_string_equal(s.jack_server, "live");
    assert_int_equal(s.osc_port, 9001);
    assert_string_equal(s.osc_bind, "127.0.0.1");
    assert_float_equal(s.meter_rate, 30.0f, 1e-6);
    assert_string_equal(s.state, "/tmp/jmixd-test-state.cfg");

    /* allow list replaces the default */
    assert_int_equal(s.n_allow, 3);
    assert_int_equal(s.allow[0].addr, ip(127, 0, 0, 1));
    assert_int_equal(s.allow[0].mask, 0xffffffffu);
    assert_int_equal(s.allow[1].mask, 0xffffff00u);
    assert_true(jm_cidr_match(s.allow, s.n_allow, ip(10, 200, 0, 1))); /* 10.1.2.3/8 */
    assert_true(jm_cidr_match(s.allow, s.n_allow, ip(192, 168, 1, 77)));
    assert_false(jm_cidr_match(s.allow, s.n_allow, ip(192, 168, 2, 77)));
    assert_false(jm_cidr_match(s.allow, s.n_allow, ip(127, 0, 0, 2)));

    assert_int_equal(s.n_clients, 2);
    assert_string_equal(s.clients[0].host, "192.168.1.50");
    assert_int_equal(s.clients[0].port, 9000);
    assert_int_equal(s.clients[0].norm, 1);
    assert_string_equal(s.clients[1].host, "127.0.0.1");
    assert_int_equal(s.clients[1].port, 9002);
    assert_int_equal(s.clients[1].norm, 0);

    /* topology */
    assert_int_equal(s.n_strips, 3);
    assert_string_equal(s.strips[0].name, "kick");
    assert_int_equal(s.strips[0].channels, 1);
    assert_int_equal(s.strips[0].n_inputs, 1);
    assert_string_equal(s.strips[0].inputs[0], "system:capture_1");
    assert_string_equal(s.strips[0].file, "");
    assert_string_equal(s.strips[1].name, "keys");
    assert_int_equal(s.strips[1].channels, 2);
    assert_int_equal(s.strips[1].n_inputs, 2);
    assert_string_equal(s.strips[1].inputs[1], "system:capture_4");
    assert_string_equal(s.strips[1].file, "stems/keys.wav");
    assert_string_equal(s.strips[2].name, "Vox_lead-2");
    assert_int_equal(s.strips[2].n_inputs, 0);
    assert_string_equal(s.strip_names[2], "Vox_lead-2");

    assert_int_equal(s.n_buses, 2);
    assert_string_equal(s.buses[0].name, "verb");
    assert_string_equal(s.buses[0].type, "reverb");
    assert_string_equal(s.buses[1].name, "echo");
    assert_string_equal(s.buses[1].type, "delay");
    assert_string_equal(s.bus_names[1], "echo");

    assert_int_equal(s.n_master_outputs, 2);
    assert_string_equal(s.master_outputs[0], "system:playback_1");
    assert_string_equal(s.master_outputs[1], "system:playback_2");

    /* values, by name and by index form */
    assert_float_equal(value(&s, "/strip/kick/fader"), -3.5f, 1e-6);
    assert_float_equal(value(&s, "/strip/1/fader"), -3.5f, 1e-6);
    assert_float_equal(value(&s, "/strip/kick/mute"), 1.0f, 0);
    assert_float_equal(value(&s, "/strip/kick/pan"), -0.5f, 1e-6);
    assert_float_equal(value(&s, "/strip/kick/trim"), 6.0f, 1e-6);
    assert_float_equal(value(&s, "/strip/kick/polarity"), 1.0f, 0);
    assert_float_equal(value(&s, "/strip/kick/solo"), 0.0f, 0);
    assert_float_equal(value(&s, "/strip/2/solo"), 0.0f, 0);
    assert_float_equal(value(&s, "/strip/keys/fader"), -90.0f, 0);
    assert_float_equal(value(&s, "/strip/keys/pan"), 1.0f, 0);
    assert_float_equal(value(&s, "/strip/keys/trim"), 0.0f, 0); /* default */
    assert_float_equal(value(&s, "/strip/3/trim"), -24.0f, 0);  /* int64 literal */
    assert_float_equal(value(&s, "/strip/Vox_lead-2/fader"), 0.0f, 0);
    assert_float_equal(value(&s, "/master/fader"), -6.0f, 1e-6);
    assert_float_equal(value(&s, "/master/mono"), 1.0f, 0);

    /* every value is within its range */
    for (size_t i = 0; i < s.params.n; i++) {
        assert_true(s.values[i] >= s.params.p[i].def->min);
        assert_true(s.values[i] <= s.params.p[i].def->max);
    }
    jm_session_free(&s);
    assert_zeroed(&s);
}

static void test_defaults(void **state)
{
    (void)state;
    jm_session_t s;
    load_ok(&s, GOOD "minimal.cfg");
    assert_string_equal(s.jack_name, "jmixd");
    assert_string_equal(s.jack_server, "");
    assert_int_equal(s.osc_port, 8000);
    assert_string_equal(s.osc_bind, "0.0.0.0");
    assert_float_equal(s.meter_rate, 20.0f, 0);
    assert_string_equal(s.state, "");
    assert_int_equal(s.n_clients, 0);
    assert_int_equal(s.n_buses, 0);
    assert_int_equal(s.n_master_outputs, 0);
    assert_int_equal(s.n_strips, 1);
    assert_int_equal(s.strips[0].channels, 1);
    assert_int_equal(s.strips[0].n_inputs, 0);

    /* the four private ranges of docs/session.md */
    assert_int_equal(s.n_allow, 4);
    assert_true(jm_cidr_match(s.allow, s.n_allow, ip(127, 0, 0, 1)));
    assert_true(jm_cidr_match(s.allow, s.n_allow, ip(10, 9, 8, 7)));
    assert_true(jm_cidr_match(s.allow, s.n_allow, ip(172, 31, 255, 255)));
    assert_false(jm_cidr_match(s.allow, s.n_allow, ip(172, 32, 0, 1)));
    assert_true(jm_cidr_match(s.allow, s.n_allow, ip(192, 168, 44, 1)));
    assert_false(jm_cidr_match(s.allow, s.n_allow, ip(8, 8, 8, 8)));

    /* every value is its default */
    assert_true(s.params.n > 0);
    for (size_t i = 0; i < s.params.n; i++)
        assert_float_equal(s.values[i], s.params.p[i].defval, 0);
    assert_float_equal(value(&s, "/strip/a/fader"), 0.0f, 0);
    jm_session_free(&s);
    assert_zeroed(&s);
}

static void test_empty_file(void **state)
{
    (void)state;
    jm_session_t s;
    load_ok(&s, GOOD "empty.cfg");
    assert_int_equal(s.n_strips, 0);
    assert_int_equal(s.n_buses, 0);
    assert_true(jm_params_find(&s.params, "/master/fader") >= 0);
    assert_int_equal(jm_params_find(&s.params, "/strip/1/fader"), -1);
    jm_session_free(&s);
    jm_session_free(&s); /* twice is harmless */
}

static void test_include(void **state)
{
    (void)state;
    jm_session_t s;
    load_ok(&s, GOOD "include_main.cfg");
    assert_int_equal(s.n_strips, 1);
    assert_float_equal(value(&s, "/strip/inc/fader"), -2.0f, 0);
    assert_int_equal(s.strips[0].n_inputs, 1); /* a single string is a list of one */
    assert_string_equal(s.strips[0].inputs[0], "system:capture_2");
    assert_float_equal(value(&s, "/master/fader"), -1.0f, 0);
    jm_session_free(&s);
}

static void test_example_session(void **state)
{
    (void)state;
    jm_session_t s;
    load_ok(&s, "config/jmixd.cfg");
    assert_int_equal(s.n_strips, 4);
    assert_string_equal(s.strips[0].name, "kick");
    assert_string_equal(s.strips[1].name, "snare");
    assert_string_equal(s.strips[2].name, "bass");
    assert_string_equal(s.strips[3].name, "keys");
    assert_int_equal(s.strips[2].channels, 1);
    assert_int_equal(s.strips[3].channels, 2);
    for (int i = 0; i < 4; i++) assert_true(s.strips[i].n_inputs >= 1);
    assert_string_equal(s.strips[0].inputs[0], "system:capture_1");
    assert_string_equal(s.strips[3].inputs[0], "system:capture_4");
    assert_int_equal(s.n_master_outputs, 2);
    assert_string_equal(s.master_outputs[0], "system:playback_1");
    assert_string_equal(s.master_outputs[1], "system:playback_2");
    assert_string_equal(s.state, "");
    assert_int_equal(s.osc_port, 8000);
    assert_float_equal(value(&s, "/strip/kick/fader"), -3.0f, 0);
    jm_session_free(&s);
}

static void test_reload_same(void **state)
{
    (void)state;
    jm_session_t a, b;
    load_ok(&a, GOOD "full.cfg");
    load_ok(&b, GOOD "full.cfg");
    assert_int_equal(a.params.n, b.params.n);
    assert_memory_equal(a.values, b.values, a.params.n * sizeof *a.values);
    jm_session_free(&a);
    jm_session_free(&b);
}

/* ------------------------------------------------------------- bad ones -- */

typedef struct {
    const char *file;
    const char *msg; /* expected prefix of everything after "FILE:" */
} bad_case_t;

static const bad_case_t bad_cases[] = {
    {"syntax.cfg", "4: syntax error"},
    {"unknown_top.cfg", "3: unknown key 'colour'"},
    {"unknown_strip_key.cfg", "4: unknown key 'fadr' in strip 'kick'"},
    {"wrong_type.cfg", "3: strips[1].fader: expected a number"},
    {"out_of_range.cfg", "5: strips[2].fader: 20 is out of range -90..10"},
    {"duplicate_strip.cfg", "4: duplicate strip name 'kick'"},
    {"bad_name.cfg", "2: strips[1].name: 'ki ck' is not a valid name"},
    {"bad_name_digit.cfg", "3: strips[1].name: '1kick' is not a valid name"},
    {"bad_cidr.cfg", "3: osc.allow: bad CIDR '10.0.0.0/33'"},
    {"bad_cidr_octet.cfg", "1: osc.allow: bad CIDR '192.168.300.0/24'"},
    {"bad_channels.cfg", "4: strips[2].channels: expected 1 (mono) or 2 (stereo)"},
    {"unknown_bus_send.cfg", "5: unknown bus 'vreb' in send"},
    {"include_folder.cfg", "2: @include \".\" does not name a file"},
    {"include_spaces.cfg", "2: @include \".\" does not name a file"},
    {"state_too_long.cfg", "1: state: '/var/lib/aaaa"},
    {"recordings_type.cfg", "1: recordings: expected a string (a folder)"},
    {"recordings_too_long.cfg", "2: sessions: 'ssss"},
    {"record_min_free_range.cfg", "1: record_min_free_mb: -1 is out of range 0..1073741824"},
    {"bus_keyword.cfg", "1: buses[1].name: 'True' cannot name a bus"},
    {"monitor_bad_curve.cfg", "3: monitor.curve: 'disco' is not one of: translation curve"},
    {"alias_unknown_param.cfg", "2: aliases[1]: no parameter '/strip/kick/fadr/norm'"},
    {"alias_pattern.cfg", "2: aliases[1]: '/1/fader*' is not an OSC address"},
    {"alias_duplicate.cfg", "3: aliases[2]: '/1/fader1' is already an alias"},
    {"x32_port_clash.cfg", "2: x32.port: 9000 is already the OSC port"},
    {"automation_unknown_param.cfg", "3: automation[1]: no parameter '/strip/snare/fader'"},
    {"automation_bad_mode.cfg", "2: automation[1].mode: expected off, read, write, touch or latch"},
    {"automation_order.cfg", "5: automation[1]: points must be in time order (1 after 2)"},
    {"automation_range.cfg", "3: automation[1]: value 3 is out of range -1..1"},
    {"automation_point_shape.cfg", "2: automation[1]: a point is (seconds, value)"},
    {"web_port_range.cfg", "3: web.port: 70000 is out of range 1..65535"},
    {"missing_name.cfg", "3: strips[2]: the strip has no name"},
    {"bad_style.cfg", "5: osc.clients[2].style: expected \"units\" or \"norm\""},
    {"bool_type.cfg", "2: strips[1].mute: expected true or false"},
    {"duplicate_bus.cfg", "3: duplicate bus name 'verb'"},
    {"bad_bus_type.cfg", "2: buses[1].type: expected \"reverb\", \"delay\" or \"aux\""},
    {"aux_channels.cfg", "2: buses[1].channels: expected 1 (mono) or 2 (stereo)"},
    {"fx_channels.cfg", "2: buses[1].channels: only aux buses have channels (FX buses are stereo)"},
    {"fx_output.cfg", "2: buses[1].output: only aux buses have outputs (FX buses return into the master)"},
    {"strip_is_bus.cfg", "5: strips[1].name: 'drums' is already a bus name (strip and bus names must differ)"},
    {"aux_port_clash.cfg", "5: strips[1].name: its JACK port would have the same name as aux bus 'drums''s"},
    {"aux_named_master.cfg", "2: buses[1].name: 'master' is taken by the console's own outputs"},
    {"aux_bad_output.cfg", "2: buses[1].output"},
    {"osc_port_range.cfg", "2: osc.port: 70000 is out of range 1..65535"},
    {"bad_bind.cfg", "1: osc.bind: 'localhost' is not an IPv4 address"},
    {"unknown_master_key.cfg", "3: unknown key 'fadr' in master"},
    {"too_many_inputs.cfg", "3: strips[1].input: 9 ports, at most 8 allowed"},
    {"name_too_long.cfg", "2: strips[1].name: 'abcdefghijklmnopqrstuvwxyz0123456789' is too long"},
    {"fader_group.cfg", "3: strips[1].fader: expected a number, not a group"},
    {"unknown_jack_key.cfg", "2: unknown key 'srever' in jack"},
    {"duplicate_setting.cfg", "4: duplicate setting name"},
    {"meter_rate_range.cfg", "1: osc.meter_rate: 0.5 is out of range 1..100"},
    {"strips_not_list.cfg", "1: strips: expected a list"},
    {"input_not_string.cfg", "2: strips[1].input[1]: expected a port name"},
    {"master_bool_type.cfg", "2: master.mono: expected true or false"},
    {"unknown_nested_key.cfg", "3: unknown key 'hpff' in strip 'kick'"},
    {"client_missing_port.cfg", "2: osc.clients[1]: missing port"},
    {"bus_missing_type.cfg", "2: buses[1]: bus 'verb' has no type"},
    {"state_type.cfg", "1: state: expected a string"},
    {"port_no_client.cfg", "3: master.output[2]: 'playback_2' is not a JACK port name"},
};

/* One broken session; *state points to its bad_case_t. */
static void test_bad_session(void **state)
{
    const bad_case_t *bc = *state;
    char path[256], want[512], err[JM_ERR_MAX];
    jm_session_t s;
    snprintf(path, sizeof path, BAD "%s", bc->file);
    snprintf(want, sizeof want, "%s:%s", path, bc->msg);
    memset(err, 0, sizeof err);
    memset(&s, 0x5a, sizeof s); /* garbage in: load must not rely on it */
    int rc = jm_session_load(&s, path, err, sizeof err);
    if (rc != -1) {
        jm_session_free(&s);
        fail_msg("%s: loaded, expected \"%s\"", path, want);
    }
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("%s:\n  want \"%s\"\n  got  \"%s\"", path, want, err);
    assert_zeroed(&s);
}

static void test_missing_file(void **state)
{
    (void)state;
    jm_session_t s;
    char err[JM_ERR_MAX];
    assert_int_equal(jm_session_load(&s, BAD "does-not-exist.cfg", err, sizeof err), -1);
    assert_string_equal(err, BAD "does-not-exist.cfg:0: cannot open the session file: "
                             "No such file or directory");
    assert_zeroed(&s);
}

static void test_small_err_buffer(void **state)
{
    (void)state;
    jm_session_t s;
    char err[16];
    assert_int_equal(jm_session_load(&s, BAD "unknown_strip_key.cfg", err, sizeof err), -1);
    assert_int_equal(strlen(err), sizeof err - 1);
    assert_int_equal(jm_session_load(&s, BAD "unknown_strip_key.cfg", NULL, 0), -1);
}

/* ----------------------------------------------------------------- CIDR -- */

static void test_cidr(void **state)
{
    (void)state;
    jm_cidr_t c;
    assert_int_equal(jm_cidr_parse("10.0.0.0/8", &c), 0);
    assert_int_equal(c.addr, ip(10, 0, 0, 0));
    assert_int_equal(c.mask, 0xff000000u);
    assert_int_equal(jm_cidr_parse("172.16.0.0/12", &c), 0);
    assert_int_equal(c.mask, 0xfff00000u);
    assert_int_equal(jm_cidr_parse("192.168.1.7", &c), 0);
    assert_int_equal(c.addr, ip(192, 168, 1, 7));
    assert_int_equal(c.mask, 0xffffffffu);
    assert_int_equal(jm_cidr_parse("0.0.0.0/0", &c), 0);
    assert_int_equal(c.mask, 0u);
    assert_true(jm_cidr_match(&c, 1, ip(1, 2, 3, 4)));
    assert_int_equal(jm_cidr_parse("192.168.1.77/24", &c), 0); /* host bits allowed */
    assert_true(jm_cidr_match(&c, 1, ip(192, 168, 1, 1)));
    assert_false(jm_cidr_match(&c, 1, ip(192, 168, 0, 1)));
    assert_int_equal(jm_cidr_parse("255.255.255.255/32", &c), 0);

    static const char *const bad[] = {
        "",          "10.0.0.0/33", "10.0.0/8", "10.0.0.0.0/8", "256.0.0.0/8", "10.0.0.0/",
        "10.0.0.0/-1", "a.b.c.d",   "10.0.0.0/8 ", " 10.0.0.0/8", "10..0.0/8", "1000.0.0.0",
        "10.0.0.0/008", "10.0.0.0/8x", "::1",      "10.0.0.0//8",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (jm_cidr_parse(bad[i], &c) != -1) fail_msg("accepted bad CIDR '%s'", bad[i]);
    }
    assert_false(jm_cidr_match(NULL, 0, ip(127, 0, 0, 1)));
}

#define N_BAD (sizeof bad_cases / sizeof bad_cases[0])

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_include),
        cmocka_unit_test(test_example_session),
        cmocka_unit_test(test_reload_same),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_small_err_buffer),
        cmocka_unit_test(test_cidr),
    };
    enum { N_FIXED = sizeof fixed / sizeof fixed[0] };
    static struct CMUnitTest tests[N_FIXED + N_BAD];
    static char names[N_BAD][80];
    memcpy(tests, fixed, sizeof fixed);
    for (size_t i = 0; i < N_BAD; i++) {
        snprintf(names[i], sizeof names[i], "bad/%s", bad_cases[i].file);
        tests[N_FIXED + i] = (struct CMUnitTest){
            .name = names[i],
            .test_func = test_bad_session,
            .initial_state = (void *)&bad_cases[i],
        };
    }
    return _cmocka_run_group_tests("session", tests, N_FIXED + N_BAD, NULL, NULL);
}
