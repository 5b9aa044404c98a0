"""xorbench compare: per-benchmark speed ratios with a Mann-Whitney U test on the raw samples; a CI gate."""
from __future__ import annotations

import math
import statistics

from scipy.stats import mannwhitneyu

from xorbench.bench.machine import cpu_label
from xorbench.bench.profiles import TIMINGS
from xorbench.bench.results import PAIR_FIELDS, Run, ratio_ci

ALPHA = 0.05  # significance level of the two-sided Mann-Whitney U test
SUSPICIOUS_SPEEDUP = 2.0  # a speed-up this large is flagged for a correctness look


def mann_whitney_p(a, b) -> float:
    """Two-sided p-value of the Mann-Whitney U test (SciPy's: exact for small samples without ties, the normal
    approximation otherwise); nan with fewer than 2 samples on a side."""
    if len(a) < 2 or len(b) < 2:
        return math.nan
    return float(mannwhitneyu(a, b, alternative="two-sided", method="auto").pvalue)


#: what tells two CPUs apart (machine.cpu_class): a fact counts as different only where both runs recorded it
CPU_FACTS = ("cpu", "cpu_family", "cpu_model_number", "vector_isa", "llvm_cpu", "cores")


def differences(base: Run, new: Run) -> tuple[list[str], list[str]]:
    """What differs between two runs besides the code: (unlike, other). `unlike`, the CPU class, its cores or what
    one timed call is, makes every ratio a measure of that, not of the code; `other` (library versions, thread
    settings, the profile) may be the very change being measured, and is only named."""
    b, n = base.machine, new.machine
    unlike = []
    cpu = [k for k in CPU_FACTS if b.get(k) is not None and n.get(k) is not None and str(b[k]) != str(n[k])]
    if cpu:
        unlike.append(f"the CPU: {cpu_label(b)}, {b.get('cores', '?')} cores vs {cpu_label(n)}, "
                      f"{n.get('cores', '?')} cores")
    if base.timing != new.timing:
        unlike.append(f"what one timed call is: {TIMINGS[base.timing]} vs {TIMINGS[new.timing]}")
    other = []
    bv, nv = b.get("versions", {}), n.get("versions", {})
    other += [f"{k} {bv[k]} vs {nv[k]}" for k in bv if k in nv and bv[k] != nv[k]]
    bt, nt = b.get("threads", {}), n.get("threads", {})
    other += [f"{k}={bt[k]} vs {nt[k]}" for k in bt if k in nt and bt[k] != nt[k]]
    bp, np_ = b.get("profile", {}), n.get("profile", {})
    other += [f"profile {k} {bp[k]} vs {np_[k]}" for k in ("name", "target_s", "rounds")
              if k in bp and k in np_ and bp[k] != np_[k]]
    return unlike, other


def _seconds_per_epoch(p) -> list[float]:
    """A point's raw timings per epoch: for an interleaved benchmark, the backend's own calls (backend_s), not its
    rounds, which also hold the reference's calls (and the threads benchmark's call beside twins)."""
    if p.kind in PAIR_FIELDS:
        return [t / p.K for t in p.extra["backend_s"]]
    return [t / p.K for t in p.data]


def compare(base: Run, new: Run, threshold: float):
    """Rows (name, base s/epoch, new s/epoch, speed ratio new vs base, its 95% interval, p, status) and whether to
    fail: only a slowdown beyond the threshold, significant, and whose interval excludes 1 fails."""
    base_points = {p.name: p for p in base.points if p.kind != "startup"}
    rows, failed = [], False
    for p in new.points:
        if p.kind == "startup" or p.name not in base_points:
            continue
        b = base_points[p.name]
        base_s, new_s = _seconds_per_epoch(b), _seconds_per_epoch(p)
        base_epoch = statistics.median(base_s) if base_s else b.per_epoch
        new_epoch = statistics.median(new_s) if new_s else p.per_epoch
        speed = base_epoch / new_epoch  # > 1: new is faster
        pval = mann_whitney_p(base_s, new_s)
        lo, hi = ratio_ci(base_s, new_s)
        significant = pval < ALPHA
        if lo <= 1 <= hi:
            status = "tie (the interval holds 1)"
        elif speed < 1 / (1 + threshold):
            status = "SLOWER" if significant else "slower (not significant)"
            failed |= significant
        elif speed > 1 + threshold:
            status = "faster" if significant else "faster (not significant)"
            if speed >= SUSPICIOUS_SPEEDUP or significant:
                status += "; suspicious: check correctness and the machine" if speed >= SUSPICIOUS_SPEEDUP \
                    else "; verify it is real"
        else:
            status = "within threshold"
        if math.isnan(pval):
            status += " (no raw samples: significance unknown)"
        rows.append((p.name, base_epoch, new_epoch, speed, (lo, hi), pval, status))
    only_base = sorted(set(base_points) - {p.name for p in new.points})
    only_new = sorted({p.name for p in new.points if p.kind != "startup"} - set(base_points))
    return rows, failed, only_base, only_new


def format_compare(base: Run, new: Run, threshold: float) -> tuple[str, bool]:
    rows, failed, only_base, only_new = compare(base, new, threshold)
    unlike, other = differences(base, new)
    lines = [f"base: {base.path} ({base.label}, {base.datetime}, commit {base.machine.get('commit')})",
             f"new:  {new.path} ({new.label}, {new.datetime}, commit {new.machine.get('commit')})",
             *(f"NOT LIKE FOR LIKE, the ratios measure this too: {u}" for u in unlike),
             *([f"also different: {'; '.join(other)}"] if other else []),
             f"threshold {threshold:.0%}, Mann-Whitney U at alpha {ALPHA}; ratio > 1 means new is faster, with its "
             f"95% bootstrap interval; an interval holding 1 is a tie", ""]
    head = f"{'benchmark':<42} {'base/epoch':>11} {'new/epoch':>11} {'ratio (95% interval)':>22} {'p':>8}  status"
    lines += [head, "-" * len(head)]
    for name, b, n, speed, (lo, hi), pval, status in rows:
        p = "-" if math.isnan(pval) else f"{pval:.2g}"
        ci = "" if math.isnan(lo) else f" ({lo:.2f}–{hi:.2f})"
        lines.append(f"{name:<42} {_t(b):>11} {_t(n):>11} {f'{speed:.2f}x{ci}':>22} {p:>8}  {status}")
    if only_base:
        lines.append(f"\nonly in base: {', '.join(only_base)}")
    if only_new:
        lines.append(f"only in new: {', '.join(only_new)}")
    lines.append("\nREGRESSION: a significant slowdown beyond the threshold" if failed else "\nno significant regression")
    return "\n".join(lines), failed


def _t(seconds: float) -> str:
    for unit, f in (("s", 1), ("ms", 1e3), ("µs", 1e6), ("ns", 1e9)):
        if seconds * f >= 1:
            return f"{seconds * f:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"
