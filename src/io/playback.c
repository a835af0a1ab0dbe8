/* Take playback: files -> disk thread -> one SPSC ring of interleaved
 * frames -> audio thread -> a buffer per strip channel. See
 * include/jmixd/io/playback.h.
 *
 * Locate handshake: the control thread stores the frame and bumps req_gen;
 * from its next read on, the audio thread empties the ring and plays
 * silence; the disk thread, once it has stopped writing, sets flush_gen =
 * req_gen and waits; the audio thread then empties the ring a last time,
 * takes the new position and sets flushed_gen; the disk thread seeks and
 * refills. While `filling`, missing frames are not underruns. */
#include "jmixd/io/playback.h"

#include "jmixd/dsp/fields.h"
#include "jmixd/util/mring.h"
#include "jmixd/util/rt.h"
#include "jmixd/util/safefile.h"

#include <pthread.h>
#include <sndfile.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK 4096      /* frames read from every file at a time */
#define IDLE_NS 5000000L

/* Glossary: ch[s], c0[s] = strip s's channel count and first channel in a
 * ring frame; sf[s] = its file (NULL: silence); length = the take's
 * frames; out = the audio thread's buffers, channel c at c *
 * JM_PBACK_MAX_FRAMES; planar/rd/src = the disk thread's. */
struct jm_pback {
    jm_mring_t ring;
    uint32_t rate;
    const jm_log_t *log;
    int n, chans;
    int ch[JM_MAX_STRIPS], c0[JM_MAX_STRIPS];
    SNDFILE *sf[JM_MAX_STRIPS];
    uint64_t length;
    float *out;                   /* audio thread */
    float *planar, *rd;           /* disk thread */
    const float **src;            /* disk thread */

    atomic_bool playing, loop, quit, eof, filling;
    _Atomic uint64_t seek_to;     /* control -> disk/audio */
    atomic_uint req_gen;          /* control -> disk */
    atomic_uint flush_gen;        /* disk -> audio */
    atomic_uint flushed_gen;      /* audio -> disk */
    _Atomic uint64_t pos;         /* audio: the next frame to play */
    _Atomic uint64_t underruns;
    pthread_t thread;
    bool started;
};

/* ---- audio thread ---- */

/* Where each strip's channels of this read are (the out buffers); 1. */
static int out_bufs(const jm_pback_t *p, const float **buf)
{
    for (int s = 0; s < p->n; s++) {
        buf[2 * s] = p->out + (size_t)p->c0[s] * JM_PBACK_MAX_FRAMES;
        buf[2 * s + 1] = p->ch[s] == 2 ? buf[2 * s] + JM_PBACK_MAX_FRAMES : NULL;
    }
    return 1;
}

int jm_pback_read(jm_pback_t *p, uint32_t n, const float **buf)
{
    if (!p || n > JM_PBACK_MAX_FRAMES) return 0; /* a longer period than any buffer here: live */
    unsigned rg = atomic_load_explicit(&p->req_gen, memory_order_acquire);
    if (rg != atomic_load_explicit(&p->flushed_gen, memory_order_relaxed)) {
        /* a locate: nothing read ahead from before it may play. Empty the
         * ring every cycle until the disk thread has stopped writing (it
         * announces that with flush_gen), then take the new position. */
        jm_mring_discard(&p->ring);
        if (atomic_load_explicit(&p->flush_gen, memory_order_acquire) == rg) {
            atomic_store_explicit(&p->pos, atomic_load(&p->seek_to), memory_order_relaxed);
            atomic_store_explicit(&p->flushed_gen, rg, memory_order_release);
        }
        if (!atomic_load_explicit(&p->playing, memory_order_relaxed)) return 0;
        for (int c = 0; c < p->chans; c++)
            memset(p->out + (size_t)c * JM_PBACK_MAX_FRAMES, 0, n * sizeof(float));
        return out_bufs(p, buf);
    }
    if (!atomic_load_explicit(&p->playing, memory_order_relaxed)) return 0;
    const float *seg[2];
    size_t len[2], avail = jm_mring_peek(&p->ring, seg, len), took = 0;
    size_t want = avail < n ? avail : n;
    const size_t C = (size_t)p->chans;
    for (int s = 0; s < 2 && took < want; s++) {
        size_t k = len[s] < want - took ? len[s] : want - took;
        for (size_t c = 0; c < C; c++) {
            float *d = p->out + c * JM_PBACK_MAX_FRAMES + took;
            const float *x = seg[s] + c;
            for (size_t i = 0; i < k; i++) d[i] = x[i * C];
        }
        took += k;
    }
    jm_mring_release(&p->ring, took);
    if (took < n) {
        for (size_t c = 0; c < C; c++)
            memset(p->out + c * JM_PBACK_MAX_FRAMES + took, 0, (n - took) * sizeof(float));
        if (atomic_load_explicit(&p->eof, memory_order_acquire) && !jm_mring_used(&p->ring))
            atomic_store_explicit(&p->playing, false, memory_order_relaxed); /* the end */
        else if (!atomic_load_explicit(&p->filling, memory_order_relaxed))
            atomic_fetch_add_explicit(&p->underruns, n - took, memory_order_relaxed);
    }
    uint64_t pos = atomic_load_explicit(&p->pos, memory_order_relaxed) + took;
    if (p->length && pos >= p->length) pos %= p->length; /* looped */
    atomic_store_explicit(&p->pos, pos, memory_order_relaxed);
    return out_bufs(p, buf);
}

