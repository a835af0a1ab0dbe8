/* A growable text buffer: appends never fail loudly; the first allocation
 * failure (or passing the optional cap) sets `oom`, after which appends do
 * nothing and the caller reports it once, at the end.
 *
 * Threads: any thread except the audio thread (it allocates). A buffer
 * belongs to one thread at a time. */
#ifndef JMIXD_UTIL_TEXT_H
#define JMIXD_UTIL_TEXT_H

#include <stddef.h>

typedef struct {
    char *d;        /* NUL-terminated once anything was appended; NULL before */
    size_t n, cap;  /* bytes of text (without the NUL), bytes allocated */
    size_t max;     /* 0: no cap; else d never grows past max bytes (NUL included) */
    int oom;        /* set once an append failed; later appends do nothing */
} jm_text_t;

void jm_text_put(jm_text_t *b, const void *p, size_t n);
void jm_text_puts(jm_text_t *b, const char *s);
void jm_text_printf(jm_text_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text (malloc'd, "" when nothing was appended; the caller frees), or
 * NULL after a failed append. The buffer is left empty (max kept). */
char *jm_text_take(jm_text_t *b);
/* Frees the text; the buffer is left empty (max kept) and may be reused. */
void jm_text_free(jm_text_t *b);

#endif
