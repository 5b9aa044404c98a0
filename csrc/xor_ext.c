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

int xor_call_train(const xor_train_args *a, int64_t epochs, int64_t record_every, double *losses, int64_t losses_len) {
    if (!a || !a->entry) return XOR_ERR_ARG;
    int rc = xor_check_train_args(a->w1, a->w1_len, a->b1, a->b1_len, a->w2, a->w2_len, a->b2, a->b2_len, losses,
                                  losses_len, a->final_loss, a->X, a->X_len, a->Y, a->Y_len, a->n_samples, a->n_in,
                                  a->n_hidden, a->n_out, epochs, a->lr, a->loss_kind, record_every);
    if (rc != XOR_OK) return rc;
    double loss = a->entry(a->w1, a->b1, a->w2, a->b2, losses, a->X, a->Y, a->n_samples, a->n_in, a->n_hidden,
                           a->n_out, losses_len, epochs, a->lr, a->loss_kind, record_every, a->b1 != 0,
                           a->final_loss != 0);
    if (a->final_loss) *a->final_loss = loss;
    return XOR_OK;
}
