"""Result files: pytest-benchmark JSON with an "xorbench" section; loading, checking and summarizing them."""
from __future__ import annotations

import json
import math
import os
import statistics
import tempfile
from dataclasses import dataclass, field

RUN_SCHEMA = "xorbench-run/1"
NOISE_CV = 0.10  # coefficient of variation above which a benchmark is flagged noisy
MIN_ROUNDS = 5  # fewer rounds than this is flagged too


def write_atomic(path: str, text: str) -> None:
    """Write text to path through a temporary file in the same folder and a rename: a reader, or an
    interruption, never sees a half-written file."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write_json(path: str, data) -> None:
    write_atomic(path, json.dumps(data, indent=1, default=str))


class ResultsError(Exception):
    """A result file that cannot be read as an xorbench run; the message names the file and the problem."""


@dataclass
class Point:
    """One benchmark: what was timed (kind, backend, N, hidden, K) and its per-call timings in seconds."""

    name: str
    kind: str
    backend: str
    N: int
    hidden: int
    K: int
    median: float
    q1: float
    q3: float
    mean: float
    stddev: float
    rounds: int
    data: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    @property
    def per_epoch(self) -> float:
        return self.median / self.K

    @property
    def epochs_per_s(self) -> float:
        return self.K / self.median

    @property
    def epochs_per_s_iqr(self) -> tuple[float, float]:
        return self.K / self.q3, self.K / self.q1

    @property
    def samples_per_s(self) -> float:
        return self.epochs_per_s * self.N

    @property
    def cv(self) -> float:
        return self.stddev / self.mean if self.mean > 0 else math.inf

    def noise(self) -> str | None:
        """Why this point should not be trusted, or None."""
        reasons = []
        if self.cv > NOISE_CV:
            reasons.append(f"CV {self.cv:.0%} > {NOISE_CV:.0%}")
        if self.rounds < MIN_ROUNDS:
            reasons.append(f"{self.rounds} rounds < {MIN_ROUNDS}")
        return ", ".join(reasons) or None


@dataclass
class Run:
    """One result file."""

    path: str
    label: str
    datetime: str
    machine: dict
    xorbench: dict
    points: list

    def by_kind(self, kind: str) -> list:
        return [p for p in self.points if p.kind == kind]

    @property
    def peaks(self):
        """The roofline's inputs measured in this run, or None."""
        from xorbench.bench.roofline import Peaks

        for p in self.by_kind("peak"):
            e = p.extra
            return Peaks(float(e["exp_per_s"]), float(e["div_per_s"]), float(e["fma_per_s"]), int(e["cores"]))
        return None

    @property
    def backends(self) -> list:
        order = list(self.machine.get("backends", {}))
        seen = {p.backend for p in self.points if p.kind not in ("peak", "threads", "baseline")}
        return [b for b in order if b in seen] + sorted(seen - set(order))

    @property
    def unavailable(self) -> dict:
        out = {n: f["reason"] for n, f in self.machine.get("backends", {}).items() if not f.get("available", True)}
        out.update(self.xorbench.get("excluded", {}))
        return out


def _need(cond: bool, path: str, what: str) -> None:
    if not cond:
        raise ResultsError(f"{path}: not an xorbench result file ({what})")


def load(path: str) -> Run:
    """Read and check one result file; raise ResultsError with a clear message on anything unexpected."""
    try:
        with open(path) as f:
            raw = json.load(f)
    except OSError as e:
        raise ResultsError(f"{path}: cannot read ({e.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ResultsError(f"{path}: malformed JSON ({e})") from None
    _need(isinstance(raw, dict), path, "top level is not an object")
    xb = raw.get("xorbench")
    _need(isinstance(xb, dict) and xb.get("schema") == RUN_SCHEMA, path,
          f"no 'xorbench' section with schema {RUN_SCHEMA!r}; foreign or older schema")
    machine = raw.get("machine_info", {}).get("xorbench")
    _need(isinstance(machine, dict), path, "machine_info.xorbench missing")
    benches = raw.get("benchmarks")
    _need(isinstance(benches, list), path, "'benchmarks' is not a list")
    points = []
    for i, b in enumerate(benches):
        try:
            e, s = b["extra_info"], b["stats"]
            if e["kind"] in ("startup", "peak"):
                K, N, hidden = 1, 0, 0
            else:
                K, N, hidden = int(e["K"]), int(e["N"]), int(e["hidden"])
            p = Point(b["name"], e["kind"], e["backend"], N, hidden, K,
                      float(s["median"]), float(s["q1"]), float(s["q3"]), float(s["mean"]),
                      float(s["stddev"]), int(s["rounds"]), list(s.get("data") or []), e)
        except (KeyError, TypeError, ValueError) as err:
            raise ResultsError(f"{path}: benchmark {i} is malformed ({type(err).__name__}: {err})") from None
        _need(p.median > 0 and p.K > 0, path, f"benchmark {p.name} has a non-positive time or K")
        points.append(p)
    cpu = machine.get("cpu", "?")
    label = xb.get("label") or f"{cpu}, {machine.get('cores', '?')} cores"
    return Run(path, label, raw.get("datetime", "?"), machine, xb, points)

