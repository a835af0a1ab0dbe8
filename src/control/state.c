/* State files: load, serialize, atomic writes, and the disk thread that
 * writes them. The control thread hands a job (the files that changed)
 * over under a mutex held only to swap pointers, so it never waits for the
 * disk. Layout and rates: docs/session.md, "State file". */
#include "jmixd/control/state.h"
#include "jmixd/util/grow.h"
#include "jmixd/util/atomicfile.h"
#include "jmixd/util/text.h"
#include "jmixd/util/rt.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STATE_MAGIC "# jmixd state 1"
#define LANES_MAGIC "# jmixd lanes 1"
#define SNAP_MAGIC "# jmixd snapshot 1"
#define SAVE_EVERY 1.0   /* s: at most one save a second while values keep changing */
#define PATH_LEN 4096

enum { PART_MAIN, PART_LANES, PART_SNAP };

typedef struct {
    const char *path;             /* the main file: names the others */
    const jm_paramset_t *ps;
    float *values;
    jm_autolanes_t *lanes;
    jm_snapshots_t *snaps;
    const jm_log_t *log;
    float *scratch;               /* a snapshot being read */
    int applied;
    int lanefile;                 /* the main file says the lanes are in PATH.lanes */
} load_t;

/* The file of a part (a path too long for it comes out cut short: it then
 * names no file the daemon wrote). */
static void part_path(char *out, size_t len, const char *path, int part, unsigned id)
{
    int n;
    if (part == PART_LANES) n = snprintf(out, len, "%s.lanes", path);
    else if (part == PART_SNAP) n = snprintf(out, len, "%s.snap.%u", path, id);
    else n = snprintf(out, len, "%s", path);
    if (n < 0 || (size_t)n >= len) out[0] = '\0';
}

static int id_taken(const jm_snapshots_t *ss, unsigned id, const jm_snapshot_t *except)
{
    for (int i = 0; i < ss->n; i++)
        if (&ss->s[i] != except && ss->s[i].id == id) return 1;
    return 0;
}

static void keep_snapshot(load_t *x, const char *name, unsigned id)
{
    if (!x->snaps) return;
    if (jm_snapshots_save(x->snaps, name, x->scratch)) {
        jm_log(x->log, JM_LOG_WARN, "%s: snapshot %s skipped (store full or bad name)", x->path,
               name);
        return;
    }
    if (!id) return; /* inline (the old single-file layout): written at the next save */
    jm_snapshot_t *s = (jm_snapshot_t *)jm_snapshots_find(x->snaps, name);
    if (id_taken(x->snaps, id, s)) return; /* two names on one file: this one gets its own */
    s->id = id;
    s->stored_gen = s->gen;
    if (x->snaps->next_id <= id) x->snaps->next_id = id + 1;
}

static int parse(load_t *x, const char *path, int part);

/* `@snapfile ID NAME` of the main file: the snapshot's values are in
 * PATH.snap.ID (ID is a number the daemon chose; no name reaches a path). */
static void load_snapfile(load_t *x, const char *line, int lineno)
{
    unsigned id;
    char name[JM_SNAPSHOT_NAME];
    if (sscanf(line, "@snapfile %u %63s", &id, name) != 2 || !id || !x->snaps) {
        if (x->snaps)
            jm_log(x->log, JM_LOG_WARN, "%s:%d: unreadable state line skipped", x->path, lineno);
        return;
    }
    for (size_t i = 0; i < x->ps->n; i++) x->scratch[i] = x->ps->p[i].defval;
    char p[PATH_LEN];
    part_path(p, sizeof p, x->path, PART_SNAP, id);
    if (parse(x, p, PART_SNAP) < 0) {
        jm_log(x->log, JM_LOG_WARN, "%s: snapshot %s: file %s unreadable: %s; skipped", x->path,
               name, p, strerror(errno));
        return;
    }
    keep_snapshot(x, name, id);
}

