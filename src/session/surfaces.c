/* Pass 2 readers of the optional control surfaces: x32 and web. */
#include "session_int.h"

#include <string.h>

int jm_sess_read_x32(ctx_t *c, const config_setting_t *g)
{
    c->s->x32_port = 10023;
    for (int k = 0; k < config_setting_length(g); k++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)k);
        if (strcmp(config_setting_name(m), "port"))
            return jm_sess_fail(c, m, "unknown key '%s' in x32", config_setting_name(m));
        if (jm_sess_read_int(c, m, "x32.port", 1, 65535, &c->s->x32_port) < 0) return -1;
    }
    if (c->s->x32_port == c->s->osc_port)
        return jm_sess_fail(c, g, "x32.port: %d is already the OSC port", c->s->x32_port);
    return 0;
}

/* web = { port = N; } (SPEC 13): the HTTP/WebSocket port; 8080 when the
 * group is there without a port. TCP, so it may equal osc.port (UDP). */
int jm_sess_read_web(ctx_t *c, const config_setting_t *g)
{
    c->s->web_port = 8080;
    for (int k = 0; k < config_setting_length(g); k++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)k);
        if (strcmp(config_setting_name(m), "port"))
            return jm_sess_fail(c, m, "unknown key '%s' in web", config_setting_name(m));
        if (jm_sess_read_int(c, m, "web.port", 1, 65535, &c->s->web_port) < 0) return -1;
    }
    return 0;
}
