/* The parameter table: X32 fader law, tapers, clamping, expansion into a
 * topology's parameters and lookup by both path forms. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "jmixd/session/params.h"

#define EPS 1e-4f

static const jm_param_def_t def_fader = {JM_SCOPE_STRIP, "fader", "dB", -90, 10, {0, 0, 0, 0},
                                         JM_TAPER_FADER, 20, JM_SF_FADER, NULL, "test fader", NULL, NULL};
static const jm_param_def_t def_log = {JM_SCOPE_STRIP, "hpf/freq", "Hz", 20, 1000, {80, 80, 80, 80},
                                       JM_TAPER_LOG, 20, 0, NULL, "test log", NULL, NULL};
static const jm_param_def_t def_lin = {JM_SCOPE_STRIP, "pan", "", -1, 1, {0, 0, 0, 0},
                                       JM_TAPER_LIN, 20, JM_SF_PAN, NULL, "test lin", NULL, NULL};
static const jm_param_def_t def_bool = {JM_SCOPE_STRIP, "mute", "bool", 0, 1, {0, 0, 0, 0},
                                        JM_TAPER_BOOL, 20, JM_SF_MUTE, NULL, "test bool", NULL, NULL};

/* ------------------------------------------------------------- X32 law -- */

static void test_x32_points(void **state)
{
    (void)state;
    assert_float_equal(jm_x32_db_from_norm(0.75f), 0.0f, EPS);
    assert_float_equal(jm_x32_db_from_norm(1.0f), 10.0f, EPS);
    assert_float_equal(jm_x32_db_from_norm(0.0f), -90.0f, EPS);
    assert_float_equal(jm_x32_db_from_norm(0.5f), -10.0f, EPS);
    assert_float_equal(jm_x32_db_from_norm(0.25f), -30.0f, EPS);
    assert_float_equal(jm_x32_db_from_norm(0.0625f), -60.0f, EPS);
    /* inside each segment */
    assert_float_equal(jm_x32_db_from_norm(0.6f), 40.0f * 0.6f - 30.0f, EPS);
    assert_float_equal(jm_x32_db_from_norm(0.3f), 80.0f * 0.3f - 50.0f, EPS);
    assert_float_equal(jm_x32_db_from_norm(0.1f), 160.0f * 0.1f - 70.0f, EPS);
    assert_float_equal(jm_x32_db_from_norm(0.03f), 480.0f * 0.03f - 90.0f, EPS);
    /* outside 0..1 clamps */
    assert_float_equal(jm_x32_db_from_norm(-0.5f), -90.0f, EPS);
    assert_float_equal(jm_x32_db_from_norm(1.5f), 10.0f, EPS);

    assert_float_equal(jm_x32_norm_from_db(0.0f), 0.75f, EPS);
    assert_float_equal(jm_x32_norm_from_db(10.0f), 1.0f, EPS);
    assert_float_equal(jm_x32_norm_from_db(-90.0f), 0.0f, EPS);
    assert_float_equal(jm_x32_norm_from_db(-10.0f), 0.5f, EPS);
    assert_float_equal(jm_x32_norm_from_db(-30.0f), 0.25f, EPS);
    assert_float_equal(jm_x32_norm_from_db(-60.0f), 0.0625f, EPS);
    assert_float_equal(jm_x32_norm_from_db(-200.0f), 0.0f, EPS);
    assert_float_equal(jm_x32_norm_from_db(40.0f), 1.0f, EPS);
}

static void test_x32_round_trip(void **state)
{
    (void)state;
    for (int i = 0; i <= 1000; i++) {
        float f = (float)i / 1000.0f;
        float back = jm_x32_norm_from_db(jm_x32_db_from_norm(f));
        if (fabsf(back - f) > EPS) fail_msg("norm %g -> %g", (double)f, (double)back);
    }
    for (int i = 0; i <= 1000; i++) {
        float db = -90.0f + 100.0f * (float)i / 1000.0f;
        float back = jm_x32_db_from_norm(jm_x32_norm_from_db(db));
        if (fabsf(back - db) > 1e-3f) fail_msg("dB %g -> %g", (double)db, (double)back);
    }
    /* monotonic */
    float prev = -1000.0f;
    for (int i = 0; i <= 1000; i++) {
        float db = jm_x32_db_from_norm((float)i / 1000.0f);
        assert_true(db >= prev);
        prev = db;
    }
}

