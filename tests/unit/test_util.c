/* The util helpers: the text buffer, the atomic file write, IPv4/CIDR. */
#include "jmixd/util/atomicfile.h"
#include "jmixd/util/cidr.h"
#include "jmixd/util/grow.h"
#include "jmixd/util/text.h"

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

static void test_text_grows(void **state)
{
    (void)state;
    jm_text_t b = {0};
    char *empty = jm_text_take(&b);
    assert_non_null(empty);
    assert_string_equal(empty, "");
    free(empty);
    for (int i = 0; i < 10000; i++) jm_text_printf(&b, "%d,", i % 10);
    assert_false(b.oom);
    assert_int_equal(b.n, 20000);
    assert_true(b.cap > b.n);
    assert_int_equal(strlen(b.d), 20000);
    jm_text_puts(&b, "end");
    jm_text_put(&b, "xyz", 2);
    assert_string_equal(b.d + 20000, "endxy");
    char *big = malloc(100000);
    assert_non_null(big);
    memset(big, 'a', 99999);
    big[99999] = '\0';
    jm_text_printf(&b, "%s!", big); /* longer than any first guess */
    assert_int_equal(b.n, 20005 + 100000);
    assert_int_equal(b.d[b.n - 1], '!');
    free(big);
    char *t = jm_text_take(&b);
    assert_non_null(t);
    assert_null(b.d);
    assert_int_equal(b.n, 0);
    free(t);
}

static void test_text_cap(void **state)
{
    (void)state;
    jm_text_t b = {.max = 64};
    jm_text_puts(&b, "0123456789");
    assert_false(b.oom);
    for (int i = 0; i < 10; i++) jm_text_puts(&b, "0123456789");
    assert_true(b.oom);
    assert_true(b.n < 64);
    size_t n = b.n;
    jm_text_puts(&b, "x"); /* nothing after a failure */
    assert_int_equal(b.n, n);
    assert_null(jm_text_take(&b));
    assert_int_equal(b.max, 64);
    assert_false(b.oom);
    jm_text_puts(&b, "again");
    assert_string_equal(b.d, "again");
    jm_text_free(&b);
    assert_null(b.d);
}

static char dir[64];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/jmt-util-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int n_entries(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void test_atomic_replaces(void **state)
{
    (void)state;
    char path[128], msg[256];
    snprintf(path, sizeof path, "%s/f.txt", dir);
    assert_int_equal(jm_atomic_write(path, "first\n", 6, msg, sizeof msg), 0);
    assert_string_equal(slurp(path), "first\n");
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(jm_atomic_write(path, "second", 6, NULL, 0), 0);
    assert_string_equal(slurp(path), "second");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600); /* permissions kept */
    assert_int_equal(n_entries(), 1);           /* no f.txt.tmp left */
    /* a stale temporary file from a crash is simply replaced */
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    assert_non_null(f);
    fputs("half a wri", f);
    fclose(f);
    assert_int_equal(jm_atomic_write(path, "third", 5, NULL, 0), 0);
    assert_string_equal(slurp(path), "third");
    assert_int_equal(n_entries(), 1);
}

static void test_atomic_failures(void **state)
{
    (void)state;
    char path[128], msg[256], tmp[160];
    snprintf(path, sizeof path, "%s/no/such/x", dir);
    assert_int_equal(jm_atomic_write(path, "x", 1, msg, sizeof msg), -1);
    assert_int_equal(errno, ENOENT);
    assert_non_null(strstr(msg, "cannot open the folder"));
    /* the destination is a folder: refused, nothing left behind */
    snprintf(path, sizeof path, "%s/sub", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    assert_int_equal(jm_atomic_write(path, "x", 1, msg, sizeof msg), -1);
    assert_int_equal(errno, EISDIR);
    assert_non_null(strstr(msg, "not a regular file"));
    /* PATH.tmp cannot be created: the old file stays */
    snprintf(path, sizeof path, "%s/keep", dir);
    assert_int_equal(jm_atomic_write(path, "old", 3, NULL, 0), 0);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    assert_int_equal(mkdir(tmp, 0755), 0);
    assert_int_equal(jm_atomic_write(path, "new", 3, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "cannot create"));
    assert_string_equal(slurp(path), "old");
    assert_int_equal(rmdir(tmp), 0);
    assert_int_equal(rmdir(path) == 0 || unlink(path) == 0, 1);
    snprintf(path, sizeof path, "%s/sub", dir);
    assert_int_equal(rmdir(path), 0);
}

static uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d)
{
    return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}

