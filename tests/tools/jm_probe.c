/* jm_probe: a JACK test client for the jmixd integration tests.
 *
 * It opens two JACK clients in one process, "probe_play" (outputs out_1..N)
 * and "probe_cap" (inputs in_1..M), so that a path probe_play -> DUT ->
 * probe_cap is not a graph cycle. Both clients start on the same JACK cycle:
 * the k-th played port and every captured port are aligned on absolute JACK
 * frame time, so latency can be measured exactly.
 *
 *   jm_probe [--server NAME] [--play PORT]... [--capture PORT]...
 *            [--signal SPEC]... --seconds S --out FILE [--wait SECS]
 *
 * Signals: sine:FREQ:DBFS (peak 10^(DBFS/20), 5 ms raised-cosine fade-in),
 * impulse:OFFSET (one 1.0 sample OFFSET frames after the start), silence,
 * noise:DBFS:SEED (deterministic uniform white noise with that peak),
 * pink:DBFS:SEED (deterministic pink noise with that RMS level: RMS =
 * 10^(DBFS/20), over the whole band; Paul Kellet's refined pink filter on
 * uniform white noise, -3 dB/octave within +-0.05 dB from 10 Hz to 20 kHz
 * at 44.1 and 48 kHz, the only rates it is made for: refused at others),
 * ppink:DBFS:SEED (periodic pink noise: a 65536-frame loop whose spectrum is
 * exactly pink, power 1/f per DFT bin from 10 Hz to below Nyquist with
 * phases from SEED, RMS 10^(DBFS/20): band powers averaged over whole loops
 * are exact, not estimates that need tens of seconds to settle),
 * dc:VALUE. The k-th --play gets the k-th --signal, or the last one given.
 * More signals (for the recording, loudness and render tests):
 *   counter:SHIFT   ((n >> SHIFT) & 4095) / 4096: a frame counter in 12-bit
 *                   slices, exact in float (counter:0 and counter:12 on two
 *                   ports encode n mod 2^24)
 *   seq:FREQ:DB1:SEC1[:DB2:SEC2]...  a sine of peak DBk dBFS for SECk seconds
 *                   each (abrupt level steps, continuous phase), 5 ms raised-
 *                   cosine fade-in at the start and fade-out at the end, then
 *                   silence (up to 16 steps)
 *   tone:FREQ:PHASE:AMP:SEC  AMP * sin(2 pi FREQ n / rate + PHASE degrees) for
 *                   SEC seconds, linear amplitude, 5 ms fades in and out, then
 *                   silence (EBU Tech 3341 true-peak cases)
 * --play-from-roll: every signal is silent until the transport rolls and then
 * plays sample n = the transport frame (so a stem file's sample k is what
 * was played at transport frame k); with --roll-from, the transport is then
 * started only once playback and capture run, so the capture holds the
 * first rolling frame (meta roll_index) and everything before it is silent.
 * --freewheel SPEED: JACK freewheel mode while the probe runs (engaged after
 * the connections are made, left before the clients deactivate), each cycle
 * held until its frames are due at SPEED x real time: faster than real time
 * with every client still running every cycle (jackd2's dummy -w cannot: it
 * sets the period from the wait). jackd2 1.9.21 freezes a freewheeling graph
 * when a client joins or leaves it (jack2 issues 753, 1006): no client may
 * come or go while it runs.
 *
 * Output: FILE, raw little-endian float32 interleaved (M channels), and
 * FILE.json with rate, period, channels, frames, start_frame,
 * play_start_frame, xruns, gaps. stdout gets one line "START p c" (frame
 * times of the first played and captured frame) as soon as both clients
 * have started, so a harness can act mid-capture.
 *
 * Exit: 0 ok, 1 bad usage, 2 JACK/port/connection failure or timeout,
 * 3 the JACK server went away mid-run (what was captured is written),
 * 4 interrupted by SIGINT/SIGTERM (what was captured is written).
 *
 * The process callbacks are real-time safe: no allocation, no locks, no
 * I/O; state is shared through C11 atomics and a preallocated buffer. */
#include <jack/jack.h>

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS 64

typedef enum { SIG_SILENCE, SIG_SINE, SIG_IMPULSE, SIG_NOISE, SIG_DC, SIG_COUNTER, SIG_SEQ,
               SIG_TONE, SIG_MULTI, SIG_PINK, SIG_PPINK } sig_kind_t;

#define MAX_STEPS 16

typedef struct {
    sig_kind_t kind;
    double freq, amp;      /* sine; amp also the noise peak */
    int64_t offset;        /* impulse */
    uint64_t seed;         /* noise */
    double value;          /* dc */
    int64_t fade;          /* sine fade-in length, frames */
    int shift;             /* counter */
    double phase;          /* tone, radians */
    int n_steps;           /* seq, tone: amp_k until end_k (frames, cumulative) */
    double step_amp[MAX_STEPS];
    double step_sec[MAX_STEPS];
    int64_t step_end[MAX_STEPS];
    int n_freq;            /* multi: the sines' frequencies */
    double freqs[16];
    const char *text;
    float *loop;           /* ppink: PPINK_N frames, made before the clients run */
} signal_t;

