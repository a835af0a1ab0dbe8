/* Loudness meter: audio thread -> SPSC ring -> meter thread -> jm_lufs ->
 * atomics -> control thread. See include/jmixd/io/loudness.h. */
#include "jmixd/io/loudness.h"

#include "jmixd/dsp/lufs.h"
#include "jmixd/util/ring.h"
#include "jmixd/util/rt.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RING_SECONDS 4   /* >= 2 s (as the recorder's ring, docs/osc.md) */
#define MIN_SLEEP_NS 5000000L   /* the meter thread sleeps 5 .. 100 ms at a time */
#define MAX_SLEEP_NS 100000000L

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
    jm_lufs_t *m;                 /* meter thread only (histogram gating) */
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
    jm_lufs_values_t r;
    jm_lufs_read(ln->m, &r);
    float v[5] = {floor_db(r.momentary), floor_db(r.short_term), floor_db(r.integrated),
                  floor_db(lin_to_db(r.true_peak)), (float)r.range};
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

static void restart(jm_loudness_t *ln)
{
    jm_lufs_reset(ln->m);
    publish_floor(ln);
}

static size_t drain(jm_loudness_t *ln)
{
    const float *seg[2];
    size_t len[2], frames = jm_ring_peek(&ln->ring, seg, len);
    for (int i = 0; i < 2; i++) {
        if (len[i]) jm_lufs_add(ln->m, seg[i], len[i]); /* histograms: cannot fail */
    }
    jm_ring_release(&ln->ring, frames);
    return frames;
}

static void *meter_main(void *arg)
{
    jm_loudness_t *ln = arg;
    jm_rt_name_thread("jm-loudness");
    uint64_t logged_drop = 0;
    size_t unpublished = 0;       /* frames measured since the last publish */
    time_t last_log = 0;
    jm_rt_set_ftz_daz(); /* as the audio thread: no denormal slow paths */
    while (!atomic_load(&ln->quit)) {
        if (atomic_exchange(&ln->reset_req, false)) restart(ln);
        size_t got = drain(ln);
        unpublished += got;
        /* Momentary and short-term loudness are sums over 0.4 and 3 s of
         * audio: compute them every 100 ms of audio (EBU meters refresh at
         * 10 Hz), or as soon as the input pauses, not on every drain. */
        if (unpublished && (unpublished >= ln->rate / 10 || !got)) {
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
        if (got && jm_ring_used(&ln->ring) >= ln->rate / 100) continue; /* catching up */
        /* Sleep until the next publication is due (+2 ms), 5 .. 100 ms: a
         * wake-up costs ~20-30 us of CPU on a VM, more than the measuring
         * of 20 ms of audio; 50 a second took 1.5 ms of CPU a second. */
        long due = (long)((uint64_t)(ln->rate / 10 - (unpublished < ln->rate / 10 ? unpublished : 0)) *
                          1000000000ull / ln->rate) + 2000000L;
        if (!got) due = MAX_SLEEP_NS; /* no audio coming (JACK stopped?) */
        struct timespec ts = {0, due < MIN_SLEEP_NS ? MIN_SLEEP_NS : due > MAX_SLEEP_NS ? MAX_SLEEP_NS : due};
        nanosleep(&ts, NULL);
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
    if (jm_ring_init(&ln->ring, (size_t)rate * RING_SECONDS) ||
        !(ln->m = jm_lufs_create(rate, JM_LUFS_PEAKS)))
        goto fail;
    publish_floor(ln);
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
    jm_lufs_destroy(ln->m);
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
    jm_lufs_t *m;
    int full;
    float buf[2 * 1024];
};

jm_lmeter_t *jm_lmeter_create(uint32_t rate, int full)
{
    jm_lmeter_t *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    /* exact gating (no histogram): a block list grows by 8 bytes per 100 ms,
     * nothing for a render, and normalisation lands closer to its target */
    m->full = full;
    m->m = jm_lufs_create(rate, JM_LUFS_EXACT | (full ? JM_LUFS_PEAKS : 0));
    if (!m->m) {
        free(m);
        return NULL;
    }
    return m;
}

int jm_lmeter_add(jm_lmeter_t *m, const float *interleaved, size_t frames)
{
    return jm_lufs_add(m->m, interleaved, frames);
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
    jm_lufs_values_t v;
    jm_lufs_read(m->m, &v);
    *out = (jm_loudness_result_t){.integrated = floor_db(v.integrated),
                                  .true_peak = JM_LOUDNESS_FLOOR,
                                  .sample_peak = JM_LOUDNESS_FLOOR,
                                  .momentary = JM_LOUDNESS_FLOOR,
                                  .short_term = JM_LOUDNESS_FLOOR,
                                  .frames = jm_lufs_frames(m->m)};
    if (!m->full) return;
    out->true_peak = floor_db(lin_to_db(v.true_peak));
    out->sample_peak = floor_db(lin_to_db(v.sample_peak));
    out->range = v.range;
    out->momentary = floor_db(v.momentary);
    out->short_term = floor_db(v.short_term);
}

void jm_lmeter_destroy(jm_lmeter_t *m)
{
    if (!m) return;
    jm_lufs_destroy(m->m);
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
