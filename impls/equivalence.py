"""Cross-implementation equivalence, measured: ULP distances, first divergence, and a verdict per backend and case.

Every backend trains from the same seeded parameters on a fixed set of cases; each result is compared
with the pure-Python reference's. Verdicts, best first:
    identical          0 ULP in every final parameter, the final loss and the whole loss history
    <= 4 ULP           not identical, at most 4 ULP anywhere
    within tolerance   more than 4 ULP, but within the backend's LONG_RUN_RTOL (impls.tolerances)
    FAIL               beyond what the backend promises: for a "bitwise" backend, anything not identical
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from .core import BackendUnavailable, init_params, noisy_xor, xor_dataset
from .registry import CORE, REFERENCE, get_backend, names
from .tolerances import LONG_RUN_RTOL, params_rel_err, rel_err

IDENTICAL, ULP4, WITHIN, FAIL, UNAVAILABLE = "identical", "<= 4 ULP", "within tolerance", "FAIL", "unavailable"
VERDICT_ORDER = (IDENTICAL, ULP4, WITHIN, FAIL, UNAVAILABLE)
SCHEMA = "xorbench-check/1"
DEFAULT_EPOCHS = 10_000

_MAGNITUDE = np.int64(0x7FFF_FFFF_FFFF_FFFF)


def _ordered(a: np.ndarray) -> np.ndarray:
    """float64 -> int64 keys whose order and differences follow the floats': +0 and -0 both map to 0."""
    bits = np.ascontiguousarray(a, dtype=np.float64).view(np.int64)
    return np.where(bits < 0, -(bits & _MAGNITUDE), bits)


def ulp_distance(a, b) -> np.ndarray:
    """Elementwise distance in units in the last place between float64 arrays, as float64.

    Equal values (+0 and -0 included) are 0 apart; adjacent floats are 1 apart, across zero and through the
    subnormals too. NaN against NaN is 0; NaN against a number is inf. Distances beyond 2**53 are rounded.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    ka, kb = _ordered(a), _ordered(b)
    same_side = (ka >= 0) == (kb >= 0)
    with np.errstate(over="ignore"):
        near = np.abs(np.where(same_side, ka - kb, 0)).astype(np.float64)
    far = np.abs(ka.astype(np.float64)) + np.abs(kb.astype(np.float64))
    dist = np.where(same_side, near, far)
    na, nb = np.isnan(a), np.isnan(b)
    dist = np.where(na | nb, np.where(na & nb, 0.0, np.inf), dist)
    return dist


@dataclass(frozen=True)
class Case:
    """One training setting every backend runs from the same seeded parameters."""

    name: str
    what: str
    sizes: tuple = (2, 4, 1)
    data: str = "xor"  # "xor", "noisy:<n>" or "random:<n>"
    bias: bool = True
    scheme: str = "uniform"
    loss: str = "mse"
    lr: float = 1.0
    epochs: int | None = None  # None: the run's epoch count; else fixed
    epochs_per_10k: int | None = None  # scaled: this many per 10,000 of the run's epoch count

    def epoch_count(self, epochs: int) -> int:
        if self.epochs is not None:
            return self.epochs
        if self.epochs_per_10k is not None:
            return max(1, epochs * self.epochs_per_10k // 10_000)
        return epochs

    def problem(self, seed: int = 0):
        """(params, X, Y): parameters from init_params(seed=seed), random data from default_rng(seed)."""
        n_in, n_hidden, n_out = self.sizes
        if self.data == "xor":
            X, Y = xor_dataset()
        elif self.data.startswith("noisy:"):
            X, Y = noisy_xor(int(self.data.split(":")[1]), seed=0)
        else:
            rng = np.random.default_rng(seed)
            n = int(self.data.split(":")[1])
            X, Y = rng.normal(size=(n, n_in)), rng.random((n, n_out))
        return init_params(n_in, n_hidden, n_out, seed=seed, bias=self.bias, scheme=self.scheme), X, Y


CASES = (
    Case("xor", "canonical XOR, 2-4-1, mse, lr 1, U(-1, 1)"),
    Case("notebook-003", "write-up 003's notebook: no bias, sse, U[0, 1)", bias=False, scheme="rand01", loss="sse"),
    Case("odd-3-7-2", "odd sizes 3-7-2 on 16 random samples, xavier", sizes=(3, 7, 2), data="random:16",
         scheme="xavier", lr=0.5),
    # lr 0.2, not more: at lr 0.5 a 256-wide layer is chaotic and one ULP grows to 30% in 50 epochs
    Case("wide-256", "a wide hidden layer: 2-256-1 on XOR, lr 0.2", sizes=(2, 256, 1), lr=0.2, epochs_per_10k=200),
    Case("batch-4096", "a large noisy batch: N=4096, 2-4-1", data="noisy:4096", epochs_per_10k=20),
    Case("saturation", "huge lr=1000 saturates the sigmoids", lr=1000.0, epochs_per_10k=1000),
    Case("epochs-0", "no training: the initial loss", epochs=0),
    Case("epochs-1", "a single step", epochs=1),
)


@dataclass
class Comparison:
    """How one backend's run of one case compares with the reference's."""

    backend: str
    case: str
    epochs: int
    verdict: str
    ok: bool
    max_abs: float = 0.0
    max_rel: float = 0.0
    max_ulp_params: float = 0.0
    max_ulp_losses: float = 0.0
    first_diff_epoch: int | None = None  # first recorded loss (start of that epoch) that differs at all
    params_differ: bool = False
    tolerance: float = 0.0
    note: str = ""

    @property
    def max_ulp(self) -> float:
        return max(self.max_ulp_params, self.max_ulp_losses)


@dataclass
class CheckReport:
    epochs: int
    reference: str
    cases: list
    results: list = field(default_factory=list)
    notes: dict = field(default_factory=dict)  # backend -> why it is not bit-identical, or why unavailable

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def worst(self) -> dict[str, str]:
        """Each backend's worst verdict over all cases."""
        out: dict[str, str] = {}
        for r in self.results:
            if r.backend not in out or VERDICT_ORDER.index(r.verdict) > VERDICT_ORDER.index(out[r.backend]):
                out[r.backend] = r.verdict
        return out

    def to_json(self) -> dict:
        return {
            "schema": SCHEMA,
            "reference": self.reference,
            "epochs": self.epochs,
            "ok": self.ok,
            "cases": [{**asdict(c), "epochs": c.epoch_count(self.epochs)} for c in self.cases],
            "verdicts": self.worst(),
            "notes": self.notes,
            "results": [asdict(r) for r in self.results],
        }


