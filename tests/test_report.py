"""Speed reports and compare, on the small result files in tests/data (see tests/data/make_results.py)."""
import json
import os
import re

import pytest

import xorbench
from xorbench.bench import report, results
from xorbench.bench.cli import main
from xorbench.bench.compare import mann_whitney_p

DATA = os.path.join(os.path.dirname(__file__), "data")
BASE, NEW = os.path.join(DATA, "base.json"), os.path.join(DATA, "new.json")
DOCS_RESULTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "results")


def row(md, first):
    """The cells of the first table row of md whose first cell is `first`."""
    for line in md.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == first:
            return cells
    raise AssertionError(f"no row {first!r}")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    paths = report.write([results.load(BASE)], str(out))
    return out, paths


def test_report_tables_hold_the_numbers(written):
    out, _ = written
    md = (out / "report.md").read_text()
    xor = md[md.index("### Canonical XOR"):md.index("### Crossing")]
    assert row(xor, "python")[1:4] == ["50k", "49.8k–50.3k", "1×"] and row(xor, "python")[4].startswith("0.0125× (")
    assert row(xor, "numpy")[1:3] == ["40k", "39.8k–40.2k"] and row(xor, "numpy")[3].startswith("0.8× (")
    assert row(xor, "c")[1:3] == ["4M", "3.98M–4.02M"] and row(xor, "c")[3].startswith("80× (")
    assert row(xor, "c")[4:6] == ["1×", "20,000"]
    boundary = md[md.index("### Crossing"):md.index("### Granularity")]
    # step(1) 4.5, bare 1.0 (0 epochs) and 2.0 (1 epoch): one epoch of work 1.0, Python-side 2.5
    assert row(boundary, "c")[1:8] == ["4.50", "1.00", "1.00", "2.50", "the foreign call", "20.0", ""]
    assert "c step(1) 2.25×, numba step(1) 2.25×" in boundary
    granularity = md[md.index("### Granularity"):md.index("### Batch")]
    # K columns 1, 4, 16, 64; c's whole loop is its XOR rate, 4M: 3.9M at K=16 is within 10%
    assert row(granularity, "c")[1:] == ["1M", "3M", "3.9M", "4M", "4M", "16"]
    assert row(granularity, "python")[1:] == ["50k", "50k", "-", "-", "50k", "1"]
    batch = md[md.index("### Batch"):]
    assert row(batch, "64")[1:5] == ["200k (3.12k ep/s)", "2M (31.2k ep/s)", "16M (250k ep/s)", "-"]
    assert row(batch, "64")[5].startswith("c (80× (") and row(batch, "64")[5].endswith(") vs python)")


def test_report_states_the_crossover(written):
    md = (written[0] / "report.md").read_text()
    assert "numpy overtakes python between N=4 and N=64 (≈ N=5 by log interpolation)." in md
    assert "overtakes c" not in md and "c overtakes" not in md


def _sweep_point(backend, n, per_call_s, spread=0.001):
    """A batch-sweep point of 20 rounds around per_call_s (K=1), spread as a fraction of it."""
    data = [per_call_s * (1 + spread * ((i % 5) - 2) / 2) for i in range(20)]
    return n, results.Point(f"batch[{backend}-{n}]", "batch", backend, n, 4, 1, per_call_s, min(data), max(data),
                            per_call_s, 0.0, 20, data)


def test_crossovers_skip_swaps_within_noise_and_level_points():
    # a and b: the same speed at every N (a swap of order of 0.2%, inside TOLD_APART); c: behind a by 20% at N=4,
    # level with it at N=16, ahead by 20% at N=64: one crossover, stated between N=4 and N=64
    series = {"a": [_sweep_point("a", n, 1.0 * n) for n in (4, 16, 64)],
              "b": [_sweep_point("b", n, n * (1.002 if n == 16 else 0.998)) for n in (4, 16, 64)],
              "c": [_sweep_point("c", n, n * {4: 1.2, 16: 1.01, 64: 1 / 1.2}[n]) for n in (4, 16, 64)]}
    sentences, left_out = report.crossovers(series, "N")
    assert not any(s.startswith(("a overtakes b", "b overtakes a")) for s in sentences)
    assert "c overtakes a between N=4 and N=64 (≈ N=16 by log interpolation)." in sentences
    assert "c overtakes b between N=4 and N=64 (≈ N=16 by log interpolation)." in sentences
    assert len(sentences) == 2 and left_out == 2  # a and b swap twice, both times within noise
    # told apart, the same swap is stated
    series["b"] = [_sweep_point("b", n, n * (1.25 if n == 16 else 0.8)) for n in (4, 16, 64)]
    assert "a overtakes b between N=4 and N=16 (≈ N=8 by log interpolation)." in report.crossovers(series, "N")[0]


