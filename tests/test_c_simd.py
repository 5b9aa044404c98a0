"""c-simd: the same bits whatever the thread count, run after run; and its fused 2-4-1 loop."""
import ctypes
import math
import os

import numpy as np
import pytest

import xorbench
from xorbench.impls.c_simd_impl import K, CSimdBackend
from xorbench.impls.core import PARALLEL_MIN
from xorbench.impls.tolerances import LONG_RUN_RTOL, params_rel_err


def backend(threads):
    be = CSimdBackend()
    be.max_threads = threads
    return be


def bits(result):
    return [a.tobytes() for a in result.params.arrays().values()] + [result.losses.tobytes()]


@pytest.mark.parametrize("n", [PARALLEL_MIN, 3 * PARALLEL_MIN + 37])
def test_threads_do_not_change_the_bits(n):
    X, Y = xorbench.noisy_xor(n, seed=3)
    params = xorbench.init_params(2, 5, 1, seed=1)
    kw = dict(epochs=7, lr=0.5, record_every=1)
    runs = [backend(t).train(params, X, Y, **kw) for t in (1, 2, 0, 2)]
    assert all(bits(r) == bits(runs[0]) for r in runs[1:])
    assert params_rel_err(runs[0].params, xorbench.get_backend("python").train(params, X, Y, **kw).params) \
        <= LONG_RUN_RTOL["fast"]


def test_every_core_ignores_another_librarys_openmp_setting():
    """torch.set_num_threads(1) lowers OpenMP's default thread count for the whole process, through the same
    libgomp; c-simd's "every core" must stay every core (capped by OMP_NUM_THREADS only)."""
    cores = len(os.sched_getaffinity(0))
    cap = int(os.environ.get("OMP_NUM_THREADS", "0").split(",")[0] or 0)
    every_core = min(cores, cap) if cap > 0 else cores
    assert K.lib.xor_simd_max_threads() == every_core
    gomp = ctypes.CDLL("libgomp.so.1")  # the instance already loaded with the kernel
    default = gomp.omp_get_max_threads()
    gomp.omp_set_num_threads(1)
    try:
        assert gomp.omp_get_max_threads() == 1  # the premise: the process-wide default is now 1
        assert K.lib.xor_simd_max_threads() == every_core
    finally:
        gomp.omp_set_num_threads(default)


@pytest.mark.parametrize("n", [4, 7, 19, 2 * PARALLEL_MIN + 5])
def test_fused_241_loop_matches_the_general_loop(n):
    """2-4-1 takes the fused loop (N=4: canonical XOR's own copy of it; N=7: a part-filled vector; N=19: four
    vectors side by side, then a part-filled one; the last: several blocks, eight vectors side by side, the last
    block mostly padding); the same network padded to 3 outputs takes the general one."""
    X, Y = xorbench.xor_dataset() if n == 4 else xorbench.noisy_xor(n, seed=2)
    p = xorbench.init_params(seed=0)
    epochs = 3000 if n == 4 else 30
    fused = backend(0).train(p, X, Y, epochs=epochs, lr=1.0, loss="sse")  # sse: the scale ignores n_out
    wide = xorbench.Params(p.w1, p.b1, np.hstack([p.w2, np.zeros((4, 2))]), np.concatenate([p.b2, [0.0, 0.0]]))
    general = backend(0).train(wide, X, np.hstack([Y, np.full((n, 2), 0.5)]), epochs=epochs, lr=1.0,
                               loss="sse")
    # the two extra outputs sit at 0.5 = target, so they add no gradient; the shared part must agree
    assert np.array_equal(fused.params.w2[:, 0], general.params.w2[:, 0])
    assert np.array_equal(fused.params.w1, general.params.w1)


@pytest.mark.parametrize("n_hidden, n", [(4, 4), (5, 4), (4, 3 * PARALLEL_MIN + 37)])
def test_subnormal_sigmoids_are_redone_exactly(n_hidden, n):
    """z_out = -720: exp(z_out) is subnormal, which the fast exp path cannot scale; the pass must be redone.
    Cases: the fused 2-4-1 loop, the general one, and threaded chunks."""
    X, Y = xorbench.xor_dataset() if n == 4 else xorbench.noisy_xor(n, seed=5)
    Y = np.ones_like(Y)
    p = xorbench.Params(np.zeros((2, n_hidden)), np.zeros(n_hidden), np.full((n_hidden, 1), -1440.0 / n_hidden),
                     np.zeros(1))  # every h is 0.5, so every sample's output sigmoid is sigmoid(-720) ~ 2e-313
    want = xorbench.get_backend("python").train(p, X, Y, epochs=2, lr=1.0, record_every=1)
    got = backend(2).train(p, X, Y, epochs=2, lr=1.0, record_every=1)
    assert 0 < want.params.b2[0] < np.finfo(float).tiny  # the gradient of b2 is subnormal: the test's premise
    assert got.params.b2[0] == pytest.approx(want.params.b2[0], rel=1e-6)  # a subnormal's precision
    assert np.array_equal(got.losses, want.losses)


