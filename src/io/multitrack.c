/* Multitrack recorder: audio thread -> one SPSC ring of interleaved frames
 * of every channel -> disk thread -> one libsndfile file per strip and the
 * master. See include/jmixd/io/multitrack.h.
 *
 * Stop handshake as the master recorder's (src/io/recorder.c): the audio
 * thread sets `busy` before it looks at `armed` and clears it after its
 * last ring write; stop() clears `armed`, then waits for busy == 0, so the
 * disk thread's final drain really is final. */
#include "jmixd/io/multitrack.h"

#include "jmixd/dsp/fields.h"
#include "jmixd/util/mring.h"
#include "jmixd/util/rt.h"
#include "jmixd/util/safefile.h"

#include <errno.h>
#include <pthread.h>
#include <sndfile.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TICK_MS 10          /* disk thread poll period */
#define BUSY_WAIT_MS 200    /* a dead JACK thread never clears busy */
#define HEADER_S 1          /* headers rewritten this often */
#define FREE_CHECK_S 1      /* free space looked at this often */
#define CHUNK 2048          /* frames de-interleaved at a time */
#define MAX_SUFFIX 999
#define FILE_MODE 0640
#define DIR_MODE 0750
#define NAME_LEN (JM_SAFE_NAME_MAX + 16)

/* Glossary: n = files (strips, then the master); ch[f] and c0[f] = a
 * file's channel count and its first channel in a ring frame; name[f] =
 * its file name; src = the audio thread's channel pointers, filled per
 * block; sf/fd = the open files (disk thread while a take runs). */
struct jm_mtrack {
    jm_mring_t ring;
    uint32_t rate;
    const jm_log_t *log;
    int n, chans;
    int ch[JM_MAX_STRIPS + 1], c0[JM_MAX_STRIPS + 1];
    char name[JM_MAX_STRIPS + 1][NAME_LEN];
    const float **src;            /* audio thread */
    float *scratch;               /* disk thread: CHUNK x 2 */

    atomic_bool armed;            /* control -> audio */
    atomic_bool busy;             /* audio thread inside write() */
    _Atomic uint64_t accepted;    /* frames queued this take */
    _Atomic uint64_t dropped;     /* frames lost to a full ring this take */

    pthread_t thread;
    bool started;
    pthread_mutex_t mu;           /* control <-> disk; never the audio thread */
    pthread_cond_t cv;
    bool running, stop_req, stopped, quit; /* under mu */
    SNDFILE *sf[JM_MAX_STRIPS + 1];
    int fd[JM_MAX_STRIPS + 1];
    bool write_err;               /* disk thread, read by stop after the drain */
    long long min_free;           /* set before a take starts: bytes its disk must keep */
    atomic_bool low_disk;         /* disk thread -> control: stopped writing, too little room */
    _Atomic long long free_seen;  /* disk thread: free bytes when it stopped */

    bool recording;               /* control thread */
    char folder[4096];            /* control thread */
};

/* ---- audio thread ---- */

void jm_mtrack_write(jm_mtrack_t *m, const float *const *in, const float *master_l,
                     const float *master_r, uint32_t n)
{
    if (!m) return;
    atomic_store(&m->busy, true);
    if (atomic_load(&m->armed)) {
        int c = 0;
        for (int f = 0; f + 1 < m->n; f++) {
            m->src[c++] = in[2 * f];
            if (m->ch[f] == 2) m->src[c++] = in[2 * f + 1];
        }
        m->src[c++] = master_l;
        m->src[c] = master_r;
        if (jm_mring_write(&m->ring, m->src, n) == n)
            atomic_fetch_add_explicit(&m->accepted, n, memory_order_relaxed);
        else
            atomic_fetch_add_explicit(&m->dropped, n, memory_order_relaxed);
    }
    atomic_store(&m->busy, false);
}

/* ---- disk thread ---- */

