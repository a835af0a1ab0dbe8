/* A MIDI byte-stream parser: running status resolved, SysEx reassembled
 * across events, real-time bytes passed through between the bytes of
 * another message. What comes out are complete messages (jm_midi_msg_t,
 * util/midimsg.h). Used by the process callback on the bytes of every
 * midi_in event; pure and real-time safe (no allocation, lock or system
 * call), so unit tests drive it directly.
 *
 * Threads: one parser belongs to one thread (the audio thread in the
 * engine). */
#ifndef JMIXD_MIDIPARSE_H
#define JMIXD_MIDIPARSE_H

#include "jmixd/util/midimsg.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    jm_midi_msg_t cur;      /* the message being collected */
    uint8_t running;        /* running status (a channel status), 0: none */
    uint8_t need;           /* data bytes the current status takes */
    uint8_t in_sysex;       /* between F0 and F7 */
    uint8_t overflow;       /* this SysEx outgrew JM_MIDI_MSG_MAX: dropped at its F7 */
    uint64_t oversize;      /* SysEx messages dropped for their size */
    uint64_t stray;         /* data bytes without a status, unfinished messages cut off */
} jm_midi_parser_t;

/* A complete message; returns 0, or -1 when it could not be taken (the
 * caller counts that). */
typedef int jm_midi_emit_t(void *arg, const jm_midi_msg_t *m);

void jm_midi_parser_init(jm_midi_parser_t *p);
/* Feed len bytes; every message completed is handed to emit. Timing clock
 * (F8) and active sensing (FE) are dropped: no surface driver needs them
 * and a clock source would fill the ring. Returns how many emits failed. */
int jm_midi_parse(jm_midi_parser_t *p, const uint8_t *bytes, size_t len, jm_midi_emit_t *emit,
                  void *arg);

/* Data bytes after a status byte (channel or system common): 0, 1 or 2;
 * -1 for F0 (SysEx: up to F7). Pure. */
int jm_midi_data_len(uint8_t status);

#endif
