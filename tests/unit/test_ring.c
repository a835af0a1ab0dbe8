/* Stereo SPSC ring (the recorder's and the loudness meter's tap): capacity,
 * full-ring refusal, the two runs of a wrapped read, discard, indices that
 * wrap size_t, and a two-thread run where every frame arrives once, in
 * order, at the position it was written to. */
#include "jmixd/util/ring.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Frame k carries (k, -k) in float; exact below 2^24. */
static void fill(float *l, float *r, uint32_t first, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) l[i] = (float)(first + i), r[i] = -(float)(first + i);
}

/* Read everything readable; check it is first, first + 1, ...; returns the
 * count. */
static size_t read_check(jm_ring_t *q, uint32_t first)
{
    const float *seg[2];
    size_t len[2], total = jm_ring_peek(q, seg, len), k = 0;
    assert_int_equal(len[0] + len[1], total);
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < len[s]; i++, k++) {
            assert_float_equal(seg[s][2 * i], (float)(first + k), 0.0);
            assert_float_equal(seg[s][2 * i + 1], -(float)(first + k), 0.0);
        }
    jm_ring_release(q, total);
    return total;
}

static void test_capacity_and_full(void **state)
{
    (void)state;
    jm_ring_t q;
    static float l[4096], r[4096];
    assert_int_equal(jm_ring_init(&q, 1500), 0); /* rounds up to 2048 */
    assert_int_equal(q.mask + 1, 2048);
    fill(l, r, 0, 4096);
    assert_int_equal(jm_ring_write(&q, l, r, 2000), 2000);
    assert_int_equal(jm_ring_write(&q, l + 2000, r + 2000, 100), 48); /* only 48 fit */
    assert_int_equal(jm_ring_write(&q, l, r, 10), 0);                  /* full: none */
    assert_int_equal(jm_ring_used(&q), 2048);
    assert_int_equal(read_check(&q, 0), 2048);
    assert_int_equal(jm_ring_used(&q), 0);
    jm_ring_free(&q);
}

static void test_wrapped_read_has_two_runs(void **state)
{
    (void)state;
    jm_ring_t q;
    static float l[1024], r[1024];
    assert_int_equal(jm_ring_init(&q, 1024), 0);
    fill(l, r, 0, 1024);
    assert_int_equal(jm_ring_write(&q, l, r, 1000), 1000);
    assert_int_equal(read_check(&q, 0), 1000);
    fill(l, r, 1000, 100);
    assert_int_equal(jm_ring_write(&q, l, r, 100), 100);
    const float *seg[2];
    size_t len[2];
    assert_int_equal(jm_ring_peek(&q, seg, len), 100);
    assert_int_equal(len[0], 24); /* 1000..1023 at the end, the rest at the start */
    assert_int_equal(len[1], 76);
    assert_ptr_equal(seg[1], q.buf);
    assert_int_equal(read_check(&q, 1000), 100);
    jm_ring_free(&q);
}

static void test_discard(void **state)
{
    (void)state;
    jm_ring_t q;
    static float l[512], r[512];
    assert_int_equal(jm_ring_init(&q, 1024), 0);
    fill(l, r, 0, 512);
    jm_ring_write(&q, l, r, 300);
    assert_int_equal(jm_ring_discard(&q), 300);
    assert_int_equal(jm_ring_used(&q), 0);
    assert_int_equal(jm_ring_discard(&q), 0);
    fill(l, r, 7, 512);
    assert_int_equal(jm_ring_write(&q, l, r, 512), 512);
    assert_int_equal(read_check(&q, 7), 512); /* new frames only */
    jm_ring_free(&q);
}

/* The indices only grow; where they wrap size_t, space and used still come
 * out right (differences in unsigned arithmetic). */
static void test_indices_wrap(void **state)
{
    (void)state;
    jm_ring_t q;
    static float l[1024], r[1024];
    assert_int_equal(jm_ring_init(&q, 1024), 0);
    atomic_store(&q.head, SIZE_MAX - 500);
    atomic_store(&q.tail, SIZE_MAX - 500);
    uint32_t first = 0;
    for (int round = 0; round < 4; round++) {
        fill(l, r, first, 700);
        assert_int_equal(jm_ring_write(&q, l, r, 700), 700);
        assert_int_equal(jm_ring_write(&q, l, r, 700), 324); /* 1024 - 700 */
        assert_int_equal(jm_ring_used(&q), 1024);
        jm_ring_discard(&q); /* start the round clean */
        assert_int_equal(jm_ring_used(&q), 0);
        fill(l, r, first, 900);
        assert_int_equal(jm_ring_write(&q, l, r, 900), 900);
        assert_int_equal(read_check(&q, first), 900);
        first += 900;
    }
    assert_true(atomic_load(&q.head) < 10000); /* it did wrap */
    jm_ring_free(&q);
}

#define N_FRAMES 3000000u
#define CHUNK 64

static void *producer(void *arg)
{
    jm_ring_t *q = arg;
    float l[CHUNK], r[CHUNK];
    for (uint32_t k = 0; k < N_FRAMES;) {
        uint32_t n = N_FRAMES - k < CHUNK ? N_FRAMES - k : CHUNK;
        fill(l, r, k % 1000000u, n); /* stays exact in float */
        uint32_t done = 0;
        while (done < n) done += jm_ring_write(q, l + done, r + done, n - done);
        k += n;
    }
    return NULL;
}

static void test_two_threads_every_frame_once_in_order(void **state)
{
    (void)state;
    jm_ring_t q;
    assert_int_equal(jm_ring_init(&q, 1024), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, producer, &q), 0);
    uint32_t got = 0;
    while (got < N_FRAMES) {
        const float *seg[2];
        size_t len[2], total = jm_ring_peek(&q, seg, len);
        for (int s = 0; s < 2; s++)
            for (size_t i = 0; i < len[s]; i++, got++) {
                float want = (float)(got % 1000000u);
                if (seg[s][2 * i] != want || seg[s][2 * i + 1] != -want)
                    fail_msg("frame %u reads %g/%g", got, seg[s][2 * i], seg[s][2 * i + 1]);
            }
        jm_ring_release(&q, total);
    }
    pthread_join(th, NULL);
    assert_int_equal(jm_ring_used(&q), 0);
    jm_ring_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capacity_and_full),
        cmocka_unit_test(test_wrapped_read_has_two_runs),
        cmocka_unit_test(test_discard),
        cmocka_unit_test(test_indices_wrap),
        cmocka_unit_test(test_two_threads_every_frame_once_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
