/* Recorder: audio thread -> SPSC ring -> disk thread -> libsndfile. See
 * include/jmixd/io/recorder.h.
 *
 * Stop handshake: the audio thread sets `busy` before it looks at `armed`
 * and clears it after its last ring write (both sequentially consistent).
 * stop() clears `armed` and then waits for busy == 0, so once it returns no
 * write can land in the ring any more and the disk thread's final drain
 * really is final. */
#include "jmixd/io/recorder.h"

#include "jmixd/util/ring.h"
#include "jmixd/util/safefile.h"
#include "jmixd/util/rt.h"

#include <errno.h>
#include <pthread.h>
#include <sndfile.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define RING_SECONDS 4
#define TICK_MS 10          /* disk thread poll period */
#define BUSY_WAIT_MS 200    /* a dead JACK thread never clears busy */
#define FREE_CHECK_S 1      /* disk thread: free space looked at every second */
#define MAX_SUFFIX 999      /* take.wav, take-2.wav ... take-999.wav */
#define FILE_MODE 0640
#define DIR_MODE 0750

struct jm_recorder {
    jm_ring_t ring;
    uint32_t rate;
    const jm_log_t *log;
    atomic_bool armed;            /* control -> audio */
    atomic_bool busy;             /* audio thread inside write() */
    _Atomic uint64_t accepted;    /* frames queued this recording */
    _Atomic uint64_t dropped;     /* frames lost to a full ring this recording */

    pthread_t thread;
    bool started;
    pthread_mutex_t mu;           /* control <-> disk; never the audio thread */
    pthread_cond_t cv;
    SNDFILE *sf;                  /* under mu: the file being written */
    bool stop_req, stopped, quit;
    bool write_err;               /* disk thread: a write failed */
    int fd;                       /* under mu: the file's descriptor (ours, not libsndfile's) */
    long long min_free;           /* under mu: bytes the file system must keep free */
    atomic_bool low_disk;         /* disk thread -> control: stopped writing, too little room */
    long long free_seen;          /* disk thread: free bytes when it stopped */

    bool recording;               /* control thread */
    char path[4096];              /* control thread */
};

/* ---- audio thread ---- */

void jm_recorder_write(jm_recorder_t *rec, const float *l, const float *r, uint32_t n)
{
    if (!rec) return;
    atomic_store(&rec->busy, true);
    if (atomic_load(&rec->armed)) {
        uint32_t done = jm_ring_write(&rec->ring, l, r, n);
        atomic_fetch_add_explicit(&rec->accepted, done, memory_order_relaxed);
        if (done < n) atomic_fetch_add_explicit(&rec->dropped, n - done, memory_order_relaxed);
    }
    atomic_store(&rec->busy, false);
}

/* ---- disk thread ---- */

/* Write what the ring holds; returns frames taken from it. */
static size_t drain(jm_recorder_t *rec, SNDFILE *sf)
{
    const float *seg[2];
    size_t len[2], frames = jm_ring_peek(&rec->ring, seg, len);
    for (int i = 0; i < 2; i++) {
        sf_count_t f = (sf_count_t)len[i];
        if (f && !rec->write_err && sf_writef_float(sf, seg[i], f) != f) {
            rec->write_err = true;
            jm_log(rec->log, JM_LOG_ERROR, "record: write failed (%s); the rest is discarded",
                   sf_strerror(sf));
        }
    }
    jm_ring_release(&rec->ring, frames);
    return frames;
}

static void log_drops(jm_recorder_t *rec, uint64_t *logged, time_t *last, bool force)
{
    uint64_t d = atomic_load_explicit(&rec->dropped, memory_order_relaxed);
    time_t now = time(NULL);
    if (d > *logged && (force || now != *last)) { /* at most one line a second */
        jm_log(rec->log, JM_LOG_WARN, "record: %llu frames dropped (disk ring full)",
               (unsigned long long)(d - *logged));
        *logged = d;
        *last = now;
    }
}

/* Below the floor: stop writing (the ring is still drained, into nothing)
 * and let the control thread end the recording (jm_recorder_poll). */
static void check_free(jm_recorder_t *rec, int fd, long long min_free, time_t *next)
{
    time_t now = time(NULL);
    if (min_free <= 0 || atomic_load(&rec->low_disk) || now < *next) return;
    *next = now + FREE_CHECK_S;
    long long avail = jm_safe_free_bytes(fd);
    if (avail >= 0 && avail < min_free) {
        rec->free_seen = avail;
        atomic_store(&rec->low_disk, true);
        jm_log(rec->log, JM_LOG_ERROR,
               "record: %lld MB free, under the %lld MB floor; recording stopped", avail >> 20,
               min_free >> 20);
    }
}

