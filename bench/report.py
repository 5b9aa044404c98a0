"""Speed reports from one or more result files: report.md, a self-contained report.html, and PNG plots."""
from __future__ import annotations

import base64
import html
import math
import os
import re

from xorbench.bench.profiles import TIMINGS
from xorbench.bench.results import NOISE_CV, PAIR_FIELDS, TOLD_APART, Run, paired_ratio, speedup, write_atomic
from xorbench.impls.registry import PEERS, REFERENCE

TRADES = ("fma", "simd", "threads", "exp", "fastmath", "gil")  # what Backend.info() declares for every backend
# matplotlib's ten default colours and three dark ones: every core, fast and peer backend gets a colour of its own
COLOURS = tuple(f"C{i}" for i in range(10)) + ("#393b79", "#637939", "#843c39")
MARKERS = "osD^v<>ph*P"  # 11 markers against 13 colours: 143 backends before both repeat (no "x": a black x marks a
#   noisy point)


def line_style(i: int) -> dict:
    """The colour and marker of the i-th backend of a run, the same in every plot, so lines that overlap stay
    apart and no two backends look alike."""
    return {"color": COLOURS[i % len(COLOURS)], "marker": MARKERS[i % len(MARKERS)]}


def rate(x: float) -> str:
    """A rate with an SI suffix: 3.95M, 57.6k."""
    if not math.isfinite(x):
        return "-"
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= div:
            return f"{x / div:.3g}{unit}"
    return f"{x:.3g}"


def ratio(x: float) -> str:
    return "-" if not math.isfinite(x) else (f"{x:.3g}×" if x < 100 else f"{x:,.0f}×")


def ratio_with_ci(r: float, lo: float, hi: float) -> str:
    """`2.60× (2.52–2.68)`: a ratio and its 95% interval; a tie when the interval holds 1."""
    if not math.isfinite(lo):
        return ratio(r)
    core = f"{ratio(r)} ({_num(lo)}–{_num(hi)})"
    return f"tie: {core}" if lo <= 1 <= hi else core


def _num(x: float) -> str:
    return f"{x:.3g}" if x < 100 else f"{x:,.0f}"


def versus(p, q, per: str = "epoch") -> str:
    """How many times faster p is than q, with its interval ("1×" for a point against itself)."""
    if p is q:
        return "1×"
    return ratio_with_ci(*speedup(p, q, per))


class Table:
    def __init__(self, title, header, rows, notes=()):
        self.title, self.header, self.rows, self.notes = title, header, rows, list(notes)

    def md(self) -> str:
        out = [f"### {self.title}", "", "| " + " | ".join(self.header) + " |",
               "|" + "|".join("---" for _ in self.header) + "|"]
        out += ["| " + " | ".join(str(c) for c in r) + " |" for r in self.rows]
        out += [""] + [f"{n}  " for n in self.notes]
        return "\n".join(out) + "\n"

    def html(self) -> str:
        head = "<tr>" + "".join(f"<th>{_inline(h)}</th>" for h in self.header) + "</tr>" if any(self.header) else ""
        body = "".join("<tr>" + "".join(_cell(c) for c in r) + "</tr>" for r in self.rows)
        notes = "".join(f"<p class='note'>{_inline(n)}</p>" for n in self.notes)
        return f"<h3>{_inline(self.title)}</h3><div class='scroll'><table>{head}{body}</table></div>{notes}"


NUMERIC = re.compile(r"^(tie: )?[-+]?[\d.,]+(e[-+]?\d+)?\s*(×|[kMG%]|µs|ms|s)?(–[\d.,]+[kMG]?)?(\s*\(.*\))?$")


def _cell(value) -> str:
    """A table cell: numbers (and ratios, rates) right-aligned and never wrapped; prose left-aligned."""
    text = str(value)
    cls = " class='num'" if NUMERIC.match(text.strip()) else ""
    return f"<td{cls}>{_inline(text)}</td>"


def _inline(text: str) -> str:
    """Escaped text with `code` spans as <code>, as Markdown shows them."""
    parts = html.escape(str(text)).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _flag(p) -> str:
    n = p.noise()
    return f"⚠ noisy: {n}" if n else ""


def xor_table(run: Run) -> Table:
    pts = {p.backend: p for p in run.by_kind("xor")}
    fastest = max(pts.values(), key=lambda p: p.epochs_per_s, default=None)
    ref = pts.get(REFERENCE)
    rows = []
    for b in run.backends:
        if b not in pts:
            continue
        p = pts[b]
        lo, hi = p.epochs_per_s_iqr
        rows.append([b, rate(p.epochs_per_s), f"{rate(lo)}–{rate(hi)}", versus(p, ref) if ref else "-",
                     versus(p, fastest), f"{p.K:,}", p.rounds, _flag(p)])
    return Table("Canonical XOR (2-4-1, N=4, lr 1): epochs/s",
                 ["backend", "epochs/s", "IQR", f"× vs {REFERENCE}", "× vs fastest", "K epochs/call", "rounds", "noise"],
                 rows, ["epochs/s = K / median call time; IQR from the first and third quartile of call times. Ratios "
                        "carry a 95% bootstrap interval from the rounds; one whose interval holds 1 is a tie."])


def notebook_table(run: Run) -> Table | None:
    pts = {p.backend: p for p in run.by_kind("notebook")}
    base = pts.get("notebook-numpy")
    if not pts:
        return None
    rows = [[b, rate(p.epochs_per_s), ratio(p.epochs_per_s / base.epochs_per_s) if base else "-", _flag(p)]
            for b, p in sorted(pts.items(), key=lambda bp: run.backends.index(bp[0]))]
    return Table("Write-up 003's notebook setting (2-4-1, no biases, sse, U[0, 1), lr 1, N=4): epochs/s",
                 ["backend", "epochs/s", "× vs the notebook's NumPy code", "noise"], rows,
                 ["notebook-numpy is the notebook's own code, transcribed in bench/notebook_baseline.py."])


