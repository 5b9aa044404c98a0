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

/* exp(x) for |x| <= 746, in parts: returns exp(r) - 1 and sets *scale = 2^(j/8) and *k, with
 * exp(x) = 2^k * (scale + scale * (exp(r) - 1)), scale + scale * (exp(r) - 1) in [0.95, 2].
 * x = (8 k + j) ln2/8 + r with |r| <= ln2/16: 2^(j/8) from an 8-entry table (a two-vector shuffle: one permute
 * instruction where AVX-512 has it), exp(r) - 1 a degree-7 polynomial by Estrin's scheme, 3 FMAs deep. Its
 * coefficients (r^2 to r^7; r's is 1) are a least-squares fit of expm1 at 200 Chebyshev nodes of
 * [-ln2/16, ln2/16], in 50-digit arithmetic, rounded to double: 3e-18 from expm1 at worst, far below the
 * result's ULP. Within 1 ULP of exp on [-745, 707] (tests/test_c_simd.py allows 1.5). */
ALWAYS_INLINE vd vexp_reduce(vd x, vi *k, vd *scale_out) {
    static const vd table[2] = {/* 2^(j/8), j = 0..7, correctly rounded */
        {0x1.0000000000000p+0, 0x1.172b83c7d517bp+0, 0x1.306fe0a31b715p+0, 0x1.4bfdad5362a27p+0},
        {0x1.6a09e667f3bcdp+0, 0x1.8ace5422aa0dbp+0, 0x1.ae89f995ad3adp+0, 0x1.d5818dcfba487p+0}};
    const vd shifter = splat(0x1.8p52);
    vd t = x * splat(0x1.71547652b82fep+3) + shifter; /* x * 8 / ln 2 rounded to an integer n, held in t's bits */
    vd n = t - shifter;
    vd r = x - n * splat(0x1.62e42fefa0000p-4); /* ln2/8, high part: 16 trailing zero bits, so n * hi is exact */
    r = r - n * splat(0x1.cf79abc9e3b3ap-43);   /* ln2/8, low part */
    vi bits = (vi)t - (vi)shifter;             /* n */
    vd scale = __builtin_shuffle(table[0], table[1], bits & 7);
    vd r2 = r * r, r4 = r2 * r2;
    vd p23 = splat(0x1.0000000000115p-1) + r * splat(0x1.55555555555ffp-3);
    vd p45 = splat(0x1.55555547d35eep-5) + r * splat(0x1.11111109fdc33p-7);
    vd p67 = splat(0x1.6c1cc7af710f5p-10) + r * splat(0x1.a01fbbb8b0bdbp-13);
    vd q0 = r + r2 * p23, q1 = p45 + r2 * p67;
    vd expm1_r = q0 + r4 * q1; /* exp(r) - 1: small, so its rounding errors are far below the result's ULP */
    *k = bits >> 3;            /* floor(n / 8): an arithmetic shift */
    *scale_out = scale;
    return expm1_r;
}

/* exp(x) = p * 2^k: returns p and sets *k */
ALWAYS_INLINE vd vexp_parts(vd x, vi *k) {
    vd scale, expm1_r = vexp_reduce(x, k, &scale);
    return scale + scale * expm1_r;
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
    vd scale, expm1_r = vexp_reduce(x, &k, &scale);
    scale = scale_normal(scale, k); /* 2^k * 2^(j/8), while the polynomial is computed */
    return scale + scale * expm1_r;
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
