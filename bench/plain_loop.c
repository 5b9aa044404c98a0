/*
 * plain_loop.c: the benchmark baseline for the fast rows, not a backend. The 2-4-1 XOR network as anyone would
 * write it in C in 30 lines, sample by sample, textbook sigmoid, mse; bench/baseline.py compiles it with
 * -O3 -march=native -ffast-math (compile step only) and times it beside c-simd and numba-fast, one thread.
 * w1 (2, 4), b1 (4), w2 (4), b2 (1) are updated in place; X (n, 2), Y (n).
 */
#include <math.h>
#include <stdint.h>

void plain_train(double *w1, double *b1, double *w2, double *b2, const double *X, const double *Y, int64_t n,
                 int64_t epochs, double lr) {
    for (int64_t e = 0; e < epochs; e++) {
        double dw1[8] = {0}, db1[4] = {0}, dw2[4] = {0}, db2 = 0.0;
        for (int64_t s = 0; s < n; s++) {
            double h[4], z = b2[0];
            for (int j = 0; j < 4; j++) {
                h[j] = 1.0 / (1.0 + exp(-(X[2 * s] * w1[j] + X[2 * s + 1] * w1[4 + j] + b1[j])));
                z += h[j] * w2[j];
            }
            double out = 1.0 / (1.0 + exp(-z));
            double d_out = 2.0 / (double)n * (out - Y[s]) * out * (1.0 - out);
            db2 += d_out;
            for (int j = 0; j < 4; j++) {
                double d_z1 = d_out * w2[j] * h[j] * (1.0 - h[j]);
                dw2[j] += h[j] * d_out;
                dw1[j] += X[2 * s] * d_z1;
                dw1[4 + j] += X[2 * s + 1] * d_z1;
                db1[j] += d_z1;
            }
        }
        for (int a = 0; a < 8; a++) w1[a] -= lr * dw1[a];
        for (int j = 0; j < 4; j++) w2[j] -= lr * dw2[j], b1[j] -= lr * db1[j];
        b2[0] -= lr * db2;
    }
}
