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
        self.module, self.ffi, self.lib, self.path = module, ext.ffi, ext.lib, ext.__file__
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

    def prepare(self, job, *extra):
        """The kernel's *_train entry point with every pointer prepared once, as Backend._prepare wants it:
        run(epochs, record_every, losses) -> final loss. `extra`: the arguments after record_every."""
        fb, NULL, fn, check = self._from_buffer, self.NULL, self.train_fn, self.check
        n_samples, n_in, n_hidden, n_out = job.sizes
        b1, b2 = job.b1, job.b2
        params = (fb("double[]", job.w1), job.w1.size,
                  NULL if b1 is None else fb("double[]", b1), 0 if b1 is None else b1.size,
                  fb("double[]", job.w2), job.w2.size,
                  NULL if b2 is None else fb("double[]", b2), 0 if b2 is None else b2.size)
        final = self.ffi.new("double *")
        data = (final, fb("double[]", job.X), job.X.size, fb("double[]", job.Y), job.Y.size,
                n_samples, n_in, n_hidden, n_out)
        lr, kind = job.lr, LOSS_KIND[job.loss]

        def run(epochs, record_every, losses):
            rc = fn(*params, fb("double[]", losses) if losses.size else NULL, losses.size, *data, epochs, lr, kind,
                    record_every, *extra)
            if rc:
                check(rc)
            return final[0]

        run.bare = lambda epochs: (fn, (*params, NULL, 0, *data, epochs, lr, kind, 0, *extra))
        return run

    def forward(self, job, out) -> None:
        """Call the kernel's *_forward entry point: out (N, n_out) from a validated predict Job."""
        buf = self.buf
        self.check(self.forward_fn(*buf(out), *buf(job.w1), *buf(job.b1), *buf(job.w2), *buf(job.b2), *buf(job.X),
                                   *job.sizes))

    def buf(self, a):
        """(pointer, length) of a float64 array without copying, or (NULL, 0) for None."""
        return (self.NULL, 0) if a is None else (self._from_buffer("double[]", a), a.size)

    def check(self, rc: int) -> None:
        if rc == 0:
            return
        if rc == self.lib.XOR_ERR_NOMEM:
            raise MemoryError(f"{self.module}: could not allocate the work buffer")
        why = {self.lib.XOR_ERR_SIZE: "size mismatch", self.lib.XOR_ERR_ARG: "bad argument"}.get(rc, rc)
        raise RuntimeError(f"{self.module} rejected its arguments ({why}); this is a bug in its Python wrapper")
