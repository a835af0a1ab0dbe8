/* Independent loudness meter for the render tests: libsndfile + libebur128
 * directly (exact gating, no histogram), none of jmixd's code.
 *
 *   jm_meter FILE
 *
 * Prints "key value" lines: rate, channels, frames, format (libsndfile
 * SF_FORMAT_* as hex), integrated (LUFS), true_peak (dBTP, max over
 * channels), sample_peak (dBFS), lra (LU). Exit 1 if the file cannot be
 * read. */
#include <ebur128.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: jm_meter FILE\n");
        return 1;
    }
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(argv[1], SFM_READ, &info);
    if (!sf) {
        fprintf(stderr, "jm_meter: %s: %s\n", argv[1], sf_strerror(NULL));
        return 1;
    }
    ebur128_state *st = ebur128_init((unsigned)info.channels, (unsigned long)info.samplerate,
                                     EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_TRUE_PEAK |
                                         EBUR128_MODE_SAMPLE_PEAK);
    float *buf = malloc(sizeof(float) * 4096 * (size_t)info.channels);
    if (!st || !buf) return 1;
    sf_count_t n, frames = 0;
    while ((n = sf_readf_float(sf, buf, 4096)) > 0) {
        ebur128_add_frames_float(st, buf, (size_t)n);
        frames += n;
    }
    double i = -HUGE_VAL, lra = 0.0, tp = 0.0, sp = 0.0, v;
    ebur128_loudness_global(st, &i);
    ebur128_loudness_range(st, &lra);
    for (int c = 0; c < info.channels; c++) {
        if (!ebur128_true_peak(st, (unsigned)c, &v) && v > tp) tp = v;
        if (!ebur128_sample_peak(st, (unsigned)c, &v) && v > sp) sp = v;
    }
    printf("rate %d\nchannels %d\nframes %lld\nformat 0x%06x\n", info.samplerate,
           info.channels, (long long)frames, info.format);
    printf("integrated %.4f\ntrue_peak %.4f\nsample_peak %.4f\nlra %.4f\n", i,
           tp > 0 ? 20 * log10(tp) : -HUGE_VAL, sp > 0 ? 20 * log10(sp) : -HUGE_VAL, lra);
    ebur128_destroy(&st);
    free(buf);
    sf_close(sf);
    return 0;
}
