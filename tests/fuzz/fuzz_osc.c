/* libFuzzer target: the OSC dispatch and validation path (docs/osc.md, docs/operations.md).
 *
 * One input = one UDP datagram handed to the socket-free parser, exactly as
 * the OSC thread hands it over, except for the first byte, which selects the
 * way in: bit 0 the X32 dialect's parser, bit 1 a source outside osc.allow,
 * bit 2 a performer-only source (127.0.0.2: in osc.allow, not in
 * osc.engineers; its replies are not read back).
 * Besides the sanitizers (ASan, UBSan, leaks), every input must keep these
 * properties, which the control thread relies on without checking again:
 *   - every posted request has a known kind, NUL-terminated strings, a
 *     parameter index inside the set where it needs one, finite values,
 *     ramp and fade times in 0..3600 s, a touch flag 0/1, a lane mode,
 *     a /norm only on continuous parameters, a dialect only from the X32 port;
 *   - a denied source gets nothing posted and nothing sent back;
 *   - a performer-only source (which may log in within its datagram) gets
 *     posted only what a performer of one of the session's buses may do
 *     (docs/osc.md, "Performers"), and nothing at all on the X32 port;
 *   - every reply the parser sends itself (/error, X32 /info, /status...) is
 *     a well-formed OSC message;
 *   - a request is posted only for a datagram that holds a message that
 *     starts with '/'.
 * The parser's private header (src/osc/osc_int.h) lets the fuzzer make the
 * X32 parser without a socket or a control thread. */
#include "../../src/osc/osc_int.h"

#include "jmixd/control/dump.h"
#include "jmixd/control/x32.h"
#include "jmixd/control/x32meters.h"
#include "jmixd/dsp/rta.h"

#include "jmixd/util/queue.h"
#include "jmixd/session/session.h"

#include <fcntl.h>
#include <lo/lo.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* jm_osc_start's socket side needs a control thread; never called here. */
jm_queue_t *jm_control_requests(jm_control_t *c)
{
    (void)c;
    abort();
}
void jm_control_wake(jm_control_t *c) { (void)c; }
void jm_control_osc_beat(jm_control_t *c) { (void)c; }

static const char SESSION[] =
    "jack = { name = \"fz\"; };\n"
    "osc = { allow = [ \"127.0.0.0/8\", \"10.0.0.0/8\" ]; engineers = [ \"127.0.0.1/32\" ]; };\n"
    "strips = (\n"
    "  { name = \"kick\"; input = [ ]; fader = -3.0; },\n"
    "  { name = \"snare\"; input = [ ]; pan = 0.25; },\n"
    "  { name = \"keys\"; channels = 2; input = [ ]; },\n"
    "  { name = \"Vox_lead-2\"; input = [ ]; }\n"
    ");\n"
    "buses = ( { name = \"verb\"; type = \"reverb\"; }, { name = \"echo\"; type = \"delay\"; } );\n"
    "master = { output = [ ]; limiter = { on = true; }; };\n"
    "automation = ( { param = \"/strip/kick/fader\"; mode = \"read\";\n"
    "                 points = ( (0.0, -6.0), (10.0, 0.0) ); } );\n"
    "aliases = ( { from = \"/1/fader1\"; to = \"/strip/1/fader/norm\"; },\n"
    "            { from = \"/1/toggle1\"; to = \"/strip/2/mute\"; },\n"
    "            { from = \"/1/f\"; to = \"/master/fader\"; } );\n"
    "x32 = { port = 10023; };\n"
    "performers = ( { name = \"drummer\"; bus = \"verb\"; pin = \"4711\"; },\n"
    "               { name = \"singer\"; bus = \"echo\"; pin = \"0815\"; } );\n";


static jm_session_t S;
static jm_queue_t Q;
static jm_osc_parser_t *P, *PX;
static int sink = -1, reply = -1;
static uint16_t sink_port;
static const jm_log_t LOG = {.level = -1}; /* silent */

/* A request a performer of some bus may cause (performer.c, param_msg.c). */
static int performer_may(const jm_req_t *r)
{
    switch (r->kind) {
    case JM_REQ_INFO: case JM_REQ_STRIPS: case JM_REQ_SUBSCRIBE: case JM_REQ_SUBSCRIBE_CONFIRM:
    case JM_REQ_UNSUBSCRIBE:
        return 1;
    case JM_REQ_PARAMS: case JM_REQ_DUMP:
        for (int b = 0; b < S.n_buses; b++)
            if (jm_perm_prefix_ok(&S, r->sarg, b)) return 1;
        return 0;
    case JM_REQ_SET: case JM_REQ_QUERY: case JM_REQ_RAMP: case JM_REQ_TOUCH:
        for (int b = 0; b < S.n_buses; b++)
            if (jm_perm_param_ok(&S.params.p[r->param], b)) return 1;
        return 0;
    default:
        return 0;
    }
}

