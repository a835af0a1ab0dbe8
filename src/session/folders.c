/* Where controller-named files go: the recordings and sessions folders
 * (docs/session.md, "Files named by controllers"). */
#include "session_int.h"

#include <stdio.h>
#include <string.h>

/* dir of path into out ("." when it has none, "/" for "/x"); -1 if it does
 * not fit. */
static int folder_of(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    size_t len = !slash ? 0 : slash == path ? 1 : (size_t)(slash - path);
    if (!slash) return snprintf(out, cap, ".") < (int)cap ? 0 : -1;
    if (len >= cap) return -1;
    memcpy(out, path, len);
    out[len] = '\0';
    return 0;
}

static int resolve(const char *given, const char *base, const char *leaf, char *out, size_t cap)
{
    int n = given[0] ? snprintf(out, cap, "%s", given)
                     : snprintf(out, cap, "%s/%s", base, leaf);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int jm_session_resolve_folders(jm_session_t *s, const char *state_path, char *err,
                               size_t errlen)
{
    char base[sizeof s->recordings_dir];
    int from_state = state_path && *state_path;
    const char *from = from_state ? state_path : s->path;
    if (from_state && strlen(state_path) >= sizeof s->state) {
        snprintf(err, errlen, "the state file's path is longer than %zu bytes: %.60s...",
                 sizeof s->state - 1, state_path);
        return -1;
    }
    if (folder_of(from, base, sizeof base) < 0) {
        snprintf(err, errlen, "the folder of '%.60s...' is too long", from);
        return -1;
    }
    if (resolve(s->recordings, base, "recordings", s->recordings_dir,
                sizeof s->recordings_dir) < 0 ||
        resolve(s->sessions, base, "sessions", s->sessions_dir, sizeof s->sessions_dir) < 0) {
        snprintf(err, errlen, "%s:0: the recordings or sessions folder '%.60s/...' is longer "
                 "than %zu bytes", s->path, base, sizeof s->recordings_dir - 1);
        return -1;
    }
    return 0;
}
