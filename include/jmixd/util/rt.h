/* Real-time helpers shared by the audio-thread code. */
#ifndef JMIXD_RT_H
#define JMIXD_RT_H

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

#endif
