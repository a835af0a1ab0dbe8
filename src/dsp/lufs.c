/* BS.1770-4 / EBU R128 loudness. See include/jmixd/dsp/lufs.h. */
#include "jmixd/dsp/lufs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SUBS 32         /* sub-block ring: a 3 s window and both partial ends */
#define PER_LU 100      /* histogram bins per LU (0.01 LU) */
#define LU_LO (-70)     /* histograms cover -70 .. +30 LUFS */
#define SPAN_LU 100
#define FINE (SPAN_LU * PER_LU)
#define CHUNK 1024      /* states are flushed this often (see flush) */
#define OFFSET (-0.691) /* BS.1770: L = -0.691 + 10 log10(sum of energies) */

typedef double v2d __attribute__((vector_size(16)));

/* Glossary: n = blocks counted, e = their energies summed. */
typedef struct {
    uint64_t n;
    double e;
} bin_t;

/* fine: 0.01 LU bins; coarse: 1 LU bins (each the sum of its 100 fine
 * ones), so a walk over the histogram is ~200 steps, not 10000. */
typedef struct {
    bin_t fine[FINE], coarse[SPAN_LU], all;
} hist_t;

/* The blocks that passed the absolute gate: exact energies or histogram. */
typedef struct {
    hist_t *h;
    double *e;
    size_t n, cap;
} gate_t;

/* True peak state: prev = the last 11 inputs per channel (the filter's
 * history); ext = scratch, history + one chunk of a channel; tpeak = true
 * peak so far (linear, both channels); speak = sample peak so far. */
typedef struct {
    float prev[2][11];
    float ext[11 + CHUNK];
    float tpeak, speak;
} tp_t;

/* Glossary: sub = frames per 100 ms sub-block (rounded as libebur128);
 * w_m, w_s = the momentary and short-term windows in frames; b1, a1 /
 * b2, a2 = the shelf and high-pass biquads (b0 b1 b2, a1 a2); z1, z2 =
 * their transposed direct form II states, left and right in one vector;
 * n = frames since reset; pos = frame within the current sub-block; acc =
 * its energy so far; cum[slot * sub + k] = acc after its frame k; subsum =
 * finished sub-blocks' energies; done = sub-blocks finished; gi, gr = the
 * integrated (400 ms) and range (3 s) blocks; tp = true peak state (when
 * peaks). */
struct jm_lufs {
    uint32_t rate, sub, w_m, w_s;
    bool peaks;
    double b1[3], a1[2], b2[3], a2[2];
    v2d z1[2], z2[2];
    uint64_t n, done;
    uint32_t pos;
    double acc;
    double subsum[SUBS];
    double *cum;
    gate_t gi, gr;
    tp_t tp;
};

/* ---- true peak: ITU-R BS.1770-4 Annex 2, 48 taps, 4 phases ---- */

/* The published interpolator, tap-major: h[k][p]. Used at every rate
 * (above 96 kHz more oversampling than needed, which only tightens it). */
static const float annex2[12][4] = {
    {0.0017089843750f, -0.0291748046875f, -0.0189208984375f, -0.0083007812500f},
    {0.0109863281250f, 0.0292968750000f, 0.0330810546875f, 0.0148925781250f},
    {-0.0196533203125f, -0.0517578125000f, -0.0582275390625f, -0.0266113281250f},
    {0.0332031250000f, 0.0891113281250f, 0.1015625000000f, 0.0476074218750f},
    {-0.0594482421875f, -0.1665039062500f, -0.2003173828125f, -0.1022949218750f},
    {0.1373291015625f, 0.4650878906250f, 0.7797851562500f, 0.9721679687500f},
    {0.9721679687500f, 0.7797851562500f, 0.4650878906250f, 0.1373291015625f},
    {-0.1022949218750f, -0.2003173828125f, -0.1665039062500f, -0.0594482421875f},
    {0.0476074218750f, 0.1015625000000f, 0.0891113281250f, 0.0332031250000f},
    {-0.0266113281250f, -0.0582275390625f, -0.0517578125000f, -0.0196533203125f},
    {0.0148925781250f, 0.0330810546875f, 0.0292968750000f, 0.0109863281250f},
    {-0.0083007812500f, -0.0189208984375f, -0.0291748046875f, 0.0017089843750f},
};

typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

/* One channel of up to CHUNK frames: ext holds the 11 previous samples then
 * the new ones, so the window never wraps. Four phases at once. */
