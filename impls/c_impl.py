"""C through cffi: csrc/xor_net.c runs the whole training loop; NumPy buffers are passed without copying.

The kernel mirrors the reference's operation order and is built with -ffp-contract=off, so its results
are the reference's bits.
"""
from __future__ import annotations

import json
import os

from .core import Backend, BackendUnavailable

BUILD_FIX = "Fix: pip install -e .  (from the xorbench checkout; it compiles csrc/ with the system C compiler)"

try:
    from ._xor_c import ffi, lib
except ImportError as e:
    raise BackendUnavailable(f"the C extension impls._xor_c is not built ({e}). {BUILD_FIX}") from None

BUILD_INFO = json.loads(ffi.string(lib.xor_net_build_info()).decode())
BUILD_INFO["compiler"] = ffi.string(lib.xor_net_compiler()).decode()

_CSRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "csrc")
if os.path.isdir(_CSRC):  # a checkout: refuse to time a kernel older than its sources
    from ._ffi_build import source_hash

    if source_hash(_CSRC) != BUILD_INFO["source_sha256"]:
        raise BackendUnavailable(f"the C extension is stale: csrc/ changed after it was built. {BUILD_FIX}")

_ERRORS = {lib.XOR_ERR_SIZE: "size mismatch", lib.XOR_ERR_ARG: "bad argument", lib.XOR_ERR_NOMEM: "out of memory"}
_LOSS = {"mse": lib.XOR_LOSS_MSE, "sse": lib.XOR_LOSS_SSE}
_NULL = ffi.NULL


def _buf(a):
    return (_NULL, 0) if a is None else (ffi.from_buffer("double[]", a, require_writable=False), a.size)


def _check(rc):
    if rc != 0:
        if rc == lib.XOR_ERR_NOMEM:
            raise MemoryError("xor_net: could not allocate the work buffer")
        raise RuntimeError(f"xor_net rejected its arguments ({_ERRORS.get(rc, rc)}); this is a bug in impls.c_impl")


class CBackend(Backend):
    name = "c"
    equivalence = "bitwise"
    description = "scalar C (csrc/xor_net.c) through cffi, -O3 -ffp-contract=off"

    def _train(self, job, losses):
        n_samples, n_in = job.X.shape
        n_hidden, n_out = job.w2.shape
        final = ffi.new("double *")
        _check(lib.xor_net_train(
            *_buf(job.w1), *_buf(job.b1), *_buf(job.w2), *_buf(job.b2),
            *_buf(losses if losses.size else None), final,
            *_buf(job.X), *_buf(job.Y),
            n_samples, n_in, n_hidden, n_out,
            job.epochs, job.lr, _LOSS[job.loss], job.record_every))
        return final[0]

    def _predict(self, out, w1, b1, w2, b2, X):
        n_samples, n_in = X.shape
        n_hidden, n_out = w2.shape
        _check(lib.xor_net_forward(
            *_buf(out), *_buf(w1), *_buf(b1), *_buf(w2), *_buf(b2), *_buf(X),
            n_samples, n_in, n_hidden, n_out))

    def info(self):
        import cffi
        return {"cffi": cffi.__version__, **BUILD_INFO}
