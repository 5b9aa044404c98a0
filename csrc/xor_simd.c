/*
 * xor_simd.c: the xorbench XOR network, fast variant ("c-simd"). Same network and interface as xor_net.c,
 * but it trades bit-identity for speed, on purpose and within LONG_RUN_RTOL["fast"] (1e-10 after 10,000
 * XOR epochs):
 *   - SIMD across samples: 4 samples per vector (GCC vector extensions). Every loop is compiled three times,
 *     for AVX-512 (x86-64-v4: 32 vector registers, which hold the 2-4-1 loop's parameters and sums where
 *     AVX2's 16 spill), for AVX2+FMA (x86-64-v3) and for the build's default target; the loader picks the
 *     best the CPU runs (target_clones: an ifunc);
 *   - its own vectorized exp (xor_vexp.h: an 8-entry 2^(j/8) table and a degree-7 polynomial, within 1 ULP),
 *     one exp and one division per sigmoid: the textbook 1 / (1 + exp(-z)), whose exp scales by 2^k by adding
 *     k to the exponent, which is exact only while the result is a normal number (|z| <= 707). A pass (an
 *     epoch, or a block) in which any |z| may be larger is redone with the overflow-safe sigmoid of the
 *     reference (from exp(-|z|)) and the slower scaling that is exact for subnormals too, so that test
 *     leaves the per-sigmoid critical path;
 *   - pre-activations start from the bias, the deltas multiply out * (1 - out) first, and the loss's scale
 *     (2 / count for mse) multiplies the learning rate, once per call, instead of every sample's terms;
 *   - vectors of padding only are skipped, and only a part-filled last vector is masked;
 *   - a loop for the canonical 2-4-1 shape, with the sizes known at compile time and the parameters and sums
 *     in registers, and a copy of it for canonical XOR's one vector of samples, with no loop over samples;
 *   - FMA: this file alone is compiled with -ffp-contract=fast, so a*b+c becomes one rounding;
 *   - threads (OpenMP), as many as the caller asks for (impls/c_simd_impl.py asks for every core from
 *     impls.core.PARALLEL_MIN samples on). Samples are cut into fixed blocks of XOR_SIMD_BLOCK; each block's
 *     partial gradients are summed in block order afterwards, so the result does not depend on the number
 *     of threads or on scheduling.
 * It never changes the floating-point environment: no -ffast-math, no -Ofast, no FTZ/DAZ.
 *
 * Build: cffi compiles it when the package is installed (pip install -e .; impls/_ffi_build.py) with
 *     -std=gnu99 -O3 -ffp-contract=fast -fopenmp
 * together with xor_peak.c (the roofline's microbenchmark) and xor_ext.c. The vector type and the exp are in
 * xor_vexp.h.
 *
 * Memory layout of the arguments: as xor_net.c (row-major float64). Internally, X and Y are read from
 * transposed, padded arrays: Xt (n_in, n_pad), Yt (n_out, n_pad), with n_pad a multiple of the block length
 * (XOR_SIMD_BLOCK, or the batch rounded up to whole vectors when smaller) and padded samples masked out of the
 * loss and gradients. xor_simd_train lays them out on every call; a caller that trains on the same samples
 * call after call lays them out once (xor_simd_layout_new) and passes them to xor_simd_run.
 */
#include "xor_simd.h"
#include "xor_vexp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* every loop, compiled for AVX-512, AVX2+FMA and the default target; the loader picks one (see the header) */
#define TARGETS __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

#define XOR_SIMD_BLOCK 2048 /* samples per block: the unit of work per thread and of the fixed-order sum */

/* overflow-safe logistic from e = exp(-|z|): 1/(1+e) for z >= 0, e/(1+e) for z < 0 */
ALWAYS_INLINE vd sigmoid_from(vd z, vd e) {
    vi neg = (vi)(z < splat(0.0));
    vd d = splat(1.0) / (splat(1.0) + e);
    return (vd)(((vi)(e * d) & neg) | ((vi)d & ~neg));
}

ALWAYS_INLINE vd neg_abs(vd z) { return (vd)((vi)z | (vi)splat(-0.0)); }

ALWAYS_INLINE vd vsigmoid(vd z) { return sigmoid_from(z, vexp_neg(neg_abs(z))); }

/* vsigmoid for the common case, |z| <= 707, where exp(-z) is a normal number: the textbook 1 / (1 + exp(-z)),
 * with no clamp and no test or branch on the critical path. It ORs the lanes where |z| may be larger (or NaN)
 * into *sub, and a caller that finds any set must redo its work with vsigmoid. */
ALWAYS_INLINE vd vsigmoid_normal(vd z, vi *sub) {
    *sub |= ~(vi)(neg_abs(z) >= splat(-707.0)); /* NaN too, so that it gets vsigmoid's result */
    return splat(1.0) / (splat(1.0) + vexp_normal(-z));
}

