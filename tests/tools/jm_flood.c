/* jm_flood: send UDP datagrams as fast as one thread can, for a while.
 *
 *   jm_flood --port PORT [--host 127.0.0.1] --seconds S --in FILE [--rate N]
 *
 * FILE holds the datagrams to send, each as a 4-byte big-endian length and
 * the bytes; they are sent in order, round and round, with sendmmsg on a
 * connected socket (64 a call), until S seconds have passed. --rate N
 * paces to N datagrams a second (default 0: as fast as possible).
 * Replies are not read. At the end one line of JSON on stdout:
 *   {"sent": N, "seconds": T, "rate": R, "errors": E, "last": I}
 * where `last` is the index in FILE of the last datagram sent (a test can
 * end the flood on a known message by sending it again itself).
 * Exit 0, or 1 on bad usage or an unreadable FILE. Used by
 * tests/integration/test_robustness.py; links nothing of jmixd. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sendmmsg */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void usage(void)
{
    fprintf(stderr, "usage: jm_flood --port PORT [--host ADDR] --seconds S --in FILE [--rate N]\n");
    exit(1);
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *in = NULL;
    int port = 0;
    double seconds = 0, rate = 0;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc) usage();
        if (!strcmp(argv[i], "--port")) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--host")) host = argv[++i];
        else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--in")) in = argv[++i];
        else if (!strcmp(argv[i], "--rate")) rate = atof(argv[++i]);
        else usage();
    }
    if (port <= 0 || port > 65535 || seconds <= 0 || !in) usage();

    FILE *f = fopen(in, "rb");
    if (!f) {
        fprintf(stderr, "jm_flood: cannot open %s\n", in);
        return 1;
    }
    size_t n = 0, cap = 0;
    struct iovec *iov = NULL;
    for (;;) {
        unsigned char hdr[4];
        if (fread(hdr, 1, 4, f) != 4) break;
        uint32_t len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
        if (len > 65507) {
            fprintf(stderr, "jm_flood: datagram %zu is too long (%u)\n", n, len);
            return 1;
        }
        void *buf = malloc(len ? len : 1);
        if (!buf || fread(buf, 1, len, f) != len) {
            fprintf(stderr, "jm_flood: %s is truncated\n", in);
            return 1;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            iov = realloc(iov, cap * sizeof *iov);
            if (!iov) return 1;
        }
        iov[n].iov_base = buf;
        iov[n].iov_len = len;
        n++;
    }
    fclose(f);
    if (!n) {
        fprintf(stderr, "jm_flood: %s holds no datagram\n", in);
        return 1;
    }

    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (fd < 0 || inet_pton(AF_INET, host, &to.sin_addr) != 1 ||
        connect(fd, (struct sockaddr *)&to, sizeof to)) {
        fprintf(stderr, "jm_flood: cannot reach %s:%d: %s\n", host, port, strerror(errno));
        return 1;
    }
    int big = 1 << 22;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);

    struct mmsghdr msgs[BATCH];
    uint64_t sent = 0, errors = 0;
    size_t next = 0, last = 0;
    double t0 = now(), end = t0 + seconds, t = t0;
    while (t < end) {
        int k = BATCH;
        if (rate > 0) {
            /* how many are due by now */
            double due = (t - t0) * rate - (double)sent;
            if (due < 1) {
                struct timespec ts = {0, 200000};
                nanosleep(&ts, NULL);
                t = now();
                continue;
            }
            if (due < k) k = (int)due;
        }
        for (int j = 0; j < k; j++) {
            memset(&msgs[j], 0, sizeof msgs[j]);
            msgs[j].msg_hdr.msg_iov = &iov[(next + (size_t)j) % n];
            msgs[j].msg_hdr.msg_iovlen = 1;
        }
        int r = sendmmsg(fd, msgs, (unsigned)k, 0);
        if (r < 0) {
            errors++;
            if (errno != ENOBUFS && errno != EAGAIN && errno != ECONNREFUSED && errno != EINTR) {
                fprintf(stderr, "jm_flood: sendmmsg: %s\n", strerror(errno));
                break;
            }
        } else if (r > 0) {
            sent += (uint64_t)r;
            last = (next + (size_t)r - 1) % n;
            next = (next + (size_t)r) % n;
        }
        t = now();
    }
    double took = now() - t0;
    printf("{\"sent\": %llu, \"seconds\": %.3f, \"rate\": %.0f, \"errors\": %llu, \"last\": %zu}\n",
           (unsigned long long)sent, took, took > 0 ? (double)sent / took : 0.0,
           (unsigned long long)errors, last);
    close(fd);
    for (size_t i = 0; i < n; i++) free(iov[i].iov_base);
    free(iov);
    return 0;
}
