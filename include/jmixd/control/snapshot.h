/* Named snapshots of every parameter value (docs/osc.md).
 * Threads: control thread only. */
#ifndef JMIXD_SNAPSHOT_H
#define JMIXD_SNAPSHOT_H

#include <stddef.h>

#define JM_MAX_SNAPSHOTS 128
#define JM_SNAPSHOT_NAME 64

typedef struct {
    char name[JM_SNAPSHOT_NAME];
    float *values;          /* n values, indexed like the parameter set */
} jm_snapshot_t;

typedef struct {
    jm_snapshot_t s[JM_MAX_SNAPSHOTS];
    int n;
    size_t n_values;
} jm_snapshots_t;

void jm_snapshots_init(jm_snapshots_t *ss, size_t n_values);
void jm_snapshots_free(jm_snapshots_t *ss);
/* Store (or replace) a snapshot; 0, or -1 when full or out of memory. */
int jm_snapshots_save(jm_snapshots_t *ss, const char *name, const float *values);
const jm_snapshot_t *jm_snapshots_find(const jm_snapshots_t *ss, const char *name);
int jm_snapshots_delete(jm_snapshots_t *ss, const char *name);

#endif