@pytest.mark.parametrize("subnormal, lo, hi", [(0, -707.0, 707.0), (0, -1.0, 1.0), (1, -745.0, 0.0),
                                                (1, -745.2, -707.0)])
def test_own_exp_is_within_1_5_ulp(subnormal, lo, hi):
    """The kernels' vector exp against libm's (within 0.5 ULP itself) on 200,000 points of each path's domain,
    subnormal results included where the path takes them."""
    x = np.linspace(lo, hi, 200_003)
    out = np.empty_like(x)
    fb = K.ffi.from_buffer
    assert K.lib.xor_simd_exp(fb("double[]", out), fb("double[]", x), x.size, subnormal) == 0
    want = np.array([math.exp(v) for v in x])  # libm's: NumPy's own SIMD exp is less exact
    ulp = np.spacing(want)  # the ULP of the result, subnormal ones included
    assert np.max(np.abs(out - want) / ulp) <= 1.5
    assert K.lib.xor_simd_exp(fb("double[]", out), fb("double[]", np.array([708.0])), 1, 0) != 0  # off its path


def test_info_says_what_it_trades():
    info = xorbench.get_backend("c-simd").info()
    assert info["fma"] == "yes" and "-ffp-contract=fast" in info["cflags"] and "-ffast-math" not in info["cflags"]
    assert "threads" in info and "exp" in info and info["simd"]


@pytest.mark.parametrize("n, hidden, bias", [(4, 4, True), (7, 4, False), (3 * PARALLEL_MIN + 37, 4, True),
                                             (2 * PARALLEL_MIN + 5, 3, True)])
def test_samples_laid_out_once_give_the_bits_of_a_call_that_lays_them_out(n, hidden, bias):
    """A trainer lays its samples out once (xor_simd_layout_new) and every call reads them from there; the kernel's
    own entry point, xor_simd_train, lays them out on every call: two calls of each, the same bits."""
    X, Y = xorbench.xor_dataset() if n == 4 else xorbench.noisy_xor(n, seed=5)
    p = xorbench.init_params(2, hidden, 1, seed=4, bias=bias)
    once, each = (backend(0).trainer(p, X, Y, lr=0.5) for _ in range(2))
    assert once.kernel.layout is not None
    for _ in range(2):
        loss = once.kernel(6, 0, np.empty(0))
        fn, args = each.kernel.bare(6)
        assert fn(*args) == 0 and args[10][0] == loss  # args[10]: final_loss
    assert [a.tobytes() for a in once.params.arrays().values()] == \
        [a.tobytes() for a in each.params.arrays().values()]


def test_a_laid_out_run_checks_the_layouts_length():
    """xor_simd_run reads a->layout only if a->layout_len is the length the sizes give; xor_simd_layout_new
    refuses the arguments xor_simd_run would refuse, returning NULL."""
    from tests.test_c_bounds import xor_args_fields

    ffi, lib = K.ffi, K.lib
    fields, w1, final, (X, Y) = xor_args_fields(ffi)
    n = ffi.new("int64_t *")
    for bad in (dict(X_len=9), dict(n_samples=5), dict(lr=0.0), dict(max_threads=-1)):
        assert lib.xor_simd_layout_new(ffi.new("xor_train_args *", {**fields, **bad}), n) == ffi.NULL, bad
    layout = ffi.gc(lib.xor_simd_layout_new(ffi.new("xor_train_args *", fields), n), lib.xor_simd_layout_free)
    assert layout != ffi.NULL and n[0] == 4 * (2 + 1 + 1)  # Xt, Yt and the mask, one vector of samples each
    assert list(layout[0:n[0]]) == [*X[:, 0], *X[:, 1], *Y[:, 0], 1.0, 1.0, 1.0, 1.0]
    saved = w1.copy()
    for wrong in (n[0] - 1, n[0] + 1, 0):
        args = ffi.new("xor_train_args *", {**fields, "layout": layout, "layout_len": wrong})
        assert lib.xor_simd_run(args, 3, 0, ffi.NULL, 0) == lib.XOR_ERR_SIZE
    assert np.array_equal(w1, saved)
    args = ffi.new("xor_train_args *", {**fields, "layout": layout, "layout_len": n[0]})
    assert lib.xor_simd_run(args, 3, 0, ffi.NULL, 0) == lib.XOR_OK and np.isfinite(final[0])
