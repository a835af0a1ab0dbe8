/* jm_midi: a JACK MIDI test client that plays a surface to jmixd.
 *
 *   jm_midi [--server NAME] [--name CLIENT] [--to PORT]... [--from PORT]...
 *           [--send "b0 0a 00"]... [--gap-ms MS] [--flood N_PER_S:SECONDS]
 *           [--flood-msg "b0 0b 00"] [--stdin] [--seconds S]
 *
 * Registers CLIENT:out (MIDI output) and CLIENT:in (MIDI input), connects
 * out to every --to port and every --from port to in, prints "ready" on
 * stdout once connected, then:
 *   --send HEX    one message (hex bytes, any spacing), in the order given,
 *                 one JACK cycle apart, or --gap-ms apart;
 *   --flood N:S   N messages a second for S seconds (N*S in all), spread
 *                 evenly over the frames of every cycle (the last data byte
 *                 counts 0..127); the run waits until all went (at most
 *                 5*S + 5 s: JACK cycles run late on a loaded machine);
 *   --stdin       every line read from stdin is a message to send at once
 *                 ("wait MS" lines pause the reading); EOF ends the input.
 * Everything arriving on `in` is recorded with its JACK frame time. The run
 * ends after --seconds (counted once everything was sent; default 0.3), on
 * SIGINT/SIGTERM, or at EOF of --stdin plus --seconds; then one line of
 * JSON on stdout:
 *   {"rate": R, "sent": N, "send_failed": F, "received": [[FRAME, "b0 0a 00"], ...],
 *    "lost": L}
 * (lost: events that did not fit the recorder). Exit 0; 1 bad usage or
 * no JACK server; 2 a --to/--from port did not connect. Used by
 * tests/integration/test_midi.py and test_mcu.py through jmtest.Midi. */
#include "jmixd/util/queue.h"

#include <jack/jack.h>
#include <jack/midiport.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MSG_MAX 256
#define MAX_ARGS 256

typedef struct {
    uint32_t frame;
    uint16_t len;
    uint8_t data[MSG_MAX];
} ev_t;

typedef struct {
    jack_client_t *client;
    jack_port_t *in, *out;
    jm_queue_t tx;              /* main -> process: messages to send */
    jm_queue_t rx;              /* process -> main: what arrived */
    _Atomic uint64_t sent, send_failed, lost;
    /* flood (process thread) */
    double flood_rate;          /* messages a second; 0: none */
    uint64_t flood_total;
    uint64_t flood_done;        /* process thread */
    double flood_acc;
    uint8_t flood_msg[3];
    int flood_len;
    atomic_int flood_on;
} tool_t;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void sleep_s(double s)
{
    if (s <= 0) return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

static int process(jack_nframes_t n, void *arg)
{
    tool_t *t = arg;
    void *ib = jack_port_get_buffer(t->in, n);
    void *ob = jack_port_get_buffer(t->out, n);
    jack_nframes_t t0 = jack_last_frame_time(t->client);
    uint32_t count = jack_midi_get_event_count(ib);
    for (uint32_t k = 0; k < count; k++) {
        jack_midi_event_t e;
        if (jack_midi_event_get(&e, ib, k)) continue;
        ev_t ev = {.frame = t0 + e.time, .len = (uint16_t)(e.size < MSG_MAX ? e.size : MSG_MAX)};
        memcpy(ev.data, e.buffer, ev.len);
        if (!jm_queue_push(&t->rx, &ev)) atomic_fetch_add(&t->lost, 1);
    }
    jack_midi_clear_buffer(ob);
    ev_t ev;
    while (jm_queue_pop(&t->tx, &ev)) {
        if (jack_midi_event_write(ob, 0, ev.data, ev.len) == 0) atomic_fetch_add(&t->sent, 1);
        else atomic_fetch_add(&t->send_failed, 1);
    }
    if (atomic_load(&t->flood_on) && t->flood_done < t->flood_total) {
        t->flood_acc += t->flood_rate * n / jack_get_sample_rate(t->client);
        uint32_t m = (uint32_t)t->flood_acc;
        t->flood_acc -= m;
        for (uint32_t k = 0; k < m && t->flood_done < t->flood_total; k++) {
            uint8_t msg[3];
            memcpy(msg, t->flood_msg, 3);
            msg[t->flood_len - 1] = (uint8_t)(t->flood_done & 0x7f);
            jack_nframes_t at = (jack_nframes_t)((uint64_t)k * n / m);
            if (jack_midi_event_write(ob, at, msg, (size_t)t->flood_len) == 0)
                atomic_fetch_add(&t->sent, 1);
            else atomic_fetch_add(&t->send_failed, 1);
            t->flood_done++;
        }
    }
    return 0;
}

/* Hex bytes ("b0 0a 00", "b00a00", "F0 00 F7") into out; length or -1. */
static int parse_hex(const char *s, uint8_t *out, int cap)
{
    int n = 0, half = -1;
    for (; *s; s++) {
        int v;
        if (*s >= '0' && *s <= '9') v = *s - '0';
        else if (*s >= 'a' && *s <= 'f') v = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'F') v = *s - 'A' + 10;
        else if (*s == ' ' || *s == '\t' || *s == ',' || *s == '\n' || *s == '\r') {
            if (half >= 0) {
                if (n >= cap) return -1;
                out[n++] = (uint8_t)half;
                half = -1;
            }
            continue;
        } else return -1;
        if (half < 0) half = v;
        else {
            if (n >= cap) return -1;
            out[n++] = (uint8_t)(half * 16 + v);
            half = -1;
        }
    }
    if (half >= 0) {
        if (n >= cap) return -1;
        out[n++] = (uint8_t)half;
    }
    return n;
}

