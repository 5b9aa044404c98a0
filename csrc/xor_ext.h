/*
 * xor_ext.h: what every xorbench C extension exports besides its kernel (see impls/_ffi_build.py): its build
 * facts and its compiler.
 */
#ifndef XOR_EXT_H
#define XOR_EXT_H

/* JSON: the flags, the Python build's CFLAGS and compiler, and the sha256 of the sources (XOR_BUILD_INFO) */
const char *xor_build_info(void);

/* the compiler's version string */
const char *xor_compiler(void);

#endif
