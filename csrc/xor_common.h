/*
 * xor_common.h: what both xorbench C kernels share (xor_net.c, strict; xor_simd.c, fast): error codes,
 * loss kinds and the argument checks every entry point runs before it touches memory.
 *
 * Every buffer travels with its length in doubles; the checks compare each length with the product of the
 * sizes it must hold, so no caller can make a kernel read or write out of bounds. Sizes are capped
 * (XOR_MAX_UNITS per layer, XOR_MAX_SAMPLES samples) so that every product and byte count fits in int64.
 */
#ifndef XOR_COMMON_H
#define XOR_COMMON_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define XOR_OK 0
#define XOR_ERR_SIZE (-1)   /* a size is < 1 or too large, or a buffer length does not match the sizes */
#define XOR_ERR_ARG (-2)    /* epochs/record_every < 0, lr not finite and > 0, bad loss kind, NULL pointer */
#define XOR_ERR_NOMEM (-3)  /* the work buffer could not be allocated */

#define XOR_LOSS_MSE 0
#define XOR_LOSS_SSE 1

#define XOR_MAX_UNITS (1 << 24)
#define XOR_MAX_SAMPLES ((int64_t)1 << 40)

/* lr > 0 and finite, tested on its bits: a kernel compiled with -ffast-math (c-autovec) may assume that no
 * double is NaN or inf, and fold isfinite() and comparisons with NaN away */
static inline int xor_positive_finite(double x) {
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u != 0 && (u >> 63) == 0 && (u & 0x7ff0000000000000ull) != 0x7ff0000000000000ull;
}

/* a * b <= limit, for a, b >= 1, without overflowing */
static inline int xor_mul_within(int64_t a, int64_t b, int64_t limit) { return a <= limit / b; }

/* buffers and work areas stay below 2^56 bytes: anything larger could never be allocated anyway */
#define XOR_MAX_DOUBLES ((int64_t)1 << 52)

/* the length every buffer must have: all sizes in range, biases both present or both absent */
static inline int xor_check_forward_args(int64_t out_len, const double *out,
                                         const double *w1, int64_t w1_len, const double *b1, int64_t b1_len,
                                         const double *w2, int64_t w2_len, const double *b2, int64_t b2_len,
                                         const double *X, int64_t X_len,
                                         int64_t n_samples, int64_t n_in, int64_t n_hidden, int64_t n_out) {
    if (!out || !w1 || !w2 || !X) return XOR_ERR_ARG;
    if ((b1 == NULL) != (b2 == NULL)) return XOR_ERR_ARG;
    if (n_samples < 1 || n_samples > XOR_MAX_SAMPLES) return XOR_ERR_SIZE;
    if (n_in < 1 || n_in > XOR_MAX_UNITS || n_hidden < 1 || n_hidden > XOR_MAX_UNITS) return XOR_ERR_SIZE;
    if (n_out < 1 || n_out > XOR_MAX_UNITS) return XOR_ERR_SIZE;
    if (!xor_mul_within(n_samples, n_in + n_out + 1, XOR_MAX_DOUBLES)) return XOR_ERR_SIZE;
    if (!xor_mul_within(n_hidden, n_in + n_out + 2, XOR_MAX_DOUBLES)) return XOR_ERR_SIZE;
    if (w1_len != n_in * n_hidden || w2_len != n_hidden * n_out) return XOR_ERR_SIZE;
    if (X_len != n_samples * n_in || out_len != n_samples * n_out) return XOR_ERR_SIZE;
    if (b1 && (b1_len != n_hidden || b2_len != n_out)) return XOR_ERR_SIZE;
    return XOR_OK;
}

/* the forward checks with Y in the place of out, plus the training arguments and the loss history's length */
static inline int xor_check_train_args(const double *w1, int64_t w1_len, const double *b1, int64_t b1_len,
                                       const double *w2, int64_t w2_len, const double *b2, int64_t b2_len,
                                       const double *losses, int64_t losses_len, const double *final_loss,
                                       const double *X, int64_t X_len, const double *Y, int64_t Y_len,
                                       int64_t n_samples, int64_t n_in, int64_t n_hidden, int64_t n_out,
                                       int64_t epochs, double lr, int loss_kind, int64_t record_every) {
    (void)final_loss; /* NULL: the caller does not want the final loss, and its forward pass is skipped */
    if (epochs < 0 || record_every < 0 || !xor_positive_finite(lr)) return XOR_ERR_ARG;
    if (loss_kind != XOR_LOSS_MSE && loss_kind != XOR_LOSS_SSE) return XOR_ERR_ARG;
    int rc = xor_check_forward_args(Y_len, Y, w1, w1_len, b1, b1_len, w2, w2_len, b2, b2_len, X, X_len,
                                    n_samples, n_in, n_hidden, n_out);
    if (rc != XOR_OK) return rc;
    int64_t n_recorded = record_every > 0 ? epochs / record_every + (epochs % record_every != 0) : 0;
    if (losses_len != n_recorded || (n_recorded > 0 && !losses)) return XOR_ERR_SIZE;
    return XOR_OK;
}

#endif
