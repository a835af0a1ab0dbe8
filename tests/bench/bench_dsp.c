/* bench_dsp: CPU cost of the strips, offline, on the same jm_mixer_process
 * the daemon runs (docs/performance.md, `make bench`).
 *
 *   bench_dsp [--runs N] [--seconds S] [--strips LIST] [--quick]
 *             [--only full|plain,simd|scalar]
 *
 * A mixer with N mono strips, a reverb bus and a delay bus, 48 kHz, cycles of
 * 64 frames, every input a different stream of uniform white noise at
 * -12 dBFS peak. Two strip settings:
 *   full:  trim +2 dB, HPF on (90 Hz), gate on (threshold -60 dB: open on
 *          the noise; range 40 dB), EQ on with all 4 bands at nonzero gain,
 *          compressor on and compressing (threshold -30 dB, 4:1, knee 6,
 *          makeup 6 dB), fader -6 dB, pan spread over the stereo field,
 *          send 1 (reverb) -10 dB post-fader, send 2 (delay) -14 dB pre-fader,
 *          meters (always on).
 *   plain: fader -6 dB and pan; every chain block off or flat, sends off.
 * Each setting runs with the SIMD path (the kernel the CPU selects, or
 * JMIXD_SIMD) and with the scalar reference (jm_mixer_set_simd(m, 0)).
 *
 * Measure: the strip section of jm_mixer_process (inputs, chains, output
 * stages, sums and sends of every strip; not buses, master, limiter) is
 * timed inside the mixer: this file compiles src/engine/mixer.c itself with
 * its JM_PROF_STRIPS hook defined (TSC on x86-64, calibrated against
 * CLOCK_MONOTONIC; elsewhere CLOCK_MONOTONIC) in every 64-frame cycle; a
 * run's figure is its median cycle / (N x 64 frames), robust against the
 * cycles in which the thread was preempted (the clock counts those). A run
 * is --seconds of audio (after 0.1 s of warm-up);
 * the figure is the median over --runs rounds, each round one run of every
 * configuration in turn (so a slow spell of a shared host spreads over all
 * figures). Alongside, from the same runs:
 * the whole mixer's CPU time (CLOCK_THREAD_CPUTIME_ID) with N strips minus
 * that of a 0-strip mixer run just before it, / (N x frames); this also
 * counts what the strips' signal costs the master section (the limiter's
 * true-peak search costs more on noise than on silence).
 * Last line: render speed (audio seconds per CPU second, the whole mixer) of
 * 16 mono strips with the full strip. */
#include <stdint.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
static inline uint64_t prof_now(void) { return __rdtsc(); }
#else
static inline uint64_t prof_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}
#endif
static uint64_t prof_acc, prof_t0;
#define JM_PROF_STRIPS(on) ((on) ? (void)(prof_t0 = prof_now()) : (void)(prof_acc += prof_now() - prof_t0))
#include "../../src/engine/mixer.c"

#include "jmixd/engine/mixer.h"
#include "jmixd/session/params.h"
#include "jmixd/util/rt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000
#define FRAMES 64
#define TABLE 1024 /* noise frames per strip, cycled */

static int runs = 15;
static double seconds = 1.0;
static int only_full = -1, only_simd = -1; /* --only: one setting and path (profiling) */

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static float noise(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)((double)(rng >> 40) / (double)(1u << 24) * 2.0 - 1.0) * 0.25f; /* -12 dBFS */
}

typedef struct {
    jm_paramset_t ps;
    float *values;
    jm_mixer_t *m;
    int n;
    float *table; /* n x TABLE */
} rig_t;

static void setv(rig_t *r, const char *path, float v)
{
    int i = jm_params_find(&r->ps, path);
    if (i < 0) {
        fprintf(stderr, "bench_dsp: no parameter %s\n", path);
        exit(1);
    }
    r->values[i] = jm_param_clamp(r->ps.p[i].def, v);
}

