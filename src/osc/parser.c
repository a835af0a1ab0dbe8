/* One datagram: the allow list, bundles and their timetags, the work
 * budget, replies that are never answered, then parameters, commands or
 * the X32 dialect. */
#include "osc_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the console itself sends and never asks: /error, meters, the
 * addresses only replies use, and the replies that share their request's
 * address, which carry arguments where the request has none. Answering
 * them would let one spoofed datagram start a loop between two consoles
 * (or a console and itself). */
static int is_reply(const char *path, const char *types, int argc)
{
    static const char *const only[] = {"/error",        "/param",       "/snapshot",
                                       "/automation/lane", "/reply",    "/meter",
                                       "/params/more", "/params/end", "/strips/more",
                                       "/strips/end", "/automation/list/more",
                                       "/automation/list/end", "/snapshot/list/more",
                                       "/snapshot/list/end", "/dump/end",
                                       "/midi/armed", "/midi/learned", "/midi/unlearned",
                                       "/midi/binding", "/midi/map/end"};
    static const char *const answered[] = {"/info", "/stats", "/stats/64", "/record/status",
                                           "/record/multitrack/status", "/playback/status"};
    for (size_t k = 0; k < sizeof only / sizeof only[0]; k++)
        if (!strcmp(path, only[k])) return 1;
    if (!strncmp(path, "/meter/", 7)) return 1;
    for (size_t k = 0; argc && k < sizeof answered / sizeof answered[0]; k++)
        if (!strcmp(path, answered[k])) return 1;
    /* the answers to /performer/login (s:name i:1) and /logout (s:name i:0) */
    if (!strcmp(path, "/performer/login") && argc == 2 && types[1] == 'i') return 1;
    if (!strcmp(path, "/performer/logout") && argc) return 1;
    /* /strips i:offset asks for a page; the answer carries the names */
    return !strcmp(path, "/strips") && argc && types[0] == 's';
}

static void dispatch(jm_osc_parser_t *p, const char *path, lo_message m)
{
    const char *types = lo_message_get_types(m);
    lo_arg **argv = lo_message_get_argv(m);
    int argc = lo_message_get_argc(m);
    if (!types) types = "";

    if (p->x32) {
        jm_osc_x32_message(p, path, types, argv, argc);
        return;
    }
    if (p->nsm) {
        /* the session manager: save, and show or hide the optional GUI (the
         * web page's address in the label). Its /reply and /error to our
         * announce, and /nsm/client/session_is_loaded (nothing to do: the
         * console runs on its own), need nothing. */
        jm_req_t r = {.kind = JM_REQ_SESSION_SAVE, .param = -1, .iarg = 1};
        if (!strcmp(path, "/nsm/client/show_optional_gui")) {
            r.kind = JM_REQ_NSM_GUI;
        } else if (!strcmp(path, "/nsm/client/hide_optional_gui")) {
            r.kind = JM_REQ_NSM_GUI;
            r.iarg = 0;
        } else if (strcmp(path, "/nsm/client/save")) {
            jm_log(p->log, JM_LOG_DEBUG, "session manager: %s (nothing to do)", path);
            return;
        }
        snprintf(r.path, sizeof r.path, "%s", path);
        jm_osc_post(p, &r);
        return;
    }
    if (is_reply(path, types, argc)) {
        p->rejected++; /* dropped silently: counted, never answered */
        return;
    }
    if (jm_osc_performer_command(p, path, types, argv, argc)) return;
    if (jm_osc_perm_gate(p, path, types, argv, argc)) return;
    /* an alias acts on its parameter; from/z is its touch */
    for (int k = 0; k < p->s->n_aliases; k++) {
        const jm_alias_t *a = &p->s->aliases[k];
        size_t fl = strlen(a->from);
        if (strncmp(path, a->from, fl)) continue;
        if (!path[fl]) {
            jm_osc_param_message(p, a->to, path, types, argv, argc, 0);
            return;
        }
        if (!strcmp(path + fl, "/z")) {
            char touch[JM_PATH_MAX + 16];
            snprintf(touch, sizeof touch, "%s/touch", p->s->params.p[a->param].path);
            jm_osc_param_message(p, touch, path, types, argv, argc, 0);
            return;
        }
    }

    if (jm_osc_command(p, path, types, argv, argc)) return;
    if (!strncmp(path, "/strip/", 7) || !strncmp(path, "/bus/", 5) ||
        !strncmp(path, "/master/", 8) || !strncmp(path, "/monitor/", 9) ||
        !strncmp(path, "/talkback/", 10) || strpbrk(path, "*?[{")) {
        jm_osc_param_message(p, path, path, types, argv, argc, 0);
        return;
    }
    jm_osc_reply_error(p, path, "unknown address");
}