/* One file: the main one (values, inline lanes and snapshots of the old
 * layout, references to the others), PATH.lanes (lane blocks) or a
 * snapshot's (values into scratch). 0, or -1 when it cannot be opened. */
static int parse(load_t *x, const char *path, int part)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[512];
    int lineno = 0;
    jm_lane_t *lane = NULL;       /* inside an @lane block */
    float *snap = part == PART_SNAP ? x->scratch : NULL; /* values go to a snapshot */
    char snap_name[JM_SNAPSHOT_NAME] = "";
    const jm_paramset_t *ps = x->ps;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n') continue;
        char p[JM_PATH_MAX + 1], word[JM_SNAPSHOT_NAME];
        if (line[0] == '@') {
            if (part == PART_MAIN && snap) keep_snapshot(x, snap_name, 0);
            lane = NULL;
            if (part != PART_SNAP) snap = NULL;
            if (part != PART_SNAP && sscanf(line, "@lane %96s %63s", p, word) == 2) {
                int i = jm_params_find(ps, p), mode = jm_automode_parse(word);
                if (i >= 0 && mode >= 0 && x->lanes) {
                    lane = jm_lanes_get(x->lanes, i, 1);
                    if (lane) { lane->mode = (jm_automode_t)mode; lane->n = 0; }
                }
            } else if (part == PART_MAIN && sscanf(line, "@snapshot %63s", word) == 1) {
                for (size_t i = 0; i < ps->n; i++) x->scratch[i] = ps->p[i].defval;
                memcpy(snap_name, word, sizeof snap_name);
                snap = x->scratch;
            } else if (part == PART_MAIN && !strncmp(line, "@snapfile ", 10)) {
                load_snapfile(x, line, lineno);
            } else if (part == PART_MAIN && !strcmp(line, "@lanefile\n")) {
                x->lanefile = 1;
            } else if (part == PART_MAIN &&
                       (!strncmp(line, "@midi ", 6) || !strcmp(line, "@midimap\n"))) {
                /* MIDI bindings: jm_state_load_midi reads them */
            } else {
                jm_log(x->log, JM_LOG_WARN, "%s:%d: unreadable state line skipped", path, lineno);
            }
            continue;
        }
        if (lane) {
            double t;
            float v;
            if (sscanf(line, "%lf %f", &t, &v) == 2 && isfinite(t) && isfinite(v) && t >= 0 &&
                (lane->n == 0 || t >= lane->pts[lane->n - 1].t)) {
                jm_lane_write_point(lane, t, jm_param_clamp(ps->p[lane->param].def, v));
            } else {
                jm_log(x->log, JM_LOG_WARN, "%s:%d: bad automation point skipped", path, lineno);
            }
            continue;
        }
        float v;
        if (part == PART_LANES || sscanf(line, "%96s %f", p, &v) != 2 || !isfinite(v)) {
            jm_log(x->log, JM_LOG_WARN, "%s:%d: unreadable state line skipped", path, lineno);
            continue;
        }
        int i = jm_params_find(ps, p);
        if (i < 0) {
            jm_log(x->log, JM_LOG_WARN, "%s:%d: no parameter %s in this session", path, lineno, p);
            continue;
        }
        if (snap) {
            snap[i] = jm_param_clamp(ps->p[i].def, v);
        } else {
            x->values[i] = jm_param_clamp(ps->p[i].def, v);
            x->applied++;
        }
    }
    if (part == PART_MAIN && snap) keep_snapshot(x, snap_name, 0);
    fclose(f);
    return 0;
}