#define PPINK_N 65536      /* ppink's period, frames (a power of two: radix-2 FFT) */

/* pink:DBFS:SEED, per played port: the filter state (Paul Kellet's refined
 * pink filter, music-dsp archive 1999: 6 one-pole sections and a 1-tap FIR
 * on white noise), the next frame index it expects (another one, after a
 * transport jump, restarts it there), the gain to the asked RMS. */
typedef struct {
    double b[7];
    int64_t next;
    double gain;
} pink_t;
static const double pink_p[6] = {0.99886, 0.99332, 0.96900, 0.86650, 0.55000, -0.7616};
static const double pink_g[6] = {0.0555179, 0.0750759, 0.1538520, 0.3104856, 0.5329522, -0.0168980};
#define PINK_DIRECT 0.5362
#define PINK_FIR 0.115926
static pink_t pinks[MAX_PORTS];

static const char *play_ports[MAX_PORTS], *cap_ports[MAX_PORTS], *sig_texts[MAX_PORTS];
static int n_play, n_cap, n_sig;
static signal_t sigs[MAX_PORTS];

static jack_client_t *play_client, *cap_client;
static jack_port_t *outs[MAX_PORTS], *ins[MAX_PORTS];
static double rate;
static jack_nframes_t period;

static float *capbuf;            /* total_frames * n_cap, zeroed */
static int64_t total_frames;

/* Shared with the callbacks. */
static atomic_int armed;                 /* start target is valid */
static atomic_uint start_target;         /* first cycle frame >= this starts */
static atomic_int play_started, cap_started;
static atomic_uint play_start_frame, cap_start_frame;
static atomic_uint last_play_frame, last_cap_frame;
static atomic_int play_seen, cap_seen;   /* a callback has run at least once */
static atomic_llong captured;            /* highest captured index + 1 */
static atomic_int cap_done;
static atomic_int xruns, gaps;
static atomic_int server_gone;
static atomic_int interrupted;
static int64_t cap_expect;               /* next expected position (cap thread only) */
static long long roll_from = -1;         /* --roll-from: locate here and roll the transport */
static int play_from_roll;               /* --play-from-roll: n = transport frame while rolling */
static double fw_speed;                  /* --freewheel: paced multiple of real time (0: off) */
static double fw_t0;                     /* play thread: wall time of frame fw_frames == 0 */
static int64_t fw_frames;                /* play thread: frames since fw_t0 */
static atomic_int fw_on;                 /* freewheel engaged by us */
static atomic_llong roll_index = -1;     /* capture index of the first rolling frame */
static atomic_llong roll_frame = -1;     /* transport frame there */
static double cap_t0, cap_t1;            /* monotonic time of the first and last capture cycle */
static int64_t cap_f1;                   /* capture index at the last cycle */

static void die_usage(const char *msg)
{
    fprintf(stderr, "jm_probe: %s\n", msg);
    fprintf(stderr,
            "usage: jm_probe [--server NAME] [--play PORT]... [--capture PORT]...\n"
            "                [--signal SPEC]... --seconds S --out FILE [--wait SECS]\n"
            "                [--roll-from FRAME]  (locate the transport there and roll it\n"
            "                 while capturing; stopped at the end)\n"
            "                [--play-from-roll]  (signals silent until the transport rolls,\n"
            "                 then sample n = transport frame)\n"
            "                [--freewheel SPEED]  (JACK freewheel mode, paced to SPEED x real\n"
            "                 time, while the probe runs)\n"
            "signals: sine:FREQ:DBFS impulse:OFFSET silence noise:DBFS:SEED dc:VALUE\n"
            "         pink:DBFS:SEED (RMS level; 44.1 and 48 kHz only)\n"
            "         ppink:DBFS:SEED (periodic pink noise, 65536-frame loop, RMS level)\n"
            "         counter:SHIFT seq:FREQ:DB1:SEC1[:DB2:SEC2]... tone:FREQ:PHASE:AMP:SEC\n");
    exit(1);
}

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end) return -1;
    *out = v;
    return 0;
}

/* seq:FREQ:DB1:SEC1[:DB2:SEC2]... and tone:FREQ:PHASE:AMP:SEC. */
static int parse_steps(const char *text, signal_t *sg)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", text);
    char *save = NULL, *tok[2 * MAX_STEPS + 2];
    int n = 0;
    for (char *t = strtok_r(buf, ":", &save); t; t = strtok_r(NULL, ":", &save)) {
        if (n == (int)(sizeof tok / sizeof tok[0])) return -1;
        tok[n++] = t;
    }
    double v[2 * MAX_STEPS + 1];
    for (int k = 1; k < n; k++)
        if (parse_double(tok[k], &v[k - 1])) return -1;
    if (n < 2 || v[0] <= 0) return -1;
    sg->freq = v[0];
    if (!strcmp(tok[0], "tone")) {
        if (n != 5 || v[3] <= 0) return -1;
        sg->kind = SIG_TONE;
        sg->phase = v[1] * M_PI / 180.0;
        sg->n_steps = 1;
        sg->step_amp[0] = v[2];
        sg->step_sec[0] = v[3];
        return 0;
    }
    if (n < 4 || (n - 2) % 2) return -1;
    sg->kind = SIG_SEQ;
    sg->n_steps = (n - 2) / 2;
    for (int k = 0; k < sg->n_steps; k++) {
        if (v[2 + 2 * k] < 0) return -1;
        sg->step_amp[k] = pow(10.0, v[1 + 2 * k] / 20.0);
        sg->step_sec[k] = v[2 + 2 * k];
    }
    return 0;
}

