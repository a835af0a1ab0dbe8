/* The live-state file (src/control/state.c): written and read back, written
 * atomically (a temporary file left by a crash is ignored and replaced),
 * and a truncated or garbage file never breaks what it cannot read: its
 * unreadable lines are skipped with a warning and the values they would
 * have set keep their previous values. */
#include "jmixd/control/state.h"

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#define GOOD "tests/sessions/good/"

static const jm_log_t quiet = {.level = JM_LOG_ERROR};

typedef struct {
    jm_session_t s;
    char dir[64], path[128], tmp[140];
} fix_t;

static int setup(void **state)
{
    fix_t *f = calloc(1, sizeof *f);
    char err[JM_ERR_MAX];
    if (!f || jm_session_load(&f->s, GOOD "full.cfg", err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    snprintf(f->dir, sizeof f->dir, "/tmp/jmt-state-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->path, sizeof f->path, "%s/state", f->dir);
    snprintf(f->tmp, sizeof f->tmp, "%s.tmp", f->path);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fix_t *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    jm_session_free(&f->s);
    free(f);
    return rc == 0 ? 0 : -1;
}

static int find(const fix_t *f, const char *path)
{
    int i = jm_params_find(&f->s.params, path);
    if (i < 0) fail_msg("no parameter %s", path);
    return i;
}

/* A copy of the session's defaults. */
static float *defaults(const fix_t *f)
{
    float *v = malloc(f->s.params.n * sizeof *v);
    assert_non_null(v);
    memcpy(v, f->s.values, f->s.params.n * sizeof *v);
    return v;
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void test_write_read_back(void **state)
{
    fix_t *f = *state;
    const jm_paramset_t *ps = &f->s.params;
    float *v = defaults(f);
    for (size_t i = 0; i < ps->n; i++) v[i] = jm_param_clamp(ps->p[i].def, v[i] + 0.125f);
    jm_autolanes_t lanes = {0};
    jm_lane_t *l = jm_lanes_get(&lanes, find(f, "/strip/kick/fader"), 1);
    l->mode = JM_AUTO_READ;
    jm_lane_write_point(l, 0.5, -10.0f);
    jm_lane_write_point(l, 1.0 / 3.0, -3.25f); /* kept as written: times are the writer's */
    jm_snapshots_t snaps;
    jm_snapshots_init(&snaps, ps->n);
    assert_int_equal(jm_snapshots_save(&snaps, "verse", v), 0);

    char *text = jm_state_serialize(ps, v, &lanes, &snaps);
    assert_non_null(text);
    assert_int_equal(strncmp(text, "# jmixd state 1\n", 16), 0);
    assert_int_equal(jm_state_write_atomic(f->path, text), 0);
    assert_int_equal(access(f->tmp, F_OK), -1);

    float *r = defaults(f);
    jm_autolanes_t rl = {0};
    jm_snapshots_t rs;
    jm_snapshots_init(&rs, ps->n);
    assert_int_equal(jm_state_load(f->path, ps, r, &rl, &rs, &quiet), (int)ps->n);
    for (size_t i = 0; i < ps->n; i++)
        if (r[i] != v[i]) fail_msg("%s: %g, wrote %g", ps->p[i].name_path, r[i], v[i]);
    jm_lane_t *rl0 = jm_lanes_get(&rl, find(f, "/strip/kick/fader"), 0);
    assert_non_null(rl0);
    assert_int_equal(rl0->mode, JM_AUTO_READ);
    assert_int_equal(rl0->n, 1); /* the point out of time order is skipped */
    assert_true(rl0->pts[0].t == 0.5 && rl0->pts[0].v == -10.0f);
    const jm_snapshot_t *sn = jm_snapshots_find(&rs, "verse");
    assert_non_null(sn);
    assert_memory_equal(sn->values, v, ps->n * sizeof *v);

    /* the same text again: the file reads back to the same bytes */
    char *again = jm_state_serialize(ps, r, &rl, &rs);
    char *first = jm_state_serialize(ps, v, &rl, &snaps);
    assert_string_equal(again, first);
    free(again);
    free(first);
    free(text);
    free(v);
    free(r);
    jm_lanes_free(&lanes);
    jm_lanes_free(&rl);
    jm_snapshots_free(&snaps);
    jm_snapshots_free(&rs);
}

static void test_missing_file(void **state)
{
    fix_t *f = *state;
    float *v = defaults(f);
    assert_int_equal(jm_state_load(f->path, &f->s.params, v, NULL, NULL, &quiet), 0);
    assert_memory_equal(v, f->s.values, f->s.params.n * sizeof *v);
    /* a folder where the file should be: nothing read, nothing applied */
    assert_int_equal(mkdir(f->path, 0755), 0);
    assert_true(jm_state_load(f->path, &f->s.params, v, NULL, NULL, &quiet) <= 0);
    assert_memory_equal(v, f->s.values, f->s.params.n * sizeof *v);
    free(v);
}

/* A crash between writing PATH.tmp and the rename leaves the old state and
 * a temporary file: the load reads the old one; the next write replaces
 * both. */
static void test_crash_leftover_ignored(void **state)
{
    fix_t *f = *state;
    int fader = find(f, "/strip/kick/fader");
    char line[160];
    snprintf(line, sizeof line, "# jmixd state 1\n/strip/kick/fader -6\n");
    assert_int_equal(jm_state_write_atomic(f->path, line), 0);
    write_text(f->tmp, "# jmixd state 1\n/strip/kick/fader -4");
    float *v = defaults(f);
    assert_int_equal(jm_state_load(f->path, &f->s.params, v, NULL, NULL, &quiet), 1);
    assert_true(v[fader] == -6.0f);
    assert_int_equal(jm_state_write_atomic(f->path, "# jmixd state 1\n/strip/kick/fader -3\n"), 0);
    assert_int_equal(access(f->tmp, F_OK), -1);
    assert_int_equal(jm_state_load(f->path, &f->s.params, v, NULL, NULL, &quiet), 1);
    assert_true(v[fader] == -3.0f);
    free(v);
}

/* A file cut mid-line (not written by jmixd: its writes are atomic) or
 * holding garbage: the lines that read are applied, the others skipped
 * with a warning naming FILE:LINE, and every other value is kept. */
static void test_truncated_and_garbage(void **state)
{
    fix_t *f = *state;
    int fader = find(f, "/strip/kick/fader"), pan = find(f, "/strip/keys/pan");
    float *v = defaults(f);
    v[pan] = 0.25f;
    write_text(f->path, "# jmixd state 1\n/strip/kick/fader -12\n/strip/keys/pan");
    assert_int_equal(jm_state_load(f->path, &f->s.params, v, NULL, NULL, &quiet), 1);
    assert_true(v[fader] == -12.0f);
    assert_true(v[pan] == 0.25f);

    write_text(f->path, "\x7f" "ELF\x01\x02 garbage\n@@@\n/no/such/param 3\n1e999 x\n");
    float *before = defaults(f);
    memcpy(before, v, f->s.params.n * sizeof *v);
    assert_int_equal(jm_state_load(f->path, &f->s.params, v, NULL, NULL, &quiet), 0);
    assert_memory_equal(v, before, f->s.params.n * sizeof *v);

    /* out-of-range values are clamped, not refused */
    write_text(f->path, "/strip/kick/fader 99\n/strip/keys/pan nan\n");
    assert_int_equal(jm_state_load(f->path, &f->s.params, v, NULL, NULL, &quiet), 1);
    assert_true(v[fader] == f->s.params.p[fader].def->max);
    assert_true(v[pan] == 0.25f);
    free(before);
    free(v);
}

/* The disk thread writes the latest submission; when the file cannot be
 * written the old one is kept and no temporary file is left. */
static void test_writer(void **state)
{
    fix_t *f = *state;
    jm_state_writer_t *w = jm_state_writer_start(f->path, &quiet);
    assert_non_null(w);
    jm_state_writer_submit(w, strdup("# jmixd state 1\n/strip/kick/fader -1\n"));
    jm_state_writer_submit(w, strdup("# jmixd state 1\n/strip/kick/fader -2\n"));
    jm_state_writer_stop(w);
    float *v = defaults(f);
    assert_int_equal(jm_state_load(f->path, &f->s.params, v, NULL, NULL, &quiet), 1);
    assert_true(v[find(f, "/strip/kick/fader")] == -2.0f);

    /* PATH.tmp is a folder: every write fails, the old state stays */
    assert_int_equal(mkdir(f->tmp, 0755), 0);
    errno = 0;
    assert_int_equal(jm_state_write_atomic(f->path, "# jmixd state 1\n"), -1);
    assert_int_not_equal(errno, 0);
    w = jm_state_writer_start(f->path, &quiet);
    jm_state_writer_submit(w, strdup("# jmixd state 1\n/strip/kick/fader -5\n"));
    jm_state_writer_stop(w);
    assert_int_equal(jm_state_load(f->path, &f->s.params, v, NULL, NULL, &quiet), 1);
    assert_true(v[find(f, "/strip/kick/fader")] == -2.0f);
    assert_int_equal(rmdir(f->tmp), 0);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_leftover_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_and_garbage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
