"""The backend registry: plain names resolved lazily, so a missing dependency breaks only its own backend."""
from __future__ import annotations

import importlib

from .core import Backend, BackendUnavailable

#: name -> "module:class". Adding a backend is one file in impls/ and one line here.
BACKENDS = {
    "python": "impls.python_impl:PythonBackend",
    "numpy": "impls.numpy_impl:NumpyBackend",
    "numba": "impls.numba_impl:NumbaBackend",
    "c": "impls.c_impl:CBackend",
    "c-simd": "impls.c_simd_impl:CSimdBackend",
    "numba-fast": "impls.numba_fast_impl:NumbaFastBackend",
}

#: the backends CI requires: each must load, or the run fails
CORE = ("python", "numpy", "numba", "c")

REFERENCE = "python"

_loaded: dict[str, Backend] = {}


def names() -> list[str]:
    """Every registered backend, in a stable order."""
    return list(BACKENDS)


def get_backend(name: str) -> Backend:
    """The backend called `name`; raises BackendUnavailable (with the reason and fix) if it cannot load."""
    if name in _loaded:
        return _loaded[name]
    if not isinstance(name, str) or name not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}; got {name!r}")
    module_name, cls_name = BACKENDS[name].split(":")
    try:
        module = importlib.import_module(module_name)
    except BackendUnavailable:
        raise
    except ImportError as e:
        raise BackendUnavailable(
            f"backend {name!r} cannot import {e.name or module_name} ({e}). "
            f"Fix: pip install -e . (installs xorbench with its dependencies)"
        ) from e
    backend = getattr(module, cls_name)()
    _loaded[name] = backend
    return backend


def available() -> dict[str, str | None]:
    """{name: None if usable, else the reason it is not and how to fix it}."""
    status = {}
    for name in BACKENDS:
        try:
            get_backend(name)
            status[name] = None
        except BackendUnavailable as e:
            status[name] = str(e)
    return status
