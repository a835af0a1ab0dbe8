/* The X32 and X-Air dialects, each on its own port (docs/osc.md, "The X32
 * dialect"): X32 addresses and argument types, answered from the X32 tree
 * (src/control/x32tree.c). The OSC thread only parses: queries and /node go
 * to the control thread (which owns the values) in arrival order; sets are
 * converted to units here and posted as ordinary sets. Unknown addresses,
 * wrong types and the console's own replies (which carry arguments) are
 * ignored, as an X32 does. */
#include "osc_int.h"

#include "jmixd/control/x32.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The address the request came in on: the datagram's local address
 * (IP_PKTINFO, osc.c), else the socket's own when it is bound to one. */
static void local_ip(const jm_osc_parser_t *p, char ip[INET_ADDRSTRLEN])
{
    struct in_addr a = p->local;
    if (!a.s_addr) {
        struct sockaddr_in me;
        socklen_t sl = sizeof me;
        if (p->reply_fd >= 0 && !getsockname(p->reply_fd, (struct sockaddr *)&me, &sl))
            a = me.sin_addr;
    }
    inet_ntop(AF_INET, &a, ip, INET_ADDRSTRLEN);
}

/* /xinfo, /info, /status: what the console is and where. */
static int identity(jm_osc_parser_t *p, const char *path)
{
    int xair = p->x32 == JM_DIALECT_XAIR;
    char ip[INET_ADDRSTRLEN];
    lo_message m;
    if (!strcmp(path, "/xinfo")) {
        local_ip(p, ip);
        m = lo_message_new();
        lo_message_add_string(m, ip);
        lo_message_add_string(m, "jmixd");
        lo_message_add_string(m, xair ? JM_XAIR_MODEL : JM_X32_MODEL);
        lo_message_add_string(m, xair ? JM_XAIR_CONSOLE_VERSION : JM_X32_CONSOLE_VERSION);
    } else if (!strcmp(path, "/info")) {
        m = lo_message_new();
        lo_message_add_string(m, xair ? JM_XAIR_VERSION : JM_X32_VERSION);
        lo_message_add_string(m, "jmixd");
        lo_message_add_string(m, xair ? JM_XAIR_MODEL : JM_X32_MODEL);
        lo_message_add_string(m, xair ? JM_XAIR_CONSOLE_VERSION : JM_X32_CONSOLE_VERSION);
    } else if (!strcmp(path, "/status")) {
        local_ip(p, ip);
        m = lo_message_new();
        lo_message_add_string(m, "active");
        lo_message_add_string(m, ip);
        lo_message_add_string(m, "jmixd");
    } else {
        return 0;
    }
    jm_osc_send_direct(p, path, m);
    return 1;
}

static void post_x32(jm_osc_parser_t *p, int kind, const char *path, const char *sarg)
{
    jm_req_t r = {.kind = (uint8_t)kind, .dialect = (uint8_t)p->x32, .param = -1};
    snprintf(r.path, sizeof r.path, "%s", path);
    if (sarg) snprintf(r.sarg, sizeof r.sarg, "%s", sarg);
    jm_osc_post(p, &r);
}

/* A set: the X32 value in units, as an ordinary set of the parameter. */
static void x32_set(jm_osc_parser_t *p, const char *path, const jm_x32_ent_t *e, char type,
                    lo_arg *a)
{
    if (type != e->type || e->param < 0) return; /* X32's exact types; defaults stay */
    float x = type == 'i' ? (float)a->i : a->f;
    if (!isfinite(x)) return;
    jm_req_t r = {.kind = JM_REQ_SET, .dialect = (uint8_t)p->x32, .param = e->param,
                  .value = jm_x32_to_units(e, x)};
    snprintf(r.path, sizeof r.path, "%s", path);
    jm_osc_post(p, &r);
}

void jm_osc_x32_message(jm_osc_parser_t *p, const char *path, const char *types, lo_arg **argv,
                        int argc)
{
    jm_x32_ent_t e;
    if (jm_x32_lookup(p->s, p->x32, path, &e)) {
        if (!argc) post_x32(p, JM_REQ_X32, path, NULL);
        else if (argc == 1) x32_set(p, path, &e, types[0], argv[0]);
        return;
    }
    if (!strcmp(path, "/node")) {
        /* node s:"ch/01/mix": answered by the control thread as "node" */
        if (argc == 1 && types[0] == 's' && strlen(&argv[0]->s) < JM_PATH_MAX)
            post_x32(p, JM_REQ_X32_NODE, path, &argv[0]->s);
        return;
    }
    /* X32's own answers to the rest carry arguments: never answer an answer */
    if (argc) return;
    if (!strcmp(path, "/xremote") || !strcmp(path, "/renew")) {
        /* /renew keeps an /xremote lease alive as /xremote does */
        jm_req_t r = {.kind = JM_REQ_SUBSCRIBE, .dialect = (uint8_t)p->x32, .param = -1};
        snprintf(r.sarg, sizeof r.sarg, "x32");
        snprintf(r.path, sizeof r.path, "%s", path);
        jm_osc_post(p, &r);
    } else if (!strcmp(path, "/unsubscribe")) {
        jm_req_t r = {.kind = JM_REQ_UNSUBSCRIBE, .dialect = (uint8_t)p->x32, .param = -1};
        snprintf(r.sarg, sizeof r.sarg, "x32");
        snprintf(r.path, sizeof r.path, "%s", path);
        jm_osc_post(p, &r);
    } else {
        identity(p, path);
    }
}
