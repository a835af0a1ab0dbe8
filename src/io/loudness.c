/* Loudness meter: audio thread -> SPSC ring -> meter thread -> libebur128 ->
 * atomics -> control thread. See include/jmixd/io/loudness.h. */
#include "jmixd/io/loudness.h"

#include "jmixd/util/ring.h"

#include <ebur128.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define RING_SECONDS 4   /* >= 2 s (as the recorder's ring, docs/osc.md) */
#define POLL_NS 20000000L /* meter thread period: 20 ms, above any meter rate */
/* True peak is measured by our own Annex 2 interpolator (tp_t), not
 * libebur128's TRUE_PEAK mode, which costs over ten times as much. */
#define LIVE_MODES (EBUR128_MODE_M | EBUR128_MODE_S | EBUR128_MODE_I | EBUR128_MODE_LRA | \
                    EBUR128_MODE_HISTOGRAM)

/* True peak per ITU-R BS.1770-4 Annex 2: the published 48-tap, 4-phase
 * interpolator (4x oversampling), used at every rate (above 96 kHz that is
 * more oversampling than the minimum, which only tightens the reading).
 * Own code rather than libebur128's TRUE_PEAK mode, which costs about
 * 65 ns a frame (double precision, 49 taps) and would be the slowest part
 * of a render; this one is about 5. Stored tap-major: h[k][p]. */
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

#define TP_CHUNK 1024

/* Glossary: prev = the last 11 inputs per channel (the filter's history);
 * ext = scratch, history + one chunk of a channel; tpeak = true peak so
 * far (linear, both channels); speak = sample peak so far. */
typedef struct {
    float prev[2][11];
    float ext[11 + TP_CHUNK];
    float tpeak, speak;
} tp_t;

/* Four phases at once (GCC/clang vectors: SSE on x86, scalar elsewhere). */
typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

/* One channel of up to TP_CHUNK frames: ext holds the 11 previous samples
 * then the new ones, so the window never wraps. */
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

static void true_peak_add(tp_t *m, const float *x, size_t frames)
{
    for (size_t k = 0; k < frames; k += TP_CHUNK) {
        size_t n = frames - k < TP_CHUNK ? frames - k : TP_CHUNK;
        true_peak_chunk(m, 0, x + 2 * k, n);
        true_peak_chunk(m, 1, x + 2 * k, n);
    }
}

struct jm_loudness {
    jm_ring_t ring;
    uint32_t rate;
    const jm_log_t *log;
    pthread_t thread;
    bool started;
    atomic_bool quit;
    atomic_bool reset_req;        /* control -> meter */
    _Atomic uint32_t val[5];      /* float bits, meter -> control */
    atomic_int have;              /* audio measured since the last reset */
    _Atomic uint64_t measured;    /* frames the meter thread consumed */
    _Atomic uint64_t dropped;     /* frames the audio thread could not queue */
    ebur128_state *st;            /* meter thread only */
    tp_t tp;                      /* meter thread only: own true peak (see below) */
};

static float floor_db(double v)
{
    return (isnan(v) || v < JM_LOUDNESS_FLOOR) ? JM_LOUDNESS_FLOOR : (float)v;
}

static double lin_to_db(double x) { return x > 0.0 ? 20.0 * log10(x) : -HUGE_VAL; }