def _difference(us: float) -> str:
    """A difference of two timings in µs; one below zero is noise, shown as ≈0 with its value."""
    return f"{us:.2f}" if us >= 0 else f"≈0 ({us:.2f})"


def boundary_table(run: Run) -> Table | None:
    pts = {p.backend: p for p in run.by_kind("boundary")}
    if not pts:
        return None
    rows = []
    for b in [b for b in run.backends if b in pts]:
        e = pts[b].extra
        rows.append([b, f"{e['step1_us']:.2f}", f"{e['bare0_us']:.2f}", _difference(e['bare1_us'] - e['bare0_us']),
                     _difference(e['step1_us'] - e['bare1_us']), e["bare_via"], f"{e['train1_us']:.1f}",
                     _flag(pts[b])])
    notes = ["step(1): one epoch through a Trainer, whose arguments were validated and copied once (the C backends "
             "call their kernel's *_run entry point with the arguments prepared in one struct). Bare call: the "
             "kernel with every argument prepared (for cffi and ctypes, the foreign call of its *_train entry point "
             "alone, all 23 arguments ready). One epoch of work: "
             "the bare call for one epoch less the bare call for none. Python-side: step(1) less the bare call for "
             "one epoch. train(epochs=1): the one-shot API, which validates, copies and builds a result every call. "
             "All timed the same way: the best of 5 timings of many calls; a difference below zero (≈0) is smaller "
             "than the timings' noise."]
    c = pts.get("c")
    if c:
        base = c.extra["bare1_us"]
        notes.append("Against the bare cffi call of c's kernel for one epoch (" + f"{base:.2f} µs): " + ", ".join(
            f"{b} step(1) {ratio(pts[b].extra['step1_us'] / base)}" for b in ("c", "numba", "c-ctypes") if b in pts)
            + ".")
    return Table("Crossing the boundary (canonical XOR, one epoch per call): µs per call",
                 ["backend", "step(1)", "bare call, 0 epochs", "one epoch of work", "Python-side", "bare call is",
                  "train(epochs=1)", "noise"], rows, notes)


def granularity_table(run: Run) -> Table | None:
    pts = {p.backend: p for p in run.by_kind("granularity")}
    if not pts:
        return None
    xor = {p.backend: p for p in run.by_kind("xor")}
    ks = sorted({k for p in pts.values() for k, _ in p.extra["curve"]})
    rows = []
    for b in [b for b in run.backends if b in pts]:
        curve = dict((int(k), r) for k, r in pts[b].extra["curve"])
        whole = xor[b].epochs_per_s if b in xor else curve[max(curve)]
        enough = next((k for k in sorted(curve) if curve[k] >= 0.9 * whole), None)
        rows.append([b, *(rate(curve[k]) if k in curve else "-" for k in ks), rate(whole),
                     f"{enough:,}" if enough else f"> {max(curve):,}"])
    return Table("Granularity: epochs/s with K epochs per call (canonical XOR, through a Trainer)",
                 ["backend", *(f"K={k:,}" for k in ks), "whole loop", "smallest K within 10%"], rows,
                 ["Whole loop: the canonical XOR benchmark's epochs/s in this run. Driving the loop from Python costs "
                  "nothing measurable once each call carries at least the last column's K epochs. K stops growing "
                  "once one call lasts ten times the profile's target time."])


def fast_rows_table(run: Run) -> Table | None:
    """The fast rows against the plain -ffast-math loop, one thread: on XOR and at N=65536. Backends with
    interleaved rounds (test_against_plain_loop) get the median of their per-round ratios and its 95% interval;
    the others the ratio of two benchmarks timed apart."""
    base = {p.N: p for p in run.by_kind("baseline")}
    pairs = {(p.backend, p.N): p for p in run.by_kind("plain_pair")}
    if not base and not pairs:
        return None
    xor = {p.backend: p for p in run.by_kind("xor")}
    batch = {(p.backend, p.N): p for p in run.by_kind("batch")}
    one = {(p.backend, p.N): p for p in run.by_kind("threads") if p.extra.get("threads") == 1}

    def cell(b, n, apart):
        pair = pairs.get((b, n))
        if pair is not None:
            return pair_cell(pair) + " (interleaved)"
        if apart is None or n not in base:
            return "-"
        unit = apart.epochs_per_s if n == 4 else apart.samples_per_s
        return ratio(unit / (base[n].epochs_per_s if n == 4 else base[n].samples_per_s))

    rows = []
    for b in [b for b in run.backends if b in xor or any(k[0] == b for k in one) or any(k[0] == b for k in pairs)]:
        rows.append([b, cell(b, 4, xor.get(b)), cell(b, 65536, one.get((b, 65536)) or batch.get((b, 65536)))])
    notes = ["Ratios above 1 beat the baseline: bench/plain_loop.c, a plain scalar 2-4-1 loop compiled "
             "-O3 -march=native -ffast-math" + (", " + ", ".join(f"{rate(p.epochs_per_s)} epochs/s at N={n:,}"
                                                                  for n, p in sorted(base.items())) if base else "")
             + ". (interleaved): each round timed the plain loop and then the backend (one thread) back to back, "
             "each call ten times the profile's target time, "
             "and the cell is the median of the rounds' ratios with its 95% interval, so a neighbour's load on the "
             "shared machine falls on both. The other cells divide two benchmarks timed apart: N=65536 uses each "
             "threaded backend's one-thread run (threads benchmark) and the batch sweep's point for the rest."]
    return Table("The fast rows against what the compiler gives for free (one thread)",
                 ["backend", "× plain -ffast-math loop on XOR", "× it at N=65536 (samples/s)"], rows, notes)


