/* IPv4 and CIDR text (include/jmixd/util/cidr.h). */
#include "jmixd/util/cidr.h"

#include <stdio.h>

/* A decimal number of 1..maxdigits digits at *pp; advances *pp. */
static int parse_dec(const char **pp, int maxdigits, unsigned *out)
{
    const char *p = *pp;
    unsigned v = 0;
    int n = 0;
    while (*p >= '0' && *p <= '9') {
        if (++n > maxdigits) return -1;
        v = v * 10u + (unsigned)(*p - '0');
        p++;
    }
    if (n == 0) return -1;
    *pp = p;
    *out = v;
    return 0;
}

/* "a.b.c.d" at *pp (stops after the fourth octet). */
static int parse_quad(const char **pp, uint32_t *out)
{
    const char *p = *pp;
    uint32_t a = 0;
    for (int i = 0; i < 4; i++) {
        unsigned o;
        if (i > 0) {
            if (*p != '.') return -1;
            p++;
        }
        if (parse_dec(&p, 3, &o) < 0 || o > 255) return -1;
        a = (a << 8) | o;
    }
    *pp = p;
    *out = a;
    return 0;
}

int jm_ipv4_parse(const char *text, uint32_t *out)
{
    uint32_t a;
    const char *p = text;
    if (!text || parse_quad(&p, &a) < 0 || *p != '\0') return -1;
    if (out) *out = a;
    return 0;
}

int jm_cidr_parse(const char *text, jm_cidr_t *out)
{
    if (!text || !out) return -1;
    const char *p = text;
    uint32_t addr;
    unsigned len = 32;
    if (parse_quad(&p, &addr) < 0) return -1;
    if (*p == '/') {
        p++;
        if (parse_dec(&p, 2, &len) < 0 || len > 32) return -1;
    }
    if (*p != '\0') return -1;
    uint32_t mask = len == 0 ? 0u : 0xffffffffu << (32u - len);
    out->addr = addr & mask;
    out->mask = mask;
    return 0;
}

int jm_cidr_match(const jm_cidr_t *list, int n, uint32_t addr)
{
    for (int i = 0; i < n; i++)
        if ((addr & list[i].mask) == (list[i].addr & list[i].mask)) return 1;
    return 0;
}

int jm_cidr_prefix_len(uint32_t mask)
{
    int len = 0;
    while (len < 32 && (mask & (0x80000000u >> len))) len++;
    uint32_t want = len == 0 ? 0u : 0xffffffffu << (32 - len);
    return mask == want ? len : -1;
}

void jm_cidr_format(const jm_cidr_t *c, char out[20])
{
    uint32_t a = c->addr & c->mask;
    snprintf(out, 20, "%u.%u.%u.%u/%d", (unsigned)(a >> 24), (unsigned)(a >> 16) & 255u,
             (unsigned)(a >> 8) & 255u, (unsigned)a & 255u, jm_cidr_prefix_len(c->mask));
}
