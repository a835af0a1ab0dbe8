/* Logging to stderr (journald under systemd), one line per event.
 *
 * Threads: any thread except the audio thread. A jm_log_t is configured
 * once at start and then only read. */
#ifndef JMIXD_LOG_H
#define JMIXD_LOG_H

enum { JM_LOG_ERROR = 0, JM_LOG_WARN = 1, JM_LOG_INFO = 2, JM_LOG_DEBUG = 3 };

typedef struct {
    int level; /* messages above this level are dropped */
} jm_log_t;

void jm_log(const jm_log_t *lg, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
