"""What the cffi backends share: loading an extension (or saying why not), its build facts, buffers, errors."""
from __future__ import annotations

import importlib
import json
import os

from .core import BackendUnavailable

BUILD_FIX = "Fix: pip install -e .  (from the xorbench checkout; it compiles csrc/ with the system C compiler)"
LOSS_KIND = {"mse": 0, "sse": 1}  # XOR_LOSS_MSE, XOR_LOSS_SSE


class Kernel:
    """One compiled cffi extension (impls._xor_c or impls._xor_simd)."""

    def __init__(self, module: str):
        try:
            ext = importlib.import_module(module)
        except ImportError as e:
            raise BackendUnavailable(f"the C extension {module} is not built ({e}). {BUILD_FIX}") from None
        self.module, self.ffi, self.lib = module, ext.ffi, ext.lib
        self.info = json.loads(self.ffi.string(self.lib.xor_build_info()).decode())
        self.info["compiler"] = self.ffi.string(self.lib.xor_compiler()).decode()
        csrc = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "csrc")
        if os.path.isdir(csrc):  # a checkout: refuse to time a kernel older than its sources
            from ._ffi_build import source_hash

            if source_hash(module, csrc) != self.info["source_sha256"]:
                raise BackendUnavailable(f"the extension {module} is stale: csrc/ changed after it was built. "
                                         f"{BUILD_FIX}")
        self._from_buffer, self.NULL = self.ffi.from_buffer, self.ffi.NULL
        assert (self.lib.XOR_LOSS_MSE, self.lib.XOR_LOSS_SSE) == (LOSS_KIND["mse"], LOSS_KIND["sse"])

    def buf(self, a):
        """(pointer, length) of a float64 array without copying, or (NULL, 0) for None."""
        return (self.NULL, 0) if a is None else (self._from_buffer("double[]", a, require_writable=False), a.size)

    def train(self, fn, job, losses, *extra) -> float:
        """Call a kernel's *_train entry point on a validated TrainJob; returns the final loss."""
        n_samples, n_in = job.X.shape
        n_hidden, n_out = job.w2.shape
        final = self.ffi.new("double *")
        buf = self.buf
        self.check(fn(*buf(job.w1), *buf(job.b1), *buf(job.w2), *buf(job.b2),
                      *buf(losses if losses.size else None), final, *buf(job.X), *buf(job.Y),
                      n_samples, n_in, n_hidden, n_out, job.epochs, job.lr, LOSS_KIND[job.loss],
                      job.record_every, *extra))
        return final[0]

    def forward(self, fn, out, w1, b1, w2, b2, X) -> None:
        """Call a kernel's *_forward entry point: out (N, n_out) from validated arrays."""
        n_samples, n_in = X.shape
        n_hidden, n_out = w2.shape
        buf = self.buf
        self.check(fn(*buf(out), *buf(w1), *buf(b1), *buf(w2), *buf(b2), *buf(X), n_samples, n_in, n_hidden, n_out))

    def check(self, rc: int) -> None:
        if rc == 0:
            return
        if rc == self.lib.XOR_ERR_NOMEM:
            raise MemoryError(f"{self.module}: could not allocate the work buffer")
        why = {self.lib.XOR_ERR_SIZE: "size mismatch", self.lib.XOR_ERR_ARG: "bad argument"}.get(rc, rc)
        raise RuntimeError(f"{self.module} rejected its arguments ({why}); this is a bug in its Python wrapper")
