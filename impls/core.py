"""The xorbench interface: parameters, data sets, validation, the Trainer and the Backend base class."""
from __future__ import annotations

import math
import numbers
import os
import time
from math import isfinite
from dataclasses import dataclass

import numpy as np

LOSSES = ("mse", "sse")
SCHEMES = ("uniform", "xavier", "rand01")
INT64_MAX = 2**63 - 1  # epochs and record_every are int64_t in the C kernels
MAX_RECORDED = 100_000_000  # loss-history entries one call may allocate (800 MB)
MAX_UNITS = 2**24  # units per layer, as the C kernels' XOR_MAX_UNITS
MAX_SAMPLES = 2**40  # samples, as the C kernels' XOR_MAX_SAMPLES
#: threaded backends use every core (max_threads permitting) from this many samples on; below it, one thread,
#: because splitting so few samples costs more than it saves. The roofline's model uses the same threshold.
PARALLEL_MIN = 4096
MAX_THREADS = 4096  # the largest max_threads a threaded backend accepts


#: "ran": a threaded kernel has run on more than one thread in this process; "forked_after": this process was
#: forked from one where that had happened. GNU OpenMP (c-simd, and numba-fast's threading layer) cannot start
#: threads again in such a child: it hangs or aborts. There, threaded backends run on one thread: the same bits.
_threads = {"ran": False, "forked_after": False}


def _after_fork_in_child():
    _threads["forked_after"] = _threads["ran"]


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class BackendUnavailable(RuntimeError):
    """A backend cannot be loaded; the message says why and how to fix it."""


def _frozen(a: np.ndarray | None) -> np.ndarray | None:
    """`a`, made read-only (only ever our own arrays, never the caller's)."""
    if a is not None:
        a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False)
class Params:
    """Network parameters: w1 (n_in, n_hidden), b1 (n_hidden,), w2 (n_hidden, n_out), b2 (n_out,); biases may be None."""

    w1: np.ndarray
    b1: np.ndarray | None
    w2: np.ndarray
    b2: np.ndarray | None

    @property
    def sizes(self) -> tuple[int, int, int]:
        return self.w1.shape[0], self.w1.shape[1], self.w2.shape[1]

    @property
    def bias(self) -> bool:
        return self.b1 is not None

    def arrays(self) -> dict[str, np.ndarray]:
        """The parameter arrays by name, biases left out when absent."""
        names = ("w1", "b1", "w2", "b2")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}

    def __reduce__(self):  # pickle and deepcopy give read-only arrays too
        return _frozen_params, (self.w1, self.b1, self.w2, self.b2)


def _frozen_params(w1, b1, w2, b2) -> Params:
    """Params of our own arrays, made read-only."""
    return Params(_frozen(w1), _frozen(b1), _frozen(w2), _frozen(b2))


@dataclass(frozen=True, eq=False)
class TrainResult:
    """What train returns: the new params, their loss on (X, Y), and the recorded loss history (read-only)."""

    params: Params
    loss: float
    losses: np.ndarray

    def __reduce__(self):
        return _train_result, (self.params, self.loss, self.losses)


def _train_result(params, loss, losses) -> TrainResult:
    return TrainResult(params, loss, _frozen(losses))


def init_params(n_in=2, n_hidden=4, n_out=1, *, seed=0, bias=True, scheme="uniform") -> Params:
    """Seeded float64 parameters: "uniform" U(-1, 1), "xavier" Glorot-uniform with zero biases, "rand01" U[0, 1)."""
    for name, v in (("n_in", n_in), ("n_hidden", n_hidden), ("n_out", n_out)):
        if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}; got {scheme!r}")
    rng = np.random.default_rng(seed)

    def layer(fan_in, fan_out):
        if scheme == "uniform":
            w = rng.uniform(-1.0, 1.0, (fan_in, fan_out))
            b = rng.uniform(-1.0, 1.0, fan_out) if bias else None
        elif scheme == "xavier":
            limit = math.sqrt(6.0 / (fan_in + fan_out))
            w = rng.uniform(-limit, limit, (fan_in, fan_out))
            b = np.zeros(fan_out) if bias else None
        else:
            w = rng.random((fan_in, fan_out))
            b = rng.random(fan_out) if bias else None
        return w, b

    w1, b1 = layer(n_in, n_hidden)
    w2, b2 = layer(n_hidden, n_out)
    return _frozen_params(w1, b1, w2, b2)


