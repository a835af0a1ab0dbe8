/* bench_rta: CPU cost of the 1/3-octave analyser (jmixd/dsp/rta.h), offline
 * (docs/performance.md, `make bench`).
 *
 *   bench_rta [--seconds S] [--runs N]
 *
 * 48 kHz stereo uniform white noise at -12 dBFS peak, fed in blocks of 256
 * frames (what the analysis thread reads from the tap ring) with a take
 * every 1600 frames (30 readings per second). Prints the audio seconds
 * analysed per CPU second (CLOCK_THREAD_CPUTIME_ID), median of the runs, and
 * the share of one core that a live stereo tap costs. */
#include "jmixd/dsp/rta.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RATE 48000
#define BLOCK 256

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    double seconds = 10.0;
    int runs = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--runs")) runs = atoi(argv[i + 1]);
    }
    if (seconds <= 0 || runs < 1 || runs > 99) {
        fprintf(stderr, "usage: bench_rta [--seconds S] [--runs N]\n");
        return 2;
    }
    static float l[RATE], r[RATE]; /* one second, cycled */
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < RATE; i++) {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        l[i] = 0.25f * ((float)(s >> 40) / 8388608.0f - 1.0f);
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        r[i] = 0.25f * ((float)(s >> 40) / 8388608.0f - 1.0f);
    }
    jm_rta_t *a = jm_rta_new(RATE);
    if (!a) return 1;
    double speed[99];
    float db[JM_RTA_BANDS];
    uint64_t total = (uint64_t)(seconds * RATE);
    for (int k = 0; k < runs; k++) {
        jm_rta_reset(a);
        double t0 = cpu_now();
        uint64_t done = 0, since = 0;
        while (done < total) {
            uint32_t off = (uint32_t)(done % RATE), m = BLOCK;
            if (off + m > RATE) m = RATE - off;
            jm_rta_process(a, l + off, r + off, m);
            done += m;
            since += m;
            if (since >= RATE / 30) {
                jm_rta_take(a, db);
                since = 0;
            }
        }
        double t = cpu_now() - t0;
        speed[k] = t > 0 ? (double)total / RATE / t : 0;
    }
    qsort(speed, (size_t)runs, sizeof speed[0], cmp);
    double med = speed[runs / 2];
    printf("bench_rta: 31-band 1/3-octave analyser, %d Hz stereo, %d runs of %.1f s: %.0f s of audio per CPU second"
           " (median; min %.0f, max %.0f); a live stereo tap costs %.3f %% of one core\n",
           RATE, runs, seconds, med, speed[0], speed[runs - 1], med > 0 ? 100.0 / med : 0);
    jm_rta_free(a);
    return 0;
}
