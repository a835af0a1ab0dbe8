#include "jmixd/util/mring.h"

#include <stdlib.h>
#include <sys/mman.h>

/* As jm_ring (src/util/ring.c): C11 atomics, release stores of the own
 * index, acquire loads of the other's. */

int jm_mring_init(jm_mring_t *q, int ch, size_t min_frames)
{
    if (ch < 1) return -1;
    size_t cap = 1024;
    while (cap < min_frames) cap <<= 1;
    q->buf = malloc(cap * (size_t)ch * sizeof(float));
    if (!q->buf) return -1;
    q->mask = cap - 1;
    q->ch = ch;
    atomic_init(&q->head, 0);
    atomic_init(&q->tail, 0);
    /* the audio thread must never page-fault on first touch */
    if (mlock(q->buf, cap * (size_t)ch * sizeof(float)))
        for (size_t i = 0; i < cap * (size_t)ch; i += 1024) ((volatile float *)q->buf)[i] = 0.0f;
    return 0;
}

void jm_mring_free(jm_mring_t *q)
{
    if (q->buf) munlock(q->buf, (q->mask + 1) * (size_t)q->ch * sizeof(float));
    free(q->buf);
    q->buf = NULL;
}

uint32_t jm_mring_write(jm_mring_t *q, const float *const *src, uint32_t n)
{
    size_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
    size_t t = atomic_load_explicit(&q->tail, memory_order_acquire);
    if (n > q->mask + 1 - (h - t)) return 0;
    const size_t ch = (size_t)q->ch;
    /* frame by frame within runs that do not wrap */
    for (uint32_t k = 0; k < n;) {
        size_t at = (h + k) & q->mask, run = q->mask + 1 - at;
        if (run > n - k) run = n - k;
        for (size_t c = 0; c < ch; c++) {
            float *d = q->buf + at * ch + c;
            if (!src[c]) {
                for (size_t i = 0; i < run; i++) d[i * ch] = 0.0f;
                continue;
            }
            const float *s = src[c] + k;
            for (size_t i = 0; i < run; i++) d[i * ch] = s[i];
        }
        k += (uint32_t)run;
    }
    atomic_store_explicit(&q->head, h + n, memory_order_release);
    return n;
}

size_t jm_mring_peek(jm_mring_t *q, const float *seg[2], size_t len[2])
{
    size_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
    size_t h = atomic_load_explicit(&q->head, memory_order_acquire);
    size_t avail = h - t, at = t & q->mask, first = q->mask + 1 - at;
    if (first > avail) first = avail;
    seg[0] = q->buf + at * (size_t)q->ch, len[0] = first;
    seg[1] = q->buf, len[1] = avail - first;
    return avail;
}

void jm_mring_release(jm_mring_t *q, size_t frames)
{
    atomic_fetch_add_explicit(&q->tail, frames, memory_order_release);
}

size_t jm_mring_used(jm_mring_t *q)
{
    return atomic_load_explicit(&q->head, memory_order_acquire) -
           atomic_load_explicit(&q->tail, memory_order_relaxed);
}

size_t jm_mring_discard(jm_mring_t *q)
{
    size_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
    size_t h = atomic_load_explicit(&q->head, memory_order_acquire);
    atomic_store_explicit(&q->tail, h, memory_order_release);
    return h - t;
}
