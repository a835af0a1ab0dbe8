/* SPSC ring of fixed-size messages on C11 atomics: the producer publishes a
 * slot with a release store of head, the consumer frees it with a release
 * store of tail; each side reads the other's index with acquire. */
#include "jmixd/util/queue.h"

#include <stdlib.h>
#include <string.h>

int jm_queue_init(jm_queue_t *q, size_t elem_size, size_t capacity)
{
    size_t cap = 2;
    while (cap < capacity) cap <<= 1;
    memset(q, 0, sizeof *q);
    q->buf = calloc(cap, elem_size);
    if (!q->buf) return -1;
    q->mask = cap - 1;
    q->elem = elem_size;
    return 0;
}

void jm_queue_free(jm_queue_t *q)
{
    free(q->buf);
    q->buf = NULL;
}

void jm_queue_reset(jm_queue_t *q)
{
    atomic_store(&q->head, 0);
    atomic_store(&q->tail, 0);
}

bool jm_queue_push(jm_queue_t *q, const void *msg)
{
    size_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
    size_t t = atomic_load_explicit(&q->tail, memory_order_acquire);
    if (h - t > q->mask) {
        atomic_fetch_add_explicit(&q->dropped, 1, memory_order_relaxed);
        return false;
    }
    memcpy(q->buf + (h & q->mask) * q->elem, msg, q->elem);
    atomic_store_explicit(&q->head, h + 1, memory_order_release);
    return true;
}

bool jm_queue_pop(jm_queue_t *q, void *msg)
{
    size_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
    size_t h = atomic_load_explicit(&q->head, memory_order_acquire);
    if (t == h) return false;
    memcpy(msg, q->buf + (t & q->mask) * q->elem, q->elem);
    atomic_store_explicit(&q->tail, t + 1, memory_order_release);
    return true;
}
