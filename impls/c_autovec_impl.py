"""The strict C kernel's own source (csrc/xor_net.c), unchanged, compiled with -O3 -march=native -ffast-math.

It answers a question users ask: do I need intrinsics, or just flags? GCC vectorizes what it can, contracts
to FMA, reassociates sums and calls glibc's vector exp (libmvec) where it vectorizes a loop with exp in it.
-ffast-math is a compile flag here only, never a link flag (impls/_ffi_build.py), so the process keeps its
denormals. Not bit-identical to the reference, by those flags; held to the "fast" tolerances.
"""
from __future__ import annotations

from ._cffi_kernel import CffiBackend, Kernel

K = Kernel("c-autovec")


class CAutovecBackend(CffiBackend):
    name = "c-autovec"
    equivalence = "fast"
    description = "the strict kernel's source (csrc/xor_net.c) compiled -O3 -march=native -ffast-math, through cffi"
    difference = ("-ffast-math lets GCC reassociate sums, contract to FMA and call libmvec's vector exp, "
                  "so the sums' order and the exp differ from the reference's")
    fma = "yes (-march=native, contracted by GCC)"
    simd = "whatever GCC auto-vectorizes for -march=native"
    exp = "libm, or libmvec where GCC vectorizes the loop"
    fastmath = "-ffast-math (compile only)"
    kernel = K
