/*
 * xor_ext.h: what every xorbench C extension exports besides its kernel (see impls/_ffi_build.py): its build
 * facts, its compiler, and the prepared arguments of a training call.
 */
#ifndef XOR_EXT_H
#define XOR_EXT_H

#include <stdint.h>

/* A training call's arguments but its epochs and loss history, prepared once by a caller that makes many calls
 * (a Trainer, through impls/_cffi_kernel.py), for the kernels' *_run entry points. The fields are the *_train
 * arguments of the same names, checked by *_run on every call exactly as *_train checks them. */
typedef struct {
    double *w1;
    int64_t w1_len;
    double *b1;
    int64_t b1_len;
    double *w2;
    int64_t w2_len;
    double *b2;
    int64_t b2_len;
    double *final_loss;
    const double *X;
    int64_t X_len;
    const double *Y;
    int64_t Y_len;
    int64_t n_samples, n_in, n_hidden, n_out;
    double lr;
    int loss_kind;
    int max_threads; /* the fast kernel's; the strict one ignores it */
} xor_train_args;

/* JSON: the flags, the Python build's CFLAGS and compiler, and the sha256 of the sources (XOR_BUILD_INFO) */
const char *xor_build_info(void);

/* the compiler's version string */
const char *xor_compiler(void);

#endif