/* jm_grow: doubling from `first`, never NULL on success (not even for an
 * empty array: an owner asking room for 0 elements must not see a failure),
 * and the array kept when it already has room. */
static void test_grow(void **state)
{
    (void)state;
    int *a = NULL, cap = 0;
    int *g = jm_grow(a, &cap, 0, sizeof *a, 8);
    assert_non_null(g);
    assert_int_equal(cap, 8);
    a = g;
    for (int i = 0; i < 8; i++) a[i] = i;
    assert_ptr_equal(jm_grow(a, &cap, 8, sizeof *a, 8), a); /* room already */
    a = jm_grow(a, &cap, 9, sizeof *a, 8);
    assert_non_null(a);
    assert_int_equal(cap, 16);
    for (int i = 0; i < 8; i++) assert_int_equal(a[i], i); /* kept */
    a = jm_grow(a, &cap, 100, sizeof *a, 8);
    assert_int_equal(cap, 128);
    int before = cap;
    assert_null(jm_grow(a, &cap, 0x7fffffff, sizeof *a, 8)); /* too big: untouched */
    assert_int_equal(cap, before);
    free(a);
}

static void test_cidr(void **state)
{
    (void)state;
    static const char *const good[] = {"0.0.0.0/0", "10.0.0.0/8", "192.168.1.77/24",
                                       "255.255.255.255/32", "1.2.3.4"};
    static const char *const bad[] = {"", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.4/33",
                                      "1.2.3.4/", "01234.0.0.1", "1.2.3.4/8x", " 1.2.3.4",
                                      "1.2.3.4 ", "a.b.c.d", "1..2.3", "1.2.3.4/008"};
    jm_cidr_t c;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (jm_cidr_parse(good[i], &c)) fail_msg("refused '%s'", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (!jm_cidr_parse(bad[i], &c)) fail_msg("accepted '%s'", bad[i]);
    assert_int_equal(jm_cidr_parse(NULL, &c), -1);
    assert_int_equal(jm_cidr_parse("192.168.1.77/24", &c), 0);
    assert_int_equal(c.addr, ip(192, 168, 1, 0));
    assert_int_equal(c.mask, 0xffffff00u);
    assert_true(jm_cidr_match(&c, 1, ip(192, 168, 1, 200)));
    assert_false(jm_cidr_match(&c, 1, ip(192, 168, 2, 1)));
    char out[20];
    jm_cidr_format(&c, out);
    assert_string_equal(out, "192.168.1.0/24");
    assert_int_equal(jm_cidr_prefix_len(0), 0);
    assert_int_equal(jm_cidr_prefix_len(0xfff00000u), 12);
    assert_int_equal(jm_cidr_prefix_len(0xff00ff00u), -1);

    uint32_t a = 0;
    assert_int_equal(jm_ipv4_parse("127.0.0.1", &a), 0);
    assert_int_equal(a, ip(127, 0, 0, 1));
    assert_int_equal(jm_ipv4_parse("0.0.0.0", NULL), 0);
    assert_int_equal(jm_ipv4_parse("10.0.0.0/8", &a), -1); /* an address, not a range */
    assert_int_equal(jm_ipv4_parse("10.0.0", &a), -1);
    assert_int_equal(jm_ipv4_parse("300.1.1.1", &a), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_grows),
        cmocka_unit_test(test_text_cap),
        cmocka_unit_test_setup_teardown(test_atomic_replaces, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_atomic_failures, setup_dir, teardown_dir),
        cmocka_unit_test(test_cidr),
        cmocka_unit_test(test_grow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
