/* Constants of the dynamics shared by dynamics.c and the SIMD kernels
 * (simd_kernels.h), which must compute bit-identical results. */
#ifndef JMIXD_DSP_DYN_CONST_H
#define JMIXD_DSP_DYN_CONST_H

#define DB_PER_LOG2 6.02059991f  /* 20 log10(2): dB = DB_PER_LOG2 * log2(gain) */
#define LOG2_PER_DB 0.166096405f /* 1 / DB_PER_LOG2 */
#define FLOOR_LIN 1e-9f          /* detector floor, -180 dBFS (log of 0) */
#define FLUSH 1e-20f             /* detector values below this become exact 0 */

#endif
