/* One cycle of the console: strips -> master. Pure (no JACK, no I/O), shared
 * by the live engine and the offline renderer.
 *
 * Threads: create/destroy on a non-audio thread while no audio thread uses
 * the mixer; apply/process on the audio thread only. */
#ifndef JMIXD_MIXER_H
#define JMIXD_MIXER_H

#include "jmixd/dsp/rta.h"
#include "jmixd/session/params.h"
#include "jmixd/util/queue.h"

#include <stdint.h>

enum {
    JM_CMD_SET = 1,   /* value, smoothed over the parameter's smoothing time */
    JM_CMD_RAMP,      /* linear move to value over len frames, in the parameter's unit */
    JM_CMD_LANES,     /* ptr: the jm_rtlanes_t to play from now on (handed back by JM_EV_FREE) */
    JM_CMD_RTA        /* the analyser's tap (/rta/source): field = JM_RTA_SRC_*, index =
                         strip or bus (0-based), ptr = the jm_ring_t (util/ring.h) the tap's
                         frames are written into (NULL with JM_RTA_SRC_OFF: nothing is written) */
};



/* Control -> audio: fixed size. */
typedef struct {
    uint8_t type;     /* JM_CMD_* */
    uint8_t scope;    /* jm_scope_t */
    uint16_t field;   /* JM_SF_* / JM_MF_* / JM_BF_* (+ sub) / JM_TBF_* / JM_MONF_AFL */
    uint16_t index;   /* strip or bus, 0-based */
    uint16_t pad;
    float value;      /* in the parameter's unit, already clamped */
    uint32_t len;     /* RAMP: frames */
    uint32_t tag;     /* nonzero: the engine reports JM_EV_APPLIED with this tag when it
                         applies the command (feedback for a timed change when it sounds) */
    const void *ptr;  /* LANES */
} jm_cmd_t;

enum {
    JM_EV_METER_STRIP = 1, JM_EV_METER_MASTER, JM_EV_METER_BUS, JM_EV_LATENCY, JM_EV_FREE,
    JM_EV_APPLIED     /* tag: a tagged command was applied (engine.c, at its frame) */
};

/* Audio -> control: fixed size. Meter levels are linear amplitudes. */
typedef struct {
    uint8_t type;     /* JM_EV_* */
    uint8_t pad;
    uint16_t index;
    float v[4];       /* strip: peak, rms, gain reduction dB; bus: peak, rms, (aux bus:
                         limiter gain reduction dB);
                         master: peakL, peakR, rmsL, rmsR, (index: limiter GR dB x 100);
                         latency: v[0] = frames of added latency */
    uint32_t tag;     /* APPLIED: the command's tag (fits the padding before ptr) */
    const void *ptr;  /* FREE: a lane set the audio thread no longer reads */
} jm_event_t;

enum { JM_BUS_REVERB, JM_BUS_DELAY, JM_BUS_AUX };

typedef struct {
    int n_strips;
    const uint8_t *stereo;   /* n_strips flags */
    int n_buses;
    const uint8_t *bus_type; /* n_buses of JM_BUS_* */
    const uint8_t *bus_stereo; /* n_buses flags (aux buses: channels == 2); NULL: all stereo */
    const uint8_t *talkback_bus; /* n_buses flags: the aux buses talkback feeds; NULL: none */
    uint32_t rate;
    uint32_t meter_frames;   /* frames per meter window (rate / meter_rate); windows are
                                cut at cycle ends and the remainder is carried into the
                                next, so meters come at rate / meter_frames on average */
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

/* Strip path (non-audio thread, or the audio thread between cycles):
 * level JM_SIMD_OFF (0) = the scalar reference, JM_SIMD_AUTO (1) = the best
 * SIMD kernels for this CPU (the default), or JM_SIMD_GENERIC/AVX2/AVX512
 * (simd.h). Both paths give the same audio. jm_mixer_create takes the level
 * from the environment variable JMIXD_SIMD when set (0, off, scalar, auto,
 * generic, avx2, avx512). Returns 0, or -1 when this CPU cannot run that
 * level (then the scalar path is used). */
int jm_mixer_set_simd(jm_mixer_t *m, int level);
/* "scalar", "generic", "avx2" or "avx512": the strip path in use. */
const char *jm_mixer_simd(const jm_mixer_t *m);

/* Audio thread, before jm_mixer_process: where the aux buses' outputs go
 * for the next call: out[2b] (left, or the mono output) and out[2b+1]
 * (right of a stereo aux bus) for each aux bus b, n frames each as given
 * to jm_mixer_process; they are overwritten. NULL (the default), or a
 * NULL entry: that output is computed and dropped (render). */
void jm_mixer_bus_outputs(jm_mixer_t *m, float *const *out);

/* Audio thread, before jm_mixer_process: the loaded take's channels for
 * the next call (file[2 i], and file[2 i + 1] for a stereo strip, n
 * frames each as given to jm_mixer_process), which strips whose `source`
 * is `file` play instead of their inputs (crossfading over the source's
 * smoothing time); NULL (the default): no take plays, such strips hear
 * silence. */
void jm_mixer_file_inputs(jm_mixer_t *m, const float *const *file);

/* Audio thread, before jm_mixer_process: the talkback mic for the next
 * call (n frames, as given to jm_mixer_process); NULL (the default):
 * silence, as in a render. */
void jm_mixer_talkback_input(jm_mixer_t *m, const float *in);

/* Audio thread, before jm_mixer_process: where the monitor feed goes for
 * the next call (n frames each, as given to jm_mixer_process; overwritten):
 * the final master, or while strips or aux buses are flagged pfl the
 * listen bus (docs/dsp.md, "PFL and AFL"; switching crossfades over the
 * pfl smoothing time). NULL (the default): no feed, and the listen bus is
 * not computed (render). The master and aux outputs are the same either way. */
void jm_mixer_monitor_output(jm_mixer_t *m, float *l, float *r);

/* Audio thread. */
void jm_mixer_apply(jm_mixer_t *m, const jm_cmd_t *c);
/* The transport at the start of the next jm_mixer_process (lanes follow it). */
void jm_mixer_transport(jm_mixer_t *m, int rolling, double frame);
/* in[2*i], in[2*i+1]: strip i's inputs (the second only for stereo strips).
 * Meter windows that complete, and latency changes, are posted to `events`
 * (may be NULL). Any n; work is done in sub-blocks of JM_MIXER_SUB frames. */
void jm_mixer_process(jm_mixer_t *m, const float *const *in, float *out_l, float *out_r,
                      uint32_t n, jm_queue_t *events);

#endif
