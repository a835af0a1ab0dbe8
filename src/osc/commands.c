#include "osc_int.h"

#include "jmixd/control/automation.h"
#include "jmixd/control/dump.h"

#include "jmixd/dsp/rta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (argc) { jm_osc_reply_error(p, path, "takes no arguments"); return; }
    jm_osc_post_simple(p, cmd->kind, path);
}

/* /params [s:prefix [i:offset]]: one page from the offset-th match. */
static void params_cmd(jm_osc_parser_t *p, const command_t *cmd, const char *path,
                       const char *types, lo_arg **argv, int argc)
{
    jm_req_t r = {.kind = (uint8_t)cmd->kind, .param = -1};
    if (argc > 2 || (argc >= 1 && types[0] != 's')) {
        jm_osc_reply_error(p, path, "expected an optional prefix string");
        return;
    }
    if (argc == 2 && (types[1] != 'i' || argv[1]->i < 0)) {
        jm_osc_reply_error(p, path, "expected i:offset after the prefix");
        return;
    }
    if (argc) snprintf(r.sarg, sizeof r.sarg, "%s", &argv[0]->s);
    if (argc == 2) r.iarg = argv[1]->i;
    snprintf(r.path, sizeof r.path, "%s", path);
    jm_osc_post(p, &r);
}

/* /strips, /automation/list, /snapshot/list: [i:offset] (a page) */
static void offset_cmd(jm_osc_parser_t *p, const command_t *cmd, const char *path,
                       const char *types, lo_arg **argv, int argc)
{
    jm_req_t r = {.kind = (uint8_t)cmd->kind, .param = -1};
    if (argc > 1 || (argc == 1 && (types[0] != 'i' || argv[0]->i < 0))) {
        jm_osc_reply_error(p, path, "expected [i:offset]");
        return;
    }
    if (argc) r.iarg = argv[0]->i;
    snprintf(r.path, sizeof r.path, "%s", path);
    jm_osc_post(p, &r);
}

/* /dump [s:prefix] [s:units|norm]: the state dump to the sender. */
static void dump_cmd(jm_osc_parser_t *p, const command_t *cmd, const char *path,
                     const char *types, lo_arg **argv, int argc)
{
    jm_req_t r = {.kind = (uint8_t)cmd->kind, .param = -1};
    if (argc > 2 || strspn(types, "s") != (size_t)argc ||
        (argc == 2 && strcmp(&argv[1]->s, "units") && strcmp(&argv[1]->s, "norm"))) {
        jm_osc_reply_error(p, path, "expected [s:prefix] [s:units|norm]");
        return;
    }
    /* it answers in bulk: never towards one of the console's own sockets */
    if (!jm_osc_may_answer(p)) {
        p->rejected++;
        return;
    }
    if (argc) snprintf(r.sarg, sizeof r.sarg, "%s", &argv[0]->s);
    if (argc == 2) r.iarg = strcmp(&argv[1]->s, "norm") ? JM_DUMP_UNITS : JM_DUMP_NORM;
    snprintf(r.path, sizeof r.path, "%s", path);
    jm_osc_post(p, &r);
}

/* /subscribe/confirm i:token */
static void confirm_cmd(jm_osc_parser_t *p, const command_t *cmd, const char *path,
                        const char *types, lo_arg **argv, int argc)
{
    jm_req_t r = {.kind = (uint8_t)cmd->kind, .param = -1};
    if (argc != 1 || types[0] != 'i') {
        jm_osc_reply_error(p, path, "expected i:token");
        return;
    }
    r.iarg = argv[0]->i;
    snprintf(r.path, sizeof r.path, "%s", path);
    jm_osc_post(p, &r);
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
            jm_osc_reply_error(p, path, "expected [i:port] [s:units|norm]");
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
    /* the control thread filters a performer's lease by its bus */
    if (cmd->kind == JM_REQ_SUBSCRIBE) r.param = jm_osc_perm_bus(p);
    snprintf(r.path, sizeof r.path, "%s", path);
    jm_osc_post(p, &r);
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
    if (!sig_ok(cmd->sig, types, argc)) { jm_osc_reply_error(p, path, "wrong arguments"); return; }
    int need = (int)strspn(cmd->sig, "s");
    if (cmd->kind == JM_REQ_SESSION_SAVE || cmd->kind == JM_REQ_REC_START ||
        cmd->kind == JM_REQ_MT_START) {
        if (argc) snprintf(r.sarg, sizeof r.sarg, "%s", &argv[0]->s);
    } else if (cmd->kind == JM_REQ_AUTO_MODE || cmd->kind == JM_REQ_AUTO_CLEAR) {
        r.param = jm_params_find(p->ps, &argv[0]->s);
        if (r.param < 0) { jm_osc_reply_error(p, path, "no such parameter"); return; }
        if (cmd->kind == JM_REQ_AUTO_MODE) {
            r.iarg = jm_automode_parse(&argv[1]->s);
            if (r.iarg < 0) { jm_osc_reply_error(p, path, "mode is off, read, write, touch or latch"); return; }
        }
    } else if (need) {
        const char *name = &argv[0]->s;
        if (!*name || strlen(name) >= sizeof r.sarg || strpbrk(name, " \t\n/")) {
            jm_osc_reply_error(p, path, "bad snapshot name");
            return;
        }
        snprintf(r.sarg, sizeof r.sarg, "%s", name);
        if (argc > 1) {
            double v = types[1] == 'i' ? argv[1]->i : types[1] == 'f' ? argv[1]->f : argv[1]->d;
            if (!(v >= 0.0 && v <= 3600.0)) { jm_osc_reply_error(p, path, "fade must be 0..3600 s"); return; }
            r.aux = (float)v;
        }
    }
    jm_osc_post(p, &r);
}

