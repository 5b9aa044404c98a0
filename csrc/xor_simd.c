/*
 * xor_simd.c: the xorbench XOR network, fast variant ("c-simd"). Same network and interface as xor_net.c,
 * but it trades bit-identity for speed, on purpose and within LONG_RUN_RTOL["fast"] (1e-10 after 10,000
 * XOR epochs):
 *   - SIMD across samples: 4 samples per vector (GCC vector extensions; an AVX2+FMA clone and a generic
 *     clone are compiled, and the AVX2 one is chosen at run time when the CPU has it);
 *   - its own vectorized exp (Cody-Waite range reduction, degree-12 polynomial evaluated by Estrin's scheme,
 *     ~1 ULP), one exp and one division per sigmoid. Its final scaling by 2^k adds k to the exponent, which
 *     is exact only for normal results; a pass (an epoch, or a chunk) in which any exp may have been
 *     subnormal is redone with the slower scaling that is exact for them too, so the branch leaves the
 *     per-sigmoid critical path and the results are unchanged;
 *   - a clone for the canonical 2-4-1 shape, with the sizes known at compile time;
 *   - FMA: this file alone is compiled with -ffp-contract=fast, so a*b+c becomes one rounding;
 *   - threads (OpenMP) for batches of XOR_SIMD_PARALLEL_MIN samples or more. Samples are cut into fixed
 *     chunks of XOR_SIMD_CHUNK; each chunk's partial gradients are summed in chunk order afterwards, so
 *     the result does not depend on the number of threads or on scheduling.
 * It never changes the floating-point environment: no -ffast-math, no -Ofast, no FTZ/DAZ.
 *
 * Build: cffi compiles it when the package is installed (pip install -e .; impls/_ffi_build_simd.py) with
 *     -std=gnu99 -O3 -ffp-contract=fast -fopenmp
 *
 * Memory layout of the arguments: as xor_net.c (row-major float64). Internally, X and Y are copied once
 * per call into transposed, padded arrays: Xt (n_in, n_pad), Yt (n_out, n_pad), with n_pad a multiple of
 * the chunk length (XOR_SIMD_CHUNK, or the batch rounded up to whole vectors when smaller) and padded
 * samples masked out of the loss and gradients.
 */
#include "xor_simd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define LANES 4
#define XOR_SIMD_CHUNK 256 /* samples per chunk: the unit of work per thread and of the fixed-order sum */

typedef double vd __attribute__((vector_size(LANES * sizeof(double))));
typedef long long vi __attribute__((vector_size(LANES * sizeof(long long))));

#define ALWAYS_INLINE static inline __attribute__((always_inline))

ALWAYS_INLINE vd splat(double a) { return (vd){a, a, a, a}; }

ALWAYS_INLINE int any_lane(vi mask) { return (mask[0] | mask[1] | mask[2] | mask[3]) != 0; }

/* exp(x) for -2^50 < x <= 0 before its final scaling: returns p in [0.7, 1.42] and sets *k, exp(x) = p * 2^k */
ALWAYS_INLINE vd vexp_neg_parts(vd x, vi *k) {
    const vd shifter = splat(0x1.8p52);
    vd t = x * splat(0x1.71547652b82fep0) + shifter; /* x / ln 2 rounded to an integer k, held in t's bits */
    vd kd = t - shifter;
    vd r = x - kd * splat(0x1.62e42fefa3800p-1); /* ln 2, high part: k * hi is exact */
    r = r - kd * splat(0x1.ef35793c76730p-45);   /* ln 2, low part */
    /* Taylor series of exp(r), |r| <= ln(2)/2, degree 12, by Estrin's scheme: 4 FMAs deep, not 12 */
    vd r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    vd p01 = splat(1.0) + r, p23 = splat(1.0 / 2) + r * splat(1.0 / 6);
    vd p45 = splat(1.0 / 24) + r * splat(1.0 / 120), p67 = splat(1.0 / 720) + r * splat(1.0 / 5040);
    vd p89 = splat(1.0 / 40320) + r * splat(1.0 / 362880);
    vd pab = splat(1.0 / 3628800) + r * splat(1.0 / 39916800);
    vd q0 = p01 + r2 * p23, q1 = p45 + r2 * p67, q2 = p89 + r2 * pab;
    vd s0 = q0 + r4 * q1, s1 = q2 + r4 * splat(1.0 / 479001600);
    *k = (vi)t - (vi)shifter;
    return s0 + r8 * s1;
}

