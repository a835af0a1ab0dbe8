/* OSC thread: socket, source filter, bundles, parsing and validation. */
#include "jmixd/osc/osc.h"

#include "jmixd/control/x32.h"
#include "jmixd/osc/match.h"
#include "jmixd/util/netguard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <lo/lo.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BUNDLE_DEPTH 8
#define MAX_PATTERN_LEN 256
#define MAX_PATTERN_STARS 8
/* Matching work one datagram may cost (jm_osc_match units, a few
 * nanoseconds each): the OSC thread answers anything behind it within a few
 * milliseconds, whatever the datagram holds. A plain pattern for every
 * strip's mute costs about 70,000 on a 64-strip console. */
#define WORK_BUDGET 1000000u
/* /error replies one peer gets at most per second (burst: as many). */
#define ERROR_RATE 50.0
/* Datagrams taken from one socket, or time spent, before the thread looks
 * at its stop flag and the other sockets again. */
#define DRAIN_MAX 256
#define DRAIN_SECONDS 0.02

struct jm_osc_parser {
    const jm_session_t *s;
    const jm_paramset_t *ps;
    jm_queue_t *q;
    int reply_fd;
    const jm_log_t *log;
    struct sockaddr_in src;
    int posted;          /* requests posted for the current datagram */
    int x32;             /* this parser reads the X32 port */
    int nsm;             /* this parser reads the session manager's socket */
    uint64_t timetag;    /* timetag of the bundle being walked; 1 = immediately */
    uint64_t malformed, rejected, denied;
    uint64_t suppressed; /* /error replies over the per-peer rate, not sent */
    uint64_t budget;     /* matching work left for the current datagram */
    int over;            /* the budget ran out: the rest of the datagram is dropped */
    int32_t *hits;       /* the parameters one pattern matched (ps->n) */
    const jm_selfaddrs_t *self; /* the console's own sockets (NULL: none known) */
    jm_peerlimit_t errors;
};