def pair_cell(pair) -> str:
    """An interleaved benchmark's median per-round speed ratio (backend against its reference) and 95% interval."""
    ref_s_key, ref_k_key = PAIR_FIELDS[pair.kind]
    ref = [t / pair.extra[ref_k_key] for t in pair.extra[ref_s_key]]
    mine = [t / pair.K for t in pair.extra["backend_s"]]
    return ratio_with_ci(*paired_ratio(ref, mine))


def ceiling_cells(pair) -> list[str]:
    """A threads_pair's ceiling, the machine's epochs/s beside twins over the one-thread call's alone, and the
    speed-up as a fraction of it, each the median of per-round ratios with its 95% interval; "-" where no twins
    ran. The machine's epochs/s: the main call's beside twins plus each twin's own (from files without the twins'
    rates, cores x the main call's, as if every core ran at its speed)."""
    if "beside_twins_s" not in pair.extra:
        return ["-", "-"]
    cores = pair.extra["twins"] + 1
    k_one = pair.extra["K_one_thread"]
    alone = [t / k_one for t in pair.extra["one_thread_s"]]
    if "twins_epochs_per_s" in pair.extra:  # seconds per epoch of the whole machine, every core at work
        machine = [1 / (k_one / t + sum(rates))
                   for t, rates in zip(pair.extra["beside_twins_s"], pair.extra["twins_epochs_per_s"])]
    else:
        machine = [t / k_one / cores for t in pair.extra["beside_twins_s"]]
    every_core = [t / pair.K for t in pair.extra["backend_s"]]
    return [ratio_with_ci(*paired_ratio(alone, machine)), ratio_with_ci(*paired_ratio(machine, every_core))]


def against_simd_table(run: Run) -> Table | None:
    """The other fast rows against c-simd, both on one thread, interleaved, at every batch-sweep point."""
    pairs = run.by_kind("simd_pair")
    if not pairs:
        return None
    ns = sorted({p.N for p in pairs})
    at = {(p.backend, p.N): p for p in pairs}
    rows = [[b, *(pair_cell(at[b, n]) if (b, n) in at else "-" for n in ns)]
            for b in run.backends if any(k[0] == b for k in at)]
    return Table("The fast rows against c-simd (one thread each, interleaved)",
                 ["backend", *(f"N={n:,}" + (" (XOR)" if n == 4 else "") for n in ns)], rows,
                 ["Each cell: how many times c-simd's speed the backend reaches, the median of per-round ratios "
                  "with its 95% interval; every round timed c-simd and then the backend (both on one thread) back "
                  "to back, each call ten times the profile's target time. N=4 is canonical XOR at lr 1, the "
                  "other points the batch sweep's noisy XOR at lr 0.1."])


def sweep_series(run: Run, kind: str, fixed: int | None = None):
    """{backend: [(x, point)]} sorted by x: N for the batch sweep, hidden (at N=fixed) for the hidden sweep."""
    series = {}
    for p in run.by_kind(kind):
        if kind == "hidden" and p.N != fixed:
            continue
        x = p.N if kind == "batch" else p.hidden
        series.setdefault(p.backend, []).append((x, p))
    order = [b for b in run.backends if b in series]
    return {b: sorted(series[b], key=lambda t: t[0]) for b in order}


def _order(p, q) -> float:
    """log(p's samples/s over q's), or 0 where the two are level: the ratio within TOLD_APART of 1, or its 95%
    interval holding 1 (a tie). Points without rounds to resample (no interval) are ordered by their medians."""
    r, lo, hi = speedup(p, q, "sample")
    return 0.0 if abs(math.log(r)) <= math.log1p(TOLD_APART) or lo <= 1 <= hi else math.log(r)


def crossovers(series, xname: str) -> tuple[list[str], int]:
    """Sentences for every pair of backends whose order in samples/s flips between two sweep points where they are
    told apart (_order), level points in between skipped; and how many flips at level points were left out."""
    out, within_noise = [], 0
    names = list(series)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            pa, pb = dict(series[a]), dict(series[b])
            xs = sorted(set(pa) & set(pb))
            raw = [math.log(pa[x].samples_per_s / pb[x].samples_per_s) for x in xs]
            flips = sum(d0 * d1 < 0 for d0, d1 in zip(raw, raw[1:]))
            if not flips:
                continue  # the order never changes: no interval needed
            told = [(x, _order(pa[x], pb[x])) for x in xs]
            told = [(x, d) for x, d in told if d != 0]
            found = 0
            for (x0, d0), (x1, d1) in zip(told, told[1:]):
                if d0 * d1 >= 0:
                    continue
                found += 1
                winner, loser = (a, b) if d1 > 0 else (b, a)
                # where the log speed ratio crosses zero, interpolated on a log axis
                t = d0 / (d0 - d1)
                at = math.exp(math.log(x0) + t * (math.log(x1) - math.log(x0)))
                out.append(f"{winner} overtakes {loser} between {xname}={x0} and {xname}={x1} "
                           f"(≈ {xname}={at:.0f} by log interpolation).")
            within_noise += max(flips - found, 0)
    return out, within_noise