static void *disk_main(void *arg)
{
    jm_recorder_t *rec = arg;
    jm_rt_name_thread("jm-disk");
    uint64_t logged = 0;
    time_t last = 0, next_check = 0;
    pthread_mutex_lock(&rec->mu);
    while (!rec->quit) {
        SNDFILE *sf = rec->sf;
        if (!sf) {
            logged = 0;
            next_check = 0;
            pthread_cond_wait(&rec->cv, &rec->mu);
            continue;
        }
        bool stop = rec->stop_req;
        int fd = rec->fd;
        long long min_free = rec->min_free;
        pthread_mutex_unlock(&rec->mu);
        check_free(rec, fd, min_free, &next_check);
        if (atomic_load(&rec->low_disk) && !stop)
            jm_ring_release(&rec->ring, jm_ring_used(&rec->ring)); /* no more on this disk */
        else
            drain(rec, sf);
        if (stop) {
            /* the audio thread is disarmed: this ends */
            if (atomic_load(&rec->low_disk)) jm_ring_discard(&rec->ring);
            else while (drain(rec, sf)) {}
            log_drops(rec, &logged, &last, true);
            if (sf_close(sf)) rec->write_err = true;
            if (close(fd) < 0) rec->write_err = true;
        } else {
            log_drops(rec, &logged, &last, false);
        }
        pthread_mutex_lock(&rec->mu);
        if (stop) {
            rec->sf = NULL;
            rec->fd = -1;
            rec->stop_req = false;
            rec->stopped = true;
            pthread_cond_broadcast(&rec->cv);
        } else if (!rec->stop_req &&
                   jm_ring_used(&rec->ring) < rec->rate / 50) {
            /* less than 20 ms came in: sleep a tick (stop wakes us early) */
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_nsec += TICK_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
            pthread_cond_timedwait(&rec->cv, &rec->mu, &ts);
        }
    }
    pthread_mutex_unlock(&rec->mu);
    return NULL;
}

/* ---- owner ---- */

jm_recorder_t *jm_recorder_create(uint32_t rate, const jm_log_t *log)
{
    if (rate < 8000 || rate > 768000) return NULL;
    jm_recorder_t *rec = calloc(1, sizeof *rec);
    if (!rec) return NULL;
    rec->rate = rate;
    rec->log = log;
    rec->fd = -1;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&rec->mu, NULL);
    pthread_cond_init(&rec->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (jm_ring_init(&rec->ring, (size_t)rate * RING_SECONDS)) goto fail;
    if (pthread_create(&rec->thread, NULL, disk_main, rec)) goto fail;
    rec->started = true;
    return rec;
fail:
    jm_recorder_destroy(rec);
    return NULL;
}

void jm_recorder_destroy(jm_recorder_t *rec)
{
    if (!rec) return;
    if (rec->recording) jm_recorder_stop(rec);
    if (rec->started) {
        pthread_mutex_lock(&rec->mu);
        rec->quit = true;
        pthread_cond_broadcast(&rec->cv);
        pthread_mutex_unlock(&rec->mu);
        pthread_join(rec->thread, NULL);
    }
    jm_ring_free(&rec->ring);
    pthread_cond_destroy(&rec->cv);
    pthread_mutex_destroy(&rec->mu);
    free(rec);
}

/* ---- control thread ---- */

static int format_for(const char *name, int *fmt)
{
    const char *dot = strrchr(name, '.');
    if (!dot) return -1;
    if (!strcasecmp(dot, ".wav")) *fmt = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    else if (!strcasecmp(dot, ".aiff") || !strcasecmp(dot, ".aif"))
        *fmt = SF_FORMAT_AIFF | SF_FORMAT_FLOAT;
    else if (!strcasecmp(dot, ".flac")) *fmt = SF_FORMAT_FLAC | SF_FORMAT_PCM_24;
    else return -1;
    return 0;
}

/* Create dir/name exclusively, or name-2.ext, name-3.ext ... when taken;
 * the name used goes to out. fd, or -1 with errno. */
