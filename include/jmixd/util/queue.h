/* Lock-free single-producer/single-consumer queue of fixed-size messages.
 *
 * Threads: exactly one producer thread may call jm_queue_push, exactly one
 * consumer thread jm_queue_pop; both are wait-free and real-time safe (no
 * allocation, lock or system call). init/free belong to the owner, while
 * neither side runs. */
#ifndef JMIXD_QUEUE_H
#define JMIXD_QUEUE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    _Atomic size_t head;      /* next slot to write; written by the producer */
    char pad0[64 - sizeof(size_t)];
    _Atomic size_t tail;      /* next slot to read; written by the consumer */
    char pad1[64 - sizeof(size_t)];
    _Atomic uint64_t dropped; /* pushes refused because the queue was full */
    size_t mask;              /* capacity - 1 (capacity is a power of two) */
    size_t elem;              /* message size in bytes */
    unsigned char *buf;
} jm_queue_t;

/* Owner: capacity is rounded up to a power of two. Returns 0 or -1. */
int jm_queue_init(jm_queue_t *q, size_t elem_size, size_t capacity);
void jm_queue_free(jm_queue_t *q);
/* Owner, while neither side runs: forget every queued message. */
void jm_queue_reset(jm_queue_t *q);

/* Producer: false (and dropped++) when full. */
bool jm_queue_push(jm_queue_t *q, const void *msg);
/* Consumer: false when empty. */
bool jm_queue_pop(jm_queue_t *q, void *msg);

#endif