/* s:name or s:N (1-based) among n names; the 0-based index or -1. */
static int index_of(const char *arg, const char *name0, size_t stride, int n)
{
    if (*arg >= '1' && *arg <= '9' && strspn(arg, "0123456789") == strlen(arg) && strlen(arg) < 6) {
        int k = atoi(arg);
        return k <= n ? k - 1 : -1;
    }
    for (int k = 0; k < n; k++)
        if (!strcmp(arg, name0 + (size_t)k * stride)) return k;
    return -1;
}

/* /rta/source [s:off|master|strip/N|bus/N] (N: 1-based index or name);
 * without an argument a query. Engineers only (the performer gate refuses
 * it: it is not among its free commands). */
static void rta_cmd(jm_osc_parser_t *p, const command_t *cmd, const char *path,
                    const char *types, lo_arg **argv, int argc)
{
    jm_req_t r = {.kind = (uint8_t)cmd->kind, .param = -1, .iarg = -1};
    snprintf(r.path, sizeof r.path, "%s", path);
    if (argc > 1 || (argc == 1 && types[0] != 's')) {
        jm_osc_reply_error(p, path, "expected [s:off|master|strip/N|bus/N]");
        return;
    }
    if (argc == 1) {
        const char *a = &argv[0]->s;
        const jm_session_t *s = p->s;
        int idx = 0;
        if (!strcmp(a, "off")) r.iarg = JM_RTA_SRC_OFF;
        else if (!strcmp(a, "master")) r.iarg = JM_RTA_SRC_MASTER;
        else if (!strncmp(a, "strip/", 6) && s->n_strips > 0 &&
                 (idx = index_of(a + 6, s->strips[0].name, sizeof s->strips[0], s->n_strips)) >= 0)
            r.iarg = JM_RTA_SRC_STRIP;
        else if (!strncmp(a, "bus/", 4) && s->n_buses > 0 &&
                 (idx = index_of(a + 4, s->buses[0].name, sizeof s->buses[0], s->n_buses)) >= 0)
            r.iarg = JM_RTA_SRC_BUS;
        else {
            jm_osc_reply_error(p, path, "no such source: off, master, strip/N or bus/N");
            return;
        }
        r.param = r.iarg == JM_RTA_SRC_STRIP || r.iarg == JM_RTA_SRC_BUS ? idx : 0;
    }
    jm_osc_post(p, &r);
}

/* /midi/learn s:PATH|off, /midi/unlearn s:PATH, /midi/map (docs/midi.md).
 * Engineers only (not among a performer's free commands). */
static void midi_cmd(jm_osc_parser_t *p, const command_t *cmd, const char *path,
                     const char *types, lo_arg **argv, int argc)
{
    jm_req_t r = {.kind = (uint8_t)cmd->kind, .param = -1};
    snprintf(r.path, sizeof r.path, "%s", path);
    if (cmd->kind == JM_REQ_MIDI_MAP) {
        if (argc) { jm_osc_reply_error(p, path, "takes no arguments"); return; }
    } else {
        if (argc != 1 || types[0] != 's') { jm_osc_reply_error(p, path, "expected s:path"); return; }
        const char *a = &argv[0]->s;
        if (cmd->kind == JM_REQ_MIDI_LEARN && !strcmp(a, "off")) {
            r.param = -1;
        } else if ((r.param = jm_params_find(p->ps, a)) < 0) {
            jm_osc_reply_error(p, path, "no such parameter");
            return;
        }
    }
    /* it answers (a list for /midi/map): never towards the console's own sockets */
    if (!jm_osc_may_answer(p)) {
        p->rejected++;
        return;
    }
    jm_osc_post(p, &r);
}

