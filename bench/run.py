"""xorbench run: equivalence check, then the pytest-benchmark suite in a subprocess, then the report."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from tqdm import tqdm

import xorbench
from xorbench.bench import report, results
from xorbench.bench.experiments import BAR
from xorbench.bench.profiles import PINNED_ENV

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
CHECK_EPOCHS = {"quick": 2_000, "full": 10_000}


def _from_stream(stream: str) -> dict:
    """A result file's content from the benchmarks streamed so far (none if the stream never started)."""
    if not os.path.exists(stream) or os.path.getsize(stream) == 0:
        return {"benchmarks": []}
    with open(stream, encoding="utf-8") as f:
        data = results._from_stream_text(stream, f.read())
    del data["xorbench"]  # run() writes its own
    return data


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def run(profile: str, backends: list[str] | None, out: str, label: str | None = None) -> int:
    from xorbench.impls import equivalence

    names = backends or xorbench.names()
    results_dir = os.path.join(os.path.abspath(out), "results")
    os.makedirs(results_dir, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    final = os.path.join(results_dir, f"{stamp}-{profile}.json")
    partial = os.path.join(results_dir, f".partial-{stamp}.json")
    stream = os.path.join(results_dir, f".stream-{stamp}.jsonl")

    print(f"xorbench run --{profile}: checking equivalence first ({CHECK_EPOCHS[profile]} epochs)...", flush=True)
    check = equivalence.check(names, epochs=CHECK_EPOCHS[profile])
    verdicts = check.worst()
    excluded = {b: f"equivalence check: {verdicts[b]}" + (f" ({check.notes[b]})" if check.notes.get(b) else "")
                for b in verdicts if verdicts[b] in (equivalence.FAIL, equivalence.UNAVAILABLE)}
    for b, why in excluded.items():
        print(f"  not timing {b}: {why}")
    timed = [b for b in names if b not in excluded]
    print("  " + ", ".join(f"{b}: {v}" for b, v in verdicts.items()), flush=True)
    if not timed:
        print("xorbench run: no backend passed the check; nothing to time", file=sys.stderr)
        return 1

    env = {**os.environ, "XORBENCH_PROFILE": profile, "XORBENCH_BACKENDS": ",".join(timed),
           "XORBENCH_STREAM": stream, "XORBENCH_LABEL": label or ""}
    env.update(PINNED_ENV)
    # -o addopts=: the checkout's test settings (which leave the peers out) are not the benchmark's
    cmd = [sys.executable, "-m", "pytest", BENCH_DIR, "-v", "-o", "addopts=", "-p", "no:cacheprovider",
           "--benchmark-only", f"--benchmark-json={partial}", "--benchmark-save-data", "--benchmark-disable-gc",
           "--benchmark-columns=median,iqr,rounds", "-W", "ignore::pytest_benchmark.logger.PytestBenchmarkWarning"]
    print(f"timing {', '.join(timed)} (live progress below; raw JSON goes to {final})", flush=True)
    interrupted = False
    tail: list[str] = []
    # The suite runs from an empty folder: nothing in the user's current folder (an impls/ or bench/ of their
    # own) can shadow an import, and pytest-benchmark's .benchmarks/ is not left behind there.
    workdir = tempfile.mkdtemp(prefix="xorbench-run-")
    proc = subprocess.Popen(cmd, env=env, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            bufsize=1)
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)  # SIGTERM stops a run as Ctrl-C does
    bar = tqdm(desc="benchmarks", file=sys.stdout, bar_format=BAR)
    try:
        for line in proc.stdout:
            tail = (tail + [line])[-200:]
            collected = re.search(r"collected (\d+) items", line)
            if collected:
                bar.reset(total=int(collected.group(1)))
            m = re.match(r"\S+::(\S+) (PASSED|FAILED|ERROR|SKIPPED)\s*\[\s*(\d+)%\]", line)
            if m:
                bar.write(f"  {m.group(1):<44} {m.group(2).lower()}")
                bar.update()
        rc = proc.wait()
        bar.close()
    except KeyboardInterrupt:
        bar.close()
        # Keep what finished, whatever comes next: further Ctrl-C or SIGTERM are ignored while the suite stops
        # (it got SIGINT too, from the terminal, or from here) and the results are saved.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        interrupted = True
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        rc = 130
    if os.path.exists(partial):
        with open(partial) as f:
            data = json.load(f)
    else:  # interrupted or crashed: pytest-benchmark wrote nothing, so rebuild from the stream
        data = _from_stream(stream)
    for leftover in (partial, stream):
        if os.path.exists(leftover):
            os.unlink(leftover)
    shutil.rmtree(workdir, ignore_errors=True)
    signal.signal(signal.SIGTERM, previous)
    if not data["benchmarks"]:
        if not interrupted:
            sys.stdout.write("".join(tail))
        print(f"xorbench run: {'interrupted' if interrupted else 'failed'} before any benchmark finished; "
              "earlier results are untouched", file=sys.stderr)
        return 130 if interrupted else 1
    data.setdefault("xorbench", {"schema": results.RUN_SCHEMA, "profile": profile})
    data["xorbench"].update(check=check.to_json(), excluded=excluded, interrupted=interrupted,
                            **({"label": label} if label else {}))
    results.write_json(final, data)
    if interrupted:
        print(f"\nxorbench run: interrupted; the {len(data['benchmarks'])} benchmarks completed so far are in {final}")
    elif rc != 0:
        sys.stdout.write("".join(tail))
        print(f"xorbench run: the benchmark suite failed (exit {rc}); partial results in {final}", file=sys.stderr)
    run_ = results.load(final)
    written = report.write([run_], out)
    print(f"\nresults: {final}\nreport:  {os.path.join(out, 'report.md')} and report.html "
          f"({len(written) - 2} plots)\n")
    print(report.summary(run_))
    print()
    print(report.against_references(run_))
    return 0 if rc == 0 and not interrupted else (130 if interrupted else 1)