/* -------------------------------------------------------------- tapers -- */

static void test_fader_taper(void **state)
{
    (void)state;
    assert_float_equal(jm_param_to_norm(&def_fader, 0.0f), 0.75f, EPS);
    assert_float_equal(jm_param_to_norm(&def_fader, -90.0f), 0.0f, EPS);
    assert_float_equal(jm_param_from_norm(&def_fader, 0.75f), 0.0f, EPS);
    assert_float_equal(jm_param_from_norm(&def_fader, 1.0f), 10.0f, EPS);
    assert_float_equal(jm_param_to_norm(&def_fader, 50.0f), 1.0f, EPS); /* clamped first */
}

static void test_log_taper(void **state)
{
    (void)state;
    assert_float_equal(jm_param_from_norm(&def_log, 0.0f), 20.0f, 1e-3f);
    assert_float_equal(jm_param_from_norm(&def_log, 1.0f), 1000.0f, 1e-2f);
    assert_float_equal(jm_param_from_norm(&def_log, 0.5f), sqrtf(20.0f * 1000.0f), 1e-2f);
    assert_float_equal(jm_param_to_norm(&def_log, 20.0f), 0.0f, EPS);
    assert_float_equal(jm_param_to_norm(&def_log, 1000.0f), 1.0f, EPS);
    assert_float_equal(jm_param_to_norm(&def_log, 200.0f), logf(10.0f) / logf(50.0f), EPS);
    for (int i = 0; i <= 100; i++) {
        float f = (float)i / 100.0f;
        float v = jm_param_from_norm(&def_log, f);
        assert_float_equal(v, 20.0f * powf(50.0f, f), v * 1e-5f);
        assert_float_equal(jm_param_to_norm(&def_log, v), f, EPS);
    }
    /* out of 0..1 clamps */
    assert_float_equal(jm_param_from_norm(&def_log, -1.0f), 20.0f, 1e-3f);
    assert_float_equal(jm_param_from_norm(&def_log, 2.0f), 1000.0f, 1e-2f);
}

static void test_lin_and_bool_taper(void **state)
{
    (void)state;
    assert_float_equal(jm_param_from_norm(&def_lin, 0.5f), 0.0f, EPS);
    assert_float_equal(jm_param_from_norm(&def_lin, 0.0f), -1.0f, EPS);
    assert_float_equal(jm_param_from_norm(&def_lin, 0.75f), 0.5f, EPS);
    assert_float_equal(jm_param_to_norm(&def_lin, 1.0f), 1.0f, EPS);
    assert_float_equal(jm_param_to_norm(&def_lin, -0.5f), 0.25f, EPS);

    assert_true(jm_param_is_bool(&def_bool));
    assert_false(jm_param_is_bool(&def_lin));
    assert_false(jm_param_is_bool(&def_fader));
    assert_float_equal(jm_param_from_norm(&def_bool, 0.4f), 0.0f, 0);
    assert_float_equal(jm_param_from_norm(&def_bool, 0.6f), 1.0f, 0);
    assert_float_equal(jm_param_to_norm(&def_bool, 1.0f), 1.0f, 0);
    assert_float_equal(jm_param_to_norm(&def_bool, 0.0f), 0.0f, 0);
}

static void test_clamp(void **state)
{
    (void)state;
    assert_float_equal(jm_param_clamp(&def_fader, 20.0f), 10.0f, 0);
    assert_float_equal(jm_param_clamp(&def_fader, -100.0f), -90.0f, 0);
    assert_float_equal(jm_param_clamp(&def_fader, -3.5f), -3.5f, 0);
    assert_float_equal(jm_param_clamp(&def_fader, INFINITY), 10.0f, 0);
    assert_float_equal(jm_param_clamp(&def_fader, -INFINITY), -90.0f, 0);
    assert_float_equal(jm_param_clamp(&def_log, 5.0f), 20.0f, 0);
    assert_float_equal(jm_param_clamp(&def_lin, 1.5f), 1.0f, 0);
    assert_float_equal(jm_param_clamp(&def_bool, 0.7f), 1.0f, 0);
    assert_float_equal(jm_param_clamp(&def_bool, 0.2f), 0.0f, 0);
    assert_float_equal(jm_param_clamp(&def_bool, 5.0f), 1.0f, 0);
}