/* frames interleaved frames of every channel into every file. */
static void write_frames(jm_mtrack_t *m, const float *x, size_t frames)
{
    const size_t C = (size_t)m->chans;
    for (size_t o = 0; o < frames; o += CHUNK) {
        size_t k = frames - o < CHUNK ? frames - o : CHUNK;
        const float *base = x + o * C;
        for (int f = 0; f < m->n && !m->write_err; f++) {
            const size_t ch = (size_t)m->ch[f], c0 = (size_t)m->c0[f];
            for (size_t i = 0; i < k; i++)
                for (size_t c = 0; c < ch; c++) m->scratch[i * ch + c] = base[i * C + c0 + c];
            if (sf_writef_float(m->sf[f], m->scratch, (sf_count_t)k) != (sf_count_t)k) {
                m->write_err = true;
                jm_log(m->log, JM_LOG_ERROR, "multitrack: write failed on '%s' (%s); the rest is discarded",
                       m->name[f], sf_strerror(m->sf[f]));
            }
        }
    }
}

static size_t drain(jm_mtrack_t *m)
{
    const float *seg[2];
    size_t len[2], frames = jm_mring_peek(&m->ring, seg, len);
    for (int i = 0; i < 2; i++)
        if (len[i] && !m->write_err) write_frames(m, seg[i], len[i]);
    jm_mring_release(&m->ring, frames);
    return frames;
}

static void headers(jm_mtrack_t *m)
{
    for (int f = 0; f < m->n; f++) sf_command(m->sf[f], SFC_UPDATE_HEADER_NOW, NULL, 0);
}

static void close_all(jm_mtrack_t *m)
{
    for (int f = 0; f < m->n; f++) {
        if (m->sf[f] && sf_close(m->sf[f])) m->write_err = true;
        if (m->fd[f] >= 0 && close(m->fd[f]) < 0) m->write_err = true;
        m->sf[f] = NULL, m->fd[f] = -1;
    }
}

/* Below the floor: stop writing (the ring is still drained, into nothing)
 * and let the control thread end the take (jm_mtrack_poll). */
static void check_free(jm_mtrack_t *m, time_t now, time_t *next)
{
    if (m->min_free <= 0 || atomic_load(&m->low_disk) || now < *next) return;
    *next = now + FREE_CHECK_S;
    long long avail = jm_safe_free_bytes(m->fd[m->n - 1]);
    if (avail >= 0 && avail < m->min_free) {
        atomic_store(&m->free_seen, avail);
        atomic_store(&m->low_disk, true);
        jm_log(m->log, JM_LOG_ERROR, "multitrack: %lld MB free, under the %lld MB floor; take stopped",
               avail >> 20, m->min_free >> 20);
    }
}

