/* State file: load, serialize, atomic write, and the disk thread that
 * writes it. The control thread hands text over through one atomic pointer
 * (latest wins), so it never waits for the disk. */
#include "jmixd/control/state.h"
#include "jmixd/util/atomicfile.h"
#include "jmixd/util/text.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STATE_MAGIC "# jmixd state 1"

int jm_state_load(const char *path, const jm_paramset_t *ps, float *values, jm_autolanes_t *lanes,
                  jm_snapshots_t *snaps, const jm_log_t *log)
{
    FILE *f = fopen(path, "r");
    if (!f) return errno == ENOENT ? 0 : -1;
    char line[512];
    int applied = 0, lineno = 0;
    jm_lane_t *lane = NULL;       /* inside an @lane block */
    float *snap = NULL;           /* inside an @snapshot block: its values */
    char snap_name[JM_SNAPSHOT_NAME] = "";
    float *scratch = malloc((ps->n ? ps->n : 1) * sizeof *scratch);
    if (!scratch) { fclose(f); return -1; }
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n') continue;
        char p[JM_PATH_MAX + 1], word[JM_SNAPSHOT_NAME];
        if (line[0] == '@') {
            if (snap && snaps) jm_snapshots_save(snaps, snap_name, snap);
            lane = NULL;
            snap = NULL;
            if (sscanf(line, "@lane %96s %63s", p, word) == 2) {
                int i = jm_params_find(ps, p), mode = jm_automode_parse(word);
                if (i >= 0 && mode >= 0 && lanes) {
                    lane = jm_lanes_get(lanes, i, 1);
                    if (lane) { lane->mode = (jm_automode_t)mode; lane->n = 0; }
                }
            } else if (sscanf(line, "@snapshot %63s", word) == 1) {
                for (size_t i = 0; i < ps->n; i++) scratch[i] = ps->p[i].defval;
                memcpy(snap_name, word, sizeof snap_name);
                snap = scratch;
            } else {
                jm_log(log, JM_LOG_WARN, "%s:%d: unreadable state line skipped", path, lineno);
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
                jm_log(log, JM_LOG_WARN, "%s:%d: bad automation point skipped", path, lineno);
            }
            continue;
        }
        float v;
        if (sscanf(line, "%96s %f", p, &v) != 2 || !isfinite(v)) {
            jm_log(log, JM_LOG_WARN, "%s:%d: unreadable state line skipped", path, lineno);
            continue;
        }
        int i = jm_params_find(ps, p);
        if (i < 0) {
            jm_log(log, JM_LOG_WARN, "%s:%d: no parameter %s in this session", path, lineno, p);
            continue;
        }
        if (snap) {
            snap[i] = jm_param_clamp(ps->p[i].def, v);
        } else {
            values[i] = jm_param_clamp(ps->p[i].def, v);
            applied++;
        }
    }
    if (snap && snaps) jm_snapshots_save(snaps, snap_name, snap);
    free(scratch);
    fclose(f);
    return applied;
}

char *jm_state_serialize(const jm_paramset_t *ps, const float *values, const jm_autolanes_t *lanes,
                         const jm_snapshots_t *snaps)
{
    jm_text_t b = {0};
    jm_text_printf(&b, "%s\n", STATE_MAGIC);
    for (size_t i = 0; i < ps->n; i++) jm_text_printf(&b, "%s %.9g\n", ps->p[i].name_path, values[i]);
    for (int k = 0; lanes && k < lanes->n; k++) {
        const jm_lane_t *l = &lanes->l[k];
        if (l->mode == JM_AUTO_OFF && l->n == 0) continue;
        jm_text_printf(&b, "@lane %s %s\n", ps->p[l->param].name_path, jm_automode_name(l->mode));
        for (int j = 0; j < l->n; j++) jm_text_printf(&b, "%.17g %.9g\n", l->pts[j].t, l->pts[j].v);
    }
    for (int k = 0; snaps && k < snaps->n; k++) {
        jm_text_printf(&b, "@snapshot %s\n", snaps->s[k].name);
        for (size_t i = 0; i < ps->n; i++)
            jm_text_printf(&b, "%s %.9g\n", ps->p[i].name_path, snaps->s[k].values[i]);
    }
    return jm_text_take(&b);
}

int jm_state_write_atomic(const char *path, const char *text)
{
    /* a failed sync of the folder still leaves the new state in place */
    return jm_atomic_write(path, text, strlen(text), NULL, 0) < 0 ? -1 : 0;
}

struct jm_state_writer {
    char path[4096];
    const jm_log_t *log;
    pthread_t thread;
    _Atomic(char *) pending;
    atomic_bool stop;
    int failing;
};

static void write_pending(jm_state_writer_t *w)
{
    char *text = atomic_exchange(&w->pending, NULL);
    if (!text) return;
    if (jm_state_write_atomic(w->path, text)) {
        if (!w->failing)
            jm_log(w->log, JM_LOG_ERROR, "cannot save state to %s: %s (old state kept)", w->path,
                   strerror(errno));
        w->failing = 1;
        /* keep it for a retry (a disk that was full may have room again),
         * unless the control thread has handed over a newer one meanwhile */
        char *none = NULL;
        if (!atomic_compare_exchange_strong(&w->pending, &none, text)) free(text);
        return;
    } else {
        if (w->failing) jm_log(w->log, JM_LOG_INFO, "state saved to %s again", w->path);
        w->failing = 0;
    }
    free(text);
}

static void *writer_main(void *arg)
{
    jm_state_writer_t *w = arg;
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
    if (pthread_create(&w->thread, NULL, writer_main, w)) {
        free(w);
        return NULL;
    }
    return w;
}

void jm_state_writer_submit(jm_state_writer_t *w, char *text)
{
    free(atomic_exchange(&w->pending, text));
}

void jm_state_writer_stop(jm_state_writer_t *w)
{
    if (!w) return;
    atomic_store(&w->stop, true);
    pthread_join(w->thread, NULL);
    free(atomic_exchange(&w->pending, NULL)); /* a save that could not be written */
    free(w);
}
