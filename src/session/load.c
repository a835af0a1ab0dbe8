/* The session file: libconfig text validated into topology + parameter
 * values (docs/session.md). Every error is "FILE:LINE: message", the first one
 * found, and leaves no partial session behind.
 *
 * Loading runs in two passes because the parameter keys of a strip depend on
 * the bus names (send.{bus}.level): pass 1 reads the topology (strip and bus
 * names, channels, bus types), then the parameter set is built, then pass 2
 * reads everything else in file order. */
#include "session_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static void set_defaults(jm_session_t *s)
{
    snprintf(s->jack_name, sizeof s->jack_name, "jmixd");
    s->jack_server[0] = '\0';
    s->osc_port = 8000;
    snprintf(s->osc_bind, sizeof s->osc_bind, "0.0.0.0");
    static const char *const def_allow[] = {"127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12",
                                            "192.168.0.0/16"};
    s->n_allow = 0;
    for (size_t i = 0; i < sizeof def_allow / sizeof def_allow[0]; i++)
        if (jm_cidr_parse(def_allow[i], &s->allow[s->n_allow]) == 0) s->n_allow++;
    s->meter_rate = 20.0f;
    s->record_min_free_mb = 1024;
}

/* Pass 1: the topology, then the parameter set it implies, at defaults. */
static int load_topology(ctx_t *c, const config_setting_t *root)
{
    jm_session_t *s = c->s;
    const config_setting_t *st = config_setting_get_member(root, "buses");
    if (st && jm_sess_topo_buses(c, st) < 0) return -1;
    st = config_setting_get_member(root, "strips");
    if (st) {
        if (jm_sess_topo_strips(c, st) < 0) return -1;
    } else {
        s->strips = calloc(1, sizeof *s->strips);
        s->strip_names = calloc(1, sizeof *s->strip_names);
        if (!s->strips || !s->strip_names) return jm_sess_fail(c, root, "out of memory");
    }
    s->bus_names = calloc(JM_MAX_BUSES, sizeof *s->bus_names);
    if (!s->bus_names) return jm_sess_fail(c, root, "out of memory");
    for (int b = 0; b < s->n_buses; b++) memcpy(s->bus_names[b], s->buses[b].name, JM_NAME_MAX);

    char bus_types[JM_MAX_BUSES][16];
    for (int b = 0; b < s->n_buses; b++) memcpy(bus_types[b], s->buses[b].type, 16);
    jm_topo_names_t names = {
        .n_strips = s->n_strips,
        .strip_names = (const char (*)[JM_NAME_MAX])s->strip_names,
        .n_buses = s->n_buses,
        .bus_names = (const char (*)[JM_NAME_MAX])s->bus_names,
        .bus_types = (const char (*)[16])bus_types,
        .monitor = config_setting_get_member(root, "monitor") != NULL,
        .talkback = config_setting_get_member(root, "talkback") != NULL,
    };
    s->has_monitor = names.monitor;
    s->has_talkback = names.talkback;
    if (jm_params_build(&s->params, &names) < 0) return jm_sess_fail(c, root, "out of memory");
    s->values = calloc(s->params.n ? s->params.n : 1, sizeof *s->values);
    if (!s->values) return jm_sess_fail(c, root, "out of memory");
    for (size_t i = 0; i < s->params.n; i++) s->values[i] = s->params.p[i].defval;
    return 0;
}

/* Pass 2: one top-level setting (checked by jm_sess_check_top). */
static int read_section(ctx_t *c, const config_setting_t *st)
{
    jm_session_t *s = c->s;
    const char *name = config_setting_name(st);
    int rc = 0;
    if (!strcmp(name, "jack")) return jm_sess_read_jack(c, st);
    if (!strcmp(name, "osc")) return jm_sess_read_osc(c, st);
    if (!strcmp(name, "state"))
        return jm_sess_read_string(c, st, "state", s->state, sizeof s->state, 1);
    if (!strcmp(name, "recordings"))
        return jm_sess_read_string(c, st, name, s->recordings, sizeof s->recordings, 0);
    if (!strcmp(name, "sessions"))
        return jm_sess_read_string(c, st, name, s->sessions, sizeof s->sessions, 0);
    if (!strcmp(name, "record_min_free_mb"))
        return jm_sess_read_int(c, st, name, 0, 1LL << 30, &s->record_min_free_mb);
    if (!strcmp(name, "strips")) {
        for (int k = 0; k < s->n_strips && rc == 0; k++)
            rc = jm_sess_read_strip(c, config_setting_get_elem(st, (unsigned)k), k);
    } else if (!strcmp(name, "buses")) {
        for (int k = 0; k < s->n_buses && rc == 0; k++)
            rc = jm_sess_read_bus(c, config_setting_get_elem(st, (unsigned)k), k);
    } else if (!strcmp(name, "master") || !strcmp(name, "monitor")) {
        rc = jm_sess_read_master(c, st);
    } else if (!strcmp(name, "talkback")) {
        rc = jm_sess_read_talkback(c, st);
    } else if (!strcmp(name, "automation")) {
        rc = jm_sess_read_automation(c, st);
    } else if (!strcmp(name, "aliases")) {
        rc = jm_sess_read_aliases(c, st);
    } else if (!strcmp(name, "x32")) {
        rc = jm_sess_read_x32(c, st);
    } else if (!strcmp(name, "xair")) {
        rc = jm_sess_read_xair(c, st);
    } else if (!strcmp(name, "web")) {
        rc = jm_sess_read_web(c, st);
    } else if (!strcmp(name, "playback")) {
        rc = jm_sess_read_playback(c, st);
    } else if (!strcmp(name, "midi")) {
        rc = jm_sess_read_midi(c, st);
    } else if (!strcmp(name, "performers")) {
        rc = jm_sess_read_performers(c, st);
    }
    return rc;
}

