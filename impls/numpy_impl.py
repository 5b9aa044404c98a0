"""NumPy: the reference vectorized over the whole batch. No Python loop over samples or units.

Forced differences from the reference, and why results agree within tolerance rather than to the bit:
  * X @ w1, hidden @ w2 and the weight gradients go through BLAS, which may reorder sums and use FMA;
  * np.sum over the squared errors is pairwise, not left to right;
  * np.exp uses NumPy's own SIMD exp, which differs from libm's exp by 1 ULP on a few percent of inputs.
Elementwise steps keep the reference's order: d_out = ((scale * diff) * out) * (1 - out).
"""
from __future__ import annotations

import numpy as np

from .core import Backend


def sigmoid(z):
    """Overflow-safe logistic: exp(-|z|) never overflows."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def forward(X, w1, b1, w2, b2):
    """Hidden and output activations of the batch X."""
    z1 = X @ w1
    if b1 is not None:
        z1 += b1
    hidden = sigmoid(z1)
    z2 = hidden @ w2
    if b2 is not None:
        z2 += b2
    return hidden, sigmoid(z2)


def loss_of(X, Y, w1, b1, w2, b2, mse):
    diff = forward(X, w1, b1, w2, b2)[1] - Y
    total = np.sum(diff * diff)
    return total / diff.size if mse else total


class NumpyBackend(Backend):
    name = "numpy"
    equivalence = "reordered"
    description = "vectorized NumPy over the batch; BLAS matmuls, pairwise sums, NumPy's SIMD exp"
    difference = ("BLAS matmuls reorder sums and may use FMA; np.sum is pairwise; NumPy's SIMD exp differs "
                  "from libm's exp by 1 ULP on a few percent of arguments")

    def _train(self, job, losses):
        X, Y, w1, b1, w2, b2, lr = job.X, job.Y, job.w1, job.b1, job.w2, job.b2, job.lr
        mse = job.loss == "mse"
        scale = 2.0 / Y.size if mse else 2.0
        k = job.record_every
        for e in range(job.epochs):
            hidden, out = forward(X, w1, b1, w2, b2)
            diff = out - Y
            if k and e % k == 0:
                total = np.sum(diff * diff)
                losses[e // k] = total / diff.size if mse else total
            d_out = scale * diff * out * (1.0 - out)
            d_z1 = (d_out @ w2.T) * hidden * (1.0 - hidden)
            w2 -= lr * (hidden.T @ d_out)
            w1 -= lr * (X.T @ d_z1)
            if b1 is not None:
                b2 -= lr * d_out.sum(axis=0)
                b1 -= lr * d_z1.sum(axis=0)
        return loss_of(X, Y, w1, b1, w2, b2, mse)

    def _predict(self, out, w1, b1, w2, b2, X):
        out[...] = forward(X, w1, b1, w2, b2)[1]

    def info(self):
        return {"numpy": np.__version__}
