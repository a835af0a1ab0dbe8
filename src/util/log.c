#include "jmixd/util/log.h"

#include <stdarg.h>
#include <stdio.h>

void jm_log(const jm_log_t *lg, int level, const char *fmt, ...)
{
    static const char *const tag[] = {"error", "warning", "info", "debug"};
    if (lg && level > lg->level) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* one write per line so lines from threads never interleave */
    fprintf(stderr, "jmixd: %s: %s\n", tag[level < 0 ? 0 : level > 3 ? 3 : level], line);
}
