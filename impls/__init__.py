"""xorbench.impls: the interface, the registry and one module per backend (the public names are re-exported by xorbench).

    import xorbench.impls as impls
    params = impls.init_params(seed=0)
    X, Y = impls.xor_dataset()
    result = impls.get_backend("c").train(params, X, Y, epochs=10_000, lr=1.0)
"""
from .core import (
    LOSSES,
    SCHEMES,
    Backend,
    BackendUnavailable,
    Params,
    TrainResult,
    init_params,
    noisy_xor,
    xor_dataset,
)
from .registry import BACKENDS, CORE, REFERENCE, available, get_backend, names

__all__ = [
    "BACKENDS", "CORE", "LOSSES", "REFERENCE", "SCHEMES", "Backend", "BackendUnavailable", "Params",
    "TrainResult", "available", "get_backend", "init_params", "names", "noisy_xor", "xor_dataset",
]