static void test_table_sane(void **state)
{
    (void)state;
    assert_true(jm_param_defs_count > 0);
    for (size_t i = 0; i < jm_param_defs_count; i++) {
        const jm_param_def_t *d = &jm_param_defs[i];
        assert_non_null(d->tail);
        assert_non_null(d->unit);
        assert_non_null(d->doc);
        assert_true(d->min < d->max);
        for (int k = 0; k < 4; k++) {
            assert_true(d->def[k] >= d->min);
            assert_true(d->def[k] <= d->max);
        }
        if (d->taper == JM_TAPER_LOG) assert_true(d->min > 0);
        if (d->taper == JM_TAPER_BOOL) assert_string_equal(d->unit, "bool");
        /* no two rows share a scope and tail, unless they split the buses
         * between them (sub_type "t" and "!t": a per-type default) */
        for (size_t j = 0; j < i; j++) {
            const jm_param_def_t *e = &jm_param_defs[j];
            if (e->scope != d->scope || strcmp(e->tail, d->tail)) continue;
            assert_non_null(d->sub_type);
            assert_non_null(e->sub_type);
            const char *pos = d->sub_type[0] == '!' ? e->sub_type : d->sub_type;
            const char *neg = d->sub_type[0] == '!' ? d->sub_type : e->sub_type;
            assert_true(neg[0] == '!' && pos[0] != '!');
            assert_string_equal(neg + 1, pos);
            assert_int_equal(e->field, d->field);
        }
    }
}

/* --------------------------------------------------------------- build -- */

static const char strip_names[2][JM_NAME_MAX] = {"kick", "snare"};
static const char bus_names[1][JM_NAME_MAX] = {"verb"};
static const char bus_types[1][16] = {"reverb"};

static size_t expected_count(int n_strips, int n_buses)
{
    size_t c = 0;
    for (size_t i = 0; i < jm_param_defs_count; i++) {
        const jm_param_def_t *d = &jm_param_defs[i];
        /* the one bus is a reverb */
        if (!jm_param_type_match(d->bus_type, "reverb")) continue;
        size_t mult = strstr(d->tail, "{n}")   ? 4
                      : strstr(d->tail, "{b}") ? (jm_param_type_match(d->sub_type, "reverb") ? (size_t)n_buses : 0)
                                               : 1;
        size_t owners = d->scope == JM_SCOPE_STRIP   ? (size_t)n_strips
                        : d->scope == JM_SCOPE_BUS   ? (size_t)n_buses
                        : d->scope == JM_SCOPE_MONITOR ? 0 /* no monitor section here */
                        : d->scope == JM_SCOPE_TALKBACK ? 0 /* nor talkback */
                                                     : 1;
        c += mult * owners;
    }
    return c;
}