def sweep_table(run: Run, kind: str, fixed: int | None = None) -> Table | None:
    series = sweep_series(run, kind, fixed)
    if not series:
        return None
    xname = "N" if kind == "batch" else "hidden"
    at = {b: dict(s) for b, s in series.items()}  # backend -> {x: point}
    xs = sorted({x for points in at.values() for x in points})
    rows = []
    for x in xs:
        row = [x]
        for points in at.values():
            p = points.get(x)
            row.append("-" if p is None else f"{rate(p.samples_per_s)} ({rate(p.epochs_per_s)} ep/s)"
                       + (" ⚠" if p.noise() else ""))
        ref = at.get(REFERENCE, {}).get(x)
        best = max((points[x] for points in at.values() if x in points), key=lambda p: p.samples_per_s)
        row.append(f"{best.backend} ({versus(best, ref, 'sample') if ref else '-'} vs {REFERENCE})")
        rows.append(row)
    title = ("Batch sweep (hidden 4, lr 0.1): samples/s (epochs/s)" if kind == "batch"
             else f"Hidden-width sweep (N={fixed}, lr 0.1): samples/s (epochs/s)")
    notes, within_noise = crossovers(series, xname)
    notes = notes or [f"No crossovers: the order of backends is the same at every {xname} where it is told apart."]
    if within_noise:
        notes.append(f"{within_noise} more swap(s) of order between neighbouring points left out: at one point or "
                     f"both the two were level (within {TOLD_APART:.0%}, or a 95% interval holding 1), closer than "
                     "points timed apart can be told apart. A crossover is stated only between points where the "
                     "order is clear, level points in between skipped.")
    if any(p.noise() for s in series.values() for _, p in s):
        notes.append("⚠ marks a noisy point.")
    return Table(title, [xname, *series, "fastest"], rows, notes)


def roofline_table(run: Run) -> Table | None:
    """Every timed point against the machine's ceiling (bench/roofline.py), as % of it."""
    from xorbench.bench.roofline import CEILING_SLACK, binding, ceiling, latency_ceiling

    peaks = run.peaks
    if peaks is None:
        return None
    points = [p for p in run.points if p.kind in ("xor", "batch", "hidden")]
    keys = sorted({(p.kind, p.N, p.hidden) for p in points}, key=lambda k: (("xor", "batch", "hidden").index(k[0]), k[2], k[1]))
    names = [b for b in run.backends if any(p.backend == b for p in points)]
    rows, worst = [], (0.0, None)
    for kind, n, hidden in keys:
        top = ceiling(peaks, n, hidden)
        row = [kind, n, hidden, rate(top), binding(peaks, n, hidden)]
        for b in names:
            p = next((p for p in points if (p.kind, p.N, p.hidden, p.backend) == (kind, n, hidden, b)), None)
            if p is None:
                row.append("-")
                continue
            share = p.epochs_per_s / top
            if share > worst[0]:
                worst = (share, f"{b} at {kind} N={n} hidden={hidden}")
            row.append(f"{share:.1%}" + (" ⚠ above the ceiling: model bug" if share > CEILING_SLACK else ""))
        rows.append(row)
    exps = ("" if math.isnan(peaks.exp_own) else
            f" (the fastest of c-simd's own, {rate(peaks.exp_own)}/s, and glibc's libmvec, {rate(peaks.exp_libmvec)}/s"
            + ("" if math.isnan(peaks.exp_libmvec8) else f" with 4 lanes and {rate(peaks.exp_libmvec8)}/s with 8")
            + ")")
    lat = ("" if math.isnan(latency_ceiling(peaks, 4)) else
           f" Latencies, from one dependent chain each: exp {peaks.lat_exp * 1e9:.1f} ns, 1/(1+v) "
           f"{peaks.lat_div * 1e9:.1f} ns, FMA {peaks.lat_fma * 1e9:.2f} ns; one epoch's critical path bounds "
           f"2-4-1 at {rate(latency_ceiling(peaks, 4))} epochs/s however few the samples ('binds': latency).")
    notes = [f"Peaks on one core: exp {rate(peaks.exp)}/s{exps}, division {rate(peaks.div)}/s, FMA "
             f"{rate(peaks.fma)}/s (element operations, AVX2 vectors); {peaks.cores} cores, used by the model from "
             f"N=4096.{lat}",
             f"Calibration: the closest any kernel came is {worst[0]:.1%} of the ceiling ({worst[1]})."]
    return Table("Roofline: the model's ceiling in epochs/s, and each backend as % of it",
                 ["benchmark", "N", "hidden", "ceiling epochs/s", "binds", *names], rows, notes)


