"""bench/twins.py: twin processes run the same call beside a timed one, only while it runs, and say why not."""
import time

import pytest

from xorbench.bench.twins import Twins


def test_twins_run_throughout_the_timed_call_and_only_then():
    with Twins("c", 64, 0.1, 800, 1) as crowd:  # pieces of 100 epochs at N=64: well under a millisecond each
        for _ in range(2):
            before = crowd.pieces.value
            seconds = crowd.beside(lambda: time.sleep(0.3))
            during = crowd.pieces.value - before
            time.sleep(0.2)
            assert crowd.pieces.value - before == during  # no piece after the call: the next timing is alone
            assert 0.3 <= seconds < 1 and during >= 10  # pieces all through the call, not one at its start
    assert not any(p.is_alive() for p in crowd.processes)


def test_a_twin_that_cannot_load_its_backend_says_why():
    with pytest.raises(RuntimeError, match="could not run no-such-backend: .*no-such-backend"):
        Twins("no-such-backend", 64, 0.1, 800, 1)
