/* Growable text buffer and atomic file write for the layout writers. */
#include "layout_int.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int reserve(jm_lbuf_t *b, size_t extra)
{
    if (b->oom) return -1;
    if (b->n + extra + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + extra + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void jm_lbuf_puts(jm_lbuf_t *b, const char *s)
{
    size_t len = strlen(s);
    if (reserve(b, len)) return;
    memcpy(b->p + b->n, s, len + 1);
    b->n += len;
}

void jm_lbuf_printf(jm_lbuf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0 || reserve(b, (size_t)len)) return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)len + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)len;
}

char *jm_lbuf_take(jm_lbuf_t *b)
{
    if (b->oom || reserve(b, 0)) {
        free(b->p);
        *b = (jm_lbuf_t){0};
        return NULL;
    }
    char *p = b->p;
    *b = (jm_lbuf_t){0};
    return p;
}

const char *jm_lnum(char out[32], double v)
{
    if (v == 0.0 || v != v) v = 0.0; /* no "-0", no "nan" */
    if (fabs(v) < 1e9 && v == floor(v)) {
        snprintf(out, 32, "%.0f", v);
        return out;
    }
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(out, 32, "%.*g", prec, v);
        if ((float)strtod(out, NULL) == (float)v) break;
    }
    if (strchr(out, 'e')) { /* plain decimals only: 0.000012 rather than 1.2e-05 */
        char fixed[32];
        snprintf(fixed, sizeof fixed, "%.9f", v);
        char *end = fixed + strlen(fixed) - 1;
        while (end > fixed && *end == '0') *end-- = '\0';
        if (*end == '.') *end = '\0';
        memcpy(out, fixed, strlen(fixed) + 1);
    }
    return out;
}

int jm_lwrite_file(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int bad = fwrite(data, 1, len, f) != len;
    bad |= fflush(f) != 0;
    bad |= fsync(fileno(f)) != 0 && errno != EINVAL;
    int e = errno;
    bad |= fclose(f) != 0;
    if (!bad && rename(tmp, path) != 0) {
        e = errno;
        bad = 1;
    }
    if (bad) {
        unlink(tmp);
        snprintf(err, errlen, "%s: %s", path, strerror(e ? e : EIO));
        return -1;
    }
    return 0;
}
