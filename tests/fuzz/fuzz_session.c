/* libFuzzer target: session parsing and validation (docs/session.md), and the
 * session writer's round trip (docs/osc.md).
 *
 * One input = the text of a session file. It is written to a private
 * folder on /dev/shm (with a part.cfg beside it for @include) and loaded
 * with jm_session_load, exactly as the daemon and --check load it.
 * Besides the sanitizers (ASan, UBSan, leaks), every input must keep:
 *   - refused: the error reads "FILE:LINE: message" (docs/session.md) and nothing is
 *     left behind (the leak checker sees a partial session);
 *   - accepted: every parameter value is finite and inside its range
 *     (switches 0 or 1), names are valid, lanes are in time order;
 *   - accepted: jm_session_save writes it, the written file loads again into
 *     the same console (topology, settings, every value bit for bit, lanes,
 *     aliases), and saving that again gives the same bytes (session_save.h).
 * Inputs whose @include would leave the private folder are skipped: a
 * session file is the operator's own, and reading /dev/zero through it is
 * not a finding. */
#include "jmixd/session/session.h"
#include "jmixd/session/save.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static char dir[64], in_path[128], out1[128], out2[128];

static const char PART[] =
    "jack = { name = \"incl\"; };\n"
    "strips = ( { name = \"inc\"; fader = -2.0; input = \"system:capture_2\"; } );\n";

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_session: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f)) die("cannot write", path);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot read", path);
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    for (;;) {
        if (n == cap) b = realloc(b, cap *= 2);
        size_t r = fread(b + n, 1, cap - n, f);
        if (!r) break;
        n += r;
    }
    fclose(f);
    *len = n;
    return b;
}

static void cleanup(void)
{
    char part[128];
    snprintf(part, sizeof part, "%s/part.cfg", dir);
    unlink(in_path), unlink(out1), unlink(out2), unlink(part);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    snprintf(dir, sizeof dir, "/dev/shm/jmfuzzsessXXXXXX");
    if (access("/dev/shm", W_OK) || !mkdtemp(dir)) {
        snprintf(dir, sizeof dir, "/tmp/jmfuzzsessXXXXXX");
        if (!mkdtemp(dir)) die("mkdtemp", NULL);
    }
    snprintf(in_path, sizeof in_path, "%s/main.cfg", dir);
    snprintf(out1, sizeof out1, "%s/saved1.cfg", dir);
    snprintf(out2, sizeof out2, "%s/saved2.cfg", dir);
    char part[128];
    snprintf(part, sizeof part, "%s/part.cfg", dir);
    write_file(part, PART, sizeof PART - 1);
    atexit(cleanup);
    return 0;
}

/* 1 when every @include names a file inside the private folder. */
static int includes_stay_home(const uint8_t *d, size_t n)
{
    for (size_t i = 0; i + 8 <= n; i++) {
        if (d[i] != '@' || strncasecmp((const char *)d + i, "@include", 8)) continue;
        size_t k = i + 8;
        while (k < n && d[k] != '"' && d[k] != '\n') k++;
        if (k >= n || d[k] != '"') continue;
        for (k++; k < n && d[k] != '"' && d[k] != '\n'; k++)
            if (d[k] == '/' || d[k] == '\\' || d[k] == '*' || d[k] == '?') return 0;
    }
    return 1;
}

/* "FILE:LINE: message" */
static void check_error(const char *err)
{
    const char *c = strstr(err, ".cfg:");
    if (!err[0] || !c) die("error without FILE:LINE", err);
    c += 5;
    if (!isdigit((unsigned char)*c)) die("error without a line number", err);
    while (isdigit((unsigned char)*c)) c++;
    if (c[0] != ':' || c[1] != ' ' || !c[2]) die("error without a message", err);
}

static void check_loaded(const jm_session_t *s)
{
    if (s->n_strips < 0 || s->n_strips > JM_MAX_STRIPS) die("strip count", NULL);
    if (s->n_buses < 0 || s->n_buses > JM_MAX_BUSES) die("bus count", NULL);
    if (!(s->meter_rate >= 1.0f && s->meter_rate <= 100.0f)) die("meter_rate out of range", NULL);
    if (s->osc_port < 1 || s->osc_port > 65535) die("osc port", NULL);
    for (size_t i = 0; i < s->params.n; i++) {
        const jm_param_t *p = &s->params.p[i];
        float v = s->values[i];
        if (!isfinite(v) || v < p->def->min || v > p->def->max) die("value out of range", p->path);
        if (jm_param_is_bool(p->def) && v != 0.0f && v != 1.0f) die("switch not 0/1", p->path);
        if (jm_params_find(&s->params, p->path) != (int)i) die("path does not find itself", p->path);
        if (jm_params_find(&s->params, p->name_path) != (int)i)
            die("name path does not find itself", p->name_path);
    }
    for (int k = 0; k < s->n_lanes; k++) {
        const jm_lane_cfg_t *l = &s->lanes[k];
        if (l->param < 0 || (size_t)l->param >= s->params.n) die("lane parameter", NULL);
        for (int j = 0; j < l->n_points; j++) {
            if (!isfinite(l->points[j].t) || !isfinite(l->points[j].v) || l->points[j].t < 0)
                die("lane point not finite", NULL);
            if (j && l->points[j].t < l->points[j - 1].t) die("lane points out of order", NULL);
        }
    }
    for (int k = 0; k < s->n_aliases; k++)
        if (s->aliases[k].param < 0 || (size_t)s->aliases[k].param >= s->params.n)
            die("alias parameter", NULL);
}