static int load(ctx_t *c, config_t *cfg)
{
    const config_setting_t *root = config_root_setting(cfg);
    if (jm_sess_check_top(c, root) < 0 || load_topology(c, root) < 0) return -1;
    int n = config_setting_length(root);
    for (int i = 0; i < n; i++)
        if (read_section(c, config_setting_get_elem(root, (unsigned)i)) < 0) return -1;
    return 0;
}

/* The directory part of path ("" when none), for relative @include. */
static void dir_of(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    size_t len = slash ? (size_t)(slash - path) : 0;
    if (slash && len == 0) len = 1; /* "/x.cfg" */
    if (len >= cap) len = 0;
    memcpy(out, path, len);
    out[len] = '\0';
}

/* Bounds on what libconfig is given: it reads whatever it is pointed at
 * (a FIFO blocks it, /dev/zero never ends), and 1.5 exit()s the process
 * when an @include names a folder or nothing -- on SIGHUP that would kill
 * a running console. */
#define MAX_FILE_BYTES (4L << 20)
#define MAX_INCLUDES 64
#define MAX_DEPTH 8

/* A session file or an @include into memory (NUL-terminated): a regular
 * file of at most MAX_FILE_BYTES, opened without blocking. NULL with the
 * reason in why. */
static char *slurp(const char *path, const char *what, size_t *len, char *why, size_t whylen)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whylen, "cannot open %s: %s", what, strerror(errno));
        return NULL;
    }
    struct stat st;
    char *buf = NULL;
    size_t n = 0;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, whylen, "not a regular file");
    } else if (st.st_size > MAX_FILE_BYTES) {
        snprintf(why, whylen, "larger than %ld MiB", MAX_FILE_BYTES >> 20);
    } else if (!(buf = malloc(MAX_FILE_BYTES + 2))) {
        snprintf(why, whylen, "out of memory");
    } else {
        ssize_t r;
        while (n <= (size_t)MAX_FILE_BYTES &&
               ((r = read(fd, buf + n, MAX_FILE_BYTES + 1 - n)) > 0 || (r < 0 && errno == EINTR)))
            if (r > 0) n += (size_t)r;
        if (n > (size_t)MAX_FILE_BYTES) {
            snprintf(why, whylen, "larger than %ld MiB", MAX_FILE_BYTES >> 20);
            free(buf);
            buf = NULL;
        } else {
            buf[n] = '\0';
        }
    }
    close(fd);
    *len = n;
    return buf;
}

static int is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v';
}

static int check_text(const char *file, const char *text, size_t len, const char *dir, int depth,
                      int *count, char *err, size_t errlen);

/* The @include whose keyword ends at k (line *lineno): its file exists,
 * is regular, small, and its own includes pass. *end: where the scan
 * goes on. */