static void true_peak_chunk(tp_t *m, int c, const float *x, size_t frames)
{
    float *ext = m->ext;
    memcpy(ext, m->prev[c], 11 * sizeof(float));
    for (size_t n = 0; n < frames; n++) ext[11 + n] = x[2 * n + c];
    v4f h[12], tp = {0, 0, 0, 0};
    memcpy(h, annex2, sizeof h);
    float sp = m->speak;
    for (size_t n = 0; n < frames; n++) {
        const float *w = ext + 11 + n; /* w[-k] = x[n - k] */
        /* three partial sums: the adds do not wait on each other */
        v4f a0 = h[0] * w[0], a1 = h[1] * w[-1], a2 = h[2] * w[-2];
        for (int k = 3; k < 12; k += 3)
            a0 += h[k] * w[-k], a1 += h[k + 1] * w[-k - 1], a2 += h[k + 2] * w[-k - 2];
        v4f acc = a0 + a1 + a2;
        v4f a = (v4f)((v4i)acc & 0x7fffffff); /* |acc| */
        v4i gt = a > tp;
        tp = (v4f)(((v4i)a & gt) | ((v4i)tp & ~gt)); /* max without a branch */
        float av = fabsf(w[0]);
        sp = av > sp ? av : sp;
    }
    memcpy(m->prev[c], ext + frames, 11 * sizeof(float));
    float t = m->tpeak;
    for (int p = 0; p < 4; p++) t = tp[p] > t ? tp[p] : t;
    m->tpeak = t > sp ? t : sp; /* the samples themselves count too */
    m->speak = sp;
}

/* ---- K-weighting ---- */

/* BS.1770's two filters as analog prototypes (centre, gain, Q: the values
 * that reproduce the published 48 kHz coefficients), mapped by the
 * bilinear transform with K = tan(pi f0 / fs). */
static void k_weighting(jm_lufs_t *m)
{
    double fs = m->rate;
    double f0 = 1681.974450955533, g_db = 3.999843853973347, q = 0.7071752369554196;
    double k = tan(M_PI * f0 / fs), vh = pow(10.0, g_db / 20.0);
    double vb = pow(vh, 0.4996667741545416), a0 = 1.0 + k / q + k * k;
    m->b1[0] = (vh + vb * k / q + k * k) / a0;
    m->b1[1] = 2.0 * (k * k - vh) / a0;
    m->b1[2] = (vh - vb * k / q + k * k) / a0;
    m->a1[0] = 2.0 * (k * k - 1.0) / a0;
    m->a1[1] = (1.0 - k / q + k * k) / a0;
    f0 = 38.13547087602444, q = 0.5003270373238773;
    k = tan(M_PI * f0 / fs), a0 = 1.0 + k / q + k * k;
    m->b2[0] = 1.0, m->b2[1] = -2.0, m->b2[2] = 1.0; /* high-pass: unity numerator */
    m->a2[0] = 2.0 * (k * k - 1.0) / a0;
    m->a2[1] = (1.0 - k / q + k * k) / a0;
}

/* Decaying states would reach the denormal range ~4000 samples after the
 * input stops (the shelf's poles are at 0.86); below 1e-30 (-600 dB) they
 * are zero for any meter, so a chunk of 1024 can never get there. */
static void flush(v2d *z)
{
    for (int s = 0; s < 2; s++)
        for (int c = 0; c < 2; c++)
            if (fabs(z[s][c]) < 1e-30) z[s][c] = 0.0;
}

/* ---- gates ---- */

static double loudness(double e) { return e > 0.0 ? OFFSET + 10.0 * log10(e) : -HUGE_VAL; }

static int bin_of(double e)
{
    double f = floor((loudness(e) - LU_LO) * PER_LU);
    return f < 0 ? 0 : f >= FINE ? FINE - 1 : (int)f;
}

static int gate_add(gate_t *g, double e)
{
    if (g->h) {
        int f = bin_of(e);
        g->h->fine[f].n++, g->h->fine[f].e += e;
        g->h->coarse[f / PER_LU].n++, g->h->coarse[f / PER_LU].e += e;
        g->h->all.n++, g->h->all.e += e;
        return 0;
    }
    if (g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 1024;
        double *p = realloc(g->e, cap * sizeof *p);
        if (!p) return -1;
        g->e = p, g->cap = cap;
    }
    g->e[g->n++] = e;
    return 0;
}

/* Histogram: sum of the bins from fine bin f0 up (f0 .. FINE-1). */
static bin_t hist_from(const hist_t *h, int f0)
{
    bin_t s = {0, 0.0};
    if (f0 >= FINE) return s;
    int c0 = f0 / PER_LU, f = f0;
    for (; f < (c0 + 1) * PER_LU; f++) s.n += h->fine[f].n, s.e += h->fine[f].e;
    for (int c = c0 + 1; c < SPAN_LU; c++) s.n += h->coarse[c].n, s.e += h->coarse[c].e;
    return s;
}

/* The first fine bin above the relative gate thr (energy): the bin the gate
 * falls in counts when its blocks' mean energy reaches the gate. */
