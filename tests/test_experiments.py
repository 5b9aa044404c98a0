"""xorbench experiments: the ok and plateau definitions, presets, backend agreement, resume, refusal to mix."""
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from xorbench.bench import experiments as ex
from xorbench.bench.cli import main

from .conftest import still_running

XORBENCH = shutil.which("xorbench", path=os.path.dirname(sys.executable)) or "xorbench"
Y = np.array([[0.0], [1.0], [1.0], [0.0]])


@pytest.mark.parametrize("out,ok", [
    ([0.1, 0.9, 0.85, 0.2], True),
    ([0.0, 1.0, 1.0, 0.0], True),
    ([0.1, 0.9, 0.79, 0.1], False),   # right side, outside the margin
    ([0.1, 0.9, 0.9, 0.21], False),
    ([0.6, 0.9, 0.9, 0.1], False),    # wrong side
    ([0.5, 0.5, 0.5, 0.5], False),
])
def test_ok_definition(out, ok):
    assert ex.OK_MARGIN == 0.2
    assert ex.is_ok(np.array(out)[:, None], Y) is ok


def test_plateau_detection_on_constructed_curves():
    flat = [0.25] * 20 + list(np.linspace(0.25, 0.126, 30)) + [0.1255, 0.1252, 0.1251] + [0.125] * 47
    assert ex.plateau(flat, ok=False) == 0.125
    assert ex.plateau(flat, ok=True) is None  # an ok run is never stuck
    descending = list(np.geomspace(0.25, 1e-3, 100))
    assert ex.plateau(descending, ok=False) is None  # not ok yet, but still learning
    wobble = [0.2] * 75 + [0.2, 0.203, 0.2] * 8 + [0.2]
    assert ex.plateau(wobble, ok=False) is None  # 1.5% > 1%
    almost = [0.2] * 75 + [0.2, 0.2015, 0.2] * 8 + [0.2]
    assert ex.plateau(almost, ok=False) == 0.2


def test_presets_produce_the_configurations_they_claim(tmp_path):
    p = ex.PRESETS["writeup-003"]
    assert (p.hidden, p.lr) == ((4,), (1.0,))
    assert (p.setting.epochs, p.setting.bias, p.setting.loss, p.setting.scheme) == (1500, False, "sse", "rand01")
    p = ex.PRESETS["writeup-000"]
    assert (p.hidden, p.lr, p.setting.loss, p.setting.bias) == ((4,), (0.5, 1.0), "mse", True)
    p = ex.PRESETS["writeup-001"]
    assert p.hidden == (2, 3, 4, 8) and p.lr == (0.1, 0.5, 1.0, 2.0, 5.0)
    # through the command line: the header records the setting, the lines the grid
    out = tmp_path / "p003"
    assert main(["experiments", "--preset", "writeup-003", "--seeds", "3", "--jobs", "1", "--out", str(out)]) == 0
    lines = [json.loads(x) for x in (out / ex.RESULTS).read_text().splitlines()]
    header = lines[0]["setting"]
    assert (header["epochs"], header["bias"], header["loss"], header["scheme"], header["seeds"]) == \
        (1500, False, "sse", "rand01", 3)
    assert [(r["hidden"], r["lr"]) for r in lines[1:]] == [(4, 1.0)]
    assert len(lines[1]["runs"]) == 3 and len(lines[1]["runs"][0]["curve"]) == 1500 // header["chunk"] + 1


def _rows(text):
    return [ln for ln in text.splitlines() if ln.startswith("|")]


def test_python_and_c_give_the_same_table(tmp_path, capsys):
    tables = {}
    for backend in ("python", "c"):
        assert main(["experiments", "--backend", backend, "--hidden", "2,3", "--lr", "1,2", "--seeds", "4",
                     "--epochs", "600", "--jobs", "1", "--out", str(tmp_path / backend)]) == 0
        tables[backend] = _rows(capsys.readouterr().out)
    assert len(tables["c"]) == 2 + 4
    assert tables["python"] == tables["c"]