def xor_dataset() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR samples: X (4, 2) and Y (4, 1), float64."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    Y = np.array([[0.0], [1.0], [1.0], [0.0]])
    return X, Y


def noisy_xor(n, *, noise=0.1, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """n XOR samples cycling through the four corners, with Gaussian jitter of std `noise` on X."""
    if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if not (isinstance(noise, numbers.Real) and math.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    X0, Y0 = xor_dataset()
    corner = np.arange(n) % 4
    rng = np.random.default_rng(seed)
    X = X0[corner] + noise * rng.standard_normal((n, 2))
    return X, Y0[corner].copy()


# ---------------------------------------------------------------- validation


def _numeric(name: str, a, ndim: int) -> np.ndarray:
    """`a` as a numeric array of `ndim` dimensions, not yet copied, or a TypeError/ValueError naming `name`."""
    if isinstance(a, np.ma.MaskedArray):
        raise TypeError(f"{name} must be a plain array; a masked array's mask would be ignored, so fill or drop "
                        f"the masked entries first")
    try:
        arr = np.asarray(a)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{name} must be a rectangular numeric array, got {type(a).__name__} ({e})") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must have an integer or floating dtype, got {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {arr.shape}")
    return arr


def _copy(name: str, arr: np.ndarray) -> np.ndarray:
    """A private C-contiguous float64 copy of a checked array, or a ValueError naming `name` if not finite."""
    arr = np.array(arr, dtype=np.float64, order="C", copy=True)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite, but contains NaN or inf")
    return arr


def _int(name: str, v, lo: int, hi: int) -> int:
    """`v` as an int in [lo, hi], or a TypeError/ValueError naming `name`."""
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(v).__name__} {v!r}")
    v = int(v)
    if not lo <= v <= hi:
        raise ValueError(f"{name} must be between {lo} and {hi}, got {v}")
    return v


