/* The live-state file: every parameter value as `NAME_PATH VALUE` lines.
 * Written atomically (temporary file, fsync, rename, fsync of the folder) by
 * a disk thread, so a power cut leaves the old or the new file, never a
 * broken one.
 *
 * Threads: load/serialize/write_atomic from any non-audio thread; the writer
 * is started and fed by the control thread and runs its own disk thread. */
#ifndef JMIXD_STATE_H
#define JMIXD_STATE_H

#include "jmixd/control/automation.h"
#include "jmixd/util/log.h"
#include "jmixd/session/params.h"
#include "jmixd/control/snapshot.h"

/* Format: `NAME_PATH VALUE` lines; then `@lane NAME_PATH MODE` followed by
 * `SECONDS VALUE` lines; `@snapshot NAME` followed by `NAME_PATH VALUE`
 * lines. */

/* Apply the values found in PATH to values[], and its lanes and snapshots
 * to `lanes` and `snaps` (either may be NULL). Returns the number of values
 * applied, 0 when the file does not exist, -1 when it cannot be read.
 * Unknown paths are skipped with a warning; values are clamped. */
int jm_state_load(const char *path, const jm_paramset_t *ps, float *values, jm_autolanes_t *lanes,
                  jm_snapshots_t *snaps, const jm_log_t *log);
/* Malloc'd text of the whole state (lanes and snaps may be NULL). */
char *jm_state_serialize(const jm_paramset_t *ps, const float *values, const jm_autolanes_t *lanes,
                         const jm_snapshots_t *snaps);
/* 0, or -1 with errno set (the old file is untouched). */
int jm_state_write_atomic(const char *path, const char *text);

typedef struct jm_state_writer jm_state_writer_t;
jm_state_writer_t *jm_state_writer_start(const char *path, const jm_log_t *log);
/* Takes ownership of text; a newer submission replaces an unwritten one. */
void jm_state_writer_submit(jm_state_writer_t *w, char *text);
/* Writes what is pending, then joins the disk thread. */
void jm_state_writer_stop(jm_state_writer_t *w);

#endif
