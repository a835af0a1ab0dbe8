#include "jmixd/util/rt.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
void jm_rt_set_ftz_daz(void) { _mm_setcsr(_mm_getcsr() | 0x8040); }
#else
void jm_rt_set_ftz_daz(void) {}
#endif

int jm_rt_lock_memory(const jm_log_t *log)
{
    /* With a finite limit and no privilege, MCL_FUTURE would make later
     * allocations (thread stacks, buffers) fail once the limit is reached:
     * better not locked than broken. */
    struct rlimit rl;
    if (geteuid() != 0 && getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        jm_log(log, JM_LOG_WARN, "memory not locked: RLIMIT_MEMLOCK is %llu kB, not unlimited "
               "(pages may be swapped out)", (unsigned long long)rl.rlim_cur / 1024);
        return -1;
    }
    if (mlockall(MCL_CURRENT | MCL_FUTURE)) {
        jm_log(log, JM_LOG_WARN, "memory not locked: mlockall: %s (RLIMIT_MEMLOCK; pages may "
               "be swapped out)", strerror(errno));
        return -1;
    }
    return 0;
}

void jm_rt_name_thread(const char *name) { (void)pthread_setname_np(pthread_self(), name); }
