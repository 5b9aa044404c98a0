"""A backend from another installed package (tests/tiny_backend), registered through the "xorbench.backends"
entry-point group: xorbench list, check, the shared tests and the benchmarks all pick it up."""
import os
import re
import shutil
import subprocess
import sys

import pytest

import xorbench.bench

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.join(HERE, "tiny_backend")
ENTRY_POINT = 'tiny = "tiny_xorbench:TinyBackend"'
XORBENCH = shutil.which("xorbench", path=os.path.dirname(sys.executable)) or "xorbench"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """The environment of a process in which tiny-xorbench is installed: its metadata, as pip writes it, in a
    folder on the path, beside its source."""
    site = tmp_path_factory.mktemp("site")
    with open(os.path.join(PACKAGE, "pyproject.toml")) as f:
        assert ENTRY_POINT in f.read()  # the metadata below says what the package declares
    dist = site / "tiny_xorbench-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: tiny-xorbench\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[xorbench.backends]\n" + ENTRY_POINT.replace('"', "") + "\n")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), PACKAGE, os.environ.get("PYTHONPATH", "")])}


def run(env, *cmd, cwd=None):
    out = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out.stdout


def test_list_shows_the_outside_backend(env):
    out = run(env, XORBENCH, "list")
    assert "\ntiny " in out and "an outside package's backend" in out


def test_check_gives_it_a_verdict(env):
    out = run(env, XORBENCH, "check", "--backends", "tiny", "--epochs", "100")
    assert "tiny: identical" in out


def test_the_shared_tests_run_against_it(env, tmp_path):
    out = run(env, sys.executable, "-m", "pytest", os.path.join(HERE, "test_equivalence.py"), "-k", "tiny", "-q",
              "-p", "no:cacheprovider", cwd=tmp_path)
    passed = re.search(r"(\d+) passed", out)
    assert passed and int(passed.group(1)) >= 10 and "failed" not in out and "skipped" not in out, out


def test_the_benchmarks_time_it(env, tmp_path):
    bench = os.path.dirname(os.path.abspath(xorbench.bench.__file__))
    out = run(env, sys.executable, "-m", "pytest", bench, "--benchmark-disable", "-k", "test_xor and tiny", "-q",
              "-p", "no:cacheprovider", cwd=tmp_path)
    assert "1 passed" in out


def test_without_it_nothing_changes():
    import xorbench
    assert "tiny" not in xorbench.names()
