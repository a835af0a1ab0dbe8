/* The listen bus (dsp/pfl.h) and the mixer's monitor feed (engine/mixer.h):
 * PFL pre-fader at the master's centre pan law, AFL after fader/mute/pan,
 * an aux bus's output, the crossfade back to the master, and the master and
 * aux outputs sample-identical to a mixer that never listens. Both strip
 * paths (scalar and SIMD) give the same feed. */
#include "jmixd/dsp/pfl.h"
#include "jmixd/dsp/simd.h"
#include "jmixd/engine/mixer.h"
#include "jmixd/session/params.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mixer_fixture.h"

#define RATE 48000
#define BLOCK 128
#define NS 3   /* strips: a, b (mono), st (stereo) */
#define NB 2   /* buses: mix (stereo aux), wedge (mono aux) */
#define CENTRE 0.70710678f

static void test_strip_gains(void **s)
{
    (void)s;
    float gl, gr;
    jm_pfl_strip_gains(0, 0, 0, 1.0f, 0, 0.0f, &gl, &gr);
    assert_true(gl == 0.0f && gr == 0.0f);
    jm_pfl_strip_gains(1, 0, 0, 0.0f, 1, -1.0f, &gl, &gr); /* PFL: pre fader, pre mute, centred */
    assert_float_equal(gl, CENTRE, 1e-6);
    assert_float_equal(gr, CENTRE, 1e-6);
    jm_pfl_strip_gains(1, 0, 1, 0.0f, 0, 1.0f, &gl, &gr); /* stereo: as is */
    assert_true(gl == 1.0f && gr == 1.0f);
    jm_pfl_strip_gains(1, 1, 0, 0.5f, 0, -1.0f, &gl, &gr); /* AFL: fader x pan */
    assert_float_equal(gl, 0.5f, 1e-6);
    assert_float_equal(gr, 0.0f, 1e-6);
    jm_pfl_strip_gains(1, 1, 1, 0.5f, 1, 0.0f, &gl, &gr); /* AFL: muted is silent */
    assert_true(gl == 0.0f && gr == 0.0f);
}

static void test_add_and_select(void **s)
{
    (void)s;
    static jm_pfl_bank_t b;
    static jm_rampbank_t w;
    memset(&b, 0, sizeof b);
    memset(&w, 0, sizeof w);
    assert_true(jm_pfl_silent(&b, 3));
    jm_ramp_set(&b.gl, 3, 0.5f, 0);
    jm_ramp_set(&b.gr, 3, 0.25f, 0);
    float x[4] = {1, 2, 3, 4}, l[4] = {0}, r[4] = {1, 1, 1, 1};
    jm_pfl_add(&b, 3, x, NULL, 2.0f, l, r, 4);
    for (int k = 0; k < 4; k++) {
        assert_true(l[k] == x[k]);
        assert_true(r[k] == 1.0f + 0.5f * x[k]);
    }
    /* select: exactly the master at 0, exactly the listen bus at 1, a
     * linear crossfade between */
    float ml[4] = {0.3f, 0.3f, 0.3f, 0.3f}, mr[4] = {-0.7f, -0.7f, -0.7f, -0.7f}, ol[4], or_[4];
    jm_pfl_select(&w, ml, mr, l, r, ol, or_, 4);
    for (int k = 0; k < 4; k++) assert_true(ol[k] == ml[k] && or_[k] == mr[k]);
    jm_ramp_set(&w, 0, 1.0f, 4);
    jm_pfl_select(&w, ml, mr, l, r, ol, or_, 4);
    assert_float_equal(ol[0], 0.75f * ml[0] + 0.25f * l[0], 1e-6);
    assert_true(ol[3] == l[3] && or_[3] == r[3]);
    jm_ramp_set(&b.gl, 3, 0.0f, 8);
    assert_false(jm_pfl_silent(&b, 3));
    jm_pfl_skip(&b, 3);
    assert_true(b.gl.cur[3] == 0.0f && b.gl.left[3] == 0);
}

typedef struct {
    jm_paramset_t ps;
    float *values;
    jm_mixer_t *m;
} fx_t;

static const char snames[NS][JM_NAME_MAX] = {"a", "b", "st"};
static const char bnames[NB][JM_NAME_MAX] = {"mix", "wedge"};
static const char btypes[NB][16] = {"aux", "aux"};
static const uint8_t stereo[NS] = {0, 0, 1};
static const uint8_t btype[NB] = {JM_BUS_AUX, JM_BUS_AUX};
static const uint8_t bstereo[NB] = {1, 0};

