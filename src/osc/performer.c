/* Performers on the OSC port (docs/osc.md, "Performers"): /performer/login
 * and /performer/logout, and the gate that keeps a performer-only address
 * or a logged-in sender to its own bus's mix. Parameter addresses are
 * checked match by match in param_msg.c (jm_perm_param_ok); this file
 * refuses everything else a restricted sender may not do. The bindings
 * (p->perm) belong to the OSC thread. */
#include "osc_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

int jm_osc_restricted(const jm_osc_parser_t *p)
{
    return !p->x32 && !p->nsm && (!p->engineer || p->performer >= 0);
}

int jm_osc_perm_bus(const jm_osc_parser_t *p)
{
    return p->performer >= 0 ? p->s->performers[p->performer].bus : -1;
}

static void login(jm_osc_parser_t *p, const char *path, const char *types, lo_arg **argv,
                  int argc)
{
    if (argc != 2 || strcmp(types, "ss")) {
        jm_osc_reply_error(p, path, "expected s:name s:pin");
        return;
    }
    uint32_t ip = ntohl(p->src.sin_addr.s_addr);
    uint16_t port = ntohs(p->src.sin_port);
    double now = jm_osc_now();
    /* over the limit the PIN is not even looked at */
    if (!jm_perm_may_try(&p->perm, ip, now)) {
        jm_osc_reply_error(p, path, "too many attempts");
        return;
    }
    const char *name = &argv[0]->s;
    int who = -1;
    for (int k = 0; k < p->s->n_performers; k++)
        if (!strcmp(p->s->performers[k].name, name)) who = k;
    /* an unknown name costs a try and compares a PIN as a known one does */
    static const char none[JM_PIN_MAX] = {0};
    int ok = jm_perm_pin_equal(&argv[1]->s, who >= 0 ? p->s->performers[who].pin : none);
    if (who < 0 || !ok) {
        jm_perm_failed(&p->perm, ip, now);
        jm_osc_reply_error(p, path, "wrong name or PIN");
        return;
    }
    jm_perm_bind(&p->perm, ip, port, who);
    p->performer = who; /* the rest of this datagram is the performer's too */
    char a[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &p->src.sin_addr, a, sizeof a);
    jm_log(p->log, JM_LOG_INFO, "performer '%s' logged in from %s:%u", p->s->performers[who].name,
           a, (unsigned)port);
    lo_message m = lo_message_new();
    lo_message_add_string(m, p->s->performers[who].name);
    lo_message_add_int32(m, 1);
    jm_osc_send_direct(p, path, m);
}

static void logout(jm_osc_parser_t *p, const char *path, int argc)
{
    if (argc) {
        jm_osc_reply_error(p, path, "takes no arguments");
        return;
    }
    int was = jm_perm_unbind(&p->perm, ntohl(p->src.sin_addr.s_addr), ntohs(p->src.sin_port));
    if (was < 0) {
        jm_osc_reply_error(p, path, "not logged in");
        return;
    }
    p->performer = -1;
    lo_message m = lo_message_new();
    lo_message_add_string(m, p->s->performers[was].name);
    lo_message_add_int32(m, 0);
    jm_osc_send_direct(p, path, m);
}

int jm_osc_performer_command(jm_osc_parser_t *p, const char *path, const char *types,
                             lo_arg **argv, int argc)
{
    if (!strcmp(path, "/performer/login")) login(p, path, types, argv, argc);
    else if (!strcmp(path, "/performer/logout")) logout(p, path, argc);
    else if (!strncmp(path, "/performer/", 11)) jm_osc_reply_error(p, path, "unknown address");
    else return 0;
    return 1;
}

/* Commands a logged-in performer may send as they are. */
static const char *const free_cmds[] = {"/info", "/strips", "/subscribe", "/subscribe/confirm",
                                        "/unsubscribe"};

int jm_osc_perm_gate(jm_osc_parser_t *p, const char *path, const char *types, lo_arg **argv,
                     int argc)
{
    if (!jm_osc_restricted(p)) return 0;
    int bus = jm_osc_perm_bus(p);
    if (!strcmp(path, "/info")) return 0;
    if (bus < 0) goto refuse; /* performer-only and not logged in */
    for (size_t k = 0; k < sizeof free_cmds / sizeof free_cmds[0]; k++)
        if (!strcmp(path, free_cmds[k])) return 0;
    if (!strcmp(path, "/dump") || !strcmp(path, "/params")) {
        /* the control thread does not filter: the prefix must reach only
         * what the performer may see */
        if (argc >= 1 && types[0] == 's' && jm_perm_prefix_ok(p->s, &argv[0]->s, bus)) return 0;
        goto refuse;
    }
    /* parameter addresses and aliases: each match is checked (param_msg.c) */
    if (!strncmp(path, "/strip/", 7) || !strncmp(path, "/bus/", 5) ||
        !strncmp(path, "/master/", 8) || !strncmp(path, "/monitor/", 9) || strpbrk(path, "*?[{"))
        return 0;
    for (int k = 0; k < p->s->n_aliases; k++) {
        const jm_alias_t *a = &p->s->aliases[k];
        size_t fl = strlen(a->from);
        if (!strncmp(path, a->from, fl) && (!path[fl] || !strcmp(path + fl, "/z"))) return 0;
    }
refuse:
    jm_osc_reply_error(p, path, "not permitted");
    return 1;
}
