/* Lookahead true-peak limiter (docs/dsp.md, "Limiter"):
 *   1. 4x oversampled peak of both channels (polyphase Kaiser-windowed sinc)
 *   2. required gain r = min(1, ceiling / peak)
 *   3. sliding minimum of r over Wm = W + 2*HOLD frames (monotonic deque)
 *   4. one-pole release (instant attack), so env <= minimum
 *   5. boxcar mean of length W: the gain reaches its floor W - 1 frames after
 *      the peak enters the window and holds it for 2*HOLD frames; the audio
 *      is delayed by L = W + HOLD + CENTRE - 1 so the peak sits mid-plateau.
 * A boxcar of a windowed minimum never exceeds any r inside the window
 * (each term of the mean is <= r), which is the no-overshoot guarantee.
 * Measured against a BS.1770-4 meter (tests/unit/test_limiter.c): sines
 * 1 kHz..20 kHz, square bursts, clicks and +6 dBFS white noise stay within
 * +0.005 dB of the ceiling for lookahead 0.5..10 ms, release 1..50 ms. */
#include "jmixd/dsp/limiter.h"

#include <math.h>
#include <string.h>

#define CENTRE (JM_LIM_TAPS / 2u) /* interpolator delay (frames) */
#define MASK (JM_LIM_RING - 1u)
_Static_assert(JM_LIM_TAPS % 2 == 0 && JM_LIM_TAPS / 2 >= 6 && JM_LIM_TAPS / 2 + 6 <= JM_LIM_TAPS,
               "the Annex 2 window must fit in the history");
_Static_assert((JM_LIM_RING & MASK) == 0 && JM_LIM_RING > JM_LIM_MAXL + 1u, "ring size");
#define KAISER_BETA 4.0
#define PI 3.14159265358979323846
#define MIX_MS 5.0f
#define FADE_MS 3.0f
#define CEIL_TAU_MS 5.0f

/* ITU-R BS.1770-4 Annex 2: the published 48-tap, 4-phase interpolator that
 * true-peak meters use; y_p[m] = sum_k annex2[p][k] x[m-k] is the point
 * x(m - 5.875 + p/4). Fed with x delayed by CENTRE - 6 its points fall at
 * x(n - CENTRE + 1/8 + p/4), between ours. */
static const float annex2[4][12] = {
    {0.0017089843750f, 0.0109863281250f, -0.0196533203125f, 0.0332031250000f,
     -0.0594482421875f, 0.1373291015625f, 0.9721679687500f, -0.1022949218750f,
     0.0476074218750f, -0.0266113281250f, 0.0148925781250f, -0.0083007812500f},
    {-0.0291748046875f, 0.0292968750000f, -0.0517578125000f, 0.0891113281250f,
     -0.1665039062500f, 0.4650878906250f, 0.7797851562500f, -0.2003173828125f,
     0.1015625000000f, -0.0582275390625f, 0.0330810546875f, -0.0189208984375f},
    {-0.0189208984375f, 0.0330810546875f, -0.0582275390625f, 0.1015625000000f,
     -0.2003173828125f, 0.7797851562500f, 0.4650878906250f, -0.1665039062500f,
     0.0891113281250f, -0.0517578125000f, 0.0292968750000f, -0.0291748046875f},
    {-0.0083007812500f, 0.0148925781250f, -0.0266113281250f, 0.0476074218750f,
     -0.1022949218750f, 0.9721679687500f, 0.1373291015625f, -0.0594482421875f,
     0.0332031250000f, -0.0196533203125f, 0.0109863281250f, 0.0017089843750f},
};

static float clampf(float x, float lo, float hi) { return x < lo ? lo : x > hi ? hi : x; }
/* Not fmaxf/fminf: without -ffast-math those are libm calls (NaN rules). */
static inline float maxf(float a, float b) { return a > b ? a : b; }
static inline float minf(float a, float b) { return a < b ? a : b; }

/* Modified Bessel function I0, power series (Abramowitz & Stegun 9.6.12). */
static double bessel_i0(double x)
{
    double sum = 1.0, term = 1.0;
    for (int k = 1; k < 40; k++) {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
    }
    return sum;
}

