/*
 * xor_vexp.h: the vector type of the fast C kernel and its exp, shared by xor_simd.c (the kernel) and
 * xor_peak.c (the roofline's microbenchmark, which times this very exp). GCC vector extensions: each function
 * compiles for whatever target the function that inlines it is compiled for.
 */
#ifndef XOR_VEXP_H
#define XOR_VEXP_H

#include <stdint.h>

#define LANES 4

typedef double vd __attribute__((vector_size(LANES * sizeof(double))));
typedef long long vi __attribute__((vector_size(LANES * sizeof(long long))));
typedef unsigned long long vu __attribute__((vector_size(LANES * sizeof(long long))));

#define ALWAYS_INLINE static inline __attribute__((always_inline))

ALWAYS_INLINE vd splat(double a) { return (vd){a, a, a, a}; }

ALWAYS_INLINE int any_lane(vi mask) { return (mask[0] | mask[1] | mask[2] | mask[3]) != 0; }

/* exp(x) for |x| < 2^50 before its final scaling: returns p in [0.7, 1.42] and sets *k, exp(x) = p * 2^k */
ALWAYS_INLINE vd vexp_parts(vd x, vi *k) {
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

/* p * 2^k, exact while p * 2^k is a normal number (k >= -1021): k added to p's exponent. In unsigned
 * arithmetic, which wraps: for the lanes where k is far out of range (and the caller discards the result), a
 * signed shift or sum would be undefined behaviour. */
ALWAYS_INLINE vd scale_normal(vd p, vi k) { return (vd)((vu)p + ((vu)k << 52)); }

/* p * 2^k for any k >= -1080, subnormal results included: 2^k as 2^(k/2) * 2^(k - k/2) */
ALWAYS_INLINE vd scale_any(vd p, vi k) {
    vi half = k >> 1;
    return p * (vd)((half + 1023) << 52) * (vd)((k - half + 1023) << 52);
}

/* exp(x) for |x| <= 707, where the result is a normal number (k between -1020 and 1020): no clamp, no test,
 * no branch */
ALWAYS_INLINE vd vexp_normal(vd x) {
    vi k;
    vd p = vexp_parts(x, &k);
    return scale_normal(p, k);
}

/* exp(x) for x <= 0, ~1 ULP, subnormal results included; 0 below -746 */
ALWAYS_INLINE vd vexp_neg(vd x) {
    vi k, low = (vi)(x < splat(-746.0));
    x = (vd)(((vi)x & ~low) | ((vi)splat(-746.0) & low));
    vd p = vexp_parts(x, &k);
    if (!any_lane(k < -1021)) return scale_normal(p, k); /* no p * 2^k is subnormal */
    return scale_any(p, k);
}

ALWAYS_INLINE double hsum(vd v) { return (v[0] + v[1]) + (v[2] + v[3]); }

/* whether this CPU runs the AVX2+FMA clones */
static inline int xor_have_avx2(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

#endif