#define SAME(cond, what)                                                                      \
    do {                                                                                      \
        if (!(cond)) die("saved session loads back different", what);                         \
    } while (0)

static void compare(const jm_session_t *a, const jm_session_t *b)
{
    SAME(!strcmp(a->jack_name, b->jack_name), "jack.name");
    SAME(!strcmp(a->jack_server, b->jack_server), "jack.server");
    SAME(a->osc_port == b->osc_port, "osc.port");
    SAME(!strcmp(a->osc_bind, b->osc_bind), "osc.bind");
    SAME(a->n_allow == b->n_allow, "osc.allow count");
    for (int k = 0; k < a->n_allow; k++)
        SAME(a->allow[k].addr == b->allow[k].addr && a->allow[k].mask == b->allow[k].mask,
             "osc.allow");
    SAME(a->meter_rate == b->meter_rate, "osc.meter_rate");
    SAME(a->n_clients == b->n_clients, "osc.clients count");
    for (int k = 0; k < a->n_clients; k++)
        SAME(!strcmp(a->clients[k].host, b->clients[k].host) &&
                 a->clients[k].port == b->clients[k].port && a->clients[k].norm == b->clients[k].norm,
             "osc.clients");
    SAME(!strcmp(a->state, b->state), "state");
    SAME(a->n_strips == b->n_strips, "strip count");
    for (int k = 0; k < a->n_strips; k++) {
        const jm_strip_cfg_t *x = &a->strips[k], *y = &b->strips[k];
        SAME(!strcmp(x->name, y->name) && x->channels == y->channels &&
                 x->n_inputs == y->n_inputs && !strcmp(x->file, y->file),
             x->name);
        for (int i = 0; i < x->n_inputs; i++) SAME(!strcmp(x->inputs[i], y->inputs[i]), "strip input");
    }
    SAME(a->n_buses == b->n_buses, "bus count");
    for (int k = 0; k < a->n_buses; k++)
        SAME(!strcmp(a->buses[k].name, b->buses[k].name) && !strcmp(a->buses[k].type, b->buses[k].type),
             "bus");
    SAME(a->n_master_outputs == b->n_master_outputs, "master.output count");
    for (int k = 0; k < a->n_master_outputs; k++)
        SAME(!strcmp(a->master_outputs[k], b->master_outputs[k]), "master.output");
    SAME(a->params.n == b->params.n, "parameter count");
    for (size_t i = 0; i < a->params.n; i++) {
        SAME(!strcmp(a->params.p[i].path, b->params.p[i].path), a->params.p[i].path);
        SAME(!memcmp(&a->values[i], &b->values[i], sizeof(float)), a->params.p[i].path);
    }
    SAME(a->n_lanes == b->n_lanes, "lane count");
    for (int k = 0; k < a->n_lanes; k++) {
        const jm_lane_cfg_t *x = &a->lanes[k], *y = &b->lanes[k];
        SAME(x->param == y->param && x->mode == y->mode && x->n_points == y->n_points, "lane");
        for (int j = 0; j < x->n_points; j++)
            SAME(!memcmp(&x->points[j].t, &y->points[j].t, sizeof(double)) &&
                     !memcmp(&x->points[j].v, &y->points[j].v, sizeof(float)),
                 "lane point");
    }
    SAME(a->n_aliases == b->n_aliases, "alias count");
    for (int k = 0; k < a->n_aliases; k++)
        SAME(!strcmp(a->aliases[k].from, b->aliases[k].from) &&
                 a->aliases[k].param == b->aliases[k].param && a->aliases[k].norm == b->aliases[k].norm,
             "alias");
    SAME(a->x32_port == b->x32_port, "x32.port");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (memchr(data, '\0', size)) return 0; /* a text file; libconfig stops at NUL */
    if (!includes_stay_home(data, size)) return 0;
    write_file(in_path, data, size);

    jm_session_t s, t;
    char err[JM_ERR_MAX];
    if (jm_session_load(&s, in_path, err, sizeof err)) {
        check_error(err);
        return 0;
    }
    check_loaded(&s);

    if (jm_session_save(&s, NULL, s.lanes, s.n_lanes, out1, err, sizeof err))
        die("a loaded session cannot be saved", err);
    if (jm_session_load(&t, out1, err, sizeof err)) die("a saved session does not load", err);
    compare(&s, &t);
    if (jm_session_save(&t, NULL, t.lanes, t.n_lanes, out2, err, sizeof err))
        die("a reloaded session cannot be saved", err);
    size_t l1, l2;
    char *b1 = read_file(out1, &l1), *b2 = read_file(out2, &l2);
    if (l1 != l2 || memcmp(b1, b2, l1)) die("saving a reloaded session changes the bytes", NULL);
    free(b1);
    free(b2);
    jm_session_free(&t);
    jm_session_free(&s);
    return 0;
}
