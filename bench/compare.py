"""xorbench compare: per-benchmark speed ratios with a Mann-Whitney U test on the raw samples; a CI gate."""
from __future__ import annotations

import math

from xorbench.bench.results import Run

ALPHA = 0.05  # significance level of the two-sided Mann-Whitney U test
SUSPICIOUS_SPEEDUP = 2.0  # a speed-up this large is flagged for a correctness look


def mann_whitney_p(a, b) -> float:
    """Two-sided p-value of the Mann-Whitney U test (normal approximation, tie-corrected, continuity)."""
    n1, n2 = len(a), len(b)
    if n1 < 2 or n2 < 2:
        return math.nan
    pooled = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    ranks = [0.0] * len(pooled)
    tie_term = 0.0
    i = 0
    while i < len(pooled):
        j = i
        while j + 1 < len(pooled) and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        t = j - i + 1
        tie_term += t ** 3 - t
        i = j + 1
    r1 = sum(r for r, (_, g) in zip(ranks, pooled) if g == 0)
    u1 = r1 - n1 * (n1 + 1) / 2
    mu = n1 * n2 / 2
    n = n1 + n2
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1))))
    if sigma == 0:
        return 1.0
    z = (abs(u1 - mu) - 0.5) / sigma
    return math.erfc(max(z, 0.0) / math.sqrt(2))


def compare(base: Run, new: Run, threshold: float):
    """Rows (name, base s/epoch, new s/epoch, speed ratio new vs base, p, status) and whether to fail."""
    base_points = {p.name: p for p in base.points if p.kind != "startup"}
    rows, failed = [], False
    for p in new.points:
        if p.kind == "startup" or p.name not in base_points:
            continue
        b = base_points[p.name]
        speed = b.per_epoch / p.per_epoch  # > 1: new is faster
        pval = mann_whitney_p([t / b.K for t in b.data], [t / p.K for t in p.data])
        significant = pval < ALPHA
        if speed < 1 / (1 + threshold):
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
        rows.append((p.name, b.per_epoch, p.per_epoch, speed, pval, status))
    only_base = sorted(set(base_points) - {p.name for p in new.points})
    only_new = sorted({p.name for p in new.points if p.kind != "startup"} - set(base_points))
    return rows, failed, only_base, only_new


def format_compare(base: Run, new: Run, threshold: float) -> tuple[str, bool]:
    rows, failed, only_base, only_new = compare(base, new, threshold)
    lines = [f"base: {base.path} ({base.label}, {base.datetime})",
             f"new:  {new.path} ({new.label}, {new.datetime})",
             f"threshold {threshold:.0%}, Mann-Whitney U at alpha {ALPHA}; ratio > 1 means new is faster", ""]
    head = f"{'benchmark':<42} {'base/epoch':>11} {'new/epoch':>11} {'ratio':>7} {'p':>8}  status"
    lines += [head, "-" * len(head)]
    for name, b, n, speed, pval, status in rows:
        p = "-" if math.isnan(pval) else f"{pval:.2g}"
        lines.append(f"{name:<42} {_t(b):>11} {_t(n):>11} {speed:>6.2f}x {p:>8}  {status}")
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