static int parse_signal(const char *text, signal_t *sg)
{
    if (!strncmp(text, "seq:", 4) || !strncmp(text, "tone:", 5)) {
        memset(sg, 0, sizeof *sg);
        sg->text = text;
        return parse_steps(text, sg);
    }
    char buf[256];
    snprintf(buf, sizeof buf, "%s", text);
    memset(sg, 0, sizeof *sg);
    sg->text = text;
    char *save = NULL;
    char *kind = strtok_r(buf, ":", &save);
    char *a = strtok_r(NULL, ":", &save);
    char *b = strtok_r(NULL, ":", &save);
    char *extra = strtok_r(NULL, ":", &save);
    if (!kind || extra) return -1;
    double x, y;
    if (!strcmp(kind, "silence")) {
        if (a) return -1;
        sg->kind = SIG_SILENCE;
    } else if (!strcmp(kind, "sine")) {
        if (!a || !b || parse_double(a, &x) || parse_double(b, &y)) return -1;
        if (x <= 0) return -1;
        sg->kind = SIG_SINE;
        sg->freq = x;
        sg->amp = pow(10.0, y / 20.0);
    } else if (!strcmp(kind, "impulse")) {
        if (!a || b || parse_double(a, &x) || x < 0) return -1;
        sg->kind = SIG_IMPULSE;
        sg->offset = (int64_t)llround(x);
    } else if (!strcmp(kind, "noise")) {
        if (!a || !b || parse_double(a, &x) || parse_double(b, &y)) return -1;
        sg->kind = SIG_NOISE;
        sg->amp = pow(10.0, x / 20.0);
        sg->seed = (uint64_t)(int64_t)llround(y);
    } else if (!strcmp(kind, "pink") || !strcmp(kind, "ppink")) {
        if (!a || !b || parse_double(a, &x) || parse_double(b, &y)) return -1;
        sg->kind = kind[0] == 'p' && kind[1] == 'p' ? SIG_PPINK : SIG_PINK;
        sg->amp = pow(10.0, x / 20.0); /* RMS */
        sg->seed = (uint64_t)(int64_t)llround(y);
    } else if (!strcmp(kind, "dc")) {
        if (!a || b || parse_double(a, &x)) return -1;
        sg->kind = SIG_DC;
        sg->value = x;
    } else if (!strcmp(kind, "multi")) {
        /* multi:DBFS:F1/F2/...: equal sines, each at DBFS peak */
        if (!a || !b || parse_double(a, &y)) return -1;
        sg->kind = SIG_MULTI;
        sg->amp = pow(10.0, y / 20.0);
        for (char *sv = NULL, *f = strtok_r(b, "/", &sv); f; f = strtok_r(NULL, "/", &sv)) {
            if (sg->n_freq == 16 || parse_double(f, &x) || x <= 0) return -1;
            sg->freqs[sg->n_freq++] = x;
        }
        if (!sg->n_freq) return -1;
    } else if (!strcmp(kind, "counter")) {
        if (!a || b || parse_double(a, &x) || x < 0 || x > 40 || x != floor(x)) return -1;
        sg->kind = SIG_COUNTER;
        sg->shift = (int)x;
    } else {
        return -1;
    }
    return 0;
}

static inline uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* Sample n (frames since the playback start) of a signal. Pure; RT safe. */
static inline float gen(const signal_t *sg, int64_t n)
{
    switch (sg->kind) {
    case SIG_SINE: {
        double ph = 2.0 * M_PI * sg->freq * (double)n / rate;
        double v = sg->amp * sin(ph);
        if (n < sg->fade) v *= 0.5 * (1.0 - cos(M_PI * (double)n / (double)sg->fade));
        return (float)v;
    }
    case SIG_MULTI: {
        double v = 0.0;
        for (int k = 0; k < sg->n_freq; k++) v += sin(2.0 * M_PI * sg->freqs[k] * (double)n / rate);
        return (float)(sg->amp * v);
    }
    case SIG_IMPULSE: return n == sg->offset ? 1.0f : 0.0f;
    case SIG_NOISE: {
        uint64_t h = splitmix64(sg->seed * 0x100000001B3ull ^ (uint64_t)n);
        double u = (double)(h >> 11) * (1.0 / 9007199254740992.0); /* [0,1) */
        return (float)(sg->amp * (2.0 * u - 1.0));
    }
    case SIG_DC: return (float)sg->value;
    case SIG_PPINK: return sg->loop[(uint64_t)n & (PPINK_N - 1)];
    case SIG_COUNTER: return (float)(((uint64_t)n >> sg->shift) & 4095u) * (1.0f / 4096.0f);
    case SIG_SEQ:
    case SIG_TONE: {
        int64_t end = sg->step_end[sg->n_steps - 1];
        if (n < 0 || n >= end) return 0.0f;
        int k = 0;
        while (n >= sg->step_end[k]) k++;
        double v = sg->step_amp[k] * sin(2.0 * M_PI * sg->freq * (double)n / rate + sg->phase);
        if (n < sg->fade) v *= 0.5 * (1.0 - cos(M_PI * (double)n / (double)sg->fade));
        if (end - n < sg->fade) v *= 0.5 * (1.0 - cos(M_PI * (double)(end - n) / (double)sg->fade));
        return (float)v;
    }
    case SIG_SILENCE:
    default: return 0.0f;
    }
}

