"""The backend registry: plain names resolved lazily, so a missing dependency breaks only its own backend.

Backends come from BACKENDS below and from other installed packages, through the entry-point group
"xorbench.backends" (name = "module:Class"), e.g. in the other package's pyproject.toml:

    [project.entry-points."xorbench.backends"]
    mine = "my_package.backend:MyBackend"
"""
from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from .core import Backend, BackendUnavailable

#: name -> "module:class". Adding a backend is one file in impls/ and one line here.
BACKENDS = {
    "python": "xorbench.impls.python_impl:PythonBackend",
    "numpy": "xorbench.impls.numpy_impl:NumpyBackend",
    "numba": "xorbench.impls.numba_impl:NumbaBackend",
    "cython": "xorbench.impls.cython_impl:CythonBackend",
    "c": "xorbench.impls.c_impl:CBackend",
    "c-ctypes": "xorbench.impls.c_ctypes_impl:CCtypesBackend",
    "c-autovec": "xorbench.impls.c_autovec_impl:CAutovecBackend",
    "c-simd": "xorbench.impls.c_simd_impl:CSimdBackend",
    "numba-fast": "xorbench.impls.numba_fast_impl:NumbaFastBackend",
    "jax": "xorbench.impls.jax_impl:JaxBackend",
    "torch": "xorbench.impls.torch_impl:TorchBackend",
}

#: backends whose dependencies come from an optional extra: pip install -e '.[peers]'
PEERS = ("jax", "torch")

ENTRY_POINT_GROUP = "xorbench.backends"

#: the backends CI requires: each must load, or the run fails
CORE = ("python", "numpy", "numba", "cython", "c", "c-ctypes")

REFERENCE = "python"

_loaded: dict[str, Backend] = {}
_plugins: dict[str, tuple[str, str]] | None = None  # name -> ("module:class", distribution)


def plugins() -> dict[str, tuple[str, str]]:
    """Backends that other installed packages register, by name: ("module:class", the package providing it).
    A name that a built-in backend already has is left out."""
    global _plugins
    if _plugins is None:
        _plugins = {}
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name not in BACKENDS:
                dist = getattr(ep, "dist", None)
                _plugins[ep.name] = (ep.value, dist.name if dist is not None else "?")
    return _plugins


def _target(name: str) -> tuple[str, str]:
    """("module:class", how to fix a failed import) of a registered backend."""
    if name in PEERS:
        return BACKENDS[name], "pip install -e '.[peers]' (the optional peers: JAX and PyTorch)"
    if name in BACKENDS:
        return BACKENDS[name], "pip install -e . (installs xorbench with its dependencies)"
    target, dist = plugins()[name]
    return target, f"reinstall {dist}, the package that registers it"


def names() -> list[str]:
    """Every registered backend, in a stable order: the built-in ones, then other packages' by name."""
    return list(BACKENDS) + sorted(plugins())


def get_backend(name: str) -> Backend:
    """The backend called `name`; raises BackendUnavailable (with the reason and fix) if it cannot load."""
    if name in _loaded:
        return _loaded[name]
    if not isinstance(name, str) or name not in names():
        raise ValueError(f"backend must be one of {', '.join(names())}; got {name!r}")
    target, fix = _target(name)
    module_name, cls_name = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except BackendUnavailable:
        raise
    except ImportError as e:
        raise BackendUnavailable(f"backend {name!r} cannot import {e.name or module_name} ({e}). Fix: {fix}") from e
    backend = getattr(module, cls_name)()
    if not isinstance(backend, Backend) or backend.name != name:
        raise BackendUnavailable(f"backend {name!r} ({target}) must be a subclass of xorbench.Backend whose `name` is "
                                 f"{name!r}. Fix: {fix}")
    _loaded[name] = backend
    return backend


def available() -> dict[str, str | None]:
    """{name: None if usable, else the reason it is not and how to fix it}."""
    status = {}
    for name in names():
        try:
            get_backend(name)
            status[name] = None
        except BackendUnavailable as e:
            status[name] = str(e)
    return status
