/*
 * xor_peak.c: the machine's limit on one core, for the roofline (bench/roofline.py): the vector throughput of
 * the fast kernel's exp (xor_vexp.h, the path for normal results that the kernels take), of glibc's libmvec exp
 * (4 lanes, and 8 where the CPU has AVX-512),
 * of division and of FMA, in element operations per second; and the latency of each, timed as one dependent
 * chain. Compiled into the c-simd extension, with its flags (see
 * impls/_ffi_build.py), so the exp timed here is the kernel's, instruction for instruction.
 */
#include <time.h>

#include "xor_simd.h"
#include "xor_vexp.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Independent chains per operation, enough to hide its latency (so throughput is measured) and few enough
 * to stay in the vector registers. A register barrier per chain keeps the work from being optimized
 * away without sending it through memory. */
#define BARRIER(x) __asm__ volatile("" : "+v"(x))

/* The kernels' exp, compiled for the same target as the kernels' clone on this CPU (see xor_simd.c); 8 chains,
 * as the kernels' 2-4-1 loop keeps 8 vectors of samples in flight (4 chains left it latency-bound, below the
 * rate the kernels reach). */
#define EXP_CHAINS 8
ALWAYS_INLINE double exp_chains(int64_t reps, double *sink) {
    vd v[EXP_CHAINS];
    for (int c = 0; c < EXP_CHAINS; c++) v[c] = splat(0.5 + 0.05 * c);
    double t0 = now();
    for (int64_t r = 0; r < reps; r++) {
#pragma GCC unroll 8
        for (int c = 0; c < EXP_CHAINS; c++) {
            v[c] = vexp_normal(-v[c]); /* stays in (0.36, 1] */
            BARRIER(v[c]);
        }
    }
    double t = now() - t0;
    vd sum = splat(0.0);
    for (int c = 0; c < EXP_CHAINS; c++) sum += v[c];
    *sink += hsum(sum);
    return t / EXP_CHAINS;
}

__attribute__((target("arch=x86-64-v4"), noinline)) static double peak_exp_v4(int64_t reps, double *sink) {
    return exp_chains(reps, sink);
}

__attribute__((target("avx2,fma"), noinline)) static double peak_exp_v3(int64_t reps, double *sink) {
    return exp_chains(reps, sink);
}

static double peak_exp(int64_t reps, double *sink) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("x86-64-v4") ? peak_exp_v4(reps, sink) : peak_exp_v3(reps, sink);
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

/* glibc's libmvec: its 4-lane AVX2 exp, the one GCC calls from the loops it vectorizes (c-autovec, and the plain
 * -ffast-math loop in bench/plain_loop.c). Linked with -lmvec (impls/_ffi_build.py). */
vd _ZGVdN4v_exp(vd x);

__attribute__((target("avx2,fma"), noinline)) static double peak_exp_libmvec(int64_t reps, double *sink) {
    vd a = splat(0.5), b = splat(0.6), c = splat(0.7), d = splat(0.8);
    double t0 = now();
    for (int64_t r = 0; r < reps; r++) {
        a = _ZGVdN4v_exp(-a), b = _ZGVdN4v_exp(-b), c = _ZGVdN4v_exp(-c), d = _ZGVdN4v_exp(-d);
        BARRIER(a); BARRIER(b); BARRIER(c); BARRIER(d);
    }
    double t = now() - t0;
    *sink += hsum(a + b + c + d);
    return t / 4;
}

/* and its 8-lane AVX-512 exp (_ZGVeN8v_exp), which GCC calls where it vectorizes with 512-bit vectors */
typedef double vd8 __attribute__((vector_size(8 * sizeof(double))));
vd8 _ZGVeN8v_exp(vd8 x);

#define BARRIER8(x) __asm__ volatile("" : "+v"(x))

