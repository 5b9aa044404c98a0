# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Cython: the reference's loops (impls/python_impl.py) with typed memoryviews, the whole training loop in C.

Compiled when the package is installed (setup.py) with -O3 -ffp-contract=off, calling libm's exp, so the results
are the reference's bits. No bounds checks in the loops: validation has run in Python (impls/core.py) and the
shapes are those of the job. cdivision: a float division by zero cannot happen (no sum is divided by it), and
it saves a branch per division.

Forced differences from the reference, marked where they happen:
  * work buffers are allocated once per call, not once per epoch, and zeroed with loops;
  * biases travel as zero-length arrays plus a has_bias flag, so one compiled function serves both cases;
  * d_z1 is kept for every hidden unit, and dw1 is updated a row at a time once every d_z1 is known (each
    dw1[i, j] still gets one addition per sample, in sample order: the same bits);
  * forward is written out inside the epoch loop, as in the numba backend.
"""
import cython
import numpy as np

from libc.math cimport exp

from .core import Backend


cdef inline double sigmoid(double z) noexcept nogil:
    cdef double e
    if z >= 0.0:
        return 1.0 / (1.0 + exp(-z))
    e = exp(z)
    return e / (1.0 + e)


cdef void forward(double[::1] hidden, double[::1] out, const double[:, ::1] X, Py_ssize_t n,
                  double[:, ::1] w1, double[::1] b1, double[:, ::1] w2, double[::1] b2, bint has_bias) noexcept nogil:
    cdef Py_ssize_t i, j, k, n_in = w1.shape[0], n_hidden = w1.shape[1], n_out = w2.shape[1]
    cdef double z
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


cdef double loss_of(const double[:, ::1] X, const double[:, ::1] Y, double[:, ::1] w1, double[::1] b1,
                    double[:, ::1] w2, double[::1] b2, bint has_bias, bint mse, double[::1] hidden,
                    double[::1] out) noexcept nogil:
    cdef Py_ssize_t n, k
    cdef double total = 0.0, diff
    for n in range(X.shape[0]):
        forward(hidden, out, X, n, w1, b1, w2, b2, has_bias)
        for k in range(out.shape[0]):
            diff = out[k] - Y[n, k]
            total += diff * diff
    return total / (X.shape[0] * Y.shape[1]) if mse else total


cdef double train(double[:, ::1] w1, double[::1] b1, double[:, ::1] w2, double[::1] b2, double[::1] losses,
                  const double[:, ::1] X, const double[:, ::1] Y, long long epochs, double lr, bint mse,
                  long long record_every, bint has_bias, double[::1] hidden, double[::1] out, double[::1] d_out,
                  double[::1] d_z1, double[:, ::1] dw1, double[::1] db1, double[:, ::1] dw2,
                  double[::1] db2, bint want_loss) noexcept nogil:
    cdef Py_ssize_t i, j, k, n
    cdef Py_ssize_t n_in = w1.shape[0], n_hidden = w1.shape[1], n_out = w2.shape[1]
    cdef long long e, count = X.shape[0] * n_out
    cdef double scale = 2.0 / count if mse else 2.0
    cdef double sq, diff, z, d_hidden
    cdef bint record
    for e in range(epochs):
        record = record_every > 0 and e % record_every == 0
        for i in range(n_in):  # forced difference: buffers allocated once per call, zeroed every epoch
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
            # forward(hidden, out, X, n, w1, b1, w2, b2, has_bias), written out
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
    if not want_loss:  # a trainer's slice but the last: the final forward pass is not wanted
        return 0.0
    return loss_of(X, Y, w1, b1, w2, b2, has_bias, mse, hidden, out)


_NO_BIAS = np.zeros(0)


class CythonBackend(Backend):
    name = "cython"
    gil = "released"  # the training loop runs in `with nogil:`
    equivalence = "bitwise"
    description = "the reference's loops in Cython (typed memoryviews, no bounds checks), -O3 -ffp-contract=off"
    simd = "none (scalar loops)"

    def _prepare(self, job):
        # everything but epochs and the loss history prepared once: typed views, work buffers
        cdef double[:, ::1] w1 = job.w1, w2 = job.w2
        cdef const double[:, ::1] X = job.X, Y = job.Y
        cdef bint has_bias = job.b1 is not None
        cdef double[::1] b1 = job.b1 if has_bias else _NO_BIAS, b2 = job.b2 if has_bias else _NO_BIAS
        n_hidden, n_out = job.w1.shape[1], job.w2.shape[1]
        cdef double[::1] hidden = np.empty(n_hidden), out = np.empty(n_out), d_out = np.empty(n_out)
        cdef double[::1] d_z1 = np.empty(n_hidden), db1 = np.empty(n_hidden), db2 = np.empty(n_out)
        cdef double[:, ::1] dw1 = np.empty(job.w1.shape), dw2 = np.empty(job.w2.shape)
        cdef double lr = job.lr
        cdef bint mse = job.loss == "mse"

        def run(long long epochs, long long record_every, double[::1] losses, bint want_loss=True):
            with nogil:
                final = train(w1, b1, w2, b2, losses, X, Y, epochs, lr, mse, record_every, has_bias, hidden, out,
                              d_out, d_z1, dw1, db1, dw2, db2, want_loss)
            return final if want_loss else float("nan")

        return run

    def _predict(self, job, out):
        cdef double[:, ::1] w1 = job.w1, w2 = job.w2, o = out
        cdef const double[:, ::1] X = job.X
        cdef bint has_bias = job.b1 is not None
        cdef double[::1] b1 = job.b1 if has_bias else _NO_BIAS, b2 = job.b2 if has_bias else _NO_BIAS
        cdef double[::1] hidden = np.empty(job.w1.shape[1]), row = np.empty(job.w2.shape[1])
        cdef Py_ssize_t n, k
        for n in range(X.shape[0]):
            forward(hidden, row, X, n, w1, b1, w2, b2, has_bias)
            for k in range(row.shape[0]):
                o[n, k] = row[k]

    def build_info(self):
        from ._ffi_build import CYTHON_CFLAGS
        return {"cython": CYTHON_VERSION, "cflags": list(CYTHON_CFLAGS)}


CYTHON_VERSION = cython.__version__  # the Cython that compiled this module