static int create_unique(const char *dir, const char *name, char *out, size_t outlen)
{
    const char *dot = strrchr(name, '.');
    int stem = (int)(dot - name);
    for (int k = 1; k <= MAX_SUFFIX; k++) {
        if (k == 1) snprintf(out, outlen, "%s", name);
        else snprintf(out, outlen, "%.*s-%d%s", stem, name, k, dot);
        int fd = jm_safe_create(dir, out, FILE_MODE);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    errno = EEXIST;
    return -1;
}

int jm_recorder_start(jm_recorder_t *rec, const char *dir, const char *name,
                      long long min_free, char *err, size_t errlen)
{
    char dated[64], used[JM_SAFE_NAME_MAX + 16], why[128];
    int fmt;
    if (rec->recording) {
        snprintf(err, errlen, "already recording to '%s'", rec->path);
        return -1;
    }
    if (!name || !name[0]) { /* jmixd-YYYYmmdd-HHMMSS.wav */
        time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(dated, sizeof dated, "jmixd-%Y%m%d-%H%M%S.wav", &tm);
        name = dated;
    }
    if (jm_safe_name_check(name, JM_SAFE_NAME_MAX, why, sizeof why)) {
        snprintf(err, errlen, "bad file name: %s", why);
        return -1;
    }
    if (format_for(name, &fmt)) {
        const char *dot = strrchr(name, '.');
        snprintf(err, errlen, "unsupported file extension '%s' (use .wav, .aiff, .aif or .flac)",
                 dot ? dot : "");
        return -1;
    }
    if (!dir || !*dir || strlen(dir) + sizeof used + 1 >= sizeof rec->path) {
        snprintf(err, errlen, "no recordings folder");
        return -1;
    }
    if (jm_safe_mkdirs(dir, DIR_MODE)) {
        snprintf(err, errlen, "cannot create the recordings folder: %s", strerror(errno));
        return -1;
    }
    int fd = create_unique(dir, name, used, sizeof used);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create '%s': %s", name, strerror(errno));
        return -1;
    }
    SF_INFO info = {.samplerate = (int)rec->rate, .channels = 2, .format = fmt};
    SNDFILE *sf = sf_open_fd(fd, SFM_WRITE, &info, SF_FALSE); /* the fd stays ours */
    if (!sf) {
        snprintf(err, errlen, "cannot create '%s': %s", used, sf_strerror(NULL));
        close(fd);
        jm_safe_unlink(dir, used);
        return -1;
    }
    if ((fmt & SF_FORMAT_SUBMASK) == SF_FORMAT_FLOAT) {
        sf_command(sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE); /* plain header */
        /* header rewritten after every write: valid on disk at any moment */
        sf_command(sf, SFC_SET_UPDATE_HEADER_AUTO, NULL, SF_TRUE);
        sf_command(sf, SFC_UPDATE_HEADER_NOW, NULL, 0);
    } else {
        sf_command(sf, SFC_SET_CLIPPING, NULL, SF_TRUE); /* no wrap-around past full scale */
    }
    snprintf(rec->path, sizeof rec->path, "%s/%s", dir, used);
    /* forget anything a late write left after the last stop: the audio
     * thread is disarmed and the disk thread idle (it takes mu first), so
     * this thread stands in for the consumer */
    jm_ring_discard(&rec->ring);
    atomic_store(&rec->accepted, 0);
    atomic_store(&rec->dropped, 0);
    atomic_store(&rec->low_disk, false);
    rec->write_err = false;
    pthread_mutex_lock(&rec->mu);
    rec->sf = sf;
    rec->fd = fd;
    rec->min_free = min_free;
    rec->stopped = false;
    pthread_cond_broadcast(&rec->cv);
    pthread_mutex_unlock(&rec->mu);
    rec->recording = true;
    atomic_store(&rec->armed, true);
    jm_log(rec->log, JM_LOG_INFO, "record: started '%s'", rec->path);
    return 0;
}

int jm_recorder_poll(jm_recorder_t *rec, char *why, size_t whylen)
{
    if (!rec || !rec->recording || !atomic_load(&rec->low_disk)) return 0;
    pthread_mutex_lock(&rec->mu);
    long long avail = rec->free_seen, floor = rec->min_free;
    pthread_mutex_unlock(&rec->mu);
    snprintf(why, whylen, "recording stopped: %lld MB free on its disk, under the %lld MB floor",
             avail >> 20, floor >> 20);
    return 1;
}

int jm_recorder_stop(jm_recorder_t *rec)
{
    if (!rec->recording) return -1;
    atomic_store(&rec->armed, false);
    for (int ms = 0; atomic_load(&rec->busy) && ms < BUSY_WAIT_MS; ms++) {
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
    pthread_mutex_lock(&rec->mu);
    rec->stop_req = true;
    pthread_cond_broadcast(&rec->cv);
    while (!rec->stopped) pthread_cond_wait(&rec->cv, &rec->mu);
    bool failed = rec->write_err;
    pthread_mutex_unlock(&rec->mu);
    rec->recording = false;
    uint64_t frames = atomic_load(&rec->accepted), dropped = atomic_load(&rec->dropped);
    jm_log(rec->log, failed ? JM_LOG_ERROR : JM_LOG_INFO,
           "record: %s '%s' (%.3f s, %llu frames dropped)", failed ? "FAILED" : "stopped",
           rec->path, (double)frames / rec->rate, (unsigned long long)dropped);
    return failed ? -1 : 0;
}

void jm_recorder_status(jm_recorder_t *rec, int *recording, char *path, size_t pathlen,
                        double *seconds, uint64_t *dropped)
{
    if (recording) *recording = rec->recording;
    if (path && pathlen) snprintf(path, pathlen, "%s", rec->path);
    if (seconds) *seconds = (double)atomic_load(&rec->accepted) / rec->rate;
    if (dropped) *dropped = atomic_load(&rec->dropped);
}