/* p * 2^k, exact while p * 2^k is a normal number (k >= -1021): k added to p's exponent */
ALWAYS_INLINE vd scale_normal(vd p, vi k) { return (vd)((vi)p + (k << 52)); }

/* p * 2^k for any k >= -1080, subnormal results included: 2^k as 2^(k/2) * 2^(k - k/2) */
ALWAYS_INLINE vd scale_any(vd p, vi k) {
    vi half = k >> 1;
    return p * (vd)((half + 1023) << 52) * (vd)((k - half + 1023) << 52);
}

/* exp(x) for -708 <= x <= 0, where the result is a normal number: no clamp, no test, no branch */
ALWAYS_INLINE vd vexp_neg_normal(vd x) {
    vi k;
    vd p = vexp_neg_parts(x, &k);
    return scale_normal(p, k);
}

/* exp(x) for x <= 0, ~1 ULP, subnormal results included; 0 below -746 */
ALWAYS_INLINE vd vexp_neg(vd x) {
    vi k, low = (vi)(x < splat(-746.0));
    x = (vd)(((vi)x & ~low) | ((vi)splat(-746.0) & low));
    vd p = vexp_neg_parts(x, &k);
    if (!any_lane(k < -1021)) return scale_normal(p, k); /* no p * 2^k is subnormal */
    return scale_any(p, k);
}

/* overflow-safe logistic from e = exp(-|z|): 1/(1+e) for z >= 0, e/(1+e) for z < 0 */
ALWAYS_INLINE vd sigmoid_from(vd z, vd e) {
    vi neg = (vi)(z < splat(0.0));
    vd d = splat(1.0) / (splat(1.0) + e);
    return (vd)(((vi)(e * d) & neg) | ((vi)d & ~neg));
}

ALWAYS_INLINE vd neg_abs(vd z) { return (vd)((vi)z | (vi)splat(-0.0)); }

ALWAYS_INLINE vd vsigmoid(vd z) { return sigmoid_from(z, vexp_neg(neg_abs(z))); }

/* vsigmoid for the common case, where exp(-|z|) is a normal number: no clamp and no test or branch on the
 * critical path. It ORs the lanes where it may not be (-|z| < -707 or NaN; subnormal needs k < -1021, that is
 * -|z| < -708.04) into *sub, and a caller that finds any set must redo its work with vsigmoid. */
ALWAYS_INLINE vd vsigmoid_normal(vd z, vi *sub) {
    vd x = neg_abs(z);
    *sub |= ~(vi)(x >= splat(-707.0)); /* NaN too, so that it gets vsigmoid's result */
    return sigmoid_from(z, vexp_neg_normal(x));
}

ALWAYS_INLINE double hsum(vd v) { return (v[0] + v[1]) + (v[2] + v[3]); }

/* One chunk of samples [c0, c0 + c_len): accumulate its gradients (if want_grad) into acc, which the caller
 * zeroed, and return its squared error. It runs with vsigmoid_normal and is redone with vsigmoid in the rare
 * chunk where an exp was subnormal, so the results are vsigmoid's.
 * acc: dw1 (n_in * n_hidden), db1 (n_hidden), dw2 (n_hidden * n_out), db2 (n_out) vectors; h: n_hidden vectors */