static void *disk_main(void *arg)
{
    jm_mtrack_t *m = arg;
    jm_rt_name_thread("jm-multitrack");
    time_t next_header = 0, next_free = 0;
    uint64_t logged = 0;
    pthread_mutex_lock(&m->mu);
    while (!m->quit) {
        if (!m->running) {
            pthread_cond_wait(&m->cv, &m->mu);
            continue;
        }
        bool stop = m->stop_req;
        pthread_mutex_unlock(&m->mu);
        time_t now = time(NULL);
        check_free(m, now, &next_free);
        if (atomic_load(&m->low_disk)) jm_mring_discard(&m->ring); /* no more on this disk */
        else drain(m);
        if (now >= next_header) headers(m), next_header = now + HEADER_S;
        uint64_t d = atomic_load_explicit(&m->dropped, memory_order_relaxed);
        if (d != logged) {
            jm_log(m->log, JM_LOG_WARN, "multitrack: %llu frames dropped (disk ring full)",
                   (unsigned long long)(d - logged));
            logged = d;
        }
        if (stop) { /* the audio thread is disarmed: this ends */
            if (atomic_load(&m->low_disk)) jm_mring_discard(&m->ring);
            else while (drain(m)) {}
            close_all(m);
            logged = 0, next_header = 0, next_free = 0;
        }
        pthread_mutex_lock(&m->mu);
        if (stop) {
            m->running = m->stop_req = false;
            m->stopped = true;
            pthread_cond_broadcast(&m->cv);
        } else if (!m->stop_req && jm_mring_used(&m->ring) < m->rate / 50) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_nsec += TICK_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
            pthread_cond_timedwait(&m->cv, &m->mu, &ts);
        }
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

/* ---- owner ---- */

void jm_mtrack_file_name(char *out, size_t len, int number, const char *name)
{
    char why[96];
    snprintf(out, len, "%02d %.*s.wav", number, JM_SAFE_NAME_MAX - 10, name ? name : "");
    if (!name || !*name || jm_safe_name_check(out, JM_SAFE_NAME_MAX, why, sizeof why))
        snprintf(out, len, "%02d.wav", number);
}

jm_mtrack_t *jm_mtrack_create(uint32_t rate, int n_strips, const jm_mtrack_strip_t *strips,
                              double ring_seconds, const jm_log_t *log)
{
    if (rate < 8000 || rate > 768000 || n_strips < 0 || n_strips > JM_MAX_STRIPS ||
        (n_strips && !strips) || !(ring_seconds >= 0.5 && ring_seconds <= 60.0))
        return NULL;
    jm_mtrack_t *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->rate = rate;
    m->log = log;
    m->n = n_strips + 1;
    for (int f = 0; f < m->n; f++) {
        m->fd[f] = -1;
        m->ch[f] = f < n_strips ? (strips[f].stereo ? 2 : 1) : 2;
        m->c0[f] = m->chans;
        m->chans += m->ch[f];
        if (f < n_strips) jm_mtrack_file_name(m->name[f], NAME_LEN, f + 1, strips[f].name);
        else snprintf(m->name[f], NAME_LEN, "master.wav");
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv, &ca);
    pthread_condattr_destroy(&ca);
    m->src = calloc((size_t)m->chans, sizeof *m->src);
    m->scratch = malloc(CHUNK * 2 * sizeof *m->scratch);
    if (!m->src || !m->scratch || jm_mring_init(&m->ring, m->chans, (size_t)(rate * ring_seconds)))
        goto fail;
    if (pthread_create(&m->thread, NULL, disk_main, m)) goto fail;
    m->started = true;
    return m;
fail:
    jm_mtrack_destroy(m);
    return NULL;
}

void jm_mtrack_destroy(jm_mtrack_t *m)
{
    if (!m) return;
    if (m->recording) jm_mtrack_stop(m);
    if (m->started) {
        pthread_mutex_lock(&m->mu);
        m->quit = true;
        pthread_cond_broadcast(&m->cv);
        pthread_mutex_unlock(&m->mu);
        pthread_join(m->thread, NULL);
    }
    jm_mring_free(&m->ring);
    pthread_cond_destroy(&m->cv);
    pthread_mutex_destroy(&m->mu);
    free(m->src);
    free(m->scratch);
    free(m);
}

/* ---- control thread ---- */

/* dir/take, or take-2 ... when taken: created exclusively (mkdir never
 * follows a link in its last component). The name used goes to out. */
static int make_take_dir(const char *dir, const char *take, char *out, size_t outlen)
{
    char path[4096];
    for (int k = 1; k <= MAX_SUFFIX; k++) {
        if (k == 1) snprintf(out, outlen, "%s", take);
        else snprintf(out, outlen, "%s-%d", take, k);
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, out) >= sizeof path) {
            errno = ENAMETOOLONG;
            return -1;
        }
        if (mkdir(path, DIR_MODE) == 0) return 0;
        if (errno != EEXIST) return -1;
    }
    errno = EEXIST;
    return -1;
}

/* Undo a start that failed half-way: close and remove what was made. */
static void discard_take(jm_mtrack_t *m, int made)
{
    for (int f = 0; f < made; f++) {
        if (m->sf[f]) sf_close(m->sf[f]);
        if (m->fd[f] >= 0) close(m->fd[f]);
        m->sf[f] = NULL, m->fd[f] = -1;
        jm_safe_unlink(m->folder, m->name[f]);
    }
    rmdir(m->folder);
}

