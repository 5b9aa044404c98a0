/*
 * xor_simd.h: the fast variant of the xorbench XOR network (SIMD, own vector exp, FMA, threads); see
 * xor_simd.c. Same argument conventions and error codes as xor_net.h, plus max_threads: at most that many
 * OpenMP threads, 0 for every core (the caller decides when a batch is large enough to split).
 */
#ifndef XOR_SIMD_H
#define XOR_SIMD_H

#include <stdint.h>

#include "xor_common.h"
#include "xor_ext.h"

int xor_simd_train(double *w1, int64_t w1_len, double *b1, int64_t b1_len,
                   double *w2, int64_t w2_len, double *b2, int64_t b2_len,
                   double *losses, int64_t losses_len, double *final_loss,
                   const double *X, int64_t X_len, const double *Y, int64_t Y_len,
                   int64_t n_samples, int64_t n_in, int64_t n_hidden, int64_t n_out,
                   int64_t epochs, double lr, int loss_kind, int64_t record_every, int max_threads);

/* xor_simd_train with its arguments prepared once in *a (max_threads included); the rest per call. With
 * a->layout set, the samples are read from it, as xor_simd_layout_new laid them out, instead of being laid out
 * again: XOR_ERR_SIZE if a->layout_len is not the length the sizes give. */
int xor_simd_run(const xor_train_args *a, int64_t epochs, int64_t record_every, double *losses, int64_t losses_len);

/* X and Y of *a laid out as the kernel reads them (transposed, padded, with the padding's mask), for a caller
 * that trains on the same samples call after call (a Trainer, whose X and Y never change): set a->layout to it
 * and a->layout_len to *len. NULL, without allocating, if *a fails xor_simd_run's checks or memory runs out.
 * Free it with xor_simd_layout_free once no call can use it. */
double *xor_simd_layout_new(const xor_train_args *a, int64_t *len);
void xor_simd_layout_free(double *layout);

/* Network outputs for every sample: out (n_samples, n_out), through the same vector exp and FMA. */
int xor_simd_forward(double *out, int64_t out_len,
                     const double *w1, int64_t w1_len, const double *b1, int64_t b1_len,
                     const double *w2, int64_t w2_len, const double *b2, int64_t b2_len,
                     const double *X, int64_t X_len,
                     int64_t n_samples, int64_t n_in, int64_t n_hidden, int64_t n_out);

/* (xor_peak.c) The machine's limits on one core, for bench/roofline.py; each measured for about seconds/XOR_PEAKS.
 * Throughputs of 4-lane AVX2 vectors, in element operations per second: rates[0] c-simd's own exp, [1] division
 * (1 / (1 + v)), [2] FMA, [3] glibc's libmvec exp (_ZGVdN4v_exp). Latencies, as operations per second of one
 * dependent chain: [4] own exp, [5] libmvec exp, [6] 1 / (1 + v), [7] FMA. [8] libmvec's 8-lane AVX-512 exp
 * (_ZGVeN8v_exp), elements per second; 0 without AVX-512. XOR_ERR_ARG without AVX2+FMA. */
#define XOR_PEAKS 9
int xor_simd_peak(double *rates, int64_t rates_len, double seconds);

/* For the tests: out[i] = exp(x[i]) through the kernels' own vector exp, on the path vsigmoid_normal takes
 * (subnormal = 0: |x| <= 707, normal results) or the one vsigmoid takes (subnormal = 1: x <= 0, subnormal
 * results too). XOR_ERR_ARG for an x outside the path's domain. */
int xor_simd_exp(double *out, const double *x, int64_t n, int subnormal);

/* which compiled path runs on this CPU, e.g. "avx2+fma, 4 doubles per vector" */
const char *xor_simd_path(void);

/* the threads max_threads = 0 means: every core this process may run on, capped by OMP_NUM_THREADS (1 without
 * OpenMP) */
int xor_simd_max_threads(void);

#endif
