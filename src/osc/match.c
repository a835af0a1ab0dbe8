/* OSC 1.0 address patterns (include/jmixd/osc/match.h): part by part, each
 * part by a reachability table over (pattern position, address position),
 * filled row by row (one row per address character). Every pair is looked
 * at once at most, so no pattern can make the work explode the way a
 * backtracking matcher does on "*?*?*?...". */
#include "jmixd/osc/match.h"

#include <string.h>

#define WORDS ((JM_OSC_MATCH_PART_MAX + 1 + 63) / 64)

/* The index just past the ']' of the set opening at p[i], or -1. */
static int set_end(const char *p, int n, int i)
{
    for (int k = i + 1; k < n; k++)
        if (p[k] == ']') return k + 1;
    return -1;
}

/* The index just past the '}' of the list opening at p[i], or -1. */
static int list_end(const char *p, int n, int i)
{
    for (int k = i + 1; k < n; k++)
        if (p[k] == '}') return k + 1;
    return -1;
}

/* c in the set p[a..b) ("a-z" ranges, single characters). */
static int in_set(const char *p, int a, int b, unsigned char c, uint64_t *work)
{
    for (int k = a; k < b; k++) {
        (*work)++;
        if (k + 2 < b && p[k + 1] == '-') {
            if (c >= (unsigned char)p[k] && c <= (unsigned char)p[k + 2]) return 1;
            k += 2;
        } else if ((unsigned char)p[k] == c) {
            return 1;
        }
    }
    return 0;
}

#define SET(row, i) ((row)[(i) >> 6] |= 1ULL << ((i) & 63))

/* One part: pattern p[0..pn) against address s[0..sn). 1, 0, or -1 over
 * budget. */
static int part(const char *p, int pn, const char *s, int sn, uint64_t *budget)
{
    if (pn > JM_OSC_MATCH_PART_MAX || sn > JM_OSC_MATCH_PART_MAX) return 0;
    int plain = 1;
    for (int k = 0; k < pn && plain; k++) plain = !strchr("*?[{", p[k]);
    if (plain) return pn == sn && !memcmp(p, s, (size_t)sn);

    uint64_t reach[JM_OSC_MATCH_PART_MAX + 1][WORDS];
    int words = (pn + 1 + 63) / 64;
    for (int t = 0; t <= sn; t++) memset(reach[t], 0, (size_t)words * sizeof reach[t][0]);
    SET(reach[0], 0);
    for (int t = 0; t <= sn; t++) {
        uint64_t *row = reach[t], work = (uint64_t)words;
        for (int w = 0; w < words; w++) {
            uint64_t bits = row[w];
            while (bits) {
                int b = __builtin_ctzll(bits);
                int i = w * 64 + b;
                work++;
                if (i == pn) {
                    if (t == sn) return 1;
                } else if (p[i] == '*') {
                    SET(row, i + 1); /* none */
                    if (t < sn) SET(reach[t + 1], i); /* one more */
                } else if (p[i] == '?') {
                    if (t < sn) SET(reach[t + 1], i + 1);
                } else if (p[i] == '[') {
                    int e = set_end(p, pn, i), a = i + 1, neg = a < pn && p[a] == '!';
                    if (e > 0 && t < sn &&
                        in_set(p, a + neg, e - 1, (unsigned char)s[t], &work) != neg)
                        SET(reach[t + 1], e);
                } else if (p[i] == '{') {
                    int e = list_end(p, pn, i);
                    for (int a = i + 1; e > 0 && a < e;) {
                        int z = a;
                        while (p[z] != ',' && p[z] != '}') z++;
                        int len = z - a;
                        work += (uint64_t)len + 1;
                        if (t + len <= sn && !memcmp(p + a, s + t, (size_t)len))
                            SET(reach[t + len], e);
                        a = z + 1;
                    }
                } else if (t < sn && p[i] == s[t]) {
                    SET(reach[t + 1], i + 1);
                }
                /* positions reached in this row lie ahead of i: read them again */
                bits = b == 63 ? 0 : row[w] & (~0ULL << (b + 1));
            }
        }
        if (work > *budget) {
            *budget = 0;
            return -1;
        }
        *budget -= work;
    }
    return 0;
}

/* Parts of a string and its length. */
static int parts(const char *x, uint64_t *len)
{
    int n = 1;
    const char *c = x;
    for (; *c; c++) n += *c == '/';
    *len = (uint64_t)(c - x);
    return n;
}

int jm_osc_match(const char *pattern, const char *address, uint64_t *budget)
{
    /* as many parts, or no match at all (the cheap test first) */
    uint64_t pl, al;
    int differ = parts(pattern, &pl) != parts(address, &al);
    uint64_t scan = (pl + al) / 4 + 1; /* a plain scan: a quarter of a table step */
    if (scan > *budget) {
        *budget = 0;
        return -1;
    }
    *budget -= scan;
    if (differ) return 0;
    const char *p = pattern, *s = address;
    for (;;) {
        const char *pe = strchrnul(p, '/'), *se = strchrnul(s, '/');
        scan = ((uint64_t)(pe - p) + (uint64_t)(se - s)) / 4 + 1;
        if (scan > *budget) {
            *budget = 0;
            return -1;
        }
        *budget -= scan;
        int r = part(p, (int)(pe - p) > JM_OSC_MATCH_PART_MAX ? JM_OSC_MATCH_PART_MAX + 1
                                                                : (int)(pe - p),
                     s, (int)(se - s) > JM_OSC_MATCH_PART_MAX ? JM_OSC_MATCH_PART_MAX + 1
                                                                : (int)(se - s),
                     budget);
        if (r <= 0) return r;
        if (!*pe || !*se) return !*pe && !*se;
        p = pe + 1;
        s = se + 1;
    }
}
