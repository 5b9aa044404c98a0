"""xorbench: one XOR network, implemented many times behind one interface, timed and held to the same numbers.

    import xorbench
    params = xorbench.init_params(seed=0)
    X, Y = xorbench.xor_dataset()
    result = xorbench.get_backend("c").train(params, X, Y, epochs=10_000, lr=1.0)

The public API is xorbench.impls's (get_backend, available, names, init_params, xor_dataset, noisy_xor,
Params, TrainResult, Backend, ...); the implementations live in xorbench.impls, the benchmark suite and the
command line in xorbench.bench.
"""
from .impls import *  # noqa: F401,F403  (the public API, as xorbench.impls.__all__ lists it)
from .impls import __all__  # noqa: F401