/* GROUP_ANY vectors of samples of any shape side by side, from s on, into the sums acc (gradients) and *sq
 * (squared error), in the order one vector after another would add them: each sum still adds its samples in
 * sample order, so the bits do not depend on the group. One vector's work is a chain two sigmoids deep that the
 * out-of-order window cannot overlap with the next vector's; side by side, each layer has `group` independent
 * exps in flight. With vsigmoid_normal (exact = 0), ORing into *sub the lanes where |z| may be too large for it,
 * or with vsigmoid (exact = 1).
 * acc: dw1 (n_in * n_hidden), db1 (n_hidden), dw2 (n_hidden * n_out), db2 (n_out) vectors;
 * h: n_hidden * group vectors, unit j of vector u at h[j * group + u]; d_out, diff: n_out * group vectors each */
#define GROUP_ANY 4
ALWAYS_INLINE void vectors_any(vd *restrict acc, vd *restrict h, vd *restrict d_out, vd *restrict diff, vd *sq,
                               vi *sub, const int exact, const int group, const double *Xt, const double *Yt,
                               const double *mask, const double *w1, const double *b1, const double *w2,
                               const double *b2, int64_t s, int64_t n_pad, int64_t n_in, int64_t n_hidden,
                               int64_t n_out, int want_grad) {
    vd *dw1 = acc, *db1 = dw1 + n_in * n_hidden, *dw2 = db1 + n_hidden, *db2 = dw2 + n_hidden * n_out;
    vd z[GROUP_ANY], d_z1[GROUP_ANY];
#define X_AT(i, u) (*(const vd *)(Xt + (i) * n_pad + s + (u) * LANES))
    for (int64_t j = 0; j < n_hidden; j++) {
        for (int u = 0; u < group; u++) z[u] = b1 ? splat(b1[j]) : splat(0.0);
        for (int64_t i = 0; i < n_in; i++) {
            vd w = splat(w1[i * n_hidden + j]);
            for (int u = 0; u < group; u++) z[u] += X_AT(i, u) * w;
        }
        for (int u = 0; u < group; u++) h[j * group + u] = exact ? vsigmoid(z[u]) : vsigmoid_normal(z[u], sub);
    }
    for (int64_t k = 0; k < n_out; k++) {
        for (int u = 0; u < group; u++) z[u] = b2 ? splat(b2[k]) : splat(0.0);
        for (int64_t j = 0; j < n_hidden; j++) {
            vd w = splat(w2[j * n_out + k]);
            for (int u = 0; u < group; u++) z[u] += h[j * group + u] * w;
        }
        for (int u = 0; u < group; u++) {
            int64_t su = s + u * LANES;
            vd out = exact ? vsigmoid(z[u]) : vsigmoid_normal(z[u], sub);
            vd dk = (out - *(const vd *)(Yt + k * n_pad + su)) * *(const vd *)(mask + su);
            diff[k * group + u] = dk;
            d_out[k * group + u] = dk * (out * (splat(1.0) - out)); /* times scale: with the learning rate, in step() */
        }
    }
    for (int u = 0; u < group; u++) /* sample by sample, an output after another */
        for (int64_t k = 0; k < n_out; k++) *sq += diff[k * group + u] * diff[k * group + u];
    if (!want_grad) return;
    for (int64_t k = 0; k < n_out; k++)
        for (int u = 0; u < group; u++) db2[k] += d_out[k * group + u];
    for (int64_t j = 0; j < n_hidden; j++) {
        for (int u = 0; u < group; u++) d_z1[u] = splat(0.0); /* d_hidden, until it is multiplied below */
        for (int64_t k = 0; k < n_out; k++) {
            vd a = dw2[j * n_out + k], w = splat(w2[j * n_out + k]);
            for (int u = 0; u < group; u++) {
                a += h[j * group + u] * d_out[k * group + u];
                d_z1[u] += d_out[k * group + u] * w;
            }
            dw2[j * n_out + k] = a;
        }
        for (int u = 0; u < group; u++) d_z1[u] = d_z1[u] * (h[j * group + u] * (splat(1.0) - h[j * group + u]));
        for (int64_t i = 0; i < n_in; i++) {
            vd a = dw1[i * n_hidden + j];
            for (int u = 0; u < group; u++) a += X_AT(i, u) * d_z1[u];
            dw1[i * n_hidden + j] = a;
        }
        for (int u = 0; u < group; u++) db1[j] += d_z1[u];
    }
#undef X_AT
}

/* One block of samples [b0, b0 + b_len): accumulate its gradients (if want_grad) into acc, which the caller
 * zeroed, and return its squared error. It runs with vsigmoid_normal and is redone with vsigmoid in the rare
 * block where some |z| > 707. work: the scratch of vectors_any, GROUP_ANY * (n_hidden + 2 * n_out) vectors */