static uint32_t f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float u2f(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* ---- audio thread ---- */

void jm_loudness_push(jm_loudness_t *ln, const float *l, const float *r, uint32_t n)
{
    if (!ln) return;
    uint32_t done = jm_ring_write(&ln->ring, l, r, n);
    if (done < n)
        atomic_fetch_add_explicit(&ln->dropped, n - done, memory_order_relaxed);
}

/* ---- meter thread ---- */

static void publish(jm_loudness_t *ln)
{
    double m = -HUGE_VAL, s = -HUGE_VAL, i = -HUGE_VAL, lra = 0.0, tp = ln->tp.tpeak;
    ebur128_loudness_momentary(ln->st, &m);
    ebur128_loudness_shortterm(ln->st, &s);
    ebur128_loudness_global(ln->st, &i);
    if (ebur128_loudness_range(ln->st, &lra) != EBUR128_SUCCESS || isnan(lra)) lra = 0.0;
    float v[5] = {floor_db(m), floor_db(s), floor_db(i), floor_db(lin_to_db(tp)), (float)lra};
    for (int k = 0; k < 5; k++)
        atomic_store_explicit(&ln->val[k], f2u(v[k]), memory_order_relaxed);
}

static void publish_floor(jm_loudness_t *ln)
{
    for (int k = 0; k < 5; k++)
        atomic_store_explicit(&ln->val[k], f2u(k == JM_LN_RANGE ? 0.0f : JM_LOUDNESS_FLOOR),
                              memory_order_relaxed);
    atomic_store(&ln->have, 0);
}

/* Recreating the state is the only full reset libebur128 offers; it
 * allocates, which is fine here (not the audio thread). */
static int restart(jm_loudness_t *ln)
{
    if (ln->st) ebur128_destroy(&ln->st);
    ln->st = ebur128_init(2, ln->rate, LIVE_MODES);
    memset(&ln->tp, 0, sizeof ln->tp);
    publish_floor(ln);
    return ln->st ? 0 : -1;
}

static size_t drain(jm_loudness_t *ln)
{
    const float *seg[2];
    size_t len[2], frames = jm_ring_peek(&ln->ring, seg, len);
    for (int i = 0; i < 2; i++) {
        if (len[i] && ln->st) ebur128_add_frames_float(ln->st, seg[i], len[i]);
        if (len[i]) true_peak_add(&ln->tp, seg[i], len[i]);
    }
    jm_ring_release(&ln->ring, frames);
    return frames;
}

static void *meter_main(void *arg)
{
    jm_loudness_t *ln = arg;
    uint64_t logged_drop = 0;
    size_t unpublished = 0;       /* frames measured since the last publish */
    time_t last_log = 0;
    const struct timespec tick = {0, POLL_NS};
    while (!atomic_load(&ln->quit)) {
        if (atomic_exchange(&ln->reset_req, false) && restart(ln))
            jm_log(ln->log, JM_LOG_ERROR, "loudness: cannot restart the meter (out of memory)");
        size_t got = drain(ln);
        unpublished += got;
        /* Momentary and short-term loudness are sums over 0.4 and 3 s of
         * audio: compute them every 100 ms of audio (EBU meters refresh at
         * 10 Hz), or as soon as the input pauses, not on every drain. */
        if (unpublished && ln->st && (unpublished >= ln->rate / 10 || !got)) {
            publish(ln);
            atomic_store(&ln->have, 1);
            /* release: a reader that sees `measured` also sees the values */
            atomic_fetch_add_explicit(&ln->measured, unpublished, memory_order_release);
            unpublished = 0;
        }
        uint64_t d = atomic_load_explicit(&ln->dropped, memory_order_relaxed);
        time_t now = time(NULL);
        if (d != logged_drop && now != last_log) { /* at most one line a second */
            jm_log(ln->log, JM_LOG_WARN, "loudness: %llu frames dropped (meter ring full)",
                   (unsigned long long)(d - logged_drop));
            logged_drop = d;
            last_log = now;
        }
        if (!got) nanosleep(&tick, NULL);
        else if (jm_ring_used(&ln->ring) < ln->rate / 100)
            nanosleep(&tick, NULL); /* less than 10 ms left: wait for more */
    }
    return NULL;
}

/* ---- owner / control thread ---- */

jm_loudness_t *jm_loudness_create(uint32_t rate, const jm_log_t *log)
{
    if (rate < 8000 || rate > 768000) return NULL;
    jm_loudness_t *ln = calloc(1, sizeof *ln);
    if (!ln) return NULL;
    ln->rate = rate;
    ln->log = log;
    if (jm_ring_init(&ln->ring, (size_t)rate * RING_SECONDS) || restart(ln)) goto fail;
    if (pthread_create(&ln->thread, NULL, meter_main, ln)) goto fail;
    ln->started = true;
    return ln;
fail:
    jm_loudness_destroy(ln);
    return NULL;
}

void jm_loudness_destroy(jm_loudness_t *ln)
{
    if (!ln) return;
    if (ln->started) {
        atomic_store(&ln->quit, true);
        pthread_join(ln->thread, NULL);
    }
    if (ln->st) ebur128_destroy(&ln->st);
    jm_ring_free(&ln->ring);
    free(ln);
}

int jm_loudness_read(jm_loudness_t *ln, float out[5])
{
    int have = atomic_load(&ln->have);
    for (int k = 0; k < 5; k++)
        out[k] = u2f(atomic_load_explicit(&ln->val[k], memory_order_relaxed));
    return have;
}

void jm_loudness_reset(jm_loudness_t *ln) { atomic_store(&ln->reset_req, true); }

void jm_loudness_stats(jm_loudness_t *ln, uint64_t *measured, uint64_t *dropped)
{
    if (measured) *measured = atomic_load_explicit(&ln->measured, memory_order_acquire);
    if (dropped) *dropped = atomic_load_explicit(&ln->dropped, memory_order_relaxed);
}

/* ---- synchronous meter ---- */

struct jm_lmeter {
    ebur128_state *st;
    int full;
    uint64_t frames;
    tp_t tp;
    float buf[2 * 1024];
};

jm_lmeter_t *jm_lmeter_create(uint32_t rate, int full)
{
    jm_lmeter_t *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    /* exact gating (no histogram): a block list grows by 8 bytes per 100 ms,
     * nothing for a render, and normalisation lands closer to its target */
    int mode = full ? (EBUR128_MODE_M | EBUR128_MODE_S | EBUR128_MODE_I | EBUR128_MODE_LRA)
                    : EBUR128_MODE_I;
    m->full = full;
    m->st = ebur128_init(2, rate, mode);
    if (!m->st) {
        free(m);
        return NULL;
    }
    return m;
}

int jm_lmeter_add(jm_lmeter_t *m, const float *interleaved, size_t frames)
{
    m->frames += frames;
    if (m->full) true_peak_add(&m->tp, interleaved, frames);
    return ebur128_add_frames_float(m->st, interleaved, frames) == EBUR128_SUCCESS ? 0 : -1;
}

int jm_lmeter_add_planar(jm_lmeter_t *m, const float *l, const float *r, size_t frames)
{
    while (frames) {
        size_t n = frames < 1024 ? frames : 1024;
        for (size_t k = 0; k < n; k++) m->buf[2 * k] = l[k], m->buf[2 * k + 1] = r[k];
        if (jm_lmeter_add(m, m->buf, n)) return -1;
        l += n, r += n, frames -= n;
    }
    return 0;
}

void jm_lmeter_result(jm_lmeter_t *m, jm_loudness_result_t *out)
{
    double i = -HUGE_VAL, v;
    ebur128_loudness_global(m->st, &i);
    *out = (jm_loudness_result_t){.integrated = floor_db(i), .true_peak = JM_LOUDNESS_FLOOR,
                                  .sample_peak = JM_LOUDNESS_FLOOR,
                                  .momentary = JM_LOUDNESS_FLOOR,
                                  .short_term = JM_LOUDNESS_FLOOR, .frames = m->frames};
    if (!m->full) return;
    out->true_peak = floor_db(lin_to_db(m->tp.tpeak));
    out->sample_peak = floor_db(lin_to_db(m->tp.speak));
    if (ebur128_loudness_range(m->st, &v) == EBUR128_SUCCESS && !isnan(v)) out->range = v;
    if (ebur128_loudness_momentary(m->st, &v) == EBUR128_SUCCESS) out->momentary = floor_db(v);
    if (ebur128_loudness_shortterm(m->st, &v) == EBUR128_SUCCESS) out->short_term = floor_db(v);
}

void jm_lmeter_destroy(jm_lmeter_t *m)
{
    if (!m) return;
    ebur128_destroy(&m->st);
    free(m);
}

int jm_loudness_measure(const float *interleaved, size_t frames, uint32_t rate,
                        jm_loudness_result_t *out)
{
    jm_lmeter_t *m = jm_lmeter_create(rate, 1);
    if (!m) return -1;
    int rc = jm_lmeter_add(m, interleaved, frames);
    jm_lmeter_result(m, out);
    jm_lmeter_destroy(m);
    return rc;
}
