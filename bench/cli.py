"""The xorbench command line."""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import time

import xorbench
from xorbench.bench.report import rate


def cmd_list(args) -> int:
    status = xorbench.available()
    width = max(map(len, status))
    for name, reason in status.items():
        mark = "ok " if reason is None else "N/A"
        print(f"{name:<{width}}  {mark}", end="")
        if reason is None:
            be = xorbench.get_backend(name)
            print(f"  [{be.equivalence}] {be.description}")
            for k, v in be.info().items():
                print(f"{'':<{width}}       {k}: {v}")
        else:
            print(f"  {reason}")
    missing = [n for n in xorbench.CORE if status[n] is not None]
    if missing:
        print(f"\ncore backends unavailable: {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


def cmd_train(args) -> int:
    try:
        be = xorbench.get_backend(args.backend)
    except xorbench.BackendUnavailable as e:
        print(f"xorbench: backend {args.backend!r} is unavailable: {e}", file=sys.stderr)
        return 2
    X, Y = xorbench.xor_dataset()
    params = xorbench.init_params(2, args.hidden, 1, seed=args.seed, bias=not args.no_bias, scheme=args.scheme)
    t0 = time.perf_counter()
    be.train(params, X, Y, epochs=1, lr=args.lr, loss=args.loss)  # warm-up: JIT compile or cache load
    warm = time.perf_counter() - t0
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        res = be.train(params, X, Y, epochs=args.epochs, lr=args.lr, loss=args.loss)
        times.append(time.perf_counter() - t0)
    pred = be.predict(res.params, X)
    print(f"backend {be.name}: 2-{args.hidden}-1, {args.loss}, lr={args.lr:g}, {args.epochs} epochs, "
          f"{args.scheme} init seed {args.seed}{', no bias' if args.no_bias else ''}")
    print("  x1  x2  target  prediction")
    for x, y, p in zip(X, Y, pred):
        print(f"  {x[0]:.0f}   {x[1]:.0f}   {y[0]:.0f}       {p[0]:.6f}")
    print(f"final loss: {res.loss:.6e}")
    med = statistics.median(times)
    print(f"epochs/s: {rate(args.epochs / med)}  (median of {args.repeat} calls; "
          f"first call, excluded: {warm * 1e3:.1f} ms including any JIT compile)")
    return 0


def cmd_check(args) -> int:
    from xorbench.impls import equivalence

    from tqdm import tqdm

    from xorbench.bench.experiments import BAR

    backends = _backend_list(args.backends)
    todo = len([b for b in (backends or xorbench.names()) if b != xorbench.REFERENCE]) * len(equivalence.CASES)
    with tqdm(total=todo, desc="checking", file=sys.stderr, bar_format=BAR, leave=False) as bar:
        report = equivalence.check(backends, epochs=args.epochs,
                                   progress=lambda b, c: (bar.set_description(f"checking {b} on {c}"), bar.update()))
    print(equivalence.format_table(report))
    if args.json:
        from xorbench.bench.results import write_json

        write_json(args.json, report.to_json())
        print(f"wrote {args.json}")
    return 0 if report.ok else 1


def _backend_list(text):
    """The backends named by --backends, or None (every registered one) when the flag was not given."""
    if text is None:
        return None
    chosen = [b.strip() for b in text.split(",") if b.strip()]
    if not chosen:
        raise ValueError(f"--backends must name at least one backend; known: {', '.join(xorbench.names())}")
    unknown = [b for b in chosen if b not in xorbench.names()]
    if unknown:
        raise ValueError(f"--backends: unknown backend(s) {', '.join(unknown)}; known: {', '.join(xorbench.names())}")
    return chosen


def _count(lo: int):
    """An argparse type: an integer >= lo, or an error that argparse reports naming the flag."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < lo:
            raise argparse.ArgumentTypeError(f"expected an integer >= {lo}, got {value}")
        return value

    parse.__name__ = f"integer >= {lo}"
    return parse


def cmd_run(args) -> int:
    from xorbench.bench.run import run

    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise ValueError(f"--out {args.out} is a file; give a folder for the results and the report")
    return run("full" if args.full else "quick", _backend_list(args.backends), args.out, args.label)


def cmd_report(args) -> int:
    from xorbench.bench import report, results

    if os.path.exists(args.out) and not os.path.isdir(args.out):
        print(f"xorbench report: --out {args.out} is a file; give a folder for the report", file=sys.stderr)
        return 2
    try:
        runs = [results.load(p) for p in args.results]
    except results.ResultsError as e:
        print(f"xorbench report: {e}", file=sys.stderr)
        return 2
    written = report.write(runs, args.out)
    for path in written:
        print(f"wrote {path}")
    return 0


def cmd_compare(args) -> int:
    from xorbench.bench import compare, results

    try:
        threshold = float(args.threshold.rstrip("%")) / (100 if args.threshold.endswith("%") else 1)
    except ValueError:
        print(f"xorbench compare: --threshold must look like 5% or 0.05, got {args.threshold!r}", file=sys.stderr)
        return 2
    if not 0 <= threshold < 10:
        print(f"xorbench compare: --threshold must be between 0% and 1000%, got {args.threshold!r}", file=sys.stderr)
        return 2
    try:
        base, new = results.load(args.base), results.load(args.new)
    except results.ResultsError as e:
        print(f"xorbench compare: {e}", file=sys.stderr)
        return 2
    unlike, _ = compare.differences(base, new)
    if unlike and not args.force:
        print(f"xorbench compare: {args.base} and {args.new} are not like for like ({'; '.join(unlike)}): their "
              "ratios would measure that, not the code. Time both the same way on one machine class, or pass "
              "--force to compare them anyway", file=sys.stderr)
        return 2
    text, failed = compare.format_compare(base, new, threshold)
    print(text)
    return 1 if failed else 0


def _numbers(text, kind, name):
    try:
        values = [kind(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"{name} must be a comma-separated list of {kind.__name__}s, got {text!r}") from None
    if not values or any(v <= 0 for v in values):
        raise ValueError(f"{name} must list positive values, got {text!r}")
    return tuple(values)


def cmd_experiments(args) -> int:
    from dataclasses import replace

    from xorbench.bench import experiments as ex

    preset = ex.PRESETS[args.preset] if args.preset else None
    setting = preset.setting if preset else ex.Setting()
    changes = {k: v for k, v in dict(backend=args.backend, epochs=args.epochs, seeds=args.seeds, loss=args.loss,
                                       scheme=args.scheme, chunk=args.chunk).items() if v is not None}
    if args.no_bias:
        changes["bias"] = False
    setting = replace(setting, **changes)
    if args.chunk is None and (preset is None or args.epochs is not None):
        setting = replace(setting, chunk=max(1, setting.epochs // 200))
    for name in ("epochs", "seeds", "chunk"):
        if getattr(setting, name) < 1:
            raise ValueError(f"--{name} must be a positive integer, got {getattr(setting, name)}")
    if setting.backend not in xorbench.names():
        raise ValueError(f"--backend must be one of {', '.join(xorbench.names())}; got {setting.backend!r}")
    hidden = _numbers(args.hidden, int, "--hidden") if args.hidden else (preset.hidden if preset else (2, 3, 4, 8))
    lr = _numbers(args.lr, float, "--lr") if args.lr else (preset.lr if preset else (0.1, 0.5, 1.0, 2.0, 5.0))
    out = args.out or os.path.join("experiments-out", args.preset or "grid")
    try:
        results, interrupted = ex.run(setting, hidden, lr, out, jobs=args.jobs)
    except ex.ExperimentError as e:
        print(f"xorbench experiments: {e}", file=sys.stderr)
        return 2
    except xorbench.BackendUnavailable as e:
        print(f"xorbench experiments: backend {setting.backend!r} is unavailable: {e}", file=sys.stderr)
        return 2
    if not results:
        return 130 if interrupted else 1
    title = f"xorbench experiments: {preset.what}" if preset else "xorbench experiments"
    written = ex.write_report(results, setting, out, title)
    print(ex.table(results, setting))
    print("\n".join(f"wrote {w}" for w in written))
    return 130 if interrupted else 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="xorbench", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("list", help="every backend with its status, versions and build flags")
    s.set_defaults(func=cmd_list)

    s = sub.add_parser("train", help="train XOR with one backend; print predictions, loss and epochs/s")
    s.add_argument("--backend", default="c", choices=xorbench.names())
    s.add_argument("--epochs", type=_count(0), default=10_000)
    s.add_argument("--lr", type=float, default=1.0)
    s.add_argument("--hidden", type=_count(1), default=4)
    s.add_argument("--seed", type=_count(0), default=0, help="the RNG seed of the initial parameters")
    s.add_argument("--loss", default="mse", choices=xorbench.LOSSES)
    s.add_argument("--scheme", default="uniform", choices=xorbench.SCHEMES)
    s.add_argument("--no-bias", action="store_true")
    s.add_argument("--repeat", type=_count(1), default=5, help="timed calls (default 5)")
    s.set_defaults(func=cmd_train)

    s = sub.add_parser("check", help="every backend against the python reference, in ULPs, with verdicts")
    s.add_argument("--backends", help="comma-separated backends (default: all registered)")
    s.add_argument("--epochs", type=_count(1), default=10_000, help="epochs for the long cases (default 10000)")
    s.add_argument("--json", metavar="FILE", help="also write the full report as JSON")
    s.set_defaults(func=cmd_check)

    s = sub.add_parser("run", help="check, then time every backend with pytest-benchmark; write results and report")
    mode = s.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="the default: about a minute")
    mode.add_argument("--full", action="store_true", help="every sweep: N = 4..65536, hidden = 2..256 at N=4 and 1024")
    s.add_argument("--backends", help="comma-separated backends (default: all registered)")
    s.add_argument("--out", default="bench-out", help="folder for results/ and the report (default bench-out)")
    s.add_argument("--label", help="a name for this machine in reports (default: CPU model and cores)")
    s.set_defaults(func=cmd_run)

    s = sub.add_parser("report", help="report.md, report.html and plots from result files")
    s.add_argument("results", nargs="+", metavar="RESULTS.json")
    s.add_argument("--out", default="bench-out", help="folder for the report (default bench-out)")
    s.set_defaults(func=cmd_report)

    s = sub.add_parser("compare", help="per-benchmark ratios and a significance test; exit 1 on a regression")
    s.add_argument("base", metavar="BASE.json")
    s.add_argument("new", metavar="NEW.json")
    s.add_argument("--threshold", default="5%", help="smallest change that counts (default 5%%)")
    s.add_argument("--force", action="store_true",
                   help="compare runs from different CPU classes, or timed differently, anyway")
    s.set_defaults(func=cmd_compare)

    from xorbench.bench.experiments import PRESETS

    s = sub.add_parser("experiments", help="convergence over many RNG seeds: ok rate, epochs to ok, plateaus, plots")
    s.add_argument("--preset", choices=list(PRESETS), help="reproduce one write-up's setting exactly")
    s.add_argument("--hidden", help="comma-separated hidden sizes (default 2,3,4,8)")
    s.add_argument("--lr", help="comma-separated learning rates (default 0.1,0.5,1,2,5)")
    s.add_argument("--seeds", type=_count(1), help="RNG seeds (initializations) per configuration (default 100)")
    s.add_argument("--epochs", type=_count(1), help="epochs per run (default 20000)")
    s.add_argument("--backend", help="any registered backend (default c)")
    s.add_argument("--loss", choices=xorbench.LOSSES)
    s.add_argument("--scheme", choices=xorbench.SCHEMES)
    s.add_argument("--no-bias", action="store_true")
    s.add_argument("--chunk", type=_count(1), help="epochs between ok checks and curve points (default epochs/200)")
    s.add_argument("--jobs", type=_count(1), default=os.cpu_count() or 1, help="worker processes (default: all cores)")
    s.add_argument("--out", help="results folder (default experiments-out/<preset or grid>)")
    s.set_defaults(func=cmd_experiments)
    return p


def main(argv=None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # bad arguments (argparse said why, exit 2), or --help (exit 0)
        return e.code
    try:
        return args.func(args)
    except (ValueError, TypeError) as e:
        print(f"xorbench: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("xorbench: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (xorbench compare A B | head): stop quietly, as a killed pipe
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit's flush cannot fail again
        return 128 + signal.SIGPIPE


if __name__ == "__main__":
    sys.exit(main())