__attribute__((target("avx512f"), noinline)) static double peak_exp_libmvec8(int64_t reps, double *sink) {
    vd8 a = {0}, b = {0}, c = {0}, d = {0};
    a += 0.5, b += 0.6, c += 0.7, d += 0.8;
    double t0 = now();
    for (int64_t r = 0; r < reps; r++) {
        a = _ZGVeN8v_exp(-a), b = _ZGVeN8v_exp(-b), c = _ZGVeN8v_exp(-c), d = _ZGVeN8v_exp(-d);
        BARRIER8(a); BARRIER8(b); BARRIER8(c); BARRIER8(d);
    }
    double t = now() - t0;
    vd8 s = a + b + c + d;
    *sink += s[0] + s[7];
    return t / 4;
}

/* One dependent chain per operation: each result is the next one's input, so the time per round is the
 * operation's latency, as on the critical path of a small batch's epoch. */
__attribute__((target("avx2,fma"), noinline)) static double chain_exp(int64_t reps, double *sink) {
    vd a = splat(0.5);
    double t0 = now();
    for (int64_t r = 0; r < reps; r++) {
        a = vexp_normal(-a);
        BARRIER(a);
    }
    double t = now() - t0;
    *sink += hsum(a);
    return t;
}

__attribute__((target("avx2,fma"), noinline)) static double chain_exp_libmvec(int64_t reps, double *sink) {
    vd a = splat(0.5);
    double t0 = now();
    for (int64_t r = 0; r < reps; r++) {
        a = _ZGVdN4v_exp(-a);
        BARRIER(a);
    }
    double t = now() - t0;
    *sink += hsum(a);
    return t;
}

__attribute__((target("avx2,fma"), noinline)) static double chain_div(int64_t reps, double *sink) {
    vd v = splat(0.1), one = splat(1.0);
    double t0 = now();
    for (int64_t r = 0; r < reps; r++) {
        v = one / (one + v); /* the sigmoid's 1 / (1 + e): an addition and a division, as in the kernels */
        BARRIER(v);
    }
    double t = now() - t0;
    *sink += hsum(v);
    return t;
}

__attribute__((target("avx2,fma"), noinline)) static double chain_fma(int64_t reps, double *sink) {
    vd v = splat(0.1), a = splat(0.999999), b = splat(1e-7);
    double t0 = now();
    for (int64_t r = 0; r < reps; r++) {
        v = v * a + b;
        BARRIER(v);
    }
    double t = now() - t0;
    *sink += hsum(v);
    return t;
}

/* wall time of reps rounds, divided by the chains per round: reps vector operations' worth of time */
static double peak(int what, int64_t reps, double *sink) {
    switch (what) {
    case 0: return peak_exp(reps, sink);
    case 1: return peak_div(reps, sink);
    case 2: return peak_fma(reps, sink);
    case 3: return peak_exp_libmvec(reps, sink);
    case 4: return chain_exp(reps, sink);
    case 5: return chain_exp_libmvec(reps, sink);
    case 6: return chain_div(reps, sink);
    case 7: return chain_fma(reps, sink);
    default: return peak_exp_libmvec8(reps, sink);
    }
}

int xor_simd_peak(double *rates, int64_t rates_len, double seconds) {
    if (!rates || rates_len != XOR_PEAKS || !(seconds > 0.0)) return XOR_ERR_ARG;
    if (!xor_have_avx2()) return XOR_ERR_ARG; /* the model is for the AVX2+FMA path */
    double sink = 0.0;
    __builtin_cpu_init();
    for (int what = 0; what < XOR_PEAKS; what++) {
        if (what == 8 && !__builtin_cpu_supports("avx512f")) { /* no 8-lane exp to time */
            rates[what] = 0.0;
            continue;
        }
        int64_t reps = 1000;
        while (peak(what, reps, &sink) < seconds / (10 * XOR_PEAKS)) reps *= 2; /* long enough to time well */
        double best = peak(what, reps, &sink);
        for (int i = 0; i < 2; i++) { /* best of 3 */
            double t = peak(what, reps, &sink);
            if (t < best) best = t;
        }
        /* throughputs in element operations per second; chains in operations per second (1 / latency) */
        rates[what] = (what < 4 ? LANES : what == 8 ? 8 : 1) * (double)reps / best;
    }
    return sink == sink ? XOR_OK : XOR_ERR_ARG;
}