static void lanes_text(jm_text_t *b, const jm_paramset_t *ps, jm_autolanes_t *lanes)
{
    if (!lanes) return;
    jm_lanes_sync(lanes);
    for (int k = 0; k < lanes->n; k++) {
        const jm_lane_t *l = &lanes->l[k];
        if (l->mode == JM_AUTO_OFF && l->n == 0) continue;
        jm_text_printf(b, "@lane %s %s\n", ps->p[l->param].name_path, jm_automode_name(l->mode));
        for (int j = 0; j < l->n; j++) jm_text_printf(b, "%.17g %.9g\n", l->pts[j].t, l->pts[j].v);
    }
}

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
    for (const unsigned char *c = p; n--; c++) h = (h ^ *c) * 1099511628211ull;
    return h;
}

/* Of what PATH.lanes would hold, without formatting it: a save formats the
 * lanes only when they changed. */
static uint64_t lanes_hash(jm_autolanes_t *lanes)
{
    uint64_t h = 1469598103934665603ull;
    jm_lanes_sync(lanes);
    for (int k = 0; k < lanes->n; k++) {
        const jm_lane_t *l = &lanes->l[k];
        if (l->mode == JM_AUTO_OFF && l->n == 0) continue;
        int head[3] = {l->param, (int)l->mode, l->n};
        h = hash_bytes(h, head, sizeof head);
        for (int j = 0; j < l->n; j++) {
            h = hash_bytes(h, &l->pts[j].t, sizeof l->pts[j].t);
            h = hash_bytes(h, &l->pts[j].v, sizeof l->pts[j].v);
        }
    }
    return h ? h : 1;
}

/* PATH.lanes as written (malloc'd). */
static char *lanes_file_text(const jm_paramset_t *ps, jm_autolanes_t *lanes)
{
    jm_text_t b = {0};
    jm_text_printf(&b, "%s\n", LANES_MAGIC);
    lanes_text(&b, ps, lanes);
    return jm_text_take(&b);
}

static void values_text(jm_text_t *b, const jm_paramset_t *ps, const float *values)
{
    for (size_t i = 0; i < ps->n; i++) jm_text_printf(b, "%s %.9g\n", ps->p[i].name_path, values[i]);
}

int jm_state_load(const char *path, const jm_paramset_t *ps, float *values, jm_autolanes_t *lanes,
                  jm_snapshots_t *snaps, const jm_log_t *log)
{
    load_t x = {.path = path, .ps = ps, .values = values, .lanes = lanes, .snaps = snaps,
                .log = log};
    x.scratch = malloc((ps->n ? ps->n : 1) * sizeof *x.scratch);
    if (!x.scratch) return -1;
    if (parse(&x, path, PART_MAIN) < 0) {
        int e = errno;
        free(x.scratch);
        errno = e;
        return e == ENOENT ? 0 : -1;
    }
    if (x.lanefile && lanes) {
        char p[PATH_LEN];
        part_path(p, sizeof p, path, PART_LANES, 0);
        if (parse(&x, p, PART_LANES) < 0) {
            jm_log(log, JM_LOG_WARN, "%s: lanes file %s unreadable: %s; lanes from the session",
                   path, p, strerror(errno));
        } else {
            /* what is on disk now: the next save writes the lanes only when
             * they change */
            lanes->stored_hash = lanes_hash(lanes);
        }
    }
    free(x.scratch);
    return x.applied;
}

char *jm_state_serialize(const jm_paramset_t *ps, const float *values, jm_autolanes_t *lanes,
                         const jm_snapshots_t *snaps, const char *midi)
{
    jm_text_t b = {0};
    jm_text_printf(&b, "%s\n", STATE_MAGIC);
    values_text(&b, ps, values);
    if (midi) jm_text_puts(&b, midi);
    lanes_text(&b, ps, lanes);
    for (int k = 0; snaps && k < snaps->n; k++) {
        jm_text_printf(&b, "@snapshot %s\n", snaps->s[k].name);
        values_text(&b, ps, snaps->s[k].values);
    }
    return jm_text_take(&b);
}

int jm_state_write_atomic(const char *path, const char *text)
{
    /* a failed sync of the folder still leaves the new state in place */
    return jm_atomic_write(path, text, strlen(text), NULL, 0) < 0 ? -1 : 0;
}