ALWAYS_INLINE double chunk(vd *acc, vd *h, vd *d_out, const double *Xt, const double *Yt, const double *mask,
                           const double *w1, const double *b1, const double *w2, const double *b2,
                           int64_t c0, int64_t c_len, int64_t n_pad, int64_t n_in, int64_t n_hidden,
                           int64_t n_out, double scale, int want_grad) {
    int64_t n_acc = n_in * n_hidden + n_hidden + n_hidden * n_out + n_out;
    vd *dw1 = acc, *db1 = dw1 + n_in * n_hidden, *dw2 = db1 + n_hidden, *db2 = dw2 + n_hidden * n_out;
    vd sq;
    vi sub = {0, 0, 0, 0};
    for (int exact = 0; exact < 2; exact++) {
        sq = splat(0.0);
        if (exact && want_grad) memset(acc, 0, (size_t)n_acc * sizeof(vd));
        for (int64_t s = c0; s < c0 + c_len; s += LANES) {
            for (int64_t j = 0; j < n_hidden; j++) {
                vd z = splat(0.0);
                for (int64_t i = 0; i < n_in; i++) z += *(const vd *)(Xt + i * n_pad + s) * splat(w1[i * n_hidden + j]);
                if (b1) z += splat(b1[j]);
                h[j] = exact ? vsigmoid(z) : vsigmoid_normal(z, &sub);
            }
            vd m = *(const vd *)(mask + s);
            for (int64_t k = 0; k < n_out; k++) {
                vd z = splat(0.0);
                for (int64_t j = 0; j < n_hidden; j++) z += h[j] * splat(w2[j * n_out + k]);
                if (b2) z += splat(b2[k]);
                vd out = exact ? vsigmoid(z) : vsigmoid_normal(z, &sub);
                vd diff = (out - *(const vd *)(Yt + k * n_pad + s)) * m;
                sq += diff * diff;
                d_out[k] = splat(scale) * diff * out * (splat(1.0) - out);
            }
            if (!want_grad) continue;
            for (int64_t k = 0; k < n_out; k++) db2[k] += d_out[k];
            for (int64_t j = 0; j < n_hidden; j++) {
                vd d_hidden = splat(0.0);
                for (int64_t k = 0; k < n_out; k++) {
                    dw2[j * n_out + k] += h[j] * d_out[k];
                    d_hidden += d_out[k] * splat(w2[j * n_out + k]);
                }
                vd d_z1 = d_hidden * h[j] * (splat(1.0) - h[j]);
                for (int64_t i = 0; i < n_in; i++) dw1[i * n_hidden + j] += *(const vd *)(Xt + i * n_pad + s) * d_z1;
                db1[j] += d_z1;
            }
        }
        if (__builtin_expect(!any_lane(sub), 1)) break;
    }
    return hsum(sq);
}

/* 2-4-1 with every sample in one chunk: the whole training loop in one function. The parameters are kept
 * as vectors, each broadcast to every lane, so they stay in registers and never go through a scalar and
 * back; hsum_all leaves the same sum as hsum in every lane (a + b == b + a in IEEE arithmetic). Each epoch
 * runs with vsigmoid_normal and is redone with vsigmoid in the rare epoch where an exp was subnormal, so
 * the results are vsigmoid's. Same expressions, in the same order, as chunk() + step() on this shape. */
ALWAYS_INLINE vd hsum_all(vd v) {
    vd t = v + __builtin_shuffle(v, (vi){1, 0, 3, 2}); /* (v0+v1, v1+v0, v2+v3, v3+v2) */
    return t + __builtin_shuffle(t, (vi){2, 3, 0, 1}); /* (v0+v1)+(v2+v3) in every lane */
}

