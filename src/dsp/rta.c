/* One-third-octave analyser: Butterworth band-pass filter bank with octave
 * decimation (the design and its reasons are in jmixd/dsp/rta.h and
 * docs/dsp.md). Band-pass design: the low-pass to band-pass transform
 * s -> (s^2 + W0^2) / (B s) of a Butterworth prototype, then the bilinear
 * transform with both edges prewarped (e.g. A. V. Oppenheim, R. W. Schafer,
 * "Discrete-Time Signal Processing", 3rd ed., sec. 7.2 and 7.3). */
#include "jmixd/dsp/rta.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846
#define SECS 3        /* biquads per band: 6th-order band-pass */
#define AA_SECS 4     /* biquads of a decimator's low-pass: 8th order */
#define MAXLEV 16     /* decimation levels: fs / 2^15 */
#define CHUNK 256     /* frames per internal block at the full rate */
#define EDGE_MAX 0.48 /* a band's upper edge at most this x fs */
#define FLUSH 1e-30   /* states below this become exact 0 (no denormals) */

typedef struct {
    double b0, b1, b2, a1, a2;
} sec_t;

struct jm_rta {
    double rate;
    int nch_last;          /* channels of the last process call (1 or 2) */
    int nlev;              /* levels in use: 1 + the deepest band's d */
    int lev[JM_RTA_BANDS]; /* decimation level of each band; -1: unusable */
    sec_t band[JM_RTA_BANDS][SECS];
    double bst[JM_RTA_BANDS][SECS][2][2]; /* [band][section][channel][s1, s2] */
    sec_t aa[AA_SECS];
    double ast[MAXLEV][AA_SECS][2][2];    /* decimator into level L+1 */
    int phase[MAXLEV];                    /* decimator phase: 1 = keep next */
    double acc[JM_RTA_BANDS];             /* sum of power since the take */
    uint32_t cnt[JM_RTA_BANDS];           /* samples of the band's rate in acc */
    float last[JM_RTA_BANDS];
    uint32_t frames;
    double buf[MAXLEV][2][CHUNK]; /* the signal at each level */
    double tmp[2][CHUNK];
};

static const char *const labels[JM_RTA_BANDS] = {
    "20",   "25",   "31.5", "40",   "50",   "63",   "80",    "100",   "125",   "160",  "200",
    "250",  "315",  "400",  "500",  "630",  "800",  "1k",    "1.25k", "1.6k",  "2k",   "2.5k",
    "3.15k", "4k",  "5k",   "6.3k", "8k",   "10k",  "12.5k", "16k",   "20k"};

double jm_rta_centre_hz(int band)
{
    if (band < 0 || band >= JM_RTA_BANDS) return 0.0;
    return 1000.0 * pow(10.0, (band - 17) / 10.0);
}

const char *jm_rta_label(int band)
{
    return band >= 0 && band < JM_RTA_BANDS ? labels[band] : "";
}

/* A conjugate pole pair p (analog, Im p > 0) through the bilinear
 * transform: the denominator 1 + a1 z^-1 + a2 z^-2. */
static void pole_to_z(sec_t *s, double complex p, double fs)
{
    double complex z = (2.0 * fs + p) / (2.0 * fs - p);
    s->a1 = -2.0 * creal(z);
    s->a2 = creal(z) * creal(z) + cimag(z) * cimag(z);
}

static double complex sec_h(const sec_t *s, double w)
{
    double complex z1 = cexp(-I * w), z2 = z1 * z1;
    return (s->b0 + s->b1 * z1 + s->b2 * z2) / (1.0 + s->a1 * z1 + s->a2 * z2);
}

/* 6th-order Butterworth band-pass f1 .. f2 at rate fs: each section is
 * g (1 - z^-2) / (1 + a1 z^-1 + a2 z^-2) (one analog zero at 0 and one at
 * infinity each), g making each section 1 at the image of W0. */
