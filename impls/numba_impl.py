"""Numba: the reference's loops, line for line, with the whole training loop in one @njit function.

Forced differences from the reference, marked where they happen:
  * biases travel as zero-length arrays plus a has_bias flag, so one compiled signature serves both cases;
  * work buffers are allocated once per call instead of once per epoch, and zeroed with loops;
  * samples are addressed as X[n, i], not through a per-sample view X[n];
  * d_z1 is kept for every hidden unit, and dw1 is updated a row at a time after the hidden loop, not a column
    at a time inside it: each dw1[i, j] still gets one addition per sample, in sample order, so the bits are
    the same; contiguous rows are faster than a strided column on wide hidden layers;
  * inside train, forward is written out rather than called: every call of a jitted function with array
    arguments updates their reference counts atomically, which per sample costs much of the speed.
  * a trainer's calls enter train through a C entry point (@cfunc train_entry, called by the C extension's
    xor_call_train with the arguments prepared once), not through Numba's dispatcher, which type-checks and
    unboxes all 13 arguments on every call: the same compiled code at the price of one cffi call. Without the
    C extension, the dispatcher it is (NumbaBackend.overheads says which);
  * exp is libm's exp called directly, not math.exp: Numba's math.exp goes through its helper library,
    whose wheels bind glibc's exp@GLIBC_2.2.5, a compatibility wrapper around the same code (same bits,
    slower per call). Where libm cannot be found, it is math.exp.
No fastmath: LLVM then neither reassociates nor contracts to FMA, and exp is libm's,
so the results are the reference's bits.
"""
from __future__ import annotations

import ctypes
import functools
import ctypes.util
import math

import llvmlite.binding
import numba
import numpy as np
from numba import carray, cfunc, njit, types

from .core import Backend, BackendUnavailable


def _libm_exp():
    """libm's exp as a Numba external function, under a name of our own; math.exp where there is no libm."""
    path = ctypes.util.find_library("m")
    if path is None:
        return math.exp, "math.exp (Numba's helper; no libm found)"
    llvmlite.binding.add_symbol("xorbench_libm_exp", ctypes.cast(ctypes.CDLL(path).exp, ctypes.c_void_p).value)
    return types.ExternalFunction("xorbench_libm_exp", types.float64(types.float64)), f"libm ({path})"


exp, EXP_SOURCE = _libm_exp()


@njit(cache=True, inline="always", error_model="numpy")
def sigmoid(z):
    if z >= 0.0:
        return 1.0 / (1.0 + exp(-z))
    e = exp(z)
    return e / (1.0 + e)


@njit(cache=True, inline="always", error_model="numpy")
def forward(hidden, out, X, n, w1, b1, w2, b2, has_bias):
    n_in, n_hidden = w1.shape
    n_out = w2.shape[1]
    for j in range(n_hidden):
        z = 0.0
        for i in range(n_in):
            z += X[n, i] * w1[i, j]  # forced difference: X[n, i], not a view x = X[n]
        if has_bias:
            z += b1[j]
        hidden[j] = sigmoid(z)
    for k in range(n_out):
        z = 0.0
        for j in range(n_hidden):
            z += hidden[j] * w2[j, k]
        if has_bias:
            z += b2[k]
        out[k] = sigmoid(z)


@njit(cache=True, error_model="numpy")
def loss_of(X, Y, w1, b1, w2, b2, has_bias, mse):
    hidden = np.empty(w1.shape[1])
    out = np.empty(w2.shape[1])
    total = 0.0
    for n in range(X.shape[0]):
        forward(hidden, out, X, n, w1, b1, w2, b2, has_bias)
        for k in range(out.shape[0]):
            diff = out[k] - Y[n, k]
            total += diff * diff
    return total / Y.size if mse else total


