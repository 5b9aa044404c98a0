"""C through cffi: csrc/xor_net.c runs the whole training loop; NumPy buffers are passed without copying.

The kernel mirrors the reference's operation order and is built with -ffp-contract=off, so its results
are the reference's bits.
"""
from __future__ import annotations

from ._cffi_kernel import CffiBackend, Kernel


class CBackend(CffiBackend):
    name = "c"
    equivalence = "bitwise"
    description = "scalar C (csrc/xor_net.c) through cffi, -O3 -ffp-contract=off"
    simd = "none (scalar)"
    kernel = Kernel("c")
