#include "jmixd/util/rt.h"

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
void jm_rt_set_ftz_daz(void) { _mm_setcsr(_mm_getcsr() | 0x8040); }
#else
void jm_rt_set_ftz_daz(void) {}
#endif