struct jm_osc {
    int sock;
    pthread_t thread;
    atomic_bool stop;
    const jm_session_t *s;
    jm_control_t *ctl;
    const jm_log_t *log;
    jm_osc_parser_t *parser;
    int x32_sock;               /* -1 without the X32 dialect */
    jm_osc_parser_t *x32_parser;
    int nsm_sock;               /* -1 without a session manager */
    jm_osc_parser_t *nsm_parser;
    jm_selfaddrs_t self;        /* every socket above: never a reply's destination */
    unsigned char buf[65536 + 16];
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The sender may be answered: not one of our own sockets (a spoofed
 * source would make the console talk to itself). */
static int may_answer(const jm_osc_parser_t *p)
{
    return p->reply_fd >= 0 && !(p->self && jm_self_is(p->self, &p->src));
}

static void reply_error(jm_osc_parser_t *p, const char *address, const char *reason)
{
    p->rejected++;
    if (!may_answer(p)) return;
    if (!jm_peerlimit_take(&p->errors, &p->src, now_s())) {
        p->suppressed++;
        return;
    }
    unsigned char buf[1024];
    lo_message m = lo_message_new();
    lo_message_add_string(m, address);
    lo_message_add_string(m, reason);
    size_t size = sizeof buf;
    if (lo_message_length(m, "/error") <= sizeof buf) {
        lo_message_serialise(m, "/error", buf, &size);
        sendto(p->reply_fd, buf, size, MSG_DONTWAIT, (struct sockaddr *)&p->src, sizeof p->src);
    }
    lo_message_free(m);
}

static void post(jm_osc_parser_t *p, jm_req_t *r)
{
    r->src = p->src;
    r->timetag = p->timetag;
    if (jm_queue_push(p->q, r)) p->posted++;
}

static void post_simple(jm_osc_parser_t *p, int kind, const char *path)
{
    jm_req_t r = {.kind = (uint8_t)kind, .param = -1,
                  .counters = {p->denied, p->malformed, p->rejected, p->suppressed}};
    snprintf(r.path, sizeof r.path, "%s", path);
    post(p, &r);
}

/* One number or boolean argument: 0 and *out set, or -1 with a reason. */
static int arg_value(const jm_param_def_t *d, int norm, char type, lo_arg *a, float *out,
                     const char **why)
{
    double v;
    switch (type) {
    case 'i': v = a->i; break;
    case 'f': v = a->f; break;
    case 'd': v = a->d; break;
    case 'T':
    case 'F':
        if (!jm_param_is_bool(d) || norm) { *why = "true/false is only for switches"; return -1; }
        v = type == 'T';
        break;
    case 's':
    case 'S': {
        int k = d->taper == JM_TAPER_ENUM && !norm ? jm_param_choice(d, &a->s) : -1;
        if (k < 0) {
            *why = d->taper == JM_TAPER_ENUM ? "not one of the choices" : "expected a number, got a string";
            return -1;
        }
        v = k; /* a choice by name: /monitor/curve s:phone */
        break;
    }
    default: *why = "unsupported argument type"; return -1;
    }
    if (!isfinite(v)) { *why = "value is not a finite number"; return -1; }
    if (v > 3.0e38) v = 3.0e38; /* keep the float finite; clamping follows */
    if (v < -3.0e38) v = -3.0e38;
    *out = (float)v;
    return 0;
}

/* Limits kept from liblo's matcher, which was exponential in '*' and "//":
 * jm_osc_match is not, and the work budget bounds each datagram anyway. */
static int pattern_ok(const char *pat)
{
    int stars = 0;
    size_t n = 0;
    for (const char *c = pat; *c; c++, n++) stars += *c == '*';
    return n <= MAX_PATTERN_LEN && stars <= MAX_PATTERN_STARS && !strstr(pat, "//");
}

/* What an address asks of its parameters: set or query (kind 0), ramp or
 * touch, in units or /norm. base receives the parameter address without
 * those suffixes. 0, or -1 after answering /error. */
static int address_kind(jm_osc_parser_t *p, const char *path, char base[JM_PATH_MAX * 2],
                        const char *types, int argc, int *kind, int *norm)
{
    size_t len = strlen(path);
    if (len >= JM_PATH_MAX * 2) { reply_error(p, path, "address too long"); return -1; }
    memcpy(base, path, len + 1);
    *kind = 0;
    *norm = 0;
    if (len > 5 && !strcmp(base + len - 5, "/ramp")) { *kind = JM_REQ_RAMP; base[len -= 5] = '\0'; }
    else if (len > 6 && !strcmp(base + len - 6, "/touch")) { *kind = JM_REQ_TOUCH; base[len -= 6] = '\0'; }
    if (len > 5 && !strcmp(base + len - 5, "/norm")) { *norm = 1; base[len - 5] = '\0'; }
    const char *why = NULL;
    if (*kind == JM_REQ_RAMP && (argc != 2 || !strchr("ifd", types[0]) || !strchr("ifd", types[1])))
        why = "expected f:target f:seconds";
    else if (*kind == JM_REQ_TOUCH && (argc != 1 || !strchr("ifTF", types[0])))
        why = "expected i:1 (touch) or i:0 (release)";
    else if (!*kind && argc > 1)
        why = "expected one value";
    else if (strpbrk(base, "*?[{") && !pattern_ok(base))
        why = "pattern too complex";
    if (why) { reply_error(p, path, why); return -1; }
    return 0;
}

/* The arguments of r (kind, norm, dialect set) for parameter prm: 0, or
 * -1 with the reason; *as_sent: answer on the address as sent. */
static int request_args(const jm_param_t *prm, jm_req_t *r, const char *types, lo_arg **argv,
                        int argc, const char **why, int *as_sent)
{
    *as_sent = 0;
    if (r->kind == JM_REQ_TOUCH) {
        r->iarg = types[0] == 'T' || (types[0] == 'i' && argv[0]->i != 0) ||
                  (types[0] == 'f' && argv[0]->f >= 0.5f);
    } else if (r->kind == JM_REQ_RAMP) {
        float secs;
        if (arg_value(prm->def, r->norm, types[0], argv[0], &r->value, why) ||
            arg_value(prm->def, 0, types[1], argv[1], &secs, why))
            return -1;
        if (secs < 0.0f || secs > 3600.0f) {
            *why = "ramp time must be 0..3600 seconds";
            return -1;
        }
        r->aux = secs;
    } else if (argc) {
        *as_sent = 1;
        if (arg_value(prm->def, r->norm, types[0], argv[0], &r->value, why)) return -1;
        if (r->dialect == JM_X32_ON) r->value = r->value >= 0.5f ? 0.0f : 1.0f; /* on = !mute */
    }
    return 0;
}

/* The most answers one pattern query draws (docs/security.md). */
#define JM_PATTERN_QUERY_MAX 16

/* path: the native address to act on; sent: the address to answer on (an
 * alias or X32 address as it was sent); x32: JM_X32_* kind or 0. */
static void param_message(jm_osc_parser_t *p, const char *path, const char *sent,
                          const char *types, lo_arg **argv, int argc, int x32)
{
    char base[JM_PATH_MAX * 2];
    int kind, norm;
    if (address_kind(p, path, base, types, argc, &kind, &norm)) return;
    int pattern = strpbrk(base, "*?[{") != NULL;
    size_t n_hits = 0;
    if (pattern) {
        /* every match first: over the budget, nothing of this message is done */
        for (size_t i = 0; i < p->ps->n; i++) {
            int m = jm_osc_match(base, p->ps->p[i].path, &p->budget);
            if (m == 0) m = jm_osc_match(base, p->ps->p[i].name_path, &p->budget);
            if (m < 0) {
                p->over = 1;
                reply_error(p, sent, "too much work");
                return;
            }
            if (m) p->hits[n_hits++] = (int32_t)i;
        }
    } else {
        int idx = jm_params_find(p->ps, base);
        if (idx >= 0) p->hits[n_hits++] = idx;
    }
    int found = 0;
    for (size_t k = 0; k < n_hits; k++) {
        size_t i = (size_t)p->hits[k];
        const jm_param_t *prm = &p->ps->p[i];
        if (norm && jm_param_is_bool(prm->def)) {
            /* switches have no /norm twin */
            if (!pattern) break;
            continue;
        }
        jm_req_t r = {.kind = (uint8_t)(kind ? kind : argc ? JM_REQ_SET : JM_REQ_QUERY),
                      .norm = (uint8_t)norm, .dialect = (uint8_t)x32, .param = (int32_t)i};
        const char *why = NULL;
        int as_sent;
        if (request_args(prm, &r, types, argv, argc, &why, &as_sent)) {
            reply_error(p, as_sent ? sent : path, why);
            return; /* nothing changes, not even the other matches */
        }
        /* A pattern is answered on each concrete address; a plain address
         * exactly as it was sent. */
        if (pattern) snprintf(r.path, sizeof r.path, "%s%s", prm->path, norm ? "/norm" : "");
        else snprintf(r.path, sizeof r.path, "%s", sent);
        if (pattern && r.kind == JM_REQ_QUERY && found == JM_PATTERN_QUERY_MAX) {
            /* each answer is a datagram to a source that may be forged */
            reply_error(p, sent, "a pattern query answers at most 16 parameters (see /params)");
            break;
        }
        post(p, &r);
        found++;
        if (!pattern) break;
    }
    if (!found) reply_error(p, sent, pattern ? "no parameter matches" : "no such parameter");
}

/* The commands that are not a parameter address: one table from the
 * address to its request kind and to the function that checks its
 * arguments and posts the request. */
typedef struct command command_t;
typedef void command_fn(jm_osc_parser_t *p, const command_t *cmd, const char *path,
                        const char *types, lo_arg **argv, int argc);
struct command {
    const char *path;
    int kind;
    /* named_cmd's argument types: leading 's' required; "s?" an optional
     * number after them, "?s" an optional string; NULL: parse checks */
    const char *sig;
    command_fn *parse;
};

/* /info, /stats: no arguments (/stats carries the OSC counters). */
static void no_args(jm_osc_parser_t *p, const command_t *cmd, const char *path,
                    const char *types, lo_arg **argv, int argc)
{
    (void)types;
    (void)argv;
    if (argc) { reply_error(p, path, "takes no arguments"); return; }
    post_simple(p, cmd->kind, path);
}

/* /params [s:prefix [i:offset]]: one page from the offset-th match. */
static void params_cmd(jm_osc_parser_t *p, const command_t *cmd, const char *path,
                       const char *types, lo_arg **argv, int argc)
{
    jm_req_t r = {.kind = (uint8_t)cmd->kind, .param = -1};
    if (argc > 2 || (argc >= 1 && types[0] != 's')) {
        reply_error(p, path, "expected an optional prefix string");
        return;
    }
    if (argc == 2 && (types[1] != 'i' || argv[1]->i < 0)) {
        reply_error(p, path, "expected i:offset after the prefix");
        return;
    }
    if (argc) snprintf(r.sarg, sizeof r.sarg, "%s", &argv[0]->s);
    if (argc == 2) r.iarg = argv[1]->i;
    snprintf(r.path, sizeof r.path, "%s", path);
    post(p, &r);
}

/* /strips, /automation/list, /snapshot/list: [i:offset] (a page) */
static void offset_cmd(jm_osc_parser_t *p, const command_t *cmd, const char *path,
                       const char *types, lo_arg **argv, int argc)
{
    jm_req_t r = {.kind = (uint8_t)cmd->kind, .param = -1};
    if (argc > 1 || (argc == 1 && (types[0] != 'i' || argv[0]->i < 0))) {
        reply_error(p, path, "expected [i:offset]");
        return;
    }
    if (argc) r.iarg = argv[0]->i;
    snprintf(r.path, sizeof r.path, "%s", path);
    post(p, &r);
}

/* /subscribe/confirm i:token */
static void confirm_cmd(jm_osc_parser_t *p, const command_t *cmd, const char *path,
                        const char *types, lo_arg **argv, int argc)
{
    jm_req_t r = {.kind = (uint8_t)cmd->kind, .param = -1};
    if (argc != 1 || types[0] != 'i') {
        reply_error(p, path, "expected i:token");
        return;
    }
    r.iarg = argv[0]->i;
    snprintf(r.path, sizeof r.path, "%s", path);
    post(p, &r);
}

/* /subscribe and /unsubscribe [i:port] [s:units|norm] */
static void subscribe_cmd(jm_osc_parser_t *p, const command_t *cmd, const char *path,
                          const char *types, lo_arg **argv, int argc)
{
    jm_req_t r = {.kind = (uint8_t)cmd->kind, .param = -1};
    snprintf(r.sarg, sizeof r.sarg, "units");
    for (int k = 0; k < argc; k++) {
        if (types[k] == 'i' && argv[k]->i > 0 && argv[k]->i < 65536) r.iarg = argv[k]->i;
        else if (types[k] == 's' && (!strcmp(&argv[k]->s, "norm") || !strcmp(&argv[k]->s, "units")))
            snprintf(r.sarg, sizeof r.sarg, "%s", &argv[k]->s);
        else {
            reply_error(p, path, "expected [i:port] [s:units|norm]");
            return;
        }
    }
    /* feedback to one of the console's own sockets would loop back in */
    struct sockaddr_in to = p->src;
    if (r.iarg) to.sin_port = htons((uint16_t)r.iarg);
    if (p->self && jm_self_is(p->self, &to)) {
        p->rejected++;
        return;
    }
    snprintf(r.path, sizeof r.path, "%s", path);
    post(p, &r);
}

/* The types match cmd->sig: its leading strings, then what '?' allows. */
static int sig_ok(const char *sig, const char *types, int argc)
{
    int need = (int)strspn(sig, "s");
    int ok = argc >= need;
    for (int a = 0; ok && a < need; a++) ok = types[a] == 's';
    if (ok && argc > need) {
        /* "s?": an optional number; "?s": an optional string */
        ok = argc == need + 1 && strchr(sig, '?') &&
             (sig[0] == '?' ? types[need] == 's' : strchr("ifd", types[need]) != NULL);
    }
    return ok;
}

/* Commands with string arguments: automation lanes, snapshots, session,
 * recorder, loudness. */
static void named_cmd(jm_osc_parser_t *p, const command_t *cmd, const char *path,
                      const char *types, lo_arg **argv, int argc)
{
    jm_req_t r = {.kind = (uint8_t)cmd->kind, .param = -1};
    snprintf(r.path, sizeof r.path, "%s", path);
    if (!sig_ok(cmd->sig, types, argc)) { reply_error(p, path, "wrong arguments"); return; }
    int need = (int)strspn(cmd->sig, "s");
    if (cmd->kind == JM_REQ_SESSION_SAVE || cmd->kind == JM_REQ_REC_START) {
        if (argc) snprintf(r.sarg, sizeof r.sarg, "%s", &argv[0]->s);
    } else if (cmd->kind == JM_REQ_AUTO_MODE || cmd->kind == JM_REQ_AUTO_CLEAR) {
        r.param = jm_params_find(p->ps, &argv[0]->s);
        if (r.param < 0) { reply_error(p, path, "no such parameter"); return; }
        if (cmd->kind == JM_REQ_AUTO_MODE) {
            r.iarg = jm_automode_parse(&argv[1]->s);
            if (r.iarg < 0) { reply_error(p, path, "mode is off, read, write, touch or latch"); return; }
        }
    } else if (need) {
        const char *name = &argv[0]->s;
        if (!*name || strlen(name) >= sizeof r.sarg || strpbrk(name, " \t\n/")) {
            reply_error(p, path, "bad snapshot name");
            return;
        }
        snprintf(r.sarg, sizeof r.sarg, "%s", name);
        if (argc > 1) {
            double v = types[1] == 'i' ? argv[1]->i : types[1] == 'f' ? argv[1]->f : argv[1]->d;
            if (!(v >= 0.0 && v <= 3600.0)) { reply_error(p, path, "fade must be 0..3600 s"); return; }
            r.aux = (float)v;
        }
    }
    post(p, &r);
}

static const command_t commands[] = {
    {"/info", JM_REQ_INFO, NULL, no_args},
    {"/strips", JM_REQ_STRIPS, NULL, offset_cmd},
    {"/stats", JM_REQ_STATS, NULL, no_args},
    {"/params", JM_REQ_PARAMS, NULL, params_cmd},
    {"/subscribe", JM_REQ_SUBSCRIBE, NULL, subscribe_cmd},
    {"/subscribe/confirm", JM_REQ_SUBSCRIBE_CONFIRM, NULL, confirm_cmd},
    {"/unsubscribe", JM_REQ_UNSUBSCRIBE, NULL, subscribe_cmd},
    {"/automation/mode", JM_REQ_AUTO_MODE, "ss", named_cmd},
    {"/automation/clear", JM_REQ_AUTO_CLEAR, "s", named_cmd},
    {"/automation/list", JM_REQ_AUTO_LIST, NULL, offset_cmd},
    {"/snapshot/save", JM_REQ_SNAP_SAVE, "s", named_cmd},
    {"/snapshot/recall", JM_REQ_SNAP_RECALL, "s?", named_cmd},
    {"/snapshot/delete", JM_REQ_SNAP_DELETE, "s", named_cmd},
    {"/snapshot/list", JM_REQ_SNAP_LIST, NULL, offset_cmd},
    {"/session/save", JM_REQ_SESSION_SAVE, "?s", named_cmd},
    {"/record/start", JM_REQ_REC_START, "?s", named_cmd},
    {"/record/stop", JM_REQ_REC_STOP, "", named_cmd},
    {"/record/status", JM_REQ_REC_STATUS, "", named_cmd},
    {"/loudness/reset", JM_REQ_LOUD_RESET, "", named_cmd},
};

/* Folders that hold only commands: any other address in them is unknown
 * (never a parameter pattern). */
static const char *const command_folders[] = {"/automation/", "/snapshot/", "/record/"};

/* 1 when path is a command (handled, or answered with /error). */
static int command(jm_osc_parser_t *p, const char *path, const char *types, lo_arg **argv,
                   int argc)
{
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++) {
        if (strcmp(path, commands[k].path)) continue;
        commands[k].parse(p, &commands[k], path, types, argv, argc);
        return 1;
    }
    for (size_t k = 0; k < sizeof command_folders / sizeof command_folders[0]; k++) {
        if (strncmp(path, command_folders[k], strlen(command_folders[k]))) continue;
        reply_error(p, path, "unknown address");
        return 1;
    }
    return 0;
}

