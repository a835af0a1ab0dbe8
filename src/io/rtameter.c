/* Live analyser: audio thread -> SPSC ring -> analysis thread -> jm_rta ->
 * SPSC queue -> control thread. See include/jmixd/io/rtameter.h. */
#include "jmixd/io/rtameter.h"

#include "jmixd/util/queue.h"
#include "jmixd/util/rt.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#define RING_SECONDS_DIV 2  /* ring: rate / 2 frames (0.5 s) */
#define POLL_NS 10000000L   /* the thread looks at the ring every 10 ms */
#define IDLE_NS 100000000L  /* and every 100 ms while off: each wake-up costs
                             * ~20-30 us of CPU on a VM, 2 ms a second at 10 ms */
#define BLOCK 1024          /* frames per analysis block */
#define QUEUE 64            /* readings waiting for the control thread */
#define FAST_S 0.125        /* display smoothing time constant */

typedef struct {
    float db[JM_RTA_BANDS];
    uint32_t gen;
} reading_t;

struct jm_rtameter {
    jm_ring_t ring;
    jm_queue_t out;               /* analysis -> control */
    jm_rta_t *rta;                /* analysis thread only */
    const jm_log_t *log;
    uint32_t period;              /* frames per reading */
    double alpha;                 /* smoothing weight of a new reading */
    double pw[JM_RTA_BANDS];      /* smoothed power (analysis thread) */
    int have_pw;
    float l[BLOCK], r[BLOCK];     /* deinterleaved block (analysis thread) */
    pthread_t thread;
    bool started;
    atomic_bool quit;
    atomic_uint gen;              /* bumped by every select (control) */
    atomic_bool on;               /* a source is selected */
    _Atomic uint64_t blocks;
};

jm_ring_t *jm_rtameter_ring(jm_rtameter_t *m) { return &m->ring; }

uint64_t jm_rtameter_blocks(jm_rtameter_t *m)
{
    return atomic_load_explicit(&m->blocks, memory_order_relaxed);
}

void jm_rtameter_select(jm_rtameter_t *m, int on)
{
    atomic_store(&m->on, on != 0);
    atomic_fetch_add(&m->gen, 1);
}

int jm_rtameter_read(jm_rtameter_t *m, float db[JM_RTA_BANDS])
{
    reading_t rd;
    unsigned gen = atomic_load(&m->gen);
    while (jm_queue_pop(&m->out, &rd)) {
        if (rd.gen != gen) continue; /* of a source no longer selected */
        for (int b = 0; b < JM_RTA_BANDS; b++) db[b] = rd.db[b];
        return 1;
    }
    return 0;
}

/* A reading of the analyser: smoothed in power, posted with its source's
 * generation. */
static void post(jm_rtameter_t *m, unsigned gen)
{
    float db[JM_RTA_BANDS];
    if (!jm_rta_take(m->rta, db)) return;
    reading_t rd = {.gen = gen};
    for (int b = 0; b < JM_RTA_BANDS; b++) {
        double p = pow(10.0, db[b] / 10.0);
        m->pw[b] = m->have_pw ? m->pw[b] + m->alpha * (p - m->pw[b]) : p;
        double v = m->pw[b] > 0 ? 10.0 * log10(m->pw[b]) : JM_RTA_FLOOR_DB;
        rd.db[b] = v < JM_RTA_FLOOR_DB ? JM_RTA_FLOOR_DB : (float)v;
    }
    m->have_pw = 1;
    jm_queue_push(&m->out, &rd);
}

static void *rta_main(void *arg)
{
    jm_rtameter_t *m = arg;
    jm_rt_name_thread("jm-rta");
    const struct timespec tick = {0, POLL_NS}, idle = {0, IDLE_NS};
    unsigned seen = atomic_load(&m->gen);
    uint32_t since = 0; /* frames analysed since the last reading */
    while (!atomic_load(&m->quit)) {
        unsigned gen = atomic_load(&m->gen);
        if (gen != seen) { /* another source, or off: start over */
            seen = gen;
            jm_ring_discard(&m->ring);
            jm_rta_reset(m->rta);
            m->have_pw = 0;
            since = 0;
        }
        if (!atomic_load(&m->on)) {
            nanosleep(&idle, NULL);
            continue;
        }
        const float *seg[2];
        size_t len[2], frames = jm_ring_peek(&m->ring, seg, len);
        for (int s = 0; s < 2; s++) {
            const float *x = seg[s];
            size_t left = len[s];
            while (left > 0) {
                /* a block ends where a reading is due */
                uint32_t n = left < BLOCK ? (uint32_t)left : BLOCK;
                if (n > m->period - since) n = m->period - since;
                for (uint32_t i = 0; i < n; i++) {
                    m->l[i] = x[2 * i];
                    m->r[i] = x[2 * i + 1];
                }
                jm_rta_process(m->rta, m->l, m->r, n);
                atomic_fetch_add_explicit(&m->blocks, 1, memory_order_relaxed);
                x += 2 * (size_t)n;
                left -= n;
                since += n;
                if (since >= m->period) {
                    post(m, gen);
                    since = 0;
                }
            }
        }
        jm_ring_release(&m->ring, frames);
        nanosleep(&tick, NULL);
    }
    return NULL;
}

jm_rtameter_t *jm_rtameter_create(uint32_t rate, float meter_rate, const jm_log_t *log)
{
    if (rate < 8000 || rate > 768000 || !(meter_rate > 0.0f)) return NULL;
    jm_rtameter_t *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->log = log;
    m->period = (uint32_t)lround(rate / meter_rate);
    if (m->period < 1) m->period = 1;
    m->alpha = 1.0 - exp(-(double)m->period / rate / FAST_S);
    if (jm_ring_init(&m->ring, rate / RING_SECONDS_DIV) ||
        jm_queue_init(&m->out, sizeof(reading_t), QUEUE) || !(m->rta = jm_rta_new(rate)))
        goto fail;
    if (pthread_create(&m->thread, NULL, rta_main, m)) goto fail;
    m->started = true;
    return m;
fail:
    jm_log(log, JM_LOG_ERROR, "cannot create the analyser (out of memory?)");
    jm_rtameter_destroy(m);
    return NULL;
}

void jm_rtameter_destroy(jm_rtameter_t *m)
{
    if (!m) return;
    if (m->started) {
        atomic_store(&m->quit, true);
        pthread_join(m->thread, NULL);
    }
    jm_rta_free(m->rta);
    jm_queue_free(&m->out);
    jm_ring_free(&m->ring);
    free(m);
}