def _n_recorded(epochs: int, record_every: int) -> int:
    """How many losses `epochs` epochs record, one at the start of every record_every-th epoch."""
    return 0 if record_every == 0 else -(-epochs // record_every)


def validate_steps(epochs, record_every) -> tuple[int, int]:
    """(epochs, record_every) as ints, or a TypeError/ValueError naming the argument."""
    epochs = _int("epochs", epochs, 0, INT64_MAX)
    record_every = _int("record_every", record_every, 0, INT64_MAX)
    n = _n_recorded(epochs, record_every)
    if n > MAX_RECORDED:
        raise ValueError(f"record_every={record_every} would record {n} losses over {epochs} epochs; "
                         f"at most {MAX_RECORDED} are allowed")
    return epochs, record_every


@dataclass(eq=False)
class Job:
    """A validated problem: private, writable, C-contiguous float64 copies of the parameters and the data.

    `epochs`, `record_every` and `want_loss` are those of the current kernel call; a Trainer sets them before
    each one. Y, lr and loss are None in a job made for predict."""

    w1: np.ndarray
    b1: np.ndarray | None
    w2: np.ndarray
    b2: np.ndarray | None
    X: np.ndarray
    Y: np.ndarray | None = None
    lr: float | None = None
    loss: str | None = None
    epochs: int = 0
    record_every: int = 0
    want_loss: bool = True  # False: the final loss's forward pass may be skipped (_train then returns nan)

    @property
    def sizes(self) -> tuple[int, int, int, int]:
        """(n_samples, n_in, n_hidden, n_out)"""
        return self.X.shape[0], self.X.shape[1], self.w1.shape[1], self.w2.shape[1]

    @property
    def n_recorded(self) -> int:
        return _n_recorded(self.epochs, self.record_every)


def validate_predict(params, X) -> Job:
    """The arguments of predict, checked and copied into a Job, or a TypeError/ValueError naming the argument."""
    if not isinstance(params, Params):
        raise TypeError(f"params must be a xorbench.Params, got {type(params).__name__}")
    X = _numeric("X", X, 2)
    n_samples, n_in = X.shape
    if not (1 <= n_samples <= MAX_SAMPLES and 1 <= n_in <= MAX_UNITS):
        raise ValueError(f"X must have 1 to {MAX_SAMPLES} rows and 1 to {MAX_UNITS} columns, got shape {X.shape}")
    if (params.b1 is None) != (params.b2 is None):
        raise ValueError("params.b1 and params.b2 must both be arrays or both be None")
    w1 = _numeric("params.w1", params.w1, 2)
    w2 = _numeric("params.w2", params.w2, 2)
    b1 = None if params.b1 is None else _numeric("params.b1", params.b1, 1)
    b2 = None if params.b2 is None else _numeric("params.b2", params.b2, 1)
    n_hidden, n_out = w1.shape[1], w2.shape[1]
    if w1.shape[0] != n_in:
        raise ValueError(f"params.w1 must have shape (n_in={n_in}, n_hidden) to match X's columns, got {w1.shape}")
    if not (1 <= n_hidden <= MAX_UNITS and 1 <= n_out <= MAX_UNITS):
        raise ValueError(f"params must have 1 to {MAX_UNITS} hidden and output units, got w1 {w1.shape}, "
                         f"w2 {w2.shape}")
    if w2.shape[0] != n_hidden:
        raise ValueError(f"params.w2 must have shape (n_hidden={n_hidden}, n_out), got {w2.shape}")
    if b1 is not None and b1.shape != (n_hidden,):
        raise ValueError(f"params.b1 must have shape ({n_hidden},), got {b1.shape}")
    if b2 is not None and b2.shape != (n_out,):
        raise ValueError(f"params.b2 must have shape ({n_out},), got {b2.shape}")
    # the shapes are right: now the copies, each checked for NaN and inf
    return Job(_copy("params.w1", w1), None if b1 is None else _copy("params.b1", b1), _copy("params.w2", w2),
               None if b2 is None else _copy("params.b2", b2), _copy("X", X))


def validate_problem(params, X, Y, *, lr, loss) -> Job:
    """The arguments of trainer (train's, but for epochs), checked and copied into a Job."""
    job = validate_predict(params, X)
    Y = _numeric("Y", Y, 2)
    if Y.shape != (job.X.shape[0], job.w2.shape[1]):
        raise ValueError(f"Y must have shape (n_samples={job.X.shape[0]}, n_out={job.w2.shape[1]}) to match X and "
                         f"params.w2, got {Y.shape}")
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
        raise TypeError(f"lr must be a real number, got {type(lr).__name__} {lr!r}")
    try:
        lr = float(lr)
    except OverflowError:
        lr = math.inf
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be finite and > 0, got {lr!r}")
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}; got {loss!r}")
    job.Y, job.lr, job.loss = _copy("Y", Y), lr, loss
    return job


# ---------------------------------------------------------------- trainer

_NO_LOSSES = _frozen(np.empty(0))  # what a step that records nothing returns
_EMPTY = np.empty(0)  # what its kernel gets: writable, so `losses[...] = []` works, and with no room to write


