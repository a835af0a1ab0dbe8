/* JACK client around the mixer. The process callback only drains the command
 * queue, runs the mixer and posts meter events: no allocation, lock, log or
 * system call (checked by the RealtimeSanitizer build). */
#include "jmixd/engine/engine.h"

#include "jmixd/dsp/monitor.h"
#include "jmixd/io/loudness.h"
#include "jmixd/io/multitrack.h"
#include "jmixd/io/playback.h"
#include "jmixd/io/recorder.h"
#include "jmixd/util/rt.h"
#include "jmixd/engine/midiparse.h"

#include <jack/jack.h>
#include <jack/midiport.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>

#define MTRACK_RING_S 2.0 /* seconds of every channel in the multitrack ring, */
#define MTRACK_RING_MAX (64.0 * 1048576.0) /* at most 64 MB (then at least 0.5 s) */
#define PBACK_RING_S 1.0   /* seconds of every channel read ahead of a take's playback */
#define CMD_QUEUE 8192
#define EVENT_QUEUE 8192
#define MAX_PENDING 1024   /* timed commands waiting for their frame */
#define MIDI_RING 1024     /* messages each way: 0.1 s of a 10,000 events/s flood */
#define CLOCK_SAMPLES 128  /* ~2.6 s of samples ... */
#define CLOCK_EVERY_US 18000 /* ... about one per 20 ms control tick, however often the loop turns */

/* Control -> audio: a mixer command and the JACK frame time it is due at
 * (0: at once). */
typedef struct {
    jm_cmd_t cmd;
    uint32_t frame;
} msg_t;

struct jm_engine {
    const jm_session_t *s;      /* borrowed; never read by the audio thread */
    int n_strips;               /* the audio thread's copy of s->n_strips */
    const jm_log_t *log;
    char client_name[64], server_name[64];
    float meter_rate;

    jack_client_t *client;
    jm_mixer_t *mixer;
    jack_port_t *in_ports[2 * JM_MAX_STRIPS];   /* [2*i], [2*i+1] as in the mixer */
    jack_port_t *out_l, *out_r;
    jack_port_t *mon_l, *mon_r;                 /* monitor section, when the session has one */
    jack_port_t *tb_port;                       /* talkback mic, when the session has talkback */
    jack_port_t *aux_ports[2 * JM_MAX_BUSES];   /* [2b], [2b+1] of aux bus b (NULL: none) */
    const float *file_bufs[2 * JM_MAX_STRIPS];  /* the take's channels this cycle */
    const float *file_seg[2 * JM_MAX_STRIPS];   /* file_bufs from a segment's start */
    float *aux_bufs[2 * JM_MAX_BUSES];          /* this cycle's, then from a segment's start */
    float *aux_seg[2 * JM_MAX_BUSES];
    jm_monitor_t monitor;
    const float *in_bufs[2 * JM_MAX_STRIPS];    /* filled each cycle */
    const float *seg_bufs[2 * JM_MAX_STRIPS];   /* in_bufs from a segment's start */
    msg_t pending[MAX_PENDING];
    int n_pending;

    /* Clock model for timetags (control thread): (JACK microseconds, frame
     * time) pairs sampled every control tick; a line fitted through them is
     * steady where one jack_time_to_frames reading jitters by the driver's
     * wake-up times. */
    double clk_u[CLOCK_SAMPLES];     /* seconds since clk_us0 */
    double clk_f[CLOCK_SAMPLES];     /* unwrapped frame time */
    jack_time_t clk_us0, clk_us_last;
    int clk_n, clk_i;
    int64_t clk_frames;
    uint32_t clk_last;
    uint8_t stereo[JM_MAX_STRIPS];
    uint8_t bus_type[JM_MAX_BUSES];
    uint8_t bus_stereo[JM_MAX_BUSES];
    uint32_t rate, period;
    _Atomic uint32_t latency;   /* frames added between inputs and outputs */

    /* Taps of the final master: recorder (disk thread) and loudness (meter
     * thread). They outlive JACK clients: a recording survives a server
     * restart at the same rate. */
    jm_recorder_t *rec;
    /* every strip's input and the master (issue 21): made at the first
     * take (control thread), read by the audio thread through the pointer */
    _Atomic(jm_mtrack_t *) mtrack;
    /* the take strips play in virtual soundcheck: loaded by the control
     * thread, read by the audio thread through the pointer; a replaced one
     * is freed once the audio thread has run two more cycles */
    _Atomic(jm_pback_t *) pback;
    jm_pback_t *pback_late;     /* control: a replaced take not yet known to be left */
    jm_loudness_t *loud;
    uint32_t taps_rate;
    _Atomic uint64_t loud_unfed;
    /* the analyser's tap (control thread): its meter thread, the source
     * selected, and whether the audio thread still has to hear of it */
    jm_rtameter_t *rta;
    int rta_kind, rta_index, rta_unsent;  /* master frames made while there was no meter */