/* /playback/load s:take, /playback/play, /playback/stop, /playback/locate
 * f:seconds, /playback/loop i:0|1, /playback/status (docs/osc.md,
 * "Virtual soundcheck"). */
static void playback_cmd(jm_osc_parser_t *p, const command_t *cmd, const char *path,
                         const char *types, lo_arg **argv, int argc)
{
    jm_req_t r = {.kind = (uint8_t)cmd->kind, .param = -1};
    snprintf(r.path, sizeof r.path, "%s", path);
    if (cmd->kind == JM_REQ_PB_LOAD) {
        if (argc != 1 || types[0] != 's') { jm_osc_reply_error(p, path, "expected s:take"); return; }
        snprintf(r.sarg, sizeof r.sarg, "%s", &argv[0]->s);
    } else if (cmd->kind == JM_REQ_PB_LOCATE || cmd->kind == JM_REQ_PB_LOOP) {
        if (argc != 1 || !strchr("ifd", types[0])) {
            jm_osc_reply_error(p, path, cmd->kind == JM_REQ_PB_LOOP ? "expected i:0|1" : "expected f:seconds");
            return;
        }
        double v = types[0] == 'i' ? argv[0]->i : types[0] == 'f' ? argv[0]->f : argv[0]->d;
        if (!(v >= 0.0 && v <= 1e7)) { jm_osc_reply_error(p, path, "out of range"); return; }
        r.value = (float)v;
        r.iarg = v >= 0.5;
    } else {
        if (argc) { jm_osc_reply_error(p, path, "takes no arguments"); return; }
        r.iarg = !strcmp(path, "/playback/play");
    }
    jm_osc_post(p, &r);
}

static const command_t commands[] = {
    {"/info", JM_REQ_INFO, NULL, no_args},
    {"/strips", JM_REQ_STRIPS, NULL, offset_cmd},
    {"/stats", JM_REQ_STATS, NULL, no_args},
    {"/stats/64", JM_REQ_STATS, NULL, no_args},
    {"/dump", JM_REQ_DUMP, NULL, dump_cmd},
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
    {"/record/multitrack/start", JM_REQ_MT_START, "?s", named_cmd},
    {"/record/multitrack/stop", JM_REQ_MT_STOP, "", named_cmd},
    {"/record/multitrack/status", JM_REQ_MT_STATUS, "", named_cmd},
    {"/loudness/reset", JM_REQ_LOUD_RESET, "", named_cmd},
    {"/playback/load", JM_REQ_PB_LOAD, NULL, playback_cmd},
    {"/playback/play", JM_REQ_PB_PLAY, NULL, playback_cmd},
    {"/playback/stop", JM_REQ_PB_PLAY, NULL, playback_cmd},
    {"/playback/locate", JM_REQ_PB_LOCATE, NULL, playback_cmd},
    {"/playback/loop", JM_REQ_PB_LOOP, NULL, playback_cmd},
    {"/playback/status", JM_REQ_PB_STATUS, NULL, playback_cmd},
    {"/rta/source", JM_REQ_RTA_SOURCE, NULL, rta_cmd},
    {"/midi/learn", JM_REQ_MIDI_LEARN, NULL, midi_cmd},
    {"/midi/unlearn", JM_REQ_MIDI_UNLEARN, NULL, midi_cmd},
    {"/midi/map", JM_REQ_MIDI_MAP, NULL, midi_cmd},
};

/* Folders that hold only commands: any other address in them is unknown
 * (never a parameter pattern). */
static const char *const command_folders[] = {"/automation/", "/snapshot/", "/record/", "/rta/",
                                              "/midi/", "/playback/"};

/* 1 when path is a command (handled, or answered with /error). */
int jm_osc_command(jm_osc_parser_t *p, const char *path, const char *types, lo_arg **argv,
                   int argc)
{
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++) {
        if (strcmp(path, commands[k].path)) continue;
        commands[k].parse(p, &commands[k], path, types, argv, argc);
        return 1;
    }
    for (size_t k = 0; k < sizeof command_folders / sizeof command_folders[0]; k++) {
        if (strncmp(path, command_folders[k], strlen(command_folders[k]))) continue;
        jm_osc_reply_error(p, path, "unknown address");
        return 1;
    }
    return 0;
}
