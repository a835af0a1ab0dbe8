/* Real-time analyser: 31 one-third-octave bands, 20 Hz .. 20 kHz, at the
 * IEC 61260-1 base-10 centre frequencies fm = 1000 * 10^((k - 17) / 10) Hz
 * (band k = 0 .. 30; k = 17 is 1 kHz).
 *
 * Method: a filter bank, not an FFT. Each band is a 6th-order Butterworth
 * band-pass (3rd-order low-pass prototype, 3 biquads in double) centred
 * on the band edges fm * 10^(+-1/20) (bilinear transform prewarped at both),
 * its -3 dB width narrowed by 3/pi so that its noise bandwidth equals the
 * nominal band (broadband noise reads what an ideal band passes; the edges
 * read -3.65 dB). That shape meets the IEC 61260
 * class 1 mask (test_rta.c checks points of it), so a band reads what a
 * standard 1/3-octave meter reads, which an FFT's bins summed into bands do
 * not do at the low end (a 20 Hz band 4.6 Hz wide would need a 1 s window).
 * Octave decimation keeps it cheap and well conditioned: a band runs at
 * rate fs / 2^d with the largest d for which its upper edge stays below a
 * quarter of that rate; every halving is preceded by an 8th-order
 * Butterworth low-pass at 0.4 x the new Nyquist (flat to 0.001 dB up to a
 * quarter of the new rate; >= 83 dB down where aliases would land in a
 * band). Cost: about 35 biquads per input sample and channel (6 bands at the
 * full rate at 48 kHz, the rest on halved rates, plus the decimators).
 * No library dependency.
 * Near Nyquist: a band's upper edge is limited to 0.48 fs, so at 44.1 kHz
 * the 20 kHz band covers 17.8 .. 21.2 kHz instead of 17.8 .. 22.4 kHz (the
 * missing part cannot exist in the signal; pink noise reads it about 1 dB
 * lower than the others); a band whose lower edge is above 0.48 fs (rates
 * below 37 kHz) always reads the floor.
 *
 * Level: mean square per band since the last take, in dBFS after AES17 (a
 * sine of peak A at the band centre reads 20 log10(A); a full-scale sine is
 * 0 dBFS), i.e. 10 log10(2 ms). Stereo power is (l^2 + r^2) / 2 per band.
 *
 * Threads: jm_rta_new / jm_rta_free on any thread except the audio thread;
 * process, take and reset are real-time safe (no allocation, lock or system
 * call) and belong to one thread at a time; centre_hz and label are pure. */
#ifndef JMIXD_DSP_RTA_H
#define JMIXD_DSP_RTA_H

#include <stdint.h>

#define JM_RTA_BANDS 31
#define JM_RTA_FLOOR_DB (-120.0f)

typedef struct jm_rta jm_rta_t;

/* rate 8000 .. 768000 Hz; NULL on failure (allocation, bad rate). */
jm_rta_t *jm_rta_new(double rate);
void jm_rta_free(jm_rta_t *r);
/* Clear the filter states and the accumulators (the last reading too). */
void jm_rta_reset(jm_rta_t *r);
/* l, rch: n frames; rch NULL for mono. Power is (l^2 + r^2)/2 for stereo.
 * Real-time safe; any n (processed in internal chunks). */
void jm_rta_process(jm_rta_t *r, const float *l, const float *rch, uint32_t n);
/* Mean-square per band since the last take, as dBFS where a sine of peak A
 * in the band reads 20log10(A) (AES17: a full-scale sine is 0 dBFS), floor
 * -120; returns the frames it covers (0: nothing since the last take, db
 * untouched). Resets the accumulators. A low band that got no sample of its
 * decimated rate since the last take (a take every few frames) repeats its
 * previous reading. */
uint32_t jm_rta_take(jm_rta_t *r, float db[JM_RTA_BANDS]);
/* Exact centre 1000 * 10^((band - 17) / 10) Hz; 0 for a band out of range. */
double jm_rta_centre_hz(int band);
/* Nominal centre as a label: "20", "25", "31.5" ... "1k", "1.25k" ... "20k";
 * "" for a band out of range. */
const char *jm_rta_label(int band);
/* The magnitude response in dB of the band's filters at frequency f,
 * including the decimators in front of it (pure, from the coefficients;
 * for plots and tests). */
double jm_rta_response_db(const jm_rta_t *r, int band, double f);

/* The console's analyser taps (JM_CMD_RTA, /rta/source; here so that every
 * layer can name them): a strip after its chain (trim, HPF, gate, EQ,
 * compressor; before mute and fader), a bus's output (an aux bus after its
 * EQ, fader and limiter, as on its ports; an FX bus's effect output, before
 * its return level), the master after the limiter. */
enum { JM_RTA_SRC_OFF, JM_RTA_SRC_STRIP, JM_RTA_SRC_BUS, JM_RTA_SRC_MASTER };

#endif