/* fir[j][p], p < 4: sinc(d) * kaiser(d / CENTRE), d = j - CENTRE + p/4, the
 * distance from tap j's sample x[n-j] to the point x(n - CENTRE + p/4);
 * each phase normalised to unity DC gain; phase 0 is the identity tap.
 * fir[j][4 + p]: the Annex 2 phase p, shifted to taps CENTRE - 6 .. + 5.
 * Tap-major, so one pass over the history computes all 8 lanes (SIMD). */
static void design_fir(jm_limiter_t *l)
{
    memset(l->fir, 0, sizeof l->fir);
    for (int p = 0; p < 4; p++) {
        double sum = 0.0, h[JM_LIM_TAPS];
        for (int j = 0; j < JM_LIM_TAPS; j++) {
            double d = (double)j - CENTRE + p / 4.0;
            double s = d == 0.0 ? 1.0 : sin(PI * d) / (PI * d);
            double r = d / CENTRE;
            double w = r * r < 1.0 ? bessel_i0(KAISER_BETA * sqrt(1.0 - r * r)) /
                                         bessel_i0(KAISER_BETA)
                                   : 0.0;
            h[j] = s * w;
            sum += h[j];
        }
        for (int j = 0; j < JM_LIM_TAPS; j++) l->fir[j][p] = (float)(h[j] / sum);
        for (int k = 0; k < 12; k++) l->fir[CENTRE - 6 + k][4 + p] = annex2[p][k];
    }
}

static uint32_t frames_for(const jm_limiter_t *l, float ms)
{
    float f = roundf(ms * l->fs / 1000.0f);
    uint32_t L = f < 0.0f ? 0u : (uint32_t)f;
    if (L < JM_LIM_HOLD + CENTRE) L = JM_LIM_HOLD + CENTRE;
    if (L > JM_LIM_MAXL) L = JM_LIM_MAXL;
    return L;
}

/* Make L_tgt active (frame n's required gain already stored): new window
 * lengths; the boxcar and the envelope start from the lowest required gain
 * of the last L + 1 frames (conservative), the deque is rebuilt from the
 * last Wm required gains. Bounded: O(RING) once per lookahead change. */
static void restart(jm_limiter_t *l)
{
    l->L = l->L_tgt;
    l->W = l->L + 1u - JM_LIM_HOLD - CENTRE;
    l->Wm = l->W + 2u * JM_LIM_HOLD;
    float gmin = l->env;
    for (uint32_t k = 0; k <= l->L; k++) gmin = minf(gmin, l->req[(l->n - k) & MASK]);
    l->env = gmin;
    for (uint32_t k = 0; k < l->W; k++) l->box[k] = gmin;
    l->box_sum = (double)gmin * l->W;
    l->bpos = 0;
    l->dq_head = l->dq_tail = 0;
    for (uint32_t k = l->Wm; k-- > 0;) { /* frames n-Wm+1 .. n, oldest first */
        uint32_t idx = l->n - k;
        float r = l->req[idx & MASK];
        while (l->dq_tail != l->dq_head && l->dq_val[(l->dq_tail - 1u) & MASK] >= r) l->dq_tail--;
        l->dq_idx[l->dq_tail & MASK] = idx;
        l->dq_val[l->dq_tail & MASK] = r;
        l->dq_tail++;
    }
}

void jm_limiter_init(jm_limiter_t *l, float fs)
{
    memset(l, 0, sizeof *l);
    l->fs = clampf(fs, 8000.0f, JM_LIM_MAX_FS);
    design_fir(l);
    l->ceil_a = expf(-1.0f / (CEIL_TAU_MS * 0.001f * l->fs));
    l->mix_step = 1.0f / (MIX_MS * 0.001f * l->fs);
    l->fade_step = 1.0f / (FADE_MS * 0.001f * l->fs);
    l->look_ms = -1.0f; /* force the first set to compute everything */
    jm_limiter_set(l, 0, -1.0f, 50.0f, 2.0f);
    jm_limiter_reset(l);
}

void jm_limiter_reset(jm_limiter_t *l)
{
    memset(l->hist, 0, sizeof l->hist);
    memset(l->os, 0, sizeof l->os);
    memset(l->dl, 0, sizeof l->dl);
    for (uint32_t k = 0; k < JM_LIM_RING; k++) l->req[k] = 1.0f;
    l->env = l->gain = 1.0f;
    l->ceil = l->ceil_tgt;
    l->mix = l->on ? 1.0f : 0.0f;
    l->fade = 1.0f;
    l->rested = 0;
    restart(l);
}

