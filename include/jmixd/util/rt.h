/* Real-time helpers shared by the audio-thread code.
 *
 * Threads: jm_rt_set_ftz_daz from the thread it applies to (real-time
 * safe); jm_rt_lock_memory from main at start, before the threads;
 * jm_rt_name_thread from the thread it names, once at its start (a system
 * call: never in the process callback). */
#ifndef JMIXD_RT_H
#define JMIXD_RT_H

#include "jmixd/util/log.h"

/* Marks a function as real-time: under the RealtimeSanitizer build any
 * allocation, lock or system call reached from it aborts the process. */
#if defined(JM_RTSAN) && defined(__clang__)
#define JM_NONBLOCKING __attribute__((nonblocking))
#else
#define JM_NONBLOCKING
#endif

/* Flush denormals to zero (FTZ) and treat denormal inputs as zero (DAZ) in
 * the calling thread; MXCSR is per thread. No-op off x86. */
void jm_rt_set_ftz_daz(void);

/* Lock every page of the process, now and to come (mlockall MCL_CURRENT |
 * MCL_FUTURE), so the audio thread never waits on a page fault. When the
 * memlock limit (RLIMIT_MEMLOCK) refuses it, logs one warning and returns
 * -1; the daemon runs on unlocked. 0 when locked. Not real-time safe. */
int jm_rt_lock_memory(const jm_log_t *log);

/* Name the calling thread (at most 15 characters, "jm-...") so top -H,
 * ps -L and perf show which is which. Failure is harmless and ignored. */
void jm_rt_name_thread(const char *name);

#endif