static void send_direct(jm_osc_parser_t *p, const char *path, lo_message m)
{
    unsigned char buf[1024];
    size_t size = sizeof buf;
    if (may_answer(p) && lo_message_length(m, path) <= sizeof buf) {
        lo_message_serialise(m, path, buf, &size);
        sendto(p->reply_fd, buf, size, MSG_DONTWAIT, (struct sockaddr *)&p->src, sizeof p->src);
    }
    lo_message_free(m);
}

/* The X32 port: X32's own addresses and argument types; unknown addresses
 * are ignored, as an X32 does. */
static void x32_message(jm_osc_parser_t *p, const char *path, const char *types, lo_arg **argv,
                        int argc)
{
    char native[JM_PATH_MAX + 8];
    int kind = jm_x32_to_native(p->s, path, native, sizeof native);
    if (kind) {
        if (argc == 1 && types[0] != (kind == JM_X32_ON ? 'i' : 'f')) return; /* X32's exact types */
        param_message(p, native, path, types, argv, argc, kind);
        return;
    }
    /* X32's own answers to these carry arguments: never answer an answer */
    if (argc) return;
    if (!strcmp(path, "/xremote")) {
        jm_req_t r = {.kind = JM_REQ_SUBSCRIBE, .dialect = JM_X32_FLOAT, .param = -1};
        snprintf(r.sarg, sizeof r.sarg, "x32");
        snprintf(r.path, sizeof r.path, "%s", path);
        post(p, &r);
    } else if (!strcmp(path, "/info")) {
        lo_message m = lo_message_new();
        lo_message_add_string(m, JM_X32_VERSION);
        lo_message_add_string(m, "jmixd");
        lo_message_add_string(m, JM_X32_MODEL);
        lo_message_add_string(m, JM_X32_CONSOLE_VERSION);
        send_direct(p, "/info", m);
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
        send_direct(p, "/status", m);
    } else if (!strncmp(path, "/ch/", 4) && strlen(path) == 18 && !strcmp(path + 6, "/config/name")) {
        int ch = (path[4] - '0') * 10 + (path[5] - '0');
        if (ch < 1 || ch > JM_X32_STRIPS || ch > p->s->n_strips) return;
        (void)argv;
        lo_message m = lo_message_new(); /* names belong to the session: answer with it */
        lo_message_add_string(m, p->s->strips[ch - 1].name);
        send_direct(p, path, m);
    }
}

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
                                       "/snapshot/list/end"};
    static const char *const answered[] = {"/info", "/stats", "/record/status"};
    for (size_t k = 0; k < sizeof only / sizeof only[0]; k++)
        if (!strcmp(path, only[k])) return 1;
    if (!strncmp(path, "/meter/", 7)) return 1;
    for (size_t k = 0; argc && k < sizeof answered / sizeof answered[0]; k++)
        if (!strcmp(path, answered[k])) return 1;
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
        x32_message(p, path, types, argv, argc);
        return;
    }
    if (p->nsm) {
        /* the session manager: save; its replies and notices need nothing */
        if (!strcmp(path, "/nsm/client/save")) {
            jm_req_t r = {.kind = JM_REQ_SESSION_SAVE, .param = -1, .iarg = 1};
            snprintf(r.path, sizeof r.path, "%s", path);
            post(p, &r);
        }
        return;
    }
    if (is_reply(path, types, argc)) {
        p->rejected++; /* dropped silently: counted, never answered */
        return;
    }
    /* an alias acts on its parameter; from/z is its touch */
    for (int k = 0; k < p->s->n_aliases; k++) {
        const jm_alias_t *a = &p->s->aliases[k];
        size_t fl = strlen(a->from);
        if (strncmp(path, a->from, fl)) continue;
        if (!path[fl]) {
            param_message(p, a->to, path, types, argv, argc, 0);
            return;
        }
        if (!strcmp(path + fl, "/z")) {
            char touch[JM_PATH_MAX + 16];
            snprintf(touch, sizeof touch, "%s/touch", p->s->params.p[a->param].path);
            param_message(p, touch, path, types, argv, argc, 0);
            return;
        }
    }

    if (command(p, path, types, argv, argc)) return;
    if (!strncmp(path, "/strip/", 7) || !strncmp(path, "/bus/", 5) ||
        !strncmp(path, "/master/", 8) || !strncmp(path, "/monitor/", 9) || strpbrk(path, "*?[{")) {
        param_message(p, path, path, types, argv, argc, 0);
        return;
    }
    reply_error(p, path, "unknown address");
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
    /* liblo copies what it deserialises; nothing here writes to data */
    p->timetag = 1;
    p->budget = WORK_BUDGET;
    p->over = 0;
    feed(p, (unsigned char *)(uintptr_t)data, len, 0);
}

