"""Shared fixtures: every test taking `backend` runs once per registered backend, new ones included."""
import numpy as np
import pytest

import xorbench
from xorbench.bench.fixtures import backend, backend_params  # noqa: F401  (the shared fixture)
from xorbench.impls.tolerances import params_rel_err, rel_err


#: markers that narrow `backend` to the backends declaring something: marker -> (what it means, the test of it)
NARROWING = {
    "bitwise": ("backends that promise bit-identity", lambda b: b.equivalence == "bitwise"),
    "threaded": ("backends with a max_threads knob", lambda b: b.threaded),
    "releases_gil": ("backends whose `gil` says \"released\"", lambda b: b.gil.startswith("released")),
}


def _declares(name, test):
    try:
        return test(xorbench.get_backend(name))
    except xorbench.BackendUnavailable:
        return name in xorbench.CORE  # keep it, so the fixture fails loudly


def pytest_configure(config):
    for marker, (which, _) in NARROWING.items():
        config.addinivalue_line("markers", f"{marker}: run only for {which}")
    config.addinivalue_line("markers", "peers: the optional peers (JAX, PyTorch): pip install -e '.[peers]'")


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        names = xorbench.names()
        for marker, (_, test) in NARROWING.items():
            if metafunc.definition.get_closest_marker(marker):
                names = [n for n in names if _declares(n, test)]
        metafunc.parametrize("backend", backend_params(metafunc.config, names), indirect=True)


@pytest.fixture(scope="session")
def reference():
    return xorbench.get_backend(xorbench.REFERENCE)


def assert_results_close(result, ref, rtol, what="", loss_rtol=None, loss_atol=0.0):
    """Params, final loss and loss history of two TrainResults agree within rtol (0 means bit for bit);
    the losses within loss_rtol if given, or within loss_atol (tolerances.loss_atol: the loss's own
    conditioning near a perfect fit) if that is larger."""
    loss_rtol = rtol if loss_rtol is None else loss_rtol
    got, want = result.params.arrays(), ref.params.arrays()
    assert got.keys() == want.keys()
    assert all(got[k].shape == want[k].shape for k in want)
    err = params_rel_err(result.params, ref.params)
    assert err <= rtol, f"{what}params: relative error {err:.3g} > {rtol:g}"
    for name, a, b in (("loss", result.loss, ref.loss), ("losses", result.losses, ref.losses)):
        assert np.shape(a) == np.shape(b)
        err = rel_err(a, b)
        if err > loss_rtol and np.size(a):
            off = float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
            assert off <= loss_atol, f"{what}{name}: relative error {err:.3g} > {loss_rtol:g}, off by {off:.3g} > {loss_atol:.3g}"
    if rtol == 0:  # bit for bit, signed zeros included
        for name in want:
            assert np.array_equal(got[name].view(np.int64), want[name].view(np.int64)), f"{what}{name} bits differ"


def still_running(pids, seconds=10.0):
    """Those of pids still running (not gone, not zombies) after waiting up to `seconds` for them to end."""
    import os
    import time

    deadline = time.time() + seconds
    alive = list(pids)
    while alive and time.time() < deadline:
        time.sleep(0.2)
        alive = [p for p in alive if os.path.exists(f"/proc/{p}") and open(f"/proc/{p}/stat").read().split()[2] != "Z"]
    return alive
