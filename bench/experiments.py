"""xorbench experiments: the write-ups' observations about XOR training, re-run over many RNG seeds.

Every (hidden, lr) configuration trains `seeds` networks (init seeds 0..seeds-1) on canonical XOR with one
backend, in chunks of `chunk` epochs, checking after each chunk whether the network is `ok`:

    ok  <=>  every output is on the correct side of 0.5 and within OK_MARGIN of its target

(with OK_MARGIN = 0.2 the second condition implies the first: outputs >= 0.8 for a 1, <= 0.2 for a 0).
A run that is not ok at the end is *stuck on a plateau* when its loss moved by less than PLATEAU_RTOL
(relative) over the last quarter of training; the plateau's value is its final loss.

Results stream to OUT/experiments.jsonl, one line per finished configuration, after a header line that
fixes the setting; a rerun resumes and refuses results from another backend or setting.
"""
from __future__ import annotations

import json
import math
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass

import numpy as np
from tqdm import tqdm

import xorbench

OK_MARGIN = 0.2
BAR = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed} elapsed, ETA {remaining}]"  # tqdm's
PLATEAU_RTOL = 0.01
PLATEAU_TAIL = 0.25  # the fraction of the curve a plateau must be flat over
FORMAT = 1
RESULTS = "experiments.jsonl"


@dataclass(frozen=True)
class Setting:
    """Everything but the (hidden, lr) grid: results from different settings are never mixed."""

    backend: str = "c"
    epochs: int = 20_000
    seeds: int = 100
    bias: bool = True
    loss: str = "mse"
    scheme: str = "uniform"
    chunk: int = 100  # epochs between ok checks and loss-curve points

    def key(self) -> dict:
        return {**asdict(self), "ok_margin": OK_MARGIN, "plateau_rtol": PLATEAU_RTOL, "format": FORMAT}


@dataclass(frozen=True)
class Preset:
    what: str
    hidden: tuple
    lr: tuple
    setting: Setting


PRESETS = {
    "writeup-003": Preset("write-up 003's notebook: 2-4-1 without biases, summed squared error, U[0, 1) init, lr 1, "
                       "1,500 epochs", (4,), (1.0,),
                       Setting(epochs=1_500, bias=False, loss="sse", scheme="rand01", chunk=10)),
    "writeup-000": Preset("write-up 000: 2-4-1, mse, lr 0.5 against lr 1 (it reported ~50k epochs to 100% accuracy "
                       "at lr 0.5)", (4,), (0.5, 1.0), Setting(epochs=60_000, chunk=200)),
    "writeup-001": Preset("write-up 001: a grid of hidden sizes and learning rates, mse, 20,000 epochs (its README "
                       "names hidden 2 and the hn_/lr_/ok_ labels, not the grid; this is the default grid)",
                       (2, 3, 4, 8), (0.1, 0.5, 1.0, 2.0, 5.0), Setting(epochs=20_000, chunk=100)),
}


def is_ok(out, Y) -> bool:
    """Every output on the correct side of 0.5 and within OK_MARGIN of its target."""
    out, Y = np.asarray(out), np.asarray(Y)
    return bool(np.all((out > 0.5) == (Y > 0.5)) and np.all(np.abs(out - Y) <= OK_MARGIN))


def plateau(curve, ok: bool) -> float | None:
    """The plateau loss if a run that is not ok ended flat (within PLATEAU_RTOL over its last quarter)."""
    if ok or len(curve) < 4:
        return None
    tail = curve[int(len(curve) * (1 - PLATEAU_TAIL)):]
    top = max(tail)
    return float(tail[-1]) if top - min(tail) <= PLATEAU_RTOL * top else None


