/* IPv4 addresses and CIDR ranges as written in session files: "a.b.c.d"
 * and "a.b.c.d/len" (decimal octets 0..255, at most three digits each;
 * len 0..32). The one parser for the loader, the writer and the OSC and
 * web access checks.
 *
 * Threads: any; pure functions, real-time safe. */
#ifndef JMIXD_UTIL_CIDR_H
#define JMIXD_UTIL_CIDR_H

#include <stdint.h>

typedef struct {
    uint32_t addr;  /* host byte order */
    uint32_t mask;  /* host byte order, e.g. 0xff000000 for /8 */
} jm_cidr_t;

/* "a.b.c.d" (nothing after it) into *out (host byte order); 0 or -1. */
int jm_ipv4_parse(const char *text, uint32_t *out);
/* "a.b.c.d" or "a.b.c.d/len" into *out (addr masked); 0 or -1. */
int jm_cidr_parse(const char *text, jm_cidr_t *out);
/* 1 when addr (host byte order) is inside one of the ranges. */
int jm_cidr_match(const jm_cidr_t *list, int n, uint32_t addr);
/* The prefix length of a contiguous mask (0..32), or -1. */
int jm_cidr_prefix_len(uint32_t mask);
/* "a.b.c.d/len" of a range whose mask is a prefix, into out. */
void jm_cidr_format(const jm_cidr_t *c, char out[20]);

#endif
