"""The xorbench suite: epochs/s of every backend on XOR, the boundary, granularity, batch and hidden sweeps, start-up.

Each timed call is K epochs of a fresh trainer's prepared kernel, without the final loss's forward pass
(profiles.loop; the trainer is made before the clock starts); K is chosen per backend and point so one call
lasts at least the profile's target time, and is recorded in extra_info. Every point first checks the backend
against the reference at its named tolerance and fails instead of timing a wrong backend.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import timeit

import numpy as np
import pytest

import xorbench
from xorbench.bench import profiles, results
from xorbench.bench.profiles import SWEEP_LR, XOR_LR, loop, problem
from xorbench.bench.twins import Twins, other_cores
from xorbench.impls.tolerances import LONG_RUN_RTOL, params_rel_err

LONG_CALL = 10  # calls this many times the profile's target time: where the loop, not the call, is compared
REFERENCE_BUDGET = 20_000  # reference work (samples x hidden x epochs) spent on each correctness check
_reference_cache = {}


NOTEBOOK = dict(bias=False, scheme="rand01", loss="sse")  # write-up 003's notebook setting, with lr 1 and N=4


def calibrate(make, target_s):
    """Smallest power-of-two K for which make()(K) lasts at least target_s (after a warm-up call); make() is not
    timed, and each timing gets its own."""
    make()(1)  # warm-up: JIT compile or cache load, never timed
    k = 1
    while True:
        run = make()
        t0 = time.perf_counter()
        run(k)
        dt = time.perf_counter() - t0
        if dt >= target_s or k >= 2**30:
            return k
        k *= 2 if dt * 4 >= target_s else 2 ** max(1, int(target_s / max(dt, 1e-7)).bit_length() - 1)


def check_against_reference(name, train, params, X, Y, lr, k, tol, loss="mse"):
    """Fail loudly if train(epochs) -> Params disagrees with the reference beyond tol."""
    n, hidden = X.shape[0], params.sizes[1]
    epochs = max(1, min(k, REFERENCE_BUDGET // (n * hidden)))
    key = (n, hidden, epochs, lr, loss, params.bias)
    if key not in _reference_cache:
        _reference_cache[key] = xorbench.get_backend(xorbench.REFERENCE).train(params, X, Y, epochs=epochs, lr=lr,
                                                                          loss=loss).params
    err = params_rel_err(train(epochs), _reference_cache[key])
    if not err <= tol:
        pytest.fail(f"{name} disagrees with the reference after {epochs} epochs (N={n}, hidden={hidden}): "
                    f"relative error of the parameters {err:.3g} > {tol:g}; not timing it")


def time_training(benchmark, backend, profile, kind, n, hidden, lr, bias=True, scheme="uniform", loss="mse"):
    params, X, Y = problem(n, hidden, bias, scheme)

    def make():
        return loop(backend, params, X, Y, lr, loss)

    k = calibrate(make, profile["target_s"])
    check_against_reference(backend.name, lambda e: backend.train(params, X, Y, epochs=e, lr=lr, loss=loss).params,
                            params, X, Y, lr, k, LONG_RUN_RTOL[backend.equivalence], loss)
    benchmark.group = kind
    benchmark.extra_info.update(kind=kind, backend=backend.name, equivalence=backend.equivalence,
                                N=n, hidden=hidden, K=k, lr=lr)
    benchmark.pedantic(lambda run: run(k), setup=lambda: ((make(),), {}), rounds=profile["rounds"], iterations=1,
                       warmup_rounds=1)


def test_xor(benchmark, backend, profile):
    """Canonical XOR: 2-4-1 on the four samples, lr 1."""
    time_training(benchmark, backend, profile, "xor", 4, 4, XOR_LR)


def _best_us(stmt, glob, seconds=0.02):
    """The best of 5 timings of `stmt` (a statement, so nothing wraps the call), in microseconds per call."""
    timer = timeit.Timer(stmt, globals=glob)
    number = 1
    while timer.timeit(number) < seconds:  # enough calls per timing to last `seconds`
        number *= 2
    return min(timer.repeat(5, number)) / number * 1e6


def test_boundary(benchmark, backend, profile):
    """Crossing the boundary on canonical XOR: step(1) of a trainer, against the bare kernel call with everything
    prepared (0 and 1 epochs) and the one-shot train(epochs=1), in microseconds per call."""
    params, X, Y = problem(4, 4)
    tr = backend.trainer(params, X, Y, lr=XOR_LR)
    check_against_reference(backend.name, lambda e: (tr.step(e), tr.params)[1], params, X, Y, XOR_LR, 1,
                            LONG_RUN_RTOL[backend.equivalence])
    bare = getattr(tr.kernel, "bare", None)
    if bare:  # the foreign call itself: cffi or ctypes
        us = {e: _best_us("fn(*args)", dict(zip(("fn", "args"), bare(e)))) for e in (0, 1)}
        via = "the foreign call"
    else:  # the prepared kernel: a jitted function, or Python
        us = {e: _best_us(f"run({e}, 0, empty)", {"run": tr.kernel, "empty": np.empty(0)}) for e in (0, 1)}
        via = "the prepared kernel"
    step_us = _best_us("step(1)", {"step": tr.step})  # timed as the bare call is, for their ratio
    train_us = _best_us("train(params, X, Y, epochs=1, lr=lr)", dict(train=backend.train, params=params, X=X, Y=Y,
                                                                      lr=XOR_LR))
    benchmark.group = "boundary"
    benchmark.extra_info.update(kind="boundary", backend=backend.name, equivalence=backend.equivalence,
                                N=4, hidden=4, K=1, lr=XOR_LR, step1_us=step_us, bare0_us=us[0], bare1_us=us[1],
                                bare_via=via, train1_us=train_us)
    benchmark.pedantic(tr.step, args=(1,), rounds=profile["overhead_rounds"], iterations=20, warmup_rounds=2)


GRANULARITY_K = [4 ** i for i in range(9)]  # 1, 4, ..., 65536 epochs per call


def test_granularity(benchmark, backend, profile):
    """Epochs per call K = 1, 4, ..., 65536 on canonical XOR, through a trainer: how many epochs each call into
    the kernel must carry before the loop's speed no longer depends on who drives it. K stops growing once a
    call takes longer than ten times the profile's target (the whole-loop rate is reached long before)."""
    params, X, Y = problem(4, 4)
    tr = backend.trainer(params, X, Y, lr=XOR_LR)
    tr.step(1)  # JIT compile or cache load, never timed
    curve = []
    for k in GRANULARITY_K:
        seconds = _best_us("step(k)", {"step": tr.step, "k": k}, profile["target_s"]) * 1e-6
        curve.append([k, k / seconds])
        if seconds > LONG_CALL * profile["target_s"]:
            break
    benchmark.group = "granularity"
    benchmark.extra_info.update(kind="granularity", backend=backend.name, equivalence=backend.equivalence,
                                N=4, hidden=4, K=curve[-1][0], lr=XOR_LR, curve=curve)
    benchmark.pedantic(tr.step, args=(curve[-1][0],), rounds=3, iterations=1)


