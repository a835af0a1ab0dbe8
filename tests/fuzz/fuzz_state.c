/* libFuzzer target: the live-state file loader (docs/operations.md).
 *
 * A state file is written by the daemon itself, atomically, but it lives on
 * a disk for months and an operator may edit it: whatever it holds, loading
 * it must not crash and must leave a console that makes sense. One input =
 * the text of a state file, loaded with jm_state_load into a fixed session
 * (with lanes and snapshots), exactly as the control thread does at start.
 * Besides the sanitizers (ASan, UBSan, leaks), every input must keep:
 *   - every value finite and inside its parameter's range (switches 0/1),
 *     in the live values and in every snapshot;
 *   - every lane's points finite, in time order, values in range;
 *   - what was loaded serialises to a state file that loads back to exactly
 *     the same text (the daemon's own writes are stable). */
#include "jmixd/control/automation.h"
#include "jmixd/session/session.h"
#include "jmixd/control/snapshot.h"
#include "jmixd/control/state.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char SESSION[] =
    "strips = ( { name = \"kick\"; input = [ ]; }, { name = \"keys\"; channels = 2; input = [ ]; } );\n"
    "buses = ( { name = \"verb\"; type = \"reverb\"; }, { name = \"echo\"; type = \"delay\"; } );\n"
    "master = { output = [ ]; };\n"
    "automation = ( { param = \"/strip/kick/fader\"; mode = \"read\";\n"
    "                 points = ( (0.0, -6.0), (10.0, 0.0) ); } );\n";

static jm_session_t S;
static char dir[64], in_path[128], out_path[128];
static const jm_log_t LOG = {.level = -1};

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_state: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f)) die("cannot write", path);
}

static void cleanup(void)
{
    char sp[128];
    snprintf(sp, sizeof sp, "%s/session.cfg", dir);
    unlink(in_path), unlink(out_path), unlink(sp);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    snprintf(dir, sizeof dir, "/dev/shm/jmfuzzstateXXXXXX");
    if (access("/dev/shm", W_OK) || !mkdtemp(dir)) {
        snprintf(dir, sizeof dir, "/tmp/jmfuzzstateXXXXXX");
        if (!mkdtemp(dir)) die("mkdtemp", NULL);
    }
    snprintf(in_path, sizeof in_path, "%s/state.cfg", dir);
    snprintf(out_path, sizeof out_path, "%s/again.cfg", dir);
    char sp[128], err[JM_ERR_MAX];
    snprintf(sp, sizeof sp, "%s/session.cfg", dir);
    write_file(sp, SESSION, sizeof SESSION - 1);
    if (jm_session_load(&S, sp, err, sizeof err)) die("session", err);
    atexit(cleanup);
    return 0;
}

static void check_value(const jm_param_t *p, float v, const char *where)
{
    if (!isfinite(v) || v < p->def->min || v > p->def->max) die("value out of range", where);
    if (jm_param_is_bool(p->def) && v != 0.0f && v != 1.0f) die("switch not 0/1", where);
}

/* Load PATH into fresh values/lanes/snapshots; check; return serialised. */
static char *load(const char *path, int *applied)
{
    const jm_paramset_t *ps = &S.params;
    float *values = malloc(ps->n * sizeof *values);
    memcpy(values, S.values, ps->n * sizeof *values);
    jm_autolanes_t lanes;
    jm_snapshots_t snaps;
    if (jm_lanes_init(&lanes, &S)) die("lanes", NULL);
    jm_snapshots_init(&snaps, ps->n);
    *applied = jm_state_load(path, ps, values, &lanes, &snaps, &LOG);
    for (size_t i = 0; i < ps->n; i++) check_value(&ps->p[i], values[i], ps->p[i].path);
    for (int k = 0; k < snaps.n; k++)
        for (size_t i = 0; i < ps->n; i++) check_value(&ps->p[i], snaps.s[k].values[i], "snapshot");
    for (int k = 0; k < lanes.n; k++) {
        const jm_lane_t *l = &lanes.l[k];
        if (l->param < 0 || (size_t)l->param >= ps->n) die("lane parameter", NULL);
        for (int j = 0; j < l->n; j++) {
            if (!isfinite(l->pts[j].t) || l->pts[j].t < 0) die("lane time", NULL);
            check_value(&ps->p[l->param], l->pts[j].v, "lane point");
            if (j && l->pts[j].t < l->pts[j - 1].t) die("lane points out of order", NULL);
        }
    }
    char *text = jm_state_serialize(ps, values, &lanes, &snaps, NULL);
    if (!text) die("serialize", NULL);
    jm_snapshots_free(&snaps);
    jm_lanes_free(&lanes);
    free(values);
    return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    write_file(in_path, data, size);
    int n1, n2;
    char *t1 = load(in_path, &n1);
    if (n1 < 0) die("jm_state_load failed on a readable file", NULL);
    write_file(out_path, t1, strlen(t1));
    char *t2 = load(out_path, &n2);
    if (strcmp(t1, t2)) die("a state file written by the daemon loads back different", NULL);
    free(t1);
    free(t2);
    return 0;
}
