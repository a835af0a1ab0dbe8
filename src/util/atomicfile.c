/* Atomic file replacement (include/jmixd/util/atomicfile.h). */
#include "jmixd/util/atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Sets msg (when given), keeps errno; returns rc. */
__attribute__((format(printf, 4, 5)))
static int say(int rc, char *msg, size_t msglen, const char *fmt, ...)
{
    int saved = errno;
    if (msg && msglen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, msglen, fmt, ap);
        va_end(ap);
    }
    errno = saved;
    return rc;
}

/* The folder of path: "." when it has none, "/" for "/x". */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    size_t len = slash == path ? 1 : (size_t)(slash - path);
    char *d = malloc(len + 1);
    if (!d) return NULL;
    memcpy(d, path, len);
    d[len] = '\0';
    return d;
}

int jm_write_all(int fd, const void *buf, size_t len)
{
    const char *data = buf;
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = EIO;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Write, sync and close tmp (fd is closed in every case); 0 or -1. */
static int fill_tmp(int fd, const char *tmp, const char *data, size_t len, char *msg,
                    size_t msglen)
{
    const char *step = NULL;
    if (jm_write_all(fd, data, len) < 0) step = "write";
    else if (fsync(fd) < 0) step = "sync";
    if (step) {
        int saved = errno;
        close(fd);
        errno = saved;
        return say(-1, msg, msglen, "cannot %s '%s': %s", step, tmp, strerror(saved));
    }
    if (close(fd) < 0) return say(-1, msg, msglen, "cannot close '%s': %s", tmp, strerror(errno));
    return 0;
}

/* Everything up to the rename of tmp over path; 0, or -1 with tmp removed. */
static int replace(const char *path, const char *tmp, const char *data, size_t len, char *msg,
                   size_t msglen)
{
    struct stat st;
    int have_old = stat(path, &st) == 0;
    if (have_old && !S_ISREG(st.st_mode)) {
        errno = S_ISDIR(st.st_mode) ? EISDIR : EEXIST;
        return say(-1, msg, msglen, "exists and is not a regular file");
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd < 0) return say(-1, msg, msglen, "cannot create '%s': %s", tmp, strerror(errno));
    if (have_old) (void)fchmod(fd, st.st_mode & 07777); /* keep the old permissions */
    int rc = fill_tmp(fd, tmp, data, len, msg, msglen);
    if (rc == 0 && rename(tmp, path) < 0)
        rc = say(-1, msg, msglen, "cannot rename '%s' over it: %s", tmp, strerror(errno));
    if (rc < 0) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
    }
    return rc;
}

int jm_atomic_write(const char *path, const void *data, size_t len, char *msg, size_t msglen)
{
    if (msg && msglen) msg[0] = '\0';
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 5);
    char *dir = dir_of(path);
    int rc = -1, dfd = -1;
    if (!tmp || !dir) {
        errno = ENOMEM;
        say(-1, msg, msglen, "out of memory");
        goto out;
    }
    memcpy(tmp, path, pl);
    memcpy(tmp + pl, ".tmp", 5);
    /* the folder first: a failure here leaves everything untouched */
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        say(-1, msg, msglen, "cannot open the folder '%s': %s", dir, strerror(errno));
        goto out;
    }
    if (replace(path, tmp, data, len, msg, msglen) < 0) goto out;
    rc = 0;
    /* make the rename itself durable; some file systems cannot sync a folder */
    if (fsync(dfd) < 0 && errno != EINVAL && errno != ENOTSUP)
        rc = say(1, msg, msglen, "syncing the folder '%s' failed: %s", dir, strerror(errno));
out:
    if (dfd >= 0) {
        int saved = errno;
        close(dfd);
        errno = saved;
    }
    free(tmp);
    free(dir);
    return rc;
}
