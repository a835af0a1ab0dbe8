/* Writing a session file (docs/session.md, /session/save): the whole console
 * -- topology, settings, every parameter, automation lanes -- as a libconfig
 * file that jm_session_load reads back into the same console, bit for bit.
 *
 * Threads: any thread except the audio thread (it allocates and does file
 * I/O, including fsync). It only reads its arguments; the caller must keep
 * them unchanged during the call. Two concurrent calls must not write the
 * same PATH (both would use PATH.tmp). */
#ifndef JMIXD_SESSION_SAVE_H
#define JMIXD_SESSION_SAVE_H

#include "jmixd/session/session.h"

#include <stddef.h>

/* Write session S to PATH atomically.
 *
 * values:  the current value of every parameter, indexed like s->params.p
 *          (s->params.n entries); NULL means s->values.
 * lanes:   n_lanes automation lanes (param indexes into s->params.p); may be
 *          NULL when n_lanes is 0. To save the lanes that were loaded, pass
 *          s->lanes, s->n_lanes.
 *
 * Written: jack, osc (port, bind, allow as CIDR strings, meter_rate,
 * clients), state (when not ""), strips (name, channels, input, file and
 * every strip parameter), buses (name, type, every bus parameter), master
 * (output, every master parameter), automation (param by its name path,
 * mode, points). Parameters go under their session keys as nested groups
 * ("eq.band2.gain" -> eq = { band2 = { gain = X; }; }), switches as
 * true/false, numbers as the shortest decimal that reads back to the same
 * float (lane times: the same double), always with a decimal point. Strings
 * (ports, file, state...) are written as given, escaped for libconfig.
 * The output depends only on the arguments: saving a reloaded session
 * produces the same bytes.
 *
 * Everything is checked before the disk is touched: a session that
 * jm_session_load would refuse (NaN or out-of-range values, bad names or
 * ports, lane points out of order, a second lane for one parameter...) is
 * not written.
 *
 * Atomic: the text goes to PATH.tmp in the same folder, which is fsynced and
 * renamed over PATH, then the folder is fsynced. An existing PATH keeps its
 * permission bits. Returns 0, or -1 with a readable message in err ("PATH:
 * reason"); PATH is then untouched and PATH.tmp removed -- except when only
 * the final fsync of the folder fails: PATH already holds the new session
 * but may not survive a power cut, and the message says so. */
int jm_session_save(const jm_session_t *s, const float *values, const jm_lane_cfg_t *lanes,
                    int n_lanes, const char *path, char *err, size_t errlen);

/* Write session S as a new file NAME in the folder DIR (created with mode
 * 0750 when missing): for controller-given names (/session/save NAME).
 * NAME must be a plain file name (jm_safe_name_check: no '/', "..",
 * leading '.', control character, at most JM_SAFE_NAME_MAX bytes); the file
 * is created exclusively (mode 0640, never through a link, FIFO or device)
 * and an existing NAME is never overwritten: that is an error ("NAME:
 * exists already ..."). Checked like jm_session_save; the text is written
 * and fsynced, and removed again when that fails. Returns 0, or -1 with
 * the reason in err. */
int jm_session_save_new(const jm_session_t *s, const float *values, const jm_lane_cfg_t *lanes,
                        int n_lanes, const char *dir, const char *name, char *err, size_t errlen);

#endif
