"""Result files: pytest-benchmark JSON with an "xorbench" section; loading, checking and summarizing them."""
from __future__ import annotations

import json
import math
import os
import statistics
import tempfile
from dataclasses import dataclass, field

from xorbench.bench.machine import cpu_label, vector_isa
from xorbench.bench.profiles import TIMINGS

RUN_SCHEMA = "xorbench-run/1"
NOISE_CV = 0.10  # coefficient of variation above which a benchmark is flagged noisy
MIN_ROUNDS = 5  # fewer rounds than this is flagged too
#: two points timed apart (at different moments, not interleaved) are in order only when their speeds differ by more
#: than this, beyond their 95% interval: a shared VM's speed drifts that much between benchmarks with nothing changed
TOLD_APART = 0.05
#: interleaved benchmarks: kind -> (the reference's seconds per round, its epochs per call); backend_s and K
#: are the backend's. plain_pair: against the plain -ffast-math loop; simd_pair: against c-simd on one thread;
#: threads_pair: the backend on every core against itself on one thread (and, where twins ran, that one-thread
#: call again beside them: beside_twins_s, with `twins` their number, and their own epochs/s: twins_epochs_per_s).
PAIR_FIELDS = {"plain_pair": ("plain_s", "K_plain"), "simd_pair": ("simd_s", "K_simd"),
               "threads_pair": ("one_thread_s", "K_one_thread")}