static inline int frame_reached(jack_nframes_t f, jack_nframes_t target)
{
    return (int32_t)(f - target) >= 0;
}

static double now_s(void);

/* --freewheel: JACK runs the graph back to back; hold each cycle until its
 * frames are due at fw_speed x real time, so every client's helper threads
 * (disk, meters) see a steady, known rate. Sleeping here is fine for a test
 * tool; after a stall of more than 50 ms the schedule restarts instead of
 * bursting to catch up. */
static void fw_pace(jack_nframes_t nframes)
{
    double t = now_s();
    if (fw_t0 <= 0.0) fw_t0 = t, fw_frames = 0;
    double due = fw_t0 + (double)fw_frames / (rate * fw_speed);
    if (t < due) {
        struct timespec ts = {(time_t)due, (long)((due - (double)(time_t)due) * 1e9)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
    } else if (t > due + 0.05) {
        fw_t0 = t, fw_frames = 0;
    }
    fw_frames += nframes;
}

/* The gain that gives pink:DBFS its RMS: the filter's power gain (its
 * impulse response squared, summed) times the white noise's 1/3. */
static double pink_gain(double rms)
{
    double sum = 0.0, pw[6] = {1, 1, 1, 1, 1, 1};
    for (int n = 0; n < 200000; n++) {
        double h = n == 0 ? PINK_DIRECT : n == 1 ? PINK_FIR : 0.0;
        for (int k = 0; k < 6; k++) {
            h += pink_g[k] * pw[k];
            pw[k] *= pink_p[k];
        }
        sum += h * h;
    }
    return rms / sqrt(sum / 3.0);
}

/* In-place radix-2 complex FFT of n (a power of two) points, sign -1
 * forward, +1 inverse (unscaled). Set-up time only. */
static void fft(double *re, double *im, int n, int sign)
{
    for (int i = 1, j = 0; i < n; i++) {
        int bit = n >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j |= bit;
        if (i < j) {
            double t = re[i]; re[i] = re[j]; re[j] = t;
            t = im[i]; im[i] = im[j]; im[j] = t;
        }
    }
    for (int len = 2; len <= n; len <<= 1) {
        double a = sign * 2.0 * M_PI / len;
        for (int i = 0; i < n; i += len)
            for (int k = 0; k < len / 2; k++) {
                double wr = cos(a * k), wi = sin(a * k);
                double *ur = &re[i + k], *ui = &im[i + k];
                double vr = re[i + k + len / 2] * wr - im[i + k + len / 2] * wi;
                double vi = re[i + k + len / 2] * wi + im[i + k + len / 2] * wr;
                re[i + k + len / 2] = *ur - vr;
                im[i + k + len / 2] = *ui - vi;
                *ur += vr;
                *ui += vi;
            }
    }
}

/* ppink's loop: bins from 10 Hz to below Nyquist with power 1/f (amplitude
 * 1/sqrt(k)) and random phases, Hermitian so the loop is real, scaled to
 * the RMS asked. NULL if out of memory. */
static float *ppink_loop(const signal_t *sg, double fs)
{
    double *re = calloc(PPINK_N, sizeof *re), *im = calloc(PPINK_N, sizeof *im);
    float *loop = malloc(PPINK_N * sizeof *loop);
    if (!re || !im || !loop) {
        free(re), free(im), free(loop);
        return NULL;
    }
    int k0 = (int)ceil(10.0 * PPINK_N / fs);
    for (int k = k0; k < PPINK_N / 2; k++) {
        uint64_t h = splitmix64(sg->seed * 0x100000001B3ull ^ (uint64_t)k);
        double ph = (double)(h >> 11) * (2.0 * M_PI / 9007199254740992.0);
        double m = 1.0 / sqrt((double)k);
        re[k] = m * cos(ph), im[k] = m * sin(ph);
        re[PPINK_N - k] = re[k], im[PPINK_N - k] = -im[k];
    }
    fft(re, im, PPINK_N, 1);
    double sum = 0.0;
    for (int i = 0; i < PPINK_N; i++) sum += re[i] * re[i];
    double g = sg->amp / sqrt(sum / PPINK_N);
    for (int i = 0; i < PPINK_N; i++) loop[i] = (float)(g * re[i]);
    free(re), free(im);
    return loop;
}

/* n frames of pink noise from frame index base (RT safe). */
static void pink_block(pink_t *pk, const signal_t *sg, float *out, int64_t base, uint32_t n)
{
    if (base != pk->next) memset(pk->b, 0, sizeof pk->b);
    double *b = pk->b;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t h = splitmix64(sg->seed * 0x100000001B3ull ^ (uint64_t)(base + (int64_t)i));
        double w = (double)(h >> 11) * (2.0 / 9007199254740992.0) - 1.0; /* [-1, 1) */
        double y = PINK_DIRECT * w + b[6];
        for (int k = 0; k < 6; k++) {
            b[k] = pink_p[k] * b[k] + pink_g[k] * w;
            y += b[k];
        }
        b[6] = PINK_FIR * w;
        out[i] = (float)(pk->gain * y);
    }
    pk->next = base + (int64_t)n;
}