def threads_table(run: Run) -> Table | None:
    """One thread against every core: the two benchmarks' epochs/s and their ratio, and where the interleaved
    benchmark ran (test_threads_interleaved), the median of its per-round ratios."""
    pts = run.by_kind("threads")
    pairs = {(p.backend, p.N): p for p in run.by_kind("threads_pair")}
    if not pts and not pairs:
        return None
    rows = []
    for name in dict.fromkeys([p.backend for p in pts] + [b for b, _ in pairs]):
        for n in sorted({p.N for p in pts if p.backend == name} | {m for b, m in pairs if b == name}):
            one = next((p for p in pts if p.backend == name and p.N == n and p.extra.get("threads") == 1), None)
            many = next((p for p in pts if p.backend == name and p.N == n and p.extra.get("threads") == "all"), None)
            pair = pairs.get((name, n))
            rows.append([name, n, rate(one.epochs_per_s) if one else "-", rate(many.epochs_per_s) if many else "-",
                         ratio(many.epochs_per_s / one.epochs_per_s) if one and many else "-",
                         pair_cell(pair) if pair else "-", *(ceiling_cells(pair) if pair else ["-", "-"]),
                         (one and _flag(one)) or (many and _flag(many)) or ""])
    cores = run.machine.get("cores", "?")
    return Table("Threaded backends: one thread against every core (hidden 4): epochs/s",
                 ["backend", "N", "1 thread", f"{cores} cores", "speed-up", "speed-up, interleaved",
                  "machine's ceiling, interleaved", "speed-up / ceiling", "noise"], rows,
                 ["Each backend cuts the batch into fixed blocks (chunks) of samples and sums them in a fixed order, "
                  "so one thread and every core give the same bits. Speed-up: the two benchmarks' epochs/s, timed "
                  "apart. Interleaved: every round timed the backend on one thread and then on every core back to "
                  "back, each call ten times the profile's target time; the median of the rounds' ratios with its "
                  "95% interval, so a neighbour's load on the shared machine falls on both.",
                  "Machine's ceiling: in the same rounds, the one-thread call timed a third time while a twin process "
                  "on each other core ran that same call (bench/twins.py); that call's epochs/s plus each twin's own, "
                  "over the one-thread call's alone, is the speed-up the machine allowed at that moment, whatever "
                  "the code: shared caches, memory, power, a host that gives a VM's cores less when all are busy, "
                  "or one core less than another. Speed-up / ceiling, round by round: how much of that the "
                  "backend's own threads reached."])


def trades_table(run: Run) -> Table | None:
    rows = []
    for name, f in run.machine.get("backends", {}).items():
        if f.get("available"):
            rows.append([name, f.get("equivalence", "?"), *(str(f.get(k, "-")) for k in TRADES)])
    if not rows:
        return None
    return Table("What each backend trades", ["backend", "equivalence", *TRADES],
                 rows)


def startup_table(run: Run) -> Table | None:
    rows = []
    for p in run.by_kind("startup"):
        cold, warm = p.extra.get("cold", []), p.extra.get("warm", [])
        med = lambda xs, k: f"{1e3 * sorted(x[k] for x in xs)[len(xs) // 2]:.1f}" if xs else "-"  # noqa: E731
        rows.append([p.backend, med(cold, "import_s"), med(cold, "first_call_s"), med(warm, "first_call_s"),
                     med(cold, "second_call_s"), len(cold)])
    if not rows:
        return None
    return Table("Start-up, in fresh processes (ms, medians); never part of epochs/s",
                 ["backend", "import", "first call, cold", "first call, warm cache", "second call", "rounds"], rows,
                 ["first call = one 1-epoch train call right after import: Numba's JIT compile when cold, "
                  "its on-disk cache load when warm."])


def peers_table(run: Run) -> Table | None:
    """What each peer (JAX, PyTorch) trades, its start-up, and how far the fastest backend is ahead of it."""
    facts = run.machine.get("backends", {})
    peers = [b for b in PEERS if b in run.backends]
    if not peers:
        return None
    xor = {p.backend: p for p in run.by_kind("xor")}
    batch = {}
    for p in run.by_kind("batch"):
        batch.setdefault(p.N, {})[p.backend] = p
    n_big = max(batch, default=None)
    start = {p.backend: p for p in run.by_kind("startup")}
    rows = []
    for b in peers:
        f = facts.get(b, {})
        fastest_xor = max(xor.values(), key=lambda p: p.epochs_per_s) if xor else None
        big = batch.get(n_big, {})
        fastest_big = max(big.values(), key=lambda p: p.samples_per_s) if big else None
        cold = start[b].extra.get("cold", []) if b in start else []
        first = f"{1e3 * sorted(x['first_call_s'] for x in cold)[len(cold) // 2]:.0f} ms" if cold else "-"
        rows.append([b, f.get("overheads", "-"), first,
                     f"{fastest_xor.backend} {ratio(fastest_xor.epochs_per_s / xor[b].epochs_per_s)}"
                     if fastest_xor and b in xor else "-",
                     f"{fastest_big.backend} {ratio(fastest_big.samples_per_s / big[b].samples_per_s)}"
                     if fastest_big and b in big else "-"])
    return Table("Peers: what JAX and PyTorch trade",
                 ["peer", "where its time goes", "first call, cold (trace, compile)", "fastest backend vs it on XOR",
                  f"fastest backend vs it at N={n_big:,}" if n_big else "at the largest N"], rows,
                 ["Thread pools pinned to one thread in benchmarks: XLA's through XLA_FLAGS, PyTorch's with "
                  "torch.set_num_threads(1), as BLAS's are."])


def check_table(run: Run) -> Table | None:
    check = run.xorbench.get("check")
    if not check:
        return None
    rows = []
    by_backend = {}
    for r in check["results"]:
        by_backend.setdefault(r["backend"], []).append(r)
    for b, rs in by_backend.items():
        ulp = max(max(float(r["max_ulp_params"]), float(r["max_ulp_losses"])) for r in rs)
        rel = max(float(r["max_rel"]) for r in rs)
        rows.append([b, check["verdicts"][b], f"{ulp:.3g}" if ulp else "0", f"{rel:.2g}" if rel else "0",
                     check["notes"].get(b, "")])
    return Table(f"Equivalence against {check['reference']} ({len(check['cases'])} cases, `xorbench check`)",
                 ["backend", "worst verdict", "max ULP", "max rel", "why not identical"], rows)


