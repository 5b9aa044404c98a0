"""Writes the small result files the report and compare tests read. Re-run after a schema change:

    python tests/data/make_results.py

Timings are chosen by hand so every number in the tables is known: see the comments.
"""
import json
import os
import statistics

HERE = os.path.dirname(os.path.abspath(__file__))
BACKENDS = ("python", "numpy", "numba", "c")
SPREAD = (0.98, 0.99, 1.0, 1.0, 1.0, 1.01, 1.02)  # 7 rounds, CV about 1.3%


def stats(data):
    s = sorted(data)
    q = statistics.quantiles(s, n=4, method="inclusive")
    return {"min": s[0], "max": s[-1], "mean": statistics.mean(s), "stddev": statistics.stdev(s),
            "rounds": len(s), "median": statistics.median(s), "q1": q[0], "q3": q[2], "iqr": q[2] - q[0],
            "iterations": 1, "ops": 1 / statistics.mean(s), "total": sum(s), "data": list(data)}


def bench(name, kind, backend, n, hidden, k, call_s, spread=SPREAD, extra=None):
    return {"group": kind, "name": name, "fullname": f"bench/test_bench.py::{name}", "params": None,
            "param": None, "options": {}, "extra_info": {"kind": kind, "backend": backend, "N": n,
                                                         "hidden": hidden, "K": k, "lr": 1.0, **(extra or {})},
            "stats": stats([call_s * f for f in spread])}


def machine():
    backends = {b: {"available": True, "equivalence": "reordered" if b == "numpy" else "bitwise"}
                for b in BACKENDS}
    backends["c"].update(cflags=["-std=c99", "-O3", "-ffp-contract=off"], cc="gcc", compiler="12.2.0",
                         python_cflags="-O3")
    backends["jax"] = {"available": True, "equivalence": "reordered", "overheads": "one XLA program per call"}
    backends["ghost"] = {"available": False, "reason": "ghost is not built. Fix: pip install -e ."}
    return {"xorbench": {"cpu": "Test CPU", "cores": 2, "machine": "x86_64", "system": "Linux",
                         "versions": {"python": "3.11.7", "numpy": "2.4.6"}, "threads": {"OPENBLAS_NUM_THREADS": "1"},
                         "gc_disabled_while_timing": True, "profile": {"name": "quick", "timing": "loop"}, "commit": "abc123",
                         "backends": backends}}


def run(xor_call, numba_xor_spread=SPREAD, overhead_rounds=SPREAD):
    # xor: python K=100 in 2 ms -> 50k epochs/s; numpy 100 in 2.5 ms -> 40k; numba 10000 in 5 ms -> 2M;
    # c 20000 in xor_call["c"] -> 4M at 5 ms
    ks = {"python": 100, "numpy": 100, "numba": 10_000, "c": 20_000}
    b = [bench(f"test_xor[{n}]", "xor", n, 4, 4, ks[n], xor_call[n],
               numba_xor_spread if n == "numba" else SPREAD) for n in BACKENDS]
    # boundary: step(1) 40, 50, 5, 4 microseconds per call; python's with only 3 rounds (flagged); bare calls
    # 1 and 2 us (0 and 1 epochs), train(epochs=1) 20 us, step(1) timed by timeit as 4.5 us for every backend
    for n, us in zip(BACKENDS, (40, 50, 5, 4)):
        b.append(bench(f"test_boundary[{n}]", "boundary", n, 4, 4, 1, us * 1e-6,
                       overhead_rounds if n == "python" else SPREAD,
                       dict(step1_us=4.5, bare0_us=1.0, bare1_us=2.0, bare_via="the foreign call", train1_us=20.0)))
    # granularity: c reaches 3.9M (within 10% of its 4M whole loop) at K=16; python is flat at 50k from K=1
    for n, curve in (("python", [[1, 5e4], [4, 5e4]]), ("c", [[1, 1e6], [4, 3e6], [16, 3.9e6], [64, 4e6]])):
        b.append(bench(f"test_granularity[{n}]", "granularity", n, 4, 4, curve[-1][0], curve[-1][0] / curve[-1][1],
                       SPREAD, dict(curve=curve)))
    # batch sweep, samples/s: python 200k flat; numpy 150k, 2M, 10M; c 16M flat (K=1000 calls)
    samples = {"python": (200e3, 200e3, 200e3), "numpy": (150e3, 2e6, 10e6), "c": (16e6, 16e6, 16e6)}
    for n, rates in samples.items():
        for size, r in zip((4, 64, 1024), rates):
            k = 1000
            b.append(bench(f"test_batch_sweep[{n}-N={size}]", "batch", n, size, 4, k, k * size / r))
    # a peer: jax at 1M epochs/s on XOR (c, the fastest, is 4x it) and 8M samples/s at N=1024 (c is 2x it);
    # its first call, cold, took 500 ms
    b.append(bench("test_xor[jax]", "xor", "jax", 4, 4, 5000, 5e-3))
    b.append(bench("test_batch_sweep[jax-N=1024]", "batch", "jax", 1024, 4, 1000, 1000 * 1024 / 8e6))
    b.append(bench("test_startup[jax]", "startup", "jax", 0, 0, 1, 0.6, SPREAD,
                   dict(cold=[{"import_s": 0.1, "first_call_s": 0.5, "second_call_s": 0.001}], warm=[])))
    return {"machine_info": {"node": "test", "xorbench": machine()["xorbench"]}, "commit_info": {},
            "benchmarks": b, "datetime": "2026-11-22T00:00:00+00:00", "version": "5.2.3",
            "xorbench": {"schema": "xorbench-run/1", "profile": "quick", "label": "Test machine",
                         "excluded": {}, "check": None}}


def main():
    # numba's xor calls spread widely: CV about 19% -> flagged noisy
    noisy = (0.8, 0.9, 1.0, 1.0, 1.0, 1.2, 1.4)
    base = run({"python": 2e-3, "numpy": 2.5e-3, "numba": 5e-3, "c": 5e-3}, noisy, (0.99, 1.0, 1.01))
    # new: c 25% slower per epoch (6.25 ms), numba 3x faster, numpy 3% slower; everything else the same
    new = run({"python": 2e-3, "numpy": 2.575e-3, "numba": 5e-3 / 3, "c": 6.25e-3}, noisy, (0.99, 1.0, 1.01))
    for name, data in (("base.json", base), ("new.json", new)):
        with open(os.path.join(HERE, name), "w") as f:
            json.dump(data, f, indent=1)
    with open(os.path.join(HERE, "malformed.json"), "w") as f:
        f.write(json.dumps(base)[:500])
    foreign = {k: v for k, v in base.items() if k != "xorbench"}
    with open(os.path.join(HERE, "foreign.json"), "w") as f:
        json.dump(foreign, f)


if __name__ == "__main__":
    main()