int jm_mtrack_start(jm_mtrack_t *m, const char *dir, const char *take, long long min_free,
                    char *err, size_t errlen)
{
    char dated[64], used[JM_SAFE_NAME_MAX + 8], why[128];
    if (m->recording) {
        snprintf(err, errlen, "already recording a take in '%s'", m->folder);
        return -1;
    }
    if (!take || !take[0]) {
        time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(dated, sizeof dated, "take-%Y%m%d-%H%M%S", &tm);
        take = dated;
    }
    if (jm_safe_name_check(take, JM_SAFE_NAME_MAX, why, sizeof why)) {
        snprintf(err, errlen, "bad take name: %s", why);
        return -1;
    }
    if (!dir || !*dir || strlen(dir) + sizeof used + 1 >= sizeof m->folder) {
        snprintf(err, errlen, "no recordings folder");
        return -1;
    }
    if (jm_safe_mkdirs(dir, DIR_MODE)) {
        snprintf(err, errlen, "cannot create the recordings folder: %s", strerror(errno));
        return -1;
    }
    if (make_take_dir(dir, take, used, sizeof used)) {
        snprintf(err, errlen, "cannot create the take folder '%s': %s", take, strerror(errno));
        return -1;
    }
    snprintf(m->folder, sizeof m->folder, "%s/%s", dir, used);
    for (int f = 0; f < m->n; f++) {
        int fd = jm_safe_create(m->folder, m->name[f], FILE_MODE);
        SF_INFO info = {.samplerate = (int)m->rate, .channels = m->ch[f],
                        .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
        SNDFILE *sf = fd >= 0 ? sf_open_fd(fd, SFM_WRITE, &info, SF_FALSE) : NULL;
        if (!sf) {
            snprintf(err, errlen, "cannot create '%s': %s", m->name[f],
                     fd < 0 ? strerror(errno) : sf_strerror(NULL));
            if (fd >= 0) {
                close(fd);
                jm_safe_unlink(m->folder, m->name[f]);
            }
            discard_take(m, f);
            return -1;
        }
        sf_command(sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE); /* plain header */
        sf_command(sf, SFC_UPDATE_HEADER_NOW, NULL, 0);
        m->sf[f] = sf, m->fd[f] = fd;
    }
    /* the audio thread is disarmed and the disk thread idle: this thread
     * stands in for the consumer */
    jm_mring_discard(&m->ring);
    atomic_store(&m->accepted, 0);
    atomic_store(&m->dropped, 0);
    atomic_store(&m->low_disk, false);
    m->write_err = false;
    m->min_free = min_free;
    pthread_mutex_lock(&m->mu);
    m->running = true;
    m->stopped = false;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    m->recording = true;
    atomic_store(&m->armed, true);
    jm_log(m->log, JM_LOG_INFO, "multitrack: take started in '%s' (%d files)", m->folder, m->n);
    return 0;
}

int jm_mtrack_poll(jm_mtrack_t *m, char *why, size_t whylen)
{
    if (!m || !m->recording || !atomic_load(&m->low_disk)) return 0;
    snprintf(why, whylen, "take stopped: %lld MB free on its disk, under the %lld MB floor",
             atomic_load(&m->free_seen) >> 20, m->min_free >> 20);
    return 1;
}

int jm_mtrack_stop(jm_mtrack_t *m)
{
    if (!m || !m->recording) return -1;
    atomic_store(&m->armed, false);
    for (int t = 0; t < BUSY_WAIT_MS && atomic_load(&m->busy); t++) {
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
    pthread_mutex_lock(&m->mu);
    m->stop_req = true;
    pthread_cond_broadcast(&m->cv);
    while (!m->stopped) pthread_cond_wait(&m->cv, &m->mu);
    pthread_mutex_unlock(&m->mu);
    m->recording = false;
    uint64_t frames = atomic_load(&m->accepted);
    jm_log(m->log, JM_LOG_INFO, "multitrack: take '%s' stopped, %.1f s, %llu frames dropped",
           m->folder, (double)frames / m->rate, (unsigned long long)atomic_load(&m->dropped));
    return m->write_err ? -1 : 0;
}

void jm_mtrack_status(jm_mtrack_t *m, int *recording, char *folder, size_t len, double *seconds,
                      uint64_t *dropped)
{
    if (recording) *recording = m->recording;
    if (folder && len) snprintf(folder, len, "%s", m->folder);
    if (seconds) *seconds = (double)atomic_load(&m->accepted) / m->rate;
    if (dropped) *dropped = atomic_load(&m->dropped);
}
