/* The album file (docs/cli.md), libconfig:
 *   title = "..."; tracks = ( { title = "One"; session = "one.cfg"; },
 *                             { title = "Two"; file = "two.wav"; gap = 2.0; fade_out = 1.5; } );
 * Paths are relative to the album file's folder. Every error is
 * "FILE:LINE: message", as for session files. */
#include "album_int.h"

#include <errno.h>
#include <libconfig.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    const char *path;
    char *err;
    size_t errlen;
} ctx_t;

__attribute__((format(printf, 3, 4)))
static int fail(ctx_t *c, const config_setting_t *st, const char *fmt, ...)
{
    va_list ap;
    int line = st ? (int)config_setting_source_line(st) : 1;
    int n = snprintf(c->err, c->errlen, "%s:%d: ", c->path, line);
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < c->errlen) vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *type_word(const config_setting_t *st)
{
    switch (config_setting_type(st)) {
    case CONFIG_TYPE_GROUP: return "a group";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: return "an integer";
    case CONFIG_TYPE_FLOAT: return "a number";
    case CONFIG_TYPE_STRING: return "a string";
    case CONFIG_TYPE_BOOL: return "a boolean";
    case CONFIG_TYPE_ARRAY: return "an array";
    default: return "a list";
    }
}

static int read_string(ctx_t *c, const config_setting_t *st, const char *what, char *buf,
                       size_t len)
{
    const char *v = config_setting_get_string(st);
    if (config_setting_type(st) != CONFIG_TYPE_STRING || !v)
        return fail(c, st, "%s must be a string, not %s", what, type_word(st));
    if (!*v) return fail(c, st, "%s is empty", what);
    if (strlen(v) >= len) return fail(c, st, "%s is too long (at most %zu bytes)", what, len - 1);
    memcpy(buf, v, strlen(v) + 1);
    return 0;
}

static int read_seconds(ctx_t *c, const config_setting_t *st, const char *what, double *out)
{
    int type = config_setting_type(st);
    double v = type == CONFIG_TYPE_FLOAT   ? config_setting_get_float(st)
               : type == CONFIG_TYPE_INT   ? (double)config_setting_get_int(st)
               : type == CONFIG_TYPE_INT64 ? (double)config_setting_get_int64(st)
                                           : NAN;
    if (isnan(v)) return fail(c, st, "%s must be a number of seconds, not %s", what, type_word(st));
    if (!isfinite(v) || v < 0.0 || v > JM_ALBUM_MAX_SECONDS)
        return fail(c, st, "%s = %g is out of range (0..%.0f seconds)", what, v,
                    JM_ALBUM_MAX_SECONDS);
    *out = v;
    return 0;
}

