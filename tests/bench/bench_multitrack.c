/* bench_multitrack (make bench-disk): a multitrack take of N mono strips and
 * the master (jm_mtrack_t, the daemon's code) fed in real time, one period
 * at a time from a thread standing in for JACK's (absolute-time sleeps),
 * for S seconds, into DIR. Prints every minute and at the end: audio
 * seconds taken, frames dropped (must stay 0), the files' bytes and the
 * write rate, the process's CPU (feeder and disk thread) and the longest
 * jm_mtrack_write call. A benchmark, not a test: what it says depends on
 * the disk.
 *
 * usage: bench_multitrack [--strips 64] [--seconds 600] [--rate 48000]
 *                         [--period 64] [--dir /tmp] */
#include "jmixd/io/multitrack.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double cpu(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + 1e-6 * (double)u.ru_utime.tv_usec +
           (double)u.ru_stime.tv_sec + 1e-6 * (double)u.ru_stime.tv_usec;
}

static long long folder_bytes(const char *dir)
{
    DIR *d = opendir(dir);
    long long sum = 0;
    if (!d) return -1;
    struct dirent *e;
    char path[4400];
    while ((e = readdir(d))) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (e->d_name[0] != '.' && !stat(path, &st)) sum += st.st_size;
    }
    closedir(d);
    return sum;
}

int main(int argc, char **argv)
{
    int strips = 64, seconds = 600, rate = 48000, period = 64;
    const char *dir = "/tmp";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--strips") && i + 1 < argc) strips = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--rate") && i + 1 < argc) rate = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--period") && i + 1 < argc) period = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc) dir = argv[++i];
        else {
            fprintf(stderr, "usage: bench_multitrack [--strips N] [--seconds S] [--rate HZ] "
                            "[--period FRAMES] [--dir DIR]\n");
            return 1;
        }
    }
    if (strips < 1 || strips > 512 || seconds < 1 || period < 16 || period > 8192) {
        fprintf(stderr, "bench_multitrack: bad arguments\n");
        return 1;
    }
    static jm_mtrack_strip_t st[512];
    static char names[512][16];
    for (int s = 0; s < strips; s++) {
        snprintf(names[s], sizeof names[s], "in%d", s + 1);
        st[s] = (jm_mtrack_strip_t){names[s], 0};
    }
    jm_log_t log = {.level = JM_LOG_WARN};
    jm_mtrack_t *m = jm_mtrack_create((uint32_t)rate, strips, st, 2.0, &log);
    if (!m) {
        fprintf(stderr, "bench_multitrack: cannot create the recorder\n");
        return 1;
    }
    char err[512], take[64], folder[4096];
    snprintf(take, sizeof take, "bench-multitrack-%d", (int)getpid());
    if (jm_mtrack_start(m, dir, take, 0, err, sizeof err)) {
        fprintf(stderr, "bench_multitrack: %s\n", err);
        return 1;
    }
    jm_mtrack_status(m, NULL, folder, sizeof folder, NULL, NULL);
    /* noise-like content (a file system may compress zeros) */
    float *buf = malloc((size_t)period * sizeof *buf);
    const float **in = calloc(2 * (size_t)strips, sizeof *in);
    for (int k = 0; k < period; k++) buf[k] = (float)((k * 2654435761u) % 65536) / 65536.0f - 0.5f;
    for (int s = 0; s < strips; s++) in[2 * s] = buf;
    printf("bench_multitrack: %d mono strips + master (%d channels) at %d Hz, period %d, %d s, "
           "into %s\n", strips, strips + 2, rate, period, seconds, folder);
    printf("%8s %10s %10s %12s %10s %14s\n", "audio s", "dropped", "MB", "MB/s", "CPU %",
           "longest write");
    fflush(stdout);
    uint64_t total = (uint64_t)seconds * (uint64_t)rate, done = 0;
    double t0 = now(), c0 = cpu(), longest = 0.0, next_report = 60.0;
    struct timespec wake;
    clock_gettime(CLOCK_MONOTONIC, &wake);
    const long step_ns = (long)((double)period * 1e9 / rate);
    while (done < total) {
        double a = now();
        jm_mtrack_write(m, in, buf, buf, (uint32_t)period);
        double b = now() - a;
        if (b > longest) longest = b;
        done += (uint64_t)period;
        wake.tv_nsec += step_ns;
        while (wake.tv_nsec >= 1000000000L) wake.tv_sec++, wake.tv_nsec -= 1000000000L;
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &wake, NULL);
        double secs = (double)done / rate;
        if (secs >= next_report || done >= total) {
            uint64_t dropped;
            jm_mtrack_status(m, NULL, NULL, 0, NULL, &dropped);
            double mb = (double)folder_bytes(folder) / 1e6, wall = now() - t0;
            printf("%8.0f %10llu %10.1f %12.2f %10.2f %11.1f us\n", secs, (unsigned long long)dropped,
                   mb, mb / wall, 100.0 * (cpu() - c0) / wall, longest * 1e6);
            fflush(stdout);
            next_report += 60.0;
        }
    }
    uint64_t dropped;
    if (jm_mtrack_stop(m)) fprintf(stderr, "bench_multitrack: a write failed\n");
    jm_mtrack_status(m, NULL, NULL, 0, NULL, &dropped);
    double mb = (double)folder_bytes(folder) / 1e6;
    printf("bench_multitrack: %.1f MB in %d files, %llu frames dropped; %s\n", mb, strips + 1,
           (unsigned long long)dropped, dropped ? "FAIL" : "ok");
    jm_mtrack_destroy(m);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", folder);
    if (system(cmd)) fprintf(stderr, "bench_multitrack: could not remove %s\n", folder);
    free(buf);
    free(in);
    return dropped ? 1 : 0;
}
