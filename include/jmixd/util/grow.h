/* Growable arrays: one rule for making room, so every owner doubles the
 * same way and fails the same way.
 *
 * Threads: any thread except the audio thread (it allocates). */
#ifndef JMIXD_UTIL_GROW_H
#define JMIXD_UTIL_GROW_H

#include <stddef.h>

/* buf holds *cap elements of elem bytes (NULL and 0 when empty). Returns a
 * buffer (never NULL on success, even for need 0) holding at least need
 * elements, capacity doubled from *cap (or from first when empty), updating
 * *cap; or NULL when memory runs out, buf and *cap untouched. */
void *jm_grow(void *buf, int *cap, int need, size_t elem, int first);

#endif