static int hist_gate_bin(const hist_t *h, double thr)
{
    int f = bin_of(thr);
    const bin_t *b = &h->fine[f];
    return (b->n && b->e / (double)b->n >= thr) ? f : f + 1;
}

/* Histogram: the mean energy of the bin holding the rank-th (0-based) block
 * counted from fine bin f0 up. */
static double hist_nth(const hist_t *h, int f0, uint64_t rank)
{
    int c = f0 / PER_LU, f = f0;
    for (; f < (c + 1) * PER_LU && f < FINE; f++) {
        if (rank < h->fine[f].n) return h->fine[f].e / (double)h->fine[f].n;
        rank -= h->fine[f].n;
    }
    for (c++; c < SPAN_LU && rank >= h->coarse[c].n; c++) rank -= h->coarse[c].n;
    if (c == SPAN_LU) return 0.0; /* not reached: rank < the count */
    for (f = c * PER_LU; rank >= h->fine[f].n; f++) rank -= h->fine[f].n;
    return h->fine[f].e / (double)h->fine[f].n;
}

/* Blocks at or above thr: how many and their energy. */
static bin_t gated(const gate_t *g, double thr)
{
    if (g->h) return thr > 0.0 ? hist_from(g->h, hist_gate_bin(g->h, thr)) : g->h->all;
    bin_t s = {0, 0.0};
    for (size_t i = 0; i < g->n; i++)
        if (g->e[i] >= thr) s.n++, s.e += g->e[i];
    return s;
}

