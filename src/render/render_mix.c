/* Render source: the session's mixer over stem files, one --block cycle at
 * a time from frame 0, then the tail until 1 s below -90 dBFS. Stems are
 * read in chunks of whole blocks (one read per stem per chunk, not per
 * cycle) and fed to jm_mixer_process exactly as the JACK process callback
 * feeds it port buffers.
 *
 * As the daemon before its transport rolls, the mixer first runs the
 * pre-roll on silence with the transport stopped (see render.h); then every
 * cycle tells the mixer the transport frame of its first sample (frame 0 =
 * the stems' first frame), so the session's automation lanes play through
 * the daemon's own lane player (jm_autoplay in the mixer). */
#include "render_int.h"

#include "jmixd/control/automation.h"
#include "jmixd/engine/mixer.h"
#include "jmixd/session/session.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CHUNK_FRAMES 8192u

typedef struct {
    SNDFILE *sf;
    int channels;        /* of the file */
    int strip;
    float *buf[2];       /* chunk, deinterleaved; buf[1] == buf[0] for mono */
    int eof;
    char path[PATH_MAX];
} stem_t;

struct jm_rmix {
    jm_session_t s;
    int session_loaded;
    jm_mixer_t *mixer;
    uint32_t rate, block, chunk, pos;  /* pos: next frame in the chunk */
    int n_stems;
    stem_t stems[JM_MAX_STRIPS];
    float *zero;                 /* chunk of silence for strips without a file */
    float *inter;                /* chunk of interleaved file frames */
    float *out_l, *out_r;        /* one block */
    const float *ins[2 * JM_MAX_STRIPS];
    jm_rtlanes_t *lanes;         /* what the mixer plays; freed after the mixer */
    int n_lanes;
    uint64_t preroll;            /* frames run on silence before frame 0 */
    uint64_t frame;              /* transport frame of the next cycle */
    uint64_t stem_frames, done, quiet_run, tail_max;
    float thresh;
    int finished, capped;
};

/* "kick" or "2" -> strip index, -1 if none. */
static int strip_index(const jm_session_t *s, const char *name)
{
    char *end;
    long v = strtol(name, &end, 10);
    if (isdigit((unsigned char)*name) && !*end) return v >= 1 && v <= s->n_strips ? (int)v - 1 : -1;
    for (int i = 0; i < s->n_strips; i++)
        if (!strcmp(s->strips[i].name, name)) return i;
    return -1;
}

/* file = is relative to the session file's folder. */
static void session_relative(char *out, size_t len, const char *session, const char *file)
{
    const char *slash = strrchr(session, '/');
    if (file[0] == '/' || !slash) snprintf(out, len, "%s", file);
    else snprintf(out, len, "%.*s/%s", (int)(slash - session), session, file);
}

/* Which file feeds each strip: session first, --stem overrides. */
static int pick_files(jm_rmix_t *m, const jm_render_opts_t *o, char (*files)[PATH_MAX],
                      char *err, size_t errlen)
{
    for (int i = 0; i < m->s.n_strips; i++)
        if (m->s.strips[i].file[0])
            session_relative(files[i], PATH_MAX, o->session, m->s.strips[i].file);
    for (int k = 0; k < o->n_stems; k++) {
        int i = strip_index(&m->s, o->stems[k].name);
        if (i < 0) {
            snprintf(err, errlen, "--stem %s=%s: no strip '%s' in %s", o->stems[k].name,
                     o->stems[k].file, o->stems[k].name, o->session);
            return -1;
        }
        snprintf(files[i], PATH_MAX, "%s", o->stems[k].file);
    }
    return 0;
}