static int join(char *out, size_t len, const char *album, const char *rel)
{
    const char *slash = strrchr(album, '/');
    int n = rel[0] == '/' || !slash ? snprintf(out, len, "%s", rel)
                                    : snprintf(out, len, "%.*s/%s", (int)(slash - album), album, rel);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* The source path, relative to the album's folder; it must be a file. */
static int read_source(ctx_t *c, const config_setting_t *st, const char *what, char *out)
{
    char rel[PATH_MAX];
    struct stat sb;
    if (read_string(c, st, what, rel, sizeof rel)) return -1;
    if (join(out, PATH_MAX, c->path, rel)) return fail(c, st, "%s: path too long", what);
    if (stat(out, &sb)) return fail(c, st, "%s '%s': %s", what, rel, strerror(errno));
    if (!S_ISREG(sb.st_mode)) return fail(c, st, "%s '%s' is not a file", what, rel);
    return 0;
}

/* Default title: the source's file name without its extension. */
static void default_title(jm_album_track_t *t)
{
    const char *base = strrchr(t->path, '/');
    base = base ? base + 1 : t->path;
    const char *dot = strrchr(base, '.');
    int n = dot && dot != base ? (int)(dot - base) : (int)strlen(base);
    snprintf(t->title, sizeof t->title, "%.*s", n, base);
}

static int read_track(ctx_t *c, const config_setting_t *g, int i, jm_album_track_t *t)
{
    const config_setting_t *src = NULL;
    if (config_setting_type(g) != CONFIG_TYPE_GROUP)
        return fail(c, g, "tracks[%d] must be a group { ... }, not %s", i + 1, type_word(g));
    t->line = (int)config_setting_source_line(g);
    for (int k = 0; k < config_setting_length(g); k++) {
        const config_setting_t *st = config_setting_get_elem(g, (unsigned)k);
        const char *name = config_setting_name(st);
        int rc;
        if (!strcmp(name, "title")) rc = read_string(c, st, "title", t->title, sizeof t->title);
        else if (!strcmp(name, "gap")) rc = read_seconds(c, st, "gap", &t->gap);
        else if (!strcmp(name, "fade_out")) rc = read_seconds(c, st, "fade_out", &t->fade_out);
        else if (!strcmp(name, "session") || !strcmp(name, "file")) {
            if (src)
                return fail(c, st, "tracks[%d] has both session and file: give one", i + 1);
            src = st;
            t->is_session = name[0] == 's';
            rc = read_source(c, st, name, t->path);
        } else
            return fail(c, st, "tracks[%d]: unknown key '%s' (title, session, file, gap, "
                        "fade_out)", i + 1, name);
        if (rc) return -1;
    }
    if (!src) return fail(c, g, "tracks[%d] needs session = \"...\" or file = \"...\"", i + 1);
    if (!t->title[0]) default_title(t);
    return 0;
}

static int load(ctx_t *c, const config_setting_t *root, jm_album_t *a)
{
    const config_setting_t *tracks = NULL;
    for (int k = 0; k < config_setting_length(root); k++) {
        const config_setting_t *st = config_setting_get_elem(root, (unsigned)k);
        const char *name = config_setting_name(st);
        if (!strcmp(name, "title")) {
            if (read_string(c, st, "title", a->title, sizeof a->title)) return -1;
        } else if (!strcmp(name, "tracks")) {
            tracks = st;
        } else {
            return fail(c, st, "unknown key '%s' (album keys: title, tracks)", name);
        }
    }
    if (!tracks) return fail(c, NULL, "no tracks = ( { ... }, ... ); in the album");
    int type = config_setting_type(tracks);
    if (type != CONFIG_TYPE_LIST && !(type == CONFIG_TYPE_ARRAY && !config_setting_length(tracks)))
        return fail(c, tracks, "tracks must be a list ( { ... }, ... ), not %s",
                    type_word(tracks));
    a->n = config_setting_length(tracks);
    if (!a->n) return fail(c, tracks, "tracks is empty: an album needs at least one track");
    if (a->n > JM_ALBUM_MAX_TRACKS)
        return fail(c, tracks, "%d tracks: a CUE sheet holds at most %d", a->n,
                    JM_ALBUM_MAX_TRACKS);
    for (int i = 0; i < a->n; i++)
        if (read_track(c, config_setting_get_elem(tracks, (unsigned)i), i, &a->t[i])) return -1;
    return 0;
}

int jm_album_load(jm_album_t *a, const char *path, char *err, size_t errlen)
{
    ctx_t c = {.path = path, .err = err, .errlen = errlen};
    memset(a, 0, sizeof *a);
    if (strlen(path) >= sizeof a->path) return fail(&c, NULL, "path too long");
    snprintf(a->path, sizeof a->path, "%s", path);
    FILE *f = fopen(path, "r");
    if (!f) return snprintf(err, errlen, "%s:0: cannot read the album file: %s", path,
                            strerror(errno)), -1;
    fclose(f);
    config_t cfg;
    config_init(&cfg);
    int rc;
    if (config_read_file(&cfg, path) != CONFIG_TRUE) {
        const char *ef = config_error_file(&cfg);
        snprintf(err, errlen, "%s:%d: %s", ef ? ef : path, config_error_line(&cfg),
                 config_error_text(&cfg));
        rc = -1;
    } else {
        rc = load(&c, config_root_setting(&cfg), a);
    }
    config_destroy(&cfg);
    if (!rc && !a->title[0]) { /* default: the album file's name */
        jm_album_track_t t = {0};
        snprintf(t.path, sizeof t.path, "%s", path);
        default_title(&t);
        snprintf(a->title, sizeof a->title, "%s", t.title);
    }
    return rc;
}