static void test_build_two_strips(void **state)
{
    (void)state;
    jm_topo_names_t names = {2, strip_names, 1, bus_names, bus_types, 0, 0};
    jm_paramset_t set;
    assert_int_equal(jm_params_build(&set, &names), 0);
    assert_int_equal(set.n, expected_count(2, 1));

    int i = jm_params_find(&set, "/strip/1/fader");
    assert_true(i >= 0);
    assert_string_equal(set.p[i].path, "/strip/1/fader");
    assert_string_equal(set.p[i].name_path, "/strip/kick/fader");
    assert_string_equal(set.p[i].key, "fader");
    assert_int_equal(set.p[i].scope, JM_SCOPE_STRIP);
    assert_int_equal(set.p[i].owner, 0);
    assert_int_equal(set.p[i].field, JM_SF_FADER);
    assert_float_equal(set.p[i].defval, 0.0f, 0);
    assert_string_equal(set.p[i].def->unit, "dB");
    assert_float_equal(set.p[i].def->min, -90.0f, 0);
    assert_float_equal(set.p[i].def->max, 10.0f, 0);
    assert_int_equal(jm_params_find(&set, "/strip/kick/fader"), i);

    i = jm_params_find(&set, "/strip/snare/pan");
    assert_true(i >= 0);
    assert_string_equal(set.p[i].path, "/strip/2/pan");
    assert_string_equal(set.p[i].key, "pan");
    assert_int_equal(set.p[i].owner, 1);
    assert_int_equal(jm_params_find(&set, "/strip/2/pan"), i);

    i = jm_params_find(&set, "/strip/2/mute");
    assert_true(i >= 0);
    assert_string_equal(set.p[i].name_path, "/strip/snare/mute");
    assert_true(jm_param_is_bool(set.p[i].def));

    i = jm_params_find(&set, "/master/fader");
    assert_true(i >= 0);
    assert_int_equal(set.p[i].scope, JM_SCOPE_MASTER);
    assert_string_equal(set.p[i].key, "fader");
    assert_string_equal(set.p[i].name_path, "/master/fader");
    i = jm_params_find(&set, "/master/mono");
    assert_true(i >= 0);
    assert_string_equal(set.p[i].key, "mono");

    /* forms that appear once the table grows (docs/parameters.md) */
    i = jm_params_find(&set, "/strip/kick/send/verb/level");
    if (i >= 0) {
        assert_string_equal(set.p[i].path, "/strip/1/send/1/level");
        assert_string_equal(set.p[i].key, "send.verb.level");
        assert_int_equal(jm_params_find(&set, "/strip/1/send/1/level"), i);
    }
    i = jm_params_find(&set, "/strip/kick/eq/2/gain");
    if (i >= 0) {
        assert_string_equal(set.p[i].path, "/strip/1/eq/2/gain");
        assert_string_equal(set.p[i].key, "eq.band2.gain");
        assert_int_equal(set.p[i].sub, 1);
    }
    i = jm_params_find(&set, "/master/limiter/ceiling");
    if (i >= 0) assert_string_equal(set.p[i].key, "limiter.ceiling");

    /* every parameter is found by both of its paths; keys are unique per
     * owner and match the path's tail with '/' as '.' */
    for (size_t k = 0; k < set.n; k++) {
        const jm_param_t *p = &set.p[k];
        assert_int_equal(jm_params_find(&set, p->path), (int)k);
        assert_int_equal(jm_params_find(&set, p->name_path), (int)k);
        assert_true(p->defval >= p->def->min && p->defval <= p->def->max);
        assert_true(strlen(p->key) > 0);
        assert_null(strchr(p->key, '/'));
        for (size_t j = 0; j < k; j++) {
            const jm_param_t *q = &set.p[j];
            assert_string_not_equal(p->path, q->path);
            if (p->scope == q->scope && p->owner == q->owner)
                assert_string_not_equal(p->key, q->key);
        }
        if (p->scope == JM_SCOPE_STRIP) {
            const char *want = p->owner == 0 ? "/strip/kick/" : "/strip/snare/";
            assert_int_equal(strncmp(p->name_path, want, strlen(want)), 0);
        }
    }
    jm_params_free(&set);
    assert_null(set.p);
    assert_int_equal(set.n, 0);
}

/* Aux buses: per-type send rows and defaults (pre on for aux, off for FX),
 * pan only into aux buses, the aux bus rows, FX -> aux returns. */