def test_notebook_setting(benchmark, backend, profile):
    """Write-up 003's notebook setting: 2-4-1 without biases, summed squared error, U[0, 1) init, lr 1, N=4."""
    time_training(benchmark, backend, profile, "notebook", 4, 4, 1.0, **NOTEBOOK)


def test_notebook_code(benchmark, profile):
    """The notebook's own NumPy code (bench/notebook_baseline.py) in its own setting: the baseline to beat."""
    from xorbench.bench import notebook_baseline

    params, X, Y = problem(4, 4, bias=False, scheme="rand01")

    def train(epochs):
        return notebook_baseline.train(X, Y, params.w1, params.w2, epochs)

    def trained_params(epochs):
        nn = train(epochs)
        return xorbench.Params(nn.weights1, None, nn.weights2, None)

    k = calibrate(lambda: train, profile["target_s"])
    check_against_reference("the notebook's code", trained_params, params, X, Y, 1.0, k,
                            LONG_RUN_RTOL["reordered"], "sse")
    benchmark.group = "notebook"
    benchmark.extra_info.update(kind="notebook", backend="notebook-numpy", equivalence="reordered", N=4, hidden=4,
                                K=k, lr=1.0)
    benchmark.pedantic(train, args=(k,), rounds=profile["rounds"], iterations=1, warmup_rounds=1)


@pytest.mark.parametrize("n", [4, 65536], ids=lambda n: f"N={n}")
def test_plain_loop(benchmark, profile, n):
    """The fast rows' outside baseline: a plain scalar 2-4-1 C loop compiled -O3 -march=native -ffast-math
    (bench/plain_loop.c), one thread, on canonical XOR (lr 1) and on N=65536 (lr 0.1)."""
    from xorbench.bench import baseline

    lr = XOR_LR if n == 4 else SWEEP_LR
    params, X, Y = problem(n, 4)

    def trained_params(epochs):
        return xorbench.Params(*baseline.train(params, X, Y, epochs, lr))

    k = calibrate(lambda: lambda e: baseline.train(params, X, Y, e, lr), profile["target_s"])
    check_against_reference("the plain -ffast-math loop", trained_params, params, X, Y, lr, k, LONG_RUN_RTOL["fast"])
    benchmark.group = "baseline"
    benchmark.extra_info.update(kind="baseline", backend="plain-fastmath-c", equivalence="fast", N=n, hidden=4, K=k,
                                lr=lr, cflags=baseline.CFLAGS)
    benchmark.pedantic(baseline.train, args=(params, X, Y, k, lr), rounds=profile["rounds"], iterations=1,
                       warmup_rounds=1)