    /* MIDI (the session's midi group): the ports, the parser of midi_in
     * (audio thread), the message that did not fit into the last cycle's
     * midi_out buffer (audio thread), and the rings both ways */
    jack_port_t *midi_in, *midi_out;
    jm_midi_parser_t midi_parser;
    jm_midi_msg_t midi_hold;
    int midi_held;
    int has_midi;
    uint32_t midi_links;        /* control thread: connections made from midi_out */
    jm_queue_t midi_rx;  /* audio -> control: complete messages from midi_in */
    jm_queue_t midi_tx;  /* control -> audio: messages for midi_out */
    _Atomic uint64_t midi_in_dropped;   /* ring full, or a SysEx too long */
    _Atomic uint64_t midi_out_dropped;  /* larger than the port takes (the ring's
                                           own refusals are in midi_tx.dropped) */

    jm_queue_t cmds;     /* control -> audio */
    jm_queue_t events;   /* audio -> control */
    atomic_bool lost;
    atomic_bool ports_changed;
    _Atomic uint64_t xruns;
    _Atomic uint64_t cycles;    /* process callbacks run: the engine's pulse */
    jm_cyclehist_t cyc;         /* how long each process callback took */
};

/* Each thread libjack creates for this client (the process thread and its
 * notification thread), before it runs any callback: not in the process
 * callback, so the name's system call is fine here. */
static void thread_init(void *arg)
{
    (void)arg;
    jm_rt_set_ftz_daz();
    jm_rt_name_thread("jm-jack");
}

/* The monitor section belongs to the engine, not the mixer: it only
 * listens to the mixer's monitor feed and has nothing to do in an offline
 * render. Its afl switch belongs to the mixer's listen bus. */
static void apply(jm_engine_t *e, const jm_cmd_t *c) JM_NONBLOCKING;
static void apply(jm_engine_t *e, const jm_cmd_t *c)
{
    if (c->scope == JM_SCOPE_MONITOR && c->field != JM_MONF_AFL && c->type == JM_CMD_SET)
        jm_monitor_set(&e->monitor, c->field, c->value);
    else jm_mixer_apply(e->mixer, c);
    if (c->tag) {
        /* the control thread sends the change's feedback now that it
         * sounds; a full queue drops this (counted) and the control thread
         * sends it at its deadline instead */
        jm_event_t ev = {.type = JM_EV_APPLIED, .tag = c->tag};
        jm_queue_push(&e->events, &ev);
    }
}

static int midi_push(void *arg, const jm_midi_msg_t *m) JM_NONBLOCKING;
static int midi_push(void *arg, const jm_midi_msg_t *m)
{
    jm_engine_t *e = arg;
    return jm_queue_push(&e->midi_rx, m) ? 0 : -1;
}

/* Every midi_in event through the parser into the ring; what does not fit
 * is dropped and counted, never waited for. */
static void midi_read(jm_engine_t *e, jack_nframes_t n) JM_NONBLOCKING;
static void midi_read(jm_engine_t *e, jack_nframes_t n)
{
    void *buf = jack_port_get_buffer(e->midi_in, n);
    uint32_t count = jack_midi_get_event_count(buf);
    uint64_t before = e->midi_parser.oversize;
    int failed = 0;
    for (uint32_t k = 0; k < count; k++) {
        jack_midi_event_t ev;
        if (jack_midi_event_get(&ev, buf, k) == 0)
            failed += jm_midi_parse(&e->midi_parser, ev.buffer, ev.size, midi_push, e);
    }
    uint64_t lost = (uint64_t)failed + (e->midi_parser.oversize - before);
    if (lost) atomic_fetch_add_explicit(&e->midi_in_dropped, lost, memory_order_relaxed);
}

/* Drain the control thread's ring into midi_out, all at the cycle's first
 * frame; a message the buffer has no room for waits for the next cycle. */
static void midi_write(jm_engine_t *e, jack_nframes_t n) JM_NONBLOCKING;
static void midi_write(jm_engine_t *e, jack_nframes_t n)
{
    void *buf = jack_port_get_buffer(e->midi_out, n);
    jack_midi_clear_buffer(buf);
    int first = 1;
    for (;;) {
        if (!e->midi_held) {
            if (!jm_queue_pop(&e->midi_tx, &e->midi_hold)) break;
            e->midi_held = 1;
        }
        size_t room = jack_midi_max_event_size(buf);
        if (e->midi_hold.len > room) {
            if (!first) break; /* the next cycle's empty buffer */
            /* larger than an empty buffer: it can never go */
            atomic_fetch_add_explicit(&e->midi_out_dropped, 1, memory_order_relaxed);
            e->midi_held = 0;
            continue;
        }
        if (jack_midi_event_write(buf, 0, e->midi_hold.data, e->midi_hold.len) != 0) break;
        e->midi_held = 0;
        first = 0;
    }
}