def machine_table(run: Run) -> Table:
    m = run.machine
    v = m.get("versions", {})
    cls = ", ".join(f"{what} {m[k]}" for k, what in (("cpu_family", "family"), ("cpu_model_number", "model"),
                                                   ("vector_isa", "widest vectors"), ("llvm_cpu", "LLVM CPU"))
                    if m.get(k))
    rows = [["CPU", f"{m.get('cpu')} ({m.get('cores')} cores, {m.get('machine')})"],
            *([["CPU class", cls]] if cls else []),
            ["system", m.get("system", "?")],
            ["versions", ", ".join(f"{k} {val}" for k, val in v.items() if val)],
            ["thread settings", ", ".join(f"{k}={'unset' if val is None else val}"
                                          for k, val in m.get("threads", {}).items())],
            ["GC while timing", "disabled" if m.get("gc_disabled_while_timing") else "enabled"],
            ["profile", m.get("profile", {}).get("name", "?")],
            ["one timed call", TIMINGS[run.timing]],
            ["commit", str(m.get("commit"))],
            ["date", run.datetime]]
    for name, f in m.get("backends", {}).items():
        if f.get("available") and "cflags" in f:  # each backend records what its build knows: no blanks
            compiler = " ".join(str(f[k]) for k in ("cc", "compiler") if f.get(k))
            python_cflags = f" (plus Python's: {f['python_cflags']})" if f.get("python_cflags") else ""
            rows.append([f"{name} build", (f"{compiler}: " if compiler else "") + " ".join(f["cflags"]) + python_cflags])
    return Table("Machine and build", ["fact", "value"], rows)


def unavailable_table(run: Run) -> Table | None:
    u = run.unavailable
    if not u:
        return None
    return Table("Not timed", ["backend", "reason"], [[b, r] for b, r in u.items()])


def tables(run: Run) -> list[Table]:
    ts = [xor_table(run), notebook_table(run), fast_rows_table(run), against_simd_table(run), boundary_table(run),
          granularity_table(run),
          sweep_table(run, "batch")]
    for n in sorted({p.N for p in run.by_kind("hidden")}):
        ts.append(sweep_table(run, "hidden", n))
    ts += [threads_table(run), roofline_table(run), startup_table(run), peers_table(run), check_table(run),
           trades_table(run),
           unavailable_table(run), machine_table(run)]
    return [t for t in ts if t is not None and t.rows]  # a run of some benchmarks only has no row for the rest


# ---------------------------------------------------------------- plots