def test_tiny_grid_end_to_end_writes_plots(tmp_path):
    out = tmp_path / "tiny"
    r = subprocess.run([XORBENCH, "experiments", "--hidden", "2,4", "--lr", "0.5,2", "--seeds", "5",
                        "--epochs", "2000", "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "configurations" in r.stderr and "4/4" in r.stderr and "ETA" in r.stderr  # the progress bar
    for name in ("experiments.md", "loss_curves.png", "heatmap.png"):
        assert (out / name).stat().st_size > 500
    md = (out / "experiments.md").read_text()
    assert len(_rows(md)) == 2 + 4 and "| 4 | 2 |" in md


def test_different_setting_is_refused(tmp_path, capsys):
    out = str(tmp_path / "mix")

    def args(hidden="2", *extra):
        return ["experiments", "--hidden", hidden, "--lr", "1", "--seeds", "2", "--epochs", "200", "--jobs", "1",
                "--out", out, *extra]

    assert main(args()) == 0
    assert main(args("2", "--backend", "python")) == 2
    err = capsys.readouterr().err
    assert "different setting" in err and "backend: 'c' there, 'python' now" in err
    assert main(args("2", "--no-bias")) == 2
    assert "bias: True there, False now" in capsys.readouterr().err
    # a bigger grid with the same setting extends the file instead
    assert main(args("2,3")) == 0
    assert len((tmp_path / "mix" / ex.RESULTS).read_text().splitlines()) == 3


def test_line_cut_short_by_a_crash_is_dropped_and_redone(tmp_path, capsys):
    out = tmp_path / "cut"
    args = ["experiments", "--hidden", "2,3", "--lr", "1", "--seeds", "2", "--epochs", "200", "--jobs", "1",
            "--out", str(out)]
    assert main(args) == 0
    want = _rows(capsys.readouterr().out)
    path = out / ex.RESULTS
    text = path.read_text()
    path.write_text(text[: len(text) - 40])  # the last configuration's line, cut off mid-way
    assert main(args) == 0
    assert _rows(capsys.readouterr().out) == want
    assert len(path.read_text().splitlines()) == 3


def test_killed_run_resumes_to_the_same_table(tmp_path):
    cmd = [XORBENCH, "experiments", "--backend", "python", "--hidden", "2,3,4", "--lr", "1,2", "--seeds", "4",
           "--epochs", "3000", "--jobs", "1"]
    killed = tmp_path / "killed"
    proc = subprocess.Popen(cmd + ["--out", str(killed)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    results = killed / ex.RESULTS
    deadline = time.time() + 300
    while time.time() < deadline:
        if results.exists() and len(results.read_text().splitlines()) >= 3:  # header + two configurations
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    n_before = len(results.read_text().splitlines()) - 1
    assert 2 <= n_before < 6, "the run should have been killed midway"
    resumed = subprocess.run(cmd + ["--out", str(killed)], capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming: {n_before} of 6 configurations" in resumed.stderr
    fresh = subprocess.run(cmd + ["--out", str(tmp_path / "fresh")], capture_output=True, text=True, timeout=600)
    assert _rows(resumed.stdout) == _rows(fresh.stdout) and len(_rows(fresh.stdout)) == 2 + 6


def test_kill_9_leaves_no_worker_behind(tmp_path):
    """kill -9 of xorbench experiments: its spawned workers die with it, and the resource tracker exits too."""
    import shutil
    import signal
    import subprocess
    import sys
    import time

    exe = shutil.which("xorbench", path=os.path.dirname(sys.executable)) or "xorbench"
    proc = subprocess.Popen([exe, "experiments", "--hidden", "2,3,4,8", "--lr", "0.5,1", "--seeds", "50",
                             "--epochs", "200000", "--jobs", "2", "--out", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(4)  # workers started and busy

    def children():
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(proc.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    kids = children()
    assert kids, "no worker started"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    alive = still_running(kids)
    assert not alive, f"still running 10 s after kill -9: {alive}"


@pytest.mark.parametrize("hidden, lr", [((4,), (1.0,)), ((2, 3, 4, 8), (0.1, 0.5, 1.0, 2.0, 5.0))])
def test_the_loss_curve_labels_fit_the_figure(tmp_path, monkeypatch, hidden, lr):
    """One panel or twenty, every label of the loss-curve figure lies inside it (the one-panel one was clipped)."""
    import matplotlib.figure

    setting = ex.Setting(epochs=40, seeds=2, chunk=10)
    results = [ex.run_config(dataclasses.asdict(setting), h, r) for h in hidden for r in lr]
    save, checked = matplotlib.figure.Figure.savefig, []

    def savefig(fig, *args, **kwargs):
        renderer = fig.canvas.get_renderer()
        fig.canvas.draw()
        labels = [t for t in (fig._supxlabel, fig._supylabel) if t is not None]
        for t in labels:
            box = t.get_window_extent(renderer)
            assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= fig.bbox.x1 and box.y1 <= fig.bbox.y1, t.get_text()
        checked.extend(labels)
        return save(fig, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", savefig)
    ex.plots(results, setting, str(tmp_path))
    assert checked
