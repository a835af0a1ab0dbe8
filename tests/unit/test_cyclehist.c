/* Cycle-time histogram: bucket edges, percentiles against a known
 * distribution, the 10-second window and the maximum. */
#include "jmixd/util/cyclehist.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

/* each test's histogram and statistics, cleared before it runs */
static jm_cyclehist_t hist;
static jm_cyclestats_t stats;

static int fresh(void **state)
{
    (void)state;
    memset(&hist, 0, sizeof hist);
    jm_cyclestats_init(&stats);
    return 0;
}

static void test_buckets_cover_their_values(void **state)
{
    (void)state;
    /* every duration lies below its bucket's upper edge and at or above the
     * previous one's; buckets only grow */
    int last = 0;
    for (uint32_t ns = 0; ns < 300000000u; ns += ns < 200000 ? 7 : 9973) {
        int b = jm_cyclehist_bucket(ns);
        assert_true(b >= last);
        last = b;
        assert_true(b >= 0 && b < JM_CYCLE_BUCKETS);
        if (b < JM_CYCLE_BUCKETS - 1) assert_true(ns < jm_cyclehist_upper_ns(b));
        if (b > 0) assert_true(ns >= jm_cyclehist_upper_ns(b - 1));
    }
    assert_int_equal(jm_cyclehist_bucket(0), 0);
    assert_int_equal(jm_cyclehist_bucket(249), 0);
    assert_int_equal(jm_cyclehist_bucket(250), 1);
    assert_int_equal(jm_cyclehist_upper_ns(JM_CYCLE_LINEAR - 1), 64000);
    assert_int_equal(jm_cyclehist_bucket(64000), JM_CYCLE_LINEAR);
    assert_int_equal(jm_cyclehist_upper_ns(JM_CYCLE_LINEAR), 72000);     /* 8 per octave */
    assert_int_equal(jm_cyclehist_bucket(128000), JM_CYCLE_LINEAR + 8);
    assert_int_equal(jm_cyclehist_upper_ns(JM_CYCLE_LINEAR + 8), 144000);
    assert_int_equal(jm_cyclehist_bucket(UINT32_MAX), JM_CYCLE_BUCKETS - 1);
}

static void test_percentiles_and_max(void **state)
{
    (void)state;
    jm_cyclehist_t *h = &hist;
    jm_cyclestats_t *st = &stats;
    jm_cyclestats_tick(st, h, 100.0);
    /* 1000 cycles: 20.0..29.99 us evenly (10 ns apart), one of 5 ms */
    for (int k = 0; k < 1000; k++) jm_cyclehist_add(h, 20000 + 10 * k);
    jm_cyclehist_add(h, 5000000);
    jm_cycle_figures_t f;
    jm_cyclestats_read(st, h, &f);
    assert_int_equal(f.cycles, 1001);
    assert_int_equal(f.max_ns, 5000000);
    /* the 501st of 1001 is 25.00 us: bucket [25.0, 25.25) */
    assert_int_equal(f.median_ns, 25250);
    /* the 991st is 29.90 us: bucket [29.75, 30.0) */
    assert_int_equal(f.p99_ns, 30000);
}

static void test_window_forgets_old_seconds(void **state)
{
    (void)state;
    jm_cyclehist_t *h = &hist;
    jm_cyclestats_t *st = &stats;
    double t = 0.0;
    jm_cyclestats_tick(st, h, t);
    /* one second of slow cycles, then 12 seconds of fast ones */
    for (int k = 0; k < 750; k++) jm_cyclehist_add(h, 100000);
    for (int s = 1; s <= 12; s++) {
        t += 1.0;
        jm_cyclestats_tick(st, h, t);
        for (int k = 0; k < 750; k++) jm_cyclehist_add(h, 10000);
        jm_cycle_figures_t f;
        jm_cyclestats_read(st, h, &f);
        if (s <= JM_CYCLE_WINDOW) {
            assert_int_equal(f.max_ns, 100000); /* the slow second is still in the window */
        } else {
            assert_int_equal(f.max_ns, 10000);
            assert_int_equal(f.cycles, 750 * (JM_CYCLE_WINDOW + 1));
            assert_int_equal(f.p99_ns, 10000); /* clamped to the longest seen */
        }
    }
    /* a tick before a second has passed takes nothing */
    jm_cyclestats_tick(st, h, t + 0.5);
    jm_cycle_figures_t f;
    jm_cyclestats_read(st, h, &f);
    assert_int_equal(f.cycles, 750 * (JM_CYCLE_WINDOW + 1));
}

static void test_counts_wrap(void **state)
{
    (void)state;
    jm_cyclehist_t *h = &hist;
    jm_cyclestats_t *st = &stats;
    atomic_store(&h->count[40], UINT32_MAX - 5);
    jm_cyclestats_tick(st, h, 0.0);
    for (int k = 0; k < 100; k++) jm_cyclehist_add(h, 40 * 250 + 1);
    jm_cycle_figures_t f;
    jm_cyclestats_read(st, h, &f);
    assert_int_equal(f.cycles, 100);
    assert_int_equal(f.median_ns, 10001); /* the edge, clamped to the maximum */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buckets_cover_their_values),
        cmocka_unit_test_setup(test_percentiles_and_max, fresh),
        cmocka_unit_test_setup(test_window_forgets_old_seconds, fresh),
        cmocka_unit_test_setup(test_counts_wrap, fresh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
