"""bench/twins.py: twin processes run the same call beside a timed one, only while it runs, and say why not."""
import os
import signal
import subprocess
import sys
import time

import pytest

from xorbench.bench.twins import Twins

from .conftest import still_running


def test_twins_run_throughout_the_timed_call_and_only_then():
    with Twins("c", 64, 0.1, 100, 1) as crowd:  # calls of 100 epochs at N=64: well under a millisecond each
        for _ in range(2):
            before = crowd.calls.value
            seconds, rates = crowd.beside(lambda: time.sleep(0.3))
            during = crowd.calls.value - before
            time.sleep(0.2)
            assert crowd.calls.value - before == during  # no call after the timed one: the next timing is alone
            assert 0.3 <= seconds < 1 and during >= 10  # calls all through the timed call, not one at its start
            # its own epochs/s, from its first call: about its calls' 100 epochs each over the time they took
            assert len(rates) == 1 and 0.2 < rates[0] / (during * 100 / seconds) < 5
    assert not any(p.is_alive() for p in crowd.processes)


def test_a_twin_that_cannot_load_its_backend_says_why():
    with pytest.raises(RuntimeError, match="could not run no-such-backend: .*no-such-backend"):
        Twins("no-such-backend", 64, 0.1, 800, 1)


def test_kill_9_of_the_main_process_ends_its_twins_mid_call(tmp_path):
    """A twin in the middle of its calls, whose main process is killed (kill -9), stops at once instead of
    running its calls for ever."""
    script = tmp_path / "main.py"
    script.write_text(
        "import time\n"
        "from xorbench.bench.twins import Twins\n"
        "if __name__ == '__main__':\n"
        "    crowd = Twins('c', 64, 0.1, 800, 1)\n"
        "    print(*(p.pid for p in crowd.processes), flush=True)\n"
        "    crowd.beside(lambda: time.sleep(600))\n")
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    pids = [int(p) for p in proc.stdout.readline().split()]
    assert pids, "no twin started"
    time.sleep(1)  # the twin is running its calls beside the sleeping call
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    alive = still_running(pids)
    assert not alive, f"twins still running 10 s after kill -9 of their main process: {alive}"


def test_a_timed_call_that_raises_ends_the_twins_at_once():
    """Ctrl-C (or any error) in the timed call: leaving the context stops the twins mid-call, without waiting
    for the 5 s after which close() would kill them."""
    crowd = Twins("c", 64, 0.1, 800, 1)

    def interrupted():
        time.sleep(0.2)
        raise KeyboardInterrupt

    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt), crowd:
        crowd.beside(interrupted)
    assert time.perf_counter() - t0 < 3 and not any(p.is_alive() for p in crowd.processes)
    assert all(p.exitcode == 0 for p in crowd.processes)  # each ended itself, none was killed