ALWAYS_INLINE double block(vd *acc, vd *work, const double *Xt, const double *Yt, const double *mask,
                           const double *w1, const double *b1, const double *w2, const double *b2,
                           int64_t b0, int64_t b_len, int64_t n_pad, int64_t n_in, int64_t n_hidden,
                           int64_t n_out, int want_grad) {
    int64_t n_acc = n_in * n_hidden + n_hidden + n_hidden * n_out + n_out;
    vd *h = work, *d_out = h + GROUP_ANY * n_hidden, *diff = d_out + GROUP_ANY * n_out;
    vd sq;
    vi sub = {0, 0, 0, 0};
    for (int exact = 0; exact < 2; exact++) {
        sq = splat(0.0);
        if (exact && want_grad) memset(acc, 0, (size_t)n_acc * sizeof(vd));
        int64_t s = b0, end = b0 + b_len;
#define VECTORS(ex, group)                                                                                         \
    vectors_any(acc, h, d_out, diff, &sq, &sub, ex, group, Xt, Yt, mask, w1, b1, w2, b2, s, n_pad, n_in, n_hidden, \
                n_out, want_grad)
        if (!exact) { /* exact is a constant in each copy of the loops */
            for (; s + GROUP_ANY * LANES <= end; s += GROUP_ANY * LANES) VECTORS(0, GROUP_ANY);
            for (; s < end; s += LANES) VECTORS(0, 1);
        } else {
            for (; s + GROUP_ANY * LANES <= end; s += GROUP_ANY * LANES) VECTORS(1, GROUP_ANY);
            for (; s < end; s += LANES) VECTORS(1, 1);
        }
#undef VECTORS
        if (__builtin_expect(!any_lane(sub), 1)) break;
    }
    return hsum(sq);
}

/* One training call: the parameters (updated in place), the transposed data, the scratch, the sizes and
 * the scalars of the call. */
typedef struct job job_t;
typedef double (*block_fn)(job_t *J, int64_t b, int t, int want_grad);

struct job {
    double *w1, *b1, *w2, *b2;
    double *losses, *final_loss;
    const double *Xt, *Yt, *mask; /* (n_in, n_pad), (n_out, n_pad), (n_pad): transposed, padded samples */
    vd *acc;                      /* n_blocks * n_acc vectors */
    vd *work;   /* per thread: block()'s scratch, work_stride vectors apart (no two threads share a cache line) */
    double *sq; /* n_blocks */
    int64_t n_pad, n_blocks, block_len, n_in, n_hidden, n_out, n_acc, work_stride;
    int64_t n_vec, n_full; /* the samples in whole vectors, padded lanes included, and in vectors without any */
    int64_t epochs, record_every;
    double lr, scale, count; /* scale: 2 / count for mse, 2 for sse; count = n_samples * n_out */
    int mse, threads;
    block_fn run_block;
};

ALWAYS_INLINE vd hsum_all(vd v) {
    vd t = v + __builtin_shuffle(v, (vi){1, 0, 3, 2}); /* (v0+v1, v1+v0, v2+v3, v3+v2) */
    return t + __builtin_shuffle(t, (vi){2, 3, 0, 1}); /* (v0+v1)+(v2+v3) in every lane */
}

/* The canonical 2-4-1 network with its sizes known at compile time. Its parameters, and the sums its samples
 * give (the gradients, in the order of block()'s acc, and the squared error), are kept as local vectors that
 * stay in registers: each parameter is broadcast to every lane, each sum is per lane. */
typedef struct {
    vd w1[8], b1[4], w2[4], b2;
} net241_t;

typedef struct {
    vd w1[8], b1[4], w2[4], b2, sq;
} sums241_t;

/* Add to *g the sums of the `group` vectors of samples from s on, in block()'s expressions and order, on this
 * shape, interleaved step by step: one vector's work is a long dependency chain (two sigmoids deep), and a core's
 * out-of-order window holds about one, so independent vectors side by side give it work to overlap. Each sum
 * still adds its samples in sample order, so the bits do not depend on the group. With vsigmoid_normal
 * (exact = 0), ORing into *sub the lanes where |z| may be too large for it, or with vsigmoid (exact = 1). */
#define GROUP_MAX 8
ALWAYS_INLINE void vectors_241(sums241_t *g, vi *sub, const net241_t *P, const int bias, const int exact,
                               const int group, const int masked, const double *Xt, const double *Yt, const double *mask,
                               int64_t n_pad, int64_t s) {
    vd x0[GROUP_MAX], x1[GROUP_MAX], h[4][GROUP_MAX], out[GROUP_MAX], d_out[GROUP_MAX];
#pragma GCC unroll 8
    for (int u = 0; u < group; u++)
        x0[u] = *(const vd *)(Xt + s + u * LANES), x1[u] = *(const vd *)(Xt + n_pad + s + u * LANES);
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) {
#pragma GCC unroll 8
        for (int u = 0; u < group; u++) {
            vd z = bias ? P->b1[j] : splat(0.0);
            z += x0[u] * P->w1[j];
            z += x1[u] * P->w1[4 + j];
            h[j][u] = exact ? vsigmoid(z) : vsigmoid_normal(z, sub);
        }
    }