static fx_t *make(int simd)
{
    fx_t *f = calloc(1, sizeof *f);
    jm_topo_names_t tn = {.n_strips = NS, .strip_names = snames, .n_buses = NB,
                          .bus_names = bnames, .bus_types = btypes, .monitor = 1};
    assert_int_equal(jm_params_build(&f->ps, &tn), 0);
    f->values = mfx_defaults(&f->ps);
    jm_mixer_config_t cfg = {.n_strips = NS, .stereo = stereo, .n_buses = NB, .bus_type = btype,
                             .bus_stereo = bstereo, .rate = RATE, .meter_frames = 2400};
    f->m = jm_mixer_create(&cfg, &f->ps, f->values);
    assert_non_null(f->m);
    jm_mixer_set_simd(f->m, simd ? JM_SIMD_AUTO : JM_SIMD_OFF);
    return f;
}

static void drop(fx_t *f)
{
    jm_mixer_destroy(f->m);
    jm_params_free(&f->ps);
    free(f->values);
    free(f);
}

static void set(fx_t *f, const char *path, float v) { mfx_set(f->m, &f->ps, path, v); }

/* Outputs of one block: master, monitor feed, aux mix L/R and wedge. */
typedef struct {
    float ml[BLOCK], mr[BLOCK], fl[BLOCK], fr[BLOCK], al[BLOCK], ar[BLOCK], w[BLOCK];
} out_t;

static uint32_t t_now; /* frames played: the test signals are functions of time */

static float sig(int ch, uint32_t t)
{
    static const float freq[4] = {440.0f, 1000.0f, 313.0f, 1733.0f};
    return 0.1f * (float)sin(2.0 * M_PI * freq[ch] * t / RATE);
}

static void block(fx_t *f, out_t *o, uint32_t t0, int monitor)
{
    float in[4][BLOCK], *aux[4] = {o->al, o->ar, o->w, NULL};
    for (int c = 0; c < 4; c++)
        for (int k = 0; k < BLOCK; k++) in[c][k] = sig(c, t0 + (uint32_t)k);
    const float *ins[2 * NS] = {in[0], NULL, in[1], NULL, in[2], in[3]};
    jm_mixer_bus_outputs(f->m, aux);
    jm_mixer_monitor_output(f->m, monitor ? o->fl : NULL, monitor ? o->fr : NULL);
    jm_mixer_process(f->m, ins, o->ml, o->mr, BLOCK, NULL);
}

/* Runs `frames` on both mixers (f listens, ref does not); the master and aux
 * outputs must be identical; returns the last block of f in *o. */
static void run_pair(fx_t *f, fx_t *ref, int frames, out_t *o, float *max_step)
{
    out_t r;
    for (int done = 0; done < frames; done += BLOCK) {
        float prev = o->fl[BLOCK - 1];
        block(f, o, t_now, 1);
        block(ref, &r, t_now, 0);
        t_now += BLOCK;
        assert_memory_equal(o->ml, r.ml, sizeof r.ml);
        assert_memory_equal(o->mr, r.mr, sizeof r.mr);
        assert_memory_equal(o->al, r.al, sizeof r.al);
        assert_memory_equal(o->ar, r.ar, sizeof r.ar);
        assert_memory_equal(o->w, r.w, sizeof r.w);
        if (max_step)
            for (int k = 0; k < BLOCK; k++) {
                float d = fabsf(o->fl[k] - (k ? o->fl[k - 1] : prev));
                if (d > *max_step) *max_step = d;
            }
    }
}

/* Like set() on both mixers, for the settings that change the mix. */
static void set2(fx_t *f, fx_t *ref, const char *path, float v)
{
    set(f, path, v);
    set(ref, path, v);
}

