"""numba-fast: the same bits whatever the thread count, its own exp against libm's, and what it trades."""
import itertools
import math
import os
import re
import subprocess
import sys

import numba
import numpy as np
import pytest

import xorbench
from xorbench.impls import numba_fast_impl as nf
from xorbench.impls.tolerances import LONG_RUN_RTOL, params_rel_err


def bits(result):
    return [a.tobytes() for a in result.params.arrays().values()] + [result.losses.tobytes()]


@pytest.mark.parametrize("n", [nf.PARALLEL_MIN, 3 * nf.PARALLEL_MIN + 37, 65536])
@pytest.mark.parametrize("hidden", [4, 5, 8], ids=["2-4-1", "blocks", "blocks-8"])
def test_threads_do_not_change_the_bits(n, hidden):
    """One thread, every thread, then one again (through max_threads: the backend sets Numba's thread count
    itself), on three problems: a sum one bit apart shows in some problems only (2-8-1, N=65536: seeds 0 and 2)."""
    for seed in (0, 1, 2):
        X, Y = xorbench.noisy_xor(n, seed=seed)
        params = xorbench.init_params(2, hidden, 1, seed=seed)
        kw = dict(epochs=7, lr=0.5, record_every=1)
        runs = []
        for threads in (1, numba.config.NUMBA_NUM_THREADS, 1):
            backend = type(xorbench.get_backend("numba-fast"))()
            backend.max_threads = threads
            runs.append(backend.train(params, X, Y, **kw))
        assert [bits(r) == bits(runs[0]) for r in runs[1:]] == [True, True], f"seed {seed}: [all threads, one again] same as one thread"
        assert params_rel_err(runs[0].params, xorbench.get_backend("python").train(params, X, Y, **kw).params) \
            <= LONG_RUN_RTOL["fast"]


