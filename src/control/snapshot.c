/* The snapshot store (include/jmixd/control/snapshot.h). */
#include "jmixd/control/snapshot.h"
#include "jmixd/util/grow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jm_snapshots_init(jm_snapshots_t *ss, size_t n_values)
{
    memset(ss, 0, sizeof *ss);
    ss->n_values = n_values;
    ss->next_id = 1;
}

void jm_snapshots_free(jm_snapshots_t *ss)
{
    for (int i = 0; i < ss->n; i++) free(ss->s[i].values);
    ss->n = 0;
    free(ss->gone);
    ss->gone = NULL;
    ss->n_gone = ss->cap_gone = 0;
}

int jm_snapshot_name_ok(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len >= JM_SNAPSHOT_NAME) return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (ch <= ' ' || ch == 0x7f) return 0;
    }
    return 1;
}

const jm_snapshot_t *jm_snapshots_find(const jm_snapshots_t *ss, const char *name)
{
    for (int i = 0; i < ss->n; i++)
        if (!strcmp(ss->s[i].name, name)) return &ss->s[i];
    return NULL;
}

int jm_snapshots_save(jm_snapshots_t *ss, const char *name, const float *values)
{
    jm_snapshot_t *s = (jm_snapshot_t *)jm_snapshots_find(ss, name);
    if (!s) {
        if (ss->n == JM_MAX_SNAPSHOTS || !jm_snapshot_name_ok(name)) return -1;
        float *v = malloc((ss->n_values ? ss->n_values : 1) * sizeof *v);
        if (!v) return -1;
        s = &ss->s[ss->n++];
        memset(s, 0, sizeof *s);
        snprintf(s->name, sizeof s->name, "%s", name);
        s->values = v;
        if (!ss->next_id) ss->next_id = 1;
        s->id = ss->next_id++;
    } else if (!memcmp(s->values, values, ss->n_values * sizeof *values)) {
        return 0;
    }
    memcpy(s->values, values, ss->n_values * sizeof *values);
    s->gen++;
    if (!s->gen) s->gen = 1; /* 0 means "never stored" */
    return 0;
}

int jm_snapshots_delete(jm_snapshots_t *ss, const char *name)
{
    for (int i = 0; i < ss->n; i++) {
        if (strcmp(ss->s[i].name, name)) continue;
        if (ss->s[i].stored_gen) {
            /* its file goes once the state file no longer lists it; without
             * memory for the note, the file is only left behind */
            unsigned *g = jm_grow(ss->gone, &ss->cap_gone, ss->n_gone + 1, sizeof *g, 16);
            if (g) ss->gone = g;
            if (ss->n_gone < ss->cap_gone) ss->gone[ss->n_gone++] = ss->s[i].id;
        }
        free(ss->s[i].values);
        ss->s[i] = ss->s[--ss->n];
        return 0;
    }
    return -1;
}
