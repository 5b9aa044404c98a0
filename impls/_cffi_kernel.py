"""What the cffi backends share: loading an extension (or saying why not), its build facts, buffers, errors."""
from __future__ import annotations

import importlib
import json
import os

from .core import BackendUnavailable

BUILD_FIX = "Fix: pip install -e .  (from the xorbench checkout; it compiles csrc/ with the system C compiler)"
LOSS_KIND = {"mse": 0, "sse": 1}  # XOR_LOSS_MSE, XOR_LOSS_SSE


class Kernel:
    """The compiled cffi extension of one C backend, by its name in KERNELS (impls/_ffi_build.py)."""

    def __init__(self, name: str):
        from ._ffi_build import KERNELS, source_hash

        spec = KERNELS[name]
        module = spec.module
        try:
            ext = importlib.import_module(module)
        except ImportError as e:
            raise BackendUnavailable(f"the C extension {module} is not built ({e}). {BUILD_FIX}") from None
        self.module, self.ffi, self.lib = module, ext.ffi, ext.lib
        self.train_fn = getattr(self.lib, spec.prefix + "_train")
        self.forward_fn = getattr(self.lib, spec.prefix + "_forward")
        self.info = json.loads(self.ffi.string(self.lib.xor_build_info()).decode())
        self.info["compiler"] = self.ffi.string(self.lib.xor_compiler()).decode()
        csrc = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "csrc")
        if os.path.isdir(csrc):  # a checkout: refuse to time a kernel older than its sources
            if source_hash(name, csrc) != self.info["source_sha256"]:
                raise BackendUnavailable(f"the extension {module} is stale: csrc/ changed after it was built. "
                                         f"{BUILD_FIX}")
        self._from_buffer, self.NULL = self.ffi.from_buffer, self.ffi.NULL
        assert (self.lib.XOR_LOSS_MSE, self.lib.XOR_LOSS_SSE) == (LOSS_KIND["mse"], LOSS_KIND["sse"])

    def buf(self, a):
        """(pointer, length) of a float64 array without copying, or (NULL, 0) for None."""
        return (self.NULL, 0) if a is None else (self._from_buffer("double[]", a), a.size)

    def first_nonfinite(self, X, Y, w1, b1, w2, b2) -> int:
        """Backend._first_nonfinite in C: index of the first array holding NaN or inf (None skipped), or -1."""
        fb, NULL = self._from_buffer, self.NULL
        return self.lib.xor_first_nonfinite(fb("double[]", X), X.size, NULL if Y is None else fb("double[]", Y),
                                            0 if Y is None else Y.size, fb("double[]", w1), w1.size,
                                            NULL if b1 is None else fb("double[]", b1), 0 if b1 is None else b1.size,
                                            fb("double[]", w2), w2.size,
                                            NULL if b2 is None else fb("double[]", b2), 0 if b2 is None else b2.size)

    def train(self, job, losses, *extra) -> float:
        """Call the kernel's *_train entry point on a validated TrainJob; returns the final loss."""
        n_samples, n_in = job.X.shape
        n_hidden, n_out = job.w2.shape
        final = self.ffi.new("double *")
        fb, NULL = self._from_buffer, self.NULL  # from_buffer's require_writable defaults to False
        b1, b2 = job.b1, job.b2
        self.check(self.train_fn(fb("double[]", job.w1), n_in * n_hidden,
                      NULL if b1 is None else fb("double[]", b1), 0 if b1 is None else n_hidden,
                      fb("double[]", job.w2), n_hidden * n_out,
                      NULL if b2 is None else fb("double[]", b2), 0 if b2 is None else n_out,
                      fb("double[]", losses) if losses.size else NULL, losses.size, final,
                      fb("double[]", job.X), job.X.size, fb("double[]", job.Y), job.Y.size,
                      n_samples, n_in, n_hidden, n_out, job.epochs, job.lr, LOSS_KIND[job.loss],
                      job.record_every, *extra))
        return final[0]

    def forward(self, out, w1, b1, w2, b2, X) -> None:
        """Call the kernel's *_forward entry point: out (N, n_out) from validated arrays."""
        n_samples, n_in = X.shape
        n_hidden, n_out = w2.shape
        buf = self.buf
        self.check(self.forward_fn(*buf(out), *buf(w1), *buf(b1), *buf(w2), *buf(b2), *buf(X), n_samples, n_in, n_hidden, n_out))

    def check(self, rc: int) -> None:
        if rc == 0:
            return
        if rc == self.lib.XOR_ERR_NOMEM:
            raise MemoryError(f"{self.module}: could not allocate the work buffer")
        why = {self.lib.XOR_ERR_SIZE: "size mismatch", self.lib.XOR_ERR_ARG: "bad argument"}.get(rc, rc)
        raise RuntimeError(f"{self.module} rejected its arguments ({why}); this is a bug in its Python wrapper")