static int check_one(const char *file, const char *text, size_t len, size_t k, int *lineno,
                     const char *dir, int depth, int *count, char *err, size_t errlen,
                     size_t *end)
{
    int at = *lineno;
    while (k < len && (is_space(text[k]) || text[k] == '\n')) *lineno += text[k++] == '\n';
    *end = k;
    if (k >= len || text[k] != '"') return 0; /* not an include: a syntax error libconfig names */
    size_t q = ++k;
    while (k < len && text[k] != '"' && text[k] != '\\' && text[k] != '\n' && text[k]) k++;
    *end = k;
    char name[1024], full[2100];
    size_t n = k - q;
    if (k >= len || text[k] != '"' || n >= sizeof name) {
        snprintf(err, errlen, "%s:%d: @include: expected a file name in quotes (no '\\', "
                 "no line break, at most %zu bytes)", file, at, sizeof name - 1);
        return -1;
    }
    memcpy(name, text + q, n);
    name[n] = '\0';
    if (name[0] == '/' || !*dir) snprintf(full, sizeof full, "%s", name);
    else snprintf(full, sizeof full, "%s/%s", dir, name);
    if (++*count > MAX_INCLUDES) {
        snprintf(err, errlen, "%s:%d: more than %d @include", file, at, MAX_INCLUDES);
        return -1;
    }
    if (depth >= MAX_DEPTH) {
        snprintf(err, errlen, "%s:%d: @include nested too deep", file, at);
        return -1;
    }
    char why[128];
    size_t sublen;
    char *sub = *name ? slurp(full, "it", &sublen, why, sizeof why) : NULL;
    if (!sub) {
        snprintf(err, errlen, "%s:%d: @include \"%s\" does not name a file%s%s", file, at,
                 name, *name ? ": " : "", *name ? why : "");
        return -1;
    }
    int rc = check_text(full, sub, sublen, dir, depth + 1, count, err, errlen);
    free(sub);
    return rc;
}

/* Every @include of text (and theirs) must name a regular file within the
 * bounds above. The check is looser than libconfig's scanner (any
 * whitespace, however long, before and after @include), so nothing it
 * would open escapes it. */
static int check_text(const char *file, const char *text, size_t len, const char *dir, int depth,
                      int *count, char *err, size_t errlen)
{
    int lineno = 1;
    for (size_t i = 0; i < len;) {
        size_t k = i; /* a line starts at i */
        while (k < len && is_space(text[k])) k++;
        if (len - k >= 8 && !memcmp(text + k, "@include", 8)) {
            int rc = check_one(file, text, len, k + 8, &lineno, dir, depth, count, err, errlen, &k);
            if (rc) return rc;
        }
        const char *nl = memchr(text + k, '\n', len - k);
        if (!nl) break;
        i = (size_t)(nl - text) + 1;
        lineno++;
    }
    return 0;
}

static int check_includes(const char *path, const char *dir, char *err, size_t errlen)
{
    char why[128];
    size_t len;
    char *text = slurp(path, "the session file", &len, why, sizeof why);
    if (!text) {
        snprintf(err, errlen, "%s:0: %s", path, why);
        return -1;
    }
    int count = 0;
    int rc = check_text(path, text, len, dir, 0, &count, err, errlen);
    free(text);
    return rc;
}

/* libconfig's parse of path (and its @includes); 0, or -1 with err set
 * and nothing to destroy. */
static int read_config(config_t *cfg, const char *path, char *err, size_t errlen)
{
    char dir[1024];
    dir_of(path, dir, sizeof dir);
    if (check_includes(path, dir, err, errlen)) return -1;
    config_init(cfg);
    if (*dir) config_set_include_dir(cfg, dir);
    if (config_read_file(cfg, path) == CONFIG_TRUE) return 0;
    const char *ef = config_error_file(cfg);
    if (config_error_type(cfg) == CONFIG_ERR_FILE_IO && !ef)
        snprintf(err, errlen, "%s:0: cannot read the session file", path);
    else
        snprintf(err, errlen, "%s:%d: %s", ef ? ef : path, config_error_line(cfg),
                 config_error_text(cfg));
    config_destroy(cfg);
    return -1;
}

int jm_session_load(jm_session_t *s, const char *path, char *err, size_t errlen)
{
    char dummy[1];
    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    memset(s, 0, sizeof *s);
    ctx_t c = {.s = s, .path = path ? path : "", .err = err, .errlen = errlen};
    if (!path || !*path) {
        snprintf(err, errlen, ":0: no session file given");
        return -1;
    }
    if (strlen(path) >= sizeof s->path) {
        snprintf(err, errlen, "%.200s...:0: the file name is too long", path);
        return -1;
    }

    config_t cfg;
    if (read_config(&cfg, path, err, errlen) < 0) return -1;
    memcpy(s->path, path, strlen(path) + 1);
    set_defaults(s);
    int rc = load(&c, &cfg);
    config_destroy(&cfg);
    if (rc < 0) {
        jm_session_free(s);
        return -1;
    }
    return 0;
}

void jm_session_free(jm_session_t *s)
{
    if (!s) return;
    free(s->strips);
    free(s->strip_names);
    free(s->bus_names);
    free(s->values);
    for (int i = 0; i < s->n_lanes; i++) free(s->lanes[i].points);
    free(s->lanes);
    free(s->aliases);
    jm_params_free(&s->params);
    memset(s, 0, sizeof *s);
}