def run_config(setting: dict, hidden: int, lr: float) -> dict:
    """Train every seed of one configuration; returns its JSON line."""
    s = Setting(**setting)
    be = xorbench.get_backend(s.backend)
    X, Y = xorbench.xor_dataset()
    runs = []
    t0 = time.perf_counter()
    for seed in range(s.seeds):
        params = xorbench.init_params(2, hidden, 1, seed=seed, bias=s.bias, scheme=s.scheme)
        curve, first_ok = [], None
        for start in range(0, s.epochs, s.chunk):
            n = min(s.chunk, s.epochs - start)
            if first_ok is None and is_ok(be.predict(params, X), Y):
                first_ok = start
            res = be.train(params, X, Y, epochs=n, lr=lr, loss=s.loss, record_every=n)
            curve.append(float(res.losses[0]))
            params = res.params
        out = be.predict(params, X)
        final_loss = res.loss  # the loss of the returned parameters
        curve.append(final_loss)
        ok = is_ok(out, Y)
        if first_ok is None and ok:
            first_ok = s.epochs
        runs.append({"seed": seed, "ok": ok, "first_ok": first_ok, "final_loss": final_loss,
                     "plateau": plateau(curve, ok), "outputs": out.ravel().tolist(), "curve": curve})
    return {"type": "config", "hidden": hidden, "lr": lr, "seconds": time.perf_counter() - t0, "runs": runs}


# ---------------------------------------------------------------- the results file


class ExperimentError(Exception):
    """Results that cannot be used, with the reason; exit code 2."""


def read_results(path: str, setting: Setting) -> dict:
    """{(hidden, lr): config line} already in path; checks the header; drops a line cut short by a crash."""
    if not os.path.exists(path):
        return {}
    done, good_bytes = {}, 0
    with open(path, "rb") as f:
        raw = f.read()
    lines = raw.split(b"\n")
    for i, line in enumerate(lines):
        if not line.strip():
            good_bytes += len(line) + 1
            continue
        try:
            rec = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            if i >= len(lines) - 2:  # the last line, cut short: drop it
                break
            raise ExperimentError(f"{path}: line {i + 1} is not JSON; refusing to resume from a damaged file") from None
        if not isinstance(rec, dict) or (i > 0 and rec.get("type") == "config" and not _is_config(rec)):
            raise ExperimentError(f"{path}: line {i + 1} is not an experiments record; refusing to resume from a "
                                  f"damaged file")
        if i == 0:
            if rec.get("type") != "header":
                raise ExperimentError(f"{path}: no header line; not an xorbench experiments file")
            if rec.get("setting") != setting.key():
                theirs = rec.get("setting", {})
                diff = ", ".join(f"{k}: {theirs.get(k)!r} there, {v!r} now"
                                 for k, v in setting.key().items() if theirs.get(k) != v)
                raise ExperimentError(f"{path} holds results from a different setting ({diff}). "
                                      "Use another --out folder, or delete the file to start over.")
        elif rec.get("type") == "config":
            done[(rec["hidden"], rec["lr"])] = rec
        good_bytes += len(line) + 1
    if good_bytes < len(raw):
        with open(path, "r+b") as f:
            f.truncate(good_bytes)
    return done


def _is_config(rec: dict) -> bool:
    """A config line as run() writes it: its hidden size, learning rate and runs."""
    return (isinstance(rec.get("hidden"), int) and isinstance(rec.get("lr"), (int, float))
            and isinstance(rec.get("runs"), list))


