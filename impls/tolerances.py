"""Every tolerance xorbench holds a backend to, named, in one place.

Errors are measured array-wise against the pure-Python reference:
    rel_err(a, ref) = max|a - ref| / max(max|ref|, TINY)
so one number covers each parameter array or loss history, and entries near zero do not inflate it.

A backend's `equivalence` class picks its row:
    "bitwise"   same operation order and the same libm as the reference: zero difference, always.
    "reordered" same maths, but BLAS and pairwise sums reorder additions and NumPy's SIMD exp is not
                libm's, so results drift by a few ULP per step.
    "fast"      FMA, SIMD and vector math chosen on purpose; the loosest promise.
"""
from __future__ import annotations

import numpy as np

TINY = 1e-300

#: predict and a single epoch
ONE_STEP_RTOL = {"bitwise": 0.0, "reordered": 1e-14, "fast": 1e-13}

#: 10,000 epochs of canonical XOR training, params and recorded loss history
LONG_RUN_RTOL = {"bitwise": 0.0, "reordered": 1e-9, "fast": 1e-10}

#: analytic gradient against a central finite difference (step FD_STEP) of the loss
FD_STEP = 1e-6
FD_RTOL = 1e-6
FD_ATOL = 1e-9


def rel_err(a, ref) -> float:
    """Array-wise relative error of `a` against `ref` (see module docstring)."""
    a = np.asarray(a, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if a.shape != ref.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {ref.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - ref)) / max(float(np.max(np.abs(ref))), TINY))
