/* The interface of a MIDI control surface driver (Mackie Control, the
 * generic MIDI-learn bindings, ...): what a driver gives the console and
 * what the console gives a driver (docs/midi.md).
 *
 * A driver sees only complete MIDI messages: the audio thread reads
 * jmixd:midi_in, resolves running status and reassembles SysEx, and hands
 * each message to the control thread through a ring of jm_midi_msg_t
 * (src/engine/engine.c); the glue (src/control/midi.c) passes them to
 * midi_in. Whatever a driver sends goes the other way: host->send queues
 * one message in the control -> audio ring, which the process callback
 * writes to jmixd:midi_out.
 *
 * Threads: EVERY function of both structs is called on the control thread
 * only: the glue calls the driver's ops from its tick, and a driver may call
 * the host's functions from inside any op (but not after close). Nothing
 * here may be called from the audio thread or the OSC thread. A driver may
 * not block: no sleeping, no waiting for an answer from the surface. */
#ifndef JMIXD_SURFACE_H
#define JMIXD_SURFACE_H

#include "jmixd/session/params.h"
#include "jmixd/util/midimsg.h"

#include <stddef.h>
#include <stdint.h>

/* jm_midi_msg_t and JM_MIDI_MSG_MAX: jmixd/util/midimsg.h */

/* param_changed flags */
#define JM_SURF_FROM_SELF 1u    /* the change came from this driver's own host->set /
                                   set_norm (most drivers should not echo it back) */

/* What the console gives a driver. The struct and everything it points to
 * stay valid from open until close returns; `ctx` is passed back to every
 * function pointer. */
typedef struct jm_surface_host {
    void *ctx;

    /* Queue one message (1..JM_MIDI_MSG_MAX bytes) for midi_out; it leaves
     * in the next JACK cycle (or a later one when that cycle's buffer is
     * full). 0 queued; -1 refused (no midi_out, the ring is full: counted in
     * /stats midi_out_dropped, or len out of range). Never blocks. */
    int (*send)(void *ctx, const uint8_t *bytes, size_t len);

    /* Set parameter `param` (index into `params`) as an OSC set would:
     * clamped, stored, sent to the engine, fed back to every subscriber,
     * written by automation in touch/latch/write. value is in the
     * parameter's unit; set_norm takes 0..1 in its /norm taper. Each leads
     * to param_changed (with JM_SURF_FROM_SELF) once the value is stored. */
    void (*set)(void *ctx, int param, float value);
    void (*set_norm)(void *ctx, int param, float norm);
    /* The automation touch (as OSC PATH/touch i:1 / i:0): on = 1 touched,
     * 0 released. */
    void (*touch)(void *ctx, int param, int on);
    /* The current authoritative value of `param` in its unit. */
    float (*value)(void *ctx, int param);

    /* The session's parameters: jm_params_find(params, "/strip/1/fader"),
     * params->p[i].def for the taper (jm_param_to_norm / from_norm, the X32
     * fader law jm_x32_norm_from_db / db_from_norm). Read-only. */
    const jm_paramset_t *params;

    /* Topology, fixed for the driver's life: names as in the session
     * (strip i and bus i 0-based). */
    int n_strips;
    int n_buses;
    const char *(*strip_name)(void *ctx, int strip);
    const char *(*bus_name)(void *ctx, int bus);
    const char *(*bus_type)(void *ctx, int bus);  /* "reverb", "delay" or "aux" */
    float meter_rate;                              /* Hz: how often meters is called */

    /* The JACK transport. start/stop/locate return 0, or -1 without a JACK
     * client (server down). transport returns 1 while rolling, 0 stopped,
     * -1 without a client; *frame (may be NULL) is the position. rate is the
     * sample rate (48000 before JACK told one). */
    int (*transport_start)(void *ctx);
    int (*transport_stop)(void *ctx);
    int (*transport_locate)(void *ctx, uint32_t frame);
    int (*transport)(void *ctx, uint32_t *frame);
    uint32_t (*rate)(void *ctx);
} jm_surface_host_t;

/* What a driver gives the console: a constant struct of functions, one per
 * kind of surface (e.g. jm_surface_mcu in include/jmixd/control/mcu.h).
 * Any op may be NULL when the driver has nothing to do there. `drv` is what
 * open returned. */
typedef struct jm_surface_ops {
    const char *name;               /* the session's `surface = "..."` word */

    /* After the session is loaded and midi ports are configured (the JACK
     * server need not be up: sends are refused until it is). Returns the
     * driver's state, or NULL on failure (logged by the glue; the console
     * runs without the surface). */
    void *(*open)(const jm_surface_host_t *host);
    /* The daemon stops or reloads: free everything; no host call after. */
    void (*close)(void *drv);

    /* One complete message from midi_in (jm_midi_msg_t: status byte first,
     * running status resolved, SysEx whole from F0 to F7). */
    void (*midi_in)(void *drv, const uint8_t *msg, size_t len);

    /* Parameter `param` now has `value` (its unit), after every change from
     * any source (OSC, X32, web, snapshots, automation, ramps, another
     * driver, this driver), once it is the stored authoritative value.
     * flags: JM_SURF_FROM_SELF. Ramps and automation lanes report at the
     * console's feedback pace (about 20 Hz). */
    void (*param_changed)(void *drv, int param, float value, unsigned flags);

    /* At the meter rate: each strip's peak since the last call, in dBFS
     * (-INFINITY or below -120 for silence), n_strips values; the master's
     * L and R peaks. */
    void (*meters)(void *drv, const float *strip_peak_dbfs, int n_strips,
                   const float master_peak_dbfs[2]);

    /* At least every 10 ms while the console runs; now = monotonic seconds.
     * For timers (touch timeouts, blinking LEDs, the timecode display). */
    void (*tick)(void *drv, double now);

    /* Send the whole state again: the JACK server came back (new
     * midi_out), the session reloaded values, or the driver itself decided
     * (a surface answered a handshake). */
    void (*resync)(void *drv);
} jm_surface_ops_t;

/* The driver registry (src/control/surface_reg.c, one line per driver): the
 * driver of a session's `surface` word. Returns 1 with *ops set (NULL for
 * "generic": the MIDI-learn bindings alone, which run with every surface),
 * 0 when the word names a surface whose driver is not built in (the session
 * loader refuses it), -1 for an unknown word. Any thread (a constant
 * table). */
int jm_surface_lookup(const char *name, const jm_surface_ops_t **ops);

#endif