static void usage(void)
{
    fprintf(stderr, "usage: jm_midi [--server NAME] [--name CLIENT] [--to PORT]... [--from PORT]...\n"
                    "               [--send HEX]... [--gap-ms MS] [--flood N_PER_S:SECONDS]\n"
                    "               [--flood-msg HEX] [--stdin] [--seconds S]\n");
    exit(1);
}

/* Queue one message for the next cycle (waits while the queue is full). */
static void send_msg(tool_t *t, const uint8_t *b, int len)
{
    ev_t ev = {.len = (uint16_t)len};
    memcpy(ev.data, b, (size_t)len);
    while (!jm_queue_push(&t->tx, &ev) && !stop) sleep_s(0.001);
}

static size_t drain(tool_t *t, ev_t **all, size_t *n, size_t *cap)
{
    ev_t ev;
    size_t got = 0;
    while (jm_queue_pop(&t->rx, &ev)) {
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 1024;
            ev_t *na = realloc(*all, nc * sizeof *na);
            if (!na) { atomic_fetch_add(&t->lost, 1); continue; }
            *all = na;
            *cap = nc;
        }
        (*all)[(*n)++] = ev;
        got++;
    }
    return got;
}

int main(int argc, char **argv)
{
    const char *server = NULL, *name = "jm_midi";
    const char *to[MAX_ARGS], *from[MAX_ARGS], *sends[MAX_ARGS];
    int n_to = 0, n_from = 0, n_sends = 0, use_stdin = 0;
    double gap_ms = 0, seconds = 0.3, flood_rate = 0, flood_s = 0;
    uint8_t flood_msg[3] = {0xb0, 0x0b, 0x00};
    int flood_len = 3;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--stdin")) { use_stdin = 1; continue; }
        if (i + 1 >= argc) usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--server")) server = v;
        else if (!strcmp(a, "--name")) name = v;
        else if (!strcmp(a, "--to") && n_to < MAX_ARGS) to[n_to++] = v;
        else if (!strcmp(a, "--from") && n_from < MAX_ARGS) from[n_from++] = v;
        else if (!strcmp(a, "--send") && n_sends < MAX_ARGS) sends[n_sends++] = v;
        else if (!strcmp(a, "--gap-ms")) gap_ms = atof(v);
        else if (!strcmp(a, "--seconds")) seconds = atof(v);
        else if (!strcmp(a, "--flood")) {
            if (sscanf(v, "%lf:%lf", &flood_rate, &flood_s) != 2 || flood_rate <= 0 || flood_s <= 0)
                usage();
        } else if (!strcmp(a, "--flood-msg")) {
            flood_len = parse_hex(v, flood_msg, 3);
            if (flood_len < 2) usage();
        } else usage();
    }
    for (int k = 0; k < n_sends; k++) {
        uint8_t b[MSG_MAX];
        if (parse_hex(sends[k], b, MSG_MAX) <= 0) usage();
    }
    static tool_t t;
    if (jm_queue_init(&t.tx, sizeof(ev_t), 4096) || jm_queue_init(&t.rx, sizeof(ev_t), 65536)) {
        fprintf(stderr, "jm_midi: out of memory\n");
        return 1;
    }
    t.flood_rate = flood_rate;
    t.flood_total = (uint64_t)(flood_rate * flood_s);
    memcpy(t.flood_msg, flood_msg, 3);
    t.flood_len = flood_len;
    jack_status_t st;
    jack_options_t opt = JackNoStartServer | (server ? JackServerName : 0);
    t.client = server ? jack_client_open(name, opt, &st, server) : jack_client_open(name, opt, &st);
    if (!t.client) {
        fprintf(stderr, "jm_midi: no JACK server\n");
        return 1;
    }
    t.in = jack_port_register(t.client, "in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    t.out = jack_port_register(t.client, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    if (!t.in || !t.out) {
        fprintf(stderr, "jm_midi: cannot register ports\n");
        return 1;
    }
    jack_set_process_callback(t.client, process, &t);
    if (jack_activate(t.client)) {
        fprintf(stderr, "jm_midi: cannot activate\n");
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    int rc = 0;
    for (int k = 0; k < n_to; k++)
        if (jack_connect(t.client, jack_port_name(t.out), to[k])) {
            fprintf(stderr, "jm_midi: cannot connect to %s\n", to[k]);
            rc = 2;
        }
    for (int k = 0; k < n_from; k++)
        if (jack_connect(t.client, from[k], jack_port_name(t.in))) {
            fprintf(stderr, "jm_midi: cannot connect from %s\n", from[k]);
            rc = 2;
        }
    if (rc) {
        jack_client_close(t.client);
        return rc;
    }
    /* connections take effect from the next cycle on */
    sleep_s(2.5 * jack_get_buffer_size(t.client) / (double)jack_get_sample_rate(t.client) + 0.01);
    printf("ready\n");
    fflush(stdout);

    ev_t *all = NULL;
    size_t n_all = 0, cap = 0;
    double cycle = jack_get_buffer_size(t.client) / (double)jack_get_sample_rate(t.client);
    for (int k = 0; k < n_sends && !stop; k++) {
        uint8_t b[MSG_MAX];
        int len = parse_hex(sends[k], b, MSG_MAX);
        send_msg(&t, b, len);
        sleep_s(gap_ms > 0 ? gap_ms * 1e-3 : cycle * 1.2);
        drain(&t, &all, &n_all, &cap);
    }
    if (t.flood_total) {
        atomic_store(&t.flood_on, 1);
        /* until every message went (JACK's cycles may run late on a loaded
         * machine), within reason */
        double end = now() + 5.0 * flood_s + 5.0;
        while (!stop && now() < end &&
               atomic_load(&t.sent) + atomic_load(&t.send_failed) < t.flood_total) {
            sleep_s(0.01);
            drain(&t, &all, &n_all, &cap);
        }
    }
    if (use_stdin) {
        char line[4 * MSG_MAX];
        while (!stop && fgets(line, sizeof line, stdin)) {
            double ms;
            if (sscanf(line, "wait %lf", &ms) == 1) {
                sleep_s(ms * 1e-3);
            } else {
                uint8_t b[MSG_MAX];
                int len = parse_hex(line, b, MSG_MAX);
                if (len > 0) send_msg(&t, b, len);
            }
            drain(&t, &all, &n_all, &cap);
        }
    }
    double end = now() + seconds;
    while (!stop && now() < end) {
        sleep_s(0.005);
        drain(&t, &all, &n_all, &cap);
    }
    jack_deactivate(t.client);
    drain(&t, &all, &n_all, &cap);
    printf("{\"rate\": %u, \"sent\": %llu, \"send_failed\": %llu, \"lost\": %llu, \"received\": [",
           jack_get_sample_rate(t.client), (unsigned long long)atomic_load(&t.sent),
           (unsigned long long)atomic_load(&t.send_failed), (unsigned long long)atomic_load(&t.lost));
    for (size_t k = 0; k < n_all; k++) {
        printf("%s[%u, \"", k ? ", " : "", all[k].frame);
        for (int j = 0; j < all[k].len; j++) printf("%s%02x", j ? " " : "", all[k].data[j]);
        printf("\"]");
    }
    printf("]}\n");
    fflush(stdout);
    jack_client_close(t.client);
    free(all);
    return 0;
}
