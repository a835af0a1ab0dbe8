/* State file: load, serialize, atomic write, and the disk thread that
 * writes it. The control thread hands text over through one atomic pointer
 * (latest wins), so it never waits for the disk. */
#include "jmixd/state.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STATE_MAGIC "# jmixd state 1"

int jm_state_load(const char *path, const jm_paramset_t *ps, float *values, const jm_log_t *log)
{
    FILE *f = fopen(path, "r");
    if (!f) return errno == ENOENT ? 0 : -1;
    char line[512];
    int applied = 0, lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n') continue;
        char p[JM_PATH_MAX + 1];
        float v;
        if (sscanf(line, "%96s %f", p, &v) != 2 || !isfinite(v)) {
            jm_log(log, JM_LOG_WARN, "%s:%d: unreadable state line skipped", path, lineno);
            continue;
        }
        int i = jm_params_find(ps, p);
        if (i < 0) {
            jm_log(log, JM_LOG_WARN, "%s:%d: no parameter %s in this session", path, lineno, p);
            continue;
        }
        values[i] = jm_param_clamp(ps->p[i].def, v);
        applied++;
    }
    fclose(f);
    return applied;
}

char *jm_state_serialize(const jm_paramset_t *ps, const float *values)
{
    size_t cap = 64 + ps->n * (JM_PATH_MAX + 24), len = 0;
    char *t = malloc(cap);
    if (!t) return NULL;
    len += (size_t)snprintf(t, cap, "%s\n", STATE_MAGIC);
    for (size_t i = 0; i < ps->n && len < cap; i++)
        len += (size_t)snprintf(t + len, cap - len, "%s %.9g\n", ps->p[i].name_path, values[i]);
    return t;
}

int jm_state_write_atomic(const char *path, const char *text)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            goto fail;
        }
        off += (size_t)w;
    }
    if (fsync(fd)) goto fail;
    if (close(fd)) { fd = -1; goto fail; }
    fd = -1;
    if (rename(tmp, path)) goto fail;
    /* make the rename itself durable */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) { fsync(dfd); close(dfd); }
    return 0;
fail: {
        int saved = errno;
        if (fd >= 0) close(fd);
        unlink(tmp);
        errno = saved;
        return -1;
    }
}

struct jm_state_writer {
    char path[4096];
    const jm_log_t *log;
    pthread_t thread;
    _Atomic(char *) pending;
    atomic_bool stop;
    int failing;
};

static void write_pending(jm_state_writer_t *w)
{
    char *text = atomic_exchange(&w->pending, NULL);
    if (!text) return;
    if (jm_state_write_atomic(w->path, text)) {
        if (!w->failing)
            jm_log(w->log, JM_LOG_ERROR, "cannot save state to %s: %s (old state kept)", w->path,
                   strerror(errno));
        w->failing = 1;
    } else {
        if (w->failing) jm_log(w->log, JM_LOG_INFO, "state saved to %s again", w->path);
        w->failing = 0;
    }
    free(text);
}

static void *writer_main(void *arg)
{
    jm_state_writer_t *w = arg;
    struct timespec ts = {0, 20 * 1000 * 1000};
    while (!atomic_load(&w->stop)) {
        write_pending(w);
        nanosleep(&ts, NULL);
    }
    write_pending(w);
    return NULL;
}

jm_state_writer_t *jm_state_writer_start(const char *path, const jm_log_t *log)
{
    jm_state_writer_t *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    snprintf(w->path, sizeof w->path, "%s", path);
    w->log = log;
    if (pthread_create(&w->thread, NULL, writer_main, w)) {
        free(w);
        return NULL;
    }
    return w;
}

void jm_state_writer_submit(jm_state_writer_t *w, char *text)
{
    free(atomic_exchange(&w->pending, text));
}

void jm_state_writer_stop(jm_state_writer_t *w)
{
    if (!w) return;
    atomic_store(&w->stop, true);
    pthread_join(w->thread, NULL);
    free(w);
}
