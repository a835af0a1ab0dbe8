/* Finding a free port for a second console beside a first (docs/operations.md,
 * "Session managers"), and the web surface's check of its own port. */
#include "jmixd/util/port.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#define TRIES 64

int jm_port_probe(int socktype, struct in_addr addr, int port)
{
    int fd = socket(AF_INET, socktype | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    /* a TCP port in TIME_WAIT is usable by a server that sets this (lws does) */
    if (socktype == SOCK_STREAM) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr = addr};
    int ok = !bind(fd, (struct sockaddr *)&a, sizeof a) &&
             (socktype != SOCK_STREAM || !listen(fd, 1));
    int saved = errno;
    close(fd);
    errno = saved;
    return ok;
}

int jm_port_find(int socktype, const char *bind_addr, int first)
{
    struct in_addr a;
    if (first < 1 || inet_pton(AF_INET, bind_addr, &a) != 1) return 0;
    for (int p = first; p < first + TRIES && p <= 65535; p++)
        if (jm_port_probe(socktype, a, p) == 1) return p;
    return 0;
}
