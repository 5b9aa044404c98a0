/*
 * xor_net.c: the xorbench XOR network (n_in -> n_hidden -> n_out, sigmoid on both layers, mse or sse
 * loss, full-batch gradient descent) in plain C. It mirrors the pure-Python reference
 * impls/python_impl.py operation for operation: every sum starts at 0.0 and adds in index order,
 * products go left to right, and the same libm exp is called, so the results are the reference's bits.
 *
 * Build: cffi compiles it when the package is installed (pip install -e .; see impls/_ffi_build.py) with
 *     -O3 -ffp-contract=off
 * -ffp-contract=off keeps a*b+c from becoming an FMA, which would change the bits. Never -ffast-math or
 * -Ofast: linking with them switches denormals off for the whole process, NumPy included.
 * Standalone syntax check: cc -std=c99 -O3 -ffp-contract=off -Wall -c csrc/xor_net.c
 *
 * Memory layout, all row-major float64:
 *   X  (n_samples, n_in)    Y  (n_samples, n_out)    out (n_samples, n_out)
 *   w1 (n_in, n_hidden)     b1 (n_hidden) or NULL
 *   w2 (n_hidden, n_out)    b2 (n_out)    or NULL
 */
#include "xor_net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double sigmoid(double z) {
    if (z >= 0.0) {
        return 1.0 / (1.0 + exp(-z));
    }
    double e = exp(z);
    return e / (1.0 + e);
}

/* hidden (n_hidden), out (n_out) <- one sample x (n_in) */
static inline __attribute__((always_inline)) void forward_sample(double *hidden, double *out, const double *x,
                           const double *w1, const double *b1, const double *w2, const double *b2,
                           int64_t n_in, int64_t n_hidden, int64_t n_out) {
    for (int64_t j = 0; j < n_hidden; j++) {
        double z = 0.0;
        for (int64_t i = 0; i < n_in; i++) {
            z += x[i] * w1[i * n_hidden + j];
        }
        if (b1) {
            z += b1[j];
        }
        hidden[j] = sigmoid(z);
    }
    for (int64_t k = 0; k < n_out; k++) {
        double z = 0.0;
        for (int64_t j = 0; j < n_hidden; j++) {
            z += hidden[j] * w2[j * n_out + k];
        }
        if (b2) {
            z += b2[k];
        }
        out[k] = sigmoid(z);
    }
}

/* dw1 (n_in, n_hidden), db1 (n_hidden), dw2 (n_hidden, n_out) += one sample's gradients,
 * from its input x (n_in), activations hidden (n_hidden) and output deltas d_out (n_out); d_z1 (n_hidden) is
 * scratch. dw1 is updated a row at a time once every d_z1 is known, not a column at a time inside the hidden
 * loop: each dw1[i][j] still gets one addition per sample, so the bits are the reference's, and the rows
 * are contiguous. */
static inline __attribute__((always_inline)) void backward_sample(double *dw1, double *db1, double *dw2, double *d_z1,
                            const double *x, const double *hidden, const double *d_out, const double *w2,
                            int64_t n_in, int64_t n_hidden, int64_t n_out) {
    for (int64_t j = 0; j < n_hidden; j++) {
        double d_hidden = 0.0;
        for (int64_t k = 0; k < n_out; k++) {
            dw2[j * n_out + k] += hidden[j] * d_out[k];
            d_hidden += d_out[k] * w2[j * n_out + k];
        }
        d_z1[j] = d_hidden * hidden[j] * (1.0 - hidden[j]);
        db1[j] += d_z1[j];
    }
    for (int64_t i = 0; i < n_in; i++) {
        for (int64_t j = 0; j < n_hidden; j++) {
            dw1[i * n_hidden + j] += x[i] * d_z1[j];
        }
    }
}

static double loss_of(const double *X, const double *Y, const double *w1, const double *b1,
                      const double *w2, const double *b2, double *hidden, double *out,
                      int64_t n_samples, int64_t n_in, int64_t n_hidden, int64_t n_out, int loss_kind) {
    double total = 0.0;
    for (int64_t n = 0; n < n_samples; n++) {
        forward_sample(hidden, out, X + n * n_in, w1, b1, w2, b2, n_in, n_hidden, n_out);
        for (int64_t k = 0; k < n_out; k++) {
            double diff = out[k] - Y[n * n_out + k];
            total += diff * diff;
        }
    }
    return loss_kind == XOR_LOSS_MSE ? total / (double)(n_samples * n_out) : total;
}