def test_report_flags_noise(written):
    md = (written[0] / "report.md").read_text()
    assert row(md, "numba")[7] == "⚠ noisy: CV 19% > 10%"
    boundary = md[md.index("### Crossing"):md.index("### Granularity")]
    assert row(boundary, "python")[7] == "⚠ noisy: 3 rounds < 5"
    assert row(md, "c")[7] == ""


def test_report_lists_unavailable_backends_and_machine(written):
    md = (written[0] / "report.md").read_text()
    assert row(md, "ghost")[1] == "ghost is not built. Fix: pip install -e ."
    assert "-ffp-contract=off" in row(md, "c build")[1]
    assert row(md, "thread settings")[1] == "OPENBLAS_NUM_THREADS=1"


def test_a_run_names_its_cpu_class_not_only_the_model_name():
    """'AMD EPYC' is Zen 3 (AVX2) on one VM and Zen 4 (AVX-512) on the next: a run records and shows the x86
    family and model, the widest vectors and LLVM's CPU name, and its label carries the last two."""
    from xorbench.bench import machine

    facts = machine.facts()
    flags = open("/proc/cpuinfo").read().split("flags", 1)[1].split("\n", 1)[0].split()
    assert facts["vector_isa"] == ("AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "SSE2")
    assert facts["llvm_cpu"] and facts["cpu_family"] is not None and facts["cpu_model_number"] is not None
    run = results.load(BASE)
    run.machine.update(cpu="AMD EPYC", cpu_family="25", cpu_model_number="1", vector_isa="AVX2", llvm_cpu="znver3")
    assert row(report.machine_table(run).md(), "CPU class")[1] == "family 25, model 1, widest vectors AVX2, LLVM CPU znver3"
    assert machine.cpu_label(run.machine) == "AMD EPYC (znver3, AVX2)"
    assert "CPU class" not in report.machine_table(results.load(BASE)).md()  # nothing recorded: no blank row
    shipped = [os.path.join(DOCS_RESULTS, f) for f in sorted(os.listdir(DOCS_RESULTS))]
    isa = {"zen4": "AVX-512", "zen3": "AVX2"}
    for path in shipped:  # each file's class, from its own record (pytest-benchmark's cpu flags for older runs)
        kind = next(k for k in isa if k in path)
        assert results.load(path).label.startswith("AMD EPYC (") and isa[kind] in results.load(path).label, path


def test_machine_table_leaves_out_what_a_build_does_not_record():
    run = results.load(BASE)
    run.machine.setdefault("backends", {})["cython"] = {"available": True, "cython": "3.1.0", "cflags": ["-O3"]}
    md = report.machine_table(run).md()
    assert row(md, "cython build")[1] == "-O3"


def test_html_is_self_contained_and_plots_exist(written):
    out, paths = written
    page = (out / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count("data:image/png;base64,") == 3
    assert not re.search(r"src=['\"](?!data:)", page)  # nothing loaded from outside the file
    for png in ("xor.png", "granularity.png", "batch.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "numpy overtakes python" in page


def test_report_side_by_side(tmp_path, capsys):
    """Two runs: one table a point with a column per machine and the ratio between them, the order changes, and
    the plots with a line style per machine; then each run's own report, as before."""
    assert main(["report", BASE, NEW, "--out", str(tmp_path)]) == 0
    md = (tmp_path / "report.md").read_text()
    assert md.count("## Test machine") == 2 and (tmp_path / "run2-xor.png").exists()
    side = md[md.index("## Machines side by side"):md.index("## Test machine")]
    xor = side[side.index("### Canonical XOR, machine by machine"):side.index("### Batch")]
    c = row(xor, "c")  # c: 4M on A, 3.2M on B (25% longer calls): B is 0.8x A
    assert c[1] == "4M" and c[3] == "3.2M" and c[5].startswith("0.8× (") and not c[5].startswith("tie")
    assert row(xor, "numba")[5].startswith("3× (")  # numba: 3x faster on B
    assert row(xor, "python")[5].startswith("tie: 1×")  # the same timings on both: a tie, never a win
    assert "canonical XOR: c is ahead of numba on A, behind it on B." in side
    assert (tmp_path / "compare-batch.png").stat().st_size > 1000


def test_ratios_carry_intervals_and_ties_are_called_ties(written):
    md = (written[0] / "report.md").read_text()
    xor = md[md.index("### Canonical XOR"):md.index("### Crossing")]
    assert row(xor, "python")[3] == "1×" and re.fullmatch(r"0\.0125× \(0\.01\d+–0\.01\d+\)", row(xor, "python")[4])


@pytest.mark.parametrize("bad,message", [
    ("malformed.json", "malformed JSON"),
    ("foreign.json", "foreign or older schema"),
    ("missing.json", "cannot read"),
])
def test_bad_result_files_exit_2(tmp_path, capsys, bad, message):
    path = os.path.join(DATA, bad)
    assert main(["report", path, "--out", str(tmp_path)]) == 2
    assert main(["compare", BASE, path]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_malformed_benchmark_entry(tmp_path):
    import json
    data = json.load(open(BASE))
    del data["benchmarks"][0]["stats"]["median"]
    p = tmp_path / "x.json"
    p.write_text(json.dumps(data))
    with pytest.raises(results.ResultsError, match="benchmark 0 is malformed"):
        results.load(str(p))


def test_compare_gates_on_significant_slowdown(capsys):
    assert main(["compare", BASE, NEW]) == 1
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("test_xor[c]"))
    assert "0.80x" in line and "SLOWER" in line
    numba = next(ln for ln in out.splitlines() if ln.startswith("test_xor[numba]"))
    assert "3.00x" in numba and "suspicious" in numba
    numpy = next(ln for ln in out.splitlines() if ln.startswith("test_xor[numpy]"))
    assert "0.97x" in numpy and "within threshold" in numpy
    assert "REGRESSION" in out


def test_compare_exit_codes(capsys):
    assert main(["compare", BASE, BASE]) == 0
    assert "no significant regression" in capsys.readouterr().out
    assert main(["compare", NEW, BASE]) == 1  # reversed: numba is now 3x slower
    assert "faster; verify it is real" in next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("test_xor[c]"))
    assert main(["compare", BASE, NEW, "--threshold", "30%"]) == 0  # 20% slower is within 30%
    assert main(["compare", BASE, NEW, "--threshold", "0.3"]) == 0
    assert main(["compare", BASE, NEW, "--threshold", "lots"]) == 2


def test_mann_whitney_is_exact_for_small_samples():
    """Three rounds against three, no ties: the exact p is 2/20 = 0.1 (the normal approximation says 0.08)."""
    assert mann_whitney_p([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]) == pytest.approx(0.1, rel=1e-12)


def test_mann_whitney_matches_scipy_values():
    # with ties, the normal approximation (tie-corrected, with continuity), as scipy.stats.mannwhitneyu gives it
    assert mann_whitney_p([1, 1, 2, 2, 3], [2, 2, 3, 3, 4]) == pytest.approx(0.12512238701328704, rel=1e-12)
    a = [0.1, 0.4, 0.35, 0.8, 0.45, 0.6, 0.2]
    assert mann_whitney_p(a, a) == 1.0
    # no ties: exact, 2 / C(14, 7) for two samples of 7 that do not overlap at all
    assert mann_whitney_p(a, [x + 10 for x in a]) == pytest.approx(2 / 3432, rel=1e-12)
    assert mann_whitney_p([1.0], [2.0]) != mann_whitney_p([1.0], [2.0])  # nan: too few samples


def test_report_says_what_each_peer_trades(written):
    md = (written[0] / "report.md").read_text()
    peers = md[md.index("### Peers"):]
    assert row(peers, "jax")[1:5] == ["one XLA program per call", "500 ms", "c 4×", "c 2×"]


def test_a_run_is_set_against_the_shipped_reference_runs(tmp_path):
    refs = tmp_path / "refs"
    refs.mkdir()
    (refs / "ref.json").write_text(open(BASE).read())
    text = report.against_references(results.load(NEW), str(refs))
    assert "your machine vs Test machine (ref.json)" in text
    assert "c 0.8× (" in text and "numba 3× (" in text and "python tie: 1×" in text
    assert "no reference runs" in report.against_references(results.load(NEW), str(tmp_path / "none"))


def test_html_reads_well_on_a_phone_and_a_desk(written):
    """Checked by eye in headless Chromium at 1400 and 420 px (python -m xorbench.bench.screenshot); held here:
    a viewport, tables that scroll in their own box, numbers right-aligned and unwrapped, prose left-aligned,
    `code` as code, no empty header row, no Python reprs."""
    page = (written[0] / "report.html").read_text()
    assert "<meta name='viewport' content='width=device-width, initial-scale=1'>" in page
    assert page.count("<div class='scroll'><table>") == page.count("<table>")
    assert "<td class='num'>49.8k–50.3k</td>" in page and "<td>python</td>" in page
    assert report.Table("With `xorbench check`", ["a"], [["`x`"]]).html().startswith(
        "<h3>With <code>xorbench check</code></h3>") and "`" not in page
    assert "<tr><th></th><th></th></tr>" not in page and "=None" not in page and "False" not in page


def test_plots_tell_every_line_apart_and_hide_none(tmp_path, monkeypatch):
    """Sweep plots: a marker per backend, noisy points as black crosses with their own legend entry (not c's
    red), and the legend outside the axes, where it hides no line."""
    import matplotlib.figure

    save, seen = matplotlib.figure.Figure.savefig, []

    def savefig(fig, *args, **kwargs):
        ax = fig.axes[0]
        legend = ax.get_legend()
        if legend is not None and ax.get_xscale() == "log":
            fig.canvas.draw()
            renderer = fig.canvas.get_renderer()
            assert legend.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1  # right of the axes
            lines = [ln for ln in ax.get_lines() if ln.get_label() and not ln.get_label().startswith("_")]
            assert len({ln.get_marker() for ln in lines}) == len(lines)
            labels = [t.get_text() for t in legend.get_texts()]
            noisy = [c for c in ax.collections if c.get_label().startswith("⚠ noisy")]
            if noisy:
                assert noisy[0].get_label() in labels and tuple(noisy[0].get_facecolor()[0][:3]) == (0, 0, 0)
            seen.append((len(lines), bool(noisy)))
        return save(fig, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", savefig)
    data = json.load(open(BASE))
    data["benchmarks"] = [b for b in data["benchmarks"]]
    for b in data["benchmarks"]:  # make one batch point noisy
        if b["name"] == "test_batch_sweep[c-N=64]":
            b["stats"]["stddev"] = b["stats"]["mean"] * 0.5
    path = tmp_path / "noisy.json"
    path.write_text(json.dumps(data))
    report.write([results.load(str(path))], str(tmp_path / "out"))
    assert seen and any(noisy for _, noisy in seen)


def _with_fast_rows(tmp_path, plain_s, backend_s):
    """BASE plus the plain loop's baseline on XOR and c's interleaved rounds against it (K 100 each side)."""
    data = json.load(open(BASE))
    template = data["benchmarks"][0]
    base = json.loads(json.dumps(template))
    base["name"] = "test_plain_loop[N=4]"
    base["extra_info"] = dict(kind="baseline", backend="plain-fastmath-c", N=4, hidden=4, K=100, cflags=["-O3"])
    pair = json.loads(json.dumps(template))
    pair["name"] = "test_against_plain_loop[c-N=4]"
    pair["extra_info"] = dict(kind="plain_pair", backend="c", N=4, hidden=4, K=100, K_plain=100,
                              plain_s=plain_s, backend_s=backend_s)
    data["benchmarks"] += [base, pair]
    path = tmp_path / "fast.json"
    path.write_text(json.dumps(data))
    return str(path)


def test_fast_rows_take_interleaved_ratios_round_by_round(tmp_path):
    # the machine slows down 3x halfway through: each round's pair sees it alike, so every ratio is 2
    plain = [2.0, 2.0, 2.0, 6.0, 6.0, 6.0]
    mine = [1.0, 1.0, 1.0, 3.0, 3.0, 3.0]
    table = report.fast_rows_table(results.load(_with_fast_rows(tmp_path, plain, mine))).md()
    assert row(table, "c")[1] == "2× (2–2) (interleaved)"
    assert "interleaved" in table and "back to back" in table


def test_against_c_simd_takes_interleaved_ratios_round_by_round(tmp_path):
    data = json.load(open(_with_fast_rows(tmp_path, [1.0], [1.0])))
    for n, simd_s, backend_s in [(4, [1.0, 3.0, 2.0], [1.0, 3.0, 2.0]), (64, [1.0, 1.0], [0.5, 0.5])]:
        pair = json.loads(json.dumps(data["benchmarks"][0]))
        pair["name"] = f"test_against_c_simd[numba-fast-N={n}]"
        pair["extra_info"] = dict(kind="simd_pair", backend="numba-fast", N=n, hidden=4, K=200, K_simd=100,
                                  simd_s=simd_s, backend_s=backend_s)
        data["benchmarks"].append(pair)
    path = tmp_path / "simd.json"
    path.write_text(json.dumps(data))
    table = report.against_simd_table(results.load(str(path))).md()
    # the backend's calls do twice c-simd's epochs: equal times mean twice c-simd's speed
    assert row(table, "numba-fast")[1:] == ["2× (2–2)", "4× (4–4)"]
    assert "N=4 (XOR)" in table and "one thread" in table


def test_fast_rows_with_mismatched_rounds_are_refused(tmp_path, capsys):
    path = _with_fast_rows(tmp_path, [1.0, 2.0], [1.0])
    assert main(["report", path, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "plain_s and backend_s" in err and "Traceback" not in err


def test_threads_table_takes_the_interleaved_speed_up_round_by_round(tmp_path):
    data = json.load(open(_with_fast_rows(tmp_path, [1.0], [1.0])))
    pair = json.loads(json.dumps(data["benchmarks"][0]))
    pair["name"] = "test_threads_interleaved[c-simd]"
    # every core runs 2x the epochs of a one-thread call: one thread's 2 s and then 1 s make 4x, 4x, 4x
    pair["extra_info"] = dict(kind="threads_pair", backend="c-simd", N=65536, hidden=4, K=200, K_one_thread=100,
                              one_thread_s=[2.0, 1.0, 2.0], backend_s=[1.0, 0.5, 1.0])
    data["benchmarks"].append(pair)
    path = tmp_path / "threads.json"
    path.write_text(json.dumps(data))
    table = report.threads_table(results.load(str(path))).md()
    assert row(table, "c-simd")[1:8] == ["65536", "-", "-", "-", "4× (4–4)", "-", "-"]  # no twins ran: no ceiling
    assert "back to back" in table


def _threads_pair_beside_twins(tmp_path, beside_s, twins=1, twin_rates=None):
    """BASE plus c-simd's interleaved threads rounds (K 100 both sides): one thread 2, 1, 2 s; every core 1.25,
    0.625, 1.25 s (1.6x); the one-thread call beside `twins` twins beside_s, the twins' epochs/s twin_rates."""
    data = json.load(open(_with_fast_rows(tmp_path, [1.0], [1.0])))
    pair = json.loads(json.dumps(data["benchmarks"][0]))
    pair["name"] = "test_threads_interleaved[c-simd]"
    pair["extra_info"] = dict(kind="threads_pair", backend="c-simd", N=65536, hidden=4, K=100, K_one_thread=100,
                              one_thread_s=[2.0, 1.0, 2.0], backend_s=[1.25, 0.625, 1.25], twins=twins,
                              beside_twins_s=beside_s)
    if twin_rates is not None:
        pair["extra_info"]["twins_epochs_per_s"] = twin_rates
    data["benchmarks"].append(pair)
    path = tmp_path / "twins.json"
    path.write_text(json.dumps(data))
    return str(path)


def test_threads_table_gives_the_machines_ceiling_from_the_twins_rounds(tmp_path):
    # beside one twin the one-thread call takes 1.25x as long: two cores can give 2 / 1.25 = 1.6x, which the
    # backend's own 1.6x reaches; the machine slows down 2x in the second round, alike for every timing
    table = report.threads_table(results.load(_threads_pair_beside_twins(tmp_path, [2.5, 1.25, 2.5]))).md()
    assert row(table, "c-simd")[5:8] == ["1.6× (1.6–1.6)", "1.6× (1.6–1.6)", "tie: 1× (1–1)"]
    assert "twin" in table and "ceiling" in table
    # three twins (four cores) and no slow-down beside them: the ceiling is 4x, of which 1.6x is 0.4
    table = report.threads_table(results.load(_threads_pair_beside_twins(tmp_path, [2.0, 1.0, 2.0], 3))).md()
    assert row(table, "c-simd")[6:8] == ["4× (4–4)", "0.4× (0.4–0.4)"]


def test_the_ceiling_counts_what_each_twin_ran_itself(tmp_path):
    # the one-thread call: 50, 100, 50 epochs/s alone, 40, 80, 40 beside the twin; the twin on the other core runs
    # at 10, 20, 10 epochs/s (a core the host gives less): 50, 100, 50 epochs/s in all, 1x the call alone, so the
    # backend's 1.6x is 1.6 times what the machine allowed then
    rates = [[10.0], [20.0], [10.0]]
    table = report.threads_table(results.load(_threads_pair_beside_twins(tmp_path, [2.5, 1.25, 2.5], 1,
                                                                          rates))).md()
    assert row(table, "c-simd")[5:8] == ["1.6× (1.6–1.6)", "tie: 1× (1–1)", "1.6× (1.6–1.6)"]
    # a twin as fast as the main call beside it gives what cores x (alone / beside) gave: 1.6x, reached in full
    rates = [[40.0], [80.0], [40.0]]
    table = report.threads_table(results.load(_threads_pair_beside_twins(tmp_path, [2.5, 1.25, 2.5], 1,
                                                                          rates))).md()
    assert row(table, "c-simd")[5:8] == ["1.6× (1.6–1.6)", "1.6× (1.6–1.6)", "tie: 1× (1–1)"]


@pytest.mark.parametrize("beside, twins, rates, says", [
    ([2.5, 1.25], 1, None, "beside_twins_s"), ([2.5, 1.25, -1.0], 1, None, "-1.0"),
    ([2.5, 1.25, 2.5], 0, None, "twins: 0 is outside"),
    ([2.5, 1.25, 2.5], 1, [[1.0], [1.0]], "twins_epochs_per_s"),  # a round short
    ([2.5, 1.25, 2.5], 1, [[1.0], [1.0, 2.0], [1.0]], "twins_epochs_per_s"),  # two rates from one twin
    ([2.5, 1.25, 2.5], 1, [[1.0], [0.0], [1.0]], "0.0")])
def test_malformed_twins_rounds_are_refused(tmp_path, capsys, beside, twins, rates, says):
    path = _threads_pair_beside_twins(tmp_path, beside, twins, rates)
    assert main(["report", path, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert says in err and "twins.json" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_run_without_some_benchmarks_gets_no_empty_table_for_them(tmp_path):
    data = json.load(open(BASE))
    data["benchmarks"] = [b for b in data["benchmarks"] if b["extra_info"]["kind"] != "xor"]
    path = tmp_path / "no-xor.json"
    path.write_text(json.dumps(data))
    md = "\n".join(t.md() for t in report.tables(results.load(str(path))))
    assert "### Canonical XOR" not in md and "### Batch sweep" in md


def _rounds(tmp_path, name, one_thread_s, backend_s, round_s):
    """BASE's benchmarks plus one threads_pair whose rounds took round_s (pytest-benchmark's own timings)."""
    path = _threads_pair_beside_twins(tmp_path, [2.5, 1.25, 2.5])
    data = json.load(open(path))
    pair = data["benchmarks"][-1]
    pair["extra_info"].update(one_thread_s=one_thread_s, backend_s=backend_s)
    srt = sorted(round_s)
    pair["stats"].update(data=round_s, median=srt[1], q1=srt[0], q3=srt[2], mean=sum(round_s) / 3, rounds=3,
                         stddev=0.0)
    out = tmp_path / name
    out.write_text(json.dumps(data))
    return str(out)


def test_compare_takes_an_interleaved_benchmark_at_its_backends_own_calls(tmp_path, capsys):
    """Each round of an interleaved benchmark also times the reference (and, for threads, the call beside twins):
    compare must judge the backend by its own calls, not by the rounds' totals."""
    base = _rounds(tmp_path, "base.json", [2.0, 2.1, 2.2], [1.0, 1.1, 1.2], [4.0, 4.1, 4.2])
    same = _rounds(tmp_path, "same.json", [6.0, 6.1, 6.2], [1.0, 1.1, 1.2], [12.0, 12.1, 12.2])  # only the rest slower
    slower = _rounds(tmp_path, "slower.json", [2.0, 2.1, 2.2], [3.0, 3.1, 3.2], [8.0, 8.1, 8.2])

    def line(new):
        main(["compare", base, new])
        return next(ln for ln in capsys.readouterr().out.splitlines()
                    if ln.startswith("test_threads_interleaved[c-simd]"))

    assert "1.00x" in line(same) and "slower" not in line(same).lower()
    assert "0.35x" in line(slower) and "slower" in line(slower)  # 1.1 s against 3.1 s a call (3 rounds: p = 0.1)


def _variant(tmp_path, name, source=NEW, machine=None, profile=None, drop_timing=False):
    """A copy of a test result file with some machine facts (and profile entries) changed."""
    data = json.load(open(source))
    facts = data["machine_info"]["xorbench"]
    facts.update(machine or {})
    facts["profile"].update(profile or {})
    if drop_timing:
        del facts["profile"]["timing"]
    out = tmp_path / name
    out.write_text(json.dumps(data))
    return str(out)


def test_compare_refuses_runs_from_different_cpu_classes(tmp_path, capsys):
    """Zen 3 against Zen 4 (both "AMD EPYC") is a difference of machines, not of code: compare says so and exits
    2, not 1 or 0; --force compares anyway, saying it on top. A fact only one run recorded is no difference."""
    zen3 = _variant(tmp_path, "zen3.json", BASE, dict(cpu="AMD EPYC", vector_isa="AVX2", llvm_cpu="znver3"))
    zen4 = _variant(tmp_path, "zen4.json", NEW, dict(cpu="AMD EPYC", vector_isa="AVX-512", llvm_cpu="znver4"))
    assert main(["compare", zen3, zen4]) == 2
    err = capsys.readouterr().err
    assert "not like for like (the CPU: AMD EPYC (znver3, AVX2), 2 cores vs AMD EPYC (znver4, AVX-512), 2 cores)" \
        in err and "--force" in err and "Traceback" not in err
    assert main(["compare", zen3, zen4, "--force"]) == 1  # the gate still judges what it was forced to compare
    out = capsys.readouterr().out
    assert out.splitlines()[2] == ("NOT LIKE FOR LIKE, the ratios measure this too: the CPU: AMD EPYC (znver3, "
                                   "AVX2), 2 cores vs AMD EPYC (znver4, AVX-512), 2 cores")
    older = _variant(tmp_path, "older.json", NEW, dict(cpu="AMD EPYC", vector_isa="AVX2"))  # no LLVM CPU recorded
    assert main(["compare", zen3, older]) == 1 and "LIKE" not in capsys.readouterr().out
    fewer = _variant(tmp_path, "fewer.json", NEW, dict(cores=1))
    assert main(["compare", BASE, fewer]) == 2 and "2 cores vs Test CPU, 1 cores" in capsys.readouterr().err


def test_compare_refuses_runs_timed_differently(tmp_path, capsys):
    """A file from before loop timing timed whole train() calls: against one that times the loop, every ratio
    would be the change of method. Reports say it where they set such runs side by side."""
    old = _variant(tmp_path, "old.json", BASE, drop_timing=True)
    assert results.load(old).timing == "train" and results.load(NEW).timing == "loop"
    assert main(["compare", old, NEW]) == 2
    assert "what one timed call is: one whole train() of K epochs" in capsys.readouterr().err
    assert main(["report", old, NEW, "--out", str(tmp_path / "out")]) == 0
    md = (tmp_path / "out" / "report.md").read_text()
    assert "Not timed alike, so the ratios between runs measure that too: A: one whole train()" in md
    own = md.split("## Test machine")[1:]  # each run's own report, A's then B's
    assert row(own[0], "one timed call")[1].startswith("one whole train()")
    assert row(own[1], "one timed call")[1].startswith("K epochs of a prepared kernel")
    refs = tmp_path / "refs"
    refs.mkdir()
    (refs / "old.json").write_text(open(old).read())
    assert "(timed differently: one whole train()" in report.against_references(results.load(NEW), str(refs))
    future = _variant(tmp_path, "future.json", profile=dict(timing="cycles"))
    assert main(["compare", BASE, future]) == 2 and "unknown timing 'cycles'" in capsys.readouterr().err


def test_compare_names_other_differences_and_still_gates(tmp_path, capsys):
    """Library versions, thread settings and the profile may be the change under test: named, never refused."""
    upgraded = _variant(tmp_path, "upgraded.json", NEW, dict(versions={"python": "3.11.7", "numpy": "2.5.0"},
                                                             threads={"OPENBLAS_NUM_THREADS": "2"}),
                        profile=dict(name="full"))
    assert main(["compare", BASE, upgraded]) == 1
    out = capsys.readouterr().out
    assert "also different: numpy 2.4.6 vs 2.5.0; OPENBLAS_NUM_THREADS=1 vs 2; profile name quick vs full" in out
    assert "LIKE FOR LIKE" not in out


def test_a_closed_pipe_ends_the_command_quietly(tmp_path):
    """xorbench list | head: the reader goes away before the output is written; no traceback, exit 141 as a
    process killed by SIGPIPE."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "xorbench", "list"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=tmp_path)
    proc.stdout.close()  # long before the child, still importing, writes a line
    err = proc.stderr.read().decode()
    assert proc.wait() == 141 and err == ""


def test_a_difference_below_zero_is_shown_as_noise():
    """Python-side is step(1) less the bare call: two best-of timings whose difference can fall below zero when it
    is smaller than their noise. The table says ≈0 and keeps the value, never a bare negative time."""
    run = results.load(BASE)
    p = next(p for p in run.by_kind("boundary") if p.backend == "c")
    p.extra.update(step1_us=1.8, bare1_us=2.0)
    boundary = report.boundary_table(run).md()
    assert row(boundary, "c")[3:5] == ["1.00", "≈0 (-0.20)"]
    assert "a difference below zero (≈0) is smaller than the timings' noise" in boundary


def test_every_backend_gets_its_own_line_style():
    """The first 13 backends of a run (every built-in one) each get a colour of their own, no two of 143 share both
    colour and marker, and no marker is the black x that marks a noisy point (python and torch once both drew
    blue circles)."""
    styles = [tuple(report.line_style(i).values()) for i in range(143)]
    assert len({colour for colour, _ in styles[:13]}) == 13 and len(set(styles)) == 143
    assert "x" not in report.MARKERS and len(xorbench.names()) <= 13
