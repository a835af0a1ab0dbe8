/* The 1/3-octave analyser (jmixd/dsp/rta.h): sines at every band centre at
 * 44.1, 48 and 96 kHz read their level in their band (and it is the
 * maximum); pink noise reads flat; the band shape against points of the
 * IEC 61260 class 1 mask; stereo power; chunking does not change the result;
 * an empty take returns 0; centres and labels. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jmixd/dsp/rta.h"

#define PI 3.14159265358979323846

/* n frames of a sine of peak a at f (phase continuous from frame k0). */
static void sine(float *x, uint32_t n, double fs, double f, double a, uint64_t k0)
{
    for (uint32_t i = 0; i < n; i++) x[i] = (float)(a * sin(2.0 * PI * f * (double)(k0 + i) / fs));
}

/* Feed secs of a sine after settle seconds; returns the take's levels. */
static void read_sine(jm_rta_t *r, double fs, double f, double a, double settle, double secs,
                      float db[JM_RTA_BANDS])
{
    static float buf[4096];
    uint64_t k = 0, ns = (uint64_t)(settle * fs), nm = (uint64_t)(secs * fs);
    jm_rta_reset(r);
    while (k < ns) {
        uint32_t m = ns - k < 4096 ? (uint32_t)(ns - k) : 4096;
        sine(buf, m, fs, f, a, k);
        jm_rta_process(r, buf, NULL, m);
        k += m;
    }
    float junk[JM_RTA_BANDS];
    jm_rta_take(r, junk);
    uint64_t end = k + nm;
    while (k < end) {
        uint32_t m = end - k < 4096 ? (uint32_t)(end - k) : 4096;
        sine(buf, m, fs, f, a, k);
        jm_rta_process(r, buf, NULL, m);
        k += m;
    }
    assert_int_equal(jm_rta_take(r, db), (uint32_t)nm);
}

static void test_centres_labels(void **state)
{
    (void)state;
    assert_float_equal(jm_rta_centre_hz(17), 1000.0, 1e-9);
    assert_float_equal(jm_rta_centre_hz(0), 19.952623149688797, 1e-9);
    assert_float_equal(jm_rta_centre_hz(30), 19952.623149688797, 1e-6);
    assert_float_equal(jm_rta_centre_hz(-1), 0.0, 0);
    assert_string_equal(jm_rta_label(0), "20");
    assert_string_equal(jm_rta_label(2), "31.5");
    assert_string_equal(jm_rta_label(17), "1k");
    assert_string_equal(jm_rta_label(18), "1.25k");
    assert_string_equal(jm_rta_label(30), "20k");
    assert_string_equal(jm_rta_label(31), "");
    /* each label is the nominal value of its exact centre within 3 % */
    for (int b = 0; b < JM_RTA_BANDS; b++) {
        const char *s = jm_rta_label(b);
        double v = atof(s) * (strchr(s, 'k') ? 1000.0 : 1.0);
        assert_true(fabs(v / jm_rta_centre_hz(b) - 1.0) < 0.03);
    }
    assert_null(jm_rta_new(1000.0));
    assert_null(jm_rta_new(NAN));
}

static void test_empty_take(void **state)
{
    (void)state;
    jm_rta_t *r = jm_rta_new(48000);
    assert_non_null(r);
    float db[JM_RTA_BANDS];
    for (int b = 0; b < JM_RTA_BANDS; b++) db[b] = 7.0f;
    assert_int_equal(jm_rta_take(r, db), 0);
    for (int b = 0; b < JM_RTA_BANDS; b++) assert_true(db[b] == 7.0f);
    float z[64] = {0};
    jm_rta_process(r, z, NULL, 64);
    assert_int_equal(jm_rta_take(r, db), 64);
    for (int b = 0; b < JM_RTA_BANDS; b++) assert_true(db[b] == JM_RTA_FLOOR_DB);
    assert_int_equal(jm_rta_take(r, db), 0);
    jm_rta_free(r);
}

static void sines_at(double fs)
{
    jm_rta_t *r = jm_rta_new(fs);
    assert_non_null(r);
    float db[JM_RTA_BANDS];
    double worst = 0;
    for (int b = 0; b < JM_RTA_BANDS; b++) {
        double f = jm_rta_centre_hz(b), a = 0.1; /* -20 dBFS */
        read_sine(r, fs, f, a, 1.5, 1.0, db);
        double err = db[b] - (-20.0);
        if (fabs(err) > fabs(worst)) worst = err;
        if (fabs(err) > 0.3) printf("  %g Hz: band %s reads %.3f dB\n", fs, jm_rta_label(b), db[b]);
        assert_true(fabs(err) <= 0.3);
        for (int o = 0; o < JM_RTA_BANDS; o++)
            if (o != b) assert_true(db[o] < db[b]);
        /* the neighbours are well down (6th order: about -20 dB one band away,
         * a little less at 44.1 kHz for the band narrowed below Nyquist) */
        if (b > 0) assert_true(db[b - 1] < db[b] - 12.0);
        if (b < JM_RTA_BANDS - 1) assert_true(db[b + 1] < db[b] - 12.0);
    }
    printf("  %g Hz: sine at every centre, worst error %+.3f dB\n", fs, worst);
    jm_rta_free(r);
}

