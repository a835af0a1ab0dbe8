/* Run a session's mixer offline over raw audio, exactly as the daemon's
 * process callback does, for the live-equals-offline test.
 *
 *   jm_offline SESSION IN.f32 OUT.f32 [--block N] [--rate HZ] [--preroll S]
 *
 * IN.f32: little-endian float32, interleaved, one channel per strip input in
 * strip order (a stereo strip takes two). OUT.f32: master L/R interleaved.
 * --preroll: seconds of silence processed first (not written), so that every
 * detector and filter reaches the same idle state as a daemon that has been
 * running on silence. */
#include "jmixd/engine/mixer.h"
#include "jmixd/util/rt.h"
#include "jmixd/session/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: jm_offline SESSION IN.f32 OUT.f32 [--block N] [--rate HZ] [--preroll S]\n");
        return 1;
    }
    uint32_t block = 64, rate = 48000;
    double preroll = 0.0;
    for (int i = 4; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--block")) block = (uint32_t)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--rate")) rate = (uint32_t)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--preroll")) preroll = atof(argv[i + 1]);
    }
    jm_session_t s;
    char err[JM_ERR_MAX];
    if (jm_session_load(&s, argv[1], err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    uint8_t stereo[JM_MAX_STRIPS], bus_type[JM_MAX_BUSES], bus_stereo[JM_MAX_BUSES];
    int nch = 0;
    for (int i = 0; i < s.n_strips; i++) {
        stereo[i] = s.strips[i].channels == 2;
        nch += s.strips[i].channels;
    }
    for (int b = 0; b < s.n_buses; b++) {
        bus_type[b] = !strcmp(s.buses[b].type, "aux")     ? JM_BUS_AUX
                      : !strcmp(s.buses[b].type, "delay") ? JM_BUS_DELAY
                                                          : JM_BUS_REVERB;
        bus_stereo[b] = s.buses[b].channels != 1;
    }
    jm_mixer_config_t mc = {.n_strips = s.n_strips, .stereo = stereo, .n_buses = s.n_buses,
                            .bus_type = bus_type, .bus_stereo = bus_stereo,
                            .talkback_bus = s.talkback_bus, .rate = rate,
                            .meter_frames = rate / 20};
    jm_mixer_t *m = jm_mixer_create(&mc, &s.params, s.values);
    FILE *in = fopen(argv[2], "rb"), *out = fopen(argv[3], "wb");
    if (!m || !in || !out) {
        fprintf(stderr, "jm_offline: cannot set up (%s)\n", !m ? "mixer" : "files");
        return 1;
    }
    jm_rt_set_ftz_daz(); /* as the JACK thread does */
    float *inter = calloc((size_t)block * (size_t)(nch ? nch : 1), sizeof(float));
    float *bufs = calloc((size_t)block * 2 * JM_MAX_STRIPS, sizeof(float));
    float *ol = calloc(block, sizeof(float)), *or_ = calloc(block, sizeof(float));
    float *lr = calloc(2 * (size_t)block, sizeof(float));
    const float *ins[2 * JM_MAX_STRIPS] = {0};
    for (int i = 0; i < s.n_strips; i++) {
        ins[2 * i] = bufs + (size_t)(2 * i) * block;
        ins[2 * i + 1] = stereo[i] ? bufs + (size_t)(2 * i + 1) * block : NULL;
    }
    uint64_t pre = (uint64_t)(preroll * rate);
    for (uint64_t done = 0; done < pre; done += block) /* bufs are zero */
        jm_mixer_process(m, ins, ol, or_, block, NULL);
    size_t got;
    while ((got = fread(inter, sizeof(float) * (size_t)nch, block, in)) > 0) {
        if (got < block) memset(inter + got * (size_t)nch, 0, (block - got) * nch * sizeof(float));
        for (uint32_t k = 0; k < block; k++) {
            int c = 0;
            for (int i = 0; i < s.n_strips; i++)
                for (int ch = 0; ch < s.strips[i].channels; ch++, c++)
                    ((float *)ins[2 * i + ch])[k] = inter[(size_t)k * nch + c];
        }
        jm_mixer_process(m, ins, ol, or_, block, NULL);
        for (uint32_t k = 0; k < got; k++) lr[2 * k] = ol[k], lr[2 * k + 1] = or_[k];
        fwrite(lr, sizeof(float) * 2, got, out);
    }
    fclose(in);
    fclose(out);
    free(inter); free(bufs); free(ol); free(or_); free(lr);
    jm_mixer_destroy(m);
    jm_session_free(&s);
    return 0;
}
