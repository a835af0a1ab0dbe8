/* The generic MIDI bindings and MIDI learn (docs/midi.md): CCs, 14-bit CC
 * pairs, notes and pitch bend move the parameters of the session's
 * midi.map, and every bound parameter's value is sent back to midi_out
 * (unless the binding says feedback = false). Runs with every surface, also
 * beside a Mackie Control driver.
 *
 * Works only through a jm_surface_host_t (control/surface.h), so unit tests
 * drive it with a fake host.
 *
 * Threads: control thread only. */
#ifndef JMIXD_MIDILEARN_H
#define JMIXD_MIDILEARN_H

#include "jmixd/control/surface.h"
#include "jmixd/session/session.h"

#define JM_LEARN_PAIR_SECONDS 0.05  /* an LSB (CC n+32) this soon after CC n makes a 14-bit pair */

typedef struct {
    jm_midi_cfg_t *cfg;             /* the bindings: the session's midi.map, edited here */
    const jm_surface_host_t *host;
    int armed;                      /* parameter waiting for a control, -1: none */
    /* learning saw CC n (0..31): waiting JM_LEARN_PAIR_SECONDS for CC n+32 */
    int pend_cc, pend_ch, pend_val; /* pend_cc -1: nothing pending */
    double pend_t;
    uint8_t msb[JM_MIDI_MAP_MAX];   /* CC14: the last MSB received per binding */
    int echo;                       /* binding whose input is being applied, -1: none */
} jm_midilearn_t;

void jm_midilearn_init(jm_midilearn_t *l, jm_midi_cfg_t *cfg, const jm_surface_host_t *host);

/* Arm learning for parameter `param` (replacing an armed one); -1 cancels. */
void jm_midilearn_arm(jm_midilearn_t *l, int param);
/* Remove param's binding: 1 removed, 0 it had none. */
int jm_midilearn_unlearn(jm_midilearn_t *l, int param);
/* The binding of param, or -1. */
int jm_midilearn_find(const jm_midilearn_t *l, int param);

/* One complete message from midi_in. Applies it to the bindings it
 * matches; while armed, the first CC, note or pitch bend is bound to the
 * armed parameter (replacing the parameter's old binding and any binding of
 * the same control) and applied. Returns the index of a binding just
 * learned, or -1. */
int jm_midilearn_input(jm_midilearn_t *l, const uint8_t *msg, size_t len, double now);
/* Timers: a CC learned alone once its pair window passed. Returns the index
 * of a binding just learned, or -1. */
int jm_midilearn_tick(jm_midilearn_t *l, double now);

/* Parameter param is now value: its binding's feedback (not back to the
 * binding whose input made the change). */
void jm_midilearn_param(jm_midilearn_t *l, int param, float value);
/* Every bound parameter's value to midi_out (a new midi_out, a reload). */
void jm_midilearn_resync(jm_midilearn_t *l);

/* "cc 7 ch 1", "cc 7+39 ch 2", "note 16 ch 1 momentary", "pitchbend ch 9",
 * with " nofeedback" when feedback is off. */
void jm_midilearn_describe(const jm_midi_binding_t *b, char *out, size_t cap);

#endif
