/* One cycle of the console: strips -> master. Pure (no JACK, no I/O), shared
 * by the live engine and the offline renderer.
 *
 * Threads: create/destroy on a non-audio thread while no audio thread uses
 * the mixer; apply/process on the audio thread only. */
#ifndef JMIXD_MIXER_H
#define JMIXD_MIXER_H

#include "jmixd/params.h"
#include "jmixd/queue.h"

#include <stdint.h>

enum { JM_CMD_SET = 1 };

#define JM_MIXER_SUB 256

/* Control -> audio: fixed size. */
typedef struct {
    uint8_t type;     /* JM_CMD_* */
    uint8_t scope;    /* jm_scope_t */
    uint16_t field;   /* JM_SF_* / JM_MF_* / JM_BF_* (+ sub) */
    uint16_t index;   /* strip or bus, 0-based */
    uint16_t pad;
    float value;      /* in the parameter's unit, already clamped */
} jm_cmd_t;

enum { JM_EV_METER_STRIP = 1, JM_EV_METER_MASTER, JM_EV_METER_BUS, JM_EV_LATENCY };

/* Audio -> control: fixed size. Meter levels are linear amplitudes. */
typedef struct {
    uint8_t type;     /* JM_EV_* */
    uint8_t pad;
    uint16_t index;
    float v[4];       /* strip: peak, rms, gain reduction dB; bus: peak, rms;
                         master: peakL, peakR, rmsL, rmsR, (index: limiter GR dB x 100);
                         latency: v[0] = frames of added latency */
} jm_event_t;

enum { JM_BUS_REVERB, JM_BUS_DELAY };

typedef struct {
    int n_strips;
    const uint8_t *stereo;   /* n_strips flags */
    int n_buses;
    const uint8_t *bus_type; /* n_buses of JM_BUS_* */
    uint32_t rate;
    uint32_t meter_frames;   /* frames per meter window (rate / meter_rate) */
} jm_mixer_config_t;

typedef struct jm_mixer jm_mixer_t;

/* Non-audio thread. Every parameter of `ps` starts at values[i], unsmoothed. */
jm_mixer_t *jm_mixer_create(const jm_mixer_config_t *cfg, const jm_paramset_t *ps,
                            const float *values);
void jm_mixer_destroy(jm_mixer_t *m);

/* Frames of latency the console adds (the limiter's lookahead while it is
 * on). Non-audio thread before the audio thread starts; afterwards the audio
 * thread reports changes as JM_EV_LATENCY events. */
uint32_t jm_mixer_latency(const jm_mixer_t *m);

/* Audio thread. */
void jm_mixer_apply(jm_mixer_t *m, const jm_cmd_t *c);
/* in[2*i], in[2*i+1]: strip i's inputs (the second only for stereo strips).
 * Meter windows that complete, and latency changes, are posted to `events`
 * (may be NULL). Any n; work is done in sub-blocks of JM_MIXER_SUB frames. */
void jm_mixer_process(jm_mixer_t *m, const float *const *in, float *out_l, float *out_r,
                      uint32_t n, jm_queue_t *events);

#endif