def die_with_parent():
    """A worker's initializer (and a twin's, bench/twins.py): on Linux, have the kernel kill this process when its
    parent dies (kill -9 included), so no worker outlives the run; the resource tracker then sees its pipe close
    and exits too."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _append(path: str, rec: dict) -> None:
    with open(path, "a") as f:
        f.write(json.dumps(rec) + "\n")
        f.flush()
        os.fsync(f.fileno())


def run(setting: Setting, hidden, lr, out: str, jobs: int = 2, progress=True) -> tuple[list, bool]:
    """Run every configuration not yet in OUT/experiments.jsonl; returns (all results of the grid, interrupted)."""
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, RESULTS)
    done = read_results(path, setting)
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        _append(path, {"type": "header", "setting": setting.key()})
    grid = [(h, r) for h in hidden for r in lr]
    todo = [c for c in grid if c not in done]
    if done and progress:
        print(f"resuming: {len(grid) - len(todo)} of {len(grid)} configurations already in {path}", file=sys.stderr)
    interrupted = False
    if todo:
        xorbench.get_backend(setting.backend)  # fail here, once, if it cannot load
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=max(1, min(jobs, len(todo))), mp_context=ctx,
                                   initializer=die_with_parent)
        bar = tqdm(total=len(todo), desc="configurations", file=sys.stderr, disable=not progress, bar_format=BAR)
        try:
            futures = {pool.submit(run_config, asdict(setting), h, r): (h, r) for h, r in todo}
            for fut in as_completed(futures):
                rec = fut.result()
                _append(path, rec)
                done[futures[fut]] = rec
                bar.update()
            bar.close()
        except KeyboardInterrupt:
            bar.close()
            interrupted = True
            print(f"\ninterrupted: {sum(1 for c in grid if c in done)} of {len(grid)} configurations are saved "
                  f"in {path}; run the same command again to resume", file=sys.stderr)
        finally:
            pool.shutdown(wait=not interrupted, cancel_futures=True)
    return [done[c] for c in grid if c in done], interrupted


# ---------------------------------------------------------------- summaries


def summarize(rec: dict) -> dict:
    runs = rec["runs"]
    firsts = sorted(r["first_ok"] for r in runs if r["first_ok"] is not None)
    finals = sorted(r["final_loss"] for r in runs)
    plateaus = [r["plateau"] for r in runs if r["plateau"] is not None]
    levels: dict[float, int] = {}
    for p in plateaus:
        key = round(round(p / 0.005) * 0.005, 3)  # plateau levels, to the nearest 0.005
        levels[key] = levels.get(key, 0) + 1

    def q(xs, f):
        return statistics.quantiles(xs, n=4, method="inclusive")[f] if len(xs) > 1 else (xs[0] if xs else math.nan)

    return {"hidden": rec["hidden"], "lr": rec["lr"], "seeds": len(runs),
            "ok": sum(r["ok"] for r in runs), "reached_ok": len(firsts),
            "epochs_to_ok": (q(firsts, 0), statistics.median(firsts) if firsts else math.nan, q(firsts, 2)),
            "final_loss": (finals[0], q(finals, 0), statistics.median(finals), q(finals, 2), finals[-1]),
            "stuck": len(plateaus), "plateaus": dict(sorted(levels.items(), key=lambda kv: -kv[1]))}


def table(results: list, setting: Setting) -> str:
    head = ("| hidden | lr | ok | epochs to ok: median [IQR] | final loss: median [q1–q3] (min–max) "
            "| stuck on a plateau (loss: runs) |")
    lines = [head, "|---|---|---|---|---|---|"]
    for rec in results:
        s = summarize(rec)
        q1, med, q3 = s["epochs_to_ok"]
        eto = "never" if not s["reached_ok"] else f"{med:,.0f} [{q1:,.0f}–{q3:,.0f}]"
        if s["reached_ok"] < s["seeds"]:
            eto += f" ({s['reached_ok']} reached ok)"
        lo, fq1, fmed, fq3, hi = s["final_loss"]
        stuck = "0" if not s["stuck"] else f"{s['stuck']} (" + ", ".join(
            f"{k:g}: {v}" for k, v in s["plateaus"].items()) + ")"
        lines.append(f"| {s['hidden']} | {s['lr']:g} | {s['ok']}/{s['seeds']} ({s['ok'] / s['seeds']:.0%}) | {eto} "
                     f"| {fmed:.3g} [{fq1:.3g}–{fq3:.3g}] ({lo:.2g}–{hi:.2g}) | {stuck} |")
    s = setting
    intro = (f"{s.seeds} RNG seeds per configuration; {s.epochs:,} epochs; backend {s.backend}; loss {s.loss}; "
             f"init {s.scheme}; {'with' if s.bias else 'without'} biases; ok checked every {s.chunk} epochs "
             f"(ok = every output on the correct side of 0.5 and within {OK_MARGIN} of its target); stuck = not "
             f"ok at the end and the loss flat within {PLATEAU_RTOL:.0%} over the last {PLATEAU_TAIL:.0%} of "
             "training.")
    return intro + "\n\n" + "\n".join(lines) + "\n"


def plots(results: list, setting: Setting, out: str) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    hiddens = sorted({r["hidden"] for r in results})
    lrs = sorted({r["lr"] for r in results})
    by = {(r["hidden"], r["lr"]): r for r in results}
    fig, axes = plt.subplots(len(hiddens), len(lrs), figsize=(2.6 * len(lrs) + 0.9, max(2.1 * len(hiddens) + 0.9, 4.2)),
                             sharex=True, sharey=True, squeeze=False)
    for i, h in enumerate(hiddens):
        for j, lr in enumerate(lrs):
            ax = axes[i][j]
            rec = by.get((h, lr))
            if rec is None:
                ax.set_axis_off()
                continue
            curves = np.array([r["curve"] for r in rec["runs"]])
            x = np.minimum(np.arange(curves.shape[1]) * setting.chunk, setting.epochs)
            lo, med, hi = np.percentile(curves, [10, 50, 90], axis=0)
            ax.fill_between(x, lo, hi, alpha=0.3, color="#4c72b0", linewidth=0)
            ax.plot(x, med, color="#4c72b0", linewidth=1.2)
            for r in rec["runs"]:
                if r["plateau"] is not None:
                    ax.plot(x, r["curve"], color="#c44e52", linewidth=0.4, alpha=0.5)
            ok = sum(r["ok"] for r in rec["runs"])
            ax.set_title(f"hn_{h} lr_{lr:g} ok_{ok}/{len(rec['runs'])}", fontsize=8)
            ax.set_yscale("log")
            ax.tick_params(labelsize=7)
    fig.supxlabel("epoch", fontsize=9)
    label = f"{setting.loss} loss (median, 10–90% band over seeds; red: stuck runs)"
    if len(hiddens) < 3:  # a short figure: the label in two lines, so that it fits its height
        label = label.replace(" (", "\n(")
    fig.supylabel(label, fontsize=8)
    fig.tight_layout(rect=(0.03, 0, 1, 1))  # room for the shared y-label, which tight_layout does not see
    curves_png = os.path.join(out, "loss_curves.png")
    fig.savefig(curves_png, dpi=100)
    plt.close(fig)

    rate = np.full((len(hiddens), len(lrs)), np.nan)
    for (h, lr), rec in by.items():
        rate[hiddens.index(h), lrs.index(lr)] = sum(r["ok"] for r in rec["runs"]) / len(rec["runs"])
    fig, ax = plt.subplots(figsize=(1.1 * len(lrs) + 2.5, 0.7 * len(hiddens) + 1.6))
    im = ax.imshow(rate, vmin=0, vmax=1, cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(lrs)), [f"{v:g}" for v in lrs])
    ax.set_yticks(range(len(hiddens)), [str(v) for v in hiddens])
    ax.set_xlabel("learning rate")
    ax.set_ylabel("hidden units")
    for i in range(len(hiddens)):
        for j in range(len(lrs)):
            if not np.isnan(rate[i, j]):
                ax.text(j, i, f"{rate[i, j]:.0%}", ha="center", va="center", fontsize=8,
                        color="white" if rate[i, j] < 0.6 else "black")
    ax.set_title(f"fraction of {setting.seeds} RNG seeds ok after {setting.epochs:,} epochs", fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.05)
    fig.tight_layout()
    heat_png = os.path.join(out, "heatmap.png")
    fig.savefig(heat_png, dpi=100)
    plt.close(fig)
    return [curves_png, heat_png]


def write_report(results: list, setting: Setting, out: str, title: str) -> list[str]:
    text = f"# {title}\n\n" + table(results, setting) + "\n![loss curves](loss_curves.png)\n\n![ok rate](heatmap.png)\n"
    from xorbench.bench.results import write_atomic

    path = os.path.join(out, "experiments.md")
    write_atomic(path, text)
    return [path, *plots(results, setting, out)]
