"""The roofline model: operation counts, the ceiling, and the report's flag for a point above it."""
import json
import math
import os

import pytest

from xorbench.bench import report, results
from xorbench.bench.roofline import PARALLEL_MIN, Peaks, ceiling, ops_per_epoch

DATA = os.path.join(os.path.dirname(__file__), "data")


def test_operation_counts_for_the_canonical_network():
    exps, divs, flops = ops_per_epoch(4, 4)
    assert exps == divs == 4 * 5
    # per sample: 8 + 4 forward, 2 * 5 sigmoid extras, 7 output, 4 * (2 + 2 + 4) backward; update 17
    assert flops == 4 * (8 + 4 + 10 + 7 + 32) + 17


def test_ceiling_follows_the_slowest_unit_and_the_cores():
    p = Peaks(exp=1e9, div=1e9, fma=1e10, cores=2)
    exps, divs, flops = ops_per_epoch(64, 4)
    assert ceiling(p, 64, 4) == pytest.approx(1 / max(divs / 1e9, exps / 1e9 + flops / 1e10))
    slow_div = Peaks(exp=1e9, div=1e6, fma=1e10, cores=2)
    assert ceiling(slow_div, 64, 4) == pytest.approx(1e6 / divs)
    big = PARALLEL_MIN
    one_core = Peaks(1e9, 1e9, 1e10, 1)
    assert ceiling(p, big, 4) == pytest.approx(2 * ceiling(one_core, big, 4))
    assert ceiling(p, big - 4, 4) == pytest.approx(ceiling(one_core, big - 4, 4))


def test_measured_peaks_are_plausible():
    try:
        p = Peaks.measure(0.15)
    except RuntimeError as e:
        pytest.fail(str(e))
    assert 1e7 < p.exp < p.fma and 1e7 < p.div < p.fma < 1e12


def _with_peak(tmp_path, fma):
    data = json.load(open(os.path.join(DATA, "base.json")))
    data["benchmarks"].append({"group": "peak", "name": "test_machine_peak", "fullname": "x", "params": None,
                               "param": None, "options": {},
                               "extra_info": {"kind": "peak", "backend": "machine", "N": 0, "hidden": 0, "K": 1,
                                              "exp_per_s": fma / 10, "div_per_s": fma / 10, "fma_per_s": fma,
                                              "cores": 2},
                               "stats": data["benchmarks"][0]["stats"]})
    path = tmp_path / "peak.json"
    path.write_text(json.dumps(data))
    return results.load(str(path))


def test_report_shows_percent_of_ceiling(tmp_path):
    md = report.roofline_table(_with_peak(tmp_path, 1e12)).md()
    # xor: 20 exps at 1e11/s plus 261 flops at 1e12/s = 4.61e-10 s an epoch, so 2.17G; c's 4M is 0.2% of it
    assert "| xor | 4 | 4 | 2.17G |" in md and "0.2%" in md and "model bug" not in md


def test_report_flags_a_point_above_the_ceiling(tmp_path):
    md = report.roofline_table(_with_peak(tmp_path, 1e8)).md()
    assert "above the ceiling: model bug" in md


def test_latency_ceiling_binds_small_batches_and_throughput_large_ones():
    from xorbench.bench.roofline import binding, latency_ceiling, throughput_ceiling

    p = Peaks(exp=1e9, div=1e9, fma=1e10, cores=2, lat_exp=20e-9, lat_div=5e-9, lat_fma=1e-9)
    # 2 exps, 2 divisions and n_in + hidden + 12 = 18 FMA latencies: 50 + 18 = 68 ns per epoch, against the
    # throughput's 46 ns at N=4 (20 exps at 1e9/s, then 261 flops at 1e10/s)
    assert latency_ceiling(p, 4) == pytest.approx(1 / 68e-9)
    assert binding(p, 4, 4) == "latency" and ceiling(p, 4, 4) == pytest.approx(1 / 68e-9)
    assert binding(p, 65536, 4) == "throughput" and ceiling(p, 65536, 4) == throughput_ceiling(p, 65536, 4)
    assert ceiling(Peaks(1e9, 1e9, 1e10, 2), 4, 4) == throughput_ceiling(p, 4, 4)  # no latencies measured


def test_measured_peaks_include_the_machines_fastest_exp_and_latencies():
    p = Peaks.measure(0.2)
    assert p.exp == max(p.exp_own, p.exp_libmvec, 0 if math.isnan(p.exp_libmvec8) else p.exp_libmvec8)
    assert p.exp_libmvec > 1e7 and (p.exp_libmvec8 > 1e7 or math.isnan(p.exp_libmvec8))
    assert 1e-10 < p.lat_fma < p.lat_exp < 1e-6 and 1e-10 < p.lat_div < 1e-6
