/*
 * xor_ext.c: the part of xor_ext.h that every extension compiles beside its kernel. impls/_ffi_build.py
 * defines XOR_BUILD_INFO (a JSON string literal) on the command line.
 */
#include "xor_ext.h"

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