static int process(jack_nframes_t n, void *arg) JM_NONBLOCKING;
static int process(jack_nframes_t n, void *arg)
{
    jm_engine_t *e = arg;
    uint32_t t_start = jm_cyclehist_now_ns();
    if (e->midi_in) midi_read(e, n);
    if (e->midi_out) midi_write(e, n);
    uint32_t t0 = jack_last_frame_time(e->client);
    jack_position_t pos;
    int rolling = jack_transport_query(e->client, &pos) == JackTransportRolling;
    msg_t msg;
    while (jm_queue_pop(&e->cmds, &msg)) {
        if (!msg.frame || (int32_t)(msg.frame - t0) <= 0 || e->n_pending == MAX_PENDING)
            apply(e, &msg.cmd);
        else
            e->pending[e->n_pending++] = msg;
    }
    int n_in = 2 * e->n_strips;
    for (int i = 0; i < e->n_strips; i++) {
        e->in_bufs[2 * i] = jack_port_get_buffer(e->in_ports[2 * i], n);
        e->in_bufs[2 * i + 1] =
            e->stereo[i] ? jack_port_get_buffer(e->in_ports[2 * i + 1], n) : NULL;
    }
    float *l = jack_port_get_buffer(e->out_l, n);
    float *r = jack_port_get_buffer(e->out_r, n);
    for (int k = 0; k < 2 * JM_MAX_BUSES; k++)
        e->aux_bufs[k] = e->aux_ports[k] ? jack_port_get_buffer(e->aux_ports[k], n) : NULL;
    int files = jm_pback_read(atomic_load_explicit(&e->pback, memory_order_acquire), n, e->file_bufs);
    const float *tb = e->tb_port ? jack_port_get_buffer(e->tb_port, n) : NULL;
    /* the mixer writes the monitor feed (master or listen bus) straight into
     * the monitor ports; the monitor section then works on them in place */
    float *ml = e->mon_l ? jack_port_get_buffer(e->mon_l, n) : NULL;
    float *mr = e->mon_l ? jack_port_get_buffer(e->mon_r, n) : NULL;
    /* Split the cycle at the frames of due timed commands, so each lands on
     * its exact frame. */
    uint32_t done = 0;
    while (done < n) {
        uint32_t next = n;
        for (int k = 0; k < e->n_pending; k++) {
            uint32_t off = e->pending[k].frame - t0;
            if (off >= n) continue;
            if (off <= done) {
                apply(e, &e->pending[k].cmd);
                e->pending[k--] = e->pending[--e->n_pending];
            } else if (off < next) {
                next = off;
            }
        }
        for (int k = 0; k < n_in; k++)
            e->seg_bufs[k] = e->in_bufs[k] ? e->in_bufs[k] + done : NULL;
        /* a stopped transport stays where it is through the cycle */
        for (int k = 0; k < 2 * JM_MAX_BUSES; k++)
            e->aux_seg[k] = e->aux_bufs[k] ? e->aux_bufs[k] + done : NULL;
        jm_mixer_bus_outputs(e->mixer, e->aux_seg);
        if (files)
            for (int k = 0; k < n_in; k++)
                e->file_seg[k] = e->file_bufs[k] ? e->file_bufs[k] + done : NULL;
        jm_mixer_file_inputs(e->mixer, files ? e->file_seg : NULL);
        jm_mixer_talkback_input(e->mixer, tb ? tb + done : NULL);
        jm_mixer_monitor_output(e->mixer, ml ? ml + done : NULL, mr ? mr + done : NULL);
        jm_mixer_transport(e->mixer, rolling, (double)pos.frame + (rolling ? done : 0));
        jm_mixer_process(e->mixer, e->seg_bufs, l + done, r + done, next - done, &e->events);
        done = next;
    }
    if (ml) /* the master after its limiter, or the listen bus; the master buffers are not touched */
        jm_monitor_process(&e->monitor, ml, mr, ml, mr, n);
    jm_recorder_write(e->rec, l, r, n);
    jm_mtrack_write(atomic_load_explicit(&e->mtrack, memory_order_acquire), e->in_bufs, l, r, n);
    if (e->loud) jm_loudness_push(e->loud, l, r, n);
    else atomic_fetch_add_explicit(&e->loud_unfed, n, memory_order_relaxed);
    atomic_fetch_add_explicit(&e->cycles, 1, memory_order_relaxed);
    jm_cyclehist_add(&e->cyc, jm_cyclehist_now_ns() - t_start);
    return 0;
}

/* Runs like a signal handler: set a flag only. */
static void on_shutdown(void *arg)
{
    jm_engine_t *e = arg;
    atomic_store(&e->lost, true);
}

static void on_info_shutdown(jack_status_t code, const char *reason, void *arg)
{
    (void)code;
    (void)reason;
    on_shutdown(arg);
}

static void on_port_registration(jack_port_id_t port, int registered, void *arg)
{
    (void)port;
    jm_engine_t *e = arg;
    if (registered) atomic_store(&e->ports_changed, true);
}

