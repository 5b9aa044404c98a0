"""C with explicit SIMD, FMA, its own vector exp and threads: csrc/xor_simd.c through cffi.

Not bit-identical, by design; held to the "fast" tolerances. Forced differences from the reference:
  * 4 samples per vector; gradients are summed per lane, per block of 2048 samples, then across blocks in
    block order and across lanes, so the order differs from the reference's but never varies between runs
    or with the number of threads;
  * its own vectorized exp (within 1 ULP of libm's) and FMA contraction;
  * the sigmoid is the textbook 1 / (1 + exp(-z)) while |z| <= 707; a block with a larger |z| is redone with
    the reference's overflow-safe form (exp(-|z|), and e / (1 + e) for z < 0);
  * pre-activations start from the bias, and the deltas multiply out * (1 - out) first;
  * the loss's scale (2 / count for mse) multiplies the learning rate, once per call, not every sample's terms.
"""
from __future__ import annotations

from ._cffi_kernel import CffiBackend, Kernel
from .core import PARALLEL_MIN

K = Kernel("c-simd")
PATH = K.ffi.string(K.lib.xor_simd_path()).decode()


class CSimdBackend(CffiBackend):
    name = "c-simd"
    equivalence = "fast"
    description = f"C with SIMD across samples ({PATH}), own vector exp, FMA, OpenMP threads for large batches"
    difference = ("SIMD lanes and blocks reorder the sums, FMA contracts a*b+c, and its own vector exp is "
                  "within 1 ULP of libm's")
    fma = "yes"
    simd = PATH
    exp = "own vectorized (8-entry 2^(j/8) table + degree-7 polynomial, within 1 ULP)"
    max_threads = 0
    kernel = K

    def threads(self):
        return f"up to {K.lib.xor_simd_max_threads()} (OpenMP) for N >= {PARALLEL_MIN}"

    def _prepare(self, job):
        return K.prepare(job, self.threads_for(job.X.shape[0]))