/* ---- disk thread ---- */

static void nap(long ns)
{
    struct timespec ts = {0, ns};
    nanosleep(&ts, NULL);
}

static void seek_all(jm_pback_t *p, uint64_t frame)
{
    for (int s = 0; s < p->n; s++)
        if (p->sf[s]) sf_seek(p->sf[s], (sf_count_t)frame, SEEK_SET);
}

/* k frames of every file at the current position into the ring. */
static void read_chunk(jm_pback_t *p, size_t k)
{
    for (int s = 0; s < p->n; s++) {
        const size_t ch = (size_t)p->ch[s];
        float *dst = p->planar + (size_t)p->c0[s] * CHUNK;
        sf_count_t got = p->sf[s] ? sf_readf_float(p->sf[s], p->rd, (sf_count_t)k) : 0;
        if (got < 0) got = 0;
        for (size_t c = 0; c < ch; c++)
            for (size_t i = 0; i < k; i++)
                dst[c * CHUNK + i] = (sf_count_t)i < got ? p->rd[i * ch + c] : 0.0f;
    }
    jm_mring_write(&p->ring, p->src, (uint32_t)k);
}

static void *disk_main(void *arg)
{
    jm_pback_t *p = arg;
    jm_rt_name_thread("jm-playback");
    unsigned seen = 0;
    uint64_t fpos = 0;
    const size_t cap = p->ring.mask + 1;
    while (!atomic_load(&p->quit)) {
        unsigned g = atomic_load_explicit(&p->req_gen, memory_order_acquire);
        if (g != seen) {
            atomic_store(&p->filling, true);
            atomic_store_explicit(&p->flush_gen, g, memory_order_release);
            /* the audio thread empties the ring; JACK may be away meanwhile */
            while (atomic_load_explicit(&p->flushed_gen, memory_order_acquire) != g &&
                   atomic_load(&p->req_gen) == g && !atomic_load(&p->quit))
                nap(1000000L);
            if (atomic_load(&p->req_gen) != g) continue; /* a newer locate */
            fpos = atomic_load(&p->seek_to);
            seek_all(p, fpos);
            atomic_store(&p->eof, false);
            seen = g;
            continue;
        }
        if (atomic_load(&p->eof) || cap - jm_mring_used(&p->ring) < CHUNK) {
            atomic_store(&p->filling, false);
            nap(IDLE_NS);
            continue;
        }
        size_t k = p->length - fpos < CHUNK ? (size_t)(p->length - fpos) : CHUNK;
        if (k == 0) { /* the end: around again, or done */
            if (atomic_load(&p->loop)) {
                seek_all(p, 0);
                fpos = 0;
            } else {
                atomic_store_explicit(&p->eof, true, memory_order_release);
            }
            continue;
        }
        read_chunk(p, k);
        fpos += k;
        atomic_store(&p->filling, false);
    }
    return NULL;
}

/* ---- owner / control thread ---- */

