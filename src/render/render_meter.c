/* A loudness meter on a worker thread, so measuring the output does not
 * slow the mixer down (on two cores a render runs at the speed of the
 * slower of the two, not their sum). Frames are copied into a few fixed
 * slots; the producer waits only when every slot is queued. */
#include "render_int.h"
#include "jmixd/util/rt.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 8
#define SLOT_FRAMES 4096

struct jm_rmeter {
    jm_lmeter_t *m;
    jm_rseries_t *series;     /* the report's, or NULL */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t fill[SLOTS];       /* frames in each slot */
    unsigned head, count;     /* queued slots: head .. head+count-1 */
    unsigned cur;             /* slot the producer fills (not queued) */
    bool quit, failed, joined;
    float buf[SLOTS][2 * SLOT_FRAMES];
};

static void *worker(void *arg)
{
    jm_rmeter_t *r = arg;
    jm_rt_name_thread("jm-render-loud");
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (!r->count && !r->quit) pthread_cond_wait(&r->cv, &r->mu);
        if (!r->count) break; /* quit and drained */
        unsigned s = r->head;
        pthread_mutex_unlock(&r->mu);
        bool bad = jm_lmeter_add(r->m, r->buf[s], r->fill[s]) != 0;
        if (r->series) bad |= jm_rseries_add(r->series, r->buf[s], r->fill[s]) != 0;
        pthread_mutex_lock(&r->mu);
        r->failed |= bad;
        r->head = (r->head + 1) % SLOTS;
        r->count--;
        pthread_cond_broadcast(&r->cv);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

jm_rmeter_t *jm_rmeter_create(uint32_t rate, int full)
{
    jm_rmeter_t *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    if (!(r->m = jm_lmeter_create(rate, full))) {
        free(r);
        return NULL;
    }
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    if (pthread_create(&r->thread, NULL, worker, r)) {
        jm_lmeter_destroy(r->m);
        free(r);
        return NULL;
    }
    return r;
}

void jm_rmeter_series(jm_rmeter_t *r, jm_rseries_t *s)
{
    pthread_mutex_lock(&r->mu); /* the worker reads it under the lock's ordering */
    r->series = s;
    pthread_mutex_unlock(&r->mu);
}

/* Queue the producer's slot and take the next free one. */
static void post(jm_rmeter_t *r)
{
    pthread_mutex_lock(&r->mu);
    r->count++;
    pthread_cond_broadcast(&r->cv);
    while (r->count == SLOTS) pthread_cond_wait(&r->cv, &r->mu); /* none free to fill */
    r->cur = (r->head + r->count) % SLOTS;
    pthread_mutex_unlock(&r->mu);
    r->fill[r->cur] = 0;
}

void jm_rmeter_add(jm_rmeter_t *r, const float *interleaved, size_t frames)
{
    while (frames) {
        size_t room = SLOT_FRAMES - r->fill[r->cur], n = frames < room ? frames : room;
        memcpy(r->buf[r->cur] + 2 * r->fill[r->cur], interleaved, n * 2 * sizeof(float));
        r->fill[r->cur] += n;
        interleaved += 2 * n, frames -= n;
        if (r->fill[r->cur] == SLOT_FRAMES) post(r);
    }
}

void jm_rmeter_add_planar(jm_rmeter_t *r, const float *l, const float *rr, size_t frames)
{
    while (frames) {
        size_t room = SLOT_FRAMES - r->fill[r->cur], n = frames < room ? frames : room;
        float *d = r->buf[r->cur] + 2 * r->fill[r->cur];
        for (size_t k = 0; k < n; k++) d[2 * k] = l[k], d[2 * k + 1] = rr[k];
        r->fill[r->cur] += n;
        l += n, rr += n, frames -= n;
        if (r->fill[r->cur] == SLOT_FRAMES) post(r);
    }
}

int jm_rmeter_finish(jm_rmeter_t *r, jm_loudness_result_t *out)
{
    if (r->fill[r->cur]) post(r);
    pthread_mutex_lock(&r->mu);
    r->quit = true;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    r->joined = true;
    jm_lmeter_result(r->m, out);
    if (r->series) jm_rseries_finish(r->series);
    return r->failed ? -1 : 0;
}

void jm_rmeter_destroy(jm_rmeter_t *r)
{
    if (!r) return;
    if (!r->joined) {
        pthread_mutex_lock(&r->mu);
        r->quit = true;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->thread, NULL);
    }
    jm_lmeter_destroy(r->m);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r);
}
