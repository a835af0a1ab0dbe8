/* Free ports, probed by binding (docs/operations.md, "Session managers").
 * A probe can race with another program: the real bind that follows still
 * reports its own failure.
 *
 * Threads: any (main thread in practice, before the console runs). */
#ifndef JMIXD_PORT_H
#define JMIXD_PORT_H

#include <netinet/in.h>

/* Can addr:port (socktype SOCK_DGRAM or SOCK_STREAM; a stream socket is
 * also listened on) be bound? 1 yes; 0 no, errno says why; -1 no socket
 * to try with. */
int jm_port_probe(int socktype, struct in_addr addr, int port);
/* The first free port of first, first+1, ... (64 tries), or 0 (none, or a
 * bad address or first < 1). */
int jm_port_find(int socktype, const char *bind_addr, int first);

#endif
