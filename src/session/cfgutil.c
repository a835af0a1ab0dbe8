/* libconfig helpers of the session loader: errors at a setting's line and
 * typed reads of numbers, strings, port lists, groups and lists. */
#include "session_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__attribute__((format(printf, 4, 0)))
int jm_sess_failv(ctx_t *c, const char *file, int line, const char *fmt, va_list ap)
{
    int n = snprintf(c->err, c->errlen, "%s:%d: ", file ? file : c->path, line);
    if (n >= 0 && (size_t)n < c->errlen) vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
    return -1;
}

/* Report an error at a setting's line; returns -1. */
__attribute__((format(printf, 3, 4)))
int jm_sess_fail(ctx_t *c, const config_setting_t *st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *file = st ? config_setting_source_file(st) : NULL;
    int line = st ? (int)config_setting_source_line(st) : 0;
    jm_sess_failv(c, file, line, fmt, ap);
    va_end(ap);
    return -1;
}

const char *jm_sess_type_word(int type)
{
    switch (type) {
    case CONFIG_TYPE_GROUP: return "a group";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: return "an integer";
    case CONFIG_TYPE_FLOAT: return "a number";
    case CONFIG_TYPE_STRING: return "a string";
    case CONFIG_TYPE_BOOL: return "true or false";
    case CONFIG_TYPE_ARRAY: return "an array";
    case CONFIG_TYPE_LIST: return "a list";
    default: return "a value";
    }
}

int jm_session_name_valid(const char *n)
{
    if (!((n[0] >= 'A' && n[0] <= 'Z') || (n[0] >= 'a' && n[0] <= 'z'))) return 0;
    for (const char *p = n + 1; *p; p++) {
        char ch = *p;
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-'))
            return 0;
    }
    return 1;
}

/* A number setting (int, int64 or float; not bool or string) into *out. */
int jm_sess_number(const config_setting_t *st, double *out)
{
    switch (config_setting_type(st)) {
    case CONFIG_TYPE_INT: *out = (double)config_setting_get_int(st); return 0;
    case CONFIG_TYPE_INT64: *out = (double)config_setting_get_int64(st); return 0;
    case CONFIG_TYPE_FLOAT: *out = config_setting_get_float(st); return 0;
    default: return -1;
    }
}

int jm_sess_integer(const config_setting_t *st, long long *out)
{
    switch (config_setting_type(st)) {
    case CONFIG_TYPE_INT: *out = config_setting_get_int(st); return 0;
    case CONFIG_TYPE_INT64: *out = config_setting_get_int64(st); return 0;
    default: return -1;
    }
}

/* An integer in lo..hi. `what` names the setting in messages. */
int jm_sess_read_int(ctx_t *c, const config_setting_t *st, const char *what, long long lo,
                    long long hi, int *out)
{
    long long v;
    if (jm_sess_integer(st, &v) < 0) return jm_sess_fail(c, st, "%s: expected an integer", what);
    if (v < lo || v > hi) return jm_sess_fail(c, st, "%s: %lld is out of range %lld..%lld", what, v, lo, hi);
    *out = (int)v;
    return 0;
}

/* A string that must fit a buffer of cap bytes. */
int jm_sess_read_string(ctx_t *c, const config_setting_t *st, const char *what, char *buf,
                       size_t cap, int allow_empty)
{
    const char *v = config_setting_get_string(st);
    if (config_setting_type(st) != CONFIG_TYPE_STRING || !v)
        return jm_sess_fail(c, st, "%s: expected a string", what);
    if (!allow_empty && !*v) return jm_sess_fail(c, st, "%s: must not be empty", what);
    if (strlen(v) >= cap)
        return jm_sess_fail(c, st, "%s: '%.40s...' is too long (at most %zu characters)", what, v,
                    cap - 1);
    memcpy(buf, v, strlen(v) + 1);
    return 0;
}

/* A JACK port name as given to jack_connect: "client:port". */
static int check_port(ctx_t *c, const config_setting_t *st, const char *what, const char *port)
{
    if (jm_sess_port_valid(port)) return 0;
    return jm_sess_fail(c, st, "%s: '%s' is not a JACK port name (client:port, e.g. \"system:capture_1\")",
                what, port);
}

/* A list of port names: an array (or list) of strings, or a single string. */
int jm_sess_read_ports(ctx_t *c, const config_setting_t *st, const char *what, int max,
                      char (*ports)[JM_PORT_NAME_MAX], int *n_out)
{
    char elem_what[96];
    int type = config_setting_type(st);
    if (type == CONFIG_TYPE_STRING) {
        if (max < 1) return jm_sess_fail(c, st, "%s: 1 port, at most %d allowed", what, max);
        if (jm_sess_read_string(c, st, what, ports[0], JM_PORT_NAME_MAX, 0) < 0) return -1;
        if (check_port(c, st, what, ports[0]) < 0) return -1;
        *n_out = 1;
        return 0;
    }
    if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
        return jm_sess_fail(c, st, "%s: expected an array of port names, e.g. [ \"system:capture_1\" ]",
                    what);
    int n = config_setting_length(st);
    if (n > max) return jm_sess_fail(c, st, "%s: %d ports, at most %d allowed", what, n, max);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(st, (unsigned)i);
        snprintf(elem_what, sizeof elem_what, "%s[%d]", what, i + 1);
        if (config_setting_type(e) != CONFIG_TYPE_STRING)
            return jm_sess_fail(c, e, "%s: expected a port name (a string)", elem_what);
        if (jm_sess_read_string(c, e, elem_what, ports[i], JM_PORT_NAME_MAX, 0) < 0) return -1;
        if (check_port(c, e, elem_what, ports[i]) < 0) return -1;
    }
    *n_out = n;
    return 0;
}

/* A list of groups; an empty array or list also counts as none. */
int jm_sess_expect_list(ctx_t *c, const config_setting_t *st, const char *what)
{
    int type = config_setting_type(st);
    if (type == CONFIG_TYPE_LIST) return 0;
    if (type == CONFIG_TYPE_ARRAY && config_setting_length(st) == 0) return 0;
    return jm_sess_fail(c, st, "%s: expected a list of groups, e.g. ( { ... }, { ... } )", what);
}

int jm_sess_expect_group(ctx_t *c, const config_setting_t *st, const char *what)
{
    if (config_setting_type(st) == CONFIG_TYPE_GROUP) return 0;
    return jm_sess_fail(c, st, "%s: expected a group { ... }", what);
}
