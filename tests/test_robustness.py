"""Junk in, one line out: bad flags, malformed result and experiments files, stream files, and what a report
folder holds afterwards."""
import copy
import json
import os
import stat

import numba
import pytest

import xorbench
from xorbench.bench import experiments as ex
from xorbench.bench import report, results
from xorbench.bench.cli import main

DATA = os.path.join(os.path.dirname(__file__), "data")
BASE = os.path.join(DATA, "base.json")


@pytest.mark.parametrize("argv, flag", [
    (["train", "--repeat", "0"], "--repeat"),
    (["train", "--seed", "-1"], "--seed"),
    (["train", "--epochs", "ten"], "--epochs"),
    (["run", "--backends", ""], "--backends"),
    (["run", "--backends", " , "], "--backends"),
    (["check", "--epochs", "0"], "--epochs"),
    (["experiments", "--seeds", "0"], "--seeds"),
    (["experiments", "--jobs", "-2"], "--jobs"),
])
def test_bad_flags_are_named(capsys, argv, flag):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert flag in err and "Traceback" not in err


def _base():
    with open(BASE) as f:
        return json.load(f)



MALFORMED = {
    "machine_info a list": lambda d: d.update(machine_info=[1, 2]),
    "machine_info a string": lambda d: d.update(machine_info="x"),
    "label an int": lambda d: d["xorbench"].update(label=5),
    "backends a list": lambda d: d["machine_info"]["xorbench"].update(backends=["c"]),
    "400-digit K": lambda d: d["benchmarks"][0]["extra_info"].update(K=10**400),
    "median 1e999": lambda d: d["benchmarks"][0]["stats"].update(median=float("inf")),
    "N zero": lambda d: d["benchmarks"][0]["extra_info"].update(N=0),
    "benchmark a string": lambda d: d["benchmarks"].append("x"),
    "kind a list": lambda d: d["benchmarks"][0]["extra_info"].update(kind=["xor"]),
    "data not a list": lambda d: d["benchmarks"][0]["stats"].update(data=5),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_result_files_give_one_line_naming_the_file(tmp_path, capsys, case):
    data = _base()
    MALFORMED[case](data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data).replace("Infinity", "1e999"))
    for argv in (["report", str(path), "--out", str(tmp_path / "out")], ["compare", BASE, str(path)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert str(path) in err and err.count("\n") == 1 and "Traceback" not in err, err


def test_deeply_nested_json_is_refused(tmp_path, capsys):
    path = tmp_path / "deep.json"
    path.write_text("[" * 10_000 + "]" * 10_000)
    assert main(["report", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "nested" in err


def test_report_out_that_is_a_file_is_refused(tmp_path, capsys):
    f = tmp_path / "taken"
    f.write_text("")
    assert main(["report", BASE, "--out", str(f)]) == 2
    assert "is a file" in capsys.readouterr().err


def test_a_stream_file_is_a_report_too(tmp_path):
    """The stream of an interrupted run: a header line, one benchmark per line, the last one cut short."""
    data = _base()
    header = {"xorbench_stream": 1, "machine_info": data["machine_info"], "profile": "quick", "datetime": "x"}
    lines = [json.dumps(header)] + [json.dumps(b) for b in data["benchmarks"][:5]] + ['{"group": "cut sh']
    path = tmp_path / ".stream-1.jsonl"
    path.write_text("\n".join(lines))
    run = results.load(str(path))
    assert len(run.points) == 5 and run.xorbench["interrupted"] is True
    assert main(["report", str(path), "--out", str(tmp_path / "out")]) == 0


def test_reports_and_results_are_readable_by_others_and_folders_never_mix(tmp_path):
    old = os.umask(0o022)
    try:
        out = tmp_path / "out"
        first = report.write([results.load(BASE)], str(out))
        stray = out / "run2-xor.png"  # a plot of an earlier two-run report in the same folder
        stray.write_bytes(b"")
        (out / report.MANIFEST).write_text((out / report.MANIFEST).read_text() + "run2-xor.png\n")
        second = report.write([results.load(BASE)], str(out))
        results.write_json(str(tmp_path / "r.json"), {"a": 1})
    finally:
        os.umask(old)
    assert sorted(first) == sorted(second) and not stray.exists()
    assert sorted(os.listdir(out)) == sorted([report.MANIFEST] + [os.path.basename(p) for p in second])
    for path in (*second, str(tmp_path / "r.json")):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o644, path


def test_noise_is_shown_with_the_digits_that_make_it_noisy():
    p = results.load(BASE).points[0]
    q = copy.copy(p)
    q.stddev, q.mean, q.rounds = 0.1005, 1.0, 10
    assert q.noise() == "CV 10.1% > 10%"
    q.stddev = 0.19
    assert q.noise() == "CV 19% > 10%"


@pytest.mark.parametrize("junk", ["5", "[]", "null", '"text"', '{"type": "config", "hidden": "x"}'])
def test_junk_lines_in_experiments_files_are_refused(tmp_path, junk):
    setting = ex.Setting(epochs=10, seeds=2, chunk=5)
    path = tmp_path / ex.RESULTS
    path.write_text(json.dumps({"type": "header", "setting": setting.key()}) + "\n" + junk + "\n"
                    + json.dumps({"type": "header"}) + "\n")
    with pytest.raises(ex.ExperimentError, match="line 2"):
        ex.read_results(str(path), setting)


def test_numba_fast_restores_the_callers_thread_count():
    be = xorbench.get_backend("numba-fast")
    X, Y = xorbench.noisy_xor(4096, seed=0)
    numba.set_num_threads(1)
    try:
        be.train(xorbench.init_params(), X, Y, epochs=2, lr=0.1)  # threaded: it may use every core meanwhile
        assert numba.get_num_threads() == 1
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        be.max_threads = 1
        be.train(xorbench.init_params(), X, Y, epochs=2, lr=0.1)
        assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS
    finally:
        be.max_threads = 0
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)


def test_a_benchmark_no_selected_backend_qualifies_for_is_left_out_not_skipped(tmp_path):
    """With no threaded backend selected, the threads benchmark is deselected, not a NOTSET skip."""
    import subprocess
    import sys

    import xorbench.bench

    bench = os.path.dirname(os.path.abspath(xorbench.bench.__file__))
    out = subprocess.run([sys.executable, "-m", "pytest", bench, "--benchmark-disable", "-k", "test_threads",
                          "-p", "no:cacheprovider", "-q"], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "XORBENCH_BACKENDS": "python"}, timeout=300)
    assert "skipped" not in out.stdout and "NOTSET" not in out.stdout and "deselected" in out.stdout, out.stdout
