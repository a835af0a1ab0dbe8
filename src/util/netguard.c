/* Per-peer rate limit and the console's own endpoints (netguard.h). */
#include "jmixd/util/netguard.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void jm_peerlimit_init(jm_peerlimit_t *l, double rate, double burst)
{
    memset(l, 0, sizeof *l);
    l->rate = rate;
    l->burst = burst;
}

int jm_peerlimit_take(jm_peerlimit_t *l, const struct sockaddr_in *to, double now)
{
    uint32_t a = to->sin_addr.s_addr;
    uint16_t p = to->sin_port;
    uint32_t h = (a * 2654435761u) ^ ((uint32_t)p * 40503u);
    jm_peerslot_t *s = &l->slot[(h >> 16) % JM_PEERLIMIT_SLOTS];
    if (!s->used || s->addr != a || s->port != p) {
        *s = (jm_peerslot_t){.addr = a, .port = p, .used = 1, .tokens = l->burst, .last = now};
    } else if (now > s->last) {
        s->tokens += (now - s->last) * l->rate;
        if (s->tokens > l->burst) s->tokens = l->burst;
        s->last = now;
    }
    if (s->tokens < 1.0) return 0;
    s->tokens -= 1.0;
    return 1;
}

void jm_self_add_fd(jm_selfaddrs_t *s, int fd)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    if (fd < 0 || s->n >= JM_SELF_MAX || getsockname(fd, (struct sockaddr *)&a, &len) ||
        a.sin_family != AF_INET)
        return;
    s->a[s->n++] = a;
}

int jm_addr_is_local(uint32_t addr)
{
    uint32_t h = ntohl(addr);
    if (h == INADDR_ANY || (h >> 24) == 127) return 1;
    /* the addresses of the interfaces, read now: they may change */
    struct ifaddrs *ifs = NULL;
    if (getifaddrs(&ifs)) return 0;
    int local = 0;
    for (struct ifaddrs *i = ifs; i && !local; i = i->ifa_next)
        local = i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
                ((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr.s_addr == addr;
    freeifaddrs(ifs);
    return local;
}

int jm_self_is(const jm_selfaddrs_t *s, const struct sockaddr_in *to)
{
    int local = -1; /* not looked up yet: most sends never need it */
    for (int k = 0; k < s->n; k++) {
        const struct sockaddr_in *me = &s->a[k];
        if (me->sin_port != to->sin_port) continue;
        if (me->sin_addr.s_addr == to->sin_addr.s_addr || to->sin_addr.s_addr == INADDR_ANY)
            return 1;
        if (me->sin_addr.s_addr == INADDR_ANY) {
            if (local < 0) local = jm_addr_is_local(to->sin_addr.s_addr);
            if (local) return 1;
        }
    }
    return 0;
}