/* What is waiting on one socket, but never for long: a flood (or a loop)
 * must not keep the thread from its stop flag or its other sockets. */
static void drain(jm_osc_t *o, int fd, jm_osc_parser_t *parser)
{
    double until = now_s() + DRAIN_SECONDS;
    for (int k = 0; k < DRAIN_MAX && !atomic_load(&o->stop); k++) {
        if (k && !(k & 15) && now_s() > until) break;
        struct sockaddr_in src;
        socklen_t sl = sizeof src;
        ssize_t n = recvfrom(fd, o->buf, sizeof o->buf, MSG_DONTWAIT, (struct sockaddr *)&src, &sl);
        if (n < 0) break;
        parser->posted = 0;
        jm_osc_parser_feed(parser, o->buf, (size_t)n, ntohl(src.sin_addr.s_addr),
                           ntohs(src.sin_port));
        if (parser->posted) jm_control_wake(o->ctl);
    }
}

static void *osc_main(void *arg)
{
    jm_osc_t *o = arg;
    while (!atomic_load(&o->stop)) {
        jm_control_osc_beat(o->ctl); /* the watchdog is fed while this loop turns */
        struct pollfd pf[3] = {{.fd = o->sock, .events = POLLIN},
                               {.fd = o->x32_sock, .events = POLLIN},
                               {.fd = o->nsm_sock, .events = POLLIN}};
        if (poll(pf, 3, 100) <= 0) continue; /* negative fds are ignored by poll */
        if (pf[0].revents & POLLIN) drain(o, o->sock, o->parser);
        if (o->x32_sock >= 0 && (pf[1].revents & POLLIN)) drain(o, o->x32_sock, o->x32_parser);
        if (o->nsm_sock >= 0 && (pf[2].revents & POLLIN)) drain(o, o->nsm_sock, o->nsm_parser);
    }
    return NULL;
}

