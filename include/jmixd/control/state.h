/* The live-state files: every parameter value, the automation lanes and
 * the snapshots. Each written atomically (temporary file, fsync, rename,
 * fsync of the folder) by a disk thread, so a power cut leaves the old or
 * the new file, never a broken one; only the files that changed are
 * written.
 *
 * Threads: load/serialize/write_atomic from any non-audio thread; the writer
 * is started and fed by the control thread and runs its own disk thread. */
#ifndef JMIXD_STATE_H
#define JMIXD_STATE_H

#include "jmixd/control/automation.h"
#include "jmixd/util/log.h"
#include "jmixd/session/params.h"
#include "jmixd/control/snapshot.h"
#include "jmixd/session/session.h"

/* Layout (docs/session.md): the main file PATH holds `NAME_PATH VALUE`
 * lines, then `@lanefile` (the lanes are in PATH.lanes: `@lane NAME_PATH
 * MODE` blocks of `SECONDS VALUE` lines) and one `@snapfile ID NAME` per
 * snapshot (its `NAME_PATH VALUE` lines are in PATH.snap.ID). The older
 * single-file layout (`@lane` and `@snapshot NAME` blocks inline in PATH)
 * is still read; the next save writes the new one. */

/* Apply the values found in PATH to values[], and its lanes and snapshots
 * to `lanes` and `snaps` (either may be NULL). Returns the number of values
 * applied, 0 when the file does not exist, -1 when it cannot be read.
 * Unknown paths are skipped with a warning; values are clamped. Lanes and
 * snapshots read from their own files count as stored (not written again
 * until they change). */
int jm_state_load(const char *path, const jm_paramset_t *ps, float *values, jm_autolanes_t *lanes,
                  jm_snapshots_t *snaps, const jm_log_t *log);
/* Malloc'd text of the whole state in the single-file layout (lanes and
 * snaps may be NULL; lanes are brought up to date, jm_lanes_sync); midi
 * (NULL: none) is jm_state_midi_text's lines, carried after the values as
 * the writer's main file carries them. */
char *jm_state_serialize(const jm_paramset_t *ps, const float *values, jm_autolanes_t *lanes,
                         const jm_snapshots_t *snaps, const char *midi);
/* 0, or -1 with errno set (the old file is untouched). */
int jm_state_write_atomic(const char *path, const char *text);

typedef struct jm_state_writer jm_state_writer_t;
jm_state_writer_t *jm_state_writer_start(const char *path, const jm_log_t *log);
/* Save: the main file always; PATH.lanes only when the lanes changed since
 * the last save; a snapshot's file only when it changed; files of deleted
 * snapshots are removed after the main file no longer names them. Hands the
 * job to the disk thread (merged with an unwritten one, newer files win)
 * and returns at once; 0, or -1 when out of memory (what could be built is
 * handed over). */
int jm_state_writer_save(jm_state_writer_t *w, const jm_paramset_t *ps, const float *values,
                         jm_autolanes_t *lanes, jm_snapshots_t *snaps);
/* Hand over the main file's text as is (takes ownership). */
void jm_state_writer_submit(jm_state_writer_t *w, char *text);
/* 1 when the last save is at least a second old (or w is NULL): saves of
 * changing values are coalesced to at most one a second. */
int jm_state_writer_due(const jm_state_writer_t *w);
/* Bytes of file content handed to write() so far (disk thread's count). */
unsigned long long jm_state_writer_bytes(jm_state_writer_t *w);
/* MIDI bindings (docs/midi.md): the main file carries an `@midimap` line
 * and one `@midi NAME_PATH KIND NUMBER LSB CHANNEL MODE FEEDBACK` line per
 * binding (KIND cc, cc14, note or pitchbend; MODE toggle or momentary;
 * FEEDBACK 0 or 1). */
/* The lines for mc (malloc'd; NULL when out of memory). */
char *jm_state_midi_text(const jm_paramset_t *ps, const jm_midi_cfg_t *mc);
/* The main file's text carries these lines from now on (takes ownership;
 * NULL: none). w may be NULL (text freed). */
void jm_state_writer_midi(jm_state_writer_t *w, char *text);
/* The bindings of the state file at PATH replace mc's map when the file has
 * an @midimap line: returns their number; -1 when the file cannot be read
 * or has no @midimap (mc untouched). Bad lines are skipped with a
 * warning. */
int jm_state_load_midi(const char *path, const jm_paramset_t *ps, jm_midi_cfg_t *mc,
                       const jm_log_t *log);
/* Writes what is pending, then joins the disk thread. */
void jm_state_writer_stop(jm_state_writer_t *w);

#endif