static void design_band(sec_t s[SECS], double fs, double f1, double f2)
{
    double W1 = 2.0 * fs * tan(PI * f1 / fs), W2 = 2.0 * fs * tan(PI * f2 / fs);
    /* bandwidth x 3/pi: the Butterworth's noise bandwidth (pi/6)/sin(pi/6)
     * times larger than its -3 dB width then equals the nominal band, so
     * broadband noise reads what an ideal band would pass (and the skirts
     * gain 0.4 dB of margin on the class 1 mask); the edges read -3.65 dB */
    double W0 = sqrt(W1 * W2), B = (W2 - W1) * 3.0 / PI;
    double complex up[2 * SECS];
    int n = 0;
    for (int k = 0; k < SECS; k++) {
        /* prototype pole on the unit circle, left half plane */
        double complex p = cexp(I * PI * (2.0 * k + SECS + 1.0) / (2.0 * SECS));
        double complex d = csqrt(p * p * B * B - 4.0 * W0 * W0);
        double complex r1 = (p * B + d) / 2.0, r2 = (p * B - d) / 2.0;
        if (cimag(r1) > 0) up[n++] = r1;
        if (cimag(r2) > 0) up[n++] = r2;
    }
    double w0 = 2.0 * atan(W0 / (2.0 * fs));
    for (int i = 0; i < SECS; i++) {
        double complex p = i < n ? up[i] : -W0; /* n == SECS for 1/3 octave */
        pole_to_z(&s[i], p, fs);
        s[i].b0 = 1.0; s[i].b1 = 0.0; s[i].b2 = -1.0;
        double g = 1.0 / cabs(sec_h(&s[i], w0));
        s[i].b0 = g; s[i].b2 = -g;
    }
}

/* 8th-order Butterworth low-pass at fc: zeros at z = -1, unity at DC. */
static void design_lowpass(sec_t s[AA_SECS], double fs, double fc)
{
    double Wc = 2.0 * fs * tan(PI * fc / fs);
    for (int k = 0; k < AA_SECS; k++) {
        double complex p = Wc * cexp(I * PI * (2.0 * k + 2 * AA_SECS + 1.0) / (4.0 * AA_SECS));
        pole_to_z(&s[k], p, fs);
        double g = (1.0 + s[k].a1 + s[k].a2) / 4.0;
        s[k].b0 = g; s[k].b1 = 2.0 * g; s[k].b2 = g;
    }
}

jm_rta_t *jm_rta_new(double rate)
{
    if (!(rate >= 8000.0 && rate <= 768000.0)) return NULL;
    jm_rta_t *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->rate = rate;
    r->nlev = 1;
    for (int b = 0; b < JM_RTA_BANDS; b++) {
        double fm = jm_rta_centre_hz(b), f1 = fm * pow(10.0, -0.05), f2 = fm * pow(10.0, 0.05);
        if (f2 > EDGE_MAX * rate) f2 = EDGE_MAX * rate;
        if (f1 >= f2 * 0.95) { /* no room for this band below Nyquist */
            r->lev[b] = -1;
            continue;
        }
        /* deepest level whose rate keeps the upper edge below a quarter */
        int d = 0;
        while (d + 1 < MAXLEV && f2 <= rate / (double)(1u << (d + 1)) / 4.0) d++;
        r->lev[b] = d;
        if (d + 1 > r->nlev) r->nlev = d + 1;
        design_band(r->band[b], rate / (double)(1u << d), f1, f2);
    }
    /* the same normalised low-pass for every halving: 0.2 x input rate */
    design_lowpass(r->aa, 1.0, 0.2);
    jm_rta_reset(r);
    return r;
}

void jm_rta_free(jm_rta_t *r)
{
    free(r);
}

void jm_rta_reset(jm_rta_t *r)
{
    memset(r->bst, 0, sizeof r->bst);
    memset(r->ast, 0, sizeof r->ast);
    memset(r->acc, 0, sizeof r->acc);
    memset(r->cnt, 0, sizeof r->cnt);
    for (int l = 0; l < MAXLEV; l++) r->phase[l] = 0;
    for (int b = 0; b < JM_RTA_BANDS; b++) r->last[b] = JM_RTA_FLOOR_DB;
    r->frames = 0;
}

