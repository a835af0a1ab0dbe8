/* The console's limits and the field layout of its DSP state: which slot of
 * the mixer's structure of arrays a value lands in. The DSP code owns this
 * header; the parameter table (session/params.h) includes it and maps each
 * parameter row onto a field, never the other way round.
 *
 * Threads: constants only. */
#ifndef JMIXD_DSP_FIELDS_H
#define JMIXD_DSP_FIELDS_H

#define JM_MAX_STRIPS 512
#define JM_MAX_BUSES 8
#define JM_EQ_BANDS 4    /* low shelf, two peaking bands, high shelf */
#define JM_MIXER_SUB 256 /* frames per mixer sub-block (the largest inner block) */

/* Engine fields: where a value lands in the mixer's structure of arrays.
 * A tail with {n} or {b} occupies consecutive fields (field + sub).
 * Chain fields (HPF, gate, EQ, compressor) are shared by strips and master:
 * strip field = JM_SF_CHAIN + JM_CF_x, master field = JM_MF_CHAIN + JM_CF_x. */
enum {
    JM_CF_HPF_ON,
    JM_CF_HPF_FREQ,
    JM_CF_GATE_ON,
    JM_CF_GATE_THRESHOLD,
    JM_CF_GATE_RANGE,
    JM_CF_GATE_ATTACK,
    JM_CF_GATE_HOLD,
    JM_CF_GATE_RELEASE,
    JM_CF_EQ_ON,
    JM_CF_EQ_FREQ,                                /* JM_EQ_BANDS bands */
    JM_CF_EQ_GAIN = JM_CF_EQ_FREQ + JM_EQ_BANDS,  /* JM_EQ_BANDS bands */
    JM_CF_EQ_Q = JM_CF_EQ_GAIN + JM_EQ_BANDS,     /* JM_EQ_BANDS bands */
    JM_CF_COMP_ON = JM_CF_EQ_Q + JM_EQ_BANDS,
    JM_CF_COMP_THRESHOLD,
    JM_CF_COMP_RATIO,
    JM_CF_COMP_ATTACK,
    JM_CF_COMP_RELEASE,
    JM_CF_COMP_KNEE,
    JM_CF_COMP_MAKEUP,
    JM_CF_COUNT
};
enum {
    JM_SF_TRIM,
    JM_SF_POLARITY,
    JM_SF_MUTE,
    JM_SF_SOLO,
    JM_SF_FADER,
    JM_SF_PAN,
    JM_SF_CHAIN,
    JM_SF_SEND_LEVEL = JM_SF_CHAIN + JM_CF_COUNT,   /* per bus */
    JM_SF_SEND_PRE = JM_SF_SEND_LEVEL + JM_MAX_BUSES, /* per bus */
    JM_SF_SEND_ON = JM_SF_SEND_PRE + JM_MAX_BUSES,    /* per bus */
    JM_SF_SEND_PAN = JM_SF_SEND_ON + JM_MAX_BUSES,    /* per bus: aux buses only */
    JM_SF_SEND_LINK = JM_SF_SEND_PAN + JM_MAX_BUSES,  /* per bus: aux buses only */
    JM_SF_PFL = JM_SF_SEND_LINK + JM_MAX_BUSES,       /* listen on the monitor (PFL/AFL) */
    JM_SF_COLOR,                                      /* stored only: the DSP ignores it */
    JM_SF_SOURCE,                                     /* 0 live, 1 file (virtual soundcheck) */
    JM_SF_COUNT
};
enum {
    JM_MF_FADER,
    JM_MF_MONO,
    JM_MF_LIMITER_ON,
    JM_MF_LIMITER_CEILING,
    JM_MF_LIMITER_RELEASE,
    JM_MF_LIMITER_LOOKAHEAD,
    JM_MF_CHAIN,
    JM_MF_COUNT = JM_MF_CHAIN + JM_CF_COUNT
};
/* JM_MONF_AFL is read by the mixer (the listen bus), the others by dsp/monitor.h. */
enum { JM_MONF_LEVEL, JM_MONF_DIM, JM_MONF_MONO, JM_MONF_SIDE, JM_MONF_CURVE, JM_MONF_AFL,
       JM_MONF_COUNT };
/* The talkback section (mixer: docs/dsp.md, "Talkback"). */
enum { JM_TBF_ON, JM_TBF_DIM, JM_TBF_LEVEL, JM_TBF_COUNT };
enum {
    JM_BF_FADER,
    JM_BF_MUTE,
    JM_BF_REVERB_SIZE,
    JM_BF_REVERB_DAMPING,
    JM_BF_REVERB_WIDTH,
    JM_BF_REVERB_PREDELAY,
    JM_BF_DELAY_TIME,
    JM_BF_DELAY_FEEDBACK,
    JM_BF_DELAY_TONE,
    JM_BF_LIMITER_ON,       /* aux buses */
    JM_BF_LIMITER_CEILING,
    JM_BF_LIMITER_RELEASE,
    JM_BF_PFL,              /* aux buses: listen to the bus on the monitor */
    JM_BF_SEND_LEVEL,       /* per bus: an FX return into an aux bus */
    JM_BF_CHAIN = JM_BF_SEND_LEVEL + JM_MAX_BUSES, /* aux buses: the EQ of a chain */
    JM_BF_COUNT = JM_BF_CHAIN + JM_CF_COUNT
};

#endif
