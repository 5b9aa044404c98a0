"""XOR is learned, in the setting the README states: 2-4-1, lr=1, mse, U(-1, 1), seeds 0-4, 2,000 epochs."""
import numpy as np
import pytest

import xorbench

SEEDS = range(5)
EPOCHS = 2_000
MARGIN = 0.1


@pytest.mark.parametrize("seed", SEEDS)
def test_xor_is_learned(backend, seed):
    X, Y = xorbench.xor_dataset()
    res = backend.train(xorbench.init_params(seed=seed), X, Y, epochs=EPOCHS, lr=1.0)
    out = backend.predict(res.params, X)
    assert np.all(np.abs(out - Y) < MARGIN), f"seed {seed}: outputs {out.ravel()} not within {MARGIN} of {Y.ravel()}"


def test_notebook_setting_trains_identically(backend, reference):
    """Write-up 003's notebook: no bias, summed squared error, U[0, 1) init, lr 1, 1,500 epochs."""
    from xorbench.impls.tolerances import LONG_RUN_RTOL

    from .conftest import assert_results_close

    X, Y = xorbench.xor_dataset()
    params = xorbench.init_params(seed=0, bias=False, scheme="rand01")
    kw = dict(epochs=1_500, lr=1.0, loss="sse", record_every=1)
    got = backend.train(params, X, Y, **kw)
    assert got.params.b1 is None and got.params.b2 is None
    assert_results_close(got, reference.train(params, X, Y, **kw), LONG_RUN_RTOL[backend.equivalence])
    assert got.losses[-1] < got.losses[0]
