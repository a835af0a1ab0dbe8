/* The Mackie Control / Logic Control surface driver (docs/midi.md, "Mackie
 * Control"): 8 channel strips and the master fader of an MCU-compatible
 * surface (Mackie Control Universal, Behringer X-Touch in MCU mode, Icon,
 * ...) drive the console's strips, and the console's state drives the
 * surface's motor faders, LEDs, LED rings, scribble strips, meters and
 * timecode display.
 *
 * Threads: jm_surface_mcu's ops run on the control thread only (see
 * control/surface.h). The jm_mcu_* helpers below are pure (no state) and
 * may be called from any thread; they are exported for the unit tests. */
#ifndef JMIXD_MCU_H
#define JMIXD_MCU_H

#include "jmixd/control/surface.h"

#include <stddef.h>
#include <stdint.h>

/* The driver of `surface = "mcu"`. */
extern const jm_surface_ops_t jm_surface_mcu;

/* Note numbers of the surface's buttons (Logic Control MIDI implementation,
 * "Control Surface Layout and IDs"); a press is note on velocity 7F, a
 * release velocity 00; the host lights an LED with the same note. */
enum {
    JM_MCU_REC = 0x00,          /* 0x00..0x07, one per channel */
    JM_MCU_SOLO = 0x08,         /* 0x08..0x0F */
    JM_MCU_MUTE = 0x10,         /* 0x10..0x17 */
    JM_MCU_SELECT = 0x18,       /* 0x18..0x1F */
    JM_MCU_VPOT_PUSH = 0x20,    /* 0x20..0x27 */
    JM_MCU_ASSIGN_SEND = 0x29,
    JM_MCU_ASSIGN_PAN = 0x2A,
    JM_MCU_BANK_LEFT = 0x2E,
    JM_MCU_BANK_RIGHT = 0x2F,
    JM_MCU_CHANNEL_LEFT = 0x30,
    JM_MCU_CHANNEL_RIGHT = 0x31,
    JM_MCU_REWIND = 0x5B,
    JM_MCU_FFWD = 0x5C,
    JM_MCU_STOP = 0x5D,
    JM_MCU_PLAY = 0x5E,
    JM_MCU_TOUCH = 0x68         /* 0x68..0x6F channel faders, 0x70 master */
};

/* Control change numbers. */
enum {
    JM_MCU_CC_VPOT = 0x10,      /* 0x10..0x17 from the surface: relative turns */
    JM_MCU_CC_RING = 0x30,      /* 0x30..0x37 to the surface: LED ring */
    JM_MCU_CC_TIMECODE = 0x40,  /* 0x40..0x49: timecode digits, right to left */
    JM_MCU_CC_ASSIGN = 0x4A     /* 0x4A..0x4B: the 2-digit assignment display */
};

/* Number of timecode digits. */
#define JM_MCU_TC_DIGITS 10

/* The Logic Control host connection reply's 4 response bytes for the
 * surface's 4 challenge bytes (the algorithm of the Logic Control MIDI
 * implementation, "Host Connection and Initialization"). */
void jm_mcu_challenge_response(const uint8_t l[4], uint8_t r[4]);

/* A 14-bit fader position (0..16383) from 0..1 and back. */
uint16_t jm_mcu_pb_from_norm(float norm);
float jm_mcu_norm_from_pb(uint16_t pb);

/* A V-Pot CC value (0sdddddd: s = counter-clockwise, d = ticks) as signed
 * ticks: +3 three ticks clockwise, -3 three counter-clockwise. */
int jm_mcu_vpot_ticks(uint8_t v);

/* The meter level 0..12 (channel pressure low nibble) of a peak in dBFS:
 * 0 below -60 dBFS, then one segment per 5 dB, 12 from -5 dBFS up. */
int jm_mcu_meter_level(float dbfs);

/* The 10 timecode characters, digits[0] the right-most, for a position in
 * frames at `rate`: hours (3 digits, leading blanks), minutes, seconds
 * (2 digits each) and milliseconds (3 digits), a decimal point after the
 * hours, minutes and seconds: "  0.01.23.456". Codes per the 7-segment
 * character table: '0'..'9' are 0x30..0x39, a blank 0x20, +0x40 lights the
 * digit's decimal point. */
void jm_mcu_timecode(uint32_t frame, uint32_t rate, uint8_t digits[JM_MCU_TC_DIGITS]);

/* A 7-segment code for an ASCII character (letters fold to upper case:
 * 'A'..'Z' are 0x01..0x1A, digits and most punctuation keep their code). */
uint8_t jm_mcu_7seg(char c);

/* A scribble-strip text of n characters at offset (0..55 upper row, 56..111
 * lower row) as F0 00 00 66 dev 12 offset chars F7 into out (n + 8 bytes;
 * characters outside 0x20..0x7E become '?'). Returns the length. */
size_t jm_mcu_scribble(uint8_t *out, uint8_t dev, int offset, const char *text, int n);

/* A fader value for a 7-character scribble cell: "-6.0dB", "-12.5",
 * "+10.0", "-inf". Returns dst. */
char *jm_mcu_fmt_db(char *dst, size_t size, float db);
/* A pan value -1..1: "L100".."<C>".."R100". Returns dst. */
char *jm_mcu_fmt_pan(char *dst, size_t size, float pan);

#endif