#pragma GCC unroll 8
    for (int u = 0; u < group; u++) {
        vd z = bias ? P->b2 : splat(0.0);
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) z += h[j][u] * P->w2[j];
        out[u] = exact ? vsigmoid(z) : vsigmoid_normal(z, sub);
    }
#pragma GCC unroll 8
    for (int u = 0; u < group; u++) {
        int64_t su = s + u * LANES;
        vd diff = out[u] - *(const vd *)(Yt + su);
        if (masked) diff *= *(const vd *)(mask + su); /* only the last vector has padded lanes */
        g->sq += diff * diff;
        d_out[u] = diff * (out[u] * (splat(1.0) - out[u]));
        g->b2 += d_out[u];
    }
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) {
#pragma GCC unroll 8
        for (int u = 0; u < group; u++) {
            vd d_hidden = splat(0.0);
            g->w2[j] += h[j][u] * d_out[u];
            d_hidden += d_out[u] * P->w2[j];
            vd d_z1 = d_hidden * (h[j][u] * (splat(1.0) - h[j][u]));
            g->w1[j] += x0[u] * d_z1;
            g->w1[4 + j] += x1[u] * d_z1;
            g->b1[j] += d_z1;
        }
    }
}

/* The sums of samples [s0, s1) into *g: GROUP_MAX vectors at a time, then four, then any left one at a time; from
 * s_full on (at most one vector), masked. Returns the lanes where an exp may have been subnormal (exact = 0). */
ALWAYS_INLINE vi samples_241(sums241_t *g, const net241_t *P, const int bias, const int exact, const double *Xt,
                             const double *Yt, const double *mask, int64_t n_pad, int64_t s0, int64_t s1,
                             int64_t s_full) {
    vi sub = {0, 0, 0, 0};
    g->b2 = g->sq = splat(0.0);
#pragma GCC unroll 8
    for (int a = 0; a < 8; a++) g->w1[a] = splat(0.0);
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) g->b1[j] = g->w2[j] = splat(0.0);
    int64_t s = s0;
    for (; s + GROUP_MAX * LANES <= s_full; s += GROUP_MAX * LANES)
        vectors_241(g, &sub, P, bias, exact, GROUP_MAX, 0, Xt, Yt, mask, n_pad, s);
    for (; s + 4 * LANES <= s_full; s += 4 * LANES) /* N=16: four vectors side by side, not one after another */
        vectors_241(g, &sub, P, bias, exact, 4, 0, Xt, Yt, mask, n_pad, s);
    for (; s < s_full; s += LANES) vectors_241(g, &sub, P, bias, exact, 1, 0, Xt, Yt, mask, n_pad, s);
    if (s < s1) vectors_241(g, &sub, P, bias, exact, 1, 1, Xt, Yt, mask, n_pad, s); /* the part-filled vector */
    return sub;
}

/* samples_241 with vsigmoid_normal, redone with vsigmoid in the rare pass where some |z| > 707; bias and
 * exact are constants in each copy of the loop, so none of them tests them per sample */
ALWAYS_INLINE void sums_241(sums241_t *g, const net241_t *P, int bias, const double *Xt, const double *Yt,
                            const double *mask, int64_t n_pad, int64_t s0, int64_t s1, int64_t s_full) {
    if (bias) {
        if (__builtin_expect(any_lane(samples_241(g, P, 1, 0, Xt, Yt, mask, n_pad, s0, s1, s_full)), 0))
            samples_241(g, P, 1, 1, Xt, Yt, mask, n_pad, s0, s1, s_full);
    } else if (__builtin_expect(any_lane(samples_241(g, P, 0, 0, Xt, Yt, mask, n_pad, s0, s1, s_full)), 0)) {
        samples_241(g, P, 0, 1, Xt, Yt, mask, n_pad, s0, s1, s_full);
    }
}

ALWAYS_INLINE void load_241(net241_t *P, const job_t *J) {
    for (int a = 0; a < 8; a++) P->w1[a] = splat(J->w1[a]);
    for (int j = 0; j < 4; j++) P->w2[j] = splat(J->w2[j]), P->b1[j] = splat(J->b1 ? J->b1[j] : 0.0);
    P->b2 = splat(J->b1 ? J->b2[0] : 0.0);
}

/* 2-4-1 with every sample in one block: the whole training loop in one function, the parameters in registers
 * from the first epoch to the last; hsum_all leaves the same sum as hsum in every lane (a + b == b + a in IEEE
 * arithmetic). Same expressions, in the same order, as block() + step() on this shape. */
