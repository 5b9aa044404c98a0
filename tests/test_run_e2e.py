"""xorbench run --quick end to end, in a subprocess, as a user runs it, from a folder holding impls/ and bench/
packages of its own; and Ctrl-C in the middle of it."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

import xorbench
from xorbench.bench import results

XORBENCH = shutil.which("xorbench", path=os.path.dirname(sys.executable)) or "xorbench"


def shadowing_folder(path):
    """A current folder with impls/, bench/ and tests/ packages of its own, which no import of xorbench's may reach."""
    for name in ("impls", "bench", "tests"):
        (path / name).mkdir()
        (path / name / "__init__.py").write_text(f"raise ImportError('the current folder\\'s {name}/ was imported')\n")
    return path


def test_check_and_experiments_run_from_any_folder(tmp_path):
    cwd = shadowing_folder(tmp_path)
    for cmd in (["check", "--backends", "c", "--epochs", "50"],
                ["experiments", "--hidden", "2", "--lr", "1", "--seeds", "2", "--epochs", "200", "--out", "exp"]):
        out = subprocess.run([XORBENCH, *cmd], cwd=cwd, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0 and "was imported" not in out.stderr, out.stdout[-2000:] + out.stderr[-2000:]
    assert (tmp_path / "exp" / "experiments.md").exists()


def test_quick_run_writes_results_and_report_naming_every_backend(tmp_path):
    cwd = shadowing_folder(tmp_path)
    out = subprocess.run([XORBENCH, "run", "--quick", "--out", "out"], cwd=cwd, capture_output=True, text=True,
                         timeout=900)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert not (cwd / ".benchmarks").exists()  # pytest-benchmark's storage is not left in the user's folder
    tmp_path = tmp_path / "out"
    files = os.listdir(tmp_path / "results")
    assert len(files) == 1 and files[0].endswith("-quick.json") and not any(f.startswith(".") for f in files)
    run = results.load(str(tmp_path / "results" / files[0]))
    kinds = {(p.kind, p.backend) for p in run.points}
    usable = [n for n, why in xorbench.available().items() if why is None]  # the peers only when installed
    for name in usable:
        for kind in ("xor", "boundary", "granularity", "batch", "hidden", "startup"):
            assert (kind, name) in kinds
    assert set(run.xorbench["excluded"]) == set(xorbench.names()) - set(usable)  # what cannot load, listed
    assert not set(run.xorbench["excluded"]) & set(xorbench.CORE)
    md = (tmp_path / "report.md").read_text()
    html = (tmp_path / "report.html").read_text()
    for name in usable:
        assert f"| {name} |" in md and f"<td>{name}</td>" in html
        assert out.stdout.count(f"\n{name} ") >= 1  # the summary table
    for png in ("xor.png", "granularity.png", "batch.png", "hidden-N4.png"):
        assert (tmp_path / png).stat().st_size > 1000
    assert "× vs python" in out.stdout
    # the batch sweep says where backends cross, or that none do (which pairs cross depends on the machine)
    batch = md[md.index("### Batch sweep"):]
    assert "overtakes" in batch or "No crossovers" in batch
    assert "your machine vs" in out.stdout  # against the full runs shipped in docs/results/
    done = re.findall(r"benchmarks: 100%\|[^|]*\| (\d+)/(\d+) \[[^]]* elapsed, ETA", out.stdout)
    assert done and done[-1][0] == done[-1][1]  # the progress bar knew the total and reached it


INTERRUPTS = {
    "ctrl-c": lambda proc: os.killpg(proc.pid, signal.SIGINT),
    "ctrl-c twice": lambda proc: (os.killpg(proc.pid, signal.SIGINT), time.sleep(0.2),
                                  os.killpg(proc.pid, signal.SIGINT)),
    "sigterm": lambda proc: proc.send_signal(signal.SIGTERM),  # to xorbench alone, as a scheduler sends it
}


@pytest.mark.parametrize("how", INTERRUPTS)
def test_an_interrupted_run_keeps_finished_benchmarks(tmp_path, how):
    names = ["python", "c", "c-simd"]
    proc = subprocess.Popen([XORBENCH, "run", "--backends", ",".join(names), "--out", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if "test_boundary[" in line:  # the xor benchmarks are done
            INTERRUPTS[how](proc)
            break
    rest = proc.communicate(timeout=300)[0]
    assert proc.returncode == 130, "".join(seen) + rest
    assert "interrupted" in rest and "completed so far are in" in rest
    files = os.listdir(tmp_path / "results")
    assert len(files) == 1, files  # the stream file is gone, the result file is whole
    data = json.load(open(tmp_path / "results" / files[0]))
    assert data["xorbench"]["interrupted"] is True
    assert {f"test_xor[{n}]" for n in names} <= {b["name"] for b in data["benchmarks"]}
    assert results.load(str(tmp_path / "results" / files[0])).by_kind("xor")
