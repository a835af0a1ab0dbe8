/* bench_cyclehist: what timing every process cycle costs (make bench;
 * docs/performance.md). The engine reads CLOCK_MONOTONIC at the start and
 * end of each callback and adds the difference to the cycle histogram
 * (include/jmixd/util/cyclehist.h); this runs the same two functions 10 million times
 * and prints the cost per cycle, median of 5 rounds. */
#include "jmixd/util/cyclehist.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    jm_cyclehist_t *h = calloc(1, sizeof *h);
    if (!h) return 1;
    enum { N = 10000000, ROUNDS = 5 };
    double per[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = wall();
        for (int i = 0; i < N; i++) {
            uint32_t a = jm_cyclehist_now_ns();
            jm_cyclehist_add(h, jm_cyclehist_now_ns() - a);
        }
        per[r] = (wall() - t0) / N * 1e9;
    }
    qsort(per, ROUNDS, sizeof per[0], cmp);
    printf("cycle timing (2 x clock_gettime + histogram add): %.1f ns per cycle "
           "(median of %d rounds of %d)\n", per[ROUNDS / 2], ROUNDS, N);
    free(h);
    return 0;
}
