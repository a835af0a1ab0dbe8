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

    /* MIDI bindings ride along (jm_state_load_midi reads them; the rest
     * of the file reads as without them) */
    static const char midi[] = "@midimap\n@midi /strip/kick/fader cc 7 0 1 toggle 1\n";
    char *text = jm_state_serialize(ps, v, &lanes, &snaps, midi);
    assert_non_null(text);
    assert_int_equal(strncmp(text, "# jmixd state 1\n", 16), 0);
    assert_non_null(strstr(text, midi));
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
    char *again = jm_state_serialize(ps, r, &rl, &rs, NULL);
    char *first = jm_state_serialize(ps, v, &rl, &snaps, NULL);
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

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* The split layout: the main file names PATH.lanes and one file per
 * snapshot; a later save of changed values writes the main file only, a
 * changed snapshot its own file, a deleted one's file goes; all of it
 * loads back. */
static void test_split_layout(void **state)
{
    fix_t *f = *state;
    const jm_paramset_t *ps = &f->s.params;
    float *v = defaults(f);
    jm_autolanes_t lanes = {0};
    jm_lane_t *l = jm_lanes_get(&lanes, find(f, "/strip/kick/fader"), 1);
    l->mode = JM_AUTO_READ;
    jm_lane_write_point(l, 0.5, -10.0f);
    jm_snapshots_t snaps;
    jm_snapshots_init(&snaps, ps->n);
    char name[16];
    for (int k = 0; k < 40; k++) {
        v[0] = (float)-k;
        snprintf(name, sizeof name, "s%02d", k);
        assert_int_equal(jm_snapshots_save(&snaps, name, v), 0);
    }
    assert_int_equal(jm_snapshots_save(&snaps, "bad name", v), -1);
    assert_int_equal(jm_snapshots_save(&snaps, "bad\nname", v), -1);
    char p[200];
    jm_state_writer_t *w = jm_state_writer_start(f->path, &quiet);
    assert_non_null(w);
    assert_int_equal(jm_state_writer_save(w, ps, v, &lanes, &snaps), 0);
    jm_state_writer_stop(w);
    unsigned long long all = 0;
    all += (unsigned long long)file_size(f->path);
    snprintf(p, sizeof p, "%s.lanes", f->path);
    assert_true(file_size(p) > 0);
    all += (unsigned long long)file_size(p);
    for (int k = 0; k < 40; k++) {
        snprintf(p, sizeof p, "%s.snap.%u", f->path, snaps.s[k].id);
        assert_true(file_size(p) > 0);
        all += (unsigned long long)file_size(p);
    }

    /* values change: only the main file */
    w = jm_state_writer_start(f->path, &quiet);
    v[1] = jm_param_clamp(ps->p[1].def, v[1] + 0.5f);
    assert_int_equal(jm_state_writer_save(w, ps, v, &lanes, &snaps), 0);
    jm_state_writer_stop(w);
    /* (a new writer counts from 0) */
    print_message("first save %llu bytes in 42 files; a value change %ld bytes\n", all,
                  file_size(f->path));

    w = jm_state_writer_start(f->path, &quiet);
    v[1] = jm_param_clamp(ps->p[1].def, v[1] - 0.25f);
    assert_int_equal(jm_state_writer_save(w, ps, v, &lanes, &snaps), 0);
    jm_state_writer_stop(w);
    /* nothing but the main file was handed to the disk */
    w = jm_state_writer_start(f->path, &quiet);
    assert_int_equal(jm_state_writer_save(w, ps, v, &lanes, &snaps), 0);
    jm_state_writer_stop(w);

    w = jm_state_writer_start(f->path, &quiet);
    v[0] = 3.0f;
    v[0] = jm_param_clamp(ps->p[0].def, v[0]);
    unsigned id5 = snaps.s[5].id, id7 = snaps.s[7].id;
    assert_int_equal(jm_snapshots_save(&snaps, "s05", v), 0);
    assert_int_equal(jm_snapshots_delete(&snaps, "s07"), 0);
    assert_int_equal(jm_state_writer_save(w, ps, v, &lanes, &snaps), 0);
    /* the disk thread is slow to start: wait for its count to move */
    for (int i = 0; i < 200 && !jm_state_writer_bytes(w); i++) usleep(10000);
    jm_state_writer_stop(w);
    snprintf(p, sizeof p, "%s.snap.%u", f->path, id7);
    assert_int_equal(file_size(p), -1);
    snprintf(p, sizeof p, "%s.snap.%u", f->path, id5);
    assert_true(file_size(p) > 0);

    float *r = defaults(f);
    jm_autolanes_t rl = {0};
    jm_snapshots_t rs;
    jm_snapshots_init(&rs, ps->n);
    assert_int_equal(jm_state_load(f->path, ps, r, &rl, &rs, &quiet), (int)ps->n);
    assert_memory_equal(r, v, ps->n * sizeof *v);
    assert_int_equal(rs.n, 39);
    assert_null(jm_snapshots_find(&rs, "s07"));
    assert_memory_equal(jm_snapshots_find(&rs, "s05")->values, v, ps->n * sizeof *v);
    assert_true(jm_snapshots_find(&rs, "s39")->values[0] == jm_param_clamp(ps->p[0].def, -39.0f));
    jm_lane_t *rl0 = jm_lanes_get(&rl, find(f, "/strip/kick/fader"), 0);
    assert_non_null(rl0);
    assert_int_equal(rl0->n, 1);
    /* loaded from their own files: stored, so the next save writes only
     * the main file */
    assert_true(rl.stored_hash != 0);
    for (int k = 0; k < rs.n; k++) assert_int_equal(rs.s[k].stored_gen, rs.s[k].gen);
    w = jm_state_writer_start(f->path, &quiet);
    assert_int_equal(jm_state_writer_save(w, ps, r, &rl, &rs), 0);
    for (int i = 0; i < 200 && !jm_state_writer_bytes(w); i++) usleep(10000);
    unsigned long long b = jm_state_writer_bytes(w);
    jm_state_writer_stop(w);
    print_message("save after load: %llu bytes (main file %ld)\n", b, file_size(f->path));
    assert_int_equal((long)b, file_size(f->path));
    /* a new snapshot gets an id no loaded one has */
    assert_int_equal(jm_snapshots_save(&rs, "new", r), 0);
    for (int k = 0; k < rs.n - 1; k++) assert_int_not_equal(rs.s[k].id, rs.s[rs.n - 1].id);

    free(v);
    free(r);
    jm_lanes_free(&lanes);
    jm_lanes_free(&rl);
    jm_snapshots_free(&snaps);
    jm_snapshots_free(&rs);
}

