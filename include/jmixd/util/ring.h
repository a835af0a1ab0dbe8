/* A lock-free single-producer/single-consumer ring of stereo frames, for
 * taps of the master (recorder, loudness meter).
 *
 * Threads: jm_ring_write from the producer (the audio thread: real-time
 * safe); jm_ring_peek/release/used/discard from the consumer; init/free by
 * the owner while neither side runs. Indices count frames and only grow;
 * their difference stays right across the wrap of size_t. */
#ifndef JMIXD_RING_H
#define JMIXD_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    float *buf;                 /* 2 * cap floats, interleaved L/R */
    size_t mask;                /* cap - 1 */
    _Atomic size_t head;        /* frames written (producer) */
    char pad[64];
    _Atomic size_t tail;        /* frames read (consumer) */
} jm_ring_t;

/* At least min_frames of capacity, locked in memory. 0 or -1. */
int jm_ring_init(jm_ring_t *q, size_t min_frames);
void jm_ring_free(jm_ring_t *q);
/* Producer: interleave up to n frames; returns how many fitted. */
uint32_t jm_ring_write(jm_ring_t *q, const float *l, const float *r, uint32_t n);
/* Consumer: up to two contiguous runs of readable frames; returns the
 * total. Release them with jm_ring_release. */
size_t jm_ring_peek(jm_ring_t *q, const float *seg[2], size_t len[2]);
void jm_ring_release(jm_ring_t *q, size_t frames);
size_t jm_ring_used(jm_ring_t *q);
/* Consumer: drop every readable frame (what a late producer left behind);
 * returns how many. */
size_t jm_ring_discard(jm_ring_t *q);

#endif
