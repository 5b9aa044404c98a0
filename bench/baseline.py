"""The fast rows' outside baseline: bench/plain_loop.c, a plain scalar 2-4-1 loop, compiled once per process
with -O3 -march=native -ffast-math (compile step only; linked with libmvec, never with -ffast-math) into a
temporary folder. Not a backend: the benchmarks time it beside c-simd and numba-fast, on one thread."""
from __future__ import annotations

import functools
import importlib.util
import os
import tempfile

import numpy as np

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plain_loop.c")
CFLAGS = ["-O3", "-march=native", "-ffast-math"]


@functools.lru_cache(maxsize=None)
def _lib():
    from cffi import FFI

    ffi = FFI()
    ffi.cdef("void plain_train(double *w1, double *b1, double *w2, double *b2, const double *X, const double *Y, "
             "int64_t n, int64_t epochs, double lr);")
    with open(SOURCE) as f:
        ffi.set_source("_xorbench_plain_loop", f.read(), extra_compile_args=CFLAGS, libraries=["mvec", "m"])
    folder = tempfile.mkdtemp(prefix="xorbench-plain-")
    path = ffi.compile(tmpdir=folder)
    spec = importlib.util.spec_from_file_location("_xorbench_plain_loop", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ffi, module.lib


def train(params, X, Y, epochs: int, lr: float):
    """(w1, b1, w2, b2) after `epochs` epochs of the plain loop (mse), from copies of params (2-4-1, biases)."""
    ffi, lib = _lib()
    w1, b1, w2, b2 = (np.array(a, dtype=np.float64) for a in (params.w1, params.b1, params.w2, params.b2))
    X = np.ascontiguousarray(X, dtype=np.float64)
    Y = np.ascontiguousarray(Y, dtype=np.float64)
    fb = ffi.from_buffer
    lib.plain_train(fb("double[]", w1), fb("double[]", b1), fb("double[]", w2), fb("double[]", b2),
                    fb("double[]", X), fb("double[]", Y), X.shape[0], epochs, lr)
    return w1, b1, w2, b2