static int play_process(jack_nframes_t nframes, void *arg)
{
    if (fw_speed > 0 && atomic_load_explicit(&fw_on, memory_order_relaxed)) fw_pace(nframes);
    (void)arg;
    jack_nframes_t f = jack_last_frame_time(play_client);
    atomic_store_explicit(&last_play_frame, f, memory_order_relaxed);
    atomic_store_explicit(&play_seen, 1, memory_order_release);
    int started = atomic_load_explicit(&play_started, memory_order_relaxed);
    if (!started && atomic_load_explicit(&armed, memory_order_acquire) &&
        frame_reached(f, atomic_load_explicit(&start_target, memory_order_relaxed))) {
        atomic_store_explicit(&play_start_frame, f, memory_order_relaxed);
        atomic_store_explicit(&play_started, 1, memory_order_release);
        started = 1;
    }
    jack_nframes_t p0 = atomic_load_explicit(&play_start_frame, memory_order_relaxed);
    int64_t roll_base = -1;
    if (play_from_roll) {
        jack_position_t tp;
        if (jack_transport_query(play_client, &tp) == JackTransportRolling)
            roll_base = (int64_t)tp.frame;
    }
    for (int k = 0; k < n_play; k++) {
        float *out = jack_port_get_buffer(outs[k], nframes);
        if (!started || (play_from_roll && roll_base < 0)) {
            memset(out, 0, sizeof(float) * nframes);
            continue;
        }
        int64_t base = play_from_roll ? roll_base : (int64_t)(uint32_t)(f - p0);
        const signal_t *sg = &sigs[k];
        if (sg->kind == SIG_PINK) {
            pink_block(&pinks[k], sg, out, base, nframes);
            continue;
        }
        for (jack_nframes_t i = 0; i < nframes; i++) out[i] = gen(sg, base + (int64_t)i);
    }
    return 0;
}

static int cap_process(jack_nframes_t nframes, void *arg)
{
    (void)arg;
    jack_nframes_t f = jack_last_frame_time(cap_client);
    atomic_store_explicit(&last_cap_frame, f, memory_order_relaxed);
    atomic_store_explicit(&cap_seen, 1, memory_order_release);
    int started = atomic_load_explicit(&cap_started, memory_order_relaxed);
    if (!started && atomic_load_explicit(&armed, memory_order_acquire) &&
        frame_reached(f, atomic_load_explicit(&start_target, memory_order_relaxed))) {
        atomic_store_explicit(&cap_start_frame, f, memory_order_relaxed);
        atomic_store_explicit(&cap_started, 1, memory_order_release);
        started = 1;
        cap_expect = 0;
    }
    if (!started || atomic_load_explicit(&cap_done, memory_order_relaxed)) return 0;
    int64_t pos = (int64_t)(uint32_t)(f - atomic_load_explicit(&cap_start_frame,
                                                               memory_order_relaxed));
    if (pos != cap_expect) atomic_fetch_add_explicit(&gaps, 1, memory_order_relaxed);
    cap_expect = pos + nframes;
    {
        /* wall-clock time of the capture, to measure the server's real
         * frame rate (a dummy backend runs slower than its nominal rate) */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        double now = (double)ts.tv_sec + ts.tv_nsec * 1e-9;
        if (pos == 0) cap_t0 = now;
        cap_t1 = now;
        cap_f1 = pos;
    }
    if (roll_from >= 0 && atomic_load_explicit(&roll_index, memory_order_relaxed) < 0) {
        jack_position_t tp;
        if (jack_transport_query(cap_client, &tp) == JackTransportRolling) {
            atomic_store(&roll_frame, (long long)tp.frame);
            atomic_store(&roll_index, (long long)pos);
        }
    }
    const float *in[MAX_PORTS];
    for (int k = 0; k < n_cap; k++) in[k] = jack_port_get_buffer(ins[k], nframes);
    int64_t end = pos + (int64_t)nframes;
    if (end > total_frames) end = total_frames;
    for (int64_t idx = pos; idx < end; idx++) {
        float *dst = capbuf + idx * n_cap;
        for (int k = 0; k < n_cap; k++) dst[k] = in[k][idx - pos];
    }
    if (end > pos) atomic_store_explicit(&captured, end, memory_order_release);
    if (end >= total_frames) atomic_store_explicit(&cap_done, 1, memory_order_release);
    return 0;
}