static void rig_make(rig_t *r, int n, int full, int simd)
{
    static char names[JM_MAX_STRIPS][JM_NAME_MAX];
    static const char bnames[2][JM_NAME_MAX] = {"verb", "echo"};
    static const char btypes[2][16] = {"reverb", "delay"};
    for (int i = 0; i < JM_MAX_STRIPS; i++) snprintf(names[i], JM_NAME_MAX, "s%d", i + 1);
    memset(r, 0, sizeof *r);
    r->n = n;
    jm_topo_names_t tn = {.n_strips = n, .strip_names = names, .n_buses = 2, .bus_names = bnames,
                          .bus_types = btypes};
    if (jm_params_build(&r->ps, &tn)) exit(1);
    r->values = calloc(r->ps.n, sizeof(float));
    for (size_t i = 0; i < r->ps.n; i++) r->values[i] = r->ps.p[i].defval;
    char p[128];
    for (int i = 1; i <= n; i++) {
#define SET(tail, v) (snprintf(p, sizeof p, "/strip/%d/%s", i, tail), setv(r, p, v))
        SET("fader", -6.0f);
        SET("pan", n > 1 ? -0.8f + 1.6f * (float)(i - 1) / (float)(n - 1) : 0.3f);
        if (!full) continue;
        SET("trim", 2.0f);
        SET("hpf/on", 1), SET("hpf/freq", 90);
        SET("gate/on", 1), SET("gate/threshold", -60), SET("gate/range", 40);
        SET("gate/attack", 2), SET("gate/hold", 30), SET("gate/release", 150);
        SET("eq/on", 1);
        SET("eq/1/gain", 3), SET("eq/2/gain", -4), SET("eq/3/gain", 2.5f), SET("eq/4/gain", -3);
        SET("eq/2/freq", 350), SET("eq/2/q", 1.5f), SET("eq/3/freq", 3000);
        SET("comp/on", 1), SET("comp/threshold", -30), SET("comp/ratio", 4);
        SET("comp/attack", 5), SET("comp/release", 80), SET("comp/knee", 6), SET("comp/makeup", 6);
        SET("send/1/level", -10), SET("send/2/level", -14), SET("send/2/pre", 1);
#undef SET
    }
    uint8_t stereo[JM_MAX_STRIPS] = {0}, bt[2] = {JM_BUS_REVERB, JM_BUS_DELAY};
    jm_mixer_config_t cfg = {.n_strips = n, .stereo = stereo, .n_buses = 2, .bus_type = bt,
                             .rate = RATE, .meter_frames = RATE / 20};
    r->m = jm_mixer_create(&cfg, &r->ps, r->values);
    if (!r->m) exit(1);
    jm_mixer_set_simd(r->m, simd);
    r->table = malloc(sizeof(float) * TABLE * (size_t)(n ? n : 1));
    for (size_t k = 0; k < (size_t)TABLE * (size_t)n; k++) r->table[k] = noise();
}

static void rig_free(rig_t *r)
{
    jm_mixer_destroy(r->m);
    jm_params_free(&r->ps);
    free(r->values);
    free(r->table);
}

static double prof_ns_per_tick = 1.0;