/* One file of a save: written (text) or removed (NULL). Files go to disk in
 * the order lanes and snapshots, then the main file that names them, then
 * removals of what it no longer names: a crash at any point leaves a main
 * file whose every reference is a complete file. */
typedef struct {
    char *path;
    char *text;                 /* NULL: remove the file */
    int stage;                  /* 0 others, 1 main, 2 removals */
} entry_t;

typedef struct {
    entry_t *e;
    int n, cap;
} job_t;

static void job_free(job_t *j)
{
    if (!j) return;
    for (int i = 0; i < j->n; i++) { free(j->e[i].path); free(j->e[i].text); }
    free(j->e);
    free(j);
}

/* Takes text (NULL for a removal); a newer entry for a path replaces the
 * older one. -1 out of memory (text freed). */
static int job_add(job_t *j, const char *path, char *text, int stage)
{
    for (int i = 0; i < j->n; i++) {
        if (strcmp(j->e[i].path, path)) continue;
        free(j->e[i].text);
        j->e[i].text = text;
        j->e[i].stage = stage;
        return 0;
    }
    entry_t *e = jm_grow(j->e, &j->cap, j->n + 1, sizeof *e, 8);
    if (!e) { free(text); return -1; }
    j->e = e;
    char *p = strdup(path);
    if (!p) { free(text); return -1; }
    j->e[j->n++] = (entry_t){p, text, stage};
    return 0;
}

/* Moves every entry of src into dst (src's entries win) and frees src. */
static void job_merge(job_t *dst, job_t *src)
{
    for (int i = 0; i < src->n; i++) {
        job_add(dst, src->e[i].path, src->e[i].text, src->e[i].stage);
        free(src->e[i].path);
    }
    free(src->e);
    free(src);
}

struct jm_state_writer {
    char path[PATH_LEN];
    const jm_log_t *log;
    pthread_t thread;
    pthread_mutex_t lock;
    job_t *pending;             /* under lock */
    atomic_bool stop;
    int failing;                /* disk thread */
    double last_save;           /* control thread: monotonic time of the last save */
    char *midi;                 /* control thread: the @midi lines of the main file */
    atomic_ullong bytes;        /* bytes handed to write() (tests, docs) */
};

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Puts j back in front of what was handed over meanwhile (newer wins). */
static void requeue(jm_state_writer_t *w, job_t *j)
{
    pthread_mutex_lock(&w->lock);
    job_t *newer = w->pending;
    if (newer) job_merge(j, newer);
    w->pending = j;
    pthread_mutex_unlock(&w->lock);
}

static int run_entry(jm_state_writer_t *w, entry_t *e)
{
    if (!e->text) return unlink(e->path) < 0 && errno != ENOENT ? -1 : 0;
    atomic_fetch_add(&w->bytes, strlen(e->text));
    return jm_state_write_atomic(e->path, e->text);
}

static void write_pending(jm_state_writer_t *w)
{
    pthread_mutex_lock(&w->lock);
    job_t *j = w->pending;
    w->pending = NULL;
    pthread_mutex_unlock(&w->lock);
    if (!j) return;
    for (int stage = 0; stage < 3; stage++) {
        for (int i = 0; i < j->n; i++) {
            entry_t *e = &j->e[i];
            if (e->stage != stage) continue;
            if (run_entry(w, e) == 0) {
                free(e->path);
                free(e->text);
                j->e[i--] = j->e[--j->n];
                continue;
            }
            if (stage == 2) { /* a file left behind harms nothing: forget it */
                free(e->path);
                free(e->text);
                j->e[i--] = j->e[--j->n];
                continue;
            }
            if (!w->failing)
                jm_log(w->log, JM_LOG_ERROR, "cannot save state to %s: %s (old state kept)",
                       e->path, strerror(errno));
            w->failing = 1;
            /* keep the rest for a retry (a disk that was full may have room
             * again), merged with anything newer */
            requeue(w, j);
            return;
        }
    }
    if (w->failing) jm_log(w->log, JM_LOG_INFO, "state saved to %s again", w->path);
    w->failing = 0;
    job_free(j);
}

