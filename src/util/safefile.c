/* Controller-given file names (include/jmixd/util/safefile.h). */
#include "jmixd/util/safefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static int refuse(char *why, size_t whylen, const char *text)
{
    if (why && whylen) snprintf(why, whylen, "%s", text);
    return -1;
}

int jm_safe_name_check(const char *name, size_t max, char *why, size_t whylen)
{
    if (max > JM_SAFE_NAME_MAX) max = JM_SAFE_NAME_MAX;
    if (!name || !*name) return refuse(why, whylen, "the name is empty");
    size_t n = strlen(name);
    if (n > max) {
        if (why && whylen) snprintf(why, whylen, "the name is longer than %zu bytes", max);
        return -1;
    }
    if (name[0] == '.') return refuse(why, whylen, "the name must not start with '.'");
    if (strstr(name, "..")) return refuse(why, whylen, "the name must not contain '..'");
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p == '/') return refuse(why, whylen, "a file name, not a path: no '/'");
        if (*p == '\\') return refuse(why, whylen, "the name must not contain '\\'");
        if (*p < 0x20 || *p == 0x7f)
            return refuse(why, whylen, "the name must not contain control characters");
    }
    return 0;
}

int jm_safe_mkdirs(const char *dir, mode_t mode)
{
    size_t n = strlen(dir);
    if (n == 0) {
        errno = ENOENT;
        return -1;
    }
    char *p = malloc(n + 1);
    if (!p) return -1;
    memcpy(p, dir, n + 1);
    int rc = 0;
    /* every prefix ending before a '/', then the whole */
    for (size_t i = 1; i <= n && rc == 0; i++) {
        if (i < n && p[i] != '/') continue;
        char keep = p[i];
        p[i] = '\0';
        struct stat st;
        if (mkdir(p, mode) < 0 && errno != EEXIST) rc = -1;
        else if (stat(p, &st) < 0) rc = -1;
        else if (!S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            rc = -1;
        }
        p[i] = keep;
    }
    int saved = errno;
    free(p);
    errno = saved;
    return rc;
}

int jm_safe_create(const char *dir, const char *name, mode_t mode)
{
    if (!*name || strchr(name, '/')) {
        errno = EINVAL;
        return -1;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return -1;
    int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
                    mode);
    int saved = errno;
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
        /* O_EXCL made it, so this cannot happen; belt and braces */
        saved = EEXIST;
        close(fd);
        fd = -1;
    }
    if (fd >= 0) {
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
            saved = errno;
            close(fd);
            unlinkat(dfd, name, 0);
            fd = -1;
        }
    }
    close(dfd);
    errno = saved;
    return fd;
}

void jm_safe_unlink(const char *dir, const char *name)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return;
    unlinkat(dfd, name, 0);
    close(dfd);
}

long long jm_safe_free_bytes(int fd)
{
    struct statvfs v;
    if (fstatvfs(fd, &v) < 0) return -1;
    return (long long)v.f_bavail * (long long)v.f_frsize;
}
