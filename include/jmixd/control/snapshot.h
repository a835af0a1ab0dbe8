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
    unsigned id;            /* names its file beside the state file; never reused in a run */
    unsigned gen;           /* bumped when the values change */
    unsigned stored_gen;    /* gen last handed to the state file (0: never) */
} jm_snapshot_t;

typedef struct {
    jm_snapshot_t s[JM_MAX_SNAPSHOTS];
    int n;
    size_t n_values;
    unsigned next_id;       /* the id the next new snapshot gets */
    unsigned *gone;         /* ids of deleted snapshots whose files are still to remove */
    int n_gone, cap_gone;
} jm_snapshots_t;

void jm_snapshots_init(jm_snapshots_t *ss, size_t n_values);
void jm_snapshots_free(jm_snapshots_t *ss);
/* A name is 1 to JM_SNAPSHOT_NAME-1 bytes, none of them a space or a
 * control character (it is one word of a line in the state file). */
int jm_snapshot_name_ok(const char *name);
/* Store (or replace) a snapshot; 0, or -1 when full, the name is not
 * valid, or out of memory. Storing the values it already holds changes
 * nothing (nothing to write to disk). */
int jm_snapshots_save(jm_snapshots_t *ss, const char *name, const float *values);
const jm_snapshot_t *jm_snapshots_find(const jm_snapshots_t *ss, const char *name);
int jm_snapshots_delete(jm_snapshots_t *ss, const char *name);

#endif
