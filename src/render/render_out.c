/* Render output file: format by extension, 32-bit float or 16/24-bit PCM
 * with TPDF dither (two uniform variates of +-0.5 LSB summed: triangular,
 * +-1 LSB peak), written through libsndfile. The meter is fed the values
 * that went into the file, so the summary describes the file itself. */
#include "render_int.h"

#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define OUT_CHUNK 4096

struct jm_rout {
    SNDFILE *sf;
    int bits;            /* 16, 24, 32 (float) */
    uint64_t rng;        /* xorshift64*, fixed seed: renders are reproducible */
    uint64_t clipped;
    char path[4096];
    float f[2 * OUT_CHUNK];
    int i[2 * OUT_CHUNK];
};

int jm_rout_format(const char *path, int bits, int *sf_format, int *bits_out, char *err,
                   size_t errlen)
{
    const char *dot = strrchr(path, '.');
    int major;
    if (dot && strchr(dot, '/')) dot = NULL;
    if (dot && !strcasecmp(dot, ".wav")) major = SF_FORMAT_WAV;
    else if (dot && (!strcasecmp(dot, ".aiff") || !strcasecmp(dot, ".aif"))) major = SF_FORMAT_AIFF;
    else if (dot && !strcasecmp(dot, ".flac")) major = SF_FORMAT_FLAC;
    else {
        snprintf(err, errlen, "output '%s': unsupported extension (use .wav, .aiff, .aif or .flac)",
                 path);
        return -1;
    }
    if (!bits) bits = major == SF_FORMAT_FLAC ? 24 : 32;
    if (major == SF_FORMAT_FLAC && bits == 32) {
        snprintf(err, errlen, "output '%s': FLAC has no float format (use --bits 16 or 24)", path);
        return -1;
    }
    *sf_format = major | (bits == 16 ? SF_FORMAT_PCM_16 : bits == 24 ? SF_FORMAT_PCM_24
                                                                      : SF_FORMAT_FLOAT);
    *bits_out = bits;
    return 0;
}

jm_rout_t *jm_rout_open(const char *path, uint32_t rate, int bits, char *err, size_t errlen)
{
    int fmt;
    jm_rout_t *o = NULL;
    if (jm_rout_format(path, bits, &fmt, &bits, err, errlen)) return NULL;
    if (!(o = calloc(1, sizeof *o))) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    SF_INFO info = {.samplerate = (int)rate, .channels = 2, .format = fmt};
    errno = 0;
    o->sf = sf_open(path, SFM_WRITE, &info);
    if (!o->sf) {
        snprintf(err, errlen, "cannot create '%s': %s", path,
                 errno ? strerror(errno) : sf_strerror(NULL));
        free(o);
        return NULL;
    }
    if (bits == 32) sf_command(o->sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
    o->bits = bits;
    o->rng = 0x9E3779B97F4A7C15ull;
    snprintf(o->path, sizeof o->path, "%s", path);
    return o;
}

/* Uniform in [-0.5, 0.5). */
static inline double uni(jm_rout_t *o)
{
    o->rng ^= o->rng >> 12;
    o->rng ^= o->rng << 25;
    o->rng ^= o->rng >> 27;
    return (double)((o->rng * 0x2545F4914F6CDD1Dull) >> 11) * 0x1.0p-53 - 0.5;
}

/* x (full scale 1.0) -> integer of `bits` with TPDF dither; *f gets what it
 * represents, for the meter. */
static inline int quantise(jm_rout_t *o, float x, float *f)
{
    const double q = (double)(1 << (o->bits - 1));
    double v = floor((double)x * q + uni(o) + uni(o) + 0.5);
    if (v > q - 1.0) v = q - 1.0, o->clipped++;
    else if (v < -q) v = -q, o->clipped++;
    *f = (float)(v / q);
    return (int)v;
}

int jm_rout_write(jm_rout_t *o, const float *l, const float *r, size_t n, jm_rmeter_t *meter,
                  char *err, size_t errlen)
{
    while (n) {
        size_t m = n < OUT_CHUNK ? n : OUT_CHUNK;
        sf_count_t put;
        if (o->bits == 32) {
            for (size_t k = 0; k < m; k++) o->f[2 * k] = l[k], o->f[2 * k + 1] = r[k];
            put = sf_writef_float(o->sf, o->f, (sf_count_t)m);
        } else {
            const int shift = 32 - o->bits; /* libsndfile ints are full 32-bit scale */
            for (size_t k = 0; k < 2 * m; k++) {
                int v = quantise(o, (k & 1) ? r[k / 2] : l[k / 2], &o->f[k]);
                o->i[k] = (int)((unsigned)v << shift);
            }
            put = sf_writef_int(o->sf, o->i, (sf_count_t)m);
        }
        if (put != (sf_count_t)m) {
            snprintf(err, errlen, "writing '%s': %s", o->path, sf_strerror(o->sf));
            return -1;
        }
        if (meter) jm_rmeter_add(meter, o->f, m);
        l += m, r += m, n -= m;
    }
    return 0;
}

uint64_t jm_rout_clipped(const jm_rout_t *o) { return o->clipped; }

int jm_rout_close(jm_rout_t *o, int remove)
{
    if (!o) return 0;
    int rc = sf_close(o->sf) ? -1 : 0;
    if (remove) unlink(o->path);
    free(o);
    return rc;
}
