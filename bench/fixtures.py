"""The `backend` fixture shared by tests/ and bench/: one run per registered backend, new ones included.

A core backend that cannot load fails the test (CI must never skip past a missing backend); an optional one
is skipped with its reason.
"""
import pytest

import xorbench


@pytest.fixture
def backend(request):
    name = request.param
    try:
        return xorbench.get_backend(name)
    except xorbench.BackendUnavailable as e:
        if name in xorbench.CORE:
            pytest.fail(f"core backend {name!r} is unavailable: {e}")
        pytest.skip(f"optional backend {name!r} unavailable: {e}")