static void feed(jm_osc_parser_t *p, unsigned char *data, size_t len, int depth)
{
    if (len >= 16 && !memcmp(data, "#bundle", 8)) {
        if (depth >= MAX_BUNDLE_DEPTH) { p->malformed++; return; }
        uint32_t hi, lo;
        memcpy(&hi, data + 8, 4);
        memcpy(&lo, data + 12, 4);
        uint64_t outer = p->timetag;
        /* a nested bundle never runs before the one that holds it */
        uint64_t tt = ((uint64_t)ntohl(hi) << 32) | ntohl(lo);
        if (tt > p->timetag) p->timetag = tt;
        size_t off = 16;
        while (off + 4 <= len) {
            uint32_t n;
            memcpy(&n, data + off, 4);
            n = ntohl(n);
            off += 4;
            if (n == 0 || n % 4 || n > len - off) { p->malformed++; return; }
            feed(p, data + off, n, depth + 1);
            off += n;
        }
        p->timetag = outer;
        return;
    }
    if (p->over) { p->rejected++; return; } /* the datagram's work budget is spent */
    if (len < 4 || data[0] != '/' || memchr(data, '\0', len) == NULL) { p->malformed++; return; }
    int res = 0;
    lo_message m = lo_message_deserialise(data, len, &res);
    if (!m) { p->malformed++; return; }
    dispatch(p, (const char *)data, m);
    lo_message_free(m);
}

jm_osc_parser_t *jm_osc_parser_new(const jm_session_t *s, jm_queue_t *requests, int reply_fd,
                                   const jm_log_t *log)
{
    jm_osc_parser_t *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->s = s;
    p->ps = &s->params;
    p->q = requests;
    p->reply_fd = reply_fd;
    p->log = log;
    p->hits = calloc(p->ps->n ? p->ps->n : 1, sizeof *p->hits);
    if (!p->hits) {
        free(p);
        return NULL;
    }
    jm_peerlimit_init(&p->errors, ERROR_RATE, ERROR_RATE);
    jm_perm_init(&p->perm);
    p->performer = -1;
    return p;
}

void jm_osc_parser_free(jm_osc_parser_t *p)
{
    if (!p) return;
    free(p->hits);
    free(p);
}

void jm_osc_parser_feed(jm_osc_parser_t *p, const void *data, size_t len, uint32_t src_ip,
                        uint16_t src_port)
{
    p->src = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(src_port),
                                  .sin_addr.s_addr = htonl(src_ip)};
    if (!jm_cidr_match(p->s->allow, p->s->n_allow, src_ip)) {
        p->denied++; /* never answered */
        return;
    }
    p->engineer = jm_perm_is_engineer(p->s, src_ip);
    /* the X32 and X-Air ports are the engineer's: a performer-only address
     * would get round its restriction through them */
    if (p->x32 && !p->engineer) {
        p->denied++;
        return;
    }
    p->performer = p->x32 || p->nsm ? -1 : jm_perm_lookup(&p->perm, src_ip, src_port);
    /* liblo copies what it deserialises; nothing here writes to data */
    p->timetag = 1;
    p->budget = WORK_BUDGET;
    p->over = 0;
    feed(p, (unsigned char *)(uintptr_t)data, len, 0);
}