static double integrated(const gate_t *g)
{
    bin_t all = gated(g, 0.0);
    if (!all.n) return -HUGE_VAL;
    bin_t in = gated(g, all.e / (double)all.n * 0.1); /* -10 LU */
    return in.n ? loudness(in.e / (double)in.n) : -HUGE_VAL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* EBU Tech 3342: gate at -20 LU, then the 95th minus the 10th percentile
 * (nearest rank, as libebur128). */
static double range(const gate_t *g)
{
    bin_t all = gated(g, 0.0);
    if (!all.n) return 0.0;
    double thr = all.e / (double)all.n * 0.01;
    double lo, hi;
    if (g->h) {
        int f0 = hist_gate_bin(g->h, thr);
        uint64_t n = hist_from(g->h, f0).n;
        if (!n) return 0.0;
        lo = hist_nth(g->h, f0, (uint64_t)((double)(n - 1) * 0.1 + 0.5));
        hi = hist_nth(g->h, f0, (uint64_t)((double)(n - 1) * 0.95 + 0.5));
    } else {
        double *v = malloc(g->n * sizeof *v);
        size_t n = 0;
        if (!v) return 0.0;
        for (size_t i = 0; i < g->n; i++)
            if (g->e[i] >= thr) v[n++] = g->e[i];
        qsort(v, n, sizeof *v, cmp_double);
        lo = n ? v[(size_t)((double)(n - 1) * 0.1 + 0.5)] : 0.0;
        hi = n ? v[(size_t)((double)(n - 1) * 0.95 + 0.5)] : 0.0;
        free(v);
    }
    return lo > 0.0 ? loudness(hi) - loudness(lo) : 0.0;
}

/* ---- blocks and windows ---- */

/* Energy of the last w frames (those before the first frame count as
 * silence). w <= rate * 3, which the ring of SUBS sub-blocks covers. */
static double window(const jm_lufs_t *m, uint64_t w)
{
    uint64_t n = m->n, a = n > w ? n - w : 0;
    uint64_t ba = a / m->sub, bn = n / m->sub, k = a % m->sub;
    double s = m->acc;
    for (uint64_t b = ba; b < bn; b++) s += m->subsum[b % SUBS];
    if (k) s -= m->cum[(ba % SUBS) * m->sub + k - 1];
    return s;
}

static int sub_block_done(jm_lufs_t *m)
{
    m->subsum[m->done % SUBS] = m->acc;
    m->done++, m->acc = 0.0, m->pos = 0;
    flush(m->z1), flush(m->z2);
    const double abs_gate = pow(10.0, (-70.0 - OFFSET) / 10.0);
    int bad = 0;
    if (m->done >= 4) { /* a 400 ms gating block every 100 ms */
        double e = 0.0;
        for (uint64_t b = m->done - 4; b < m->done; b++) e += m->subsum[b % SUBS];
        e /= 4.0 * m->sub;
        if (e >= abs_gate) bad |= gate_add(&m->gi, e);
    }
    if (m->done >= 30 && m->done % 10 == 0) { /* a 3 s range block every second */
        double e = window(m, m->w_s) / m->w_s;
        if (e >= abs_gate) bad |= gate_add(&m->gr, e);
    }
    return bad ? -1 : 0;
}

/* K-weighted energy of up to CHUNK frames, all inside one sub-block. */
static void filter(jm_lufs_t *m, const float *x, size_t frames)
{
    const v2d b10 = {m->b1[0], m->b1[0]}, b11 = {m->b1[1], m->b1[1]}, b12 = {m->b1[2], m->b1[2]};
    const v2d a11 = {m->a1[0], m->a1[0]}, a12 = {m->a1[1], m->a1[1]};
    const v2d a21 = {m->a2[0], m->a2[0]}, a22 = {m->a2[1], m->a2[1]};
    v2d s1 = m->z1[0], t1 = m->z1[1], s2 = m->z2[0], t2 = m->z2[1];
    double acc = m->acc, *cum = m->cum + (m->done % SUBS) * m->sub + m->pos;
    for (size_t i = 0; i < frames; i++) {
        v2d in = {x[2 * i], x[2 * i + 1]};
        v2d y = b10 * in + s1; /* shelf */
        s1 = b11 * in - a11 * y + t1;
        t1 = b12 * in - a12 * y;
        v2d o = y + s2; /* high-pass, numerator 1 -2 1 */
        s2 = -2.0 * y - a21 * o + t2;
        t2 = y - a22 * o;
        acc += o[0] * o[0] + o[1] * o[1];
        cum[i] = acc;
    }
    m->z1[0] = s1, m->z1[1] = t1, m->z2[0] = s2, m->z2[1] = t2;
    m->acc = acc;
    m->pos += (uint32_t)frames;
    m->n += frames;
}

int jm_lufs_add(jm_lufs_t *m, const float *x, size_t frames)
{
    int bad = 0;
    for (size_t k = 0; k < frames;) {
        /* up to the sub-block's end or the next flush point (every CHUNK
         * frames into it: the same frames whatever the callers' chunks) */
        size_t n = frames - k, left = m->sub - m->pos, to_flush = CHUNK - m->pos % CHUNK;
        if (n > left) n = left;
        if (n > to_flush) n = to_flush;
        if (m->peaks) {
            true_peak_chunk(&m->tp, 0, x + 2 * k, n);
            true_peak_chunk(&m->tp, 1, x + 2 * k, n);
        }
        filter(m, x + 2 * k, n);
        if (m->pos == m->sub) bad |= sub_block_done(m);
        else if (m->pos % CHUNK == 0) flush(m->z1), flush(m->z2);
        k += n;
    }
    return bad;
}

void jm_lufs_read(const jm_lufs_t *m, jm_lufs_values_t *out)
{
    out->momentary = loudness(window(m, m->w_m) / m->w_m);
    out->short_term = loudness(window(m, m->w_s) / m->w_s);
    out->integrated = integrated(&m->gi);
    out->range = range(&m->gr);
    out->true_peak = m->tp.tpeak;
    out->sample_peak = m->tp.speak;
}

uint64_t jm_lufs_frames(const jm_lufs_t *m) { return m->n; }

static void gate_clear(gate_t *g)
{
    if (g->h) memset(g->h, 0, sizeof *g->h);
    g->n = 0;
}

void jm_lufs_reset(jm_lufs_t *m)
{
    memset(m->z1, 0, sizeof m->z1);
    memset(m->z2, 0, sizeof m->z2);
    memset(m->subsum, 0, sizeof m->subsum);
    memset(&m->tp, 0, sizeof m->tp);
    m->n = m->done = 0, m->pos = 0, m->acc = 0.0;
    gate_clear(&m->gi), gate_clear(&m->gr);
}

jm_lufs_t *jm_lufs_create(uint32_t rate, unsigned flags)
{
    bool exact = flags & JM_LUFS_EXACT;
    if (rate < 8000 || rate > 768000) return NULL;
    jm_lufs_t *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->rate = rate;
    m->peaks = flags & JM_LUFS_PEAKS;
    m->sub = (rate + 5) / 10;
    m->w_m = (uint32_t)((uint64_t)rate * 400 / 1000);
    m->w_s = rate * 3;
    k_weighting(m);
    m->cum = calloc((size_t)SUBS * m->sub, sizeof *m->cum);
    if (!exact) {
        m->gi.h = calloc(1, sizeof *m->gi.h);
        m->gr.h = calloc(1, sizeof *m->gr.h);
    }
    if (!m->cum || (!exact && (!m->gi.h || !m->gr.h))) {
        jm_lufs_destroy(m);
        return NULL;
    }
    return m;
}

void jm_lufs_destroy(jm_lufs_t *m)
{
    if (!m) return;
    free(m->cum);
    free(m->gi.h), free(m->gr.h);
    free(m->gi.e), free(m->gr.e);
    free(m);
}
