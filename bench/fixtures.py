"""The `backend` fixture shared by tests/ and bench/: one run per registered backend, new ones included.

A core backend that cannot load fails the test (CI must never skip past a missing backend); an optional one
is skipped with its reason.
"""
import pytest

import impls


@pytest.fixture
def backend(request):
    name = request.param
    try:
        return impls.get_backend(name)
    except impls.BackendUnavailable as e:
        if name in impls.CORE:
            pytest.fail(f"core backend {name!r} is unavailable: {e}")
        pytest.skip(f"optional backend {name!r} unavailable: {e}")
