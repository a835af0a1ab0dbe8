/* How long each process cycle takes: a histogram the audio thread fills and
 * the control thread reads as the median, 99th percentile and maximum of
 * the last JM_CYCLE_WINDOW seconds (/stats; docs/performance.md).
 *
 * Buckets: 250 ns wide up to 64 us (where a cycle of a well-running console
 * lies), then 8 per octave up to 2^12 x 64 us (about 0.27 s), then one
 * bucket for anything longer. A reading is a bucket's upper edge: at most
 * 250 ns (or 9 %, above 64 us) over the true value.
 *
 * Threads: jm_cyclehist_add from the audio thread only (the one writer of
 * the counts; real-time safe: relaxed atomic loads and stores).
 * jm_cyclestats_* from the control thread only: it reads the counts and
 * takes the maximum once a second (atomic exchange; a cycle ending at that
 * instant can be left out of the maximum, never out of the counts). */
#ifndef JMIXD_CYCLEHIST_H
#define JMIXD_CYCLEHIST_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#define JM_CYCLE_LINEAR 256      /* buckets of 250 ns: 0..64 us */
#define JM_CYCLE_PER_OCTAVE 8
#define JM_CYCLE_OCTAVES 12
#define JM_CYCLE_BUCKETS (JM_CYCLE_LINEAR + JM_CYCLE_PER_OCTAVE * JM_CYCLE_OCTAVES + 1)
#define JM_CYCLE_WINDOW 10       /* seconds the published figures cover */

typedef struct {
    _Atomic uint32_t count[JM_CYCLE_BUCKETS]; /* cycles per bucket, wrapping */
    _Atomic uint32_t max_ns;                  /* longest since the control thread took it */
} jm_cyclehist_t;

/* The bucket of a duration in ns, and a bucket's upper edge in ns. */
int jm_cyclehist_bucket(uint32_t ns);
uint32_t jm_cyclehist_upper_ns(int bucket);

/* Audio thread: monotonic ns, wrapping at 2^32 (differences of two
 * readings less than 4 s apart are exact). clock_gettime is answered in
 * user space (the vDSO), no system call. */
static inline uint32_t jm_cyclehist_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
}

/* Audio thread: one cycle of `ns` nanoseconds. */
static inline void jm_cyclehist_add(jm_cyclehist_t *h, uint32_t ns)
{
    int b = jm_cyclehist_bucket(ns);
    uint32_t c = atomic_load_explicit(&h->count[b], memory_order_relaxed);
    atomic_store_explicit(&h->count[b], c + 1, memory_order_relaxed);
    if (ns > atomic_load_explicit(&h->max_ns, memory_order_relaxed))
        atomic_store_explicit(&h->max_ns, ns, memory_order_relaxed);
}

/* Control thread: one snapshot of the counts per second, kept for the
 * window. */
typedef struct {
    uint32_t snap[JM_CYCLE_WINDOW + 1][JM_CYCLE_BUCKETS];
    uint32_t max_ns[JM_CYCLE_WINDOW + 1]; /* the longest cycle of each second */
    int head, n;                          /* newest snapshot, snapshots held */
    double next;                          /* when the next one is due */
} jm_cyclestats_t;

void jm_cyclestats_init(jm_cyclestats_t *st);
/* Take a snapshot when one is due (call every control tick). The
 * histogram lives as long as the engine, across JACK clients. */
void jm_cyclestats_tick(jm_cyclestats_t *st, jm_cyclehist_t *h, double now);

typedef struct {
    uint32_t median_ns, p99_ns, max_ns; /* 0 when no cycle was timed */
    uint32_t cycles;                    /* cycles the figures cover */
} jm_cycle_figures_t;

/* The figures over the window: the snapshots' span plus the counts since
 * the newest one. */
void jm_cyclestats_read(const jm_cyclestats_t *st, const jm_cyclehist_t *h,
                        jm_cycle_figures_t *out);

#endif