static void test_sines_44k1(void **state) { (void)state; sines_at(44100); }
static void test_sines_48k(void **state) { (void)state; sines_at(48000); }
static void test_sines_96k(void **state) { (void)state; sines_at(96000); }

static void test_stereo_power(void **state)
{
    (void)state;
    jm_rta_t *r = jm_rta_new(48000);
    static float l[48000], z[48000];
    float db[JM_RTA_BANDS];
    sine(l, 48000, 48000, 1000.0, 0.5, 0);
    memset(z, 0, sizeof z);
    jm_rta_process(r, l, l, 24000);
    jm_rta_take(r, db);
    jm_rta_process(r, l + 24000, l + 24000, 24000);
    jm_rta_take(r, db);
    assert_float_equal(db[17], 20.0 * log10(0.5), 0.1); /* both channels: the sine's level */
    jm_rta_reset(r);
    jm_rta_process(r, l, z, 24000);
    jm_rta_take(r, db);
    jm_rta_process(r, l + 24000, z + 24000, 24000);
    jm_rta_take(r, db);
    assert_float_equal(db[17], 20.0 * log10(0.5) - 3.0103, 0.1); /* one channel: half the power */
    jm_rta_free(r);
}

static uint64_t rng_state;
static double white(void) /* uniform in [-1, 1), xorshift64* */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    uint64_t v = rng_state * 0x2545F4914F6CDD1Dull;
    return (double)(v >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

/* Paul Kellet's refined pink filter ("instrumentation grade", +-0.05 dB
 * above 9.2 Hz at 44.1 kHz; music-dsp archive, 1999) on uniform white
 * noise. At 48 and 96 kHz its poles scale with the rate, so its pink range
 * starts at 10 and 20 Hz: the 96 kHz check begins at 25 Hz. */
typedef struct {
    double b0, b1, b2, b3, b4, b5, b6;
} pink_t;
static double pink(pink_t *p)
{
    double w = white();
    p->b0 = 0.99886 * p->b0 + w * 0.0555179;
    p->b1 = 0.99332 * p->b1 + w * 0.0750759;
    p->b2 = 0.96900 * p->b2 + w * 0.1538520;
    p->b3 = 0.86650 * p->b3 + w * 0.3104856;
    p->b4 = 0.55000 * p->b4 + w * 0.5329522;
    p->b5 = -0.7616 * p->b5 - w * 0.0168980;
    double y = p->b0 + p->b1 + p->b2 + p->b3 + p->b4 + p->b5 + p->b6 + w * 0.5362;
    p->b6 = w * 0.115926;
    return y * 0.05;
}

/* secs of pink noise; the spread (max - min) of the bands first .. last. */
static double pink_spread(double fs, double secs, int first, int last, float db[JM_RTA_BANDS])
{
    jm_rta_t *r = jm_rta_new(fs);
    pink_t p = {0};
    static float buf[4800];
    rng_state = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 48000; i++) pink(&p); /* the filter settles */
    for (int k = 0; k < 10; k++) { /* 0.5 s settle of the analyser */
        for (int i = 0; i < 4800; i++) buf[i] = (float)pink(&p);
        jm_rta_process(r, buf, NULL, 4800);
    }
    jm_rta_take(r, db);
    for (long k = 0; k < (long)(secs * fs / 4800); k++) {
        for (int i = 0; i < 4800; i++) buf[i] = (float)pink(&p);
        jm_rta_process(r, buf, NULL, 4800);
    }
    jm_rta_take(r, db);
    jm_rta_free(r);
    double lo = 1e9, hi = -1e9;
    for (int b = first; b <= last; b++) {
        lo = fmin(lo, db[b]);
        hi = fmax(hi, db[b]);
    }
    printf("  pink %g Hz, %g s, bands %s..%s: spread %.3f dB (", fs, secs, jm_rta_label(first),
           jm_rta_label(last), hi - lo);
    for (int b = 0; b < JM_RTA_BANDS; b++) printf("%s%.2f", b ? " " : "", db[b]);
    printf(")\n");
    return hi - lo;
}