def plots(run: Run, folder: str, stem: str) -> list[tuple[str, str]]:
    """Write the PNG plots; returns [(file name, caption)]."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = []
    xor = {p.backend: p for p in run.by_kind("xor")}
    if xor:
        fig, ax = plt.subplots(figsize=(6.4, 3.2))
        names = [b for b in run.backends if b in xor]
        vals = [xor[b].epochs_per_s for b in names]
        lo = [v - xor[b].epochs_per_s_iqr[0] for b, v in zip(names, vals)]
        hi = [xor[b].epochs_per_s_iqr[1] - v for b, v in zip(names, vals)]
        bars = ax.barh(names, vals, xerr=[lo, hi], color="#4c72b0")
        ax.set_xscale("log")
        ax.invert_yaxis()
        ax.set_xlabel("epochs/s (log scale; bars: median, whiskers: IQR)")
        ax.set_title(f"Canonical XOR 2-4-1, N=4 — {run.label}", fontsize=9)
        ref = xor.get(REFERENCE)
        for bar, v in zip(bars, vals):
            txt = rate(v) + (f"  ({ratio(v / ref.epochs_per_s)} {REFERENCE})" if ref else "")
            ax.text(v * 1.1, bar.get_y() + bar.get_height() / 2, txt, va="center", fontsize=8)
        ax.set_xlim(right=max(vals) * 30)
        fig.tight_layout()
        name = f"{stem}xor.png"
        fig.savefig(os.path.join(folder, name), dpi=110)
        plt.close(fig)
        made.append((name, "Canonical XOR: epochs/s per backend"))
    gran = {p.backend: p for p in run.by_kind("granularity")}
    if gran:
        fig, ax = plt.subplots(figsize=(7.6, 4))
        for b in (b for b in run.backends if b in gran):
            curve = gran[b].extra["curve"]
            ax.plot([k for k, _ in curve], [r for _, r in curve], label=b, **line_style(run.backends.index(b)))
        ax.set_xscale("log", base=4)
        ax.set_yscale("log")
        ax.set_xlabel("K, epochs per call (trainer.step(K))")
        ax.set_ylabel("epochs/s")
        ax.set_title(f"Granularity on canonical XOR — {run.label}", fontsize=9)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        fig.tight_layout()
        name = f"{stem}granularity.png"
        fig.savefig(os.path.join(folder, name), dpi=110)
        plt.close(fig)
        made.append((name, "epochs/s against epochs per call K, through a Trainer"))
    sweeps = [("batch", None, "batch size N (hidden 4)")]
    sweeps += [("hidden", n, f"hidden width (N={n})") for n in sorted({p.N for p in run.by_kind("hidden")})]
    for kind, fixed, xlabel in sweeps:
        series = sweep_series(run, kind, fixed)
        if not series:
            continue
        fig, ax = plt.subplots(figsize=(7.6, 4))
        any_noisy = False
        for b, s in series.items():
            ax.plot([x for x, _ in s], [p.samples_per_s for _, p in s], label=b, **line_style(run.backends.index(b)))
            noisy = [(x, p.samples_per_s) for x, p in s if p.noise()]
            if noisy:
                ax.scatter(*zip(*noisy), s=90, marker="x", color="black", zorder=3,
                           label=None if any_noisy else f"⚠ noisy (CV > {NOISE_CV:.0%})")
                any_noisy = True
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("samples/s (epochs/s × N)")
        ax.set_title(f"samples/s against {xlabel} — {run.label}", fontsize=9)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: it hides no line
        fig.tight_layout()
        name = f"{stem}{kind}{'' if fixed is None else f'-N{fixed}'}.png"
        fig.savefig(os.path.join(folder, name), dpi=110)
        plt.close(fig)
        made.append((name, f"samples/s against {xlabel}; black crosses mark noisy points"))
    return made


# ---------------------------------------------------------------- machines side by side


def _points(run: Run) -> dict:
    """{(table, x): {backend: point}}: canonical XOR (x None) and every sweep point (x = N or hidden)."""
    out = {("xor", None): {p.backend: p for p in run.by_kind("xor")}}
    for p in run.by_kind("batch"):
        out.setdefault(("batch", p.N), {})[p.backend] = p
    for p in run.by_kind("hidden"):
        out.setdefault((f"hidden N={p.N}", p.hidden), {})[p.backend] = p
    return out


def _where(key) -> str:
    table, x = key
    return "canonical XOR" if table == "xor" else f"batch N={x:,}" if table == "batch" else f"{table}, hidden {x}"


def comparison_tables(runs: list[Run]) -> list[Table]:
    """Machines side by side: for XOR and every sweep point, each run's rate and × vs python, and each run against
    the first, per backend, with 95% intervals; then where the order of backends changes between machines."""
    names = [f"{chr(65 + i)}" for i in range(len(runs))]  # A, B, ...: the runs, in the order given
    legend = "; ".join(f"{n}: {r.label} ({os.path.basename(r.path)})" for n, r in zip(names, runs))
    if len({r.timing for r in runs}) > 1:
        legend += (". Not timed alike, so the ratios between runs measure that too: "
                   + "; ".join(f"{n}: {TIMINGS[r.timing]}" for n, r in zip(names, runs)))
    per_run = [_points(r) for r in runs]
    keys = [k for k in per_run[0] if all(k in pr for pr in per_run[1:])]
    backends = []
    for r in runs:
        backends += [b for b in r.backends if b not in backends]
    tables = []
    for table in dict.fromkeys(t for t, _ in keys):
        rows = []
        for key in (k for k in keys if k[0] == table):
            for b in backends:
                pts = [pr[key].get(b) for pr in per_run]
                if all(p is None for p in pts):
                    continue
                per = "epoch" if table == "xor" else "sample"
                row = [] if table == "xor" else [key[1]]
                row.append(b)
                for pr, p in zip(per_run, pts):
                    ref = pr[key].get(REFERENCE)
                    value = "-" if p is None else rate(p.epochs_per_s if per == "epoch" else p.samples_per_s)
                    row += [value, versus(p, ref, per) if p is not None and ref is not None else "-"]
                row += [versus(p, pts[0], per) if p is not None and pts[0] is not None else "-" for p in pts[1:]]
                rows.append(row)
        unit = "epochs/s" if table == "xor" else "samples/s"
        header = ([] if table == "xor" else ["N" if table == "batch" else "hidden"]) + ["backend"]
        for n in names:
            header += [f"{n}: {unit}", f"{n}: × vs {REFERENCE}"]
        header += [f"{n} vs A" for n in names[1:]]
        title = ("Canonical XOR, machine by machine" if table == "xor"
                 else f"{'Batch sweep' if table == 'batch' else 'Hidden-width sweep, ' + table.split()[1]}, "
                      "machine by machine")
        tables.append(Table(title, header, rows, [legend + ". Ratios carry a 95% bootstrap interval from the rounds; "
                                                  "one whose interval holds 1 is a tie."]))
    changes = []
    for key in keys:
        order = [sorted(pr[key], key=lambda b: -pr[key][b].epochs_per_s) for pr in per_run]
        for j in range(1, len(runs)):
            common = [b for b in order[0] if b in order[j]]
            flips = [(a, b) for i, a in enumerate(common) for b in common[i + 1:]
                     if order[j].index(a) > order[j].index(b)]
            changes += [f"{_where(key)}: {a} is ahead of {b} on A, behind it on {names[j]}." for a, b in flips]
    tables.append(Table("Where the order of backends changes between machines", ["change"],
                        [[c] for c in changes] or [["The order of backends is the same on every machine."]],
                        [legend + ". By median rate; a change between two backends whose ratio is a tie on either "
                                  "machine is noise, not a difference of the machines."]))
    return tables


def comparison_plots(runs: list[Run], folder: str) -> list[tuple[str, str]]:
    """The sweeps with every run in one plot: a colour per backend, a line style per machine."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    styles = ["-", "--", ":", "-."]
    made = []
    sweeps = [("batch", None, "batch size N (hidden 4)")]
    sweeps += [("hidden", n, f"hidden width (N={n})") for n in sorted({p.N for p in runs[0].by_kind("hidden")})]
    for kind, fixed, xlabel in sweeps:
        fig, ax = plt.subplots(figsize=(7.6, 4.4))
        colours = {}
        for i, run in enumerate(runs):
            for b, s in sweep_series(run, kind, fixed).items():
                colours.setdefault(b, len(colours))
                ax.plot([x for x, _ in s], [p.samples_per_s for _, p in s], linestyle=styles[i % len(styles)],
                        markersize=4, label=f"{b} ({chr(65 + i)})", **line_style(colours[b]))
        if not colours:
            plt.close(fig)
            continue
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("samples/s")
        ax.set_title("samples/s against " + xlabel + ": " + ", ".join(
            f"{chr(65 + i)} {styles[i % len(styles)]}" for i in range(len(runs))), fontsize=9)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), ncol=1 + len(runs) // 2)
        fig.tight_layout()
        name = f"compare-{kind}{'' if fixed is None else f'-N{fixed}'}.png"
        fig.savefig(os.path.join(folder, name), dpi=110)
        plt.close(fig)
        made.append((name, f"samples/s against {xlabel}, every machine: a line style per machine"))
    return made