/* Transposed direct form II, in place, n samples. */
static void run_sec(const sec_t *s, double st[2], double *x, uint32_t n)
{
    double s1 = st[0], s2 = st[1];
    const double b0 = s->b0, b1 = s->b1, b2 = s->b2, a1 = s->a1, a2 = s->a2;
    for (uint32_t i = 0; i < n; i++) {
        double in = x[i], y = b0 * in + s1;
        s1 = b1 * in - a1 * y + s2;
        s2 = b2 * in - a2 * y;
        x[i] = y;
    }
    st[0] = fabs(s1) < FLUSH ? 0.0 : s1;
    st[1] = fabs(s2) < FLUSH ? 0.0 : s2;
}

/* The 3 sections of a band over n samples of nch channels of x; returns
 * the sum of the squared output over the channels. The sections and the
 * channels run in one loop so that their recursions overlap (the loop is
 * bound by the latency of each recursion, not by arithmetic). */
static double run_band(const sec_t s[SECS], double st[SECS][2][2], const double *x0,
                       const double *x1, int nch, uint32_t n)
{
    const double g0 = s[0].b0, c0 = s[0].a1, d0 = s[0].a2;
    const double g1 = s[1].b0, c1 = s[1].a1, d1 = s[1].a2;
    const double g2 = s[2].b0, c2 = s[2].a1, d2 = s[2].a2;
    double sum = 0.0;
    for (int c = 0; c < nch; c += 2) {
        /* channel pair (or one): states u = s1, v = s2 of sections 0..2 */
        double u0 = st[0][c][0], v0 = st[0][c][1], u1 = st[1][c][0], v1 = st[1][c][1];
        double u2 = st[2][c][0], v2 = st[2][c][1];
        int two = c + 1 < nch;
        double U0 = two ? st[0][1][0] : 0, V0 = two ? st[0][1][1] : 0;
        double U1 = two ? st[1][1][0] : 0, V1 = two ? st[1][1][1] : 0;
        double U2 = two ? st[2][1][0] : 0, V2 = two ? st[2][1][1] : 0;
        const double *xa = x0, *xb = two ? x1 : x0;
        double acc = 0.0, accb = 0.0;
        /* each section: y = g x + s1; s1 = -a1 y + s2; s2 = -g x - a2 y
         * (numerator g (1 - z^-2): b1 = 0, b2 = -g) */
        for (uint32_t i = 0; i < n; i++) {
            double x = xa[i], y;
            y = g0 * x + u0; u0 = v0 - c0 * y; v0 = -g0 * x - d0 * y; x = y;
            y = g1 * x + u1; u1 = v1 - c1 * y; v1 = -g1 * x - d1 * y; x = y;
            y = g2 * x + u2; u2 = v2 - c2 * y; v2 = -g2 * x - d2 * y;
            acc += y * y;
            double X = xb[i], Y;
            Y = g0 * X + U0; U0 = V0 - c0 * Y; V0 = -g0 * X - d0 * Y; X = Y;
            Y = g1 * X + U1; U1 = V1 - c1 * Y; V1 = -g1 * X - d1 * Y; X = Y;
            Y = g2 * X + U2; U2 = V2 - c2 * Y; V2 = -g2 * X - d2 * Y;
            accb += Y * Y;
        }
#define KEEP(dst, v) ((dst) = fabs(v) < FLUSH ? 0.0 : (v))
        KEEP(st[0][0][0], u0); KEEP(st[0][0][1], v0); KEEP(st[1][0][0], u1);
        KEEP(st[1][0][1], v1); KEEP(st[2][0][0], u2); KEEP(st[2][0][1], v2);
        if (two) {
            KEEP(st[0][1][0], U0); KEEP(st[0][1][1], V0); KEEP(st[1][1][0], U1);
            KEEP(st[1][1][1], V1); KEEP(st[2][1][0], U2); KEEP(st[2][1][1], V2);
            sum += accb;
        }
#undef KEEP
        sum += acc;
    }
    return sum;
}

