/* MIDI byte-stream parser (engine/midiparse.h): the MIDI 1.0 rules for
 * running status, system common and real-time bytes, and SysEx. */
#include "jmixd/engine/midiparse.h"

#include <string.h>

void jm_midi_parser_init(jm_midi_parser_t *p)
{
    memset(p, 0, sizeof *p);
}

int jm_midi_data_len(uint8_t status)
{
    if (status < 0x80) return 0;
    if (status < 0xf0) {
        uint8_t hi = status & 0xf0;
        return hi == 0xc0 || hi == 0xd0 ? 1 : 2;
    }
    switch (status) {
    case 0xf0: return -1;
    case 0xf1: case 0xf3: return 1;  /* MTC quarter frame, song select */
    case 0xf2: return 2;             /* song position */
    default: return 0;               /* tune request, F7, real-time */
    }
}

static int emit_bytes(const uint8_t *b, uint16_t n, jm_midi_emit_t *emit, void *arg)
{
    jm_midi_msg_t m;
    m.len = n;
    memcpy(m.data, b, n);
    return emit(arg, &m) < 0;
}

int jm_midi_parse(jm_midi_parser_t *p, const uint8_t *bytes, size_t len, jm_midi_emit_t *emit,
                  void *arg)
{
    int failed = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t b = bytes[i];
        if (b >= 0xf8) { /* real-time: may sit inside any message; leaves it alone */
            if (b != 0xf8 && b != 0xfe) failed += emit_bytes(&b, 1, emit, arg);
            continue;
        }
        if (p->in_sysex) {
            if (b < 0x80) {
                if (p->cur.len < JM_MIDI_MSG_MAX - 1) p->cur.data[p->cur.len++] = b;
                else p->overflow = 1;
                continue;
            }
            /* F7 ends it; any other status ends it too (a cut-off SysEx is
             * not passed on) and is then read as itself */
            p->in_sysex = 0;
            if (b == 0xf7) {
                if (p->overflow) {
                    p->oversize++;
                } else {
                    p->cur.data[p->cur.len++] = 0xf7;
                    failed += emit(arg, &p->cur) < 0;
                }
                p->overflow = 0;
                p->cur.len = 0;
                continue;
            }
            p->stray++;
            p->overflow = 0;
            p->cur.len = 0;
        }
        if (b >= 0x80) {
            if (p->cur.len && p->need) p->stray++; /* a message cut off by a new status */
            p->cur.len = 0;
            p->need = 0;
            if (b == 0xf0) {
                p->in_sysex = 1;
                p->running = 0;
                p->cur.data[p->cur.len++] = b;
                continue;
            }
            if (b == 0xf7) { p->stray++; continue; } /* an end without a start */
            int n = jm_midi_data_len(b);
            /* system common messages cancel running status */
            p->running = b < 0xf0 ? b : 0;
            if (n == 0) {
                failed += emit_bytes(&b, 1, emit, arg);
                continue;
            }
            p->cur.data[p->cur.len++] = b;
            p->need = (uint8_t)n;
            continue;
        }
        /* a data byte */
        if (!p->cur.len) {
            if (!p->running) { p->stray++; continue; }
            p->cur.data[p->cur.len++] = p->running;
            p->need = (uint8_t)jm_midi_data_len(p->running);
        }
        p->cur.data[p->cur.len++] = b;
        if (--p->need == 0) {
            failed += emit(arg, &p->cur) < 0;
            p->cur.len = 0;
        }
    }
    return failed;
}