__attribute__((target("avx2,fma"))) static void train_241(double *w1, double *b1, double *w2, double *b2,
                                                           double *losses, double *final_loss, const double *Xt,
                                                           const double *Yt, const double *mask, int64_t n_pad,
                                                           int64_t epochs, double lr, double scale, double count,
                                                           int mse, int64_t record_every) {
    vd W1[8], B1[4], W2[4], B2 = splat(0.0), LR = splat(lr);
    int bias = b1 != NULL;
    for (int a = 0; a < 8; a++) W1[a] = splat(w1[a]);
    for (int j = 0; j < 4; j++) W2[j] = splat(w2[j]), B1[j] = splat(0.0);
    if (bias) {
        for (int j = 0; j < 4; j++) B1[j] = splat(b1[j]);
        B2 = splat(b2[0]);
    }
    for (int64_t e = 0; e <= epochs; e++) { /* e == epochs: the final forward pass, for the loss only */
        vd g_w1[8], g_b1[4], g_w2[4], g_b2, sq;
        vi sub = {0, 0, 0, 0};
        for (int exact = 0; exact < 2; exact++) { /* exact = 1: the rare redo, with a subnormal exp */
            g_b2 = sq = splat(0.0);
            for (int a = 0; a < 8; a++) g_w1[a] = splat(0.0);
            for (int j = 0; j < 4; j++) g_b1[j] = g_w2[j] = splat(0.0);
            for (int64_t s = 0; s < n_pad; s += LANES) {
                vd x0 = *(const vd *)(Xt + s), x1 = *(const vd *)(Xt + n_pad + s), h[4];
#pragma GCC unroll 4
                for (int j = 0; j < 4; j++) {
                    vd z = splat(0.0);
                    z += x0 * W1[j];
                    z += x1 * W1[4 + j];
                    if (bias) z += B1[j];
                    h[j] = exact ? vsigmoid(z) : vsigmoid_normal(z, &sub);
                }
                vd z = splat(0.0);
                for (int j = 0; j < 4; j++) z += h[j] * W2[j];
                if (bias) z += B2;
                vd out = exact ? vsigmoid(z) : vsigmoid_normal(z, &sub);
                vd diff = (out - *(const vd *)(Yt + s)) * *(const vd *)(mask + s);
                sq += diff * diff;
                vd d_out = splat(scale) * diff * out * (splat(1.0) - out);
                g_b2 += d_out;
                for (int j = 0; j < 4; j++) {
                    vd d_hidden = splat(0.0);
                    g_w2[j] += h[j] * d_out;
                    d_hidden += d_out * W2[j];
                    vd d_z1 = d_hidden * h[j] * (splat(1.0) - h[j]);
                    g_w1[j] += x0 * d_z1;
                    g_w1[4 + j] += x1 * d_z1;
                    g_b1[j] += d_z1;
                }
            }
            if (__builtin_expect(!any_lane(sub), 1)) break;
        }
        double loss = mse ? hsum(sq) / count : hsum(sq);
        if (e == epochs) {
            *final_loss = loss;
            break;
        }
        if (record_every > 0 && e % record_every == 0) losses[e / record_every] = loss;
        for (int a = 0; a < 8; a++) W1[a] -= LR * hsum_all(g_w1[a]);
        for (int j = 0; j < 4; j++) W2[j] -= LR * hsum_all(g_w2[j]);
        if (bias) {
            for (int j = 0; j < 4; j++) B1[j] -= LR * hsum_all(g_b1[j]);
            B2 -= LR * hsum_all(g_b2);
        }
    }
    for (int a = 0; a < 8; a++) w1[a] = W1[a][0];
    for (int j = 0; j < 4; j++) w2[j] = W2[j][0];
    if (bias) {
        for (int j = 0; j < 4; j++) b1[j] = B1[j][0];
        b2[0] = B2[0];
    }
}

