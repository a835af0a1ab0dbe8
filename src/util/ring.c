#include "jmixd/util/ring.h"

#include <stdlib.h>
#include <sys/mman.h>

/* Lock-free SPSC ring of stereo frames on C11 atomics (not jack_ringbuffer,
 * whose indices carry no memory barriers: fine on x86, not on ARM). The
 * producer publishes frames with a release store of head, the consumer
 * frees them with a release store of tail; each reads the other's index
 * with acquire. Capacity is a power of two. */

int jm_ring_init(jm_ring_t *q, size_t min_frames)
{
    size_t cap = 1024;
    while (cap < min_frames) cap <<= 1;
    q->buf = malloc(cap * 2 * sizeof(float));
    if (!q->buf) return -1;
    q->mask = cap - 1;
    atomic_init(&q->head, 0);
    atomic_init(&q->tail, 0);
    /* the audio thread must never page-fault on first touch: lock the pages
     * in memory, or at least touch every one of them now */
    if (mlock(q->buf, cap * 2 * sizeof(float)))
        for (size_t i = 0; i < cap * 2; i += 1024) ((volatile float *)q->buf)[i] = 0.0f;
    return 0;
}

void jm_ring_free(jm_ring_t *q)
{
    if (q->buf) munlock(q->buf, (q->mask + 1) * 2 * sizeof(float));
    free(q->buf);
}

/* Producer: interleave up to n frames; returns how many fitted. */
uint32_t jm_ring_write(jm_ring_t *q, const float *l, const float *r, uint32_t n)
{
    size_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
    size_t t = atomic_load_explicit(&q->tail, memory_order_acquire);
    size_t space = q->mask + 1 - (h - t);
    if (n > space) n = (uint32_t)space;
    for (uint32_t k = 0; k < n; k++) {
        size_t i = (h + k) & q->mask;
        q->buf[2 * i] = l[k];
        q->buf[2 * i + 1] = r[k];
    }
    atomic_store_explicit(&q->head, h + n, memory_order_release);
    return n;
}

/* Consumer: up to two contiguous runs of readable frames. Returns the
 * total; release them with jm_ring_release(total). */
size_t jm_ring_peek(jm_ring_t *q, const float *seg[2], size_t len[2])
{
    size_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
    size_t h = atomic_load_explicit(&q->head, memory_order_acquire);
    size_t avail = h - t, at = t & q->mask, first = q->mask + 1 - at;
    if (first > avail) first = avail;
    seg[0] = q->buf + 2 * at, len[0] = first;
    seg[1] = q->buf, len[1] = avail - first;
    return avail;
}

void jm_ring_release(jm_ring_t *q, size_t frames)
{
    atomic_fetch_add_explicit(&q->tail, frames, memory_order_release);
}

size_t jm_ring_used(jm_ring_t *q)
{
    return atomic_load_explicit(&q->head, memory_order_acquire) -
           atomic_load_explicit(&q->tail, memory_order_relaxed);
}


size_t jm_ring_discard(jm_ring_t *q)
{
    size_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
    size_t h = atomic_load_explicit(&q->head, memory_order_acquire);
    atomic_store_explicit(&q->tail, h, memory_order_release);
    return h - t;
}