ALWAYS_INLINE void train_241_n(const job_t *J, int64_t n_pad, int64_t n_vec, int64_t n_full) {
    int64_t epochs = J->epochs, record_every = J->record_every;
    double count = J->count;
    int mse = J->mse, bias = J->b1 != NULL;
    net241_t P;
    load_241(&P, J);
    vd LR = splat(J->lr * J->scale); /* the gradient sums' scale, applied with the learning rate */
    int64_t last = J->final_loss ? epochs : epochs - 1; /* e == epochs: the final forward pass, for the loss only */
    for (int64_t e = 0; e <= last; e++) {
        sums241_t g;
        sums_241(&g, &P, bias, J->Xt, J->Yt, J->mask, n_pad, 0, n_vec, n_full);
        if (e == epochs || (record_every > 0 && e % record_every == 0)) { /* only the losses that are kept */
            double loss = mse ? hsum(g.sq) / count : hsum(g.sq);
            if (e == epochs) {
                *J->final_loss = loss;
                break;
            }
            J->losses[e / record_every] = loss;
        }
        for (int a = 0; a < 8; a++) P.w1[a] -= LR * hsum_all(g.w1[a]);
        for (int j = 0; j < 4; j++) P.w2[j] -= LR * hsum_all(g.w2[j]);
        if (bias) {
            for (int j = 0; j < 4; j++) P.b1[j] -= LR * hsum_all(g.b1[j]);
            P.b2 -= LR * hsum_all(g.b2);
        }
    }
    for (int a = 0; a < 8; a++) J->w1[a] = P.w1[a][0];
    for (int j = 0; j < 4; j++) J->w2[j] = P.w2[j][0];
    if (bias) {
        for (int j = 0; j < 4; j++) J->b1[j] = P.b1[j][0];
        J->b2[0] = P.b2[0];
    }
}

/* canonical XOR's one vector of samples gets a copy of the loop with no loop over samples */
TARGETS static void train_241(const job_t *J) {
    if (J->n_pad == LANES && J->n_full == LANES)
        train_241_n(J, LANES, LANES, LANES);
    else
        train_241_n(J, J->n_pad, J->n_vec, J->n_full);
}

/* where block c's samples end: its vectors of padding only are skipped */
ALWAYS_INLINE int64_t block_end(const job_t *J, int64_t c) {
    int64_t end = (c + 1) * J->block_len;
    return end < J->n_vec ? end : J->n_vec;
}

/* one block of the 2-4-1 network, as block() computes it, the sums in registers until the block is done */
TARGETS static double block_241(job_t *J, int64_t c, int t, int want_grad) {
    (void)t;
    net241_t P;
    sums241_t g;
    load_241(&P, J);
    int64_t s0 = c * J->block_len, s1 = block_end(J, c);
    sums_241(&g, &P, J->b1 != NULL, J->Xt, J->Yt, J->mask, J->n_pad, s0, s1, s1 < J->n_full ? s1 : J->n_full);
    if (want_grad) {
        vd *acc = J->acc + c * J->n_acc; /* dw1 (8), db1 (4), dw2 (4), db2 (1) */
        for (int a = 0; a < 8; a++) acc[a] = g.w1[a];
        for (int j = 0; j < 4; j++) acc[8 + j] = g.b1[j], acc[12 + j] = g.w2[j];
        acc[16] = g.b2;
    }
    return hsum(g.sq);
}

ALWAYS_INLINE double block_of(job_t *J, int64_t c, int t, int want_grad) {
    return block(J->acc + c * J->n_acc, J->work + (int64_t)t * J->work_stride, J->Xt, J->Yt, J->mask, J->w1, J->b1, J->w2, J->b2,
                 c * J->block_len, block_end(J, c) - c * J->block_len, J->n_pad, J->n_in, J->n_hidden, J->n_out,
                 want_grad);
}

/* any shape; dispatching per block keeps OpenMP's outlined loop out of the clones */
TARGETS static double block_any(job_t *J, int64_t c, int t, int g) { return block_of(J, c, t, g); }

/* Every block once (in parallel when threads > 1); returns the squared-error sum, summed in block order */
static double pass(job_t *J, int want_grad) {
    if (want_grad) memset(J->acc, 0, (size_t)(J->n_blocks * J->n_acc) * sizeof(vd));
    if (J->threads > 1) {
        /* a block at a time to whichever thread is free: on a shared VM a vCPU the host slows down does not
         * hold the other back (two threads against one at N=65536: 0.9-2x with static halves, 1.8-2x so); the
         * bits do not depend on it, every block's sums being kept apart and added in block order */
#pragma omp parallel for schedule(dynamic, 1) num_threads(J->threads)
        for (int64_t c = 0; c < J->n_blocks; c++) {
            int t = 0;
#ifdef _OPENMP
            t = omp_get_thread_num();
#endif
            J->sq[c] = J->run_block(J, c, t, want_grad);
        }
    } else {
        for (int64_t c = 0; c < J->n_blocks; c++) J->sq[c] = J->run_block(J, c, 0, want_grad);
    }
    double sq = 0.0;
    for (int64_t c = 0; c < J->n_blocks; c++) sq += J->sq[c];
    return sq;
}