# ---------------------------------------------------------------- documents

MANIFEST = ".xorbench-report"  # the files the last report wrote into its folder

HOW_TO_READ = (
    "How to read this: higher epochs/s is faster. '× vs python' divides by the pure-Python reference measured "
    "in the same run; '× vs fastest' divides by the fastest backend. Ratios, not absolute numbers, are what "
    "carry from one machine to another. Crossovers say where one backend's samples/s overtakes another's. "
    f"⚠ noisy flags a point whose call times have a coefficient of variation above {NOISE_CV:.0%}, or fewer "
    "than 5 rounds: re-run it on a quieter machine before trusting it. JIT compile time is never in epochs/s; "
    "it is in the start-up table."
)


def write(runs: list[Run], folder: str) -> list[str]:
    """Write report.md, report.html and the PNGs for every run into folder; returns the paths written. The plots of
    an earlier report in the folder (listed in its MANIFEST) are removed first, so files of two reports never mix."""
    os.makedirs(folder, exist_ok=True)
    manifest = os.path.join(folder, MANIFEST)
    if os.path.exists(manifest):
        with open(manifest, encoding="utf-8") as f:
            for name in f.read().split():
                if os.path.basename(name) == name and name.endswith(".png"):  # only plots we wrote there
                    try:
                        os.unlink(os.path.join(folder, name))
                    except FileNotFoundError:
                        pass
    md = ["# xorbench speed report", "", HOW_TO_READ, ""]
    body = [f"<h1>xorbench speed report</h1><p>{html.escape(HOW_TO_READ)}</p>"]
    written = []

    def figure(name, caption):
        written.append(os.path.join(folder, name))
        md.extend([f"![{caption}]({name})", ""])
        with open(os.path.join(folder, name), "rb") as f:
            data = base64.b64encode(f.read()).decode()
        body.append(f"<figure><img alt='{html.escape(caption)}' src='data:image/png;base64,{data}'>"
                    f"<figcaption>{html.escape(caption)}</figcaption></figure>")

    if len(runs) > 1:
        md += ["## Machines side by side", ""]
        body.append("<h2>Machines side by side</h2>")
        for t in comparison_tables(runs):
            md.append(t.md())
            body.append(t.html())
        for name, caption in comparison_plots(runs, folder):
            figure(name, caption)
    for i, run in enumerate(runs):
        stem = "" if len(runs) == 1 else f"run{i + 1}-"
        md += [f"## {run.label} — {run.datetime}", "", f"Source: `{os.path.basename(run.path)}`", ""]
        body.append(f"<h2>{html.escape(run.label)} — {html.escape(run.datetime)}</h2>"
                    f"<p>Source: <code>{html.escape(os.path.basename(run.path))}</code></p>")
        for t in tables(run):
            md.append(t.md())
            body.append(t.html())
        for name, caption in plots(run, folder, stem):
            figure(name, caption)
    style = ("body{font-family:system-ui,sans-serif;max-width:72em;margin:2em auto;padding:0 1em;color:#222}"
             ".scroll{overflow-x:auto;max-width:100%}"
             "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;"
             "text-align:left;vertical-align:top}td.num{text-align:right;white-space:nowrap}"
             ".note{color:#555;font-size:.9em}img{max-width:100%;height:auto}"
             # on a narrow screen a table scrolls in its box rather than squeezing a text column to a word a line
             "@media (max-width:40em){td,th{min-width:6em}}")
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>xorbench speed report</title>"
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>")
    for name, text in (("report.md", "\n".join(md)), ("report.html", page)):
        path = os.path.join(folder, name)
        write_atomic(path, text)
        written.append(path)
    write_atomic(manifest, "\n".join(os.path.basename(p) for p in written) + "\n")
    return written


REFERENCE_RUNS = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "docs", "results")


def against_references(run: Run, folder: str = REFERENCE_RUNS) -> str:
    """A few lines: this run's XOR epochs/s against each shipped full run (docs/results/), backend by backend."""
    from xorbench.bench import results

    if not os.path.isdir(folder):
        return "(no reference runs here: docs/results/ ships with the repository, not with the wheel)"
    lines = []
    mine = {p.backend: p for p in run.by_kind("xor")}
    for name in sorted(f for f in os.listdir(folder) if f.endswith(".json")):
        try:
            ref = results.load(os.path.join(folder, name))
        except results.ResultsError as e:
            lines.append(f"(skipped {name}: {e})")
            continue
        theirs = {p.backend: p for p in ref.by_kind("xor")}
        common = [b for b in run.backends if b in mine and b in theirs]
        if common:
            unlike = "" if ref.timing == run.timing else f" (timed differently: {TIMINGS[ref.timing]})"
            lines.append(f"your machine vs {ref.label} ({name}), canonical XOR epochs/s{unlike}:")
            lines.append("  " + ", ".join(f"{b} {versus(mine[b], theirs[b])}" for b in common))
    return "\n".join(lines)


def summary(run: Run) -> str:
    """The terminal summary: backend, epochs/s, × vs python, × vs fastest."""
    t = xor_table(run)
    lines = [f"{'backend':<10} {'epochs/s':>10} {'× vs python':>12} {'× vs fastest':>13}  noise"]
    for r in t.rows:
        lines.append(f"{r[0]:<10} {r[1]:>10} {r[3]:>12} {r[4]:>13}  {r[7]}")
    for b, reason in run.unavailable.items():
        lines.append(f"{b:<10} not timed: {reason}")
    return "\n".join(lines)