static double mono_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void prof_calibrate(void)
{
    double t0 = mono_now();
    uint64_t c0 = prof_now();
    while (mono_now() - t0 < 0.05) {
    }
    prof_ns_per_tick = (mono_now() - t0) * 1e9 / (double)(prof_now() - c0);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* CPU seconds to process `frames` frames; *section: seconds in the strips,
 * as cycles x the median cycle (the strip section is timed by the clock,
 * so a cycle in which the thread was preempted is an outlier). */
static double rig_run(rig_t *r, uint64_t frames, double *section)
{
    static const float *in[2 * JM_MAX_STRIPS];
    static float ol[FRAMES], or_[FRAMES];
    static uint64_t cyc_ticks[1u << 16];
    uint64_t cyc = 0;
    double t0 = cpu_now();
    for (uint64_t done = 0; done < frames; done += FRAMES, cyc++) {
        size_t off = (size_t)(cyc * FRAMES % TABLE);
        for (int i = 0; i < r->n; i++) in[2 * i] = r->table + (size_t)i * TABLE + off;
        prof_acc = 0;
        jm_mixer_process(r->m, in, ol, or_, FRAMES, NULL);
        if (cyc < sizeof cyc_ticks / sizeof cyc_ticks[0]) cyc_ticks[cyc] = prof_acc;
    }
    double t = cpu_now() - t0;
    if (section) {
        uint64_t nc = cyc < sizeof cyc_ticks / sizeof cyc_ticks[0] ? cyc : sizeof cyc_ticks / sizeof cyc_ticks[0];
        qsort(cyc_ticks, nc, sizeof cyc_ticks[0], cmp_u64);
        *section = nc ? (double)cyc_ticks[nc / 2] * prof_ns_per_tick * 1e-9 * (double)cyc : 0.0;
    }
    return t;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* One measured configuration: N strips, full or plain, SIMD or scalar;
 * zero: the 0-strip mixer of the same setting; a/d: per round, the strip
 * section and the whole-mixer difference, seconds per channel-sample. */
typedef struct {
    int n, full, simd;
    rig_t r, *zero;
    double a[64], d[64];
} cfg_t;

/* One round for a configuration: a 0-strip run, then an N-strip run. */
static void cfg_round(cfg_t *c, int k)
{
    uint64_t frames = (uint64_t)(seconds * RATE);
    double den = (double)frames * c->n, sec;
    double tz = rig_run(c->zero, frames, NULL), tn = rig_run(&c->r, frames, &sec);
    c->a[k] = sec / den;
    c->d[k] = (tn - tz) / den;
}

/* Whole mixer, CPU seconds per frame (median). */
static double whole(int n, int full, int simd)
{
    rig_t r;
    rig_make(&r, n, full, simd);
    uint64_t frames = (uint64_t)(seconds * RATE);
    rig_run(&r, RATE / 10, NULL);
    double t[64];
    for (int k = 0; k < runs; k++) t[k] = rig_run(&r, frames, NULL) / (double)frames;
    rig_free(&r);
    return median(t, runs);
}

int main(int argc, char **argv)
{
    int list[8] = {8, 64, 256}, nl = 3, render_only = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--quick")) runs = 3, seconds = 0.5;
        else if (!strcmp(argv[i], "--render-only")) nl = 0, render_only = 1; /* to profile it */
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
            const char *o = argv[++i];
            only_full = !!strstr(o, "full");
            only_simd = !strstr(o, "scalar");
        }
        else if (!strcmp(argv[i], "--strips") && i + 1 < argc) {
            nl = 0;
            for (char *t = strtok(argv[++i], ","); t && nl < 8; t = strtok(NULL, ",")) list[nl++] = atoi(t);
        } else {
            fprintf(stderr, "usage: bench_dsp [--runs N] [--seconds S] [--strips 8,64,256] [--quick] [--only full|plain,simd|scalar] [--render-only]\n");
            return 1;
        }
    }
    if (runs < 1) runs = 1;
    if (runs > 64) runs = 64;
    jm_rt_set_ftz_daz(); /* as the JACK thread does */
    prof_calibrate();
    rig_t r0;
    rig_make(&r0, 8, 1, 1);
    printf("bench_dsp: %d Hz, %d frames per cycle, noise -12 dBFS, median of %d runs of %.1f s; "
           "SIMD kernel: %s\n", RATE, FRAMES, runs, seconds, jm_mixer_simd(r0.m));
    rig_free(&r0);
    printf("ns per channel-sample of the strip section, median of %d runs "
           "[in brackets: whole mixer minus a 0-strip mixer]\n", runs);
    printf("%7s  %18s %18s  %18s %18s\n", "strips", "full SIMD", "full scalar", "plain SIMD",
           "plain scalar");
#define SKIP(full, simd) ((only_full >= 0 && (full) != only_full) || (only_simd >= 0 && (simd) != only_simd))
    /* Every configuration lives at once and the rounds go round all of
     * them, so a slow spell of a shared host spreads over all the figures
     * instead of spoiling one. */
    static rig_t zero[2][2];
    static cfg_t cfg[8 * 4];
    int nc = 0;
    for (int full = 0; full < 2; full++)
        for (int simd = 0; simd < 2; simd++)
            if (!SKIP(full, simd)) {
                rig_make(&zero[full][simd], 0, full, simd);
                rig_run(&zero[full][simd], RATE / 10, NULL);
            }
    for (int li = 0; li < nl; li++)
        for (int full = 1; full >= 0; full--)
            for (int simd = 1; simd >= 0; simd--) {
                if (SKIP(full, simd)) continue;
                cfg_t *c = &cfg[nc++];
                c->n = list[li], c->full = full, c->simd = simd, c->zero = &zero[full][simd];
                rig_make(&c->r, c->n, full, simd);
                rig_run(&c->r, RATE / 10, NULL); /* warm-up: caches, detectors settled */
            }
    for (int k = 0; k < runs; k++)
        for (int i = 0; i < nc; i++) cfg_round(&cfg[i], k);
    for (int li = 0, i = 0; li < nl; li++) {
        char cell[2][2][40];
        for (int full = 1; full >= 0; full--)
            for (int simd = 1; simd >= 0; simd--) {
                if (SKIP(full, simd)) {
                    snprintf(cell[full][simd], sizeof cell[0][0], "-");
                    continue;
                }
                cfg_t *c = &cfg[i++];
                snprintf(cell[full][simd], sizeof cell[0][0], "%.2f [%.2f]", median(c->a, runs) * 1e9,
                         median(c->d, runs) * 1e9);
                rig_free(&c->r);
            }
        printf("%7d  %18s %18s  %18s %18s\n", list[li], cell[1][1], cell[1][0], cell[0][1], cell[0][0]);
    }
    for (int full = 0; full < 2; full++)
        for (int simd = 0; simd < 2; simd++)
            if (!SKIP(full, simd)) rig_free(&zero[full][simd]);
    fflush(stdout);
    if (only_full >= 0) return 0;
    double f16 = whole(16, 1, 1), f16s = render_only ? 0.0 : whole(16, 1, 0);
    printf("render speed, 16 mono strips, full strip, whole mixer (buses, master, limiter): "
           "%.0fx real time SIMD", 1.0 / (f16 * RATE));
    if (!render_only) printf(", %.0fx scalar", 1.0 / (f16s * RATE));
    printf("\n");
    return 0;
}