/* The epochs, any sizes: hidden, d_z1, db1 (n_hidden), out, d_out, db2 (n_out), dw1 (n_in, n_hidden) and
 * dw2 (n_hidden, n_out) are scratch. Always inlined:
 * train_241 calls it with constant sizes and local arrays, so the compiler unrolls the unit loops and keeps
 * parameters, gradients and activations in registers. The same operations in the same order either way. */
static inline __attribute__((always_inline)) void train_epochs(
        double *restrict w1, double *restrict b1, double *restrict w2, double *restrict b2, double *restrict losses,
        double *restrict hidden, double *restrict out, double *restrict d_out, double *restrict d_z1,
        double *restrict dw1, double *restrict db1, double *restrict dw2, double *restrict db2,
        const double *restrict X, const double *restrict Y, int64_t n_samples, int64_t n_in, int64_t n_hidden,
        int64_t n_out, int64_t epochs, double lr, int loss_kind, int64_t record_every) {
    int64_t count = n_samples * n_out;
    double scale = loss_kind == XOR_LOSS_MSE ? 2.0 / (double)count : 2.0;
    for (int64_t e = 0; e < epochs; e++) {
        int record = record_every > 0 && e % record_every == 0;
        for (int64_t a = 0; a < n_in * n_hidden; a++) dw1[a] = 0.0;
        for (int64_t j = 0; j < n_hidden; j++) db1[j] = 0.0;
        for (int64_t a = 0; a < n_hidden * n_out; a++) dw2[a] = 0.0;
        for (int64_t k = 0; k < n_out; k++) db2[k] = 0.0;
        double sq = 0.0;
        for (int64_t n = 0; n < n_samples; n++) {
            const double *x = X + n * n_in, *y = Y + n * n_out;
            forward_sample(hidden, out, x, w1, b1, w2, b2, n_in, n_hidden, n_out);
            for (int64_t k = 0; k < n_out; k++) {
                double diff = out[k] - y[k];
                if (record) {
                    sq += diff * diff;
                }
                d_out[k] = scale * diff * out[k] * (1.0 - out[k]);
                db2[k] += d_out[k];
            }
            backward_sample(dw1, db1, dw2, d_z1, x, hidden, d_out, w2, n_in, n_hidden, n_out);
        }
        for (int64_t i = 0; i < n_in * n_hidden; i++) w1[i] -= lr * dw1[i];
        for (int64_t i = 0; i < n_hidden * n_out; i++) w2[i] -= lr * dw2[i];
        if (b1) {
            for (int64_t j = 0; j < n_hidden; j++) b1[j] -= lr * db1[j];
            for (int64_t k = 0; k < n_out; k++) b2[k] -= lr * db2[k];
        }
        if (record) {
            losses[e / record_every] = loss_kind == XOR_LOSS_MSE ? sq / (double)count : sq;
        }
    }
}

/* train_epochs for any sizes, with the buffers carved out of `work` (see xor_net_train) */
static void train_any(double *w1, double *b1, double *w2, double *b2, double *losses, double *work,
                      const double *X, const double *Y, int64_t n_samples, int64_t n_in, int64_t n_hidden,
                      int64_t n_out, int64_t epochs, double lr, int loss_kind, int64_t record_every) {
    double *hidden = work, *out = hidden + n_hidden, *d_out = out + n_out, *d_z1 = d_out + n_out;
    double *dw1 = d_z1 + n_hidden, *db1 = dw1 + n_in * n_hidden, *dw2 = db1 + n_hidden, *db2 = dw2 + n_hidden * n_out;
    train_epochs(w1, b1, w2, b2, losses, hidden, out, d_out, d_z1, dw1, db1, dw2, db2, X, Y, n_samples, n_in,
                 n_hidden, n_out, epochs, lr, loss_kind, record_every);
}

/* train_epochs for the canonical 2-4-1 shape: the sizes as constants, and the parameters, activations and
 * gradients in local arrays (with and without biases, so that neither pointer is ever a maybe-NULL) */
