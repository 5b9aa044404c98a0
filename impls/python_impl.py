"""Pure-Python reference: the readable specification every other backend follows, sum by sum.

Every sum starts from 0.0 and adds its terms in index order; products are evaluated left to right.
The builtin sum() is not used: since Python 3.12 it compensates float sums, which would change the bits.
"""
from __future__ import annotations

import math

from .core import Backend


def sigmoid(z):
    """Overflow-safe logistic: never calls exp on a positive argument."""
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def forward(x, w1, b1, w2, b2):
    """Hidden and output activations of one sample x."""
    n_in, n_hidden, n_out = len(w1), len(w1[0]), len(w2[0])
    hidden = [0.0] * n_hidden
    for j in range(n_hidden):
        z = 0.0
        for i in range(n_in):
            z += x[i] * w1[i][j]
        if b1 is not None:
            z += b1[j]
        hidden[j] = sigmoid(z)
    out = [0.0] * n_out
    for k in range(n_out):
        z = 0.0
        for j in range(n_hidden):
            z += hidden[j] * w2[j][k]
        if b2 is not None:
            z += b2[k]
        out[k] = sigmoid(z)
    return hidden, out


def loss_of(X, Y, w1, b1, w2, b2, mse):
    """Summed squared error over samples then outputs, divided by N*n_out for mse."""
    total = 0.0
    for x, y in zip(X, Y):
        _, out = forward(x, w1, b1, w2, b2)
        for k in range(len(out)):
            diff = out[k] - y[k]
            total += diff * diff
    return total / (len(X) * len(Y[0])) if mse else total


def epoch(X, Y, w1, b1, w2, b2, lr, scale, record):
    """One full-batch gradient step, in place; returns the squared-error sum of its forward pass if record."""
    n_in, n_hidden, n_out = len(w1), len(w1[0]), len(w2[0])
    dw1 = [[0.0] * n_hidden for _ in range(n_in)]
    db1 = [0.0] * n_hidden
    dw2 = [[0.0] * n_out for _ in range(n_hidden)]
    db2 = [0.0] * n_out
    d_out = [0.0] * n_out
    sq = 0.0
    for x, y in zip(X, Y):
        hidden, out = forward(x, w1, b1, w2, b2)
        for k in range(n_out):
            diff = out[k] - y[k]
            if record:
                sq += diff * diff
            d_out[k] = scale * diff * out[k] * (1.0 - out[k])
            db2[k] += d_out[k]
        for j in range(n_hidden):
            d_hidden = 0.0
            for k in range(n_out):
                dw2[j][k] += hidden[j] * d_out[k]
                d_hidden += d_out[k] * w2[j][k]
            d_z1 = d_hidden * hidden[j] * (1.0 - hidden[j])
            for i in range(n_in):
                dw1[i][j] += x[i] * d_z1
            db1[j] += d_z1
    for i in range(n_in):
        for j in range(n_hidden):
            w1[i][j] -= lr * dw1[i][j]
    for j in range(n_hidden):
        for k in range(n_out):
            w2[j][k] -= lr * dw2[j][k]
    if b1 is not None:
        for j in range(n_hidden):
            b1[j] -= lr * db1[j]
        for k in range(n_out):
            b2[k] -= lr * db2[k]
    return sq


def train(X, Y, w1, b1, w2, b2, epochs, lr, mse, record_every, losses, want_loss=True):
    """Train in place on nested lists; fills losses[e // record_every] and returns the final loss (nan if not
    want_loss)."""
    count = len(X) * len(Y[0])
    scale = 2.0 / count if mse else 2.0
    for e in range(epochs):
        record = record_every > 0 and e % record_every == 0
        sq = epoch(X, Y, w1, b1, w2, b2, lr, scale, record)
        if record:
            losses[e // record_every] = sq / count if mse else sq
    return loss_of(X, Y, w1, b1, w2, b2, mse) if want_loss else math.nan


class PythonBackend(Backend):
    name = "python"
    equivalence = "bitwise"
    description = "pure-Python loops over lists of floats; the reference"
    exp = "libm (math.exp)"
    checks_signals = True

    def _train(self, job, losses):
        w1, w2 = job.w1.tolist(), job.w2.tolist()
        b1 = None if job.b1 is None else job.b1.tolist()
        b2 = None if job.b2 is None else job.b2.tolist()
        history = [0.0] * len(losses)
        final = train(job.X.tolist(), job.Y.tolist(), w1, b1, w2, b2,
                      job.epochs, job.lr, job.loss == "mse", job.record_every, history, job.want_loss)
        job.w1[...] = w1
        job.w2[...] = w2
        if b1 is not None:
            job.b1[...] = b1
            job.b2[...] = b2
        losses[...] = history
        return final

    def _predict(self, job, out):
        w1, b1, w2, b2, X = job.w1, job.b1, job.w2, job.b2, job.X
        w1, w2 = w1.tolist(), w2.tolist()
        b1 = None if b1 is None else b1.tolist()
        b2 = None if b2 is None else b2.tolist()
        out[...] = [forward(x, w1, b1, w2, b2)[1] for x in X.tolist()]