static void check_pfl(int simd)
{
    t_now = 0;
    fx_t *f = make(simd), *ref = make(simd);
    out_t o;
    memset(&o, 0, sizeof o);
    set2(f, ref, "/strip/b/fader", -90.0f);
    set2(f, ref, "/strip/a/send/mix/level", 0.0f);
    set2(f, ref, "/strip/b/send/wedge/level", -6.0f);
    /* nothing listened: the feed is the master */
    run_pair(f, ref, 2048, &o, NULL);
    assert_memory_equal(o.fl, o.ml, sizeof o.ml);
    assert_memory_equal(o.fr, o.mr, sizeof o.mr);
    /* PFL b: its pre-fader signal, centred, though its fader is at -90 */
    set(f, "/strip/b/pfl", 1.0f);
    float step = 0.0f;
    run_pair(f, ref, 4096, &o, &step);
    uint32_t t0 = t_now - BLOCK;
    for (int k = 0; k < BLOCK; k++) {
        float want = sig(1, t0 + (uint32_t)k) * CENTRE;
        assert_float_equal(o.fl[k], want, 1e-6);
        assert_float_equal(o.fr[k], want, 1e-6);
    }
    /* no click: the feed moves no more than the signals do per sample */
    assert_true(step < 0.03f);
    /* PFL is pre-mute too (cue a muted channel) */
    set2(f, ref, "/strip/b/mute", 1.0f);
    run_pair(f, ref, 2048, &o, NULL);
    t0 = t_now - BLOCK;
    assert_float_equal(o.fl[5], sig(1, t0 + 5) * CENTRE, 1e-6);
    set2(f, ref, "/strip/b/mute", 0.0f);
    /* AFL: after the fader and pan, as into the master */
    set(f, "/monitor/afl", 1.0f);
    set2(f, ref, "/strip/b/fader", -6.0f);
    set2(f, ref, "/strip/b/pan", -1.0f);
    run_pair(f, ref, 4096, &o, NULL);
    t0 = t_now - BLOCK;
    float g = powf(10.0f, -6.0f / 20.0f);
    for (int k = 0; k < BLOCK; k++) {
        assert_float_equal(o.fl[k], sig(1, t0 + (uint32_t)k) * g, 1e-6);
        assert_float_equal(o.fr[k], 0.0f, 1e-7);
    }
    /* the stereo strip added under AFL: its balance, unity at centre */
    set(f, "/strip/st/pfl", 1.0f);
    run_pair(f, ref, 4096, &o, NULL);
    t0 = t_now - BLOCK;
    for (int k = 0; k < BLOCK; k++) {
        assert_float_equal(o.fl[k], sig(1, t0 + (uint32_t)k) * g + sig(2, t0 + (uint32_t)k), 1e-6);
        assert_float_equal(o.fr[k], sig(3, t0 + (uint32_t)k), 1e-6);
    }
    set(f, "/strip/st/pfl", 0.0f);
    set(f, "/strip/b/pfl", 0.0f);
    set(f, "/monitor/afl", 0.0f);
    /* an aux bus: the feed is its output, sample for sample */
    set(f, "/bus/mix/pfl", 1.0f);
    run_pair(f, ref, 4096, &o, NULL);
    assert_memory_equal(o.fl, o.al, sizeof o.al);
    assert_memory_equal(o.fr, o.ar, sizeof o.ar);
    assert_true(fabsf(o.al[7]) > 0.01f);
    /* a mono aux bus: on both sides */
    set(f, "/bus/mix/pfl", 0.0f);
    set(f, "/bus/wedge/pfl", 1.0f);
    run_pair(f, ref, 4096, &o, NULL);
    assert_memory_equal(o.fl, o.w, sizeof o.w);
    assert_memory_equal(o.fr, o.w, sizeof o.w);
    /* all off: back to the master, exactly, without a click */
    set(f, "/bus/wedge/pfl", 0.0f);
    step = 0.0f;
    run_pair(f, ref, 4096, &o, &step);
    assert_memory_equal(o.fl, o.ml, sizeof o.ml);
    assert_memory_equal(o.fr, o.mr, sizeof o.mr);
    assert_true(step < 0.03f);
    drop(f);
    drop(ref);
}

static void test_mixer_pfl_scalar(void **s)
{
    (void)s;
    check_pfl(0);
}

static void test_mixer_pfl_simd(void **s)
{
    (void)s;
    check_pfl(1);
}

/* Both strip paths give the same monitor feed while listening. */
static void test_paths_agree(void **s)
{
    (void)s;
    fx_t *a = make(0), *b = make(1);
    out_t oa, ob;
    set(a, "/strip/a/pfl", 1.0f);
    set(b, "/strip/a/pfl", 1.0f);
    for (uint32_t t = 0; t < 8 * BLOCK; t += BLOCK) {
        if (t == 4 * BLOCK) {
            set(a, "/monitor/afl", 1.0f);
            set(b, "/monitor/afl", 1.0f);
        }
        block(a, &oa, t, 1);
        block(b, &ob, t, 1);
        assert_memory_equal(oa.fl, ob.fl, sizeof oa.fl);
        assert_memory_equal(oa.fr, ob.fr, sizeof oa.fr);
    }
    drop(a);
    drop(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strip_gains),
        cmocka_unit_test(test_add_and_select),
        cmocka_unit_test(test_mixer_pfl_scalar),
        cmocka_unit_test(test_mixer_pfl_simd),
        cmocka_unit_test(test_paths_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