static int on_xrun(void *arg)
{
    (void)arg;
    atomic_fetch_add_explicit(&xruns, 1, memory_order_relaxed);
    return 0;
}

static void on_shutdown(void *arg)
{
    (void)arg;
    atomic_store(&server_gone, 1);
}

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&interrupted, 1);
}

/* Leave freewheel mode (never with a dead server: that may hang). */
static void fw_off(void)
{
    if (atomic_exchange(&fw_on, 0) && !atomic_load(&server_gone)) jack_set_freewheel(play_client, 0);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) && errno == EINTR) {}
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

static int write_output(const char *out, int64_t frames, int shutdown)
{
    FILE *f = fopen(out, "wb");
    if (!f) {
        fprintf(stderr, "jm_probe: cannot write %s: %s\n", out, strerror(errno));
        return -1;
    }
    size_t n = (size_t)frames * (size_t)n_cap;
    /* float32 little-endian; x86/arm64 hosts are little-endian already */
    union { uint16_t u; uint8_t b[2]; } probe = {1};
    if (probe.b[0] != 1) {
        for (size_t i = 0; i < n; i++) {
            uint32_t w;
            memcpy(&w, &capbuf[i], 4);
            w = __builtin_bswap32(w);
            fwrite(&w, 4, 1, f);
        }
    } else if (n && fwrite(capbuf, sizeof(float), n, f) != n) {
        fclose(f);
        fprintf(stderr, "jm_probe: short write to %s\n", out);
        return -1;
    }
    if (fclose(f)) return -1;

    char jpath[4096];
    snprintf(jpath, sizeof jpath, "%s.json", out);
    FILE *j = fopen(jpath, "w");
    if (!j) {
        fprintf(stderr, "jm_probe: cannot write %s: %s\n", jpath, strerror(errno));
        return -1;
    }
    fprintf(j, "{\"rate\": %.0f, \"period\": %u, \"channels\": %d, \"frames\": %lld, "
               "\"requested_frames\": %lld, ",
            rate, (unsigned)period, n_cap, (long long)frames, (long long)total_frames);
    fprintf(j, "\"start_frame\": %u, \"play_start_frame\": %u, \"xruns\": %d, \"gaps\": %d, "
               "\"shutdown\": %s, ",
            (unsigned)atomic_load(&cap_start_frame), (unsigned)atomic_load(&play_start_frame),
            atomic_load(&xruns), atomic_load(&gaps), shutdown ? "true" : "false");
    fprintf(j, "\"roll_index\": %lld, \"roll_frame\": %lld, ", (long long)atomic_load(&roll_index),
            (long long)atomic_load(&roll_frame));
    fprintf(j, "\"measured_rate\": %.1f, ",
            cap_t1 > cap_t0 ? (double)cap_f1 / (cap_t1 - cap_t0) : rate);
    fprintf(j, "\"capture\": [");
    for (int k = 0; k < n_cap; k++) {
        if (k) fprintf(j, ", ");
        json_str(j, cap_ports[k]);
    }
    fprintf(j, "], \"play\": [");
    for (int k = 0; k < n_play; k++) {
        if (k) fprintf(j, ", ");
        json_str(j, play_ports[k]);
    }
    fprintf(j, "], \"signals\": [");
    for (int k = 0; k < n_play; k++) {
        if (k) fprintf(j, ", ");
        json_str(j, sigs[k].text);
    }
    fprintf(j, "]}\n");
    return fclose(j) ? -1 : 0;
}

static jack_client_t *open_client(const char *name, const char *server)
{
    jack_status_t st;
    jack_options_t opt = JackNoStartServer | (server ? JackServerName : 0);
    jack_client_t *c = server ? jack_client_open(name, opt, &st, server)
                              : jack_client_open(name, opt, &st);
    if (!c) {
        fprintf(stderr, "jm_probe: cannot open JACK client %s on server '%s' (status 0x%x)\n",
                name, server ? server : "(default)", (unsigned)st);
    }
    return c;
}

/* Exit after the server went away or we were interrupted: write what we
 * have. After an interruption the clients are closed first: a client that
 * just vanishes holds jackd's graph up to its client timeout (10 s seen,
 * every other client without cycles meanwhile). After the server went
 * away they are not (closing them could hang). */
static int finish_partial(const char *out, int code)
{
    if (code != 3) {
        fw_off();
        jack_deactivate(cap_client);
        jack_deactivate(play_client);
    }
    int64_t got = atomic_load(&captured);
    write_output(out, got, code == 3);
    if (code != 3) {
        jack_client_close(cap_client);
        jack_client_close(play_client);
    }
    fprintf(stderr, "jm_probe: %s; wrote %lld of %lld frames\n",
            code == 3 ? "JACK server went away" : "interrupted", (long long)got,
            (long long)total_frames);
    fflush(NULL);
    _exit(code);
}

