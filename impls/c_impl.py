"""C through cffi: csrc/xor_net.c runs the whole training loop; NumPy buffers are passed without copying.

The kernel mirrors the reference's operation order and is built with -ffp-contract=off, so its results
are the reference's bits.
"""
from __future__ import annotations

from ._cffi_kernel import LOSS_KIND, Kernel
from .core import Backend

K = Kernel("impls._xor_c")
BUILD_INFO = {**K.info, "compiler": K.ffi.string(K.lib.xor_net_compiler()).decode()}


class CBackend(Backend):
    name = "c"
    equivalence = "bitwise"
    description = "scalar C (csrc/xor_net.c) through cffi, -O3 -ffp-contract=off"

    def _train(self, job, losses):
        n_samples, n_in = job.X.shape
        n_hidden, n_out = job.w2.shape
        final = K.ffi.new("double *")
        K.check(K.lib.xor_net_train(
            *K.buf(job.w1), *K.buf(job.b1), *K.buf(job.w2), *K.buf(job.b2),
            *K.buf(losses if losses.size else None), final,
            *K.buf(job.X), *K.buf(job.Y),
            n_samples, n_in, n_hidden, n_out,
            job.epochs, job.lr, LOSS_KIND[job.loss], job.record_every))
        return final[0]

    def _predict(self, out, w1, b1, w2, b2, X):
        n_samples, n_in = X.shape
        n_hidden, n_out = w2.shape
        K.check(K.lib.xor_net_forward(
            *K.buf(out), *K.buf(w1), *K.buf(b1), *K.buf(w2), *K.buf(b2), *K.buf(X),
            n_samples, n_in, n_hidden, n_out))

    def info(self):
        import cffi
        return {"cffi": cffi.__version__, **BUILD_INFO, "fma": False, "simd": "none (scalar)", "threads": 1,
                "exp": "libm"}
