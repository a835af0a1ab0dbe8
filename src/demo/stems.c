/* jmixd-demo-stems: writes the demo take `make run` plays through the
 * example console (config/jmixd.cfg) when no real inputs exist: four stems
 * of an 8-bar loop at 120 BPM (16 s), synthesised here, no recorded audio
 * from anywhere:
 *   01 kick.wav   a sine falling 150 -> 48 Hz, on every beat
 *   02 snare.wav  a noise burst and a 190 Hz body, on beats 2 and 4
 *   03 bass.wav   eighth notes on the chords' roots, a few harmonics
 *   04 keys.wav   stereo: the chords (Am F C G), sustained, left and right
 *                 slightly detuned
 * as a take folder of the multitrack recorder (docs/osc.md, "Virtual
 * soundcheck"), 32-bit float WAV, the loop exact to the sample.
 *
 * usage: jmixd-demo-stems FOLDER [RATE]   (RATE 8000..192000, default 48000) */
#include "jmixd/io/multitrack.h"

#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BPM 120.0
#define BARS 8
#define TWO_PI 6.283185307179586

/* root notes of the bars (Hz, bass octave) and the chords' notes (MIDI) */
static const double roots[4] = {55.0, 43.654, 65.406, 48.999};
static const int chords[4][3] = {{57, 60, 64}, {53, 57, 60}, {48, 52, 55}, {55, 59, 62}};

static double midi_hz(int n) { return 440.0 * pow(2.0, (n - 69) / 12.0); }

static uint32_t rng = 0x9e3779b9u;
static double noise(void)
{
    rng ^= rng << 13, rng ^= rng >> 17, rng ^= rng << 5;
    return (double)rng / 2147483648.0 - 1.0;
}

static int write_wav(const char *dir, const char *name, int rate, int ch, const float *x, long n)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    SF_INFO info = {.samplerate = rate, .channels = ch, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    if (!sf) {
        fprintf(stderr, "jmixd-demo-stems: cannot write %s: %s\n", path, sf_strerror(NULL));
        return -1;
    }
    sf_command(sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
    int bad = sf_writef_float(sf, x, n) != n;
    if (sf_close(sf) || bad) {
        fprintf(stderr, "jmixd-demo-stems: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: jmixd-demo-stems FOLDER [RATE]\n");
        return 2;
    }
    int rate = argc == 3 ? atoi(argv[2]) : 48000;
    if (rate < 8000 || rate > 192000) {
        fprintf(stderr, "jmixd-demo-stems: rate %s is not 8000..192000\n", argv[2]);
        return 2;
    }
    if (mkdir(argv[1], 0750) && errno != EEXIST) {
        fprintf(stderr, "jmixd-demo-stems: cannot create %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    const double beat = 60.0 / BPM, bar = 4 * beat;
    const long n = (long)llround(BARS * bar * rate);
    float *kick = calloc((size_t)n, sizeof *kick), *snare = calloc((size_t)n, sizeof *snare);
    float *bass = calloc((size_t)n, sizeof *bass), *keys = calloc(2 * (size_t)n, sizeof *keys);
    if (!kick || !snare || !bass || !keys) return 1;
    for (long i = 0; i < n; i++) {
        double t = (double)i / rate;
        int b = (int)(t / bar) % 4;                       /* chord of this bar */
        double tb = fmod(t, beat), t8 = fmod(t, beat / 2), tbar = fmod(t, bar);
        int beat_no = (int)(fmod(t, bar) / beat);         /* 0..3 */
        /* kick: pitch 150 -> 48 Hz (phase is the integral), 0.3 s decay */
        double kf0 = 150.0, kf1 = 48.0, kk = 30.0;
        double kph = TWO_PI * (kf1 * tb + (kf0 - kf1) * (1.0 - exp(-kk * tb)) / kk);
        kick[i] = (float)(0.5 * exp(-tb / 0.09) * sin(kph));
        /* snare on beats 2 and 4 */
        if (beat_no == 1 || beat_no == 3)
            snare[i] = (float)(0.3 * exp(-tb / 0.06) * noise() +
                               0.25 * exp(-tb / 0.05) * sin(TWO_PI * 190.0 * tb));
        /* bass: eighth notes, root, a little octave on the offbeats */
        double f = roots[b] * ((int)(t / (beat / 2)) % 2 ? 2.0 : 1.0);
        double env = exp(-t8 / 0.18) * (1.0 - exp(-t8 / 0.004));
        double ph = TWO_PI * f * t;
        bass[i] = (float)(0.28 * env * (sin(ph) + 0.4 * sin(2 * ph) + 0.15 * sin(3 * ph)));
        /* keys: the chord, soft attack, a whole bar; L and R detuned */
        double kenv = (1.0 - exp(-tbar / 0.03)) * exp(-tbar / 1.6);
        double l = 0, r = 0;
        for (int k = 0; k < 3; k++) {
            double fk = midi_hz(chords[b][k]);
            l += sin(TWO_PI * fk * 1.002 * t) + 0.3 * sin(TWO_PI * 2 * fk * t);
            r += sin(TWO_PI * fk * 0.998 * t) + 0.3 * sin(TWO_PI * 2 * fk * t);
        }
        keys[2 * i] = (float)(0.07 * kenv * l);
        keys[2 * i + 1] = (float)(0.07 * kenv * r);
    }
    static const char *names[4] = {"kick", "snare", "bass", "keys"};
    const float *data[4] = {kick, snare, bass, keys};
    int rc = 0;
    for (int s = 0; s < 4; s++) {
        char file[160];
        jm_mtrack_file_name(file, sizeof file, s + 1, names[s]);
        rc |= write_wav(argv[1], file, rate, s == 3 ? 2 : 1, data[s], n);
    }
    free(kick), free(snare), free(bass), free(keys);
    if (!rc) printf("jmixd-demo-stems: %d stems, %.1f s at %d Hz, in %s\n", 4, (double)n / rate,
                    rate, argv[1]);
    return rc ? 1 : 0;
}
