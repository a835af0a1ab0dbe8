/* A lock-free single-producer/single-consumer ring of frames of `ch`
 * channels, stored interleaved: the multitrack recorder's tap of every
 * strip input and the master (jm_ring_t is its stereo sibling).
 *
 * Threads: jm_mring_write from the producer (the audio thread: real-time
 * safe, no allocation, lock or system call); peek/release/used/discard from
 * the consumer; init/free by the owner while neither side runs. Indices
 * count frames and only grow. */
#ifndef JMIXD_MRING_H
#define JMIXD_MRING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    float *buf;                 /* cap * ch floats */
    size_t mask;                /* cap - 1 (cap: a power of two) */
    int ch;
    _Atomic size_t head;        /* frames written (producer) */
    char pad[64];
    _Atomic size_t tail;        /* frames read (consumer) */
} jm_mring_t;

/* ch >= 1 channels, at least min_frames of capacity, locked in memory when
 * allowed (else every page touched now). 0 or -1. */
int jm_mring_init(jm_mring_t *q, int ch, size_t min_frames);
void jm_mring_free(jm_mring_t *q);
/* Producer: n frames, channel c from src[c][0..n-1] (NULL: silence). All
 * or nothing, so
 * every channel keeps the same frames: returns n, or 0 when they do not
 * fit. */
uint32_t jm_mring_write(jm_mring_t *q, const float *const *src, uint32_t n);
/* Consumer: up to two contiguous runs of readable frames (interleaved);
 * returns the total. Release them with jm_mring_release. */
size_t jm_mring_peek(jm_mring_t *q, const float *seg[2], size_t len[2]);
void jm_mring_release(jm_mring_t *q, size_t frames);
size_t jm_mring_used(jm_mring_t *q);
/* Consumer: drop every readable frame; returns how many. */
size_t jm_mring_discard(jm_mring_t *q);

#endif
