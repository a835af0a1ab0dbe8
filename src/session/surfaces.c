/* Pass 2 readers of the optional control surfaces: x32 and web. */
#include "session_int.h"

#include <stdio.h>
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
    return 0;
}

/* web = { port = N; } (docs/session.md): the HTTP/WebSocket port; 8080 when the
 * group is there without a port. TCP, so it may equal osc.port (UDP). */
int jm_sess_read_web(ctx_t *c, const config_setting_t *g)
{
    return read_port_group(c, g, "web", 8080, &c->s->web_port);
}