static void *writer_main(void *arg)
{
    jm_state_writer_t *w = arg;
    jm_rt_name_thread("jm-state");
    struct timespec ts = {0, 20 * 1000 * 1000};
    int wait = 0;
    while (!atomic_load(&w->stop)) {
        /* after a failure, try again once a second rather than every 20 ms */
        if (wait > 0) wait--;
        else {
            write_pending(w);
            wait = w->failing ? 50 : 0;
        }
        nanosleep(&ts, NULL);
    }
    write_pending(w);
    return NULL;
}

jm_state_writer_t *jm_state_writer_start(const char *path, const jm_log_t *log)
{
    jm_state_writer_t *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    snprintf(w->path, sizeof w->path, "%s", path);
    w->log = log;
    w->last_save = -1e9;
    pthread_mutex_init(&w->lock, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w)) {
        pthread_mutex_destroy(&w->lock);
        free(w);
        return NULL;
    }
    return w;
}

static void submit(jm_state_writer_t *w, job_t *j)
{
    pthread_mutex_lock(&w->lock);
    if (w->pending) job_merge(w->pending, j);
    else w->pending = j;
    pthread_mutex_unlock(&w->lock);
}

void jm_state_writer_submit(jm_state_writer_t *w, char *text)
{
    job_t *j = calloc(1, sizeof *j);
    if (!j) { free(text); return; }
    job_add(j, w->path, text, 1);
    submit(w, j);
}

int jm_state_writer_due(const jm_state_writer_t *w)
{
    return !w || mono_now() - w->last_save >= SAVE_EVERY;
}

unsigned long long jm_state_writer_bytes(jm_state_writer_t *w)
{
    return w ? atomic_load(&w->bytes) : 0;
}

int jm_state_writer_save(jm_state_writer_t *w, const jm_paramset_t *ps, const float *values,
                         jm_autolanes_t *lanes, jm_snapshots_t *snaps)
{
    job_t *j = calloc(1, sizeof *j);
    if (!j) return -1;
    char p[PATH_LEN];
    int rc = 0;
    jm_text_t b = {0};
    /* the lanes: only when they changed since the last save */
    if (lanes) {
        uint64_t h = lanes_hash(lanes);
        if (h != lanes->stored_hash) {
            char *t = lanes_file_text(ps, lanes);
            part_path(p, sizeof p, w->path, PART_LANES, 0);
            if (t && job_add(j, p, t, 0) == 0) lanes->stored_hash = h;
            else rc = -1;
        }
    }
    /* each snapshot in its own file, written when it changed */
    for (int k = 0; snaps && k < snaps->n; k++) {
        jm_snapshot_t *s = &snaps->s[k];
        if (s->stored_gen == s->gen && s->gen) continue;
        jm_text_printf(&b, "%s\n", SNAP_MAGIC);
        values_text(&b, ps, s->values);
        char *t = jm_text_take(&b);
        part_path(p, sizeof p, w->path, PART_SNAP, s->id);
        if (t && job_add(j, p, t, 0) == 0) s->stored_gen = s->gen ? s->gen : 1;
        else rc = -1;
    }
    /* the main file: values, and the names of the others */
    jm_text_printf(&b, "%s\n", STATE_MAGIC);
    values_text(&b, ps, values);
    if (lanes) jm_text_printf(&b, "@lanefile\n");
    if (w->midi) jm_text_puts(&b, w->midi);
    for (int k = 0; snaps && k < snaps->n; k++)
        jm_text_printf(&b, "@snapfile %u %s\n", snaps->s[k].id, snaps->s[k].name);
    char *t = jm_text_take(&b);
    if (!t || job_add(j, w->path, t, 1)) rc = -1;
    for (int k = 0; snaps && k < snaps->n_gone; k++) {
        part_path(p, sizeof p, w->path, PART_SNAP, snaps->gone[k]);
        job_add(j, p, NULL, 2);
    }
    if (snaps) snaps->n_gone = 0;
    submit(w, j);
    w->last_save = mono_now();
    return rc;
}

