"""C through cffi: csrc/xor_net.c runs the whole training loop; NumPy buffers are passed without copying.

The kernel mirrors the reference's operation order and is built with -ffp-contract=off, so its results
are the reference's bits.
"""
from __future__ import annotations

from ._cffi_kernel import Kernel
from .core import Backend

K = Kernel("c")


class CBackend(Backend):
    name = "c"
    equivalence = "bitwise"
    description = "scalar C (csrc/xor_net.c) through cffi, -O3 -ffp-contract=off"
    simd = "none (scalar)"

    def _prepare(self, job):
        return K.prepare(job)

    def _predict(self, job, out):
        K.forward(job, out)

    def build_info(self):
        import cffi
        return {"cffi": cffi.__version__, **K.info}
