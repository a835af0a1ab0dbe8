/* Offline render (docs/cli.md): the session's mixer over stem files,
 * faster than real time, to a WAV, AIFF or FLAC file.
 *
 *   jmixd render SESSION -o OUT [--stem NAME=FILE]... [--block N]
 *                [--normalize LUFS | --platform NAME] [--ceiling dBTP]
 *                [--rate HZ] [--bits 16|24|32f] [--preroll SECONDS]
 *                [--report OUT.html]
 *
 * --report: an HTML file with pictures of the output as written
 * (include/jmixd/render/report.h).
 *
 * Pipeline: stems -> jm_mixer (the daemon's code, --block frames a cycle
 * from frame 0 after the pre-roll, the session's values and automation)
 * -> tail until 1 s below -90 dBFS
 * (at most 60 s after the stems) -> [--rate: libsoxr, very high quality]
 * -> [--normalize/--platform/--ceiling: gain, then the true-peak limiter,
 * lookahead compensated] -> [--bits 16|24: TPDF dither] -> file.
 *
 * Stems: a strip's session `file =` (relative to the session file's
 * folder) or --stem NAME=FILE (NAME: strip name or 1-based index; FILE
 * relative to the working directory). A mono strip takes a mono file, a
 * stereo strip a stereo file or a mono one (fed to both sides). Strips
 * without a file get silence. All stems must share one sample rate, which
 * becomes the mix rate (no stem resampling: convert mismatched stems
 * first). The render is as long as the longest stem plus the tail.
 *
 * Normalisation is two-pass: pass 1 renders the mix (after --rate) to a
 * temporary file and measures its integrated loudness (BS.1770-4,
 * libebur128); then gain + limiter are applied and measured again, the
 * gain corrected by secant steps until the miss is under 0.01 LU (limiting
 * lowers loudness; at most 8 rounds), and the last round is written. The
 * mixer runs only once. --ceiling alone limits without gain.
 *
 * Automation: the session's lanes play as in the daemon with the JACK
 * transport rolling from frame 0 (frame 0 = the stems' first frame): read
 * lanes, and touch and latch lanes (nothing touches them here); write
 * lanes and lanes without points do not play. The mixer's own lane player
 * runs them (the set built by jm_lanes_build_rt, the transport frame of
 * each cycle's first sample given by jm_mixer_transport), so the values
 * move sample-accurately in chunks of JM_AUTOPLAY_CHUNK frames exactly as
 * live. Before frame 0, parameters hold the session's values; past the
 * last point of a lane its last value holds (the tail included).
 *
 * Pre-roll: a daemon idles on silence before its transport starts, and a
 * new mixer is not in that idle state in one respect: its gates start
 * "just opened" (unity gain, hold pending), while an idling gate is closed.
 * (Filters, compressors, buses, limiter and smoothing start where silence
 * leaves them: zero state, no gain reduction, values settled.) So the
 * render first runs the mixer on silence with the transport stopped for
 * the longest gate hold + release among the gates that are on (strips and
 * master) plus JM_RENDER_PREROLL_MARGIN_MS, output discarded, and none at
 * all when no gate is on. With it, `--block N` gives sample for sample
 * what a daemon at period N that has idled at least that long outputs
 * from transport frame 0 (tests/integration/test_render_live.py).
 * --preroll SECONDS overrides the length (0: start from a new mixer).
 *
 * Threads: everything here runs on the calling thread (the main thread of
 * `jmixd render`); nothing is shared with a running daemon. */
#ifndef JMIXD_RENDER_H
#define JMIXD_RENDER_H

#include "jmixd/io/loudness.h"
#include "jmixd/session/params.h"

#include <stdint.h>

#define JM_RENDER_TAIL_MAX_S 60.0  /* tail cap after the stems end */
#define JM_RENDER_SILENCE_DB (-90.0)
#define JM_RENDER_MAX_BLOCK 8192u
#define JM_RENDER_PREROLL_MARGIN_MS 50.0 /* beyond the longest gate hold + release */
#define JM_RENDER_PREROLL_MAX_S 60.0

typedef struct {
    const char *name; /* strip name or 1-based index */
    const char *file;
} jm_render_stem_t;

