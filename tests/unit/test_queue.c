/* SPSC queue: order, capacity, drop counting, and a two-thread stress run. */
#include "jmixd/util/queue.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

typedef struct { uint64_t seq; char pad[24]; } msg_t;

static void test_fifo_and_full(void **state)
{
    (void)state;
    jm_queue_t q;
    assert_int_equal(jm_queue_init(&q, sizeof(msg_t), 5), 0); /* rounds up to 8 */
    msg_t m = {0};
    for (uint64_t i = 0; i < 8; i++) { m.seq = i; assert_true(jm_queue_push(&q, &m)); }
    m.seq = 99;
    assert_false(jm_queue_push(&q, &m));
    assert_int_equal(q.dropped, 1);
    for (uint64_t i = 0; i < 8; i++) { assert_true(jm_queue_pop(&q, &m)); assert_int_equal(m.seq, i); }
    assert_false(jm_queue_pop(&q, &m));
    jm_queue_free(&q);
}

#define N_STRESS 2000000ull
static void *producer(void *arg)
{
    jm_queue_t *q = arg;
    msg_t m = {0};
    for (uint64_t i = 0; i < N_STRESS;) {
        m.seq = i;
        if (jm_queue_push(q, &m)) i++;
    }
    return NULL;
}

static void test_two_threads_in_order(void **state)
{
    (void)state;
    jm_queue_t q;
    assert_int_equal(jm_queue_init(&q, sizeof(msg_t), 64), 0);
    pthread_t th;
    pthread_create(&th, NULL, producer, &q);
    uint64_t next = 0;
    msg_t m;
    while (next < N_STRESS)
        if (jm_queue_pop(&q, &m)) { assert_int_equal(m.seq, next); next++; }
    pthread_join(th, NULL);
    jm_queue_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_and_full),
        cmocka_unit_test(test_two_threads_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