@pytest.mark.parametrize("n, hidden", [(4096, 5), (4096, 8), (1000, 3)])
def test_block_sums_do_not_depend_on_where_the_arrays_lie(n, hidden):
    """blocks() on every pair of its arrays laid end to end, in both orders, against each on its own: a loop
    that sums and stores was vectorized or not depending on the addresses (AMD EPYC Zen 3: Yt anywhere before
    d_out), so a block on another thread, with scratch of its own, gave other bits."""
    X, Y = xorbench.noisy_xor(n, seed=0)
    params = xorbench.init_params(2, hidden, 1, seed=0)
    Xt, Yt, mask = nf.columns(X, Y)
    n_blocks = -(-Xt.shape[1] // nf.BLOCK)
    given = dict(Xt=Xt, Yt=Yt, mask=mask, **params.arrays())
    shapes = dict(dw1=(n_blocks, 2, hidden), db1=(n_blocks, hidden), dw2=(n_blocks, hidden, 1), db2=(n_blocks, 1),
                  sq=(n_blocks,), hidden=(hidden, nf.BLOCK), d_out=(1, nf.BLOCK), d_z1=(nf.BLOCK,),
                  **{k: a.shape for k, a in given.items()})

    def sums(together=()):
        arrays = {k: np.zeros(shape) for k, shape in shapes.items()}
        sizes = [math.prod(shapes[k]) for k in together]
        buffer = np.zeros(sum(sizes))
        for k, at, size in zip(together, np.cumsum([0] + sizes), sizes):
            arrays[k] = buffer[at:at + size].reshape(shapes[k])
        for k, a in given.items():
            arrays[k][...] = a
        a = arrays
        nf.blocks(a["dw1"], a["db1"], a["dw2"], a["db2"], a["sq"], 0, n_blocks, a["hidden"], a["d_out"], a["d_z1"],
                  a["Xt"], a["Yt"], a["mask"], a["w1"], a["b1"], a["w2"], a["b2"], 2.0 / n, True)
        return [a[k].tobytes() for k in ("dw1", "db1", "dw2", "db2", "sq")]

    apart = sums()
    assert [pair for pair in itertools.permutations(shapes, 2) if sums(pair) != apart] == []


@numba.njit(fastmath=nf.FLAGS, error_model="numpy")
def _exp_all(out, x):
    for i in range(x.shape[0]):
        out[i] = nf.exp(x[i])


def test_exp_is_within_3_ulp_of_libm_over_the_normal_range():
    x = np.concatenate([np.linspace(-40, 40, 40001), np.geomspace(1e-300, 1, 2001), -np.geomspace(1e-300, 1, 2001),
                        np.linspace(nf.EXP_LO, -700, 2001), np.linspace(700, nf.EXP_HI, 2001)])
    got = np.empty_like(x)
    _exp_all(got, x)
    want = np.array([math.exp(v) for v in x])
    ulp = np.abs(got - want) / np.spacing(want)
    assert ulp.max() <= 3, (x[ulp.argmax()], got[ulp.argmax()], want[ulp.argmax()])
    # beyond: inf above EXP_HI; exp(EXP_LO), the least normal result, below EXP_LO (a sigmoid adds it to 1)
    beyond = np.array([709.79, 710.0, 746.0, 1e4, np.inf, -708.4, -746.0, -1e4, -np.inf])
    got = np.empty_like(beyond)
    _exp_all(got, beyond)
    floor = math.exp(nf.EXP_LO)
    assert got[:5].tolist() == [np.inf] * 5
    assert np.abs(got[5:] - floor).max() <= 3 * np.spacing(floor) and got[5:].min() >= np.finfo(float).tiny
    assert 1.0 + got[5:].max() == 1.0


def test_padding_samples_change_nothing():
    """N=5 pads to 8 with zero-weight samples: the same network must learn as from its 5 real samples."""
    X, Y = xorbench.noisy_xor(5, seed=2)
    params = xorbench.init_params(2, 3, 1, seed=4)
    got = xorbench.get_backend("numba-fast").train(params, X, Y, epochs=2000, lr=0.5, record_every=100)
    ref = xorbench.get_backend("python").train(params, X, Y, epochs=2000, lr=0.5, record_every=100)
    assert params_rel_err(got.params, ref.params) <= LONG_RUN_RTOL["fast"]


def test_info_says_what_it_trades():
    info = xorbench.get_backend("numba-fast").info()
    assert info["fma"] == "yes" and "reassoc" in info["fastmath"]
    assert "nnan" not in info["fastmath"] and "ninf" not in info["fastmath"]
    assert "threads" in info and "exp" in info and info["simd"]


@pytest.mark.parametrize("n", [4, 5, 53, nf.PARALLEL_MIN, 2 * nf.CHUNK + 2 * nf.LANES + 3])
@pytest.mark.parametrize("bias,loss", [(True, "mse"), (False, "sse")])
def test_fused_241_path_matches_the_reference(n, bias, loss):
    """2-4-1 runs train_241 (four samples; 53: four side by side, then a tail; chunks), not the blocks: it is held to the
    same tolerance, and threads (from PARALLEL_MIN samples) give its bits."""
    fused_241_path_matches_the_reference(n, bias, loss)


def fused_241_path_matches_the_reference(n, bias, loss):
    """numba-fast on n samples of 2-4-1: the reference's parameters and losses within the fast tolerance, through
    train_241 and with its threaded twin's bits."""
    X, Y = xorbench.xor_dataset() if n == 4 else xorbench.noisy_xor(n, seed=n)
    params = xorbench.init_params(2, 4, 1, seed=7, bias=bias)
    kw = dict(epochs=3000 if n < 100 else 30, lr=0.5, loss=loss, record_every=500 if n < 100 else 5)
    got = xorbench.get_backend("numba-fast").train(params, X, Y, **kw)
    ref = xorbench.get_backend("python").train(params, X, Y, **kw)
    assert params_rel_err(got.params, ref.params) <= LONG_RUN_RTOL["fast"]
    np.testing.assert_allclose(got.losses, ref.losses, rtol=LONG_RUN_RTOL["fast"])
    assert train_241_ran(params, X, Y, kw) and got.loss == pytest.approx(ref.loss, rel=LONG_RUN_RTOL["fast"])


def test_241_chunks_depend_on_the_batch_alone_and_give_two_threads_work():
    """One chunk below PARALLEL_MIN; from it on, at least two, each a whole number of vectors and at most CHUNK,
    covering the batch."""
    assert nf.chunk_241_size(8) == 8 and nf.chunk_241_size(nf.PARALLEL_MIN - nf.LANES) == nf.PARALLEL_MIN - nf.LANES
    for n_padded in (nf.PARALLEL_MIN, nf.PARALLEL_MIN + nf.LANES, 2 * nf.CHUNK - nf.LANES, 2 * nf.CHUNK,
                     2 * nf.CHUNK + nf.LANES, 65536):
        chunk = nf.chunk_241_size(n_padded)
        n_chunks = -(-n_padded // chunk)
        assert chunk % nf.LANES == 0 and chunk <= nf.CHUNK and n_chunks >= 2, (n_padded, chunk)
        assert (n_chunks - 1) * chunk < n_padded <= n_chunks * chunk


def train_241_ran(params, X, Y, kw):
    """The fused path is the one taken: calling it directly gives the backend's bits, and so does calling its
    threaded twin, whether the batch is one chunk or several."""
    backend = xorbench.get_backend("numba-fast").train(params, X, Y, **kw)
    Xt, Yt, mask = nf.columns(X, Y)
    for train in (nf.train_241, nf.train_241_threaded):
        w1, w2 = params.w1.copy(), params.w2.copy()
        b1, b2 = (params.b1.copy(), params.b2.copy()) if params.bias else (nf._NO_BIAS, nf._NO_BIAS)
        loss = train(w1, b1, w2, b2, np.empty(kw["epochs"]), Xt, Yt, mask, kw["epochs"], kw["lr"],
                     kw["loss"] == "mse", kw["record_every"], params.bias, True)
        if w1.tobytes() != backend.params.w1.tobytes() or loss != backend.loss:
            return False
    return True


def test_units_path_is_for_wide_layers_and_small_batches():
    """train_units from UNITS_WIDE units at any batch, or more than four and at least the batch; below
    PARALLEL_MIN only (never threaded)."""
    assert nf.units_innermost(4, 5) and nf.units_innermost(16, 16) and nf.units_innermost(2048, nf.UNITS_WIDE)
    assert not nf.units_innermost(4, 4) and not nf.units_innermost(3, 3) and not nf.units_innermost(17, 16)
    assert not nf.units_innermost(nf.PARALLEL_MIN, 4 * nf.PARALLEL_MIN)


@pytest.mark.parametrize("sizes, n", [((2, 8, 1), 4), ((3, 64, 2), 17), ((1, 5, 3), 1), ((2, 70, 1), 300)])
@pytest.mark.parametrize("bias,loss", [(True, "mse"), (False, "sse")])
def test_units_path_matches_the_reference(sizes, n, bias, loss):
    """These run train_units (calling it directly gives the backend's bits, w2 written back from its transposed
    copy; odd batches get a zero-weight row), held to the fast tolerance like the other paths."""
    rng = np.random.default_rng(n)
    X = rng.uniform(-1, 1, (n, sizes[0]))
    Y = rng.uniform(0, 1, (n, sizes[2]))
    params = xorbench.init_params(*sizes, seed=3, bias=bias)
    # sse's gradients are N * n_out times mse's: at lr 0.5 the 3-64-2 run turns chaotic (every path of the
    # backend then leaves the reference by far more than rounding); 0.05 keeps it a descent
    epochs = 1500 if n * sizes[1] < 2000 else 40  # the reference is slow on 300 samples of 70 units
    kw = dict(epochs=epochs, lr=0.5 if loss == "mse" else 0.05, loss=loss, record_every=epochs // 15)
    got = xorbench.get_backend("numba-fast").train(params, X, Y, **kw)
    ref = xorbench.get_backend("python").train(params, X, Y, **kw)
    assert params_rel_err(got.params, ref.params) <= LONG_RUN_RTOL["fast"]
    np.testing.assert_allclose(got.losses, ref.losses, rtol=LONG_RUN_RTOL["fast"])
    assert got.loss == pytest.approx(ref.loss, rel=LONG_RUN_RTOL["fast"])
    w1, w2 = params.w1.copy(), params.w2.copy()
    b1, b2 = (params.b1.copy(), params.b2.copy()) if bias else (nf._NO_BIAS, nf._NO_BIAS)
    assert nf.units_innermost(n, sizes[1])
    losses = np.empty(len(got.losses))
    loss_direct = nf.train_units(w1, b1, w2, b2, losses, *nf.rows(X, Y), epochs, kw["lr"], loss == "mse",
                                 kw["record_every"], bias, True)
    assert (w1.tobytes(), w2.tobytes(), losses.tobytes(), loss_direct) == \
        (got.params.w1.tobytes(), got.params.w2.tobytes(), got.losses.tobytes(), got.loss)


def test_241_loop_aligns_its_code_and_stack_frame():
    """The 2-4-1 loop (chunk_241, which train_241 and train_241_threaded's prange body both call) starts at a
    64-byte boundary wherever the JIT or Numba's cache loads it, so its loops sit the same way across fetch
    windows; and it spills vector registers, so its frame must be realigned to 64 bytes, or the spills of 512-bit
    registers straddle two cache lines whenever the caller happens to leave the stack otherwise aligned
    (_align_function). Either way, without it the speed depends on where the code or the caller happens to be."""
    fresh = numba.njit(fastmath=nf.FLAGS, error_model="numpy")(nf.chunk_241.py_func)  # a fresh compilation
    X, Y = xorbench.noisy_xor(40, seed=0)
    params = xorbench.init_params(2, 4, 1, seed=0)
    Xt, Yt, mask = nf.columns(X, Y)
    p = tuple(float(v) for v in (*params.w1.ravel(), *params.b1, *params.w2.ravel(), *params.b2))
    fresh(p, np.empty(18), np.empty(2), Xt[0], Xt[1], Yt[0], mask, 2, 0.5, 40.0, 0.05, True, 1, True)
    asm = fresh.inspect_asm(fresh.signatures[0])
    assert re.search(r"\.p2align\s+6\s*\n\s*\.type\s+\S*chunk_241", asm)
    assert re.search(r"\band\w*\s+\$-64, %rsp", asm)


OTHER_LAYOUT = """
import sys
from xorbench.impls import numba_fast_impl as nf
from xorbench.tests.test_numba_fast import fused_241_path_matches_the_reference, views_cover_the_batch
nf.CHAINS = int(sys.argv[1])  # before anything is compiled: Numba reads the global when it compiles
for n in range(0, 200, nf.LANES):
    views_cover_the_batch(n)
for n in (16, 24, 40, 48, 53, 64, nf.PARALLEL_MIN + 24):
    fused_241_path_matches_the_reference(n, True, "mse")
print("ok", nf.CHAINS)
"""


def views_cover_the_batch(n):
    """views_241's parts, in order, are the n samples, each once: CHAINS parts of q (whole vectors), with four chains
    two of r (whole vectors), then fewer than two vectors' worth."""
    x = np.arange(4.0 * n).reshape(4, n)
    q, views = nf.views_241(x[0], x[1], x[2], x[3])
    parts = [views[i:i + 4] for i in range(0, len(views), 4)]  # each x0, x1, y, weight
    wide, pair, rest = parts[:nf.CHAINS], parts[4:-1], parts[-1]  # parts[CHAINS:4] go unused
    assert len(pair) == (2 if nf.CHAINS == 4 else 0), n
    assert all(len(part[0]) == q for part in wide) and q % nf.LANES == 0, (n, q)
    assert all(len(part[0]) == len(pair[0][0]) and len(part[0]) % nf.LANES == 0 for part in pair), n
    assert len(rest[0]) < 2 * nf.LANES, n
    for row in range(4):
        assert np.concatenate([part[row] for part in wide + pair + [rest]]).tolist() == x[row].tolist(), (n, row)


def test_241_views_cover_the_batch():
    for n in range(0, 200, nf.LANES):
        views_cover_the_batch(n)


def test_241_other_chain_layout_matches_the_reference(tmp_path):
    """The 2-4-1 loop's layout (CHAINS, four with AVX-512, two without) is fixed by the machine; the one it does
    not pick is compiled here in a process of its own, with its own Numba cache, and held to the same checks:
    views covering the batch, the reference's results within the fast tolerance, the threaded twin's bits."""
    other = 2 if nf.CHAINS == 4 else 4
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", OTHER_LAYOUT, str(other)], capture_output=True, text=True, env=env,
                          timeout=900)
    assert proc.returncode == 0 and proc.stdout.split() == ["ok", str(other)], proc.stderr[-3000:]


@numba.njit(parallel=True)
def _take_in_prange(taken, got):
    for i in numba.prange(got.shape[0]):
        got[i] = nf._take(taken)


def test_take_gives_each_number_once_across_threads():
    """_take, which hands the threads their 2-4-1 chunks (epoch_241), is atomic: with every thread taking at
    once, each number is taken once and the counter ends at the count taken. (A plain load, add and store in
    its place lost numbers in two of three single runs of 400,000 takes on two cores, and failed this test in
    each of five tries.)"""
    for _ in range(20):
        taken, got = np.zeros(1, np.int64), np.empty(400_000, np.int64)
        _take_in_prange(taken, got)
        assert taken[0] == got.size and np.array_equal(np.sort(got), np.arange(got.size))
