"""C with explicit SIMD, FMA, its own vector exp and threads: csrc/xor_simd.c through cffi.

Not bit-identical, by design; held to the "fast" tolerances. Forced differences from the reference:
  * 4 samples per vector; gradients are summed per lane, per chunk of 256 samples, then across chunks in
    chunk order and across lanes, so the order differs from the reference's but never varies between runs
    or with the number of threads;
  * its own vectorized exp (~1 ULP from libm's) and FMA contraction;
  * the sigmoid for z < 0 is e * (1 / (1 + e)), sharing the division with the z >= 0 branch.
"""
from __future__ import annotations

from ._cffi_kernel import Kernel
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

    def _first_nonfinite(self, X, Y, w1, b1, w2, b2):
        return K.first_nonfinite(X, Y, w1, b1, w2, b2)

    def _train(self, job, losses):
        return K.train(K.lib.xor_simd_train, job, losses, self.max_threads)

    def _predict(self, out, w1, b1, w2, b2, X):
        K.forward(K.lib.xor_simd_forward, out, w1, b1, w2, b2, X)

    def info(self):
        return {**K.info, "simd": PATH, "fma": True, "exp": "own vectorized (Cody-Waite + degree-12 polynomial)",
                "threads": f"up to {K.lib.xor_simd_max_threads()} (OpenMP) for N >= {K.lib.XOR_SIMD_PARALLEL_MIN}"}