static int open_stem(jm_rmix_t *m, int strip, const char *path, char *err, size_t errlen)
{
    const jm_strip_cfg_t *sc = &m->s.strips[strip];
    stem_t *st = &m->stems[m->n_stems];
    SF_INFO info = {0};
    errno = 0;
    st->sf = sf_open(path, SFM_READ, &info);
    if (!st->sf) {
        snprintf(err, errlen, "cannot read stem '%s' (strip '%s'): %s", path, sc->name,
                 errno ? strerror(errno) : sf_strerror(NULL));
        return -1;
    }
    m->n_stems++;
    snprintf(st->path, sizeof st->path, "%s", path);
    st->strip = strip;
    st->channels = info.channels;
    if (info.channels > 2 || (sc->channels == 1 && info.channels != 1)) {
        snprintf(err, errlen, "stem '%s' has %d channels but strip '%s' is %s", path,
                 info.channels, sc->name, sc->channels == 1 ? "mono (give it a mono file)"
                                                            : "stereo (give it 1 or 2 channels)");
        return -1;
    }
    if (m->rate && (uint32_t)info.samplerate != m->rate) {
        snprintf(err, errlen, "stem '%s' is %d Hz but '%s' is %u Hz: all stems must share one "
                 "sample rate", path, info.samplerate, m->stems[0].path, m->rate);
        return -1;
    }
    if (info.samplerate < 8000 || info.samplerate > 192000) {
        snprintf(err, errlen, "stem '%s': sample rate %d Hz is outside 8000..192000", path,
                 info.samplerate);
        return -1;
    }
    m->rate = (uint32_t)info.samplerate;
    if ((uint64_t)info.frames > m->stem_frames) m->stem_frames = (uint64_t)info.frames;
    st->buf[0] = calloc(m->chunk, sizeof(float));
    st->buf[1] = info.channels == 2 ? calloc(m->chunk, sizeof(float)) : st->buf[0];
    if (!st->buf[0] || !st->buf[1]) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    m->ins[2 * strip] = st->buf[0];
    if (sc->channels == 2) m->ins[2 * strip + 1] = st->buf[1]; /* mono file: both sides */
    return 0;
}

static int make_mixer(jm_rmix_t *m, char *err, size_t errlen)
{
    /* aux buses are mixed (their sends cost what they cost live) but only
     * the master is written */
    uint8_t stereo[JM_MAX_STRIPS], bus_type[JM_MAX_BUSES], bus_stereo[JM_MAX_BUSES];
    for (int i = 0; i < m->s.n_strips; i++) stereo[i] = m->s.strips[i].channels == 2;
    for (int b = 0; b < m->s.n_buses; b++) {
        bus_type[b] = !strcmp(m->s.buses[b].type, "aux")     ? JM_BUS_AUX
                      : !strcmp(m->s.buses[b].type, "delay") ? JM_BUS_DELAY
                                                             : JM_BUS_REVERB;
        bus_stereo[b] = m->s.buses[b].channels != 1;
    }
    /* as jm_engine_open configures it, so the audio is the live audio */
    jm_mixer_config_t mc = {.n_strips = m->s.n_strips, .stereo = stereo,
                            .n_buses = m->s.n_buses, .bus_type = bus_type,
                            .bus_stereo = bus_stereo, .talkback_bus = m->s.talkback_bus,
                            .rate = m->rate,
                            .meter_frames = (uint32_t)((float)m->rate / m->s.meter_rate)};
    m->mixer = jm_mixer_create(&mc, &m->s.params, m->s.values);
    if (!m->mixer) snprintf(err, errlen, "cannot create the mixer (out of memory)");
    return m->mixer ? 0 : -1;
}

/* The session's lanes that play back (read; touch and latch, which no
 * controller touches here), as the daemon's control thread builds them,
 * handed to the mixer as the daemon hands them to its audio thread. */
