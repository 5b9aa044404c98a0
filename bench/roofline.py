"""A roofline-style ceiling on epochs/s for every benchmark point, from this machine's measured peaks.

Peaks (one core, AVX2+FMA vectors, measured by xor_simd_peak in csrc/xor_peak.c, in element operations
per second): r_exp for the fastest vector exp on the machine (c-simd's own, or glibc's libmvec with 4 lanes or,
where the CPU has AVX-512, 8), r_div for
division, r_fma for fused multiply-add. Latencies of each, from one dependent chain, give a second ceiling
(latency_ceiling): one epoch's critical path, which binds for small batches. The ceiling is the lower of the
two, and the report says which binds.

One epoch of an n_in-H-n_out network on N samples needs, at the least:
    exps  = N (H + n_out)                          one per sigmoid
    divs  = N (H + n_out)                          one per sigmoid
    flops = N [n_in H + H n_out                    forward multiply-adds
               + 2 (H + n_out)                     bias, 1 + e
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

import math
from dataclasses import dataclass

from xorbench.impls.core import PARALLEL_MIN

CEILING_SLACK = 1.10


@dataclass(frozen=True)
class Peaks:
    """One core's limits. exp is the fastest vector exp measured on the machine (c-simd's own, glibc's libmvec with
    4 lanes or 8, all within a few ULP); lat_* are latencies in seconds, from one dependent chain each (nan where
    not measured)."""

    exp: float
    div: float
    fma: float
    cores: int
    exp_own: float = math.nan
    exp_libmvec: float = math.nan
    lat_exp: float = math.nan  # the faster exp's
    lat_div: float = math.nan  # 1 / (1 + v): the sigmoid's addition and division
    lat_fma: float = math.nan
    exp_libmvec8: float = math.nan  # libmvec's 8-lane AVX-512 exp (nan without AVX-512)

    @classmethod
    def measure(cls, seconds: float = 0.6) -> "Peaks":
        """Run the microbenchmark; raises RuntimeError where the AVX2+FMA path is not available."""
        import os

        import numpy as np

        from xorbench.impls.c_simd_impl import K  # the peak microbenchmark is compiled into c-simd

        r = np.empty(K.lib.XOR_PEAKS)
        if K.lib.xor_simd_peak(K.ffi.from_buffer("double[]", r), r.size, seconds) != 0:
            raise RuntimeError("the peak microbenchmark needs an x86-64 CPU with AVX2 and FMA")
        own, div, fma, libmvec, chain_own, chain_libmvec, chain_div, chain_fma, libmvec8 = map(float, r)
        return cls(max(own, libmvec, libmvec8), div, fma, os.cpu_count() or 1, own, libmvec,
                   1 / max(chain_own, chain_libmvec), 1 / chain_div, 1 / chain_fma,
                   exp_libmvec8=libmvec8 if libmvec8 > 0 else math.nan)


def ops_per_epoch(n: int, hidden: int, n_in: int = 2, n_out: int = 1) -> tuple[int, int, int]:
    """(exps, divisions, flops) one epoch needs, as in the module docstring."""
    sig = n * (hidden + n_out)
    flops = n * (n_in * hidden + hidden * n_out + 2 * (hidden + n_out) + 7 * n_out
                 + hidden * (2 * n_out + n_in + 4))
    flops += n_in * hidden + hidden + hidden * n_out + n_out
    return sig, sig, flops


def throughput_ceiling(peaks: Peaks, n: int, hidden: int, n_in: int = 2, n_out: int = 1) -> float:
    """The most epochs/s the machine's throughput allows at (n, hidden), by the model."""
    exps, divs, flops = ops_per_epoch(n, hidden, n_in, n_out)
    cores = peaks.cores if n >= PARALLEL_MIN else 1
    seconds = max(divs / peaks.div, exps / peaks.exp + flops / peaks.fma) / cores
    return 1.0 / seconds


def latency_ceiling(peaks: Peaks, hidden: int, n_in: int = 2) -> float:
    """The most epochs/s the critical path of one epoch allows, however few the samples: the epochs form one
    dependency chain (every epoch needs the last one's parameters). Its steps, each at its latency: the hidden
    pre-activation (n_in dependent FMAs), its sigmoid (an exp, then 1 + e and a division, then a select), the
    output pre-activation (hidden dependent FMAs), its sigmoid, the error and d_out (3 steps), d_hidden * h *
    (1 - h) (3), the last accumulation of a gradient and its sum across lanes (3) and the update (1): 2 exps,
    2 divisions and n_in + hidden + 12 FMA latencies. nan where the latencies were not measured."""
    return 1.0 / (2 * (peaks.lat_exp + peaks.lat_div) + (n_in + hidden + 12) * peaks.lat_fma)


def ceiling(peaks: Peaks, n: int, hidden: int, n_in: int = 2, n_out: int = 1) -> float:
    """The most epochs/s this machine can do at (n, hidden): the lower of the throughput and latency ceilings."""
    top = throughput_ceiling(peaks, n, hidden, n_in, n_out)
    lat = latency_ceiling(peaks, hidden, n_in)
    return top if math.isnan(lat) else min(top, lat)


def binding(peaks: Peaks, n: int, hidden: int) -> str:
    """Which ceiling binds at (n, hidden): "throughput" or "latency"."""
    lat = latency_ceiling(peaks, hidden)
    return "latency" if not math.isnan(lat) and lat < throughput_ceiling(peaks, n, hidden) else "throughput"
