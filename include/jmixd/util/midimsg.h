/* One complete MIDI message, the unit of the MIDI rings between the
 * process callback and the control thread (src/engine/engine.c,
 * src/control/midi.c; docs/midi.md). A plain value type: any thread may
 * copy it; who fills or reads one is said where it is used. */
#ifndef JMIXD_UTIL_MIDIMSG_H
#define JMIXD_UTIL_MIDIMSG_H

#include <stdint.h>

/* Largest MIDI message carried by the rings, status byte (and for SysEx the
 * F0 and F7) included. Enough for a full Mackie scribble-strip update
 * (F0 00 00 66 14 12 offset + 112 characters + F7 = 120 bytes). A SysEx
 * arriving longer than this is dropped whole and counted (/stats
 * midi_in_dropped); a driver must split longer output itself. */
#define JM_MIDI_MSG_MAX 256

/* One complete MIDI message: channel messages with their status byte (no
 * running status), system common / real-time bytes, or a whole SysEx from
 * F0 to F7. */
typedef struct {
    uint16_t len;
    uint8_t data[JM_MIDI_MSG_MAX];
} jm_midi_msg_t;

#endif
