/* The growable text buffer (include/jmixd/util/text.h). */
#include "jmixd/util/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for `extra` more bytes and the NUL; 0, or -1 with oom set. */
static int reserve(jm_text_t *b, size_t extra)
{
    if (b->oom) return -1;
    if (b->d && b->n + extra + 1 <= b->cap) return 0;
    size_t need = b->n + extra + 1, cap = b->cap ? b->cap : 1024;
    while (cap < need) cap *= 2;
    if (b->max && cap > b->max) cap = b->max;
    char *d = cap >= need ? realloc(b->d, cap) : NULL;
    if (!d) {
        b->oom = 1;
        return -1;
    }
    if (!b->d) d[0] = '\0';
    b->d = d;
    b->cap = cap;
    return 0;
}

void jm_text_put(jm_text_t *b, const void *p, size_t n)
{
    if (reserve(b, n)) return;
    memcpy(b->d + b->n, p, n);
    b->n += n;
    b->d[b->n] = '\0';
}

void jm_text_puts(jm_text_t *b, const char *s) { jm_text_put(b, s, strlen(s)); }

void jm_text_printf(jm_text_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || reserve(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->d + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

char *jm_text_take(jm_text_t *b)
{
    char *d = NULL;
    if (!reserve(b, 0)) {
        d = b->d;
        b->d = NULL;
    }
    jm_text_free(b);
    return d;
}

void jm_text_free(jm_text_t *b)
{
    free(b->d);
    *b = (jm_text_t){.max = b->max};
}