static int bind_udp(const char *bind_addr, int port, char *err, size_t errlen)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (fd < 0 || inet_pton(AF_INET, bind_addr, &a.sin_addr) != 1 ||
        bind(fd, (struct sockaddr *)&a, sizeof a)) {
        snprintf(err, errlen, "cannot listen for OSC on %s:%d: %s", bind_addr, port,
                 strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    int rcv = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    return fd;
}

jm_osc_t *jm_osc_start(const jm_session_t *s, const char *bind_addr, int port, int nsm_fd,
                       jm_control_t *ctl, const jm_log_t *log, char *err, size_t errlen)
{
    jm_osc_t *o = calloc(1, sizeof *o);
    if (!o) { snprintf(err, errlen, "out of memory"); return NULL; }
    o->s = s;
    o->ctl = ctl;
    o->log = log;
    o->x32_sock = -1;
    o->nsm_sock = nsm_fd;
    o->sock = bind_udp(bind_addr, port, err, errlen);
    if (o->sock < 0) { free(o); return NULL; }
    if (s->x32_port) {
        o->x32_sock = bind_udp(bind_addr, s->x32_port, err, errlen);
        if (o->x32_sock < 0) { close(o->sock); free(o); return NULL; }
    }
    jm_self_add_fd(&o->self, o->sock);
    jm_self_add_fd(&o->self, o->x32_sock);
    jm_self_add_fd(&o->self, o->nsm_sock);
    o->parser = jm_osc_parser_new(s, jm_control_requests(ctl), o->sock, log);
    if (o->parser) o->parser->self = &o->self;
    if (o->x32_sock >= 0) {
        o->x32_parser = jm_osc_parser_new(s, jm_control_requests(ctl), o->x32_sock, log);
        if (o->x32_parser) {
            o->x32_parser->x32 = 1;
            o->x32_parser->self = &o->self;
        }
    }
    if (o->nsm_sock >= 0) {
        o->nsm_parser = jm_osc_parser_new(s, jm_control_requests(ctl), -1, log);
        if (o->nsm_parser) o->nsm_parser->nsm = 1;
    }
    if (!o->parser || (o->x32_sock >= 0 && !o->x32_parser) ||
        (o->nsm_sock >= 0 && !o->nsm_parser) ||
        pthread_create(&o->thread, NULL, osc_main, o)) {
        snprintf(err, errlen, "cannot start the OSC thread");
        jm_osc_parser_free(o->parser);
        jm_osc_parser_free(o->x32_parser);
        jm_osc_parser_free(o->nsm_parser);
        close(o->sock);
        if (o->x32_sock >= 0) close(o->x32_sock);
        free(o);
        return NULL;
    }
    jm_log(log, JM_LOG_INFO, "OSC on udp %s:%d", bind_addr, port);
    if (o->x32_sock >= 0) jm_log(log, JM_LOG_INFO, "X32 dialect on udp %s:%d", bind_addr, s->x32_port);
    return o;
}

int jm_osc_socket(const jm_osc_t *o) { return o->sock; }
int jm_osc_x32_socket(const jm_osc_t *o) { return o->x32_sock; }

void jm_osc_stop(jm_osc_t *o)
{
    if (!o) return;
    atomic_store(&o->stop, true);
    pthread_join(o->thread, NULL);
    jm_osc_parser_free(o->parser);
    jm_osc_parser_free(o->x32_parser);
    jm_osc_parser_free(o->nsm_parser); /* the NSM socket belongs to main */
    close(o->sock);
    if (o->x32_sock >= 0) close(o->x32_sock);
    free(o);
}
