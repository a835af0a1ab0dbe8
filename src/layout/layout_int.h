/* Internals shared by the layout writers: numbers and the atomic file
 * write (text goes through jm_text_t, jmixd/util/text.h).
 * Threads: as layout.h (calling thread only). */
#ifndef JMIXD_LAYOUT_INT_H
#define JMIXD_LAYOUT_INT_H

#include "jmixd/util/text.h"

#include <stddef.h>

/* Shortest decimal form of v ("0.75", "1", "-23.5") into out. */
const char *jm_lnum(char out[32], double v);

/* Write data to path atomically (jmixd/util/atomicfile.h). 0, or -1 with
 * err "PATH: reason". */
int jm_lwrite_file(const char *path, const void *data, size_t len, char *err, size_t errlen);

#endif