static int use_avx2(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

typedef struct job job_t;
typedef double (*chunk_fn)(job_t *J, int64_t c, int t, double scale, int want_grad);

struct job {
    double *w1, *b1, *w2, *b2;
    const double *Xt, *Yt, *mask;
    vd *acc;    /* n_chunks * n_acc vectors */
    vd *work;   /* per thread: n_hidden + n_out vectors, work_stride apart (no two threads share a cache line) */
    double *sq; /* n_chunks */
    int64_t n_pad, n_chunks, chunk_len, n_in, n_hidden, n_out, n_acc, work_stride;
    int threads;
    chunk_fn run_chunk;
};

ALWAYS_INLINE double chunk_of(job_t *J, int64_t c, int t, double scale, int want_grad) {
    vd *h = J->work + (int64_t)t * J->work_stride;
    return chunk(J->acc + c * J->n_acc, h, h + J->n_hidden, J->Xt, J->Yt, J->mask, J->w1, J->b1, J->w2, J->b2,
                 c * J->chunk_len, J->chunk_len, J->n_pad, J->n_in, J->n_hidden, J->n_out, scale, want_grad);
}

/* the hot loop, compiled twice: for AVX2+FMA, and for whatever the build targets by default. Dispatching
 * per chunk keeps OpenMP's outlined loop out of it (it would not inherit the target attribute). */
__attribute__((target("avx2,fma"))) static double chunk_avx2(job_t *J, int64_t c, int t, double scale, int g) {
    return chunk_of(J, c, t, scale, g);
}

static double chunk_generic(job_t *J, int64_t c, int t, double scale, int g) { return chunk_of(J, c, t, scale, g); }

/* the canonical 2-4-1 network, sizes known at compile time: the loops unroll and stay in registers */
__attribute__((target("avx2,fma"))) static double chunk_avx2_241(job_t *J, int64_t c, int t, double scale, int g) {
    vd *h = J->work + (int64_t)t * J->work_stride;
    return chunk(J->acc + c * J->n_acc, h, h + 4, J->Xt, J->Yt, J->mask, J->w1, J->b1, J->w2, J->b2,
                 c * J->chunk_len, J->chunk_len, J->n_pad, 2, 4, 1, scale, g);
}

/* Every chunk once (in parallel when threads > 1); returns the squared-error sum, summed in chunk order */
static double pass(job_t *J, double scale, int want_grad) {
    if (want_grad) memset(J->acc, 0, (size_t)(J->n_chunks * J->n_acc) * sizeof(vd));
    if (J->threads > 1) {
#pragma omp parallel for schedule(static) num_threads(J->threads)
        for (int64_t c = 0; c < J->n_chunks; c++) {
            int t = 0;
#ifdef _OPENMP
            t = omp_get_thread_num();
#endif
            J->sq[c] = J->run_chunk(J, c, t, scale, want_grad);
        }
    } else {
        for (int64_t c = 0; c < J->n_chunks; c++) J->sq[c] = J->run_chunk(J, c, 0, scale, want_grad);
    }
    double sq = 0.0;
    for (int64_t c = 0; c < J->n_chunks; c++) sq += J->sq[c];
    return sq;
}

static void step(job_t *J, double lr) {
    /* fixed order: chunk partials into chunk 0, then lanes */
    vd *acc = J->acc;
    for (int64_t c = 1; c < J->n_chunks; c++)
        for (int64_t a = 0; a < J->n_acc; a++) acc[a] += acc[c * J->n_acc + a];
    int64_t nw1 = J->n_in * J->n_hidden, nw2 = J->n_hidden * J->n_out;
    for (int64_t a = 0; a < nw1; a++) J->w1[a] -= lr * hsum(acc[a]);
    for (int64_t a = 0; a < nw2; a++) J->w2[a] -= lr * hsum(acc[nw1 + J->n_hidden + a]);
    if (J->b1) {
        for (int64_t j = 0; j < J->n_hidden; j++) J->b1[j] -= lr * hsum(acc[nw1 + j]);
        for (int64_t k = 0; k < J->n_out; k++) J->b2[k] -= lr * hsum(acc[nw1 + J->n_hidden + nw2 + k]);
    }
}

static void train_loop(job_t *J, double *losses, double *final_loss, int64_t epochs, double lr, double scale,
                       double count, int mse, int64_t record_every) {
    for (int64_t e = 0; e < epochs; e++) {
        double sq = pass(J, scale, 1);
        if (record_every > 0 && e % record_every == 0) losses[e / record_every] = mse ? sq / count : sq;
        step(J, lr);
    }
    double sq = pass(J, scale, 0);
    *final_loss = mse ? sq / count : sq;
}

const char *xor_simd_path(void) { return use_avx2() ? "avx2+fma, 4 doubles per vector" : "generic vectors, no FMA"; }

int xor_simd_max_threads(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

int xor_simd_train(double *w1, int64_t w1_len, double *b1, int64_t b1_len,
                   double *w2, int64_t w2_len, double *b2, int64_t b2_len,
                   double *losses, int64_t losses_len, double *final_loss,
                   const double *X, int64_t X_len, const double *Y, int64_t Y_len,
                   int64_t n_samples, int64_t n_in, int64_t n_hidden, int64_t n_out,
                   int64_t epochs, double lr, int loss_kind, int64_t record_every, int max_threads) {
    int rc = xor_check_train_args(w1, w1_len, b1, b1_len, w2, w2_len, b2, b2_len, losses, losses_len, final_loss,
                                  X, X_len, Y, Y_len, n_samples, n_in, n_hidden, n_out, epochs, lr, loss_kind,
                                  record_every);
    if (rc != XOR_OK) return rc;
    if (max_threads < 0) return XOR_ERR_ARG;

    job_t J = {.w1 = w1, .b1 = b1, .w2 = w2, .b2 = b2, .n_in = n_in, .n_hidden = n_hidden, .n_out = n_out};
    /* the chunking depends on n_samples only, never on the number of threads */
    J.chunk_len = n_samples < XOR_SIMD_CHUNK ? (n_samples + LANES - 1) / LANES * LANES : XOR_SIMD_CHUNK;
    J.n_chunks = (n_samples + J.chunk_len - 1) / J.chunk_len;
    J.n_pad = J.n_chunks * J.chunk_len;
    J.run_chunk = !use_avx2() ? chunk_generic : (n_in == 2 && n_hidden == 4 && n_out == 1) ? chunk_avx2_241 : chunk_avx2;
    J.n_acc = n_in * n_hidden + n_hidden + n_hidden * n_out + n_out;
    int cores = xor_simd_max_threads();
    J.threads = n_samples >= XOR_SIMD_PARALLEL_MIN ? (max_threads > 0 && max_threads < cores ? max_threads : cores) : 1;
    if (J.threads > J.n_chunks) J.threads = (int)J.n_chunks;

    /* every byte count below is checked against overflow before it is computed */
    if (!xor_mul_within(J.n_pad, n_in + n_out + 1, XOR_MAX_DOUBLES) ||
        !xor_mul_within(J.n_chunks, J.n_acc, XOR_MAX_DOUBLES / LANES) ||
        !xor_mul_within(J.threads, n_hidden + n_out + 8, XOR_MAX_DOUBLES / LANES))
        return XOR_ERR_NOMEM;
    size_t data = (size_t)((n_in + n_out + 1) * J.n_pad) * sizeof(double);
    size_t acc = (size_t)(J.n_chunks * J.n_acc) * sizeof(vd);
    J.work_stride = (n_hidden + n_out + 3) / 4 * 4 + 4; /* whole 128-byte lines, plus one line of padding */
    size_t work = (size_t)(J.threads * J.work_stride) * sizeof(vd);
    size_t sqs = (size_t)J.n_chunks * sizeof(double);
    char *mem = NULL;
    if (posix_memalign((void **)&mem, 64, data + acc + work + sqs) != 0) return XOR_ERR_NOMEM;
    double *Xt = (double *)mem, *Yt = Xt + n_in * J.n_pad, *mask = Yt + n_out * J.n_pad;
    J.acc = (vd *)(mem + data);
    J.work = (vd *)(mem + data + acc);
    J.sq = (double *)(mem + data + acc + work);
    memset(mem, 0, data);
    for (int64_t s = 0; s < n_samples; s++) {
        for (int64_t i = 0; i < n_in; i++) Xt[i * J.n_pad + s] = X[s * n_in + i];
        for (int64_t k = 0; k < n_out; k++) Yt[k * J.n_pad + s] = Y[s * n_out + k];
        mask[s] = 1.0;
    }
    J.Xt = Xt;
    J.Yt = Yt;
    J.mask = mask;

    int mse = loss_kind == XOR_LOSS_MSE;
    double count = (double)(n_samples * n_out);
    double scale = mse ? 2.0 / count : 2.0;
    if (J.run_chunk == chunk_avx2_241 && J.n_chunks == 1)
        train_241(w1, b1, w2, b2, losses, final_loss, Xt, Yt, mask, J.n_pad, epochs, lr, scale, count, mse,
                  record_every);
    else
        train_loop(&J, losses, final_loss, epochs, lr, scale, count, mse, record_every);
    free(mem);
    return XOR_OK;
}

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

__attribute__((target("avx2,fma"))) static void forward_avx2(double *out, const double *Xt, const double *w1,
                                                              const double *b1, const double *w2, const double *b2,
                                                              vd *h, int64_t n_samples, int64_t n_pad, int64_t n_in,
                                                              int64_t n_hidden, int64_t n_out) {
    forward_loop(out, Xt, w1, b1, w2, b2, h, n_samples, n_pad, n_in, n_hidden, n_out);
}

static void forward_generic(double *out, const double *Xt, const double *w1, const double *b1, const double *w2,
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
    if (use_avx2())
        forward_avx2(out, Xt, w1, b1, w2, b2, h, n_samples, n_pad, n_in, n_hidden, n_out);
    else
        forward_generic(out, Xt, w1, b1, w2, b2, h, n_samples, n_pad, n_in, n_hidden, n_out);
    free(mem);
    return XOR_OK;
}

/* ---- the machine's limit: vector throughput of this file's exp, of division and of FMA, on one core ---- */

#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Independent chains per operation, enough to hide its latency (so throughput is measured) and few enough
 * to stay in the 16 vector registers. A register barrier per chain keeps the work from being optimized
 * away without sending it through memory. */
#define BARRIER(x) __asm__ volatile("" : "+x"(x))

__attribute__((target("avx2,fma"), noinline)) static double peak_exp(int64_t reps, double *sink) {
    vd a = splat(0.5), b = splat(0.6), c = splat(0.7), d = splat(0.8);
    double t0 = now();
    for (int64_t r = 0; r < reps; r++) {
        a = vexp_neg_normal(-a), b = vexp_neg_normal(-b); /* the kernels' exp: stay in (0.36, 1] */
        c = vexp_neg_normal(-c), d = vexp_neg_normal(-d);
        BARRIER(a); BARRIER(b); BARRIER(c); BARRIER(d);
    }
    double t = now() - t0;
    *sink += hsum(a + b + c + d);
    return t / 4;
}

__attribute__((target("avx2,fma"), noinline)) static double peak_div(int64_t reps, double *sink) {
    vd v0 = splat(0.1), v1 = splat(0.2), v2 = splat(0.3), v3 = splat(0.4), v4 = splat(0.5), v5 = splat(0.6);
    vd v6 = splat(0.7), v7 = splat(0.8), one = splat(1.0);
    double t0 = now();
    for (int64_t r = 0; r < reps; r++) {
        v0 = one / (one + v0), v1 = one / (one + v1), v2 = one / (one + v2), v3 = one / (one + v3);
        v4 = one / (one + v4), v5 = one / (one + v5), v6 = one / (one + v6), v7 = one / (one + v7);
        BARRIER(v0); BARRIER(v1); BARRIER(v2); BARRIER(v3); BARRIER(v4); BARRIER(v5); BARRIER(v6); BARRIER(v7);
    }
    double t = now() - t0;
    *sink += hsum(v0 + v1 + v2 + v3 + v4 + v5 + v6 + v7);
    return t / 8;
}

__attribute__((target("avx2,fma"), noinline)) static double peak_fma(int64_t reps, double *sink) {
    vd v0 = splat(0.1), v1 = splat(0.2), v2 = splat(0.3), v3 = splat(0.4), v4 = splat(0.5), v5 = splat(0.6);
    vd v6 = splat(0.7), v7 = splat(0.8), v8 = splat(0.9), v9 = splat(1.0), a = splat(0.999999), b = splat(1e-7);
    double t0 = now();
    for (int64_t r = 0; r < reps; r++) {
        v0 = v0 * a + b, v1 = v1 * a + b, v2 = v2 * a + b, v3 = v3 * a + b, v4 = v4 * a + b;
        v5 = v5 * a + b, v6 = v6 * a + b, v7 = v7 * a + b, v8 = v8 * a + b, v9 = v9 * a + b;
        BARRIER(v0); BARRIER(v1); BARRIER(v2); BARRIER(v3); BARRIER(v4);
        BARRIER(v5); BARRIER(v6); BARRIER(v7); BARRIER(v8); BARRIER(v9);
    }
    double t = now() - t0;
    *sink += hsum(v0 + v1 + v2 + v3 + v4 + v5 + v6 + v7 + v8 + v9);
    return t / 10;
}

/* wall time of reps rounds, divided by the chains per round: reps vector operations' worth of time */
static double peak(int what, int64_t reps, double *sink) {
    return what == 0 ? peak_exp(reps, sink) : what == 1 ? peak_div(reps, sink) : peak_fma(reps, sink);
}

int xor_simd_peak(double *rates, int64_t rates_len, double seconds) {
    if (!rates || rates_len != 3 || !(seconds > 0.0)) return XOR_ERR_ARG;
    if (!use_avx2()) return XOR_ERR_ARG; /* the model is for the AVX2+FMA path */
    double sink = 0.0;
    for (int what = 0; what < 3; what++) {
        int64_t reps = 1000;
        while (peak(what, reps, &sink) < seconds / 30) reps *= 2; /* long enough to time well */
        double best = peak(what, reps, &sink);
        for (int i = 0; i < 2; i++) { /* best of 3 */
            double t = peak(what, reps, &sink);
            if (t < best) best = t;
        }
        rates[what] = LANES * (double)reps / best; /* element operations per second */
    }
    return sink == sink ? XOR_OK : XOR_ERR_ARG;
}
