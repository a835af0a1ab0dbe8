#include "jmixd/control/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jm_snapshots_init(jm_snapshots_t *ss, size_t n_values)
{
    memset(ss, 0, sizeof *ss);
    ss->n_values = n_values;
}

void jm_snapshots_free(jm_snapshots_t *ss)
{
    for (int i = 0; i < ss->n; i++) free(ss->s[i].values);
    ss->n = 0;
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
        if (ss->n == JM_MAX_SNAPSHOTS || strlen(name) >= JM_SNAPSHOT_NAME) return -1;
        float *v = malloc((ss->n_values ? ss->n_values : 1) * sizeof *v);
        if (!v) return -1;
        s = &ss->s[ss->n++];
        snprintf(s->name, sizeof s->name, "%s", name);
        s->values = v;
    }
    memcpy(s->values, values, ss->n_values * sizeof *values);
    return 0;
}

int jm_snapshots_delete(jm_snapshots_t *ss, const char *name)
{
    for (int i = 0; i < ss->n; i++) {
        if (strcmp(ss->s[i].name, name)) continue;
        free(ss->s[i].values);
        ss->s[i] = ss->s[--ss->n];
        return 0;
    }
    return -1;
}