static int load_lanes(jm_rmix_t *m, char *err, size_t errlen)
{
    jm_autolanes_t ls;
    if (jm_lanes_init(&ls, &m->s)) {
        jm_lanes_free(&ls);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    m->lanes = jm_lanes_build_rt(&ls, &m->s.params, (double)m->rate);
    jm_lanes_free(&ls);
    if (!m->lanes) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    m->n_lanes = (int)m->lanes->n;
    jm_cmd_t c = {.type = JM_CMD_LANES, .ptr = m->lanes};
    jm_mixer_apply(m->mixer, &c);
    return 0;
}

static float value_at(const jm_session_t *s, const char *fmt, const char *owner, const char *tail)
{
    char path[JM_PATH_MAX + JM_NAME_MAX];
    snprintf(path, sizeof path, fmt, owner, tail);
    int i = jm_params_find(&s->params, path);
    return i >= 0 ? s->values[i] : 0.0f;
}

/* Pre-roll (render.h): long enough for every gate that is on to close on
 * silence from the "just opened" state a new mixer starts in. */
static uint64_t preroll_frames(const jm_rmix_t *m, const jm_render_opts_t *o)
{
    if (o->preroll_set) return (uint64_t)llround(o->preroll_s * m->rate);
    double ms = 0.0;
    for (int i = 0; i <= m->s.n_strips; i++) {
        const char *fmt = i < m->s.n_strips ? "/strip/%s/%s" : "%s/master/%s";
        const char *owner = i < m->s.n_strips ? m->s.strips[i].name : "";
        if (value_at(&m->s, fmt, owner, "gate/on") < 0.5f) continue;
        double t = value_at(&m->s, fmt, owner, "gate/hold") +
                   value_at(&m->s, fmt, owner, "gate/release");
        if (t > ms) ms = t;
    }
    return ms > 0.0 ? (uint64_t)ceil((ms + JM_RENDER_PREROLL_MARGIN_MS) * 0.001 * m->rate) : 0;
}

/* The console idling before the transport starts: silence in, transport
 * stopped, output discarded. */
static void run_preroll(jm_rmix_t *m)
{
    for (uint64_t done = 0; done < m->preroll; done += m->block) {
        jm_mixer_transport(m->mixer, 0, 0.0);
        /* a strip on source "file" plays its stem too: offline, the stem is
         * both its input and its file */
        jm_mixer_file_inputs(m->mixer, (const float *const *)m->ins);
        jm_mixer_process(m->mixer, (const float *const *)m->ins, m->out_l, m->out_r, m->block,
                         NULL);
    }
}

int jm_rmix_open(jm_rmix_t **out, const jm_render_opts_t *o, char *err, size_t errlen)
{
    *out = NULL;
    jm_rmix_t *m = calloc(1, sizeof *m);
    char (*files)[PATH_MAX] = NULL;
    if (!m) goto oom;
    if (jm_session_load(&m->s, o->session, err, errlen)) goto fail;
    m->session_loaded = 1;
    m->block = o->block ? o->block : 64;
    m->chunk = m->block * ((CHUNK_FRAMES + m->block - 1) / m->block); /* whole cycles */
    files = calloc((size_t)m->s.n_strips + 1, PATH_MAX);
    m->zero = calloc(m->chunk, sizeof(float));
    m->inter = calloc(2 * (size_t)m->chunk, sizeof(float));
    m->out_l = calloc(m->block, sizeof(float));
    m->out_r = calloc(m->block, sizeof(float));
    if (!files || !m->zero || !m->inter || !m->out_l || !m->out_r) goto oom;
    if (pick_files(m, o, files, err, errlen)) goto fail;
    for (int i = 0; i < m->s.n_strips; i++) {
        m->ins[2 * i] = m->zero;
        m->ins[2 * i + 1] = m->s.strips[i].channels == 2 ? m->zero : NULL;
        if (files[i][0] && open_stem(m, i, files[i], err, errlen)) goto fail;
    }
    if (!m->n_stems) {
        snprintf(err, errlen, "no stems: give strips a file = in %s, or use --stem NAME=FILE",
                 o->session);
        goto fail;
    }
    if (make_mixer(m, err, errlen) || load_lanes(m, err, errlen)) goto fail;
    m->preroll = preroll_frames(m, o);
    run_preroll(m); /* m->ins point at silence until the first fill() */
    m->pos = m->chunk; /* first next() reads */
    m->thresh = (float)pow(10.0, JM_RENDER_SILENCE_DB / 20.0);
    m->tail_max = (uint64_t)(JM_RENDER_TAIL_MAX_S * m->rate);
    free(files);
    *out = m;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    free(files);
    jm_rmix_close(m);
    return 1;
}

/* Next chunk of every stem; past its end a stem reads as silence. */
static int fill(jm_rmix_t *m, char *err, size_t errlen)
{
    for (int k = 0; k < m->n_stems; k++) {
        stem_t *st = &m->stems[k];
        sf_count_t got = 0;
        if (!st->eof) {
            got = sf_readf_float(st->sf, m->inter, m->chunk);
            if (got < 0 || sf_error(st->sf)) {
                snprintf(err, errlen, "reading stem '%s': %s", st->path, sf_strerror(st->sf));
                return -1;
            }
            if ((uint32_t)got < m->chunk) st->eof = 1;
        }
        if (st->channels == 1) {
            memcpy(st->buf[0], m->inter, (size_t)got * sizeof(float));
        } else {
            for (sf_count_t i = 0; i < got; i++) {
                st->buf[0][i] = m->inter[2 * i];
                st->buf[1][i] = m->inter[2 * i + 1];
            }
        }
        for (int c = 0; c < st->channels; c++)
            memset(st->buf[c] + got, 0, (m->chunk - (size_t)got) * sizeof(float));
    }
    m->pos = 0;
    return 0;
}

/* Frames of this cycle to keep: all, unless the tail ends inside it (the
 * output has been below -90 dBFS for 1 s, counted across the stems' end)
 * or reaches its cap. */
static uint32_t keep_frames(jm_rmix_t *m)
{
    for (uint32_t k = 0; k < m->block; k++) {
        int quiet = fabsf(m->out_l[k]) < m->thresh && fabsf(m->out_r[k]) < m->thresh;
        m->quiet_run = quiet ? m->quiet_run + 1 : 0;
        uint64_t n = m->done + k + 1; /* frames output, this one included */
        if (n < m->stem_frames) continue;
        if (m->quiet_run >= m->rate) return m->finished = 1, k + 1;
        if (n >= m->stem_frames + m->tail_max) return m->finished = m->capped = 1, k + 1;
    }
    return m->block;
}

int jm_rmix_next(jm_rmix_t *m, const float **l, const float **r, char *err, size_t errlen)
{
    if (m->finished) return 0;
    if (m->pos >= m->chunk && fill(m, err, errlen)) return -1;
    const float *ins[2 * JM_MAX_STRIPS];
    for (int i = 0; i < 2 * m->s.n_strips; i++) ins[i] = m->ins[i] ? m->ins[i] + m->pos : NULL;
    /* the daemon: jm_mixer_transport(rolling, pos.frame) before each cycle */
    jm_mixer_transport(m->mixer, 1, (double)m->frame);
    jm_mixer_file_inputs(m->mixer, ins); /* source "file" plays the stem as well */
    jm_mixer_process(m->mixer, ins, m->out_l, m->out_r, m->block, NULL);
    m->frame += m->block;
    m->pos += m->block;
    uint32_t keep = keep_frames(m);
    m->done += keep;
    *l = m->out_l;
    *r = m->out_r;
    return (int)keep;
}

uint32_t jm_rmix_rate(const jm_rmix_t *m) { return m->rate; }

int jm_rmix_is_stem(const jm_rmix_t *m, const char *path)
{
    struct stat a, b;
    if (stat(path, &a)) return 0; /* does not exist yet: not a stem */
    for (int k = 0; k < m->n_stems; k++)
        if (!stat(m->stems[k].path, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino) return 1;
    return 0;
}

int jm_rmix_lanes(const jm_rmix_t *m) { return m->n_lanes; }
uint64_t jm_rmix_preroll(const jm_rmix_t *m) { return m->preroll; }
uint64_t jm_rmix_stem_frames(const jm_rmix_t *m) { return m->stem_frames; }
int jm_rmix_tail_capped(const jm_rmix_t *m) { return m->capped; }

void jm_rmix_close(jm_rmix_t *m)
{
    if (!m) return;
    for (int k = 0; k < m->n_stems; k++) {
        if (m->stems[k].sf) sf_close(m->stems[k].sf);
        if (m->stems[k].buf[1] != m->stems[k].buf[0]) free(m->stems[k].buf[1]);
        free(m->stems[k].buf[0]);
    }
    if (m->mixer) jm_mixer_destroy(m->mixer);
    free(m->lanes); /* after the mixer: it held them */
    if (m->session_loaded) jm_session_free(&m->s);
    free(m->zero);
    free(m->inter);
    free(m->out_l);
    free(m->out_r);
    free(m);
}
