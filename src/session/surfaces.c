/* Pass 2 readers of the optional control surfaces: x32, xair and web. */
#include "session_int.h"

#include "jmixd/util/safefile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* NAME = { port = N; }: *port is def when the group has no port. */
static int read_port_group(ctx_t *c, const config_setting_t *g, const char *name, int def,
                           int *port)
{
    char what[16];
    snprintf(what, sizeof what, "%s.port", name);
    *port = def;
    for (int k = 0; k < config_setting_length(g); k++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)k);
        if (strcmp(config_setting_name(m), "port"))
            return jm_sess_fail(c, m, "unknown key '%s' in %s", config_setting_name(m), name);
        if (jm_sess_read_int(c, m, what, 1, 65535, port) < 0) return -1;
    }
    return 0;
}

int jm_sess_read_x32(ctx_t *c, const config_setting_t *g)
{
    if (read_port_group(c, g, "x32", 10023, &c->s->x32_port) < 0) return -1;
    if (c->s->x32_port == c->s->osc_port)
        return jm_sess_fail(c, g, "x32.port: %d is already the OSC port", c->s->x32_port);
    if (c->s->x32_port == c->s->xair_port)
        return jm_sess_fail(c, g, "x32.port: %d is already xair.port", c->s->x32_port);
    return 0;
}

/* xair = { port = N; } (docs/session.md): the X-Air dialect, 10024 by
 * default as on an X-Air mixer. */
int jm_sess_read_xair(ctx_t *c, const config_setting_t *g)
{
    if (read_port_group(c, g, "xair", 10024, &c->s->xair_port) < 0) return -1;
    if (c->s->xair_port == c->s->osc_port)
        return jm_sess_fail(c, g, "xair.port: %d is already the OSC port", c->s->xair_port);
    if (c->s->xair_port == c->s->x32_port)
        return jm_sess_fail(c, g, "xair.port: %d is already x32.port", c->s->xair_port);
    return 0;
}

/* A host name or IPv4 address with an optional ":port": letters, digits,
 * '.', '-' (no IPv6: the web surface is IPv4). */
static int host_port_valid(const char *v)
{
    size_t n = strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
    if (!n || n > 253) return 0;
    if (!v[n]) return 1;
    if (v[n] != ':' || !v[n + 1] || strspn(v + n + 1, "0123456789") != strlen(v + n + 1) ||
        strlen(v + n + 1) > 5)
        return 0;
    long port = strtol(v + n + 1, NULL, 10);
    return port >= 1 && port <= 65535;
}

/* An Origin as browsers send it: "http://host[:port]" or "https://...". */
static int origin_valid(const char *v)
{
    if (!strncmp(v, "http://", 7)) return host_port_valid(v + 7);
    if (!strncmp(v, "https://", 8)) return host_port_valid(v + 8);
    return 0;
}

/* web.origins / web.hosts: an array of strings, each checked by ok. */
static int read_names(ctx_t *c, const config_setting_t *st, const char *what,
                      int (*ok)(const char *), const char *example,
                      char (*out)[JM_WEB_NAME_LEN], int *n_out)
{
    int type = config_setting_type(st);
    if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
        return jm_sess_fail(c, st, "%s: expected an array of strings, e.g. [ \"%s\" ]", what,
                            example);
    int m = config_setting_length(st);
    if (m > JM_WEB_NAMES_MAX)
        return jm_sess_fail(c, st, "%s: %d entries, at most %d allowed", what, m,
                            JM_WEB_NAMES_MAX);
    for (int k = 0; k < m; k++) {
        const config_setting_t *e = config_setting_get_elem(st, (unsigned)k);
        if (jm_sess_read_string(c, e, what, out[k], JM_WEB_NAME_LEN, 0) < 0) return -1;
        if (!ok(out[k]))
            return jm_sess_fail(c, e, "%s: '%s' is not like \"%s\"", what, out[k], example);
    }
    *n_out = m;
    return 0;
}

/* web = { port = N; origins = [...]; hosts = [...]; idle_seconds = N; }
 * (docs/session.md): the HTTP/WebSocket port (8080 when the group is there
 * without a port; TCP, so it may equal osc.port, UDP), the extra Origins a
 * WebSocket may come from, the extra Host names answered, and how long a
 * silent WebSocket lives. */
int jm_sess_read_web(ctx_t *c, const config_setting_t *g)
{
    jm_session_t *s = c->s;
    s->web_port = 8080;
    for (int k = 0; k < config_setting_length(g); k++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)k);
        const char *name = config_setting_name(m);
        int rc;
        if (!strcmp(name, "port"))
            rc = jm_sess_read_int(c, m, "web.port", 1, 65535, &s->web_port);
        else if (!strcmp(name, "idle_seconds"))
            rc = jm_sess_read_int(c, m, "web.idle_seconds", 2, 3600, &s->web_idle_seconds);
        else if (!strcmp(name, "origins"))
            rc = read_names(c, m, "web.origins", origin_valid, "http://console.example:8080",
                            s->web_origins, &s->n_web_origins);
        else if (!strcmp(name, "hosts"))
            rc = read_names(c, m, "web.hosts", host_port_valid, "console.example",
                            s->web_hosts, &s->n_web_hosts);
        else
            return jm_sess_fail(c, m, "unknown key '%s' in web", name);
        if (rc < 0) return -1;
    }
    return 0;
}

static int read_bool(ctx_t *c, const config_setting_t *m, const char *what, int *out)
{
    if (config_setting_type(m) != CONFIG_TYPE_BOOL)
        return jm_sess_fail(c, m, "%s: expected true or false", what);
    *out = config_setting_get_bool(m);
    return 0;
}

int jm_sess_read_playback(ctx_t *c, const config_setting_t *g)
{
    jm_session_t *s = c->s;
    s->has_playback = 1;
    for (int k = 0; k < config_setting_length(g); k++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)k);
        const char *name = config_setting_name(m);
        int rc;
        if (!strcmp(name, "take")) {
            char why[96];
            rc = jm_sess_read_string(c, m, "playback.take", s->playback_take,
                                     sizeof s->playback_take, 1);
            if (!rc && s->playback_take[0] &&
                jm_safe_name_check(s->playback_take, JM_SAFE_NAME_MAX, why, sizeof why))
                return jm_sess_fail(c, m, "playback.take: '%s' is not a take folder's name: %s",
                                    s->playback_take, why);
        } else if (!strcmp(name, "loop")) {
            rc = read_bool(c, m, "playback.loop", &s->playback_loop);
        } else if (!strcmp(name, "play")) {
            rc = read_bool(c, m, "playback.play", &s->playback_play);
        } else if (!strcmp(name, "transport")) {
            rc = read_bool(c, m, "playback.transport", &s->playback_transport);
        } else {
            return jm_sess_fail(c, m, "unknown key '%s' in playback", name);
        }
        if (rc < 0) return -1;
    }
    return 0;
}
