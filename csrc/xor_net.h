/*
 * xor_net.h: the xorbench XOR network in C, called from Python through cffi (impls/c_impl.py).
 * See xor_net.c for the memory layout and how it is built.
 *
 * Arguments go outputs first, then inputs, then sizes. Every buffer travels with its length in
 * doubles; each function checks every length against the sizes before touching memory and returns
 * a negative XOR_ERR_* code instead of reading or writing out of bounds.
 */
#ifndef XOR_NET_H
#define XOR_NET_H

#include <stdint.h>

#include "xor_common.h"
#include "xor_ext.h"

/* Train in place for `epochs` full-batch gradient steps. b1 and b2 are both NULL (no bias) or both set.
 * losses receives the loss at the start of epoch 0, k, 2k, ... (k = record_every > 0); with k == 0 it may
 * be NULL and losses_len must be 0. final_loss receives the loss of the returned parameters; with NULL, that
 * last forward pass is skipped. */
int xor_net_train(double *w1, int64_t w1_len, double *b1, int64_t b1_len,
                  double *w2, int64_t w2_len, double *b2, int64_t b2_len,
                  double *losses, int64_t losses_len, double *final_loss,
                  const double *X, int64_t X_len, const double *Y, int64_t Y_len,
                  int64_t n_samples, int64_t n_in, int64_t n_hidden, int64_t n_out,
                  int64_t epochs, double lr, int loss_kind, int64_t record_every);

/* xor_net_train with its arguments prepared once in *a; losses, losses_len, epochs and record_every per call. */
int xor_net_run(const xor_train_args *a, int64_t epochs, int64_t record_every, double *losses, int64_t losses_len);

/* Network outputs for every sample: out (n_samples, n_out). */
int xor_net_forward(double *out, int64_t out_len,
                    const double *w1, int64_t w1_len, const double *b1, int64_t b1_len,
                    const double *w2, int64_t w2_len, const double *b2, int64_t b2_len,
                    const double *X, int64_t X_len,
                    int64_t n_samples, int64_t n_in, int64_t n_hidden, int64_t n_out);

#endif
