"""The strict C kernel of the `c` backend, the very same compiled code, called through ctypes instead of cffi.

Bit-identical to `c` by construction: it loads the same shared object (csrc/xor_net.c, built by cffi) and
calls the same entry points. Only the foreign-function interface differs, so its row in the report shows
what choosing ctypes (with argtypes declared) over cffi costs per call.
"""
from __future__ import annotations

import ctypes
import math

from ._cffi_kernel import LOSS_KIND, Kernel
from .core import Backend

K = Kernel("c")  # the extension, checked as the c backend checks it (built, and not older than csrc/)
LIB = ctypes.CDLL(K.path)

_P, _I64, _F64P = ctypes.c_void_p, ctypes.c_int64, ctypes.POINTER(ctypes.c_double)
LIB.xor_net_train.argtypes = [_P, _I64, _P, _I64, _P, _I64, _P, _I64,  # w1, b1, w2, b2 and their lengths
                              _P, _I64, _F64P,                         # losses, its length, final_loss
                              _P, _I64, _P, _I64,                      # X, Y
                              _I64, _I64, _I64, _I64,                  # n_samples, n_in, n_hidden, n_out
                              _I64, ctypes.c_double, ctypes.c_int, _I64]  # epochs, lr, loss_kind, record_every
LIB.xor_net_train.restype = ctypes.c_int
LIB.xor_net_forward.argtypes = [_P, _I64, _P, _I64, _P, _I64, _P, _I64, _P, _I64, _P, _I64, _I64, _I64, _I64, _I64]
LIB.xor_net_forward.restype = ctypes.c_int


def _buf(a):
    """(address, length) of a float64 array, or (None, 0): NULL."""
    return (None, 0) if a is None else (a.ctypes.data, a.size)


class CCtypesBackend(Backend):
    name = "c-ctypes"
    gil = "released"  # ctypes releases the GIL around every call through a CDLL
    equivalence = "bitwise"
    description = "the c backend's compiled kernel (csrc/xor_net.c) called through ctypes with argtypes"
    simd = "none (scalar)"

    def _prepare(self, job):
        fn, check = LIB.xor_net_train, K.check
        params = (*_buf(job.w1), *_buf(job.b1), *_buf(job.w2), *_buf(job.b2))
        final = ctypes.c_double()
        data = (*_buf(job.X), *_buf(job.Y), *job.sizes)
        lr, kind, final_ptr = job.lr, LOSS_KIND[job.loss], ctypes.byref(final)

        def run(epochs, record_every, losses, want_loss=True, job=job):  # job: its arrays live as long as run
            rc = fn(*params, *_buf(losses if losses.size else None), final_ptr if want_loss else None, *data, epochs,
                    lr, kind, record_every)
            if rc:
                check(rc)
            return final.value if want_loss else math.nan

        run.bare = lambda epochs: (fn, (*params, None, 0, final_ptr, *data, epochs, lr, kind, 0))
        return run

    def _predict(self, job, out):
        K.check(LIB.xor_net_forward(*_buf(out), *_buf(job.w1), *_buf(job.b1), *_buf(job.w2), *_buf(job.b2),
                                    *_buf(job.X), *job.sizes))

    def build_info(self):
        return {"ctypes": ctypes.__version__, **K.info, "library": K.path}