/* Report the limiter's lookahead on the ports (JACK API: jack_set_latency_callback). */
static void on_latency(jack_latency_callback_mode_t mode, void *arg)
{
    jm_engine_t *e = arg;
    uint32_t lat = atomic_load(&e->latency);
    jack_latency_range_t range, r;
    if (mode == JackCaptureLatency) {
        range.min = range.max = 0;
        int first = 1;
        for (int i = 0; i < 2 * e->n_strips; i++) {
            if (!e->in_ports[i]) continue;
            jack_port_get_latency_range(e->in_ports[i], JackCaptureLatency, &r);
            if (first || r.min < range.min) range.min = r.min;
            if (first || r.max > range.max) range.max = r.max;
            first = 0;
        }
        range.min += lat;
        range.max += lat;
        jack_port_set_latency_range(e->out_l, JackCaptureLatency, &range);
        jack_port_set_latency_range(e->out_r, JackCaptureLatency, &range);
    } else {
        jack_port_get_latency_range(e->out_l, JackPlaybackLatency, &range);
        jack_port_get_latency_range(e->out_r, JackPlaybackLatency, &r);
        if (r.min < range.min) range.min = r.min;
        if (r.max > range.max) range.max = r.max;
        range.min += lat;
        range.max += lat;
        for (int i = 0; i < 2 * e->n_strips; i++)
            if (e->in_ports[i]) jack_port_set_latency_range(e->in_ports[i], JackPlaybackLatency, &range);
    }
}

static int on_xrun(void *arg)
{
    jm_engine_t *e = arg;
    atomic_fetch_add(&e->xruns, 1);
    return 0;
}

jm_engine_t *jm_engine_create(const jm_session_t *s, const char *client_name,
                              const char *server_name, float meter_rate, const jm_log_t *log)
{
    jm_engine_t *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->s = s;
    e->n_strips = s->n_strips;
    e->log = log;
    e->meter_rate = meter_rate > 0 ? meter_rate : 20.0f;
    snprintf(e->client_name, sizeof e->client_name, "%s", client_name);
    snprintf(e->server_name, sizeof e->server_name, "%s", server_name ? server_name : "");
    for (int i = 0; i < s->n_strips; i++) e->stereo[i] = s->strips[i].channels == 2;
    for (int b = 0; b < s->n_buses; b++) {
        e->bus_type[b] = !strcmp(s->buses[b].type, "aux")     ? JM_BUS_AUX
                         : !strcmp(s->buses[b].type, "delay") ? JM_BUS_DELAY
                                                              : JM_BUS_REVERB;
        e->bus_stereo[b] = s->buses[b].channels != 1;
    }
    e->has_midi = s->midi.enabled;
    if (e->has_midi && (jm_queue_init(&e->midi_rx, sizeof(jm_midi_msg_t), MIDI_RING) ||
                        jm_queue_init(&e->midi_tx, sizeof(jm_midi_msg_t), MIDI_RING))) {
        jm_engine_destroy(e);
        return NULL;
    }
    if (jm_queue_init(&e->cmds, sizeof(msg_t), CMD_QUEUE) ||
        jm_queue_init(&e->events, sizeof(jm_event_t), EVENT_QUEUE)) {
        jm_engine_destroy(e);
        return NULL;
    }
    return e;
}

void jm_engine_destroy(jm_engine_t *e)
{
    if (!e) return;
    /* finish a recording before deactivating: JACK disconnects the ports and
     * runs the client once more, which would record a period of silence */
    if (e->rec) jm_recorder_stop(e->rec);
    jm_mtrack_t *mt = atomic_load(&e->mtrack);
    if (mt) jm_mtrack_stop(mt);
    jm_engine_close(e);
    jm_recorder_destroy(e->rec);
    jm_mtrack_destroy(mt);
    jm_pback_close(atomic_load(&e->pback));
    jm_pback_close(e->pback_late);
    jm_loudness_destroy(e->loud);
    jm_rtameter_destroy(e->rta);
    jm_queue_free(&e->cmds);
    jm_queue_free(&e->events);
    if (e->midi_rx.buf) jm_queue_free(&e->midi_rx);
    if (e->midi_tx.buf) jm_queue_free(&e->midi_tx);
    free(e);
}