static void die(const char *what)
{
    fprintf(stderr, "fuzz_osc: %s\n", what);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    char dir[] = "/tmp/jmfuzzoscXXXXXX";
    if (!mkdtemp(dir)) die("mkdtemp");
    char path[128];
    snprintf(path, sizeof path, "%s/session.cfg", dir);
    FILE *f = fopen(path, "w");
    if (!f || fputs(SESSION, f) < 0 || fclose(f)) die("cannot write the session");
    char err[JM_ERR_MAX];
    if (jm_session_load(&S, path, err, sizeof err)) {
        fprintf(stderr, "fuzz_osc: %s\n", err);
        abort();
    }
    unlink(path);
    rmdir(dir);
    if (jm_queue_init(&Q, sizeof(jm_req_t), 4096)) die("queue");

    /* replies go from `reply` to 127.0.0.1:sink_port, where they are read
     * back and checked */
    sink = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    reply = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
    socklen_t al = sizeof a;
    if (sink < 0 || reply < 0 || bind(sink, (struct sockaddr *)&a, sizeof a) ||
        getsockname(sink, (struct sockaddr *)&a, &al))
        die("sockets");
    int big = 1 << 22;
    setsockopt(sink, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
    sink_port = ntohs(a.sin_port);

    P = jm_osc_parser_new(&S, &Q, reply, &LOG);
    PX = jm_osc_parser_new(&S, &Q, reply, &LOG);
    if (!P || !PX) die("parser");
    PX->x32 = 1;
    return 0;
}

static int terminated(const char *s, size_t cap) { return memchr(s, '\0', cap) != NULL; }

static int has_param(const jm_req_t *r) { return r->param >= 0 && (size_t)r->param < S.params.n; }

static void check_request(const jm_req_t *r, int x32)
{
    if (!terminated(r->path, sizeof r->path)) die("request path not terminated");
    if (!terminated(r->sarg, sizeof r->sarg)) die("request sarg not terminated");
    if (r->path[0] != '/') die("request path does not start with '/'");
    if (r->dialect > JM_X32_ON || (r->dialect && !x32)) die("dialect from the native port");
    if (r->timetag == 0) die("timetag 0 (reserved) posted");
    const jm_param_def_t *d = has_param(r) ? S.params.p[r->param].def : NULL;
    switch (r->kind) {
    case JM_REQ_SET:
        if (!d) die("SET without a valid parameter");
        if (!isfinite(r->value)) die("SET with a non-finite value");
        if (r->norm && jm_param_is_bool(d)) die("SET /norm on a switch");
        break;
    case JM_REQ_QUERY:
        if (!d) die("QUERY without a valid parameter");
        if (r->norm && jm_param_is_bool(d)) die("QUERY /norm on a switch");
        break;
    case JM_REQ_RAMP:
        if (!d) die("RAMP without a valid parameter");
        if (!isfinite(r->value) || !(r->aux >= 0.0f && r->aux <= 3600.0f)) die("bad RAMP");
        if (r->norm && jm_param_is_bool(d)) die("RAMP /norm on a switch");
        break;
    case JM_REQ_TOUCH:
        if (!d) die("TOUCH without a valid parameter");
        if (r->iarg != 0 && r->iarg != 1) die("TOUCH flag not 0/1");
        break;
    case JM_REQ_AUTO_MODE:
        if (!d) die("AUTO_MODE without a valid parameter");
        if (r->iarg < JM_AUTO_OFF || r->iarg > JM_AUTO_LATCH) die("bad lane mode");
        break;
    case JM_REQ_AUTO_CLEAR:
        if (!d) die("AUTO_CLEAR without a valid parameter");
        break;
    case JM_REQ_SNAP_SAVE:
    case JM_REQ_SNAP_DELETE:
    case JM_REQ_SNAP_RECALL:
        if (!r->sarg[0] || strpbrk(r->sarg, " \t\n/")) die("bad snapshot name posted");
        if (!(r->aux >= 0.0f && r->aux <= 3600.0f)) die("bad snapshot fade");
        break;
    case JM_REQ_SUBSCRIBE:
    case JM_REQ_UNSUBSCRIBE:
        if (r->iarg < 0 || r->iarg > 65535) die("bad subscribe port");
        if (strcmp(r->sarg, "units") && strcmp(r->sarg, "norm") && strcmp(r->sarg, "x32"))
            die("bad subscribe style");
        break;
    case JM_REQ_INFO:
    case JM_REQ_STRIPS:
    case JM_REQ_PARAMS:
    case JM_REQ_STATS:
    case JM_REQ_AUTO_LIST:
    case JM_REQ_SNAP_LIST:
    case JM_REQ_SESSION_SAVE:
    case JM_REQ_REC_START:
    case JM_REQ_REC_STOP:
    case JM_REQ_REC_STATUS:
    case JM_REQ_LOUD_RESET:
    case JM_REQ_SUBSCRIBE_CONFIRM:
        break;
    case JM_REQ_X32:
    case JM_REQ_X32_NODE:
        if (!x32 || !r->dialect) die("X32 request from the native port");
        break;
    case JM_REQ_X32_METERS:
        if (!x32 || !r->dialect || r->iarg < JM_X32M_OP_METERS || r->iarg > JM_X32M_OP_RENEW ||
            !r->sarg[0] || strlen(r->sarg) >= JM_X32M_NAME ||
            (r->iarg != JM_X32M_OP_RENEW && (!jm_x32m_count(r->dialect, (int)r->aux) ||
                                             !(r->value >= 1.0f && r->value <= 99.0f))))
            die("bad X32 meter request");
        break;
    case JM_REQ_DUMP:
        if (r->iarg != 0 && r->iarg != JM_DUMP_UNITS && r->iarg != JM_DUMP_NORM)
            die("bad dump style");
        break;
    case JM_REQ_RTA_SOURCE:
        /* a query (-1), off, master, or a strip/bus that exists */
        if (r->iarg < -1 || r->iarg > JM_RTA_SRC_MASTER) die("bad analyser source kind");
        if (r->iarg == JM_RTA_SRC_STRIP && (r->param < 0 || r->param >= S.n_strips))
            die("analyser source: no such strip");
        if (r->iarg == JM_RTA_SRC_BUS && (r->param < 0 || r->param >= S.n_buses))
            die("analyser source: no such bus");
        break;
    case JM_REQ_MIDI_LEARN:
        if (r->param != -1 && !d) die("MIDI learn of a parameter that does not exist");
        break;
    case JM_REQ_MIDI_UNLEARN:
        if (!d) die("MIDI unlearn without a valid parameter");
        break;
    case JM_REQ_MIDI_MAP:
    case JM_REQ_MT_START:  /* the take name is checked by the control thread */
    case JM_REQ_MT_STOP:
    case JM_REQ_MT_STATUS:
    case JM_REQ_PB_LOAD:   /* likewise */
    case JM_REQ_PB_STATUS:
        break;
    case JM_REQ_NSM_GUI:
        die("a session manager's request from a controller");
        break;
    case JM_REQ_PB_PLAY:
        if (r->iarg != 0 && r->iarg != 1) die("playback play neither 0 nor 1");
        break;
    case JM_REQ_PB_LOCATE:
    case JM_REQ_PB_LOOP:
        if (!(r->value >= 0.0f && r->value <= 1e7f)) die("playback locate/loop out of range");
        break;
    default:
        die("unknown request kind");
    }
}

/* Read back every reply the parser sent; each must be a valid message. */
static int check_replies(void)
{
    static unsigned char buf[65536];
    int n = 0;
    for (;;) {
        ssize_t len = recv(sink, buf, sizeof buf, MSG_DONTWAIT);
        if (len < 0) break;
        n++;
        int res = 0;
        lo_message m = lo_message_deserialise(buf, (size_t)len, &res);
        if (!m || buf[0] != '/') die("the parser sent a malformed reply");
        lo_message_free(m);
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int x32 = data[0] & 1, denied = (data[0] & 2) != 0, performer = !denied && (data[0] & 4);
    jm_osc_parser_t *p = x32 ? PX : P;
    uint64_t before = p->denied + p->malformed + p->rejected;
    /* a copy of exactly the datagram, so ASan sees any read past its end */
    size_t len = size - 1;
    unsigned char *dg = malloc(len ? len : 1);
    if (!dg) return 0;
    memcpy(dg, data + 1, len);
    p->posted = 0;
    jm_perm_init(&p->perm); /* each input starts logged out: the same input, the same run */
    jm_osc_parser_feed(p, dg, len,
                       denied ? 0xC0000201u /* 192.0.2.1 */ : performer ? 0x7f000002u : 0x7f000001u,
                       sink_port);
    free(dg);

    int posted = 0;
    jm_req_t r;
    while (jm_queue_pop(&Q, &r)) {
        check_request(&r, x32);
        if (performer && (x32 || !performer_may(&r))) die("a performer-only source got through");
        posted++;
    }
    int replies = check_replies();
    uint64_t after = p->denied + p->malformed + p->rejected;
    if (denied && (posted || replies || p->denied == 0)) die("a denied source got through");
    if (posted != p->posted) die("requests lost between the parser and the queue");
    if (posted && !memchr(data + 1, '/', len)) die("a request from a datagram without an address");
    /* on the native port every message leaves a trace: a request, an
     * /error, or a counter (an empty bundle is the only silent datagram) */
    int bundle = len >= 16 && !memcmp(data + 1, "#bundle", 8);
    if (!x32 && !bundle && !posted && !replies && after == before)
        die("a datagram was neither handled nor counted");
    return 0;
}
