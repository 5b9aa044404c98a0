"""The Trainer: validated and copied once, stepped in place; the same numbers as train; Ctrl-C within a slice."""
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import xorbench
from xorbench.impls.core import INT64_MAX, _n_recorded
from xorbench.impls.tolerances import LONG_RUN_RTOL

from .conftest import assert_results_close

X, Y = xorbench.xor_dataset()
P = xorbench.init_params(seed=3)


def bits(params):
    return [a.tobytes() for a in params.arrays().values()]


@pytest.mark.parametrize("a, b", [(0, 7), (1, 1), (13, 250)])
def test_two_steps_give_the_one_call(backend, a, b):
    """step(a) then step(b) is train(epochs=a+b): the same bits for bitwise backends, within tolerance for the rest."""
    tr = backend.trainer(P, X, Y, lr=1.0)
    tr.step(a)
    tr.step(b)
    want = backend.train(P, X, Y, epochs=a + b, lr=1.0)
    got = xorbench.TrainResult(tr.params, tr.loss, want.losses)
    assert_results_close(got, want, LONG_RUN_RTOL[backend.equivalence])
    if backend.equivalence == "bitwise":
        assert bits(tr.params) == bits(want.params) and tr.loss == want.loss


def test_step_returns_its_own_losses_and_params_are_snapshots(backend):
    tr = backend.trainer(P, X, Y, lr=1.0, loss="sse")
    first = tr.step(10, record_every=3)
    want = backend.train(P, X, Y, epochs=10, lr=1.0, loss="sse", record_every=3)
    assert first.shape == (4,) and np.array_equal(first, want.losses) and not first.flags.writeable
    snapshot = tr.params
    assert bits(snapshot) == bits(want.params) and tr.loss == want.loss
    assert all(not a.flags.writeable for a in snapshot.arrays().values())
    assert tr.step(5).shape == (0,)
    assert bits(snapshot) == bits(want.params)  # a snapshot does not move with the trainer
    assert bits(tr.params) != bits(snapshot)


def test_a_fresh_trainer_knows_its_loss(backend):
    tr = backend.trainer(P, X, Y, lr=1.0)
    assert tr.loss == backend.train(P, X, Y, epochs=0, lr=1.0).loss


def test_the_trainer_copies_its_inputs(backend):
    Xw, Yw, w1 = np.array(X), np.array(Y), np.array(P.w1)
    tr = backend.trainer(xorbench.Params(w1, P.b1, P.w2, P.b2), Xw, Yw, lr=1.0)
    Xw[:], Yw[:], w1[:] = 7.0, 7.0, 7.0  # the caller's arrays change after the trainer is made
    tr.step(20)
    assert bits(tr.params) == bits(backend.train(P, X, Y, epochs=20, lr=1.0).params)


@pytest.mark.parametrize("epochs, record_every", [(100, 0), (100, 3), (100, 7), (97, 10), (50, 200)])
def test_slices_give_the_same_bits(backend, epochs, record_every):
    """A long step runs in slices; how it is cut never changes a bit of the parameters, loss or losses."""
    X4, Y4 = xorbench.noisy_xor(37, seed=2)
    whole = backend.trainer(P, X4, Y4, lr=0.5)
    whole._slice = INT64_MAX
    losses = whole.step(epochs, record_every)
    for size in (1, 6, 33):
        sliced = backend.trainer(P, X4, Y4, lr=0.5)
        sliced._slice = size
        assert np.array_equal(sliced.step(epochs, record_every).view(np.int64), losses.view(np.int64))
        assert bits(sliced.params) == bits(whole.params) and sliced.loss == whole.loss


def test_a_kernel_outlives_its_trainer(backend):
    """trainer.kernel keeps alive the arrays it works on: kept after its trainer is gone, it still computes the
    trainer's numbers (c-ctypes' kernel once held bare addresses, and wrote into freed memory)."""
    import gc

    P8 = xorbench.init_params(2, 128, 1, seed=0)
    want = backend.trainer(P8, X, Y, lr=0.1).kernel(20, 0, np.empty(0))
    for _ in range(3):
        kernel = backend.trainer(P8, X, Y, lr=0.1).kernel
        gc.collect()
        junk = [np.full(600, 7.0) for _ in range(20)]  # reuses what a freed job held
        assert kernel(20, 0, np.empty(0)) == pytest.approx(want, rel=LONG_RUN_RTOL[backend.equivalence])
        del junk


@pytest.mark.parametrize("n, epochs, record_every", [(4, 0, 0), (4, 9, 0), (4, 9, 4), (37, 1, 0), (37, 8, 3),
                                                     (5000, 3, 2)])
