/*
 * ubsan_driver.c: runs both C kernels (csrc/xor_net.c, csrc/xor_simd.c) through their paths, for
 * tests/test_ubsan.py, which compiles it with them under -fsanitize=undefined,address
 * -fno-sanitize-recover=all: any undefined behaviour, out-of-bounds access or leak ends the run with a report.
 * Prints "ok" at the end.
 */
#include <stdio.h>
#include <stdlib.h>

#include "xor_net.h"
#include "xor_simd.h"

/* noisy-ish XOR of n samples: X (n, 2), Y (n) */
static void data(double *X, double *Y, int n) {
    for (int s = 0; s < n; s++) {
        int a = s & 1, b = (s >> 1) & 1;
        X[2 * s] = a + 0.01 * (s % 7), X[2 * s + 1] = b - 0.01 * (s % 5), Y[s] = a ^ b;
    }
}

int main(void) {
    int failures = 0;
    /* training: shapes 2-4-1 (the specialized loops), 2-5-1 and 2-5-2, one block and many (with a part-filled
     * last vector, and vectors left over after the groups), 1 and 2 threads, with biases and without, ordinary
     * weights and ones that drive every output sigmoid to exp(-720) */
    static const int ns[] = {4, 13, 5001};
    for (int H = 4; H <= 5; H++)
        for (int K = 1; K <= H - 3; K++)
            for (int in = 0; in < 3; in++)
                for (int big = 0; big <= 1; big++)
                    for (int bias = 0; bias <= 1; bias++) {
                        int n = ns[in];
                        double *X = malloc(sizeof(double) * 2 * n), *Y = malloc(sizeof(double) * n * K);
                        double w1[10], b1[5] = {0}, w2[10], b2[2] = {0}, losses[3], final;
                        data(X, Y, n);
                        for (int s = n - 1; s >= 0; s--) /* every output the same target */
                            for (int k = 0; k < K; k++) Y[s * K + k] = Y[s];
                        for (int a = 0; a < 2 * H; a++) w1[a] = big ? 0.0 : 0.3 - 0.1 * a;
                        for (int a = 0; a < H * K; a++) w2[a] = big ? -1440.0 / H : 0.5 - 0.2 * a;
                        if (big)
                            for (int s = 0; s < n * K; s++) Y[s] = 1.0;
                        if (big)
                            for (int s = 0; s < n; s++) X[2 * s] = X[2 * s + 1] = 0.0;
                        double *pb1 = bias ? b1 : NULL, *pb2 = bias ? b2 : NULL;
                        int64_t nb1 = bias ? H : 0, nb2 = bias ? K : 0;
                        failures += xor_net_train(w1, 2 * H, pb1, nb1, w2, H * K, pb2, nb2, losses, 3, &final, X,
                                                  2 * n, Y, n * K, n, 2, H, K, 3, 1.0, XOR_LOSS_MSE, 1) != XOR_OK;
                        for (int threads = 1; threads <= 2; threads++)
                            failures += xor_simd_train(w1, 2 * H, pb1, nb1, w2, H * K, pb2, nb2, losses, 3, &final,
                                                       X, 2 * n, Y, n * K, n, 2, H, K, 3, 1.0, XOR_LOSS_SSE, 1,
                                                       threads) != XOR_OK;
                        /* the samples laid out once, as a Trainer does, and read by xor_simd_run on 1 and 2 threads */
                        xor_train_args a = {.w1 = w1, .w1_len = 2 * H, .b1 = pb1, .b1_len = nb1, .w2 = w2,
                                            .w2_len = H * K, .b2 = pb2, .b2_len = nb2, .final_loss = &final, .X = X,
                                            .X_len = 2 * n, .Y = Y, .Y_len = n * K, .n_samples = n, .n_in = 2,
                                            .n_hidden = H, .n_out = K, .lr = 1.0, .loss_kind = XOR_LOSS_MSE};
                        double *layout = xor_simd_layout_new(&a, &a.layout_len);
                        failures += layout == NULL;
                        a.layout = layout;
                        for (a.max_threads = 1; a.max_threads <= 2; a.max_threads++)
                            failures += xor_simd_run(&a, 3, 1, losses, 3) != XOR_OK;
                        xor_simd_layout_free(layout);
                        double *out = malloc(sizeof(double) * n * K);
                        failures += xor_net_forward(out, n * K, w1, 2 * H, pb1, nb1, w2, H * K, pb2, nb2, X, 2 * n, n,
                                                    2, H, K) != XOR_OK;
                        failures += xor_simd_forward(out, n * K, w1, 2 * H, pb1, nb1, w2, H * K, pb2, nb2, X, 2 * n,
                                                     n, 2, H, K) != XOR_OK;
                        free(out), free(X), free(Y);
                    }
    /* the exp on each path's whole domain, and arguments it must refuse */
    enum { M = 100003 };
    static double x[M], y[M];
    for (int i = 0; i < M; i++) x[i] = -707.0 + 1414.0 * i / (M - 1);
    failures += xor_simd_exp(y, x, M, 0) != XOR_OK;
    for (int i = 0; i < M; i++) x[i] = -800.0 * i / (M - 1);
    failures += xor_simd_exp(y, x, M, 1) != XOR_OK;
    x[0] = 708.0;
    failures += xor_simd_exp(y, x, 1, 0) == XOR_OK;
    /* refused arguments: the checks themselves */
    double w[8] = {0};
    failures += xor_net_train(w, 8, NULL, 0, w, 4, NULL, 0, NULL, 0, NULL, w, 8, w, 4, (int64_t)1 << 62,
                              (int64_t)1 << 62, 4, 1, 1, 1.0, XOR_LOSS_MSE, 0) == XOR_OK;
    if (failures) {
        printf("%d calls did not return what they should\n", failures);
        return 1;
    }
    printf("ok\n");
    return 0;
}
