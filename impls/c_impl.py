"""C through cffi: csrc/xor_net.c runs the whole training loop; NumPy buffers are passed without copying.

The kernel mirrors the reference's operation order and is built with -ffp-contract=off, so its results
are the reference's bits.
"""
from __future__ import annotations

from ._cffi_kernel import Kernel
from .core import Backend

K = Kernel("impls._xor_c")


class CBackend(Backend):
    name = "c"
    equivalence = "bitwise"
    description = "scalar C (csrc/xor_net.c) through cffi, -O3 -ffp-contract=off"

    def _first_nonfinite(self, X, Y, w1, b1, w2, b2):
        return K.first_nonfinite(X, Y, w1, b1, w2, b2)

    def _train(self, job, losses):
        return K.train(K.lib.xor_net_train, job, losses)

    def _predict(self, out, w1, b1, w2, b2, X):
        K.forward(K.lib.xor_net_forward, out, w1, b1, w2, b2, X)

    def info(self):
        import cffi
        return {"cffi": cffi.__version__, **K.info, "fma": False, "simd": "none (scalar)", "threads": 1,
                "exp": "libm"}
