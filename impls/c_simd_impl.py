"""C with explicit SIMD, FMA, its own vector exp and threads: csrc/xor_simd.c through cffi.

Not bit-identical, by design; held to the "fast" tolerances. Forced differences from the reference:
  * 4 samples per vector; gradients are summed per lane, per chunk of 256 samples, then across chunks in
    chunk order and across lanes, so the order differs from the reference's but never varies between runs
    or with the number of threads;
  * its own vectorized exp (~1 ULP from libm's) and FMA contraction;
  * the sigmoid for z < 0 is e * (1 / (1 + e)), sharing the division with the z >= 0 branch.
"""
from __future__ import annotations

from ._cffi_kernel import LOSS_KIND, Kernel
from .core import Backend

K = Kernel("impls._xor_simd")
PATH = K.ffi.string(K.lib.xor_simd_path()).decode()


class CSimdBackend(Backend):
    name = "c-simd"
    equivalence = "fast"
    description = f"C with SIMD across samples ({PATH}), own vector exp, FMA, OpenMP threads for large batches"
    difference = ("SIMD lanes and chunks reorder the sums, FMA contracts a*b+c, and its own vector exp is "
                  "~1 ULP from libm's")
    #: 0: every core for batches of XOR_SIMD_PARALLEL_MIN samples or more; n: at most n threads
    max_threads = 0

    def _train(self, job, losses):
        n_samples, n_in = job.X.shape
        n_hidden, n_out = job.w2.shape
        final = K.ffi.new("double *")
        K.check(K.lib.xor_simd_train(
            *K.buf(job.w1), *K.buf(job.b1), *K.buf(job.w2), *K.buf(job.b2),
            *K.buf(losses if losses.size else None), final,
            *K.buf(job.X), *K.buf(job.Y),
            n_samples, n_in, n_hidden, n_out,
            job.epochs, job.lr, LOSS_KIND[job.loss], job.record_every, self.max_threads))
        return final[0]

    def _predict(self, out, w1, b1, w2, b2, X):
        n_samples, n_in = X.shape
        n_hidden, n_out = w2.shape
        K.check(K.lib.xor_simd_forward(
            *K.buf(out), *K.buf(w1), *K.buf(b1), *K.buf(w2), *K.buf(b2), *K.buf(X),
            n_samples, n_in, n_hidden, n_out))

    def info(self):
        return {**K.info, "simd": PATH, "fma": True, "exp": "own vectorized (Cody-Waite + degree-12 polynomial)",
                "threads": f"up to {K.lib.xor_simd_max_threads()} (OpenMP) for N >= {K.lib.XOR_SIMD_PARALLEL_MIN}"}