/* Level lev holds n samples of nch channels in buf[lev]: run its bands,
 * then low-pass and halve into the next level. */
static void run_level(jm_rta_t *r, int lev, int nch, uint32_t n)
{
    for (; lev < r->nlev && n > 0; lev++) {
        for (int b = 0; b < JM_RTA_BANDS; b++) {
            if (r->lev[b] != lev) continue;
            double sum = run_band(r->band[b], r->bst[b], r->buf[lev][0], r->buf[lev][1], nch, n);
            r->acc[b] += nch == 2 ? 0.5 * sum : sum;
            r->cnt[b] += n;
        }
        if (lev + 1 >= r->nlev) break;
        uint32_t m = 0;
        int ph = r->phase[lev];
        for (int c = 0; c < nch; c++) {
            double *t = r->tmp[c];
            memcpy(t, r->buf[lev][c], n * sizeof *t);
            for (int k = 0; k < AA_SECS; k++) run_sec(&r->aa[k], r->ast[lev][k][c], t, n);
            double *o = r->buf[lev + 1][c];
            int p = r->phase[lev];
            m = 0;
            for (uint32_t i = 0; i < n; i++) {
                if (p) o[m++] = t[i];
                p ^= 1;
            }
            ph = p;
        }
        r->phase[lev] = ph;
        n = m;
    }
}

void jm_rta_process(jm_rta_t *r, const float *l, const float *rch, uint32_t n)
{
    int nch = rch ? 2 : 1;
    if (nch != r->nch_last) { /* mono <-> stereo: the other channel's states are stale */
        if (r->nch_last != 0) {
            memset(r->bst, 0, sizeof r->bst);
            memset(r->ast, 0, sizeof r->ast);
        }
        r->nch_last = nch;
    }
    while (n > 0) {
        uint32_t m = n < CHUNK ? n : CHUNK;
        for (uint32_t i = 0; i < m; i++) r->buf[0][0][i] = l[i];
        if (rch)
            for (uint32_t i = 0; i < m; i++) r->buf[0][1][i] = rch[i];
        run_level(r, 0, nch, m);
        r->frames += m;
        l += m;
        if (rch) rch += m;
        n -= m;
    }
}

uint32_t jm_rta_take(jm_rta_t *r, float db[JM_RTA_BANDS])
{
    uint32_t f = r->frames;
    if (f == 0) return 0;
    for (int b = 0; b < JM_RTA_BANDS; b++) {
        if (r->cnt[b] > 0) {
            double ms = r->acc[b] / r->cnt[b];
            double v = ms > 0.0 ? 10.0 * log10(2.0 * ms) : -1000.0;
            r->last[b] = v < JM_RTA_FLOOR_DB ? JM_RTA_FLOOR_DB : (float)v;
        } else if (r->lev[b] < 0) {
            r->last[b] = JM_RTA_FLOOR_DB;
        }
        db[b] = r->last[b];
        r->acc[b] = 0.0;
        r->cnt[b] = 0;
    }
    r->frames = 0;
    return f;
}

double jm_rta_response_db(const jm_rta_t *r, int band, double f)
{
    if (band < 0 || band >= JM_RTA_BANDS || r->lev[band] < 0) return -1000.0;
    double g = 1.0, fs = r->rate;
    for (int d = 0; d < r->lev[band]; d++) { /* the decimators in front */
        double w = 2.0 * PI * f / (fs / (double)(1u << d));
        for (int k = 0; k < AA_SECS; k++) g *= cabs(sec_h(&r->aa[k], w));
    }
    double w = 2.0 * PI * f / (fs / (double)(1u << r->lev[band]));
    for (int k = 0; k < SECS; k++) g *= cabs(sec_h(&r->band[band][k], w));
    return g > 1e-50 ? 20.0 * log10(g) : -1000.0;
}
