/* The X32 and X-Air dialects, each on its own port (docs/osc.md, "The X32
 * dialect"): X32 addresses and argument types, answered from the X32 tree
 * (src/control/x32tree.c). The OSC thread only parses: queries and /node go
 * to the control thread (which owns the values) in arrival order; sets are
 * converted to units here and posted as ordinary sets. Unknown addresses,
 * wrong types and the console's own replies (which carry arguments) are
 * ignored, as an X32 does. */
#include "osc_int.h"

#include "jmixd/control/x32.h"
#include "jmixd/control/x32meters.h"

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

/* N of "/meters/N" or "meters/N" (clients send both): 0..99, else -1. */
static int meter_set(const char *name)
{
    if (*name == '/') name++;
    if (strncmp(name, "meters/", 7)) return -1;
    name += 7;
    int n = 0, digits = 0;
    for (; *name >= '0' && *name <= '9' && digits < 2; name++, digits++) n = n * 10 + (*name - '0');
    return digits && !*name ? n : -1;
}

/* A name a stream may be sent on: printable, no spaces or OSC pattern
 * characters, short. */
static int stream_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (!n || n >= JM_X32M_NAME) return 0;
    for (; *s; s++)
        if (*s <= ' ' || *s > '~' || strchr("#*?,[]{}", *s)) return 0;
    return 1;
}

/* /meters ,s[i[i[i]]] "/meters/N" ... factor, /batchsubscribe ,ssiii alias
 * "/meters/N" a b factor, /renew ,s name: posted for the control thread,
 * which owns the streams; unknown sets and malformed requests are dropped
 * here (no answer, as on an X32). */
static void meters_request(jm_osc_parser_t *p, const char *path, const char *types,
                           lo_arg **argv, int argc)
{
    jm_req_t r = {.kind = JM_REQ_X32_METERS, .dialect = (uint8_t)p->x32, .param = -1};
    int set, fi;
    const char *name;
    if (!strcmp(path, "/renew")) {
        if (argc != 1 || types[0] != 's' || !stream_name_ok(&argv[0]->s)) return;
        r.iarg = JM_X32M_OP_RENEW;
        snprintf(r.sarg, sizeof r.sarg, "%s", &argv[0]->s);
    } else {
        int batch = !strcmp(path, "/batchsubscribe");
        int first = batch ? 1 : 0; /* the meter set's argument */
        if (argc <= first || types[0] != 's' || types[first] != 's') return;
        set = meter_set(&argv[first]->s);
        name = &argv[0]->s;
        if (set < 0 || !jm_x32m_count(p->x32, set) || !stream_name_ok(name)) return;
        fi = first + 3; /* the time factor: the last of three ints */
        r.iarg = batch ? JM_X32M_OP_BATCH : JM_X32M_OP_METERS;
        r.aux = (float)set;
        r.value = argc > fi && types[fi] == 'i' ? (float)argv[fi]->i : 1.0f;
        if (!(r.value >= 1.0f && r.value <= 99.0f)) r.value = 1.0f;
        snprintf(r.sarg, sizeof r.sarg, "%s", name);
    }
    snprintf(r.path, sizeof r.path, "%s", path);
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
    if (!strcmp(path, "/meters") || !strcmp(path, "/batchsubscribe") ||
        (!strcmp(path, "/renew") && argc)) {
        meters_request(p, path, types, argv, argc);
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
