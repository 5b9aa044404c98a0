"""Every backend against the pure-Python reference, at the tolerance its equivalence class names."""
import numpy as np
import pytest

import impls
from impls.tolerances import LONG_RUN_RTOL, ONE_STEP_LOSS_RTOL, ONE_STEP_RTOL, rel_err

from .conftest import assert_results_close

CASES = {
    "xor-2-4-1": dict(sizes=(2, 4, 1), data="xor", bias=True, scheme="uniform", loss="mse", lr=1.0),
    "notebook-003": dict(sizes=(2, 4, 1), data="xor", bias=False, scheme="rand01", loss="sse", lr=1.0),
    "odd-3-7-2": dict(sizes=(3, 7, 2), data="random", bias=True, scheme="xavier", loss="mse", lr=0.5),
    "odd-3-7-2-sse-nobias": dict(sizes=(3, 7, 2), data="random", bias=False, scheme="uniform", loss="sse", lr=0.1),
}


def case_data(case, n=9, seed=1):
    n_in, n_hidden, n_out = case["sizes"]
    if case["data"] == "xor":
        X, Y = impls.xor_dataset()
    else:
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(n, n_in))
        Y = rng.random((n, n_out))
    params = impls.init_params(n_in, n_hidden, n_out, seed=seed, bias=case["bias"], scheme=case["scheme"])
    return params, X, Y


@pytest.mark.parametrize("case", CASES)
def test_predict_matches_reference(backend, reference, case):
    params, X, _ = case_data(CASES[case])
    got, want = backend.predict(params, X), reference.predict(params, X)
    assert got.shape == want.shape == (X.shape[0], params.sizes[2])
    assert rel_err(got, want) <= ONE_STEP_RTOL[backend.equivalence]


@pytest.mark.parametrize("case", CASES)
def test_one_epoch_matches_reference(backend, reference, case):
    c = CASES[case]
    params, X, Y = case_data(c)
    kw = dict(epochs=1, lr=c["lr"], loss=c["loss"], record_every=1)
    assert_results_close(backend.train(params, X, Y, **kw), reference.train(params, X, Y, **kw),
                         ONE_STEP_RTOL[backend.equivalence], loss_rtol=ONE_STEP_LOSS_RTOL[backend.equivalence])


@pytest.mark.parametrize("case", ["xor-2-4-1", "notebook-003"])
def test_10k_epochs_match_reference(backend, reference, case):
    c = CASES[case]
    params, X, Y = case_data(c, seed=0)
    kw = dict(epochs=10_000, lr=c["lr"], loss=c["loss"], record_every=100)
    got, want = backend.train(params, X, Y, **kw), reference.train(params, X, Y, **kw)
    assert got.losses.shape == (100,)
    assert_results_close(got, want, LONG_RUN_RTOL[backend.equivalence])


def test_saturation_is_finite_and_equal(backend, reference):
    """lr=1000 from U(-1, 1) drives the sigmoids to exactly 0 or 1: still finite, still the same numbers."""
    params = impls.init_params(seed=0)
    X, Y = impls.xor_dataset()
    kw = dict(epochs=200, lr=1000.0, record_every=1)
    got = backend.train(params, X, Y, **kw)
    for a in (*got.params.arrays().values(), got.losses, got.loss):
        assert np.isfinite(a).all()
    assert_results_close(got, reference.train(params, X, Y, **kw), ONE_STEP_RTOL[backend.equivalence])


def test_extreme_preactivations_are_finite(backend):
    """|z| = 1e6 must neither overflow nor give NaN."""
    params = impls.Params(np.array([[1e6, -1e6]]), np.zeros(2), np.array([[1e6], [-1e6]]), np.zeros(1))
    out = backend.predict(params, np.array([[1.0], [-1.0], [0.0]]))
    assert np.isfinite(out).all()
    assert out.ravel().tolist() == [1.0, 0.0, 0.5]


def test_single_sample_batch(backend, reference):
    params = impls.init_params(2, 3, 1, seed=5)
    X, Y = np.array([[0.3, -0.2]]), np.array([[1.0]])
    kw = dict(epochs=500, lr=2.0, record_every=7)
    got = backend.train(params, X, Y, **kw)
    assert np.isfinite(got.loss) and got.losses.shape == (72,)
    assert_results_close(got, reference.train(params, X, Y, **kw), ONE_STEP_RTOL[backend.equivalence])


def test_zero_epochs_returns_params_and_their_loss(backend, reference):
    params = impls.init_params(seed=2)
    X, Y = impls.xor_dataset()
    res = backend.train(params, X, Y, epochs=0, lr=1.0, record_every=10)
    for name, a in params.arrays().items():
        assert np.array_equal(res.params.arrays()[name], a)
    assert res.losses.shape == (0,)
    assert rel_err(res.loss, reference.train(params, X, Y, epochs=0, lr=1.0).loss) <= ONE_STEP_RTOL[backend.equivalence]


def test_loss_history_starts_at_initial_loss(backend):
    params = impls.init_params(seed=4)
    X, Y = impls.xor_dataset()
    initial = backend.train(params, X, Y, epochs=0, lr=1.0).loss
    res = backend.train(params, X, Y, epochs=10, lr=1.0, record_every=3)
    assert res.losses.shape == (4,)  # epochs 0, 3, 6, 9
    assert res.losses[0] == initial
    after3 = backend.train(params, X, Y, epochs=3, lr=1.0)
    assert res.losses[1] == after3.loss


@pytest.mark.bitwise
def test_bitwise_backends_are_identical_on_canonical_xor(backend, reference):
    params = impls.init_params(seed=0)
    X, Y = impls.xor_dataset()
    kw = dict(epochs=2_000, lr=1.0, record_every=1)
    assert_results_close(backend.train(params, X, Y, **kw), reference.train(params, X, Y, **kw), 0.0)