/* The old single-file layout (lanes and snapshots inline) still loads, and
 * counts as not stored: the next save writes every file of the new one. */
static void test_old_layout(void **state)
{
    fix_t *f = *state;
    const jm_paramset_t *ps = &f->s.params;
    write_text(f->path, "# jmixd state 1\n/strip/kick/fader -3\n@lane /strip/kick/fader read\n"
                        "0 -10\n1 -5\n@snapshot verse\n/strip/kick/fader -7\n");
    float *v = defaults(f);
    jm_autolanes_t rl = {0};
    jm_snapshots_t rs;
    jm_snapshots_init(&rs, ps->n);
    assert_int_equal(jm_state_load(f->path, ps, v, &rl, &rs, &quiet), 1);
    assert_int_equal(rs.n, 1);
    assert_int_equal(rs.s[0].stored_gen, 0);
    assert_true(rl.stored_hash == 0);
    jm_state_writer_t *w = jm_state_writer_start(f->path, &quiet);
    assert_int_equal(jm_state_writer_save(w, ps, v, &rl, &rs), 0);
    jm_state_writer_stop(w);
    char p[200];
    snprintf(p, sizeof p, "%s.snap.%u", f->path, rs.s[0].id);
    assert_true(file_size(p) > 0);
    snprintf(p, sizeof p, "%s.lanes", f->path);
    assert_true(file_size(p) > 0);
    float *r = defaults(f);
    jm_autolanes_t rl2 = {0};
    jm_snapshots_t rs2;
    jm_snapshots_init(&rs2, ps->n);
    assert_int_equal(jm_state_load(f->path, ps, r, &rl2, &rs2, &quiet), (int)ps->n);
    assert_true(jm_snapshots_find(&rs2, "verse")->values[find(f, "/strip/kick/fader")] == -7.0f);
    assert_int_equal(jm_lanes_get(&rl2, find(f, "/strip/kick/fader"), 0)->n, 2);
    free(v);
    free(r);
    jm_lanes_free(&rl);
    jm_lanes_free(&rl2);
    jm_snapshots_free(&rs);
    jm_snapshots_free(&rs2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_leftover_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_and_garbage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_layout, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
