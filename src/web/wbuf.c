/* A capped, growable text buffer for HTTP bodies and WebSocket frames. */
#include "web_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jm_wbuf_put(jm_wbuf_t *b, const void *p, size_t n)
{
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->n + n + 1) cap *= 2;
        if (b->max && cap > b->max) cap = b->max;
        char *d = cap >= b->n + n + 1 ? realloc(b->d, cap) : NULL;
        if (!d) {
            b->oom = 1;
            return;
        }
        b->d = d;
        b->cap = cap;
    }
    memcpy(b->d + b->n, p, n);
    b->n += n;
    b->d[b->n] = '\0';
}

void jm_wbuf_puts(jm_wbuf_t *b, const char *s) { jm_wbuf_put(b, s, strlen(s)); }

void jm_wbuf_printf(jm_wbuf_t *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) {
        jm_wbuf_put(b, tmp, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    jm_wbuf_put(b, big, (size_t)n);
    free(big);
}

void jm_wbuf_json_str(jm_wbuf_t *b, const char *s)
{
    jm_wbuf_put(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            jm_wbuf_put(b, e, 2);
        } else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&') {
            jm_wbuf_printf(b, "\\u%04x", *p);
        } else {
            jm_wbuf_put(b, p, 1);
        }
    }
    jm_wbuf_put(b, "\"", 1);
}

void jm_wbuf_json_num(jm_wbuf_t *b, double v)
{
    if (!isfinite(v)) jm_wbuf_puts(b, "null");
    else jm_wbuf_printf(b, "%.9g", v);
}

void jm_wbuf_free(jm_wbuf_t *b)
{
    free(b->d);
    *b = (jm_wbuf_t){.max = b->max};
}
