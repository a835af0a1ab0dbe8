/* Cycle-time histogram (see include/jmixd/util/cyclehist.h). */
#include "jmixd/util/cyclehist.h"

#include <string.h>

#define LINEAR_NS 250u
#define LINEAR_TOP (JM_CYCLE_LINEAR * LINEAR_NS) /* 64 us */

int jm_cyclehist_bucket(uint32_t ns)
{
    if (ns < LINEAR_TOP) return (int)(ns / LINEAR_NS);
    /* octave o above 64 us, then 8 steps within it (the 3 bits below the top one) */
    uint32_t q = ns / (LINEAR_TOP >> 3); /* >= 8 */
    int top = 31 - __builtin_clz(q);      /* >= 3 */
    int o = top - 3;
    if (o >= JM_CYCLE_OCTAVES) return JM_CYCLE_BUCKETS - 1;
    int step = (int)((q >> (top - 3)) & 7u);
    return JM_CYCLE_LINEAR + o * JM_CYCLE_PER_OCTAVE + step;
}

uint32_t jm_cyclehist_upper_ns(int b)
{
    if (b < JM_CYCLE_LINEAR) return (uint32_t)(b + 1) * LINEAR_NS;
    if (b >= JM_CYCLE_BUCKETS - 1) return UINT32_MAX;
    int o = (b - JM_CYCLE_LINEAR) / JM_CYCLE_PER_OCTAVE;
    int step = (b - JM_CYCLE_LINEAR) % JM_CYCLE_PER_OCTAVE;
    /* [ (8 + step) << o, (9 + step) << o ) in units of 8 us */
    return (uint32_t)((9u + (uint32_t)step) << o) * (LINEAR_TOP >> 3);
}

void jm_cyclestats_init(jm_cyclestats_t *st)
{
    memset(st, 0, sizeof *st);
}

static void take(jm_cyclestats_t *st, jm_cyclehist_t *h, int slot)
{
    for (int b = 0; b < JM_CYCLE_BUCKETS; b++)
        st->snap[slot][b] = atomic_load_explicit(&h->count[b], memory_order_relaxed);
    st->max_ns[slot] = atomic_exchange_explicit(&h->max_ns, 0, memory_order_relaxed);
}

void jm_cyclestats_tick(jm_cyclestats_t *st, jm_cyclehist_t *h, double now)
{
    if (st->n && now < st->next) return;
    st->head = st->n ? (st->head + 1) % (JM_CYCLE_WINDOW + 1) : 0;
    take(st, h, st->head);
    if (st->n < JM_CYCLE_WINDOW + 1) st->n++;
    st->next = now + 1.0;
}

void jm_cyclestats_read(const jm_cyclestats_t *st, const jm_cyclehist_t *h,
                        jm_cycle_figures_t *out)
{
    memset(out, 0, sizeof *out);
    if (!st->n) return;
    /* the oldest snapshot is the window's base; counts wrap mod 2^32 */
    int oldest = (st->head + JM_CYCLE_WINDOW + 2 - st->n) % (JM_CYCLE_WINDOW + 1);
    uint32_t d[JM_CYCLE_BUCKETS];
    uint32_t total = 0;
    for (int b = 0; b < JM_CYCLE_BUCKETS; b++) {
        d[b] = atomic_load_explicit(&h->count[b], memory_order_relaxed) - st->snap[oldest][b];
        total += d[b];
    }
    out->cycles = total;
    if (!total) return;
    uint32_t max = atomic_load_explicit(&h->max_ns, memory_order_relaxed);
    /* the oldest slot's maximum belongs to the second before the window */
    for (int k = 1; k < st->n; k++) {
        int slot = (oldest + k) % (JM_CYCLE_WINDOW + 1);
        if (st->max_ns[slot] > max) max = st->max_ns[slot];
    }
    out->max_ns = max;
    uint64_t want50 = ((uint64_t)total + 1) / 2, want99 = ((uint64_t)total * 99 + 99) / 100;
    uint64_t run = 0;
    for (int b = 0; b < JM_CYCLE_BUCKETS; b++) {
        run += d[b];
        if (!out->median_ns && run >= want50) out->median_ns = jm_cyclehist_upper_ns(b);
        if (run >= want99) {
            out->p99_ns = jm_cyclehist_upper_ns(b);
            break;
        }
    }
    /* an edge above the longest cycle seen says more than it is */
    if (max && out->median_ns > max) out->median_ns = max;
    if (max && out->p99_ns > max) out->p99_ns = max;
}