int main(int argc, char **argv)
{
    const char *server = NULL, *out = NULL;
    double seconds = -1, wait_s = 5;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED() do { if (!v) die_usage("missing value for option"); i++; } while (0)
        if (!strcmp(a, "--server")) { NEED(); server = v; }
        else if (!strcmp(a, "--play")) {
            NEED();
            if (n_play >= MAX_PORTS) die_usage("too many --play");
            play_ports[n_play++] = v;
        } else if (!strcmp(a, "--capture")) {
            NEED();
            if (n_cap >= MAX_PORTS) die_usage("too many --capture");
            cap_ports[n_cap++] = v;
        } else if (!strcmp(a, "--signal")) {
            NEED();
            if (n_sig >= MAX_PORTS) die_usage("too many --signal");
            sig_texts[n_sig++] = v;
        } else if (!strcmp(a, "--seconds")) {
            NEED();
            if (parse_double(v, &seconds) || seconds < 0 || seconds > 3600)
                die_usage("bad --seconds");
        } else if (!strcmp(a, "--wait")) {
            NEED();
            if (parse_double(v, &wait_s) || wait_s < 0) die_usage("bad --wait");
        } else if (!strcmp(a, "--out")) { NEED(); out = v; }
        else if (!strcmp(a, "--roll-from")) {
            NEED();
            double f;
            if (parse_double(v, &f) || f < 0) die_usage("bad --roll-from");
            roll_from = (long long)f;
        }
        else if (!strcmp(a, "--play-from-roll")) play_from_roll = 1;
        else if (!strcmp(a, "--freewheel")) {
            NEED();
            if (parse_double(v, &fw_speed) || fw_speed <= 0 || fw_speed > 1000)
                die_usage("bad --freewheel");
        }
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) die_usage("help");
        else {
            fprintf(stderr, "jm_probe: unknown argument '%s'\n", a);
            die_usage("bad usage");
        }
