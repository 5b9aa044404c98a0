"""A roofline-style ceiling on epochs/s for every benchmark point, from this machine's measured peaks.

Peaks (one core, AVX2+FMA vectors, measured by xor_simd_peak in csrc/xor_simd.c, in element operations
per second): r_exp for c-simd's vectorized exp, r_div for division, r_fma for fused multiply-add.

One epoch of an n_in-H-n_out network on N samples needs, at the least:
    exps  = N (H + n_out)                          one per sigmoid
    divs  = N (H + n_out)                          one per sigmoid
    flops = N [n_in H + H n_out                    forward multiply-adds
               + 4 (H + n_out)                     bias, 1 + e, e * d, the branch select
               + 7 n_out                           diff, its square, d_out, db2
               + H (2 n_out + n_in + 4)]           backward multiply-adds and d_z1
            + P                                    the update, P = n_in H + H + H n_out + n_out
and the exps run on the same FMA ports as the flops while divisions have their own unit, so
    seconds per epoch >= max(divs / r_div, exps / r_exp + flops / r_fma) / cores
Below PARALLEL_MIN samples the model gives one core, because splitting so few samples costs more than it
saves (impls.core.PARALLEL_MIN, the threaded backends' threshold); from PARALLEL_MIN on it gives every core. It ignores latency, memory traffic,
horizontal sums and call overhead, so small problems sit far below it: that gap is the point. No kernel
may beat it by more than noise (CEILING_SLACK); a point that does is flagged as a bug in the model.
"""
from __future__ import annotations

from dataclasses import dataclass

from xorbench.impls.core import PARALLEL_MIN

CEILING_SLACK = 1.10


@dataclass(frozen=True)
class Peaks:
    exp: float
    div: float
    fma: float
    cores: int

    @classmethod
    def measure(cls, seconds: float = 0.6) -> "Peaks":
        """Run the microbenchmark; raises RuntimeError where the AVX2+FMA path is not available."""
        import os

        import numpy as np

        from xorbench.impls.c_simd_impl import K  # the peak microbenchmark is compiled into c-simd

        rates = np.empty(3)
        if K.lib.xor_simd_peak(K.ffi.from_buffer("double[]", rates), 3, seconds) != 0:
            raise RuntimeError("the peak microbenchmark needs an x86-64 CPU with AVX2 and FMA")
        return cls(*map(float, rates), os.cpu_count() or 1)


def ops_per_epoch(n: int, hidden: int, n_in: int = 2, n_out: int = 1) -> tuple[int, int, int]:
    """(exps, divisions, flops) one epoch needs, as in the module docstring."""
    sig = n * (hidden + n_out)
    flops = n * (n_in * hidden + hidden * n_out + 4 * (hidden + n_out) + 7 * n_out
                 + hidden * (2 * n_out + n_in + 4))
    flops += n_in * hidden + hidden + hidden * n_out + n_out
    return sig, sig, flops


def ceiling(peaks: Peaks, n: int, hidden: int, n_in: int = 2, n_out: int = 1) -> float:
    """The most epochs/s this machine can do at (n, hidden), by the model."""
    exps, divs, flops = ops_per_epoch(n, hidden, n_in, n_out)
    cores = peaks.cores if n >= PARALLEL_MIN else 1
    seconds = max(divs / peaks.div, exps / peaks.exp + flops / peaks.fma) / cores
    return 1.0 / seconds