def time_interleaved(benchmark, profile, backend, n, kind, ref_name, ref_loop, threads=1, twins=None):
    """The backend (on `threads` threads, 0 = every core) against the reference, whose ref_loop(params, X, Y, lr)
    gives run(epochs) as profiles.loop does for a backend, interleaved: every round times the reference and then
    the backend on the same problem, so both see the machine as it was at that moment, and the report takes their
    ratio round by round. On a shared machine, two benchmarks run minutes apart can see different neighbours; one
    round's pair cannot. Each call lasts LONG_CALL times the target time. twins (a backend name): every round then
    also times the reference's call again beside one twin per other core running that backend's one-thread call
    (bench/twins.py), and records each twin's epochs/s meanwhile."""
    be = type(backend)()
    if be.threaded:
        be.max_threads = threads
    lr = XOR_LR if n == 4 else SWEEP_LR
    params, X, Y = problem(n, 4)
    target_s = LONG_CALL * profile["target_s"]

    def make_ref():
        return ref_loop(params, X, Y, lr)

    def make():
        return loop(be, params, X, Y, lr)

    k_ref = calibrate(make_ref, target_s)
    k = calibrate(make, target_s)
    ref_s, backend_s, beside_s, twin_rates = [], [], [], []
    count = other_cores() if twins else 0
    crowd = Twins(twins, n, lr, k_ref, count) if count else None

    def pair():
        ref, run = make_ref(), make()
        t0 = time.perf_counter()
        ref(k_ref)
        t1 = time.perf_counter()
        run(k)
        backend_s.append(time.perf_counter() - t1)
        ref_s.append(t1 - t0)
        if crowd:
            ref = make_ref()
            seconds, rates = crowd.beside(lambda: ref(k_ref))
            beside_s.append(seconds)
            twin_rates.append(rates)

    ref_s_key, ref_k_key = results.PAIR_FIELDS[kind]
    benchmark.group = f"against {ref_name}"
    benchmark.extra_info.update({"kind": kind, "backend": backend.name, "equivalence": backend.equivalence, "N": n,
                                 "hidden": 4, "K": k, ref_k_key: k_ref, "lr": lr, ref_s_key: ref_s,
                                 "backend_s": backend_s})
    if crowd:
        benchmark.extra_info.update(twins=count, beside_twins_s=beside_s, twins_epochs_per_s=twin_rates)
        with crowd:
            benchmark.pedantic(pair, rounds=profile["rounds"], iterations=1, warmup_rounds=1)
            assert crowd.calls.value >= count * len(beside_s), "a twin did not run beside a timed call"
    else:
        benchmark.pedantic(pair, rounds=profile["rounds"], iterations=1, warmup_rounds=1)
    if len(ref_s) > profile["rounds"]:  # timed: drop the warm-up round's pair (--benchmark-disable runs one)
        del ref_s[0], backend_s[0]
        if beside_s:
            del beside_s[0], twin_rates[0]


@pytest.mark.fast_rows
@pytest.mark.parametrize("n", [4, 65536], ids=lambda n: f"N={n}")
def test_against_plain_loop(benchmark, backend, profile, n):
    """Each fast row on one thread against the plain -ffast-math loop, interleaved (see time_interleaved)."""
    from xorbench.bench import baseline

    def plain_loop(params, X, Y, lr):
        return lambda epochs: baseline.train(params, X, Y, epochs, lr)

    time_interleaved(benchmark, profile, backend, n, "plain_pair", "the plain loop", plain_loop)


@pytest.mark.fast_rows
@pytest.mark.against_simd
@pytest.mark.parametrize("n", profiles.current()["batch"], ids=lambda n: f"N={n}")
def test_against_c_simd(benchmark, backend, profile, n):
    """The other fast rows on one thread against c-simd on one thread, interleaved, at every batch-sweep point
    (N=4 is canonical XOR): how close Numba and the compiler's own vectorizer come to hand-written intrinsics."""
    simd = type(xorbench.get_backend("c-simd"))()
    simd.max_threads = 1

    def simd_loop(params, X, Y, lr):
        return loop(simd, params, X, Y, lr)

    time_interleaved(benchmark, profile, backend, n, "simd_pair", "c-simd", simd_loop)


@pytest.mark.parametrize("n", profiles.current()["batch"], ids=lambda n: f"N={n}")
def test_batch_sweep(benchmark, backend, profile, n):
    """Cost against batch size at hidden 4 (noisy XOR)."""
    time_training(benchmark, backend, profile, "batch", n, 4, SWEEP_LR)


