/*
 * xor_ext.h: what every xorbench C extension exports besides its kernel (see impls/_ffi_build.py): its build
 * facts, its compiler, and the prepared arguments of a training call.
 */
#ifndef XOR_EXT_H
#define XOR_EXT_H

#include <stdint.h>

/* A training entry point compiled elsewhere that takes xor_train_args' fields one by one, as plain pointers and
 * numbers: Numba's @cfunc in impls/numba_impl.py. has_bias: b1 and b2 are not NULL. want_loss: 0 skips the
 * final loss (the result is then NaN). */
typedef double (*xor_train_fn)(double *w1, double *b1, double *w2, double *b2, double *losses, const double *X,
                               const double *Y, int64_t n_samples, int64_t n_in, int64_t n_hidden, int64_t n_out,
                               int64_t losses_len, int64_t epochs, double lr, int64_t loss_kind,
                               int64_t record_every, int64_t has_bias, int64_t want_loss);

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
    int max_threads;    /* the fast kernel's; the strict one ignores it */
    xor_train_fn entry; /* what xor_call_train runs; the kernels ignore it */
    const double *layout; /* the fast kernel's: X and Y as it reads them, laid out once (xor_simd_layout_new), */
    int64_t layout_len;   /* or NULL to lay them out on every call; the strict kernel ignores both */
} xor_train_args;

/* a->entry(*a's fields, the rest), its loss stored in *a->final_loss when that is not NULL: a *_run entry point
 * for a training function compiled elsewhere, at the cost of one compiled cffi call (calling its address from
 * Python would go through libffi). Checks the arguments as the kernels' *_run do, and returns as they do:
 * XOR_OK, or XOR_ERR_* without calling it. */
int xor_call_train(const xor_train_args *a, int64_t epochs, int64_t record_every, double *losses, int64_t losses_len);

/* JSON: the flags, the Python build's CFLAGS and compiler, and the sha256 of the sources (XOR_BUILD_INFO) */
const char *xor_build_info(void);

/* the compiler's version string */
const char *xor_compiler(void);

#endif
