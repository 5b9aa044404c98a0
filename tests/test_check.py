"""xorbench check: ULP distances, verdict classes, the bit-identity promise, JSON and exit codes."""
import json

import numpy as np
import pytest

import xorbench
from xorbench.bench.cli import main
from xorbench.impls import equivalence as eq
from xorbench.impls import registry
from xorbench.impls.c_impl import CBackend
from xorbench.impls.python_impl import PythonBackend

TINY = np.nextafter(0.0, 1.0)
SMALLEST_NORMAL = np.finfo(np.float64).tiny


@pytest.mark.parametrize("a,b,dist", [
    (1.0, np.nextafter(1.0, 2.0), 1),
    (1.0, np.nextafter(1.0, 0.0), 1),
    (1.0, 1.0, 0),
    (0.0, -0.0, 0),
    (0.0, TINY, 1),
    (-0.0, TINY, 1),
    (-TINY, TINY, 2),
    (SMALLEST_NORMAL, np.nextafter(SMALLEST_NORMAL, 0.0), 1),
    (SMALLEST_NORMAL, 0.0, 2**52),
    (np.finfo(np.float64).max, np.inf, 1),
    (-2.0, np.nextafter(-2.0, -3.0), 1),
    (-1.0, 1.0, 2 * 0x3FF0000000000000),
    (np.nan, np.nan, 0),
    (np.nan, 1.0, np.inf),
    (0.0, np.nan, np.inf),
])
def test_ulp_distance_known_pairs(a, b, dist):
    assert eq.ulp_distance(np.array([a]), np.array([b]))[0] == dist
    assert eq.ulp_distance(np.array([b]), np.array([a]))[0] == dist


def test_ulp_distance_many_steps():
    x = np.array([1e-310, 0.1, 3.0, -7.5])
    y = x.copy()
    for _ in range(37):
        y = np.nextafter(y, np.inf)
    assert eq.ulp_distance(x, y).tolist() == [37.0] * 4


def test_numba_and_c_are_identical_on_every_case():
    report = eq.check(["numba", "c"], epochs=2_000)
    assert {r.case for r in report.results} == {c.name for c in eq.CASES}
    bad = [(r.backend, r.case, r.verdict, r.max_ulp) for r in report.results if r.verdict != eq.IDENTICAL]
    assert not bad
    assert report.ok and report.worst() == {"numba": eq.IDENTICAL, "c": eq.IDENTICAL}


def test_numpy_is_within_tolerance_and_says_why():
    report = eq.check(["numpy"], epochs=2_000)
    assert report.ok
    assert all(r.verdict in (eq.IDENTICAL, eq.ULP4, eq.WITHIN) for r in report.results)
    assert "BLAS" in report.notes["numpy"] and "pairwise" in report.notes["numpy"]
    assert "BLAS" in eq.format_table(report)


# ---- deliberately perturbed backends, registered only inside these tests


def _nudge(a, ulps):
    a = np.array(a)
    for _ in range(ulps):
        a.flat[0] = np.nextafter(a.flat[0], np.inf)
    return a


class _Perturbed(CBackend):
    equivalence = "reordered"
    difference = "perturbed on purpose by a test"
    ulps = 0
    rel = 0.0

    def _prepare(self, job):
        run = super()._prepare(job)

        def perturbed(epochs, record_every, losses, want_loss=True):
            final = run(epochs, record_every, losses, want_loss)
            job.w1[...] = _nudge(job.w1, self.ulps) * (1.0 + self.rel)
            return final

        return perturbed


class Exact(_Perturbed):
    name = "exact"


class ThreeUlp(_Perturbed):
    name = "three-ulp"
    ulps = 3


class ThousandUlp(_Perturbed):
    name = "thousand-ulp"
    ulps = 1000


class Broken(_Perturbed):
    name = "broken"
    rel = 1e-6


class BitwiseOffByOne(_Perturbed):
    name = "bitwise-off-by-one"
    equivalence = "bitwise"
    ulps = 1


@pytest.fixture
def perturbed(monkeypatch):
    monkeypatch.setattr(registry, "_loaded", {})
    for cls in (Exact, ThreeUlp, ThousandUlp, Broken, BitwiseOffByOne):
        monkeypatch.setitem(registry.BACKENDS, cls.name, f"{__name__}:{cls.__name__}")


CANONICAL = [c for c in eq.CASES if c.name in ("xor", "notebook-003")]


@pytest.mark.parametrize("name,verdict", [
    ("exact", eq.IDENTICAL),
    ("three-ulp", eq.ULP4),
    ("thousand-ulp", eq.WITHIN),
    ("broken", eq.FAIL),
    ("bitwise-off-by-one", eq.FAIL),
])
def test_perturbed_backends_get_the_right_verdict(perturbed, name, verdict):
    report = eq.check([name], epochs=50, cases=CANONICAL)
    assert report.worst() == {name: verdict}
    assert report.ok == (verdict != eq.FAIL)
    for r in report.results:
        if verdict != eq.IDENTICAL:
            assert r.params_differ and r.first_diff_epoch == r.epochs  # only the returned w1 was touched


def test_check_exit_codes_and_json(perturbed, tmp_path, capsys):
    out = tmp_path / "check.json"
    assert main(["check", "--backends", "c,three-ulp", "--epochs", "20", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["schema"] == eq.SCHEMA and data["ok"] is True
    assert data["verdicts"] == {"c": eq.IDENTICAL, "three-ulp": eq.ULP4}
    assert {r["case"] for r in data["results"]} == {c.name for c in eq.CASES}
    assert main(["check", "--backends", "c,broken", "--epochs", "20"]) == 1
    assert "FAIL" in capsys.readouterr().out
    assert main(["check", "--backends", "fortran"]) == 2
    assert main(["check", "--epochs", "0"]) == 2


def test_unavailable_backend_is_reported_not_dropped(monkeypatch):
    monkeypatch.setattr(registry, "_loaded", {})
    monkeypatch.setitem(registry.BACKENDS, "ghost", "xorbench.impls.no_such_module:Ghost")
    report = eq.check(["ghost"], epochs=5, cases=CANONICAL[:1])  # asked for by name: it must load
    assert not report.ok and report.worst() == {"ghost": eq.UNAVAILABLE}
    assert "no_such_module" in report.notes["ghost"]
    everything = eq.check(epochs=5, cases=CANONICAL[:1])  # every registered backend: an optional one may be missing
    assert everything.ok and everything.worst()["ghost"] == eq.UNAVAILABLE and "ghost" in eq.format_table(everything)
    monkeypatch.setattr(registry, "CORE", (*registry.CORE, "ghost"))
    monkeypatch.setattr(eq, "CORE", registry.CORE)
    assert not eq.check(epochs=5, cases=CANONICAL[:1]).ok  # a core backend may not


def test_first_divergence_epoch_is_found():
    class Late(PythonBackend):
        equivalence = "reordered"

        def _train(self, job, losses):
            final = super()._train(job, losses)
            if losses.size > 7:
                losses[7:] = _nudge(losses[7:], 2)
            return final

    case = eq.CASES[0]
    params, X, Y = case.problem()
    kw = dict(epochs=30, lr=case.lr, loss=case.loss, record_every=1)
    want = xorbench.get_backend("python").train(params, X, Y, **kw)
    r = eq.compare("late", "reordered", case, 30, Late().train(params, X, Y, **kw), want)
    assert r.first_diff_epoch == 7 and r.max_ulp_losses == 2 and r.verdict == eq.ULP4