static void step(job_t *J, double lr) {
    /* fixed order: block partials into block 0, then lanes */
    vd *acc = J->acc;
    for (int64_t c = 1; c < J->n_blocks; c++)
        for (int64_t a = 0; a < J->n_acc; a++) acc[a] += acc[c * J->n_acc + a];
    int64_t nw1 = J->n_in * J->n_hidden, nw2 = J->n_hidden * J->n_out;
    for (int64_t a = 0; a < nw1; a++) J->w1[a] -= lr * hsum(acc[a]);
    for (int64_t a = 0; a < nw2; a++) J->w2[a] -= lr * hsum(acc[nw1 + J->n_hidden + a]);
    if (J->b1) {
        for (int64_t j = 0; j < J->n_hidden; j++) J->b1[j] -= lr * hsum(acc[nw1 + j]);
        for (int64_t k = 0; k < J->n_out; k++) J->b2[k] -= lr * hsum(acc[nw1 + J->n_hidden + nw2 + k]);
    }
}

/* any shape, any number of blocks, threads */
static void train_loop(job_t *J) {
    for (int64_t e = 0; e < J->epochs; e++) {
        double sq = pass(J, 1);
        if (J->record_every > 0 && e % J->record_every == 0)
            J->losses[e / J->record_every] = J->mse ? sq / J->count : sq;
        step(J, J->lr * J->scale); /* the gradient sums' scale, applied with the learning rate */
    }
    if (J->final_loss) { /* NULL: not wanted, and the final forward pass is skipped */
        double sq = pass(J, 0);
        *J->final_loss = J->mse ? sq / J->count : sq;
    }
}

TARGETS static void exp_any(double *out, const double *x, int64_t n, int subnormal) {
    for (int64_t s = 0; s < n; s += LANES) {
        vd v = splat(0.0);
        for (int64_t l = 0; l < LANES && s + l < n; l++) v[l] = x[s + l];
        v = subnormal ? vexp_neg(v) : vexp_normal(v);
        for (int64_t l = 0; l < LANES && s + l < n; l++) out[s + l] = v[l];
    }
}

int xor_simd_exp(double *out, const double *x, int64_t n, int subnormal) {
    if (n < 0 || (n > 0 && (!out || !x))) return XOR_ERR_ARG;
    for (int64_t i = 0; i < n; i++) /* each path's domain */
        if (!(subnormal ? x[i] <= 0.0 : x[i] >= -707.0 && x[i] <= 707.0)) return XOR_ERR_ARG;
    exp_any(out, x, n, subnormal);
    return XOR_OK;
}

const char *xor_simd_path(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("x86-64-v4")) return "x86-64-v4 (AVX-512 registers), 4 doubles per vector, FMA";
    return xor_have_avx2() ? "x86-64-v3 (AVX2), 4 doubles per vector, FMA" : "default target: generic vectors, no FMA";
}

/* every core the process may run on (its CPU affinity), capped by OMP_NUM_THREADS as the environment set it;
 * not omp_get_max_threads(), which any library in the process can lower for everyone (torch.set_num_threads(1)
 * does, through the same libgomp) */
int xor_simd_max_threads(void) {
#ifdef _OPENMP
    static int cores = 0; /* found once: omp_get_num_procs() asks the kernel, about 0.4 us a call */
    int n = __atomic_load_n(&cores, __ATOMIC_RELAXED);
    if (n > 0) return n;
    n = omp_get_num_procs();
    const char *env = getenv("OMP_NUM_THREADS");
    long cap = env ? strtol(env, NULL, 10) : 0; /* "4" or "4,2": the first level's count */
    n = cap > 0 && cap < n ? (int)cap : n;
    __atomic_store_n(&cores, n, __ATOMIC_RELAXED);
    return n;
#else
    return 1;
#endif
}

/* the blocking, which depends on n_samples only, never on the number of threads */
static void blocking(job_t *J, int64_t n_samples) {
    J->block_len = n_samples < XOR_SIMD_BLOCK ? (n_samples + LANES - 1) / LANES * LANES : XOR_SIMD_BLOCK;
    J->n_blocks = (n_samples + J->block_len - 1) / J->block_len;
    J->n_pad = J->n_blocks * J->block_len;
    J->n_vec = (n_samples + LANES - 1) / LANES * LANES; /* vectors of padding only are skipped */
    J->n_full = n_samples / LANES * LANES;
}

/* the doubles the laid-out samples take, Xt, Yt and the mask; -1 for more than can ever be allocated */
static int64_t layout_len(int64_t n_pad, int64_t n_in, int64_t n_out) {
    return xor_mul_within(n_pad, n_in + n_out + 1, XOR_MAX_DOUBLES) ? n_pad * (n_in + n_out + 1) : -1;
}

/* Xt (n_in, n_pad), Yt (n_out, n_pad) and mask (n_pad), one after another in data, from row-major X and Y;
 * the padding's samples are zeros, masked out */
