"""xorbench: one XOR network, implemented many times behind one interface, timed and held to the same numbers.

    import xorbench
    params = xorbench.init_params(seed=0)
    X, Y = xorbench.xor_dataset()
    result = xorbench.get_backend("c").train(params, X, Y, epochs=10_000, lr=1.0)

The implementations live in xorbench.impls, the benchmark suite and command line in xorbench.bench.
"""
from .impls import (
    BACKENDS,
    CORE,
    LOSSES,
    REFERENCE,
    SCHEMES,
    Backend,
    BackendUnavailable,
    Params,
    TrainResult,
    available,
    get_backend,
    init_params,
    names,
    noisy_xor,
    xor_dataset,
)

__all__ = [
    "BACKENDS", "CORE", "LOSSES", "REFERENCE", "SCHEMES", "Backend", "BackendUnavailable", "Params",
    "TrainResult", "available", "get_backend", "init_params", "names", "noisy_xor", "xor_dataset",
]
