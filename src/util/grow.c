#include "jmixd/util/grow.h"

#include <limits.h>
#include <stdlib.h>

void *jm_grow(void *buf, int *cap, int need, size_t elem, int first)
{
    if (buf && need <= *cap) return buf;
    if (need < 1) need = 1; /* never NULL for success, even for no elements */
    int c = *cap > 0 ? *cap : first > 0 ? first : 1;
    while (c < need) {
        if (c > INT_MAX / 2) return NULL;
        c *= 2;
    }
    void *p = realloc(buf, (size_t)c * elem);
    if (p) *cap = c;
    return p;
}