def test_the_kernel_skips_the_final_loss_when_asked(backend, n, epochs, record_every):
    """want_loss=False (a trainer's slices but the last, the benchmarks' timed calls): every in-tree kernel returns
    nan, having skipped the final loss's forward pass (all but numba-fast's one-chunk loop, see body_241), and
    leaves the same bits and losses as with the loss."""
    Xn, Yn = (X, Y) if n == 4 else xorbench.noisy_xor(n, seed=2)
    with_loss, without = backend.trainer(P, Xn, Yn, lr=0.5), backend.trainer(P, Xn, Yn, lr=0.5)
    k = _n_recorded(epochs, record_every)
    want, got = np.full(k, -1.0), np.full(k, -2.0)
    loss = with_loss.kernel(epochs, record_every, want)
    assert np.isfinite(loss)
    skipped = without.kernel(epochs, record_every, got, False)
    if type(backend).__module__.startswith("xorbench."):  # in-tree: outside backends may ignore the hint
        assert np.isnan(skipped), f"{backend.name}'s kernel computed the final loss it was told to skip"
    assert bits(without.params) == bits(with_loss.params)
    assert np.array_equal(got.view(np.int64), want.view(np.int64))
    assert without.loss == loss  # and the trainer computes it when asked


@pytest.mark.parametrize("n", [4, 4096])
def test_ctrl_c_stops_a_long_step(backend, n):
    """SIGINT during step(10**15) raises KeyboardInterrupt promptly, on every backend, large batches included."""
    Xn, Yn = (X, Y) if n == 4 else xorbench.noisy_xor(n, seed=0)
    tr = backend.trainer(P, Xn, Yn, lr=0.1)
    tr.step(1)
    sent = []

    def interrupt():
        time.sleep(0.3)
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        tr.step(10**15)
    latency = time.perf_counter() - sent[0]
    assert latency < 1.0, f"KeyboardInterrupt came {latency:.2f} s after SIGINT"  # generous: slices last ~0.05 s
    assert np.isfinite(tr.loss)  # the trainer is left at the end of a whole slice, usable


@pytest.mark.parametrize("kw, exc, name", [
    (dict(epochs=-1), ValueError, "epochs"), (dict(epochs=1.5), TypeError, "epochs"),
    (dict(epochs=True), TypeError, "epochs"), (dict(epochs=2**63), ValueError, "epochs"),
    (dict(epochs=3, record_every=-1), ValueError, "record_every"),
    (dict(epochs=3, record_every=False), TypeError, "record_every"),
    (dict(epochs=2**40, record_every=1), ValueError, "record_every"),
])
def test_bad_steps_are_refused_before_the_kernel(backend, kw, exc, name):
    tr = backend.trainer(P, X, Y, lr=1.0)
    before = bits(tr.params)
    tr.kernel = lambda *a: pytest.fail("kernel ran on a bad step")
    with pytest.raises(exc, match=name):
        tr.step(**kw)
    assert bits(tr.params) == before


def test_xorbench_train_exits_130_on_ctrl_c(tmp_path):
    xorbench_cmd = shutil.which("xorbench", path=os.path.dirname(sys.executable)) or "xorbench"
    proc = subprocess.Popen([xorbench_cmd, "train", "--backend", "c", "--epochs", str(10**15), "--repeat", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)  # started, and in the long call
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 130 and "interrupted" in err, (out, err)


@pytest.mark.releases_gil
def test_backends_that_say_they_release_the_gil_do(backend):
    """A backend whose `gil` says "released" lets another Python thread run in the middle of a long kernel call
    (canonical XOR, one thread): the main thread keeps counting while a second thread is inside the kernel."""
    tr = backend.trainer(P, X, Y, lr=1.0)
    tr.kernel(1000, 0, np.empty(0))  # compiled, cached, warm
    t0 = time.perf_counter()
    tr.kernel(1000, 0, np.empty(0))
    epochs = max(1000, int(1000 / (time.perf_counter() - t0) * 0.3))  # about 0.3 s
    started, window, ticks = threading.Event(), [], []

    def call():
        started.set()
        window.append(time.perf_counter())
        tr.kernel(epochs, 0, np.empty(0))
        window.append(time.perf_counter())

    worker = threading.Thread(target=call)
    worker.start()
    started.wait()
    while worker.is_alive():
        ticks.append(time.perf_counter())
        sum(range(200))
    worker.join()
    a, b = window
    middle = [t for t in ticks if a + 0.25 * (b - a) <= t <= a + 0.75 * (b - a)]
    assert middle, f"the main thread never ran during the middle half of a {b - a:.2f} s kernel call"
