/*
 * xor_ext.c: the part of xor_ext.h that every extension compiles beside its kernel. impls/_ffi_build.py
 * defines XOR_BUILD_INFO (a JSON string literal) on the command line.
 */
#include "xor_ext.h"

#include "xor_common.h"

#ifndef XOR_BUILD_INFO
#define XOR_BUILD_INFO "{}"
#endif

const char *xor_build_info(void) { return XOR_BUILD_INFO; }

const char *xor_compiler(void) {
#ifdef __VERSION__
    return __VERSION__;
#else
    return "unknown";
#endif
}

int xor_first_nonfinite(const double *a0, int64_t n0, const double *a1, int64_t n1,
                        const double *a2, int64_t n2, const double *a3, int64_t n3,
                        const double *a4, int64_t n4, const double *a5, int64_t n5) {
    const double *a[6] = {a0, a1, a2, a3, a4, a5};
    int64_t n[6] = {n0, n1, n2, n3, n4, n5};
    for (int i = 0; i < 6; i++)
        if (!xor_all_finite(a[i], n[i])) return i;
    return -1;
}