@pytest.mark.parametrize("n", profiles.current()["hidden_batches"], ids=lambda n: f"N={n}")
@pytest.mark.parametrize("hidden", profiles.current()["hidden"], ids=lambda h: f"H={h}")
def test_hidden_sweep(benchmark, backend, profile, hidden, n):
    """Cost against hidden width, at N=4 (and N=1024 in the full profile)."""
    time_training(benchmark, backend, profile, "hidden", n, hidden, SWEEP_LR)


@pytest.mark.parametrize("n", [4096, 65536], ids=lambda n: f"N={n}")
@pytest.mark.parametrize("threads", [1, 0], ids=["1-thread", "all-cores"])
@pytest.mark.threaded
def test_threads(benchmark, backend, profile, threads, n):
    """Threaded backends (those with max_threads) on one thread and on every core: what the second core buys."""
    be = type(backend)()
    be.max_threads = threads
    params, X, Y = problem(n, 4)
    # long calls: what the second core buys on the loop, not on each call's serial copies

    def make():
        return loop(be, params, X, Y, SWEEP_LR)

    k = calibrate(make, LONG_CALL * profile["target_s"])
    benchmark.group = "threads"
    benchmark.extra_info.update(kind="threads", backend=backend.name, threads=threads or "all", N=n, hidden=4,
                                K=k, lr=SWEEP_LR)
    benchmark.pedantic(lambda run: run(k), setup=lambda: ((make(),), {}), rounds=profile["rounds"], iterations=1,
                       warmup_rounds=1)


@pytest.mark.threaded
def test_threads_interleaved(benchmark, backend, profile):
    """Threaded backends at N=65536 on every core against themselves on one thread, interleaved round by round
    (see time_interleaved): the speed-up the second core gives, with both timings of a round taken together;
    and the one-thread call beside twins on the other cores, the speed-up the machine itself allows then."""
    one = type(backend)()
    one.max_threads = 1

    def one_loop(params, X, Y, lr):
        return loop(one, params, X, Y, lr)

    time_interleaved(benchmark, profile, backend, 65536, "threads_pair", "one thread", one_loop, threads=0,
                     twins=backend.name)


def test_machine_peak(benchmark, profile):
    """This machine's vector throughput for exp, division and FMA on one core: the roofline's inputs."""
    from xorbench.bench.roofline import Peaks

    try:
        peaks = Peaks.measure(0.3 if profile["name"] == "quick" else 0.9)
    except (RuntimeError, xorbench.BackendUnavailable) as e:
        pytest.skip(f"no roofline on this machine: {e}")
    benchmark.group = "peak"
    benchmark.extra_info.update(kind="peak", backend="machine", N=0, hidden=0, K=1, exp_per_s=peaks.exp,
                                div_per_s=peaks.div, fma_per_s=peaks.fma, cores=peaks.cores,
                                exp_own_per_s=peaks.exp_own, exp_libmvec_per_s=peaks.exp_libmvec,
                                exp_libmvec8_per_s=peaks.exp_libmvec8,
                                lat_exp_s=peaks.lat_exp, lat_div_s=peaks.lat_div, lat_fma_s=peaks.lat_fma)
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)


def _startup(name, cache_dir):
    os.makedirs(cache_dir, exist_ok=True)
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    # from the cache folder, so that nothing in the user's current folder can shadow an import
    out = subprocess.run([sys.executable, "-m", "xorbench.bench.startup", name], env=env, cwd=cache_dir,
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        pytest.fail(f"start-up measurement of {name} failed:\n{out.stderr}")
    return json.loads(out.stdout)


def test_startup(benchmark, backend, profile):
    """Fresh processes: import time and first-call time, cold (an empty JIT cache) and, for backends with an
    on-disk compile cache (Numba), warm. The timed quantity is the whole cold process; the breakdown per
    round is in extra_info. Never folded into epochs/s.
    """
    cold, warm = [], []
    with tempfile.TemporaryDirectory() as tmp:
        warm_dir = os.path.join(tmp, "warm")

        def setup():
            return (os.path.join(tmp, f"cold-{len(cold)}"),), {}

        def run(cache_dir):
            cold.append(_startup(backend.name, cache_dir))

        benchmark.group = "startup"
        benchmark.extra_info.update(kind="startup", backend=backend.name, cold=cold, warm=warm,
                                    compile_cache=backend.compile_cache)
        benchmark.pedantic(run, setup=setup, rounds=profile["startup_rounds"], iterations=1)
        if backend.compile_cache:
            _startup(backend.name, warm_dir)  # fills the on-disk cache
            warm.extend(_startup(backend.name, warm_dir) for _ in range(profile["startup_rounds"]))
