/* bench_dsp: CPU cost of the strips, offline, on the same jm_mixer_process
 * the daemon runs (SPEC 9, `make bench`).
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
 * CLOCK_MONOTONIC; elsewhere CLOCK_MONOTONIC). ns per channel-sample = that
 * time / (N x frames). A run is --seconds of audio (after 0.1 s of warm-up);
 * the figure is the median over --runs runs. Alongside, from the same runs:
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

#include "jmixd/mixer.h"
#include "jmixd/params.h"
#include "jmixd/rt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000
#define FRAMES 64
#define TABLE 1024 /* noise frames per strip, cycled */

static int runs = 7;
static double seconds = 2.0;
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

/* CPU seconds to process `frames` frames; *section: seconds in the strips. */
static double rig_run(rig_t *r, uint64_t frames, double *section)
{
    prof_acc = 0;
    static const float *in[2 * JM_MAX_STRIPS];
    static float ol[FRAMES], or_[FRAMES];
    uint64_t cyc = 0;
    double t0 = cpu_now();
    for (uint64_t done = 0; done < frames; done += FRAMES, cyc++) {
        size_t off = (size_t)(cyc * FRAMES % TABLE);
        for (int i = 0; i < r->n; i++) in[2 * i] = r->table + (size_t)i * TABLE + off;
        jm_mixer_process(r->m, in, ol, or_, FRAMES, NULL);
    }
    if (section) *section = (double)prof_acc * prof_ns_per_tick * 1e-9;
    return cpu_now() - t0;
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

/* Strips' seconds per channel-sample, medians over the runs: *sect of the
 * strip section timed inside the mixer, *diff of the whole mixer's CPU time
 * with N strips minus that with 0 strips (runs alternate, so both see the
 * same machine speed, which drifts on a shared host). */
static void strips_cost(int n, int full, int simd, double *sect, double *diff)
{
    rig_t r, z;
    rig_make(&r, n, full, simd);
    rig_make(&z, 0, full, simd);
    uint64_t frames = (uint64_t)(seconds * RATE);
    rig_run(&r, RATE / 10, NULL); /* warm-up: caches, detectors settled */
    rig_run(&z, RATE / 10, NULL);
    double a[64], d[64], den = (double)frames * n;
    for (int k = 0; k < runs; k++) {
        double sec, tz = rig_run(&z, frames, NULL), tn = rig_run(&r, frames, &sec);
        a[k] = sec / den;
        d[k] = (tn - tz) / den;
    }
    rig_free(&r);
    rig_free(&z);
    *sect = median(a, runs);
    *diff = median(d, runs);
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
    int list[8] = {8, 64, 256}, nl = 3;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--quick")) runs = 3, seconds = 0.5;
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
            const char *o = argv[++i];
            only_full = !!strstr(o, "full");
            only_simd = !strstr(o, "scalar");
        }
        else if (!strcmp(argv[i], "--strips") && i + 1 < argc) {
            nl = 0;
            for (char *t = strtok(argv[++i], ","); t && nl < 8; t = strtok(NULL, ",")) list[nl++] = atoi(t);
        } else {
            fprintf(stderr, "usage: bench_dsp [--runs N] [--seconds S] [--strips 8,64,256] [--quick] [--only full|plain,simd|scalar]\n");
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
    for (int li = 0; li < nl; li++) {
        int n = list[li];
        char cell[2][2][40];
        for (int full = 1; full >= 0; full--)
            for (int simd = 1; simd >= 0; simd--) {
                double a = 0, d = 0;
                if (SKIP(full, simd)) {
                    snprintf(cell[full][simd], sizeof cell[0][0], "-");
                    continue;
                }
                strips_cost(n, full, simd, &a, &d);
                snprintf(cell[full][simd], sizeof cell[0][0], "%.2f [%.2f]", a * 1e9, d * 1e9);
            }
        printf("%7d  %18s %18s  %18s %18s\n", n, cell[1][1], cell[1][0], cell[0][1], cell[0][0]);
        fflush(stdout);
    }
    if (only_full >= 0) return 0;
    double f16 = whole(16, 1, 1), f16s = whole(16, 1, 0);
    printf("render speed, 16 mono strips, full strip, whole mixer (buses, master, limiter): "
           "%.0fx real time SIMD, %.0fx scalar\n", 1.0 / (f16 * RATE), 1.0 / (f16s * RATE));
    return 0;
}