class Trainer:
    """Training in place, validated and copied once: made by Backend.trainer(params, X, Y, lr=..., loss=...).

    step(epochs, record_every) runs that many epochs and returns the losses it recorded; params is a read-only
    snapshot, loss the current loss. A long step of a compiled backend runs in slices of about SLICE_S seconds,
    so that Python can raise KeyboardInterrupt between them; slicing never changes the results.
    """

    SLICE_S = 0.05
    FIRST_SLICE_WORK = 2_000_000  # multiply-adds in a backend's first slice, before any slice was timed

    def __init__(self, backend: Backend, job: Job):
        self.backend = backend
        self._job = job
        self.kernel = backend._prepare(job)  # run(epochs, record_every, losses) -> loss: the bare kernel call
        self._loss = None
        n_samples, n_in, n_hidden, n_out = job.sizes
        self._work = n_samples * (n_in * n_hidden + n_hidden * n_out)  # multiply-adds per epoch, about
        rate = backend._slice_rate  # multiply-adds per second in the backend's last whole slice, if any
        self._slice = (INT64_MAX if backend.checks_signals else
                       max(1, int(rate * self.SLICE_S) // self._work if rate else self.FIRST_SLICE_WORK // self._work))

    def step(self, epochs=1, record_every=0) -> np.ndarray:
        """Run `epochs` epochs in place; return the losses recorded at this call's epochs 0, k, 2k, ... (k =
        record_every > 0), read-only. A short step without recording is one kernel call."""
        if type(epochs) is int and type(record_every) is int and 0 <= epochs <= self._slice and record_every == 0:
            self._loss = self.kernel(epochs, 0, _EMPTY)
            if not isfinite(self._loss):
                self._overflowed()
            return _NO_LOSSES
        epochs, record_every = validate_steps(epochs, record_every)
        n = _n_recorded(epochs, record_every)
        losses = np.empty(n)
        if epochs <= self._slice:
            self._loss = self.kernel(epochs, record_every, losses)
        else:
            self._sliced(epochs, record_every, losses)
        if not isfinite(self._loss):
            self._overflowed()
        return _frozen(losses)

    def _overflowed(self):
        """What a step whose training overflowed does, on every backend: raise, rather than return NaN or inf."""
        raise FloatingPointError(
            f"training overflowed: the loss is {self._loss} (float64 overflowed in the forward or backward pass; "
            f"the inputs, targets or learning rate are too large for it). The trainer's parameters are left as "
            f"the kernel left them")

    def _sliced(self, epochs: int, record_every: int, losses: np.ndarray) -> None:
        """step's long calls. Each slice that starts at a recorded epoch records (its own epochs 0, k, 2k, ...
        are the call's); one that does not records nothing and ends at the next recorded epoch. Only the last
        slice computes the final loss: the others skip that forward pass, so slicing costs nothing measurable."""
        e = 0
        while e < epochs:
            n, k = min(self._slice, epochs - e), record_every
            if k and e % k:
                n, k = min(n, k - e % k), 0
            out = losses[e // record_every:e // record_every + _n_recorded(n, k)] if k else _EMPTY
            last = e + n == epochs
            t0 = time.perf_counter()
            loss = self.kernel(n, k, out, last)
            seconds = time.perf_counter() - t0
            if last:
                self._loss = loss
            if n == self._slice:  # a whole slice: size the next one (and any trainer's first) to last SLICE_S
                self.backend._slice_rate = n * self._work / max(seconds, 1e-9)
                self._slice = max(1, min(8 * n, int(n * self.SLICE_S / max(seconds, 1e-9))))
            e += n

    @property
    def loss(self) -> float:
        """The loss of the current parameters on (X, Y)."""
        if self._loss is None:
            self._loss = self.kernel(0, 0, _EMPTY)
        return float(self._loss)

    @property
    def params(self) -> Params:
        """A read-only snapshot of the current parameters."""
        j = self._job
        return _frozen_params(j.w1.copy(), None if j.b1 is None else j.b1.copy(), j.w2.copy(),
                              None if j.b2 is None else j.b2.copy())


# ---------------------------------------------------------------- backends


class Backend:
    """One implementation of the network. Subclasses set `name` and implement `_train` and `_predict`.

    `equivalence` names the promise a backend makes against the pure-Python reference, and with it the
    tolerance the shared tests hold it to (see impls.tolerances): "bitwise", "reordered" or "fast".
    The class attributes below are the whole interface the command line, the report and the benchmarks read.
    """

    name = "?"
    equivalence = "bitwise"
    description = ""
    difference = ""  # for non-bitwise backends: why the bits differ from the reference
    compile_cache = False  # True for JIT backends with an on-disk cache: start-up is measured cold and warm
    checks_signals = False  # True where the kernel is Python that handles Ctrl-C itself: steps are not sliced
    _slice_rate = 0.0  # learned by Trainer: how fast the kernel went in its last whole slice, to size the next
    # what the backend trades, for `xorbench list` and the report's "What each backend trades" table
    fma = "no"  # "yes", "no", or where it happens ("inside BLAS")
    simd = "none"
    exp = "libm"
    fastmath = "no"
    #: "held", or "released" where a kernel call runs without Python's GIL, so that other Python threads run
    #: meanwhile (a test holds every backend that says "released" to it, on canonical XOR)
    gil = "held"
    overheads = ""  # where the time goes besides the arithmetic, in words (the peers' dispatch and compiling)
    #: None: single-threaded. Threaded backends set 0 (every core from PARALLEL_MIN samples on) and a user may
    #: set n (at most n threads); the threads benchmark runs every backend whose max_threads is not None.
    max_threads: int | None = None

    @property
    def threaded(self) -> bool:
        """Whether the backend has a thread knob (its class sets max_threads), whatever a user set it to."""
        return type(self).max_threads is not None

    def threads_for(self, n_samples: int) -> int:
        """The max_threads a threaded kernel gets for a batch: 1 below PARALLEL_MIN (or in a process forked after
        threads ran, see _threads), else max_threads (0: all)."""
        if n_samples < PARALLEL_MIN or _threads["forked_after"]:
            return 1
        _threads["ran"] = _threads["ran"] or self.max_threads != 1
        return self.max_threads

    def trainer(self, params, X, Y, *, lr, loss="mse") -> Trainer:
        """A Trainer: the arguments validated and copied once, for any number of step() calls."""
        job = validate_problem(params, X, Y, lr=lr, loss=loss)
        if self.threaded:
            _int("max_threads", self.max_threads, 0, MAX_THREADS)
        return Trainer(self, job)

    def train(self, params, X, Y, *, epochs, lr, loss="mse", record_every=0) -> TrainResult:
        """Full-batch gradient descent for `epochs` steps; returns new params, never mutating the inputs."""
        epochs, record_every = validate_steps(epochs, record_every)
        tr = self.trainer(params, X, Y, lr=lr, loss=loss)
        losses = tr.step(epochs, record_every)
        result = TrainResult(tr.params, tr.loss, losses)
        if not all(np.isfinite(a).all() for a in result.params.arrays().values()):
            raise FloatingPointError("training overflowed: the parameters are no longer finite (float64 overflowed; "
                                     "the inputs, targets or learning rate are too large for it)")
        return result

    def predict(self, params, X) -> np.ndarray:
        """Network outputs for X, shape (N, n_out), read-only."""
        job = validate_predict(params, X)
        out = np.empty((job.X.shape[0], job.w2.shape[1]))
        self._predict(job, out)
        return _frozen(out)

    def threads(self) -> str:
        """How the backend uses threads, in words."""
        return "1"

    def info(self) -> dict:
        """What the backend trades (the declared attributes above), then its versions and build facts."""
        return {"fma": self.fma, "simd": self.simd, "threads": self.threads(), "exp": self.exp,
                "fastmath": self.fastmath, "gil": self.gil, **({"overheads": self.overheads} if self.overheads else {}),
                **self.build_info()}

    def build_info(self) -> dict:
        """Versions, compiler and flags worth printing next to this backend's numbers."""
        return {}

    def _prepare(self, job: Job):
        """The kernel, ready to run on `job` any number of times: run(epochs, record_every, losses, want_loss=True)
        -> the loss of the parameters it leaves (with want_loss=False it may skip that forward pass and return
        nan: a Trainer's slices but the last do, and the benchmarks' timed calls). Backends with a per-call cost
        worth saving (the C ones) override it, and give the runner a `bare(epochs) -> (function, arguments)`: the
        foreign call itself, all arguments prepared, which the boundary benchmark times with nothing around it."""

        def run(epochs, record_every, losses, want_loss=True):
            job.epochs, job.record_every, job.want_loss = epochs, record_every, want_loss
            return self._train(job, losses)

        return run

    # Implementations: update job.w1, job.b1, job.w2, job.b2 in place for job.epochs epochs, write the loss at the
    # start of epoch 0, k, 2k, ... (k = job.record_every) into `losses`, and return the loss of the final
    # parameters (or nan where job.want_loss is False, skipping its forward pass; a hint: the loss is fine too);
    # write predictions for job.X into `out`.
    def _train(self, job: Job, losses: np.ndarray) -> float:
        raise NotImplementedError

    def _predict(self, job: Job, out: np.ndarray) -> None:
        raise NotImplementedError