static void train_241(double *w1, double *b1, double *w2, double *b2, double *losses, const double *X,
                      const double *Y, int64_t n_samples, int64_t epochs, double lr, int loss_kind,
                      int64_t record_every) {
    double W1[8], B1[4], W2[4], B2[1], hidden[4], out[1], d_out[1], d_z1[4], dw1[8], db1[4], dw2[4], db2[1];
    memcpy(W1, w1, sizeof W1);
    memcpy(W2, w2, sizeof W2);
    if (b1) {
        memcpy(B1, b1, sizeof B1);
        memcpy(B2, b2, sizeof B2);
        train_epochs(W1, B1, W2, B2, losses, hidden, out, d_out, d_z1, dw1, db1, dw2, db2, X, Y, n_samples, 2, 4, 1,
                     epochs, lr, loss_kind, record_every);
        memcpy(b1, B1, sizeof B1);
        memcpy(b2, B2, sizeof B2);
    } else {
        train_epochs(W1, NULL, W2, NULL, losses, hidden, out, d_out, d_z1, dw1, db1, dw2, db2, X, Y, n_samples, 2, 4,
                     1, epochs, lr, loss_kind, record_every);
    }
    memcpy(w1, W1, sizeof W1);
    memcpy(w2, W2, sizeof W2);
}

int xor_net_train(double *w1, int64_t w1_len, double *b1, int64_t b1_len,
                  double *w2, int64_t w2_len, double *b2, int64_t b2_len,
                  double *losses, int64_t losses_len, double *final_loss,
                  const double *X, int64_t X_len, const double *Y, int64_t Y_len,
                  int64_t n_samples, int64_t n_in, int64_t n_hidden, int64_t n_out,
                  int64_t epochs, double lr, int loss_kind, int64_t record_every) {
    int rc = xor_check_train_args(w1, w1_len, b1, b1_len, w2, w2_len, b2, b2_len, losses, losses_len, final_loss,
                                  X, X_len, Y, Y_len, n_samples, n_in, n_hidden, n_out, epochs, lr, loss_kind,
                                  record_every);
    if (rc != XOR_OK) return rc;

    /* work buffer: hidden (n_hidden), out (n_out), d_out (n_out), d_z1 (n_hidden), then the gradients dw1
     * (n_in, n_hidden), db1 (n_hidden), dw2 (n_hidden, n_out), db2 (n_out) */
    int64_t n_grad = n_in * n_hidden + n_hidden + n_hidden * n_out + n_out;
    double *work = malloc((size_t)(2 * n_hidden + 2 * n_out + n_grad) * sizeof(double));
    if (!work) return XOR_ERR_NOMEM;

    if (n_in == 2 && n_hidden == 4 && n_out == 1) {
        train_241(w1, b1, w2, b2, losses, X, Y, n_samples, epochs, lr, loss_kind, record_every);
    } else {
        train_any(w1, b1, w2, b2, losses, work, X, Y, n_samples, n_in, n_hidden, n_out, epochs, lr, loss_kind,
                  record_every);
    }
    if (final_loss) { /* NULL: not wanted (a Trainer's intermediate slice), and its forward pass is skipped */
        *final_loss = loss_of(X, Y, w1, b1, w2, b2, work, work + n_hidden, n_samples, n_in, n_hidden, n_out, loss_kind);
    }
    free(work);
    return XOR_OK;
}

int xor_net_run(const xor_train_args *a, int64_t epochs, int64_t record_every, double *losses, int64_t losses_len) {
    if (!a) return XOR_ERR_ARG;
    return xor_net_train(a->w1, a->w1_len, a->b1, a->b1_len, a->w2, a->w2_len, a->b2, a->b2_len, losses, losses_len,
                         a->final_loss, a->X, a->X_len, a->Y, a->Y_len, a->n_samples, a->n_in, a->n_hidden, a->n_out,
                         epochs, a->lr, a->loss_kind, record_every);
}

int xor_net_forward(double *out, int64_t out_len,
                    const double *w1, int64_t w1_len, const double *b1, int64_t b1_len,
                    const double *w2, int64_t w2_len, const double *b2, int64_t b2_len,
                    const double *X, int64_t X_len,
                    int64_t n_samples, int64_t n_in, int64_t n_hidden, int64_t n_out) {
    int rc = xor_check_forward_args(out_len, out, w1, w1_len, b1, b1_len, w2, w2_len, b2, b2_len, X, X_len,
                                    n_samples, n_in, n_hidden, n_out);
    if (rc != XOR_OK) return rc;
    double *hidden = malloc((size_t)n_hidden * sizeof(double));
    if (!hidden) return XOR_ERR_NOMEM;
    for (int64_t n = 0; n < n_samples; n++) {
        forward_sample(hidden, out + n * n_out, X + n * n_in, w1, b1, w2, b2, n_in, n_hidden, n_out);
    }
    free(hidden);
    return XOR_OK;
}
