/* The OSC address pattern matcher (include/jmixd/osc/match.h): OSC 1.0
 * syntax, parts never crossed, the same answers as a plain backtracking
 * reference on random patterns, and a cost that stays bounded on the
 * patterns that used to hold the OSC thread for seconds. */
#include "jmixd/osc/match.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

static int match(const char *pat, const char *addr)
{
    uint64_t budget = 1000000;
    return jm_osc_match(pat, addr, &budget);
}

static void test_syntax(void **state)
{
    (void)state;
    assert_int_equal(match("/strip/1/fader", "/strip/1/fader"), 1);
    assert_int_equal(match("/strip/1/fader", "/strip/1/fade"), 0);
    assert_int_equal(match("/strip/?/fader", "/strip/1/fader"), 1);
    assert_int_equal(match("/strip/?/fader", "/strip/12/fader"), 0);
    assert_int_equal(match("/strip/*/fader", "/strip/keys/fader"), 1);
    assert_int_equal(match("/strip/*/fader", "/strip//fader"), 1);       /* '*' may be empty */
    assert_int_equal(match("/strip/*", "/strip/1/fader"), 0);            /* never crosses '/' */
    assert_int_equal(match("/*/*/fader", "/strip/1/fader"), 1);
    assert_int_equal(match("/strip/[123]/mute", "/strip/2/mute"), 1);
    assert_int_equal(match("/strip/[123]/mute", "/strip/4/mute"), 0);
    assert_int_equal(match("/strip/[1-3]/mute", "/strip/3/mute"), 1);
    assert_int_equal(match("/strip/[a-cx]*", "/strip/xylo"), 1);
    assert_int_equal(match("/strip/[!1]/mute", "/strip/1/mute"), 0);
    assert_int_equal(match("/strip/[!1]/mute", "/strip/2/mute"), 1);
    assert_int_equal(match("/strip/1/{fader,pan}", "/strip/1/pan"), 1);
    assert_int_equal(match("/strip/1/{fader,pan}", "/strip/1/mute"), 0);
    assert_int_equal(match("/strip/{1,12}/fader", "/strip/12/fader"), 1);
    assert_int_equal(match("/{strip,bus}/*/{fa,pa}*", "/bus/verb/pan"), 1);
    assert_int_equal(match("/strip/1/[fm]*{er,te}", "/strip/1/mute"), 1);
    assert_int_equal(match("/strip/1/fader[", "/strip/1/fader["), 0);   /* unclosed set */
    assert_int_equal(match("/strip/{a,b", "/strip/a"), 0);               /* unclosed list */
    assert_int_equal(match("/strip/{,x}1", "/strip/1"), 1);              /* empty alternative */
}

/* The plain backtracking definition, for small inputs. */
static int ref_part(const char *p, const char *pe, const char *s, const char *se)
{
    if (p == pe) return s == se;
    if (*p == '*') {
        for (const char *t = s; t <= se; t++)
            if (ref_part(p + 1, pe, t, se)) return 1;
        return 0;
    }
    if (*p == '?') return s < se && ref_part(p + 1, pe, s + 1, se);
    if (*p == '[') {
        const char *e = memchr(p, ']', (size_t)(pe - p));
        if (!e || s == se) return 0;
        const char *a = p + 1;
        int neg = a < e && *a == '!', in = 0;
        for (const char *k = a + neg; k < e; k++) {
            if (k + 2 < e && k[1] == '-') {
                if ((unsigned char)*s >= (unsigned char)k[0] && (unsigned char)*s <= (unsigned char)k[2]) in = 1;
                k += 2;
            } else if (*k == *s) {
                in = 1;
            }
        }
        return in != neg && ref_part(e + 1, pe, s + 1, se);
    }
    if (*p == '{') {
        const char *e = memchr(p, '}', (size_t)(pe - p));
        if (!e) return 0;
        for (const char *a = p + 1; a <= e;) {
            const char *z = a;
            while (*z != ',' && *z != '}') z++;
            size_t n = (size_t)(z - a);
            if ((size_t)(se - s) >= n && !memcmp(a, s, n) && ref_part(e + 1, pe, s + n, se))
                return 1;
            a = z + 1;
        }
        return 0;
    }
    return s < se && *p == *s && ref_part(p + 1, pe, s + 1, se);
}

