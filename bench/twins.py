"""Twins: the one-thread call a threads benchmark compares against, run at the same moment in one process per
other core. Timed beside them, the main process's own copy of that call and each twin's own epochs/s show what the
machine lets every core do at once (shared caches, memory, power, a host that gives a VM's cores less when all
are busy, or one core less than another), so their summed epochs/s over the call's alone is the speed-up no
threaded kernel on this machine could beat at that moment.

Each twin (spawned, so it shares nothing with the main process) loads the backend and the problem itself, then,
every round, runs the call (profiles.loop: a trainer's kernel, the trainer made before the call) over and over
until the main process's call has finished: the main call is never alone, and the twin's first call, begun with
it and the same call, gives the twin's own epochs/s. (Not pieces of the call: a compiled kernel's per-call cost,
such as c-simd's allocation and copy of the samples, would weigh more in each.)
"""
from __future__ import annotations

import multiprocessing
import os
import queue
import time

LOAD_TIMEOUT_S = 600  # a twin that takes longer than this to load its backend (a cold Numba compile) has failed
ROUND_TIMEOUT_S = 60  # longer than this between two rounds, or for a call after the main call: a failure


def other_cores() -> int:
    """How many cores this process may run on besides its own (one twin each)."""
    return len(os.sched_getaffinity(0)) - 1


def _twin(parent, name, n, lr, epochs, start, done, stop, calls, rates, index, ready):
    """One twin: the backend on one thread, `epochs` per call, on problem(n, 4), until stop is set, every round,
    and its first call's epochs/s into rates[index]; `ready` gets None once it is loaded, or why it could not
    load. It dies with `parent` (kill -9 included)."""
    import signal
    import threading

    from xorbench.bench.experiments import die_with_parent

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the main process, whose close() ends the twins
    die_with_parent()
    if os.getppid() != parent:  # it died before die_with_parent() could take effect
        return
    try:
        import xorbench
        from xorbench.bench.profiles import loop, problem

        be = type(xorbench.get_backend(name))()
        be.max_threads = 1
        params, X, Y = problem(n, 4)
        loop(be, params, X, Y, lr)(1)  # load, compile or warm up before the first round
        run = loop(be, params, X, Y, lr)  # the next call's, made before it starts
    except Exception as exc:
        ready.put(f"{type(exc).__name__}: {exc}")
        return
    ready.put(None)
    try:
        while True:
            start.wait(ROUND_TIMEOUT_S)  # a main process gone this long (killed) ends the twin too
            first = True
            while True:  # at least one call: the main call's start is never alone
                t0 = time.perf_counter()
                run(epochs)
                if first:
                    rates[index] = epochs / (time.perf_counter() - t0)
                    first = False
                run = loop(be, params, X, Y, lr)
                with calls.get_lock():
                    calls.value += 1
                if stop.is_set():
                    break
            done.wait(ROUND_TIMEOUT_S)
    except threading.BrokenBarrierError:  # close(): the benchmark is over
        return


class Twins:
    """count twin processes running backend `name` on one thread, on problem(n, 4) at lr, in calls of `epochs`;
    `beside(run)` times run() while they work. A context manager: leaving it ends them."""

    def __init__(self, name: str, n: int, lr: float, epochs: int, count: int):
        ctx = multiprocessing.get_context("spawn")
        self._start, self._done = ctx.Barrier(count + 1), ctx.Barrier(count + 1)
        self._stop = ctx.Event()
        self.calls = ctx.Value("q", 0)  # calls run by every twin so far: the test that they worked
        self._rates = ctx.Array("d", count)  # each twin's epochs/s in its first call of the last round
        ready = ctx.Queue()
        self.processes = [ctx.Process(target=_twin, daemon=True,
                                      args=(os.getpid(), name, n, lr, epochs, self._start,
                                            self._done, self._stop, self.calls, self._rates, i, ready))
                          for i in range(count)]
        try:
            for p in self.processes:
                p.start()
            self._wait_ready(ready, name, count)
        except BaseException:
            self.close()
            raise

    def _wait_ready(self, ready, name, count):
        """Until every twin has loaded its backend; RuntimeError if one says why it could not, or dies first."""
        deadline = time.monotonic() + LOAD_TIMEOUT_S
        while count:
            try:
                why = ready.get(timeout=1)
            except queue.Empty:
                dead = [p.exitcode for p in self.processes if p.exitcode]
                if dead:
                    raise RuntimeError(f"a twin process running {name} died (exit code {dead[0]})") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"twin processes did not load {name} in {LOAD_TIMEOUT_S} s") from None
                continue
            if why is not None:
                raise RuntimeError(f"a twin process could not run {name}: {why}")
            count -= 1

    def beside(self, run) -> tuple[float, list[float]]:
        """Seconds run() takes while every twin runs its call, and each twin's epochs/s in the call it began with
        run()."""
        self._stop.clear()
        self._start.wait(ROUND_TIMEOUT_S)
        t0 = time.perf_counter()
        run()
        seconds = time.perf_counter() - t0
        self._stop.set()
        self._done.wait(ROUND_TIMEOUT_S)  # every twin has finished its call: the next timing is alone again
        return seconds, list(self._rates)

    def close(self) -> None:
        self._stop.set()  # a twin mid-call (the timed call raised, Ctrl-C) ends after that call
        self._start.abort()
        self._done.abort()
        for p in self.processes:
            if p.pid is None:  # never started
                continue
            p.join(5)
            if p.is_alive():
                p.terminate()
                p.join()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