jm_pback_t *jm_pback_open(uint32_t rate, const char *folder, int n_strips,
                          const jm_mtrack_strip_t *strips, double ring_seconds,
                          const jm_log_t *log, int *missing, char *err, size_t errlen)
{
    if (rate < 8000 || rate > 768000 || n_strips < 1 || n_strips > JM_MAX_STRIPS || !strips ||
        !(ring_seconds >= 0.5 && ring_seconds <= 60.0)) {
        snprintf(err, errlen, "bad playback arguments");
        return NULL;
    }
    jm_pback_t *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->rate = rate;
    p->log = log;
    p->n = n_strips;
    int found = 0, gone = 0;
    for (int s = 0; s < n_strips; s++) {
        char name[JM_SAFE_NAME_MAX + 16], path[4400];
        p->ch[s] = strips[s].stereo ? 2 : 1;
        p->c0[s] = p->chans;
        p->chans += p->ch[s];
        jm_mtrack_file_name(name, sizeof name, s + 1, strips[s].name);
        snprintf(path, sizeof path, "%s/%s", folder, name);
        SF_INFO info = {0};
        SNDFILE *sf = sf_open(path, SFM_READ, &info);
        if (sf && (info.channels != p->ch[s] || info.samplerate != (int)rate)) {
            jm_log(log, JM_LOG_WARN, "playback: '%s' has %d channels at %d Hz, the strip %d at %u Hz: "
                   "it plays silence", name, info.channels, info.samplerate, p->ch[s], rate);
            sf_close(sf);
            sf = NULL;
        }
        if (!sf) {
            gone++;
            continue;
        }
        p->sf[s] = sf;
        if ((uint64_t)info.frames > p->length) p->length = (uint64_t)info.frames;
        found++;
    }
    if (missing) *missing = gone;
    if (!found) {
        snprintf(err, errlen, "no strip file of this console in the take");
        jm_pback_close(p);
        return NULL;
    }
    p->out = calloc((size_t)p->chans * JM_PBACK_MAX_FRAMES, sizeof *p->out);
    p->planar = calloc((size_t)p->chans * CHUNK, sizeof *p->planar);
    p->rd = malloc(CHUNK * 2 * sizeof *p->rd);
    p->src = calloc((size_t)p->chans, sizeof *p->src);
    if (!p->out || !p->planar || !p->rd || !p->src ||
        jm_mring_init(&p->ring, p->chans, (size_t)(rate * ring_seconds) + CHUNK)) {
        snprintf(err, errlen, "out of memory");
        jm_pback_close(p);
        return NULL;
    }
    for (int c = 0; c < p->chans; c++) p->src[c] = p->planar + (size_t)c * CHUNK;
    atomic_store(&p->filling, true);
    if (pthread_create(&p->thread, NULL, disk_main, p)) {
        snprintf(err, errlen, "cannot start the playback thread");
        jm_pback_close(p);
        return NULL;
    }
    p->started = true;
    return p;
}

void jm_pback_close(jm_pback_t *p)
{
    if (!p) return;
    if (p->started) {
        atomic_store(&p->quit, true);
        pthread_join(p->thread, NULL);
    }
    for (int s = 0; s < p->n; s++)
        if (p->sf[s]) sf_close(p->sf[s]);
    if (p->ring.buf) jm_mring_free(&p->ring);
    free(p->out);
    free(p->planar);
    free(p->rd);
    free(p->src);
    free(p);
}

void jm_pback_play(jm_pback_t *p, int on) { atomic_store(&p->playing, on != 0); }

void jm_pback_loop(jm_pback_t *p, int on) { atomic_store(&p->loop, on != 0); }

void jm_pback_locate(jm_pback_t *p, uint64_t frame)
{
    atomic_store(&p->seek_to, frame < p->length ? frame : p->length);
    atomic_fetch_add_explicit(&p->req_gen, 1, memory_order_release);
}

void jm_pback_status(jm_pback_t *p, int *playing, uint64_t *position, uint64_t *length,
                     uint64_t *underruns)
{
    if (playing) *playing = atomic_load(&p->playing);
    if (position) *position = atomic_load(&p->pos);
    if (length) *length = p->length;
    if (underruns) *underruns = atomic_load(&p->underruns);
}