static int ref(const char *p, const char *s)
{
    for (;;) {
        const char *pe = strchrnul(p, '/'), *se = strchrnul(s, '/');
        if (!ref_part(p, pe, s, se)) return 0;
        if (!*pe || !*se) return !*pe && !*se;
        p = pe + 1;
        s = se + 1;
    }
}

static void test_same_as_reference(void **state)
{
    (void)state;
    static const char *const addrs[] = {"/strip/1/fader", "/strip/12/pan", "/bus/verb/mute",
                                        "/master/fader", "/strip/keys/eq/1/gain", "/a/b"};
    static const char *const pieces[] = {"*", "?", "[0-9]", "[!a]", "[a-z]", "{fader,pan}",
                                         "{1,12,}", "/", "strip", "1", "a", "e", "r", "f", "*?"};
    srand(20261206);
    int n = 0, hits = 0;
    for (int k = 0; k < 20000; k++) {
        char pat[256] = "";
        if (k % 2) {
            /* random pieces */
            strcat(pat, "/");
            int m = 1 + rand() % 8;
            for (int j = 0; j < m; j++) strcat(pat, pieces[rand() % (sizeof pieces / sizeof *pieces)]);
        } else {
            /* an address with some characters turned into wildcards */
            const char *a = addrs[rand() % (sizeof addrs / sizeof *addrs)];
            for (const char *c = a; *c; c++) {
                int r = rand() % 10;
                if (*c == '/' || r > 2) strncat(pat, c, 1);
                else if (r == 0) strcat(pat, "?");
                else if (r == 1) strcat(pat, "*");
                else strcat(pat, "[a-z0-9]");
            }
        }
        for (size_t a = 0; a < sizeof addrs / sizeof *addrs; a++) {
            int want = ref(pat, addrs[a]), got = match(pat, addrs[a]);
            if (want != got) fail_msg("%s vs %s: %d, expected %d", pat, addrs[a], got, want);
            n++;
            hits += want;
        }
    }
    print_message("%d pattern/address pairs agree with the reference (%d matches)\n", n, hits);
    assert_true(hits > 100);
}

/* The patterns of issue 14: each costs a bounded amount of work. */
static void test_cost_bounded(void **state)
{
    (void)state;
    char big[1100];
    static const char *const bad[] = {"/*?*?*?*?*?*?*?*Z", "/*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*Z",
                                      "/strip/*/*/*/*/*/*/*/*/fader"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        uint64_t budget = 1u << 30, before = budget;
        assert_int_equal(jm_osc_match(bad[k], "/strip/keys/eq/1/gain", &budget), 0);
        print_message("%-40s %llu units\n", bad[k], (unsigned long long)(before - budget));
        assert_true(before - budget < 2000);
    }
    /* a 255-character part of stars and '?' against a 256-character part */
    big[0] = '/';
    for (int i = 1; i < 255; i++) big[i] = i % 2 ? '*' : '?';
    big[255] = 'Z';
    big[256] = '\0';
    char addr[300] = "/";
    memset(addr + 1, 'a', 256);
    addr[257] = '\0';
    uint64_t budget = 1u << 30, before = budget;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(jm_osc_match(big, addr, &budget), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double us = (t1.tv_sec - t0.tv_sec) * 1e6 + (t1.tv_nsec - t0.tv_nsec) * 1e-3;
    print_message("255x256 worst part: %llu units, %.0f us\n",
                  (unsigned long long)(before - budget), us);
    assert_true(before - budget < 200000);
    /* over budget: -1 and nothing left */
    budget = 1000;
    assert_int_equal(jm_osc_match(big, addr, &budget), -1);
    assert_int_equal(budget, 0);
    /* longer parts match nothing */
    memset(addr + 1, 'a', 280);
    addr[281] = '\0';
    budget = 1u << 20;
    assert_int_equal(jm_osc_match("/*", addr, &budget), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syntax),
        cmocka_unit_test(test_same_as_reference),
        cmocka_unit_test(test_cost_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