static void lay_out(double *data, const double *X, const double *Y, int64_t n_samples, int64_t n_pad,
                    int64_t n_in, int64_t n_out) {
    double *Xt = data, *Yt = Xt + n_in * n_pad, *mask = Yt + n_out * n_pad;
    memset(data, 0, (size_t)((n_in + n_out + 1) * n_pad) * sizeof(double));
    for (int64_t s = 0; s < n_samples; s++) {
        for (int64_t i = 0; i < n_in; i++) Xt[i * n_pad + s] = X[s * n_in + i];
        for (int64_t k = 0; k < n_out; k++) Yt[k * n_pad + s] = Y[s * n_out + k];
        mask[s] = 1.0;
    }
}

/* xor_simd_train, reading the samples from `layout` (layout_len doubles, as lay_out wrote them) when it is not
 * NULL, and laying them out into its own work area otherwise */
static int train(double *w1, int64_t w1_len, double *b1, int64_t b1_len, double *w2, int64_t w2_len, double *b2,
                 int64_t b2_len, double *losses, int64_t losses_len, double *final_loss, const double *X,
                 int64_t X_len, const double *Y, int64_t Y_len, int64_t n_samples, int64_t n_in, int64_t n_hidden,
                 int64_t n_out, int64_t epochs, double lr, int loss_kind, int64_t record_every, int max_threads,
                 const double *layout, int64_t n_layout) {
    int rc = xor_check_train_args(w1, w1_len, b1, b1_len, w2, w2_len, b2, b2_len, losses, losses_len, final_loss,
                                  X, X_len, Y, Y_len, n_samples, n_in, n_hidden, n_out, epochs, lr, loss_kind,
                                  record_every);
    if (rc != XOR_OK) return rc;
    if (max_threads < 0) return XOR_ERR_ARG;

    int mse = loss_kind == XOR_LOSS_MSE;
    double count = (double)(n_samples * n_out);
    job_t J = {.w1 = w1, .b1 = b1, .w2 = w2, .b2 = b2, .losses = losses, .final_loss = final_loss,
               .n_in = n_in, .n_hidden = n_hidden, .n_out = n_out, .epochs = epochs, .record_every = record_every,
               .lr = lr, .scale = mse ? 2.0 / count : 2.0, .count = count, .mse = mse};
    int is_241 = n_in == 2 && n_hidden == 4 && n_out == 1;
    blocking(&J, n_samples);
    J.run_block = is_241 ? block_241 : block_any;
    J.n_acc = n_in * n_hidden + n_hidden + n_hidden * n_out + n_out;
    int cores = xor_simd_max_threads();
    J.threads = max_threads > 0 && max_threads < cores ? max_threads : cores;
    if (J.threads > J.n_blocks) J.threads = (int)J.n_blocks;

    /* every byte count below is checked against overflow before it is computed */
    int64_t n_data = layout_len(J.n_pad, n_in, n_out);
    if (n_data < 0 || !xor_mul_within(J.n_blocks, J.n_acc, XOR_MAX_DOUBLES / LANES) ||
        !xor_mul_within(J.threads, GROUP_ANY * (n_hidden + 2 * n_out) + 8, XOR_MAX_DOUBLES / LANES))
        return XOR_ERR_NOMEM;
    if (layout && n_layout != n_data) return XOR_ERR_SIZE;
    size_t data = layout ? 0 : (size_t)n_data * sizeof(double); /* a multiple of 32 bytes: n_pad is */
    size_t acc = (size_t)(J.n_blocks * J.n_acc) * sizeof(vd);
    J.work_stride = (GROUP_ANY * (n_hidden + 2 * n_out) + 3) / 4 * 4 + 4; /* whole 128-byte lines, plus one more */
    size_t work = (size_t)(J.threads * J.work_stride) * sizeof(vd);
    size_t sqs = (size_t)J.n_blocks * sizeof(double);
    char *mem = NULL;
    if (posix_memalign((void **)&mem, 64, data + acc + work + sqs) != 0) return XOR_ERR_NOMEM;
    if (!layout) lay_out((double *)mem, X, Y, n_samples, J.n_pad, n_in, n_out);
    J.Xt = layout ? layout : (const double *)mem;
    J.Yt = J.Xt + n_in * J.n_pad;
    J.mask = J.Yt + n_out * J.n_pad;
    J.acc = (vd *)(mem + data);
    J.work = (vd *)(mem + data + acc);
    J.sq = (double *)(mem + data + acc + work);

    if (is_241 && J.n_blocks == 1)
        train_241(&J);
    else
        train_loop(&J);
    free(mem);
    return XOR_OK;
}

int xor_simd_train(double *w1, int64_t w1_len, double *b1, int64_t b1_len,
                   double *w2, int64_t w2_len, double *b2, int64_t b2_len,
                   double *losses, int64_t losses_len, double *final_loss,
                   const double *X, int64_t X_len, const double *Y, int64_t Y_len,
                   int64_t n_samples, int64_t n_in, int64_t n_hidden, int64_t n_out,
                   int64_t epochs, double lr, int loss_kind, int64_t record_every, int max_threads) {
    return train(w1, w1_len, b1, b1_len, w2, w2_len, b2, b2_len, losses, losses_len, final_loss, X, X_len, Y, Y_len,
                 n_samples, n_in, n_hidden, n_out, epochs, lr, loss_kind, record_every, max_threads, NULL, 0);
}

