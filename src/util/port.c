/* Finding a free port for a second console beside a first (docs/operations.md,
 * "Session managers"). */
#include "jmixd/util/port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#define TRIES 64

static int is_free(int socktype, const struct in_addr *addr, int port)
{
    int fd = socket(AF_INET, socktype | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    int one = 1;
    /* a TCP port in TIME_WAIT is usable by a server that sets this (lws does) */
    if (socktype == SOCK_STREAM) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr = *addr};
    int ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

int jm_port_is_free(int socktype, const char *bind_addr, int port)
{
    struct in_addr a;
    if (inet_pton(AF_INET, bind_addr, &a) != 1) return 0;
    return is_free(socktype, &a, port);
}

int jm_port_find(int socktype, const char *bind_addr, int first)
{
    struct in_addr a;
    if (first < 1 || inet_pton(AF_INET, bind_addr, &a) != 1) return 0;
    for (int p = first; p < first + TRIES && p <= 65535; p++)
        if (is_free(socktype, &a, p)) return p;
    return 0;
}
