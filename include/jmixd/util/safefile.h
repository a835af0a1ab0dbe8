/* Files named by a controller (OSC, web): a plain name inside a folder the
 * session chose, never a path, created exclusively and never through a
 * link, a FIFO or a device (docs/osc.md, "Files").
 *
 * Threads: any thread except the audio thread (file system calls). */
#ifndef JMIXD_UTIL_SAFEFILE_H
#define JMIXD_UTIL_SAFEFILE_H

#include <stddef.h>
#include <sys/types.h>

/* Longest controller-given file name, in bytes. */
#define JM_SAFE_NAME_MAX 100

/* 0 when name is a plain file name: 1..max bytes (max at most
 * JM_SAFE_NAME_MAX), no '/', no "..", no leading '.', no control
 * character (bytes below 0x20, and 0x7f), no backslash. Otherwise -1 with
 * the reason in why ("the name must not contain '/'", ...). */
int jm_safe_name_check(const char *name, size_t max, char *why, size_t whylen);

/* Create the folder dir and any missing parent with mode (less the
 * umask); an existing one is used as it is. 0, or -1 with errno. */
int jm_safe_mkdirs(const char *dir, mode_t mode);

/* Create dir/name for writing, exclusively: O_CREAT | O_EXCL | O_NOFOLLOW
 * | O_NONBLOCK (so a FIFO or a device cannot block or be written), then
 * fstat says a regular file, then O_NONBLOCK is cleared. Returns the file
 * descriptor (close-on-exec), or -1 with errno (EEXIST: the name is taken,
 * whatever it is: file, link, FIFO). name must have passed
 * jm_safe_name_check. */
int jm_safe_create(const char *dir, const char *name, mode_t mode);

/* Remove dir/name (a file this process created and failed to fill). */
void jm_safe_unlink(const char *dir, const char *name);

/* Free bytes for an unprivileged writer on fd's file system; -1 when
 * unknown. */
long long jm_safe_free_bytes(int fd);

#endif