void jm_limiter_set(jm_limiter_t *l, int on, float ceiling_dbtp, float release_ms,
                    float lookahead_ms)
{
    l->on = on != 0;
    ceiling_dbtp = clampf(ceiling_dbtp, -12.0f, 0.0f);
    release_ms = clampf(release_ms, 1.0f, 1000.0f);
    lookahead_ms = clampf(lookahead_ms, 0.5f, JM_LIM_MAX_LOOKAHEAD_MS);
    if (ceiling_dbtp != l->ceil_db) {
        l->ceil_db = ceiling_dbtp;
        l->ceil_tgt = powf(10.0f, ceiling_dbtp / 20.0f);
    }
    if (release_ms != l->rel_ms) {
        l->rel_ms = release_ms;
        l->rel_a = expf(-1.0f / (release_ms * 0.001f * l->fs));
    }
    if (lookahead_ms != l->look_ms) {
        l->look_ms = lookahead_ms;
        l->L_tgt = frames_for(l, lookahead_ms);
    }
}

uint32_t jm_limiter_latency(const jm_limiter_t *l) { return l->on ? l->L_tgt : 0u; }

float jm_limiter_gr_db(const jm_limiter_t *l)
{
    float g = l->mix > 0.0f ? l->gain : 1.0f;
    return g >= 1.0f ? 0.0f : 20.0f * log10f(maxf(g, 1e-6f));
}

/* Peak of the parabola through three consecutive oversampled values with
 * the middle one the largest in magnitude (vertex y1 - (y2-y0)^2 / (8 d),
 * d = y0 - 2 y1 + y2); else |y1|. The 4x grid alone can miss a peak that
 * falls between its points by up to 0.69 dB (a tone at fs/2: cos(pi/8)); the
 * parabola leaves at most 0.07 dB (measured for sines up to fs/2), so a
 * meter on another grid (BS.1770-4's points sit 1/8 sample off ours) cannot
 * read much more than we detected. The correction is at most |y1|/4. */
static float parabolic_peak(float y0, float y1, float y2)
{
    float b = fabsf(y1), s = y1 < 0.0f ? -1.0f : 1.0f;
    float a = s * y0, c = s * y2, d = a - 2.0f * b + c;
    if (a > b || c > b || d >= 0.0f) return b;
    return b - (c - a) * (c - a) / (8.0f * d);
}

/* Largest estimated true peak of both channels around x(n - CENTRE), the
 * larger of two detectors:
 *  - the analog peak: our 4 phases x(n - CENTRE + p/4), each also the middle
 *    of a parabola with its oversampled neighbours (os: the last two);
 *  - what a BS.1770-4 meter reads: the Annex 2 filter's 4 points. Its
 *    passband ripple (+-0.22 dB) would otherwise let a meter read up to
 *    0.2 dB over the ceiling on some tones (measured: 3.6 kHz, fs/4). */
static float detect(jm_limiter_t *l)
{
    float pk = 0.0f;
    for (int c = 0; c < 2; c++) {
        const float *h = &l->hist[c][l->hpos];
        float acc[8] = {0.0f};
        for (int j = 0; j < JM_LIM_TAPS; j++)
            for (int q = 0; q < 8; q++) acc[q] += l->fir[j][q] * h[j];
        float y0 = l->os[c][0], y1 = l->os[c][1];
        for (int p = 0; p < 4; p++) {
            pk = maxf(pk, parabolic_peak(y0, y1, acc[p]));
            y0 = y1;
            y1 = acc[p];
            pk = maxf(pk, fabsf(acc[4 + p]));
        }
        l->os[c][0] = y0;
        l->os[c][1] = y1;
    }
    return pk;
}

/* One frame of the gain computer: returns the gain for the frame leaving the
 * delay line now. */