static void test_build_aux(void **state)
{
    (void)state;
    static const char bn[3][JM_NAME_MAX] = {"verb", "drums", "vox"};
    static const char bt[3][16] = {"reverb", "aux", "aux"};
    jm_topo_names_t names = {2, strip_names, 3, bn, bt, 0, 0};
    jm_paramset_t set;
    assert_int_equal(jm_params_build(&set, &names), 0);
    int i = jm_params_find(&set, "/strip/kick/send/drums/pre");
    assert_true(i >= 0);
    assert_true(set.p[i].defval == 1.0f);
    assert_int_equal(set.p[i].field, JM_SF_SEND_PRE + 1);
    i = jm_params_find(&set, "/strip/kick/send/verb/pre");
    assert_true(i >= 0);
    assert_true(set.p[i].defval == 0.0f);
    assert_true(jm_params_find(&set, "/strip/kick/send/vox/pan") >= 0);
    assert_true(jm_params_find(&set, "/strip/2/send/3/pan") >= 0);
    assert_int_equal(jm_params_find(&set, "/strip/kick/send/verb/pan"), -1);
    i = jm_params_find(&set, "/strip/snare/send/verb/on");
    assert_true(i >= 0);
    assert_true(set.p[i].defval == 1.0f);
    i = jm_params_find(&set, "/bus/drums/limiter/ceiling");
    assert_true(i >= 0);
    assert_true(set.p[i].defval == -6.0f);
    i = jm_params_find(&set, "/bus/drums/limiter/on");
    assert_true(i >= 0 && set.p[i].defval == 1.0f);
    assert_true(jm_params_find(&set, "/bus/vox/eq/4/gain") >= 0);
    assert_int_equal(jm_params_find(&set, "/bus/verb/eq/4/gain"), -1);
    assert_int_equal(jm_params_find(&set, "/bus/verb/limiter/on"), -1);
    assert_int_equal(jm_params_find(&set, "/bus/drums/reverb/size"), -1);
    i = jm_params_find(&set, "/bus/verb/send/vox/level");
    assert_true(i >= 0);
    assert_int_equal(set.p[i].field, JM_BF_SEND_LEVEL + 2);
    assert_string_equal(set.p[i].key, "send.vox.level");
    assert_int_equal(jm_params_find(&set, "/bus/verb/send/verb/level"), -1);
    assert_int_equal(jm_params_find(&set, "/bus/drums/send/vox/level"), -1);
    /* index and name forms mixed in one path */
    int send = jm_params_find(&set, "/strip/2/send/1/level");
    assert_true(send >= 0);
    assert_int_equal(jm_params_find(&set, "/strip/snare/send/verb/level"), send);
    assert_int_equal(jm_params_find(&set, "/strip/2/send/verb/level"), send);
    assert_int_equal(jm_params_find(&set, "/strip/snare/send/1/level"), send);
    assert_int_equal(jm_params_find(&set, "/strip/kick/eq/2/gain"),
                     jm_params_find(&set, "/strip/1/eq/2/gain"));
    assert_int_equal(jm_params_find(&set, "/strip/2/send/nobus/level"), -1);
    assert_int_equal(jm_params_find(&set, "/strip/nostrip/send/1/level"), -1);
    assert_int_equal(jm_params_find(&set, "/strip/kic/fader"), -1);
    assert_int_equal(jm_params_find(&set, "/strip/kick/send/verbx/level"), -1);
    jm_params_free(&set);
}

static void test_build_empty(void **state)
{
    (void)state;
    jm_topo_names_t names = {0, NULL, 0, NULL, NULL, 0, 0};
    jm_paramset_t set;
    assert_int_equal(jm_params_build(&set, &names), 0);
    assert_int_equal(set.n, expected_count(0, 0));
    assert_true(jm_params_find(&set, "/master/fader") >= 0);
    assert_int_equal(jm_params_find(&set, "/strip/1/fader"), -1);
    jm_params_free(&set);
}

static void test_find_unknown(void **state)
{
    (void)state;
    jm_topo_names_t names = {2, strip_names, 1, bus_names, bus_types, 0, 0};
    jm_paramset_t set;
    assert_int_equal(jm_params_build(&set, &names), 0);
    static const char *const unknown[] = {
        "",           "/",                 "/strip/3/fader",   "/strip/0/fader",
        "/strip/tom/fader", "/strip/1/fadr", "/strip/1/fader/", "/strip/1",
        "/master",    "/strip/KICK/fader", "/strip/kick/fader/norm", "strip/1/fader",
        "/bus/1/nothing", "/strip/01/fader", "/master/fader/x",
    };
    for (size_t k = 0; k < sizeof unknown / sizeof unknown[0]; k++)
        if (jm_params_find(&set, unknown[k]) != -1) fail_msg("found '%s'", unknown[k]);
    jm_params_free(&set);

    jm_paramset_t zero;
    memset(&zero, 0, sizeof zero);
    assert_int_equal(jm_params_find(&zero, "/master/fader"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_x32_points),
        cmocka_unit_test(test_x32_round_trip),
        cmocka_unit_test(test_fader_taper),
        cmocka_unit_test(test_log_taper),
        cmocka_unit_test(test_lin_and_bool_taper),
        cmocka_unit_test(test_clamp),
        cmocka_unit_test(test_table_sane),
        cmocka_unit_test(test_build_two_strips),
        cmocka_unit_test(test_build_aux),
        cmocka_unit_test(test_build_empty),
        cmocka_unit_test(test_find_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
