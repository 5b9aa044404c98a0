"""Every C kernel (each entry of KERNELS in impls/_ffi_build.py) checks every buffer length against the sizes and
refuses, rather than reading out of bounds."""
import numpy as np
import pytest

import xorbench
from xorbench.impls._cffi_kernel import Kernel
from xorbench.impls._ffi_build import KERNELS


@pytest.fixture(params=list(KERNELS), autouse=True)
def kernel(request):
    global ffi, lib, train_fn, extra
    xorbench.get_backend(request.param)  # fails loudly if the extension is missing or stale
    k = Kernel(request.param)
    ffi, lib, train_fn = k.ffi, k.lib, k.train_fn
    extra = (0,) if KERNELS[request.param].threads else ()


def call_train(w1=None, b1=None, w2=None, b2=None, losses=None, X=None, Y=None, sizes=(4, 2, 4, 1),
               epochs=3, lr=1.0, loss=0, record_every=0, lens=None):
    p = xorbench.init_params(seed=0)
    X0, Y0 = xorbench.xor_dataset()
    bufs = dict(w1=np.array(p.w1) if w1 is None else w1, b1=np.array(p.b1) if b1 is None else b1,
                w2=np.array(p.w2) if w2 is None else w2, b2=np.array(p.b2) if b2 is None else b2,
                losses=losses, X=X0 if X is None else X, Y=Y0 if Y is None else Y)
    lens = lens or {}
    args = []
    for name in ("w1", "b1", "w2", "b2", "losses"):
        a = bufs[name]
        if isinstance(a, str) and a == "NULL":
            args += [ffi.NULL, lens.get(name, 0)]
        elif a is None:
            args += [ffi.NULL, 0]
        else:
            args += [ffi.from_buffer("double[]", a), lens.get(name, a.size)]
    final = ffi.new("double *")
    args.append(final)
    for name in ("X", "Y"):
        args += [ffi.from_buffer("double[]", bufs[name]), lens.get(name, bufs[name].size)]
    return train_fn(*args, *sizes, epochs, lr, loss, record_every, *extra), final[0]


def xor_args_fields(ffi):
    """The fields of an xor_train_args for canonical XOR (seed-0 parameters, mse, lr 1), the w1 array they point
    into, the final-loss cell, and (X, Y); the arrays stay alive as long as the fields do."""
    p = xorbench.init_params(seed=0)
    X, Y = xorbench.xor_dataset()
    w1, b1, w2, b2 = (np.array(a) for a in (p.w1, p.b1, p.w2, p.b2))
    fb = ffi.from_buffer
    final = ffi.new("double *")
    fields = dict(w1=fb("double[]", w1), w1_len=8, b1=fb("double[]", b1), b1_len=4, w2=fb("double[]", w2), w2_len=4,
                  b2=fb("double[]", b2), b2_len=1, final_loss=final, X=fb("double[]", X), X_len=8,
                  Y=fb("double[]", Y), Y_len=4, n_samples=4, n_in=2, n_hidden=4, n_out=1, lr=1.0, loss_kind=0)
    return fields, w1, final, (X, Y)


def test_valid_call_succeeds():
    rc, final = call_train()
    assert rc == lib.XOR_OK and np.isfinite(final)


@pytest.mark.parametrize("kw", [
    dict(sizes=(5, 2, 4, 1)),                      # more samples than X holds
    dict(sizes=(4, 2, 8, 1)),                      # wider hidden layer than w1 holds
    dict(sizes=(4, 2, 4, 2)),                      # more outputs than w2/Y hold
    dict(sizes=(0, 2, 4, 1)),
    dict(sizes=(4, -2, 4, 1)),
    dict(sizes=(2**62, 2**62, 4, 1)),              # product overflows int64
    dict(lens={"w1": 7}),
    dict(lens={"b1": 3}),
    dict(lens={"X": 9}),
    dict(record_every=1, losses=np.empty(2)),      # 3 epochs need 3 entries
    dict(record_every=1, losses="NULL", lens={"losses": 3}),
])
def test_size_mismatch_is_refused(kw):
    rc, _ = call_train(**kw)
    assert rc == lib.XOR_ERR_SIZE


@pytest.mark.parametrize("kw", [
    dict(epochs=-1), dict(record_every=-1), dict(lr=0.0), dict(lr=float("nan")), dict(loss=7),
    dict(b1="NULL"),                               # one bias without the other
])
def test_bad_argument_is_refused(kw):
    rc, _ = call_train(**kw)
    assert rc == lib.XOR_ERR_ARG


def test_refusal_leaves_buffers_untouched():
    w1 = np.array(xorbench.init_params(seed=0).w1)
    saved = w1.copy()
    rc, _ = call_train(w1=w1, lens={"X": 3})
    assert rc == lib.XOR_ERR_SIZE and np.array_equal(w1, saved)


@pytest.mark.parametrize("entry", ["*_run", "xor_call_train"])
def test_run_entry_point_checks_its_prepared_arguments(entry):
    """*_run takes the arguments prepared once in an xor_train_args, and checks them on every call as *_train does;
    so does xor_call_train, which runs a training function compiled elsewhere (numba's @cfunc) with them."""
    if entry == "*_run":
        run_fn, extra_fields = getattr(lib, train_fn.__name__.replace("_train", "_run")), {}
    else:
        from xorbench.impls import numba_impl
        run_fn, extra_fields = lib.xor_call_train, dict(entry=ffi.cast("xor_train_fn", numba_impl._entry()[1]))
        assert run_fn(ffi.new("xor_train_args *", {}), 3, 0, ffi.NULL, 0) == lib.XOR_ERR_ARG  # no entry
    assert run_fn(ffi.NULL, 3, 0, ffi.NULL, 0) == lib.XOR_ERR_ARG
    fields, w1, final, _ = xor_args_fields(ffi)
    fields.update(extra_fields)
    assert run_fn(ffi.new("xor_train_args *", fields), 3, 0, ffi.NULL, 0) == lib.XOR_OK and np.isfinite(final[0])
    saved = w1.copy()
    for bad in (dict(X_len=9), dict(n_samples=5), dict(w1_len=7), dict(lr=float("nan")), dict(loss_kind=7)):
        rc = run_fn(ffi.new("xor_train_args *", {**fields, **bad}), 3, 0, ffi.NULL, 0)
        assert rc in (lib.XOR_ERR_SIZE, lib.XOR_ERR_ARG), bad
    assert run_fn(ffi.new("xor_train_args *", fields), 3, 1, ffi.NULL, 3) == lib.XOR_ERR_SIZE  # losses NULL
    assert np.array_equal(w1, saved)
