"""What each benchmark profile measures: `quick` (the default, about two minutes) and `full` (every sweep)."""
import os

PROFILES = {
    "quick": dict(
        batch=[4, 64, 1024, 16384],
        hidden=[2, 8, 32, 128],
        hidden_batches=[4],
        target_s=0.004,  # one timed call lasts at least this long: K epochs are chosen to make it so
        rounds=11,
        overhead_rounds=30,
        startup_rounds=3,
    ),
    "full": dict(
        batch=[4 ** i for i in range(1, 9)],  # 4 .. 65536
        hidden=[2 ** i for i in range(1, 9)],  # 2 .. 256
        hidden_batches=[4, 1024],
        target_s=0.005,
        rounds=20,
        overhead_rounds=100,
        startup_rounds=5,
    ),
}

#: what one timed call of a speed benchmark is, by the name a result file records in its profile ("timing"); a
#: file without one is older than loop timing and timed whole train() calls. Runs timed differently are not
#: compared by `xorbench compare`, and reports say so when they set them side by side.
TIMINGS = {
    "loop": "K epochs of a prepared kernel, without the final loss's pass (loop() below)",
    "train": "one whole train() of K epochs: validation, copies and the final loss's pass included",
}
TIMING = "loop"

#: learning rates: canonical XOR at lr 1; sweeps at lr 0.1, where even 256 hidden units descend stably
XOR_LR = 1.0
SWEEP_LR = 0.1


def problem(n, hidden, bias=True, scheme="uniform"):
    """The benchmarks' problem at batch size n: canonical XOR for n=4, else noisy XOR (seed 0); params, X, Y."""
    import xorbench

    X, Y = xorbench.xor_dataset() if n == 4 else xorbench.noisy_xor(n, seed=0)
    return xorbench.init_params(2, hidden, 1, seed=0, bias=bias, scheme=scheme), X, Y


def loop(backend, params, X, Y, lr, loss="mse"):
    """What every benchmark of a backend's speed times: run(epochs), the prepared kernel of a trainer made now
    (untimed: validation, copies, the kernel's preparation), run for `epochs` epochs without the final loss's
    forward pass (want_loss=False), so that a call's cost is its epochs' and not, at large N where one epoch
    already lasts the target time, a second pass's and the copies'. Those per-call costs are the boundary
    benchmark's. One run per timing: a fresh one starts every timing from the same parameters."""
    import numpy as np

    trainer = backend.trainer(params, X, Y, lr=lr, loss=loss)  # kept: the kernel works on its arrays
    nothing = np.empty(0)
    return lambda epochs: trainer.kernel(epochs, 0, nothing, False)


#: BLAS thread pools, pinned to one thread for every benchmark (BLAS threads are not what is measured).
#: OMP_NUM_THREADS is left alone: it would also cap c-simd's OpenMP threads, which the threads benchmark
#: measures on purpose.
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS", "BLIS_NUM_THREADS")
#: the environment every benchmark process gets: BLAS pinned to one thread, and XLA's CPU thread pool (jax) too.
#: PyTorch's pool is pinned with torch.set_num_threads(1) in bench/conftest.py.
PINNED_ENV = {**{v: "1" for v in THREAD_VARS},
              "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"}
#: every thread setting a result file records: the pinned ones, and the two that cap the threaded backends
RECORDED_THREAD_VARS = ("OMP_NUM_THREADS", *PINNED_ENV, "NUMBA_NUM_THREADS")


def current() -> dict:
    name = os.environ.get("XORBENCH_PROFILE", "quick")
    if name not in PROFILES:
        raise ValueError(f"XORBENCH_PROFILE must be one of {', '.join(PROFILES)}, got {name!r}")
    return {"name": name, **PROFILES[name], "timing": TIMING}


def selected_backends(all_names):
    chosen = os.environ.get("XORBENCH_BACKENDS")
    return [n for n in all_names if not chosen or n in chosen.split(",")]
