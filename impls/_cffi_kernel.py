"""What the cffi backends share: loading an extension (or saying why not), its build facts, buffers, errors."""
from __future__ import annotations

import importlib
import math
import json
import os

from .core import Backend, BackendUnavailable

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
        self.run_fn = getattr(self.lib, spec.prefix + "_run")
        # c-simd's: its samples laid out once per trainer rather than on every call (None where a kernel has none)
        self.layout_new = getattr(self.lib, spec.prefix + "_layout_new", None)
        self.layout_free = getattr(self.lib, spec.prefix + "_layout_free", None)
        self.threads = spec.threads
        self.info = json.loads(self.ffi.string(self.lib.xor_build_info()).decode())
        self.info["compiler"] = self.ffi.string(self.lib.xor_compiler()).decode()
        csrc = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "csrc")
        if os.path.isdir(csrc):  # a checkout: refuse to time a kernel older than its sources
            if source_hash(name, csrc) != self.info["source_sha256"]:
                raise BackendUnavailable(f"the extension {module} is stale: csrc/ changed after it was built. "
                                         f"{BUILD_FIX}")
        self._from_buffer, self.NULL = self.ffi.from_buffer, self.ffi.NULL
        assert (self.lib.XOR_LOSS_MSE, self.lib.XOR_LOSS_SSE) == (LOSS_KIND["mse"], LOSS_KIND["sse"])

    def prepare(self, job, max_threads=0, entry=None):
        """Backend._prepare for a C backend: the arguments of a training call prepared once in an xor_train_args
        (with c-simd's samples laid out as its kernel reads them), and run(epochs, record_every, losses) -> final
        loss calling the kernel's *_run entry point with them.
        run.bare(epochs) gives the kernel's *_train entry point with every argument prepared, as the boundary
        benchmark times it. entry: the address of a training function compiled elsewhere (an xor_train_fn, as
        Numba's @cfunc gives it) to run instead of the kernel, through xor_call_train."""
        fb, NULL, check = self._from_buffer, self.NULL, self.check
        run_fn = self.run_fn if entry is None else self.lib.xor_call_train
        n_samples, n_in, n_hidden, n_out = job.sizes
        buffers = {n: fb("double[]", getattr(job, n)) for n in ("w1", "b1", "w2", "b2", "X", "Y")
                   if getattr(job, n) is not None}  # kept alive by the closure below: args points into them
        final = self.ffi.new("double *")
        fields = dict(final_loss=final, n_samples=n_samples, n_in=n_in, n_hidden=n_hidden, n_out=n_out, lr=job.lr,
                      loss_kind=LOSS_KIND[job.loss], max_threads=max_threads,
                      entry=NULL if entry is None else self.ffi.cast("xor_train_fn", entry))
        for n, buf in buffers.items():
            fields[n], fields[n + "_len"] = buf, getattr(job, n).size
        args = self.ffi.new("xor_train_args *", fields)
        layout = None
        if self.layout_new is not None and entry is None:  # X and Y laid out now, for every call of this run
            n = self.ffi.new("int64_t *")
            layout = self.layout_new(args, n)
            if layout == NULL:  # arguments the call will refuse anyway, or no memory: laid out per call, as before
                layout = None
            else:
                layout = self.ffi.gc(layout, self.layout_free)
                args.layout, args.layout_len = layout, n[0]
                fields.update(layout=layout, layout_len=n[0])
        args_no_loss = self.ffi.new("xor_train_args *", {**fields, "final_loss": NULL})

        def run(epochs, record_every, losses, want_loss=True):
            rc = run_fn(args if want_loss else args_no_loss, epochs, record_every,
                        fb("double[]", losses) if losses.size else NULL, losses.size)
            if rc:
                check(rc)
            return final[0] if want_loss else math.nan

        def bare(epochs):
            if entry is not None:  # the compiled call of the entry point, which is all there is
                return run_fn, (args, epochs, 0, NULL, 0)
            # *_train's arguments in its order, from the same fields as the struct
            params = [v for n in ("w1", "b1", "w2", "b2") for v in (fields.get(n, NULL), fields.get(n + "_len", 0))]
            threads = (max_threads,) if self.threads else ()
            return self.train_fn, (*params, NULL, 0, final, *(fields[k] for k in ("X", "X_len", "Y", "Y_len",
                                   "n_samples", "n_in", "n_hidden", "n_out")), epochs, fields["lr"],
                                   fields["loss_kind"], 0, *threads)

        run.bare = bare
        run.layout = layout  # alive as long as run is: args and args_no_loss point into it
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


class CffiBackend(Backend):
    """A backend whose kernel is one compiled cffi extension: subclasses set `kernel = Kernel("<name>")`."""

    kernel: Kernel
    gil = "released"  # cffi's API mode releases the GIL around every call into the extension

    def _prepare(self, job):
        return self.kernel.prepare(job)

    def _predict(self, job, out):
        self.kernel.forward(job, out)

    def build_info(self):
        import cffi
        return {"cffi": cffi.__version__, **self.kernel.info}
