"""Every backend against the pure-Python reference, at the tolerance its equivalence class names."""
import numpy as np
import pytest

import xorbench
from xorbench.impls.equivalence import Case
from xorbench.impls.tolerances import LONG_RUN_RTOL, ONE_STEP_LOSS_RTOL, ONE_STEP_RTOL, rel_err

from .conftest import assert_results_close

CASES = {c.name: c for c in (
    Case("xor-2-4-1", "canonical XOR"),
    Case("notebook-003", "write-up 003's notebook", bias=False, scheme="rand01", loss="sse"),
    Case("odd-3-7-2", "odd sizes", sizes=(3, 7, 2), data="random:9", scheme="xavier", lr=0.5),
    Case("odd-3-7-2-sse-nobias", "odd sizes, sse, no bias", sizes=(3, 7, 2), data="random:9", bias=False, loss="sse",
         lr=0.1),
)}


@pytest.mark.parametrize("case", CASES)
def test_predict_matches_reference(backend, reference, case):
    params, X, _ = CASES[case].problem(seed=1)
    got, want = backend.predict(params, X), reference.predict(params, X)
    assert got.shape == want.shape == (X.shape[0], params.sizes[2])
    assert rel_err(got, want) <= ONE_STEP_RTOL[backend.equivalence]


@pytest.mark.parametrize("case", CASES)
def test_one_epoch_matches_reference(backend, reference, case):
    c = CASES[case]
    params, X, Y = c.problem(seed=1)
    kw = dict(epochs=1, lr=c.lr, loss=c.loss, record_every=1)
    assert_results_close(backend.train(params, X, Y, **kw), reference.train(params, X, Y, **kw),
                         ONE_STEP_RTOL[backend.equivalence], loss_rtol=ONE_STEP_LOSS_RTOL[backend.equivalence])


@pytest.mark.parametrize("case", ["xor-2-4-1", "notebook-003"])
def test_10k_epochs_match_reference(backend, reference, case):
    c = CASES[case]
    params, X, Y = c.problem(seed=0)
    kw = dict(epochs=10_000, lr=c.lr, loss=c.loss, record_every=100)
    got, want = backend.train(params, X, Y, **kw), reference.train(params, X, Y, **kw)
    assert got.losses.shape == (100,)
    assert_results_close(got, want, LONG_RUN_RTOL[backend.equivalence])


def test_saturation_is_finite_and_equal(backend, reference):
    """lr=1000 from U(-1, 1) drives the sigmoids to exactly 0 or 1: still finite, still the same numbers."""
    params = xorbench.init_params(seed=0)
    X, Y = xorbench.xor_dataset()
    kw = dict(epochs=200, lr=1000.0, record_every=1)
    got = backend.train(params, X, Y, **kw)
    for a in (*got.params.arrays().values(), got.losses, got.loss):
        assert np.isfinite(a).all()
    assert_results_close(got, reference.train(params, X, Y, **kw), ONE_STEP_RTOL[backend.equivalence])


def test_extreme_preactivations_are_finite(backend):
    """|z| = 1e6 must neither overflow nor give NaN."""
    params = xorbench.Params(np.array([[1e6, -1e6]]), np.zeros(2), np.array([[1e6], [-1e6]]), np.zeros(1))
    out = backend.predict(params, np.array([[1.0], [-1.0], [0.0]]))
    assert np.isfinite(out).all()
    assert out.ravel().tolist() == [1.0, 0.0, 0.5]


def test_single_sample_batch(backend, reference):
    params = xorbench.init_params(2, 3, 1, seed=5)
    X, Y = np.array([[0.3, -0.2]]), np.array([[1.0]])
    kw = dict(epochs=500, lr=2.0, record_every=7)
    got = backend.train(params, X, Y, **kw)
    assert np.isfinite(got.loss) and got.losses.shape == (72,)
    assert_results_close(got, reference.train(params, X, Y, **kw), ONE_STEP_RTOL[backend.equivalence])


def test_zero_epochs_returns_params_and_their_loss(backend, reference):
    params = xorbench.init_params(seed=2)
    X, Y = xorbench.xor_dataset()
    res = backend.train(params, X, Y, epochs=0, lr=1.0, record_every=10)
    for name, a in params.arrays().items():
        assert np.array_equal(res.params.arrays()[name], a)
    assert res.losses.shape == (0,)
    assert rel_err(res.loss, reference.train(params, X, Y, epochs=0, lr=1.0).loss) <= ONE_STEP_RTOL[backend.equivalence]


def test_loss_history_starts_at_initial_loss(backend):
    params = xorbench.init_params(seed=4)
    X, Y = xorbench.xor_dataset()
    initial = backend.train(params, X, Y, epochs=0, lr=1.0).loss
    res = backend.train(params, X, Y, epochs=10, lr=1.0, record_every=3)
    assert res.losses.shape == (4,)  # epochs 0, 3, 6, 9
    after3 = backend.train(params, X, Y, epochs=3, lr=1.0)
    # The loss recorded inside the loop and the final loss are two computations of one sum; a backend that
    # may reorder sums (c-autovec's -ffast-math vectorizes one of them) may differ in the last place.
    tol = ONE_STEP_LOSS_RTOL[backend.equivalence]
    assert rel_err(res.losses[0], initial) <= tol and rel_err(res.losses[1], after3.loss) <= tol


@pytest.mark.bitwise
def test_bitwise_backends_are_identical_on_canonical_xor(backend, reference):
    params = xorbench.init_params(seed=0)
    X, Y = xorbench.xor_dataset()
    kw = dict(epochs=2_000, lr=1.0, record_every=1)
    assert_results_close(backend.train(params, X, Y, **kw), reference.train(params, X, Y, **kw), 0.0)


@pytest.mark.filterwarnings("error")
def test_the_callers_numpy_error_setting_changes_nothing(backend, reference):
    """Under np.seterr(all="raise"), or with warnings as errors, every backend gives the usual numbers silently:
    here exp underflows to 0 in the sigmoids, as IEEE arithmetic says it must."""
    params = xorbench.Params(np.full((2, 4), 400.0), np.full(4, -400.0), np.full((4, 1), 800.0), np.full(1, -1600.0))
    X, Y = xorbench.xor_dataset()
    with np.errstate(all="raise"):
        got = backend.train(params, X, Y, epochs=3, lr=1.0, record_every=1)
        out = backend.predict(params, X)
    want = reference.train(params, X, Y, epochs=3, lr=1.0, record_every=1)
    assert_results_close(got, want, ONE_STEP_RTOL[backend.equivalence], loss_rtol=ONE_STEP_LOSS_RTOL[backend.equivalence])
    assert rel_err(out, reference.predict(params, X)) <= ONE_STEP_RTOL[backend.equivalence]


@pytest.mark.parametrize("epochs", [0, 3])
def test_a_run_that_overflows_raises_the_same_on_every_backend(backend, epochs):
    """Finite inputs whose squared errors overflow float64 (targets of ±1e308, sse): every backend raises
    FloatingPointError rather than returning NaN or inf, whichever of the two its arithmetic reached."""
    X, _ = xorbench.xor_dataset()
    Y = np.array([[1e308], [-1e308], [1e308], [-1e308]])
    with pytest.raises(FloatingPointError, match="training overflowed"):
        backend.train(xorbench.init_params(), X, Y, epochs=epochs, lr=1.0, loss="sse")
    tr = backend.trainer(xorbench.init_params(), X, Y, lr=1.0, loss="sse")
    with pytest.raises(FloatingPointError, match="training overflowed"):
        tr.step(epochs)
