/* bench_noise: a JACK client that plays independent uniform white noise
 * (-12 dBFS peak) on N outputs, for the live benchmark and the stress run
 * (scripts/bench.sh).
 *
 *   bench_noise --server NAME --ports N [--connect FMT]... [--seconds S]
 *               [--name CLIENT] [--after PORT]
 *
 * Every instance plays the same noise (the same seeds), so two instances
 * feed two mixers identically. --after PORT: also take PORT into an input
 * (ignored), so JACK runs this client after PORT's client: the graph
 * becomes a chain and two mixers never run at the same time.
 *
 * FMT is a port name with one %d, the 1-based output number: output k goes
 * to every FMT with %d = k (e.g. --connect 'jack_mix_box:Channel %d'), so
 * two mixers can hear exactly the same noise. Runs S seconds (default:
 * until SIGINT/SIGTERM), then prints "xruns N cycles M" (xruns the server
 * reported while it ran; process cycles seen) and exits 0; 2 on a JACK
 * error, 3 when the server went away. The process callback is real-time
 * safe (no allocation, locks or I/O). */
#include <jack/jack.h>

#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS 256
#define MAX_CONNECT 4

static jack_client_t *client;
static jack_port_t *ports[MAX_PORTS], *after_port;
static uint64_t rng[MAX_PORTS];
static int n_ports;
static atomic_uint xruns, cycles;
static atomic_bool gone;
static volatile sig_atomic_t stop;

static int process(jack_nframes_t n, void *arg)
{
    (void)arg;
    for (int p = 0; p < n_ports; p++) {
        float *out = jack_port_get_buffer(ports[p], n);
        uint64_t s = rng[p];
        for (jack_nframes_t k = 0; k < n; k++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            out[k] = (float)((double)(s >> 40) / (double)(1u << 24) * 2.0 - 1.0) * 0.25f;
        }
        rng[p] = s;
    }
    atomic_fetch_add(&cycles, 1);
    return 0;
}

static int on_xrun(void *arg)
{
    (void)arg;
    atomic_fetch_add(&xruns, 1);
    return 0;
}

static void on_shutdown(void *arg)
{
    (void)arg;
    atomic_store(&gone, true);
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_noise --server NAME --ports N [--connect FMT]... [--seconds S] "
                    "[--name CLIENT]\n");
    exit(1);
}

int main(int argc, char **argv)
{
    const char *server = NULL, *name = "bench_noise", *fmt[MAX_CONNECT], *after = NULL;
    int n_fmt = 0;
    double seconds = -1.0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) usage();
        if (!strcmp(a, "--server")) server = v;
        else if (!strcmp(a, "--name")) name = v;
        else if (!strcmp(a, "--ports")) n_ports = atoi(v);
        else if (!strcmp(a, "--seconds")) seconds = atof(v);
        else if (!strcmp(a, "--after")) after = v;
        else if (!strcmp(a, "--connect") && n_fmt < MAX_CONNECT) fmt[n_fmt++] = v;
        else usage();
        i++;
    }
    if (n_ports < 1 || n_ports > MAX_PORTS) usage();
    jack_status_t st;
    client = jack_client_open(name, server ? JackServerName | JackNoStartServer : JackNoStartServer,
                              &st, server);
    if (!client) {
        fprintf(stderr, "bench_noise: cannot open a JACK client (status 0x%x)\n", (unsigned)st);
        return 2;
    }
    for (int p = 0; p < n_ports; p++) {
        char pn[32];
        snprintf(pn, sizeof pn, "out_%d", p + 1);
        ports[p] = jack_port_register(client, pn, JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
        if (!ports[p]) {
            fprintf(stderr, "bench_noise: cannot register %s\n", pn);
            return 2;
        }
        rng[p] = 0x9e3779b97f4a7c15ull * (uint64_t)(p + 1) | 1;
    }
    if (after && !(after_port = jack_port_register(client, "after", JACK_DEFAULT_AUDIO_TYPE,
                                                   JackPortIsInput, 0))) {
        fprintf(stderr, "bench_noise: cannot register the input\n");
        return 2;
    }
    jack_set_process_callback(client, process, NULL);
    jack_set_xrun_callback(client, on_xrun, NULL);
    jack_on_shutdown(client, on_shutdown, NULL);
    if (jack_activate(client)) {
        fprintf(stderr, "bench_noise: cannot activate\n");
        return 2;
    }
    int failed = after ? jack_connect(client, after, jack_port_name(after_port)) != 0 : 0;
    for (int p = 0; p < n_ports; p++)
        for (int f = 0; f < n_fmt; f++) {
            char dst[256];
            snprintf(dst, sizeof dst, fmt[f], p + 1);
            if (jack_connect(client, jack_port_name(ports[p]), dst)) failed++;
        }
    if (failed) fprintf(stderr, "bench_noise: %d connections failed\n", failed);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    atomic_store(&xruns, 0);
    while (!stop && !atomic_load(&gone)) {
        usleep(20000);
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (seconds >= 0 && (double)(t.tv_sec - t0.tv_sec) + 1e-9 * (double)(t.tv_nsec - t0.tv_nsec) >= seconds)
            break;
    }
    printf("xruns %u cycles %u\n", atomic_load(&xruns), atomic_load(&cycles));
    fflush(stdout);
    if (atomic_load(&gone)) return 3;
    jack_deactivate(client);
    jack_client_close(client);
    return failed ? 2 : 0;
}
