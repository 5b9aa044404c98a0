"""Run in a fresh process: how long one backend takes to import and to make its first and second calls.

    python -m xorbench.bench.startup numba   ->   {"import_s": ..., "first_call_s": ..., "second_call_s": ...}
"""
import json
import sys
import time


def main(name: str) -> None:
    t0 = time.perf_counter()
    import xorbench

    be = xorbench.get_backend(name)
    t1 = time.perf_counter()
    X, Y = xorbench.xor_dataset()
    params = xorbench.init_params()
    be.train(params, X, Y, epochs=1, lr=1.0)
    t2 = time.perf_counter()
    be.train(params, X, Y, epochs=1, lr=1.0)
    t3 = time.perf_counter()
    print(json.dumps({"import_s": t1 - t0, "first_call_s": t2 - t1, "second_call_s": t3 - t2}))


if __name__ == "__main__":
    main(sys.argv[1])