void jm_state_writer_stop(jm_state_writer_t *w)
{
    if (!w) return;
    atomic_store(&w->stop, true);
    pthread_join(w->thread, NULL);
    job_free(w->pending); /* a save that could not be written */
    free(w->midi);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

void jm_state_writer_midi(jm_state_writer_t *w, char *text)
{
    if (!w) {
        free(text);
        return;
    }
    free(w->midi);
    w->midi = text;
}

static const char *const midi_kinds[] = {NULL, "cc", "cc14", "note", "pitchbend"};

char *jm_state_midi_text(const jm_paramset_t *ps, const jm_midi_cfg_t *mc)
{
    jm_text_t b = {0};
    jm_text_puts(&b, "@midimap\n");
    for (int k = 0; k < mc->n_map; k++) {
        const jm_midi_binding_t *m = &mc->map[k];
        if (m->kind < JM_MIDI_CC || m->kind > JM_MIDI_PITCHBEND) continue;
        jm_text_printf(&b, "@midi %s %s %d %d %d %s %d\n", ps->p[m->param].name_path,
                       midi_kinds[m->kind], m->number, m->lsb, m->channel,
                       m->momentary ? "momentary" : "toggle", m->feedback);
    }
    return jm_text_take(&b);
}

int jm_state_load_midi(const char *path, const jm_paramset_t *ps, jm_midi_cfg_t *mc,
                       const jm_log_t *log)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[512];
    int lineno = 0, seen = 0, n = 0;
    jm_midi_binding_t map[JM_MIDI_MAP_MAX];
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (!strcmp(line, "@midimap\n")) { seen = 1; continue; }
        if (strncmp(line, "@midi ", 6)) continue;
        char p[JM_PATH_MAX + 1], kind[16], mode[16];
        int num, lsb, ch, fb;
        jm_midi_binding_t b = {0};
        if (sscanf(line, "@midi %96s %15s %d %d %d %15s %d", p, kind, &num, &lsb, &ch, mode,
                   &fb) == 7 && num >= 0 && num < 128 && lsb >= 0 && lsb < 128 && ch >= 1 &&
            ch <= 16) {
            for (int k = JM_MIDI_CC; k <= JM_MIDI_PITCHBEND; k++)
                if (!strcmp(kind, midi_kinds[k])) b.kind = (uint8_t)k;
            b.param = jm_params_find(ps, p);
            b.number = (uint8_t)num;
            b.lsb = (uint8_t)lsb;
            b.channel = (uint8_t)ch;
            b.momentary = !strcmp(mode, "momentary");
            b.feedback = fb != 0;
        }
        char why[128] = "unreadable";
        int ok = b.kind && b.param >= 0 && n < JM_MIDI_MAP_MAX &&
                 jm_midi_binding_check(ps, &b, why, sizeof why) == 0;
        for (int k = 0; ok && k < n; k++)
            if (map[k].param == b.param || jm_midi_binding_clash(&map[k], &b)) {
                ok = 0;
                snprintf(why, sizeof why, "clashes with an earlier binding");
            }
        if (!ok) {
            jm_log(log, JM_LOG_WARN, "%s:%d: MIDI binding skipped: %s", path, lineno, why);
            continue;
        }
        map[n++] = b;
    }
    fclose(f);
    if (!seen) return -1;
    memcpy(mc->map, map, (size_t)n * sizeof map[0]);
    mc->n_map = n;
    return n;
}
