/* Replacing a file so that a crash or power cut leaves the old content or
 * the new, never a mix: the data goes to PATH.tmp in the same folder, which
 * is fsynced, closed and renamed over PATH; then the folder is fsynced so
 * that the rename itself is durable. A PATH.tmp left by a crash is simply
 * overwritten by the next write (readers never look at it). An existing
 * PATH keeps its permission bits; a new one gets 0666 less the umask.
 *
 * Threads: any thread except the audio thread (file I/O, fsync). Two
 * concurrent writes must not target the same PATH (both use PATH.tmp). */
#ifndef JMIXD_UTIL_ATOMICFILE_H
#define JMIXD_UTIL_ATOMICFILE_H

#include <stddef.h>

/* Write len bytes of data as PATH's new content.
 *  0  PATH holds the data, durably.
 * -1  PATH is untouched and PATH.tmp removed; errno is set, and msg (when
 *     not NULL) names the step that failed, e.g. "cannot write 'x.tmp': No
 *     space left on device".
 *  1  PATH holds the data, but the fsync of its folder failed, so the
 *     rename may not survive a power cut; errno and msg say so. */
/* Write all len bytes to fd, retrying short writes and EINTR; 0, or -1
 * with errno set (EIO for a write that wrote nothing). */
int jm_write_all(int fd, const void *buf, size_t len);

int jm_atomic_write(const char *path, const void *data, size_t len, char *msg, size_t msglen);

#endif
