/* Internals shared by the layout writers: a growable text buffer and an
 * atomic file write. Threads: as layout.h (calling thread only). */
#ifndef JMIXD_LAYOUT_INT_H
#define JMIXD_LAYOUT_INT_H

#include <stddef.h>

typedef struct {
    char *p;
    size_t n, cap;
    int oom;        /* set once an allocation failed; later appends do nothing */
} jm_lbuf_t;

void jm_lbuf_puts(jm_lbuf_t *b, const char *s);
void jm_lbuf_printf(jm_lbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text (caller frees), or NULL after an allocation failure. */
char *jm_lbuf_take(jm_lbuf_t *b);

/* Shortest decimal form of v ("0.75", "1", "-23.5") into out. */
const char *jm_lnum(char out[32], double v);

/* Write data to path through path.tmp + rename. 0, or -1 with err. */
int jm_lwrite_file(const char *path, const void *data, size_t len, char *err, size_t errlen);

#endif