static int register_ports(jm_engine_t *e)
{
    for (int i = 0; i < e->s->n_strips; i++) {
        const jm_strip_cfg_t *st = &e->s->strips[i];
        char name[JM_NAME_MAX + 4];
        for (int c = 0; c < st->channels; c++) {
            if (st->channels == 2) snprintf(name, sizeof name, "%s_%c", st->name, c ? 'R' : 'L');
            else snprintf(name, sizeof name, "%s", st->name);
            e->in_ports[2 * i + c] =
                jack_port_register(e->client, name, JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
            if (!e->in_ports[2 * i + c]) return -1;
        }
    }
    e->out_l = jack_port_register(e->client, "master_L", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    e->out_r = jack_port_register(e->client, "master_R", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    if (e->s->has_monitor) {
        e->mon_l = jack_port_register(e->client, "monitor_L", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
        e->mon_r = jack_port_register(e->client, "monitor_R", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
        if (!e->mon_l || !e->mon_r) return -1;
    }
    if (e->s->has_talkback) {
        e->tb_port = jack_port_register(e->client, "talkback", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
        if (!e->tb_port) return -1;
    }
    /* aux buses: NAME_L/NAME_R, or NAME when mono (docs/session.md) */
    for (int b = 0; b < e->s->n_buses; b++) {
        const jm_bus_cfg_t *bc = &e->s->buses[b];
        if (strcmp(bc->type, "aux")) continue;
        char name[JM_NAME_MAX + 4];
        for (int c = 0; c < bc->channels; c++) {
            if (bc->channels == 2) snprintf(name, sizeof name, "%s_%c", bc->name, c ? 'R' : 'L');
            else snprintf(name, sizeof name, "%s", bc->name);
            e->aux_ports[2 * b + c] =
                jack_port_register(e->client, name, JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
            if (!e->aux_ports[2 * b + c]) return -1;
        }
    }
    if (e->has_midi) {
        e->midi_in = jack_port_register(e->client, "midi_in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
        e->midi_out = jack_port_register(e->client, "midi_out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
        if (!e->midi_in || !e->midi_out) return -1;
    }
    return e->out_l && e->out_r ? 0 : -1;
}

/* Connect a -> b unless already connected; a port that does not exist yet is
 * not an error (we try again when ports appear). */
static int connect_one(jm_engine_t *e, const char *src, const char *dst)
{
    jack_port_t *ps = jack_port_by_name(e->client, src);
    jack_port_t *pd = jack_port_by_name(e->client, dst);
    if (!ps || !pd || jack_port_connected_to(ps, dst)) return 0;
    int rc = jack_connect(e->client, src, dst);
    if (rc == 0) jm_log(e->log, JM_LOG_INFO, "connected %s -> %s", src, dst);
    return rc == 0;
}

static void connect_all(jm_engine_t *e)
{
    for (int i = 0; i < e->s->n_strips; i++) {
        const jm_strip_cfg_t *st = &e->s->strips[i];
        for (int k = 0; k < st->n_inputs; k++) {
            jack_port_t *dst = e->in_ports[2 * i + (st->channels == 2 ? k % 2 : 0)];
            connect_one(e, st->inputs[k], jack_port_name(dst));
        }
    }
    for (int k = 0; e->tb_port && k < e->s->n_talkback_inputs; k++)
        connect_one(e, e->s->talkback_inputs[k], jack_port_name(e->tb_port));
    for (int k = 0; k < e->s->n_master_outputs; k++)
        connect_one(e, jack_port_name(k % 2 ? e->out_r : e->out_l), e->s->master_outputs[k]);
    for (int k = 0; e->mon_l && k < e->s->n_monitor_outputs; k++)
        connect_one(e, jack_port_name(k % 2 ? e->mon_r : e->mon_l), e->s->monitor_outputs[k]);
    const jm_midi_cfg_t *mc = &e->s->midi;
    for (int k = 0; e->midi_in && k < mc->n_inputs; k++)
        connect_one(e, mc->inputs[k], jack_port_name(e->midi_in));
    for (int k = 0; e->midi_out && k < mc->n_outputs; k++)
        if (connect_one(e, jack_port_name(e->midi_out), mc->outputs[k])) e->midi_links++;
    /* aux outputs as the master's: alternately L and R (mono: all from the one port) */
    for (int b = 0; b < e->s->n_buses; b++) {
        const jm_bus_cfg_t *bc = &e->s->buses[b];
        if (!e->aux_ports[2 * b]) continue;
        for (int k = 0; k < bc->n_outputs; k++) {
            jack_port_t *p = e->aux_ports[2 * b + (bc->channels == 2 ? k % 2 : 0)];
            connect_one(e, jack_port_name(p), bc->outputs[k]);
        }
    }
}

/* The command that points the mixer's tap at the selected source. */
static jm_cmd_t rta_cmd(const jm_engine_t *e)
{
    int on = e->rta && e->rta_kind != JM_RTA_SRC_OFF;
    return (jm_cmd_t){.type = JM_CMD_RTA, .field = (uint16_t)(on ? e->rta_kind : JM_RTA_SRC_OFF),
                      .index = (uint16_t)e->rta_index,
                      .ptr = on ? jm_rtameter_ring(e->rta) : NULL};
}

void jm_engine_rta_source(jm_engine_t *e, int kind, int index)
{
    e->rta_kind = kind;
    e->rta_index = index;
    if (e->rta) jm_rtameter_select(e->rta, kind != JM_RTA_SRC_OFF);
    jm_cmd_t c = rta_cmd(e);
    e->rta_unsent = e->client && !jm_engine_post(e, &c);
}

jm_rtameter_t *jm_engine_rta(jm_engine_t *e) { return e->rta; }

int jm_engine_open(jm_engine_t *e, const float *values)
{
    if (e->client) return 0;
    jack_status_t status;
    jack_options_t opt = JackNoStartServer | JackUseExactName;
    if (e->server_name[0]) opt |= JackServerName;
    e->client = e->server_name[0]
                    ? jack_client_open(e->client_name, opt, &status, e->server_name)
                    : jack_client_open(e->client_name, opt, &status);
    if (!e->client) return -1;
    atomic_store(&e->lost, false);
    e->rate = jack_get_sample_rate(e->client);
    e->period = jack_get_buffer_size(e->client);

    if (e->taps_rate != e->rate) {
        /* first start, or a server at another rate: new taps at that rate */
        jm_recorder_destroy(e->rec); /* finalises a recording that was running */
        jm_mtrack_destroy(atomic_exchange(&e->mtrack, NULL)); /* and a take */
        jm_pback_close(atomic_exchange(&e->pback, NULL));      /* a take at the old rate */
        jm_loudness_destroy(e->loud);
        jm_rtameter_destroy(e->rta);
        e->rec = NULL;
        e->loud = NULL;
        e->rta = NULL;
        e->taps_rate = e->rate;
    }
    /* a tap that could not be made (out of memory, no thread) is tried
     * again at every open instead of staying missing for good */
    if (!e->rec && !(e->rec = jm_recorder_create(e->rate, e->log)))
        jm_log(e->log, JM_LOG_ERROR, "cannot create the recorder (out of memory?)");
    if (!e->loud && !(e->loud = jm_loudness_create(e->rate, e->log)))
        jm_log(e->log, JM_LOG_ERROR, "cannot create the loudness meter (out of memory?)");
    if (!e->rta && (e->rta = jm_rtameter_create(e->rate, e->meter_rate, e->log)))
        jm_rtameter_select(e->rta, e->rta_kind != JM_RTA_SRC_OFF);
    jm_mixer_config_t mc = {.n_strips = e->s->n_strips, .stereo = e->stereo,
                            .n_buses = e->s->n_buses, .bus_type = e->bus_type,
                            .bus_stereo = e->bus_stereo, .talkback_bus = e->s->talkback_bus,
                            .rate = e->rate,
                            .meter_frames = (uint32_t)lroundf((float)e->rate / e->meter_rate)};
    e->mixer = jm_mixer_create(&mc, &e->s->params, values);
    if (e->mixer) atomic_store(&e->latency, jm_mixer_latency(e->mixer));
    if (e->mixer) { /* the analyser's source, before the audio thread runs */
        jm_cmd_t rc = rta_cmd(e);
        jm_mixer_apply(e->mixer, &rc);
        e->rta_unsent = 0;
    }
    jm_monitor_init(&e->monitor, (float)e->rate);
    for (size_t i = 0; i < e->s->params.n; i++)
        if (e->s->params.p[i].scope == JM_SCOPE_MONITOR)
            jm_monitor_set(&e->monitor, e->s->params.p[i].field, values[i]);
    jm_queue_reset(&e->cmds);   /* the mixer starts from `values`: older commands are stale */
    e->n_pending = 0;
    e->clk_n = e->clk_i = 0;
    e->clk_frames = -1;
    jm_queue_reset(&e->events);
    if (e->has_midi) { /* a new midi_out: nothing old is owed to it */
        jm_queue_reset(&e->midi_rx);
        jm_queue_reset(&e->midi_tx);
        jm_midi_parser_init(&e->midi_parser);
        e->midi_held = 0;
    }
    if (!e->mixer || register_ports(e)) goto fail;
    jack_set_thread_init_callback(e->client, thread_init, e);
    jack_set_process_callback(e->client, process, e);
    /* both: JACK calls the info variant; PipeWire's JACK library (0.3.x)
     * calls only the plain one when its daemon goes away */
    jack_on_shutdown(e->client, on_shutdown, e);
    jack_on_info_shutdown(e->client, on_info_shutdown, e);
    jack_set_port_registration_callback(e->client, on_port_registration, e);
    jack_set_xrun_callback(e->client, on_xrun, e);
    jack_set_latency_callback(e->client, on_latency, e);
    if (jack_activate(e->client)) goto fail;
    connect_all(e);
    jm_log(e->log, JM_LOG_INFO, "JACK client '%s' running at %u Hz, period %u",
           jack_get_client_name(e->client), e->rate, e->period);
    return 0;
fail:
    jm_log(e->log, JM_LOG_ERROR, "could not set up the JACK client");
    jm_engine_close(e);
    return -1;
}

void jm_engine_close(jm_engine_t *e)
{
    if (e->client) {
        if (!atomic_load(&e->lost)) jack_deactivate(e->client);
        jack_client_close(e->client); /* no callback runs after this returns */
        e->client = NULL;
    }
    memset(e->in_ports, 0, sizeof e->in_ports);
    memset(e->aux_ports, 0, sizeof e->aux_ports);
    e->out_l = e->out_r = NULL;
    e->mon_l = e->mon_r = NULL;
    e->tb_port = NULL;
    e->midi_in = e->midi_out = NULL;
    jm_mixer_destroy(e->mixer);
    e->mixer = NULL;
}

bool jm_engine_is_open(const jm_engine_t *e) { return e->client != NULL; }
bool jm_engine_lost(const jm_engine_t *e) { return atomic_load(&e->lost); }

void jm_engine_connect_pending(jm_engine_t *e)
{
    if (e->rta_unsent && e->client) { /* the command queue was full: again */
        jm_cmd_t c = rta_cmd(e);
        e->rta_unsent = !jm_engine_post(e, &c);
    }
    if (e->client && !atomic_load(&e->lost) && atomic_exchange(&e->ports_changed, false))
        connect_all(e);
}

bool jm_engine_post(jm_engine_t *e, const jm_cmd_t *c) { return jm_engine_post_at(e, c, 0); }

bool jm_engine_post_at(jm_engine_t *e, const jm_cmd_t *c, uint32_t frame)
{
    msg_t m = {.cmd = *c, .frame = frame};
    return e->client ? jm_queue_push(&e->cmds, &m) : false;
}

int jm_engine_transport(jm_engine_t *e, double *seconds)
{
    *seconds = 0.0;
    if (!e->client || atomic_load(&e->lost) || !e->rate) return 0;
    jack_position_t pos;
    int rolling = jack_transport_query(e->client, &pos) == JackTransportRolling;
    /* pos.frame is where the current cycle began; a command posted now is
     * applied when the next one begins */
    *seconds = (double)(pos.frame + (rolling ? e->period : 0)) / e->rate;
    return rolling;
}

void jm_engine_clock_tick(jm_engine_t *e)
{
    if (!e->client || atomic_load(&e->lost) || !e->rate) return;
    jack_time_t us = jack_get_time();
    /* the line's window stays ~2.6 s long while the loop turns faster
     * (request floods, feedback owed to a timed change) */
    if (e->clk_frames >= 0 && us - e->clk_us_last < CLOCK_EVERY_US) return;
    e->clk_us_last = us;
    uint32_t f = jack_frame_time(e->client);
    if (e->clk_frames < 0) {
        e->clk_frames = f;
        e->clk_us0 = us;
    } else {
        e->clk_frames += (int32_t)(f - e->clk_last); /* unwrap */
    }
    e->clk_last = f;
    e->clk_u[e->clk_i] = (double)(us - e->clk_us0) * 1e-6;
    e->clk_f[e->clk_i] = (double)e->clk_frames;
    e->clk_i = (e->clk_i + 1) % CLOCK_SAMPLES;
    if (e->clk_n < CLOCK_SAMPLES) e->clk_n++;
}

int jm_engine_frame_for_ntp(jm_engine_t *e, uint64_t ntp, uint32_t *frame, double *delta)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    /* NTP counts from 1900; Unix from 1970 */
    double when = (double)(ntp >> 32) - 2208988800.0 + (double)(ntp & 0xffffffffu) / 4294967296.0;
    *delta = when - ((double)now.tv_sec + now.tv_nsec * 1e-9);
    if (*delta <= 0.0 || !e->client || atomic_load(&e->lost)) return 0;
    jack_time_t us = jack_get_time() + (jack_time_t)(*delta * 1e6);
    if (e->clk_n < 8) {
        *frame = jack_time_to_frames(e->client, us);
        return 1;
    }
    /* least-squares line frames = a + b * seconds through the samples: the
     * jitter of single readings averages out, and b follows the real rate
     * of the frame clock */
    double su = 0, sf = 0, suu = 0, suf = 0, n = e->clk_n;
    for (int k = 0; k < e->clk_n; k++) {
        su += e->clk_u[k];
        sf += e->clk_f[k];
    }
    double mu = su / n, mf = sf / n;
    for (int k = 0; k < e->clk_n; k++) {
        double du = e->clk_u[k] - mu;
        suu += du * du;
        suf += du * (e->clk_f[k] - mf);
    }
    double b = suu > 0 ? suf / suu : e->rate;
    if (b < 0.9 * e->rate || b > 1.1 * e->rate) b = e->rate; /* not yet a usable fit */
    double t = (double)(us - e->clk_us0) * 1e-6;
    double frames = mf + b * (t - mu);
    *frame = (uint32_t)(e->clk_last + (int64_t)llround(frames - (double)e->clk_frames));
    return 1;
}

bool jm_engine_event(jm_engine_t *e, jm_event_t *ev) { return jm_queue_pop(&e->events, ev); }

void jm_engine_set_latency(jm_engine_t *e, uint32_t frames)
{
    if (atomic_exchange(&e->latency, frames) == frames || !e->client) return;
    jm_log(e->log, JM_LOG_DEBUG, "latency now %u frames", frames);
    jack_recompute_total_latencies(e->client);
}
uint32_t jm_engine_rate(const jm_engine_t *e) { return e->rate; }
jm_recorder_t *jm_engine_recorder(jm_engine_t *e) { return e->rec; }

jm_mtrack_t *jm_engine_multitrack(jm_engine_t *e) { return atomic_load(&e->mtrack); }

jm_pback_t *jm_engine_playback(jm_engine_t *e) { return atomic_load(&e->pback); }

int jm_engine_playback_load(jm_engine_t *e, const char *folder, int *missing, char *err,
                            size_t errlen)
{
    if (!e->client) {
        snprintf(err, errlen, "no JACK server yet");
        return -1;
    }
    jm_mtrack_strip_t st[JM_MAX_STRIPS];
    for (int i = 0; i < e->s->n_strips; i++)
        st[i] = (jm_mtrack_strip_t){e->s->strips[i].name, e->stereo[i]};
    jm_pback_t *p = jm_pback_open(e->rate, folder, e->s->n_strips, st, PBACK_RING_S, e->log,
                                  missing, err, errlen);
    if (!p) return -1;
    jm_pback_t *old = atomic_exchange_explicit(&e->pback, p, memory_order_acq_rel);
    if (old) {
        /* the audio thread may be reading the old one now: two more cycles
         * (or a stopped server: none to come) and it never will again */
        uint64_t c0 = atomic_load(&e->cycles);
        int t = 0;
        for (; t < 500 && e->client && !atomic_load(&e->lost) && atomic_load(&e->cycles) < c0 + 2;
             t++) {
            struct timespec ts = {0, 1000000L};
            nanosleep(&ts, NULL);
        }
        /* a server that ran no cycle for 0.5 s may still be inside one:
         * keep that take until the next load (or the end) instead */
        jm_pback_close(e->pback_late);
        e->pback_late = NULL;
        if (t < 500) jm_pback_close(old);
        else e->pback_late = old;
    }
    return 0;
}

int jm_engine_multitrack_start(jm_engine_t *e, const char *dir, const char *take,
                               long long min_free, char *err,
                               size_t errlen)
{
    if (!e->client) {
        snprintf(err, errlen, "no JACK server yet");
        return -1;
    }
    jm_mtrack_t *mt = atomic_load(&e->mtrack);
    if (!mt) {
        jm_mtrack_strip_t st[JM_MAX_STRIPS];
        for (int i = 0; i < e->s->n_strips; i++)
            st[i] = (jm_mtrack_strip_t){e->s->strips[i].name, e->stereo[i]};
        int chans = 2;
        for (int i = 0; i < e->s->n_strips; i++) chans += e->stereo[i] ? 2 : 1;
        double ring_s = MTRACK_RING_MAX / ((double)chans * e->rate * sizeof(float));
        ring_s = ring_s > MTRACK_RING_S ? MTRACK_RING_S : ring_s < 0.5 ? 0.5 : ring_s;
        mt = jm_mtrack_create(e->rate, e->s->n_strips, st, ring_s, e->log);
        if (!mt) {
            snprintf(err, errlen, "cannot make the multitrack recorder (out of memory?)");
            return -1;
        }
        atomic_store_explicit(&e->mtrack, mt, memory_order_release);
    }
    return jm_mtrack_start(mt, dir, take, min_free, err, errlen);
}
jm_loudness_t *jm_engine_loudness(jm_engine_t *e) { return e->loud; }
uint32_t jm_engine_period(const jm_engine_t *e) { return e->period; }
uint64_t jm_engine_xruns(const jm_engine_t *e) { return atomic_load(&e->xruns); }
uint64_t jm_engine_cycles(const jm_engine_t *e) { return atomic_load(&e->cycles); }
jm_cyclehist_t *jm_engine_cyclehist(jm_engine_t *e) { return &e->cyc; }
uint64_t jm_engine_dropped_cmds(const jm_engine_t *e) { return atomic_load(&e->cmds.dropped); }

uint64_t jm_engine_loudness_dropped(jm_engine_t *e)
{
    uint64_t dropped = 0;
    if (e->loud) jm_loudness_stats(e->loud, NULL, &dropped);
    return dropped + atomic_load_explicit(&e->loud_unfed, memory_order_relaxed);
}

bool jm_engine_midi_read(jm_engine_t *e, jm_midi_msg_t *m)
{
    return e->has_midi && jm_queue_pop(&e->midi_rx, m);
}

int jm_engine_midi_send(jm_engine_t *e, const uint8_t *bytes, size_t len)
{
    if (!e->has_midi || !e->client || atomic_load(&e->lost) || !len || len > JM_MIDI_MSG_MAX)
        return -1;
    jm_midi_msg_t m;
    m.len = (uint16_t)len;
    memcpy(m.data, bytes, len);
    return jm_queue_push(&e->midi_tx, &m) ? 0 : -1;
}

uint64_t jm_engine_midi_in_dropped(const jm_engine_t *e)
{
    return atomic_load(&e->midi_in_dropped); /* the ring's refusals are counted in it */
}

uint64_t jm_engine_midi_out_dropped(const jm_engine_t *e)
{
    return atomic_load(&e->midi_out_dropped) + (e->has_midi ? atomic_load(&e->midi_tx.dropped) : 0);
}

static int transport_ok(const jm_engine_t *e)
{
    return e->client && !atomic_load(&e->lost);
}

int jm_engine_transport_start(jm_engine_t *e)
{
    if (!transport_ok(e)) return -1;
    jack_transport_start(e->client);
    return 0;
}

int jm_engine_transport_stop(jm_engine_t *e)
{
    if (!transport_ok(e)) return -1;
    jack_transport_stop(e->client);
    return 0;
}

int jm_engine_transport_locate(jm_engine_t *e, uint32_t frame)
{
    if (!transport_ok(e)) return -1;
    return jack_transport_locate(e->client, frame) == 0 ? 0 : -1;
}

int jm_engine_transport_frame(jm_engine_t *e, uint32_t *frame)
{
    if (frame) *frame = 0;
    if (!transport_ok(e)) return -1;
    jack_position_t pos;
    int rolling = jack_transport_query(e->client, &pos) == JackTransportRolling;
    if (frame) *frame = pos.frame;
    return rolling;
}

uint32_t jm_engine_midi_links(const jm_engine_t *e) { return e->midi_links; }