int xor_simd_run(const xor_train_args *a, int64_t epochs, int64_t record_every, double *losses, int64_t losses_len) {
    if (!a) return XOR_ERR_ARG;
    return train(a->w1, a->w1_len, a->b1, a->b1_len, a->w2, a->w2_len, a->b2, a->b2_len, losses, losses_len,
                 a->final_loss, a->X, a->X_len, a->Y, a->Y_len, a->n_samples, a->n_in, a->n_hidden, a->n_out, epochs,
                 a->lr, a->loss_kind, record_every, a->max_threads, a->layout, a->layout_len);
}

double *xor_simd_layout_new(const xor_train_args *a, int64_t *len) {
    if (!a || !len || a->max_threads < 0) return NULL;
    if (xor_check_train_args(a->w1, a->w1_len, a->b1, a->b1_len, a->w2, a->w2_len, a->b2, a->b2_len, NULL, 0,
                             a->final_loss, a->X, a->X_len, a->Y, a->Y_len, a->n_samples, a->n_in, a->n_hidden,
                             a->n_out, 0, a->lr, a->loss_kind, 0) != XOR_OK)
        return NULL;
    job_t J = {0};
    blocking(&J, a->n_samples);
    int64_t n = layout_len(J.n_pad, a->n_in, a->n_out);
    double *layout = NULL;
    if (n < 0 || posix_memalign((void **)&layout, 64, (size_t)n * sizeof(double)) != 0) return NULL;
    lay_out(layout, a->X, a->Y, a->n_samples, J.n_pad, a->n_in, a->n_out);
    *len = n;
    return layout;
}

void xor_simd_layout_free(double *layout) { free(layout); }

ALWAYS_INLINE void forward_loop(double *out, const double *Xt, const double *w1, const double *b1,
                                const double *w2, const double *b2, vd *h, int64_t n_samples, int64_t n_pad,
                                int64_t n_in, int64_t n_hidden, int64_t n_out) {
    for (int64_t s = 0; s < n_pad; s += LANES) {
        for (int64_t j = 0; j < n_hidden; j++) {
            vd z = splat(0.0);
            for (int64_t i = 0; i < n_in; i++) z += *(const vd *)(Xt + i * n_pad + s) * splat(w1[i * n_hidden + j]);
            if (b1) z += splat(b1[j]);
            h[j] = vsigmoid(z);
        }
        for (int64_t k = 0; k < n_out; k++) {
            vd z = splat(0.0);
            for (int64_t j = 0; j < n_hidden; j++) z += h[j] * splat(w2[j * n_out + k]);
            if (b2) z += splat(b2[k]);
            vd o = vsigmoid(z);
            for (int64_t l = 0; l < LANES && s + l < n_samples; l++) out[(s + l) * n_out + k] = o[l];
        }
    }
}

TARGETS static void forward_any(double *out, const double *Xt, const double *w1, const double *b1, const double *w2,
                                const double *b2, vd *h, int64_t n_samples, int64_t n_pad, int64_t n_in,
                                int64_t n_hidden, int64_t n_out) {
    forward_loop(out, Xt, w1, b1, w2, b2, h, n_samples, n_pad, n_in, n_hidden, n_out);
}

int xor_simd_forward(double *out, int64_t out_len,
                     const double *w1, int64_t w1_len, const double *b1, int64_t b1_len,
                     const double *w2, int64_t w2_len, const double *b2, int64_t b2_len,
                     const double *X, int64_t X_len,
                     int64_t n_samples, int64_t n_in, int64_t n_hidden, int64_t n_out) {
    int rc = xor_check_forward_args(out_len, out, w1, w1_len, b1, b1_len, w2, w2_len, b2, b2_len, X, X_len,
                                    n_samples, n_in, n_hidden, n_out);
    if (rc != XOR_OK) return rc;
    int64_t n_pad = (n_samples + LANES - 1) / LANES * LANES;
    if (!xor_mul_within(n_pad, n_in, XOR_MAX_DOUBLES)) return XOR_ERR_NOMEM;
    size_t data = (size_t)(n_in * n_pad) * sizeof(double);
    char *mem = NULL;
    if (posix_memalign((void **)&mem, 64, data + (size_t)n_hidden * sizeof(vd)) != 0) return XOR_ERR_NOMEM;
    double *Xt = (double *)mem;
    memset(Xt, 0, data);
    for (int64_t s = 0; s < n_samples; s++)
        for (int64_t i = 0; i < n_in; i++) Xt[i * n_pad + s] = X[s * n_in + i];
    vd *h = (vd *)(mem + data);
    forward_any(out, Xt, w1, b1, w2, b2, h, n_samples, n_pad, n_in, n_hidden, n_out);
    free(mem);
    return XOR_OK;
}
