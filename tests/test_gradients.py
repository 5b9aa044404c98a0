"""Analytic gradients (read off one epoch of train) against central finite differences of the loss."""
import numpy as np
import pytest

import xorbench
from xorbench.impls.tolerances import FD_ATOL, FD_RTOL, FD_STEP

CONFIGS = [
    ((2, 4, 1), "mse", True),
    ((2, 4, 1), "sse", True),
    ((2, 4, 1), "mse", False),
    ((2, 4, 1), "sse", False),
    ((3, 7, 2), "mse", True),
    ((3, 7, 2), "sse", False),
]


def _with(params, name, flat_index, value):
    arrays = {k: np.array(v) for k, v in params.arrays().items()}
    arrays[name].flat[flat_index] = value
    return xorbench.Params(arrays["w1"], arrays.get("b1"), arrays["w2"], arrays.get("b2"))


@pytest.mark.parametrize("sizes,loss,bias", CONFIGS, ids=lambda v: str(v))
def test_gradient_matches_finite_differences(backend, sizes, loss, bias):
    n_in, n_hidden, n_out = sizes
    rng = np.random.default_rng(sum(sizes))
    X = rng.normal(size=(5, n_in))
    Y = rng.random((5, n_out))
    params = xorbench.init_params(*sizes, seed=7, bias=bias)
    lr = 1.0
    stepped = backend.train(params, X, Y, epochs=1, lr=lr, loss=loss).params
    for name, p in params.arrays().items():
        analytic = (p - stepped.arrays()[name]) / lr
        for idx in range(p.size):
            v = p.flat[idx]
            up = backend.train(_with(params, name, idx, v + FD_STEP), X, Y, epochs=0, lr=lr, loss=loss).loss
            down = backend.train(_with(params, name, idx, v - FD_STEP), X, Y, epochs=0, lr=lr, loss=loss).loss
            numeric = (up - down) / (2 * FD_STEP)
            assert abs(analytic.flat[idx] - numeric) <= FD_ATOL + FD_RTOL * abs(numeric), (
                f"d loss / d {name}[{idx}]: analytic {analytic.flat[idx]:.12g}, numeric {numeric:.12g}")
