/* The X32 dialect on its own port (docs/osc.md, "The X32 dialect"). */
#include "osc_int.h"

#include "jmixd/control/x32.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The X32 port: X32's own addresses and argument types; unknown addresses
 * are ignored, as an X32 does. */
void jm_osc_x32_message(jm_osc_parser_t *p, const char *path, const char *types, lo_arg **argv,
                        int argc)
{
    char native[JM_PATH_MAX + 8];
    int kind = jm_x32_to_native(p->s, path, native, sizeof native);
    if (kind) {
        if (argc == 1 && types[0] != (kind == JM_X32_ON ? 'i' : 'f')) return; /* X32's exact types */
        jm_osc_param_message(p, native, path, types, argv, argc, kind);
        return;
    }
    /* X32's own answers to these carry arguments: never answer an answer */
    if (argc) return;
    if (!strcmp(path, "/xremote")) {
        jm_req_t r = {.kind = JM_REQ_SUBSCRIBE, .dialect = JM_X32_FLOAT, .param = -1};
        snprintf(r.sarg, sizeof r.sarg, "x32");
        snprintf(r.path, sizeof r.path, "%s", path);
        jm_osc_post(p, &r);
    } else if (!strcmp(path, "/info")) {
        lo_message m = lo_message_new();
        lo_message_add_string(m, JM_X32_VERSION);
        lo_message_add_string(m, "jmixd");
        lo_message_add_string(m, JM_X32_MODEL);
        lo_message_add_string(m, JM_X32_CONSOLE_VERSION);
        jm_osc_send_direct(p, "/info", m);
    } else if (!strcmp(path, "/status")) {
        char ip[INET_ADDRSTRLEN] = "0.0.0.0";
        struct sockaddr_in me;
        socklen_t sl = sizeof me;
        if (!getsockname(p->reply_fd, (struct sockaddr *)&me, &sl))
            inet_ntop(AF_INET, &me.sin_addr, ip, sizeof ip);
        lo_message m = lo_message_new();
        lo_message_add_string(m, "active");
        lo_message_add_string(m, ip);
        lo_message_add_string(m, "jmixd");
        jm_osc_send_direct(p, "/status", m);
    } else if (!strncmp(path, "/ch/", 4) && strlen(path) == 18 && !strcmp(path + 6, "/config/name")) {
        int ch = (path[4] - '0') * 10 + (path[5] - '0');
        if (ch < 1 || ch > JM_X32_STRIPS || ch > p->s->n_strips) return;
        (void)argv;
        lo_message m = lo_message_new(); /* names belong to the session: answer with it */
        lo_message_add_string(m, p->s->strips[ch - 1].name);
        jm_osc_send_direct(p, path, m);
    }
}
