"""pytest-benchmark set-up: one thread for BLAS, machine and build facts in the JSON, one run per backend."""
import os

from xorbench.bench.profiles import PINNED_ENV

for _var, _value in PINNED_ENV.items():  # before NumPy or JAX is imported anywhere in this process
    os.environ.setdefault(_var, _value)

import pytest  # noqa: E402

import xorbench  # noqa: E402
from xorbench.bench import machine, profiles  # noqa: E402
from xorbench.bench.fixtures import backend, backend_params  # noqa: E402, F401  (the shared fixture)


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        names = profiles.selected_backends(xorbench.names())
        if metafunc.definition.get_closest_marker("threaded"):
            names = [n for n in names if _threaded_or_unavailable(n)]
        if metafunc.definition.get_closest_marker("fast_rows"):
            names = [n for n in names if _fast_or_unavailable(n)]
        if metafunc.definition.get_closest_marker("against_simd"):
            names = [n for n in names if n != "c-simd"]
        metafunc.parametrize("backend", backend_params(metafunc.config, names), indirect=True)


def pytest_collection_modifyitems(config, items):
    """A benchmark for which no selected backend qualifies (the threads one, with no threaded backend chosen) is
    left out, not reported as a skip."""
    keep = [i for i in items if not ("backend" in i.fixturenames and not isinstance(
        getattr(getattr(i, "callspec", None), "params", {}).get("backend"), str))]
    if len(keep) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep


def _fast_or_unavailable(name):
    """Backends held to the "fast" tolerance (the fast rows), plus any that cannot load, so the fixture says why."""
    try:
        return xorbench.get_backend(name).equivalence == "fast"
    except xorbench.BackendUnavailable:
        return True


def _threaded_or_unavailable(name):
    """Backends with a max_threads knob, plus any that cannot load, so the fixture reports why."""
    try:
        return xorbench.get_backend(name).threaded
    except xorbench.BackendUnavailable:
        return True


def pytest_configure(config):
    if "torch" in profiles.selected_backends(xorbench.names()):
        try:
            import torch
        except ImportError:
            pass
        else:
            torch.set_num_threads(1)  # PyTorch's intra-op pool, pinned as BLAS is
    config.addinivalue_line("markers", "threaded: run only for backends with a max_threads knob")
    config.addinivalue_line("markers", "fast_rows: run only for backends held to the fast tolerance")
    config.addinivalue_line("markers", "against_simd: run for every selected backend but c-simd")
    config.addinivalue_line("markers", "peers: the optional peers (JAX, PyTorch): pip install -e '.[peers]'")


@pytest.fixture(scope="session")
def profile():
    return profiles.current()


def pytest_benchmark_update_machine_info(config, machine_info):
    facts = machine.facts()
    facts["gc_disabled_while_timing"] = bool(config.getoption("benchmark_disable_gc", False))
    facts["profile"] = profiles.current()
    facts["backends"] = machine.backend_facts(profiles.selected_backends(xorbench.names()))
    machine_info["xorbench"] = facts


def pytest_benchmark_update_json(config, benchmarks, output_json):
    from xorbench.bench.results import RUN_SCHEMA

    output_json["xorbench"] = {"schema": RUN_SCHEMA, "profile": profiles.current()["name"]}


def pytest_sessionstart(session):
    """A stream (XORBENCH_STREAM) starts with a header: the machine facts a report of the stream needs."""
    path = os.environ.get("XORBENCH_STREAM")
    if not path:
        return
    import json
    from datetime import datetime, timezone

    facts = machine.facts()
    facts["gc_disabled_while_timing"] = bool(session.config.getoption("benchmark_disable_gc", False))
    facts["profile"] = profiles.current()
    facts["backends"] = machine.backend_facts(profiles.selected_backends(xorbench.names()))
    header = {"xorbench_stream": 1, "machine_info": {"xorbench": facts}, "profile": profiles.current()["name"],
              "datetime": datetime.now(timezone.utc).isoformat(), "label": os.environ.get("XORBENCH_LABEL") or None}
    with open(path, "w") as f:
        f.write(json.dumps(header, default=str) + "\n")


@pytest.fixture(autouse=True)
def _stream_finished_benchmark(request):
    """Append each finished benchmark to $XORBENCH_STREAM (JSON lines), so an interrupted run keeps it."""
    yield
    path = os.environ.get("XORBENCH_STREAM")
    bm = request.node.funcargs.get("benchmark")
    stats = getattr(bm, "stats", None)
    if not path or stats is None or not stats.stats.data:
        return
    import json

    with open(path, "a") as f:
        f.write(json.dumps(stats.as_dict(include_data=True), default=str) + "\n")
        f.flush()
        os.fsync(f.fileno())