def write_atomic(path: str, text: str) -> None:
    """Write text to path through a temporary file in the same folder and a rename: a reader, or an
    interruption, never sees a half-written file."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o666 & ~_umask())  # as open() would make it: mkstemp's files are private (0600)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(path: str, data) -> None:
    write_atomic(path, json.dumps(data, indent=1, default=str))


def paired_ratio(slow, fast, confidence: float = 0.95) -> tuple[float, float, float]:
    """The median of slow[i] / fast[i], pairs timed together, and a bootstrap confidence interval of it (nan, nan
    with fewer than 2 pairs): how many times faster `fast` is, round by round."""
    import numpy as np
    from scipy.stats import bootstrap

    r = np.asarray(slow, dtype=float) / np.asarray(fast, dtype=float)
    if r.size < 2:
        return float(np.median(r)), math.nan, math.nan
    res = bootstrap((r,), np.median, confidence_level=confidence, n_resamples=2000, method="percentile",
                    rng=np.random.default_rng(0))
    return float(np.median(r)), float(res.confidence_interval.low), float(res.confidence_interval.high)


def ratio_ci(slow, fast, confidence: float = 0.95) -> tuple[float, float]:
    """A bootstrap confidence interval of median(slow) / median(fast): how many times faster `fast` is, from two
    samples of seconds per epoch (or per anything, alike in both), each resampled independently. (nan, nan) with
    fewer than 2 rounds on a side."""
    import numpy as np
    from scipy.stats import bootstrap

    if len(slow) < 2 or len(fast) < 2:
        return math.nan, math.nan

    def speed(s, f, axis=-1):
        return np.median(s, axis=axis) / np.median(f, axis=axis)

    res = bootstrap((np.asarray(slow, dtype=float), np.asarray(fast, dtype=float)), speed, vectorized=True,
                    paired=False, confidence_level=confidence, n_resamples=2000, method="percentile",
                    rng=np.random.default_rng(0))
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def speedup(p: "Point", q: "Point", per: str = "epoch") -> tuple[float, float, float]:
    """(how many times faster p is than q, and its 95% interval) per epoch, or per sample with per="sample"."""
    unit_p, unit_q = (p.K, q.K) if per == "epoch" else (p.K * p.N, q.K * q.N)
    times_p = [t / unit_p for t in p.data] or [p.median / unit_p]
    times_q = [t / unit_q for t in q.data] or [q.median / unit_q]
    lo, hi = ratio_ci(times_q, times_p)
    return (q.median / unit_q) / (p.median / unit_p), lo, hi


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
            # enough digits that the number shown is above the threshold shown (10.05% is "10.1% > 10%")
            reasons.append(f"CV {self.cv:.0%} > {NOISE_CV:.0%}" if round(self.cv, 2) > NOISE_CV
                           else f"CV {self.cv:.1%} > {NOISE_CV:.0%}")
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
            nan = float("nan")
            return Peaks(float(e["exp_per_s"]), float(e["div_per_s"]), float(e["fma_per_s"]), int(e["cores"]),
                         *(float(e.get(k, nan)) for k in ("exp_own_per_s", "exp_libmvec_per_s", "lat_exp_s",
                                                          "lat_div_s", "lat_fma_s")),
                         exp_libmvec8=float(e.get("exp_libmvec8_per_s", nan)))
        return None

    @property
    def timing(self) -> str:
        return _timing(self.machine)

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


def _timing(machine: dict) -> str:
    """What one timed call is, a key of profiles.TIMINGS: files from before loop timing record none, "train"."""
    return machine.get("profile", {}).get("timing", "train")


def _need(cond: bool, path: str, what: str) -> None:
    if not cond:
        raise ResultsError(f"{path}: not an xorbench result file ({what})")


def _int_in(value, lo: int, hi: int) -> int:
    """value as an int in [lo, hi], else ValueError (bools, floats with fractions and strings are refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise ValueError(f"{value!r} is not a whole number")
    value = int(value)
    if not lo <= value <= hi:
        raise ValueError(f"{value} is outside {lo}..{hi}")
    return value


def _positive(value) -> float:
    """value as a finite float > 0, else ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (math.isfinite(value) and value > 0):
        raise ValueError(f"{value!r} is not a finite number > 0")
    return float(value)


def _point(b) -> Point:
    """One benchmark entry as a Point; ValueError, TypeError or KeyError if it is not one."""
    if not isinstance(b, dict) or not isinstance(b.get("extra_info"), dict) or not isinstance(b.get("stats"), dict):
        raise TypeError("not an object with 'extra_info' and 'stats' objects")
    e, s = b["extra_info"], b["stats"]
    if not all(isinstance(v, str) for v in (b["name"], e["kind"], e["backend"])):
        raise TypeError("name, kind and backend must be strings")
    if e["kind"] in ("startup", "peak"):
        K, N, hidden = 1, 0, 0
    else:
        K, N, hidden = _int_in(e["K"], 1, 2**63 - 1), _int_in(e["N"], 1, 2**40), _int_in(e["hidden"], 1, 2**24)
    data = s.get("data") or []
    if not isinstance(data, list):
        raise TypeError("stats.data must be a list")
    if e["kind"] in PAIR_FIELDS:  # the interleaved rounds' own timings, which the report divides
        ref_s_key, ref_k_key = PAIR_FIELDS[e["kind"]]
        _int_in(e[ref_k_key], 1, 2**63 - 1)
        if not (isinstance(e[ref_s_key], list) and isinstance(e["backend_s"], list)
                and len(e[ref_s_key]) == len(e["backend_s"]) >= 1):
            raise TypeError(f"{ref_s_key} and backend_s must be lists of the same length, one entry per round")
        for x in e[ref_s_key] + e["backend_s"]:
            _positive(x)
        if "beside_twins_s" in e:  # threads_pair: the one-thread call again, beside twins (bench/twins.py)
            try:
                _int_in(e["twins"], 1, 2**20)
            except ValueError as err:
                raise ValueError(f"twins: {err}") from None
            if not (isinstance(e["beside_twins_s"], list) and len(e["beside_twins_s"]) == len(e["backend_s"])):
                raise TypeError("beside_twins_s must be a list with one entry per round, as backend_s")
            for x in e["beside_twins_s"]:
                _positive(x)
            if "twins_epochs_per_s" in e:  # each twin's own epochs/s in each round (absent from older files)
                rates = e["twins_epochs_per_s"]
                if not (isinstance(rates, list) and len(rates) == len(e["backend_s"])
                        and all(isinstance(r, list) and len(r) == e["twins"] for r in rates)):
                    raise TypeError("twins_epochs_per_s must be a list with one list of `twins` rates per round")
                for r in rates:
                    for x in r:
                        _positive(x)
    return Point(b["name"], e["kind"], e["backend"], N, hidden, K, _positive(s["median"]), _positive(s["q1"]),
                 _positive(s["q3"]), _positive(s["mean"]), _nonnegative(s["stddev"]), _int_in(s["rounds"], 1, 10**9),
                 [_positive(x) for x in data], e)


def _nonnegative(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{value!r} is not a finite number >= 0")
    return float(value)


def _read(path: str):
    """The file's JSON: one document, or a stream (a header line and one benchmark per line) from an interrupted
    run. ResultsError for anything else."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ResultsError(f"{path}: cannot read ({e.strerror})") from None
    except UnicodeDecodeError as e:
        raise ResultsError(f"{path}: not UTF-8 text ({e.reason})") from None
    if text.startswith(STREAM_HEADER):
        return _from_stream_text(path, text)
    try:
        return json.loads(text)
    except RecursionError:
        raise ResultsError(f"{path}: malformed JSON (nested too deeply)") from None
    except json.JSONDecodeError as e:
        raise ResultsError(f"{path}: malformed JSON ({e})") from None


#: the first line of a stream file (.stream-*.jsonl): what `xorbench run` writes as benchmarks finish
STREAM_HEADER = '{"xorbench_stream"'


def _from_stream_text(path: str, text: str) -> dict:
    """A result file's content from a stream file: its header (machine facts) and every whole benchmark line; a
    last line cut short by an interruption is dropped."""
    lines = text.splitlines()
    try:
        header = json.loads(lines[0])
    except (json.JSONDecodeError, RecursionError) as e:
        raise ResultsError(f"{path}: malformed stream header ({e})") from None
    benchmarks = []
    for i, line in enumerate(lines[1:], start=2):
        try:
            benchmarks.append(json.loads(line))
        except (json.JSONDecodeError, RecursionError):
            if i == len(lines):
                break  # cut short by the interruption
            raise ResultsError(f"{path}: line {i} of the stream is malformed JSON") from None
    if not isinstance(header, dict):
        raise ResultsError(f"{path}: malformed stream header")
    return {"machine_info": header.get("machine_info"), "benchmarks": benchmarks,
            "datetime": header.get("datetime", "?"),
            "xorbench": {"schema": RUN_SCHEMA, "profile": header.get("profile", "?"), "interrupted": True,
                         "label": header.get("label")}}


def load(path: str) -> Run:
    """Read and check one result file (or the stream of an interrupted run); raise ResultsError, with one line
    naming the file and the problem, on anything unexpected."""
    raw = _read(path)
    _need(isinstance(raw, dict), path, "top level is not an object")
    xb = raw.get("xorbench")
    _need(isinstance(xb, dict) and xb.get("schema") == RUN_SCHEMA, path,
          f"no 'xorbench' section with schema {RUN_SCHEMA!r}; foreign or older schema")
    info = raw.get("machine_info")
    machine = info.get("xorbench") if isinstance(info, dict) else None
    _need(isinstance(machine, dict), path, "machine_info.xorbench missing or not an object")
    _need(isinstance(machine.get("backends", {}), dict)
          and all(isinstance(v, dict) for v in machine.get("backends", {}).values()), path,
          "machine_info.xorbench.backends is not an object of objects")
    for key in ("versions", "threads", "profile"):
        _need(isinstance(machine.get(key, {}), dict), path, f"machine_info.xorbench.{key} is not an object")
    timing = _timing(machine)
    _need(timing in TIMINGS, path, f"unknown timing {timing!r} in machine_info.xorbench.profile; a newer xorbench "
                                   "wrote it")
    _need(xb.get("label") is None or isinstance(xb.get("label"), str), path, "xorbench.label is not a string")
    for key in ("excluded", "check"):
        _need(xb.get(key) is None or isinstance(xb.get(key), dict), path, f"xorbench.{key} is not an object")
    benches = raw.get("benchmarks")
    _need(isinstance(benches, list), path, "'benchmarks' is not a list")
    points = []
    for i, b in enumerate(benches):
        try:
            points.append(_point(b))
        except (KeyError, TypeError, ValueError, OverflowError) as err:
            raise ResultsError(f"{path}: benchmark {i} is malformed ({type(err).__name__}: {err})") from None
    cpu = info.get("cpu")  # pytest-benchmark's own record (py-cpuinfo): the class, for runs older than cpu_class()
    if isinstance(cpu, dict) and "vector_isa" not in machine:
        flags = cpu.get("flags")
        machine.update(cpu_family=cpu.get("family"), cpu_model_number=cpu.get("model"),
                       vector_isa=vector_isa(flags) if isinstance(flags, list) and all(isinstance(f, str) for f in flags) else None)
    label = xb.get("label") or f"{cpu_label(machine)}, {machine.get('cores', '?')} cores"
    return Run(path, str(label), str(raw.get("datetime", "?")), machine, xb, points)