static void test_pink_flat(void **state)
{
    (void)state;
    float db[JM_RTA_BANDS];
    assert_true(pink_spread(48000, 60, 0, 30, db) <= 1.0);
    assert_true(pink_spread(96000, 40, 1, 30, db) <= 1.0);
    /* 44.1 kHz: the 20 kHz band is cut at 0.48 fs (rta.h) and reads lower */
    assert_true(pink_spread(44100, 40, 1, 29, db) <= 1.0);
    assert_true(db[30] < db[29] && db[30] > db[29] - 3.0);
}

/* IEC 61260 class 1 mask for 1/3-octave bands (G = 10^0.3), relative
 * response in dB at the normalised frequencies of its breakpoints
 * Omega(x) = 1 + (G^(1/6) - 1) / (G^(1/2) - 1) (G^x - 1) for the octave
 * breakpoints x, both sides (1/Omega). Passband: no higher than +0.3 dB and
 * no lower than -0.3, -0.4, -0.6, -1.3, -5 dB at x = 0, 1/8, 1/4, 3/8, 1/2;
 * stopband: at most -2 (just beyond the edge: checked at the edge, where the
 * Butterworth is -3.01), -17.5, -42, -61, -70 dB at x = 1/2, 1, 2, 3, 4. */
static void check_mask(double fs, int band)
{
    static const double xs[] = {0, 0.125, 0.25, 0.375, 0.5, 1, 2, 3, 4};
    static const double lo[] = {-0.3, -0.4, -0.6, -1.3, -5, -1e9, -1e9, -1e9, -1e9};
    static const double hi[] = {0.3, 0.3, 0.3, 0.3, -2, -17.5, -42, -61, -70};
    double G = pow(10.0, 0.3), k = (pow(G, 1.0 / 6) - 1) / (sqrt(G) - 1);
    jm_rta_t *r = jm_rta_new(fs);
    float db[JM_RTA_BANDS];
    double fm = jm_rta_centre_hz(band);
    read_sine(r, fs, fm, 0.5, 1.0, 2.0, db);
    double ref = db[band];
    for (int i = 0; i < 9; i++) {
        double om = 1 + k * (pow(G, xs[i]) - 1);
        for (int side = 0; side < 2; side++) {
            double f = side ? fm / om : fm * om;
            if (f >= fs / 2) continue;
            read_sine(r, fs, f, 0.5, 1.0, 2.0, db);
            double rel = db[band] - ref;
            double an = jm_rta_response_db(r, band, f) - jm_rta_response_db(r, band, fm);
            printf("  %g Hz band %s: %9.2f Hz: %8.3f dB (analytic %8.3f) limits [%g, %g]\n", fs,
                   jm_rta_label(band), f, rel, an, lo[i], hi[i]);
            assert_true(rel <= hi[i] + 1e-9 && rel >= lo[i]);
            if (an > -60) assert_float_equal(rel, an, 0.05); /* measured = designed */
        }
    }
    jm_rta_free(r);
}

static void test_iec_mask(void **state)
{
    (void)state;
    check_mask(48000, 17); /* 1 kHz */
    check_mask(48000, 7);  /* 100 Hz: several decimations deep */
    check_mask(48000, 27); /* 10 kHz: full rate */
}

/* Any split of the input into process calls gives the same reading. */
static void test_chunking(void **state)
{
    (void)state;
    jm_rta_t *a = jm_rta_new(48000), *b = jm_rta_new(48000);
    static float x[48000];
    rng_state = 42;
    pink_t p = {0};
    for (int i = 0; i < 48000; i++) x[i] = (float)pink(&p);
    jm_rta_process(a, x, x, 48000);
    uint32_t i = 0, step = 1;
    while (i < 48000) {
        uint32_t m = 48000 - i < step ? 48000 - i : step;
        jm_rta_process(b, x + i, x + i, m);
        i += m;
        step = step * 3 % 1031 + 1;
    }
    float da[JM_RTA_BANDS], dbb[JM_RTA_BANDS];
    assert_int_equal(jm_rta_take(a, da), 48000);
    assert_int_equal(jm_rta_take(b, dbb), 48000);
    for (int k = 0; k < JM_RTA_BANDS; k++) assert_float_equal(da[k], dbb[k], 1e-4);
    jm_rta_free(a);
    jm_rta_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_centres_labels), cmocka_unit_test(test_empty_take),
        cmocka_unit_test(test_sines_44k1),     cmocka_unit_test(test_sines_48k),
        cmocka_unit_test(test_sines_96k),      cmocka_unit_test(test_stereo_power),
        cmocka_unit_test(test_pink_flat),      cmocka_unit_test(test_iec_mask),
        cmocka_unit_test(test_chunking),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