#undef NEED
    }
    if (seconds < 0) die_usage("--seconds is required");
    if (!out) die_usage("--out is required");
    for (int k = 0; k < n_play; k++) {
        const char *t = n_sig ? sig_texts[k < n_sig ? k : n_sig - 1] : "silence";
        if (parse_signal(t, &sigs[k])) {
            fprintf(stderr, "jm_probe: bad signal '%s'\n", t);
            die_usage("bad --signal");
        }
    }
    for (int k = 0; k < n_sig; k++) {
        signal_t tmp;
        if (parse_signal(sig_texts[k], &tmp)) {
            fprintf(stderr, "jm_probe: bad signal '%s'\n", sig_texts[k]);
            die_usage("bad --signal");
        }
    }

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);

    play_client = open_client("probe_play", server);
    if (!play_client) return 2;
    cap_client = open_client("probe_cap", server);
    if (!cap_client) return 2;

    rate = (double)jack_get_sample_rate(play_client);
    period = jack_get_buffer_size(play_client);
    total_frames = (int64_t)llround(seconds * rate);
    for (int k = 0; k < n_play; k++) {
        signal_t *sg = &sigs[k];
        if (sg->kind == SIG_SINE || sg->kind == SIG_SEQ || sg->kind == SIG_TONE)
            sg->fade = (int64_t)llround(0.005 * rate);
        if (sg->kind == SIG_PINK) {
            if (rate != 44100.0 && rate != 48000.0) {
                fprintf(stderr, "jm_probe: pink noise is made for 44.1 and 48 kHz, not %.0f Hz\n", rate);
                return 1;
            }
            pinks[k] = (pink_t){.next = -1, .gain = pink_gain(sg->amp)};
        }
        if (sg->kind == SIG_PPINK && !(sg->loop = ppink_loop(sg, rate))) {
            fprintf(stderr, "jm_probe: out of memory for ppink\n");
            return 2;
        }
        double t = 0;
        for (int j = 0; j < sg->n_steps; j++) {
            t += sg->step_sec[j];
            sg->step_end[j] = (int64_t)llround(t * rate);
        }
    }
    capbuf = calloc((size_t)(total_frames ? total_frames : 1) * (size_t)(n_cap ? n_cap : 1),
                    sizeof(float));
    if (!capbuf) {
        fprintf(stderr, "jm_probe: out of memory\n");
        return 2;
    }

    for (int k = 0; k < n_play; k++) {
        char pn[32];
        snprintf(pn, sizeof pn, "out_%d", k + 1);
        outs[k] = jack_port_register(play_client, pn, JACK_DEFAULT_AUDIO_TYPE,
                                     JackPortIsOutput, 0);
        if (!outs[k]) { fprintf(stderr, "jm_probe: cannot register %s\n", pn); return 2; }
    }
    for (int k = 0; k < n_cap; k++) {
        char pn[32];
        snprintf(pn, sizeof pn, "in_%d", k + 1);
        ins[k] = jack_port_register(cap_client, pn, JACK_DEFAULT_AUDIO_TYPE,
                                    JackPortIsInput, 0);
        if (!ins[k]) { fprintf(stderr, "jm_probe: cannot register %s\n", pn); return 2; }
    }
    jack_set_process_callback(play_client, play_process, NULL);
    jack_set_process_callback(cap_client, cap_process, NULL);
    jack_set_xrun_callback(play_client, on_xrun, NULL);
    jack_on_shutdown(play_client, on_shutdown, NULL);
    jack_on_shutdown(cap_client, on_shutdown, NULL);
    if (jack_activate(play_client) || jack_activate(cap_client)) {
        fprintf(stderr, "jm_probe: cannot activate the JACK clients\n");
        return 2;
    }

    /* Wait for the named ports. */
    double deadline = now_s() + wait_s;
    for (;;) {
        const char *missing = NULL;
        for (int k = 0; k < n_play && !missing; k++)
            if (!jack_port_by_name(play_client, play_ports[k])) missing = play_ports[k];
        for (int k = 0; k < n_cap && !missing; k++)
            if (!jack_port_by_name(cap_client, cap_ports[k])) missing = cap_ports[k];
        if (!missing) break;
        if (atomic_load(&server_gone)) finish_partial(out, 3);
        if (atomic_load(&interrupted)) finish_partial(out, 4);
        if (now_s() > deadline) {
            fprintf(stderr, "jm_probe: port '%s' did not appear within %.1f s\n", missing,
                    wait_s);
            jack_client_close(cap_client);
            jack_client_close(play_client);
            return 2;
        }
        sleep_ms(20);
    }

    for (int k = 0; k < n_play; k++) {
        const char *src = jack_port_name(outs[k]);
        int r = jack_connect(play_client, src, play_ports[k]);
        if (r && r != EEXIST) {
            fprintf(stderr, "jm_probe: cannot connect %s -> %s (%d)\n", src, play_ports[k], r);
            return 2;
        }
    }
    for (int k = 0; k < n_cap; k++) {
        const char *dst = jack_port_name(ins[k]);
        int r = jack_connect(cap_client, cap_ports[k], dst);
        if (r && r != EEXIST) {
            fprintf(stderr, "jm_probe: cannot connect %s -> %s (%d)\n", cap_ports[k], dst, r);
            return 2;
        }
    }

    if (fw_speed > 0) {
        atomic_store(&fw_on, 1);
        if (jack_set_freewheel(play_client, 1)) {
            atomic_store(&fw_on, 0);
            fprintf(stderr, "jm_probe: cannot enter freewheel mode\n");
            return 2;
        }
    }

    /* Arm: both clients start on the first cycle at or after a frame a few
     * periods past the latest cycle either of them has seen, so the
     * connections are in effect and both start on the same cycle. */
    deadline = now_s() + 5.0;
    while (!(atomic_load(&play_seen) && atomic_load(&cap_seen))) {
        if (atomic_load(&server_gone)) finish_partial(out, 3);
        if (now_s() > deadline) {
            fprintf(stderr, "jm_probe: the JACK clients never ran a cycle\n");
            fw_off();
            return 2;
        }
        sleep_ms(2);
    }
    jack_nframes_t lp = atomic_load(&last_play_frame), lc = atomic_load(&last_cap_frame);
    jack_nframes_t latest = frame_reached(lp, lc) ? lp : lc;
    if (roll_from >= 0) {
        /* stopped and located first, rolling from the start of the capture on */
        jack_transport_stop(play_client);
        jack_transport_locate(play_client, (jack_nframes_t)roll_from);
    }
    atomic_store(&start_target, latest + 4 * period);
    atomic_store(&armed, 1);
    if (roll_from >= 0 && !play_from_roll) jack_transport_start(play_client);

    deadline = now_s() + 5.0;
    while (!(atomic_load(&play_started) && atomic_load(&cap_started))) {
        if (atomic_load(&server_gone)) finish_partial(out, 3);
        if (atomic_load(&interrupted)) finish_partial(out, 4);
        if (now_s() > deadline) {
            fprintf(stderr, "jm_probe: playback/capture did not start\n");
            fw_off();
            return 2;
        }
        sleep_ms(1);
    }
    if (roll_from >= 0 && play_from_roll) jack_transport_start(play_client);
    printf("START %u %u\n", (unsigned)atomic_load(&play_start_frame),
           (unsigned)atomic_load(&cap_start_frame));
    fflush(stdout);

    deadline = now_s() + seconds + 10.0 + seconds; /* generous for a slow dummy server */
    while (!atomic_load(&cap_done)) {
        if (atomic_load(&server_gone)) finish_partial(out, 3);
        if (atomic_load(&interrupted)) finish_partial(out, 4);
        if (now_s() > deadline) {
            fprintf(stderr, "jm_probe: capture timed out (%lld of %lld frames)\n",
                    (long long)atomic_load(&captured), (long long)total_frames);
            write_output(out, atomic_load(&captured), 0);
            fw_off();
            return 2;
        }
        sleep_ms(5);
    }

    fw_off();
    jack_deactivate(cap_client);
    jack_deactivate(play_client);
    if (roll_from >= 0) jack_transport_stop(play_client);
    if (write_output(out, total_frames, 0)) return 2;
    jack_client_close(cap_client);
    jack_client_close(play_client);
    free(capbuf);
    return 0;
}
