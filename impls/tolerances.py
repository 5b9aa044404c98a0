"""Every tolerance xorbench holds a backend to, named, in one place.

Errors are measured norm-wise against the pure-Python reference:
    rel_err(a, ref) = max|a - ref| / max(max|ref|, TINY)
over all parameters as one vector (params_rel_err), and over the loss history, and the final loss.
The parameters are compared together because one array alone can be tiny by cancellation (b2 - lr*db2
close to 0 after a single step), where a 1-ULP difference in the gradient becomes a large relative error
of that array without the network's state being any less accurate.

A backend's `equivalence` class picks its row:
    "bitwise"   same operation order and the same libm as the reference: zero difference, always.
    "reordered" same maths, but BLAS and pairwise sums reorder additions and NumPy's SIMD exp is not
                libm's, so results drift by a few ULP per step.
    "fast"      FMA, SIMD and vector math chosen on purpose; the loosest promise.
"""
from __future__ import annotations

import numpy as np

TINY = 1e-300

#: predict and a single epoch: parameters and predictions
ONE_STEP_RTOL = {"bitwise": 0.0, "reordered": 1e-14, "fast": 1e-13}

#: a single epoch: losses. A loss near a perfect fit is ill-conditioned (out - Y cancels), so a 1-ULP
#: difference in `out` becomes a larger relative one in the loss: 1.5e-14 was the worst per step in 3,000
#: random NumPy trials (sizes up to 5-9-3, lr up to 3); loss_atol bounds the rest, where it cancels more.
ONE_STEP_LOSS_RTOL = {"bitwise": 0.0, "reordered": 1e-13, "fast": 1e-12}

#: 10,000 epochs of canonical XOR training, params and recorded loss history
LONG_RUN_RTOL = {"bitwise": 0.0, "reordered": 1e-9, "fast": 1e-10}

#: analytic gradient against a central finite difference (step FD_STEP) of the loss
FD_STEP = 1e-6
FD_RTOL = 1e-6
FD_ATOL = 1e-9


def loss_atol(out, Y, rtol, loss="mse") -> float:
    """How far the loss may move when the outputs are good only to rtol: d(out - Y)^2 = 2 (out - Y) d(out), so
    2 rtol sum|out||out - Y| (over the count for mse). Near a perfect fit this is far below rtol times the
    loss's own size would suggest: one sample off by 1e-4 turns a 1-ULP output difference into 5e-13 of the
    loss, relatively, but only 1e-20 absolutely."""
    out, Y = np.asarray(out, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    bound = 2.0 * rtol * float(np.sum(np.abs(out) * np.abs(out - Y)))
    return bound / Y.size if loss == "mse" else bound


def params_rel_err(params, ref_params) -> float:
    """rel_err over every parameter array of two impls.Params, concatenated in the order w1, b1, w2, b2."""
    got, want = params.arrays(), ref_params.arrays()
    if got.keys() != want.keys():
        raise ValueError(f"parameter sets differ: {sorted(got)} vs {sorted(want)}")
    return rel_err(np.concatenate([got[k].ravel() for k in want]), np.concatenate([v.ravel() for v in want.values()]))


def rel_err(a, ref) -> float:
    """Array-wise relative error of `a` against `ref` (see module docstring)."""
    a = np.asarray(a, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if a.shape != ref.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {ref.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - ref)) / max(float(np.max(np.abs(ref))), TINY))
