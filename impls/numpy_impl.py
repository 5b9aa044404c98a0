"""NumPy: the reference vectorized over the whole batch. No Python loop over samples or units.

Tuned for small batches, where NumPy's per-call overhead dominates: every buffer is allocated once per
train call and every call writes into it (out=, passed positionally where NumPy allows), so an epoch
allocates nothing; np.dot rather than np.matmul, and constants as 0-d arrays rather than Python floats,
because both cost less per call at these sizes.

Forced differences from the reference, and why results agree within tolerance rather than to the bit:
  * X @ w1, hidden @ w2 and the weight gradients go through BLAS, which may reorder sums and use FMA;
  * np.sum over the squared errors is pairwise, not left to right;
  * np.exp uses NumPy's own SIMD exp, which differs from libm's exp by 1 ULP on a few percent of inputs;
  * the sigmoid is evaluated as exp(min(z, 0)) / (1 + exp(-|z|)), one expression for both branches of the
    reference's; it is the same value, element for element, given the same exp.
Elementwise steps keep the reference's order: d_out = ((scale * diff) * out) * (1 - out).
"""
from __future__ import annotations

import math

import numpy as np

from .core import Backend


ZERO, ONE = np.array(0.0), np.array(1.0)


def sigmoid(z, out, tmp):
    """Overflow-safe logistic into out, using tmp: exp(min(z, 0)) / (1 + exp(-|z|)); never exp(+large)."""
    np.minimum(z, ZERO, out=out)
    np.exp(out, out)
    np.abs(z, tmp)
    np.negative(tmp, tmp)
    np.exp(tmp, tmp)
    np.add(tmp, ONE, tmp)
    np.divide(out, tmp, out)
    return out


class Buffers:
    """Every array one epoch needs, allocated once."""

    def __init__(self, n, n_in, n_hidden, n_out):
        self.z1, self.hidden, self.t1, self.d_z1 = (np.empty((n, n_hidden)) for _ in range(4))
        self.z2, self.out, self.t2, self.diff, self.d_out = (np.empty((n, n_out)) for _ in range(5))
        self.dw1 = np.empty((n_in, n_hidden))
        self.dw2 = np.empty((n_hidden, n_out))
        self.db1, self.db2 = np.empty(n_hidden), np.empty(n_out)


def forward(B, X, w1, b1, w2, b2):
    """Hidden and output activations of the batch X, into B.hidden and B.out."""
    np.dot(X, w1, B.z1)
    if b1 is not None:
        np.add(B.z1, b1, B.z1)
    sigmoid(B.z1, B.hidden, B.t1)
    np.dot(B.hidden, w2, B.z2)
    if b2 is not None:
        np.add(B.z2, b2, B.z2)
    return sigmoid(B.z2, B.out, B.t2)


def loss_of(B, X, Y, w1, b1, w2, b2, mse):
    np.subtract(forward(B, X, w1, b1, w2, b2), Y, B.diff)
    total = np.sum(np.square(B.diff, B.t2))
    return total / B.diff.size if mse else total


class NumpyBackend(Backend):
    name = "numpy"
    equivalence = "reordered"
    description = "vectorized NumPy over the batch, preallocated buffers; BLAS matmuls, pairwise sums, SIMD exp"
    difference = ("BLAS matmuls reorder sums and may use FMA; np.sum is pairwise; NumPy's SIMD exp differs "
                  "from libm's exp by 1 ULP on a few percent of arguments")

    # Forced difference: NumPy reports floating-point events (exp underflowing to 0, as it must for z < -745)
    # as warnings, or as errors under the caller's np.seterr(all="raise"); the other backends compute the same
    # IEEE results silently. So the kernel runs with every report off, whatever the caller's setting.
    def _train(self, job, losses):
        with np.errstate(all="ignore"):
            return self._epochs(job, losses)

    def _predict(self, job, out):
        with np.errstate(all="ignore"):
            w1, b1, w2, b2, X = job.w1, job.b1, job.w2, job.b2, job.X
            B = Buffers(X.shape[0], X.shape[1], w1.shape[1], w2.shape[1])
            out[...] = forward(B, X, w1, b1, w2, b2)

    def _epochs(self, job, losses):
        X, Y, w1, b1, w2, b2 = job.X, job.Y, job.w1, job.b1, job.w2, job.b2
        B = Buffers(X.shape[0], X.shape[1], w1.shape[1], w2.shape[1])
        mse = job.loss == "mse"
        lr, scale = np.array(job.lr), np.array(2.0 / Y.size if mse else 2.0)
        k = job.record_every
        hidden, out, diff, d_out, d_z1, t1, t2 = B.hidden, B.out, B.diff, B.d_out, B.d_z1, B.t1, B.t2
        dw1, dw2, db1, db2 = B.dw1, B.dw2, B.db1, B.db2
        XT, hT, w2T = X.T, hidden.T, w2.T
        for e in range(job.epochs):
            forward(B, X, w1, b1, w2, b2)
            np.subtract(out, Y, diff)
            if k and e % k == 0:
                total = np.sum(np.square(diff, t2))
                losses[e // k] = total / diff.size if mse else total
            np.multiply(diff, scale, d_out)          # ((scale * diff) * out) * (1 - out)
            np.multiply(d_out, out, d_out)
            np.subtract(ONE, out, t2)
            np.multiply(d_out, t2, d_out)
            np.dot(d_out, w2T, d_z1)                 # ((d_out @ w2.T) * hidden) * (1 - hidden)
            np.multiply(d_z1, hidden, d_z1)
            np.subtract(ONE, hidden, t1)
            np.multiply(d_z1, t1, d_z1)
            np.dot(hT, d_out, dw2)
            np.dot(XT, d_z1, dw1)
            np.multiply(dw2, lr, dw2)
            np.subtract(w2, dw2, w2)
            np.multiply(dw1, lr, dw1)
            np.subtract(w1, dw1, w1)
            if b1 is not None:
                np.sum(d_out, axis=0, out=db2)
                np.multiply(db2, lr, db2)
                np.subtract(b2, db2, b2)
                np.sum(d_z1, axis=0, out=db1)
                np.multiply(db1, lr, db1)
                np.subtract(b1, db1, b1)
        return loss_of(B, X, Y, w1, b1, w2, b2, mse) if job.want_loss else math.nan

    checks_signals = True
    gil = "held by its Python epoch loop (released inside some of NumPy's array operations)"
    fma = "inside BLAS"
    simd = "NumPy's ufunc loops and BLAS"
    exp = "NumPy's SIMD exp"

    def threads(self):
        return "BLAS (pinned to 1 in benchmarks)"

    def build_info(self):
        return {"numpy": np.__version__}
