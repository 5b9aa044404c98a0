/*
 * xor_ext.h: what every xorbench C extension exports besides its kernel (see impls/_ffi_build.py): its build
 * facts, its compiler, and the NaN/inf check that validation runs before any kernel does.
 */
#ifndef XOR_EXT_H
#define XOR_EXT_H

#include <stdint.h>

/* JSON: the flags, the Python build's CFLAGS and compiler, and the sha256 of the sources (XOR_BUILD_INFO) */
const char *xor_build_info(void);

/* the compiler's version string */
const char *xor_compiler(void);

/* index of the first of six buffers (a_i, n_i doubles; NULL is skipped) holding NaN or inf, or -1 */
int xor_first_nonfinite(const double *a0, int64_t n0, const double *a1, int64_t n1,
                        const double *a2, int64_t n2, const double *a3, int64_t n3,
                        const double *a4, int64_t n4, const double *a5, int64_t n5);

#endif
