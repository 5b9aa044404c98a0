"""Bad input: the same clear error, naming the argument, from every backend, before any kernel runs."""
import copy
import pickle
from fractions import Fraction

import numpy as np
import pytest

import xorbench

X, Y = xorbench.xor_dataset()
P = xorbench.init_params(seed=0)
P_NOBIAS = xorbench.init_params(seed=0, bias=False)


def params_with(**changes):
    fields = dict(w1=P.w1, b1=P.b1, w2=P.w2, b2=P.b2)
    fields.update(changes)
    return xorbench.Params(**fields)


def nan_at(a, index=0):
    a = np.array(a)
    a.flat[index] = np.nan
    return a


GOOD = dict(params=P, X=X, Y=Y, epochs=3, lr=1.0, loss="mse", record_every=0)

BAD = {
    "X rank 1": (dict(X=X.ravel()), ValueError, "X"),
    "X rank 3": (dict(X=X[None]), ValueError, "X"),
    "X no rows": (dict(X=np.empty((0, 2)), Y=np.empty((0, 1))), ValueError, "X"),
    "X wrong columns": (dict(X=np.ones((4, 3))), ValueError, "w1"),
    "Y rank 1": (dict(Y=Y.ravel()), ValueError, "Y"),
    "Y rows differ": (dict(Y=Y[:3]), ValueError, "Y"),
    "Y columns differ": (dict(Y=np.ones((4, 2))), ValueError, "Y"),
    "X NaN": (dict(X=nan_at(X)), ValueError, "X"),
    "X inf": (dict(X=np.where(X == 1, np.inf, X)), ValueError, "X"),
    "Y NaN": (dict(Y=nan_at(Y, 2)), ValueError, "Y"),
    "w1 NaN": (dict(params=params_with(w1=nan_at(P.w1, 5))), ValueError, "w1"),
    "b2 inf": (dict(params=params_with(b2=np.array([np.inf]))), ValueError, "b2"),
    "X strings": (dict(X=np.array([["a", "b"]] * 4)), TypeError, "X"),
    "X complex": (dict(X=X.astype(complex)), TypeError, "X"),
    "X object": (dict(X=np.array([[0, None]] * 4)), TypeError, "X"),
    "X bool": (dict(X=X.astype(bool)), TypeError, "X"),
    "X ragged": (dict(X=[[0, 0], [1]]), TypeError, "X"),
    "params not Params": (dict(params=(P.w1, P.b1, P.w2, P.b2)), TypeError, "params"),
    "w2 wrong rows": (dict(params=params_with(w2=np.ones((3, 1)))), ValueError, "w2"),
    "b1 wrong length": (dict(params=params_with(b1=np.ones(3))), ValueError, "b1"),
    "b2 wrong length": (dict(params=params_with(b2=np.ones(2))), ValueError, "b2"),
    "only one bias": (dict(params=params_with(b2=None)), ValueError, "b2"),
    "w1 rank 1": (dict(params=params_with(w1=P.w1.ravel())), ValueError, "w1"),
    "w1 strings": (dict(params=params_with(w1=P.w1.astype(str))), TypeError, "w1"),
    "epochs negative": (dict(epochs=-1), ValueError, "epochs"),
    "epochs float": (dict(epochs=10.0), TypeError, "epochs"),
    "epochs bool": (dict(epochs=True), TypeError, "epochs"),
    "epochs too large": (dict(epochs=2**63), ValueError, "epochs"),
    "record_every negative": (dict(record_every=-2), ValueError, "record_every"),
    "record too many": (dict(epochs=2**40, record_every=1), ValueError, "record_every"),
    "lr zero": (dict(lr=0.0), ValueError, "lr"),
    "lr negative": (dict(lr=-1.0), ValueError, "lr"),
    "lr nan": (dict(lr=float("nan")), ValueError, "lr"),
    "lr inf": (dict(lr=float("inf")), ValueError, "lr"),
    "lr string": (dict(lr="1"), TypeError, "lr"),
    "loss unknown": (dict(loss="bce"), ValueError, "loss"),
    "lr beyond float": (dict(lr=10**400), ValueError, "lr"),
    "lr Fraction beyond float": (dict(lr=Fraction(10**400)), ValueError, "lr"),
    "X masked": (dict(X=np.ma.masked_array(X, mask=np.eye(4, 2, dtype=bool))), TypeError, "X"),
    "Y masked": (dict(Y=np.ma.masked_array(Y)), TypeError, "Y"),
    # 2^24 + 1 hidden units: more than any kernel takes; broadcast views, so nothing is allocated
    "too many hidden units": (dict(params=params_with(w1=np.broadcast_to(0.5, (2, 2**24 + 1)),
                                                      b1=np.broadcast_to(0.5, (2**24 + 1,)),
                                                      w2=np.broadcast_to(0.5, (2**24 + 1, 1)))), ValueError,
                              "hidden"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_train_input(backend, monkeypatch, case):
    changes, exc, names = BAD[case]
    kw = {**GOOD, **changes}
    before = {k: np.array(v, copy=True) for k, v in kw["params"].arrays().items()} if isinstance(
        kw["params"], xorbench.Params) else None
    monkeypatch.setattr(backend, "_prepare", lambda *a: pytest.fail("kernel prepared on bad input"))
    params, X_, Y_ = kw.pop("params"), kw.pop("X"), kw.pop("Y")
    with pytest.raises(exc, match=names):
        backend.train(params, X_, Y_, **kw)
    if before is not None:
        for k, v in params.arrays().items():
            assert np.array_equal(v, before[k], equal_nan=v.dtype.kind == "f")


@pytest.mark.parametrize("case", ["X rank 1", "X NaN", "X strings", "w1 NaN", "only one bias", "X wrong columns"])
def test_bad_predict_input(backend, monkeypatch, case):
    changes, exc, names = BAD[case]
    kw = {**GOOD, **changes}
    monkeypatch.setattr(backend, "_predict", lambda *a: pytest.fail("kernel ran on bad input"))
    with pytest.raises(exc, match=names):
        backend.predict(kw["params"], kw["X"])


def test_unknown_names():
    with pytest.raises(ValueError, match="backend"):
        xorbench.get_backend("fortran")
    with pytest.raises(ValueError, match="scheme"):
        xorbench.init_params(scheme="he")
    with pytest.raises(ValueError, match="n_hidden"):
        xorbench.init_params(n_hidden=0)


CONVERTED = {
    "int X and Y": lambda: (X.astype(np.int32), Y.astype(np.int64)),
    "float32": lambda: (X.astype(np.float32), Y.astype(np.float32)),
    "Fortran order": lambda: (np.asfortranarray(X), np.asfortranarray(Y)),
    "non-contiguous": lambda: (np.repeat(X, 2, axis=1)[:, ::2], np.repeat(Y, 3, axis=0)[::3]),
    "nested lists": lambda: (X.tolist(), Y.tolist()),
}


@pytest.mark.parametrize("case", CONVERTED)
def test_converted_inputs_give_the_float64_result(backend, case):
    Xc, Yc = CONVERTED[case]()
    want = backend.train(P, X, Y, epochs=20, lr=1.0, record_every=5)
    got = backend.train(P, Xc, Yc, epochs=20, lr=1.0, record_every=5)
    for k, v in want.params.arrays().items():
        assert np.array_equal(got.params.arrays()[k], v)
    assert np.array_equal(got.losses, want.losses)


def test_converted_params(backend):
    p32 = xorbench.Params(*(a.astype(np.float32) for a in (P.w1, P.b1, P.w2, P.b2)))
    p64 = xorbench.Params(*(a.astype(np.float32).astype(np.float64) for a in (P.w1, P.b1, P.w2, P.b2)))
    pF = xorbench.Params(np.asfortranarray(p64.w1), p64.b1, np.asfortranarray(p64.w2), p64.b2)
    want = backend.train(p64, X, Y, epochs=5, lr=1.0)
    for p in (p32, pF):
        assert np.array_equal(backend.train(p, X, Y, epochs=5, lr=1.0).params.w1, want.params.w1)


def test_inputs_never_mutated(backend):
    params = xorbench.Params(np.array(P.w1), np.array(P.b1), np.array(P.w2), np.array(P.b2))
    Xw, Yw = np.array(X), np.array(Y)
    saved = [np.array(a) for a in (params.w1, params.b1, params.w2, params.b2, Xw, Yw)]
    res = backend.train(params, Xw, Yw, epochs=50, lr=1.0, record_every=1)
    backend.predict(params, Xw)
    for a, b in zip((params.w1, params.b1, params.w2, params.b2, Xw, Yw), saved):
        assert np.array_equal(a, b)
    assert not np.array_equal(res.params.w1, params.w1)
    assert not res.params.w1.flags.writeable and not res.losses.flags.writeable


def test_read_only_inputs_accepted(backend):
    Xr, Yr = np.array(X), np.array(Y)
    Xr.flags.writeable = Yr.flags.writeable = False
    res = backend.train(P, Xr, Yr, epochs=5, lr=1.0)
    assert np.array_equal(res.params.w1, backend.train(P, X, Y, epochs=5, lr=1.0).params.w1)


def test_no_bias_params_stay_none(backend):
    res = backend.train(P_NOBIAS, X, Y, epochs=5, lr=1.0)
    assert res.params.b1 is None and res.params.b2 is None


@pytest.mark.filterwarnings("error")  # huge finite values must not make validation warn about overflow
@pytest.mark.parametrize("size", [1, 3, 17, 8193])
def test_every_bad_entry_is_found_and_named(backend, monkeypatch, size):
    """NaN or inf anywhere in any array is refused before the kernel, naming the array; huge finite values pass."""
    monkeypatch.setattr(backend, "_prepare", lambda *a: pytest.fail("kernel prepared on bad input"))
    rng = np.random.default_rng(size)
    Xs, Ys = rng.uniform(-1, 1, (size, 2)), rng.uniform(0, 1, (size, 1))
    huge = np.full((size, 2), np.finfo(float).max)
    with pytest.raises(pytest.fail.Exception, match="prepared"):  # finite, but any sum of them overflows
        backend.train(P, huge, Ys, epochs=1, lr=1.0)
    for bad in (np.nan, np.inf, -np.inf):
        for name in ("X", "Y", "w1", "b1", "w2", "b2"):
            arrays = dict(X=Xs.copy(), Y=Ys.copy(), **{k: np.array(v) for k, v in P.arrays().items()})
            a = arrays[name]
            a.flat[rng.integers(a.size)] = bad
            params = xorbench.Params(arrays["w1"], arrays["b1"], arrays["w2"], arrays["b2"])
            with pytest.raises(ValueError, match=f"{name} must be finite"):
                backend.train(params, arrays["X"], arrays["Y"], epochs=1, lr=1.0)


@pytest.mark.threaded
@pytest.mark.parametrize("bad, exc", [(-1, ValueError), (10**10, ValueError), (None, TypeError), (1.0, TypeError)])
def test_bad_max_threads_is_refused(backend, monkeypatch, bad, exc):
    monkeypatch.setattr(backend, "max_threads", bad)
    monkeypatch.setattr(backend, "_prepare", lambda *a: pytest.fail("kernel prepared on bad input"))
    with pytest.raises(exc, match="max_threads"):
        backend.train(P, X, Y, epochs=1, lr=1.0)


def test_results_stay_read_only_through_pickle_and_deepcopy(backend):
    res = backend.train(P, X, Y, epochs=3, lr=1.0, record_every=1)
    out = backend.predict(res.params, X)
    assert not out.flags.writeable
    for again in (pickle.loads(pickle.dumps(res)), copy.deepcopy(res)):
        assert np.array_equal(again.params.w1, res.params.w1) and np.array_equal(again.losses, res.losses)
        assert not any(a.flags.writeable for a in (*again.params.arrays().values(), again.losses))
    p = pickle.loads(pickle.dumps(P))
    assert not p.w1.flags.writeable and P == P and P != p  # identity equality: no ambiguous array comparison