def compare(backend_name: str, equivalence: str, case: Case, epochs: int, got, want) -> Comparison:
    """Measure one result against the reference's and give it a verdict."""
    tol = LONG_RUN_RTOL[equivalence]
    params = [(got.params.arrays()[k], v) for k, v in want.params.arrays().items()]
    final_loss = (np.array([got.loss]), np.array([want.loss]))
    ulp_params = max(float(ulp_distance(a, b).max()) for a, b in params)
    ulp_losses = max(float(ulp_distance(*final_loss)[0]),
                     float(ulp_distance(got.losses, want.losses).max()) if want.losses.size else 0.0)
    max_abs = max(float(np.max(np.abs(a - b))) for a, b in params + [final_loss, (got.losses, want.losses)] if b.size)
    max_rel = max(params_rel_err(got.params, want.params), rel_err(got.loss, want.loss),
                  rel_err(got.losses, want.losses))
    differ = np.flatnonzero(_ordered(got.losses) != _ordered(want.losses))
    params_differ = ulp_params > 0
    # the first recorded epoch that differs; else `epochs` if only the end differs (its parameters or its loss)
    first = int(differ[0]) if differ.size else (epochs if params_differ or ulp_losses > 0 else None)
    if ulp_params == 0 and ulp_losses == 0:
        verdict = IDENTICAL
    elif not (max_rel <= tol):
        verdict = FAIL
    elif max(ulp_params, ulp_losses) <= 4:
        verdict = ULP4
    else:
        verdict = WITHIN
    return Comparison(backend_name, case.name, epochs, verdict, verdict != FAIL, max_abs, max_rel,
                      ulp_params, ulp_losses, first, params_differ, tol)


def check(backends=None, epochs: int = DEFAULT_EPOCHS, cases=CASES, progress=None) -> CheckReport:
    """Train every backend (default: all registered but the reference) on every case and compare."""
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    # an optional backend (a peer, another package's) that cannot load is reported, with why and the fix, but
    # fails the check only if it was asked for by name; a core backend always must load
    required = set(backends) if backends else set(CORE)
    backends = [b for b in (backends or names()) if b != REFERENCE]
    report = CheckReport(epochs, REFERENCE, list(cases))
    reference = get_backend(REFERENCE)
    loaded = {}
    for name in backends:
        try:
            loaded[name] = get_backend(name)
            if loaded[name].equivalence != "bitwise":
                report.notes[name] = loaded[name].difference
        except BackendUnavailable as e:
            report.notes[name] = str(e)
    for case in cases:
        params, X, Y = case.problem()
        n = case.epoch_count(epochs)
        kw = dict(epochs=n, lr=case.lr, loss=case.loss, record_every=1)
        want = reference.train(params, X, Y, **kw)
        for name in backends:
            if progress:
                progress(name, case.name)
            if name not in loaded:
                report.results.append(Comparison(name, case.name, n, UNAVAILABLE, name not in required,
                                                 note=report.notes[name]))
                continue
            be = loaded[name]
            report.results.append(compare(name, be.equivalence, case, n, be.train(params, X, Y, **kw), want))
    return report


def format_table(report: CheckReport) -> str:
    """The verdict table, one row per backend and case, then each backend's worst verdict and why."""

    def num(v, fmt):
        return "-" if v == 0 else format(v, fmt)

    head = f"{'backend':<10} {'case':<13} {'epochs':>6}  {'verdict':<16} {'ULP params':>10} {'ULP losses':>10} " \
           f"{'max abs':>9} {'max rel':>9}  first diff"
    lines = [f"equivalence against {report.reference!r} (same seeded parameters, loss recorded every epoch)",
             head, "-" * len(head)]
    for r in report.results:
        if r.verdict == UNAVAILABLE:
            lines.append(f"{r.backend:<10} {r.case:<13} {r.epochs:>6}  {r.verdict}")
            continue
        first = ("-" if r.first_diff_epoch is None else f"epoch {r.first_diff_epoch}" if r.first_diff_epoch < r.epochs
                 else "final params" if r.params_differ else "final loss")
        lines.append(f"{r.backend:<10} {r.case:<13} {r.epochs:>6}  {r.verdict:<16} {num(r.max_ulp_params, '.3g'):>10} "
                     f"{num(r.max_ulp_losses, '.3g'):>10} {num(r.max_abs, '.2e'):>9} {num(r.max_rel, '.2e'):>9}  {first}")
    lines.append("")
    for name, verdict in report.worst().items():
        line = f"{name}: {verdict}"
        if report.notes.get(name):
            line += f" ({report.notes[name]})"
        lines.append(line)
    lines.append("OK" if report.ok else "FAIL: a backend differs from the reference beyond what it promises")
    return "\n".join(lines)