static float gain_step(jm_limiter_t *l, float pk)
{
    float r = pk > l->ceil ? l->ceil / pk : 1.0f;
    uint32_t n = l->n;
    l->req[n & MASK] = r;
    while (l->dq_tail != l->dq_head && l->dq_val[(l->dq_tail - 1u) & MASK] >= r) l->dq_tail--;
    l->dq_idx[l->dq_tail & MASK] = n;
    l->dq_val[l->dq_tail & MASK] = r;
    l->dq_tail++;
    while (n - l->dq_idx[l->dq_head & MASK] >= l->Wm) l->dq_head++;
    float m = l->dq_val[l->dq_head & MASK];
    l->env = m < l->env ? m : m + l->rel_a * (l->env - m);
    l->box_sum += (double)l->env - l->box[l->bpos];
    l->box[l->bpos] = l->env;
    if (++l->bpos == l->W) l->bpos = 0;
    float g = (float)(l->box_sum / l->W);
    return g > 1.0f ? 1.0f : g;
}

/* Push one input frame into the interpolator history. */
static inline void hist_push(jm_limiter_t *l, float xl, float xr)
{
    l->hpos = l->hpos ? l->hpos - 1u : JM_LIM_TAPS - 1u;
    l->hist[0][l->hpos] = l->hist[0][l->hpos + JM_LIM_TAPS] = xl;
    l->hist[1][l->hpos] = l->hist[1][l->hpos + JM_LIM_TAPS] = xr;
}

/* Off and settled: the output is the input (mix 0), so only the delay line,
 * the ceiling glide and the frame counter move; the detector rests. */
static void rest(jm_limiter_t *l, const float *left, const float *right, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t w = l->n & MASK;
        l->dl[0][w] = left[i];
        l->dl[1][w] = right[i];
        l->ceil = l->ceil_tgt + l->ceil_a * (l->ceil - l->ceil_tgt);
        l->n++;
    }
    l->rested = 1;
}

/* Switched on after resting: replay the detector over the frames the gain
 * computer looks at (the last L + 1 and Wm, plus a few to settle the
 * interpolator), taken from the delay line, then rebuild the gain computer
 * from them as a lookahead change does (restart). Bounded: at most
 * JM_LIM_MAXL + JM_LIM_HOLD + TAPS + 8 frames of detector, once. */
static void wake(jm_limiter_t *l)
{
    uint32_t n = l->n, K = l->L_tgt + JM_LIM_HOLD + 8u;
    memset(l->os, 0, sizeof l->os);
    for (uint32_t k = K + JM_LIM_TAPS - 1u; k > 0; k--) {
        uint32_t f = n - k;
        hist_push(l, l->dl[0][f & MASK], l->dl[1][f & MASK]);
        if (k > K) continue;
        float pk = detect(l);
        l->req[f & MASK] = pk > l->ceil ? l->ceil / pk : 1.0f;
    }
    l->n = n - 1u; /* restart works on the frames up to the last one */
    l->env = 1.0f;
    restart(l);
    l->n = n;
    l->fade = 1.0f;
    l->rested = 0;
}

void jm_limiter_process(jm_limiter_t *l, float *left, float *right, uint32_t n)
{
    float mix_tgt = l->on ? 1.0f : 0.0f;
    if (!l->on && l->mix == 0.0f) {
        rest(l, left, right, n);
        return;
    }
    if (l->rested) wake(l);
    for (uint32_t i = 0; i < n; i++) {
        float xl = left[i], xr = right[i];
        hist_push(l, xl, xr);
        l->ceil = l->ceil_tgt + l->ceil_a * (l->ceil - l->ceil_tgt);
        float g = gain_step(l, detect(l));
        l->gain = g;
        uint32_t w = l->n & MASK, rd = (l->n - l->L) & MASK;
        l->dl[0][w] = xl;
        l->dl[1][w] = xr;
        float yl = l->dl[0][rd], yr = l->dl[1][rd];
        /* On/off crossfade (5 ms, linear) and lookahead fade (3 ms). */
        if (l->mix != mix_tgt)
            l->mix = mix_tgt > l->mix ? minf(mix_tgt, l->mix + l->mix_step)
                                      : maxf(mix_tgt, l->mix - l->mix_step);
        if (l->L != l->L_tgt) {
            l->fade -= l->fade_step;
            if (l->fade <= 0.0f || l->mix == 0.0f) {
                l->fade = l->mix == 0.0f ? 1.0f : 0.0f;
                restart(l);
            }
        } else if (l->fade < 1.0f) {
            l->fade = minf(1.0f, l->fade + l->fade_step);
        }
        float k = l->mix * l->fade * g;
        left[i] = xl * (1.0f - l->mix) + yl * k;
        right[i] = xr * (1.0f - l->mix) + yr * k;
        l->n++;
    }
}
