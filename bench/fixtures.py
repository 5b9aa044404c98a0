"""The `backend` fixture shared by tests/ and bench/: one run per registered backend, new ones included.

A core backend that cannot load fails the test (CI must never skip past a missing backend); so does a peer
(JAX, PyTorch) when the peer tests are asked for (-m peers). Peers that are not installed are left out of a
plain run altogether, so it neither skips nor imports them; any other optional backend is skipped with its
reason.
"""
import pytest

import xorbench
from xorbench.impls.registry import PEERS


def peers_asked_for(config) -> bool:
    """Whether this run selects the peers' tests (-m peers), as against leaving them out (-m "not peers")."""
    expr = config.getoption("markexpr", "") or ""
    return "peers" in expr and "not peers" not in expr


def _available(name):
    try:
        xorbench.get_backend(name)
        return True
    except xorbench.BackendUnavailable:
        return False


def backend_params(config, names):
    """pytest.param per backend name: peers marked `peers`, and left out if not installed unless asked for."""
    out = []
    for n in names:
        if n in PEERS:
            if peers_asked_for(config) or _available(n):
                out.append(pytest.param(n, marks=pytest.mark.peers, id=n))
        else:
            out.append(pytest.param(n, id=n))
    return out


@pytest.fixture
def backend(request):
    name = request.param
    try:
        return xorbench.get_backend(name)
    except xorbench.BackendUnavailable as e:
        if name in xorbench.CORE or name in PEERS:
            pytest.fail(f"backend {name!r} is unavailable: {e}")
        pytest.skip(f"optional backend {name!r} unavailable: {e}")