@njit(cache=True, inline="always", error_model="numpy")
def train_epochs(w1, b1, w2, b2, losses, X, Y, epochs, lr, mse, record_every, has_bias, n_in, n_hidden, n_out):
    count = Y.size
    scale = 2.0 / count if mse else 2.0
    # forced difference: buffers allocated once per call, zeroed every epoch
    hidden = np.empty(n_hidden)
    out = np.empty(n_out)
    d_out = np.empty(n_out)
    d_z1 = np.empty(n_hidden)
    dw1 = np.empty((n_in, n_hidden))
    db1 = np.empty(n_hidden)
    dw2 = np.empty((n_hidden, n_out))
    db2 = np.empty(n_out)
    for e in range(epochs):
        record = record_every > 0 and e % record_every == 0
        for i in range(n_in):  # forced difference: zeroed with loops; slice assignment is slower
            for j in range(n_hidden):
                dw1[i, j] = 0.0
        for j in range(n_hidden):
            db1[j] = 0.0
            for k in range(n_out):
                dw2[j, k] = 0.0
        for k in range(n_out):
            db2[k] = 0.0
        sq = 0.0
        for n in range(X.shape[0]):
            # forward(hidden, out, X, n, w1, b1, w2, b2, has_bias), written out (see the module docstring)
            for j in range(n_hidden):
                z = 0.0
                for i in range(n_in):
                    z += X[n, i] * w1[i, j]
                if has_bias:
                    z += b1[j]
                hidden[j] = sigmoid(z)
            for k in range(n_out):
                z = 0.0
                for j in range(n_hidden):
                    z += hidden[j] * w2[j, k]
                if has_bias:
                    z += b2[k]
                out[k] = sigmoid(z)
            for k in range(n_out):
                diff = out[k] - Y[n, k]
                if record:
                    sq += diff * diff
                d_out[k] = scale * diff * out[k] * (1.0 - out[k])
                db2[k] += d_out[k]
            for j in range(n_hidden):
                d_hidden = 0.0
                for k in range(n_out):
                    dw2[j, k] += hidden[j] * d_out[k]
                    d_hidden += d_out[k] * w2[j, k]
                d_z1[j] = d_hidden * hidden[j] * (1.0 - hidden[j])
                db1[j] += d_z1[j]
            for i in range(n_in):  # forced difference: dw1 a row at a time, once every d_z1 is known
                for j in range(n_hidden):
                    dw1[i, j] += X[n, i] * d_z1[j]
        for i in range(n_in):
            for j in range(n_hidden):
                w1[i, j] -= lr * dw1[i, j]
        for j in range(n_hidden):
            for k in range(n_out):
                w2[j, k] -= lr * dw2[j, k]
        if has_bias:
            for j in range(n_hidden):
                b1[j] -= lr * db1[j]
            for k in range(n_out):
                b2[k] -= lr * db2[k]
        if record:
            losses[e // record_every] = sq / count if mse else sq


@njit(cache=True, error_model="numpy", nogil=True)  # other Python threads run meanwhile
def train(w1, b1, w2, b2, losses, X, Y, epochs, lr, mse, record_every, has_bias, want_loss=True):
    n_in, n_hidden = w1.shape
    n_out = w2.shape[1]
    if n_in == 2 and n_hidden == 4 and n_out == 1:  # forced difference: sizes as constants, so loops unroll
        train_epochs(w1, b1, w2, b2, losses, X, Y, epochs, lr, mse, record_every, has_bias, 2, 4, 1)
    else:
        train_epochs(w1, b1, w2, b2, losses, X, Y, epochs, lr, mse, record_every, has_bias, n_in, n_hidden, n_out)
    return loss_of(X, Y, w1, b1, w2, b2, has_bias, mse) if want_loss else np.nan


@njit(cache=True, error_model="numpy", nogil=True)  # other Python threads run meanwhile
def predict(out, X, w1, b1, w2, b2, has_bias):
    hidden = np.empty(w1.shape[1])
    row = np.empty(w2.shape[1])
    for n in range(X.shape[0]):
        forward(hidden, row, X, n, w1, b1, w2, b2, has_bias)
        for k in range(row.shape[0]):
            out[n, k] = row[k]


_F64P = types.CPointer(types.float64)
TRAIN_ENTRY = types.float64(*[_F64P] * 7, *[types.int64] * 6, types.float64, *[types.int64] * 4)  # xor_train_fn


def train_entry(w1, b1, w2, b2, losses, X, Y, n_samples, n_in, n_hidden, n_out, losses_len, epochs, lr, loss_kind,
                record_every, has_bias, want_loss):
    """train, for a C caller (csrc/xor_ext.h's xor_train_fn): the arrays as pointers, viewed with their shapes."""
    n_bias = 1 if has_bias else 0
    return train(carray(w1, (n_in, n_hidden)), carray(b1, (n_hidden * n_bias,)), carray(w2, (n_hidden, n_out)),
                 carray(b2, (n_out * n_bias,)), carray(losses, (losses_len,)), carray(X, (n_samples, n_in)),
                 carray(Y, (n_samples, n_out)), epochs, lr, loss_kind == 0, record_every, has_bias != 0,
                 want_loss != 0)


@functools.lru_cache(maxsize=None)
def _c_kernel():
    """(the c backend's Kernel, whose xor_call_train runs the entry point, None), or (None, why not)."""
    from ._cffi_kernel import Kernel
    try:
        return Kernel("c"), None
    except BackendUnavailable as e:
        return None, str(e)


@functools.lru_cache(maxsize=None)
def _entry():
    """(the c backend's Kernel, train_entry's address), compiled on first use; (None, why) without the extension."""
    kernel, why = _c_kernel()
    if kernel is None:
        return None, why
    return kernel, cfunc(TRAIN_ENTRY, cache=True, error_model="numpy")(train_entry).address


_NO_BIAS = np.zeros(0)


class NumbaBackend(Backend):
    name = "numba"
    gil = "released"  # cffi's call into the @cfunc entry point; train itself is nogil=True for the fallback
    equivalence = "bitwise"
    description = "the reference's loops, whole training loop in one @njit(cache=True) function"
    compile_cache = True
    simd = "none (scalar loops)"
    exp = EXP_SOURCE

    @property
    def overheads(self):
        kernel, why = _c_kernel()  # not _entry(): describing the backend should not compile it
        return ("a trainer's calls: one compiled cffi call into train's @cfunc entry" if kernel else
                f"a trainer's calls: Numba's dispatcher, which checks all 13 arguments per call ({why})")

    def _prepare(self, job):
        kernel, address = _entry()
        if kernel is not None:
            return kernel.prepare(job, entry=address)
        # every argument but the epochs and the loss history, prepared once for a trainer's many calls
        has_bias = job.b1 is not None
        w1, b1, w2, b2 = job.w1, job.b1 if has_bias else _NO_BIAS, job.w2, job.b2 if has_bias else _NO_BIAS
        X, Y, lr, mse = job.X, job.Y, job.lr, job.loss == "mse"

        def run(epochs, record_every, losses, want_loss=True):
            return train(w1, b1, w2, b2, losses, X, Y, epochs, lr, mse, record_every, has_bias, want_loss)

        return run

    def _predict(self, job, out):
        w1, b1, w2, b2, X = job.w1, job.b1, job.w2, job.b2, job.X
        has_bias = b1 is not None
        predict(out, X, w1, b1 if has_bias else _NO_BIAS, w2, b2 if has_bias else _NO_BIAS, has_bias)

    def build_info(self):
        import llvmlite
        return {"numba": numba.__version__, "llvmlite": llvmlite.__version__}