typedef struct {
    const char *session;
    const char *out;
    int n_stems;
    jm_render_stem_t stems[JM_MAX_STRIPS];
    uint32_t block;        /* frames per cycle, 1..JM_RENDER_MAX_BLOCK (64) */
    int normalize;         /* 1: meet target_lufs */
    double target_lufs;
    const char *platform;  /* name given to --platform, or NULL */
    int limit;             /* 1: limiter at ceiling_db (normalize implies it) */
    double ceiling_db;     /* dBTP, -12..0 (-1) */
    uint32_t rate;         /* output rate; 0: the stems' rate */
    int bits;              /* 16, 24, or 32 (float); 0: 32, or 24 for FLAC */
    int progress;          /* 1: progress line on stderr */
    int preroll_set;       /* 1: --preroll given (preroll_s), else from the gates */
    double preroll_s;      /* seconds of silence before frame 0, 0..JM_RENDER_PREROLL_MAX_S */
    const char *report;    /* --report OUT.html, or NULL */
} jm_render_opts_t;

typedef struct {
    uint32_t mix_rate, out_rate;
    int bits;                     /* as written */
    uint64_t frames;              /* output frames (at out_rate) */
    double stem_seconds, tail_seconds;
    int tail_capped;              /* the tail hit JM_RENDER_TAIL_MAX_S */
    double mix_lufs;              /* before gain (normalise/limit only) */
    double gain_db;               /* applied gain (0 without normalise) */
    double limiter_gr_db;         /* deepest limiter reduction, <= 0 */
    uint64_t clipped;             /* PCM samples clipped at full scale */
    int lanes;                    /* automation lanes played (see above) */
    double preroll_seconds;       /* silent pre-roll run before frame 0 */
    jm_loudness_result_t loud;    /* of the file as written */
    double wall_seconds, speed;   /* speed: audio seconds per wall second */
    struct jm_rseries *series;    /* --report: the output's series (the caller
                                     destroys it with jm_rseries_destroy), else NULL */
} jm_render_report_t;

/* Platform name -> integrated loudness target (LUFS). -1 if unknown. */
int jm_render_platform(const char *name, double *lufs);

/* Parse the arguments after "render" (argv[0] is "render"). Returns 0, 1
 * with a one-line err (usage problem), or 2 for --help (usage printed). */
int jm_render_parse(int argc, char **argv, jm_render_opts_t *o, char *err, size_t errlen);

/* Render. Returns 0, 1 with err (session, stem or output problem: nothing
 * or only a removed partial file is left), or 2 with err (failure while
 * rendering, e.g. disk full). */
int jm_render_run(const jm_render_opts_t *o, jm_render_report_t *rep, char *err, size_t errlen);

/* Album render (docs/cli.md), src/render/album*.c:
 *
 *   jmixd render --album ALBUM_FILE -o OUT_DIR [--platform NAME | --normalize LUFS]
 *                [--ceiling dBTP] [--rate HZ] [--bits 16|24|32f]
 *                [--format wav|aiff|flac] [--block N] [--report]
 *
 * --report: OUT_DIR/"NN Title.html" per track and OUT_DIR/"ALBUM.html"
 * (include/jmixd/render/report.h), after the audio files.
 *
 * Writes OUT_DIR/"NN Title.EXT" per track, OUT_DIR/"ALBUM.EXT" (the tracks
 * joined with their gaps as digital silence, sample for sample the track
 * files) and OUT_DIR/"ALBUM.cue" indexing it (ALBUM: the album's title).
 * A track's `gap` is silence BEFORE it (its pregap, as on a CD: the CUE
 * sheet's INDEX 00 marks where the gap starts, INDEX 01 the track).
 * Normalisation: one gain for every track, chosen so that the album file's
 * integrated loudness (BS.1770-4 over the whole file, gaps included: the
 * -70 LUFS gate drops their silence) meets the target; a track whose true
 * peak would pass the ceiling goes through the true-peak limiter, the
 * others get the gain alone (their loudness relations stay exact), and the
 * gain is corrected for what limiting takes away (secant steps, as render).
 */
typedef struct {
    const char *album;
    const char *out_dir;
    const char *format;    /* "wav" (default), "aiff" or "flac" */
    uint32_t block;        /* session tracks' mixer cycle (64) */
    int normalize;
    double target_lufs;
    const char *platform;
    int limit;
    double ceiling_db;
    uint32_t rate;         /* 0: the first track's rate */
    int bits;              /* as jm_render_opts_t */
    int report;            /* --report: an HTML report per track and for the album */
} jm_album_opts_t;

/* `jmixd render --album ...`: argv[0] is "render". Prints the report (or
 * one error line) on stderr. Exit code 0, 1 (usage/album/track), 2
 * (runtime). */
int jm_album_main(int argc, char **argv);

/* `jmixd render ...`: argv[0] is "render". Prints the summary (or one
 * error line) on stderr. Exit code 0, 1 (usage/session/file), 2 (runtime). */
int jm_render_main(int argc, char **argv);

#endif
