"""The xorbench interface: parameters, data sets, shared validation and the Backend base class."""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

LOSSES = ("mse", "sse")
SCHEMES = ("uniform", "xavier", "rand01")
INT64_MAX = 2**63 - 1  # epochs and record_every are int64_t in the C kernel
MAX_RECORDED = 100_000_000  # loss-history entries one call may allocate (800 MB)
#: threaded backends use every core (max_threads permitting) from this many samples on; below it, one thread,
#: because splitting so few samples costs more than it saves. The roofline's model uses the same threshold.
PARALLEL_MIN = 4096
MAX_THREADS = 4096  # the largest max_threads a threaded backend accepts


class BackendUnavailable(RuntimeError):
    """A backend cannot be loaded; the message says why and how to fix it."""


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class TrainResult:
    """What train returns: the new params, their loss on (X, Y), and the recorded loss history."""

    params: Params
    loss: float
    losses: np.ndarray


def _frozen(a: np.ndarray | None) -> np.ndarray | None:
    if a is not None:
        a.setflags(write=False)  # cheaper than a.flags.writeable = False
    return a


def _frozen_params(w1, b1, w2, b2) -> Params:
    """Params of read-only arrays. Fields are set as the dataclass's own __init__ sets them (object's
    __dict__), without its per-field object.__setattr__ calls: this runs on every train call."""
    p = _new(Params)
    d = p.__dict__
    d["w1"], d["b1"], d["w2"], d["b2"] = _frozen(w1), _frozen(b1), _frozen(w2), _frozen(b2)
    return p


def _train_result(params: Params, loss: float, losses: np.ndarray) -> TrainResult:
    """TrainResult(params, loss, losses), built as _frozen_params builds Params."""
    r = _new(TrainResult)
    d = r.__dict__
    d["params"], d["loss"], d["losses"] = params, loss, losses
    return r


_new = object.__new__


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


_F64 = np.dtype(np.float64)


def _finite(a: np.ndarray) -> bool:
    """All entries finite. One reduction first: NaN or inf anywhere makes it non-finite; only an
    overflowing sum (|a| > 1e154 for the dot) needs the exact, slower check. Tiny arrays are summed as a
    Python list, small ones by a dot product (the cheapest NumPy call), large ones by a plain sum: OpenBLAS
    runs a long dot on every core and leaves its threads spinning, which starves a threaded kernel."""
    if a.size <= _LIST_MAX:
        s = sum(a.ravel().tolist())
    else:
        with np.errstate(over="ignore"):  # huge finite entries: no RuntimeWarning from validation
            s = (a.dot(a) if a.ndim == 1 else np.vdot(a, a)) if a.size <= _DOT_MAX else a.sum()
    return math.isfinite(s) or bool(np.isfinite(a).all())


_DOT_MAX = 8192  # OpenBLAS's ddot stays single-threaded up to 10,000 elements
_LIST_MAX = 16  # up to here a Python sum over tolist() is cheaper than any NumPy call

#: the arrays whose entries must be finite, in the order Backend._first_nonfinite receives and checks them
FINITE_CHECKED = ("X", "Y", "params.w1", "params.b1", "params.w2", "params.b2")


def first_nonfinite(*arrays) -> int:
    """Index of the first array holding NaN or inf, skipping None, or -1: NumPy's check, for any backend."""
    for i, a in enumerate(arrays):
        if a is not None and not _finite(a):
            return i
    return -1


def _array(name: str, a, ndim: int, copy: bool) -> np.ndarray:
    """A C-contiguous float64 array from `a`, or a TypeError/ValueError naming `name`; finiteness is checked
    later, by the backend (Backend._first_nonfinite), all arrays in one go."""
    if a.__class__ is np.ndarray and a.dtype == _F64 and a.ndim == ndim and a.flags.c_contiguous:
        arr = a.copy() if copy else a  # the common case, kept cheap: it runs on every train call
    else:
        if isinstance(a, np.ndarray):
            arr = a
        else:
            try:
                arr = np.asarray(a)
            except (TypeError, ValueError) as e:
                raise TypeError(f"{name} must be a rectangular numeric array, got {type(a).__name__} ({e})") from None
        if arr.dtype.kind not in "iuf":
            raise TypeError(f"{name} must have an integer or floating dtype, got {arr.dtype}")
        if arr.ndim != ndim:
            raise ValueError(f"{name} must be {ndim}-D, got shape {arr.shape}")
        arr = np.array(arr, dtype=np.float64, order="C", copy=True)
    return arr


def _params(params, n_in: int) -> tuple:
    """Private, writable float64 copies of the parameters, with shapes checked against each other and X."""
    if not isinstance(params, Params):
        raise TypeError(f"params must be an impls.Params, got {type(params).__name__}")
    w1 = _array("params.w1", params.w1, 2, copy=True)
    w2 = _array("params.w2", params.w2, 2, copy=True)
    if (params.b1 is None) != (params.b2 is None):
        raise ValueError("params.b1 and params.b2 must both be arrays or both be None")
    b1 = None if params.b1 is None else _array("params.b1", params.b1, 1, copy=True)
    b2 = None if params.b2 is None else _array("params.b2", params.b2, 1, copy=True)
    n_hidden, n_out = w1.shape[1], w2.shape[1]
    if w1.shape[0] != n_in:
        raise ValueError(f"params.w1 must have shape (n_in={n_in}, n_hidden) to match X's columns, got {w1.shape}")
    if n_hidden < 1 or n_out < 1:
        raise ValueError(f"params must have at least one hidden and one output unit, got w1 {w1.shape}, w2 {w2.shape}")
    if w2.shape[0] != n_hidden:
        raise ValueError(f"params.w2 must have shape (n_hidden={n_hidden}, n_out), got {w2.shape}")
    if b1 is not None and b1.shape != (n_hidden,):
        raise ValueError(f"params.b1 must have shape ({n_hidden},), got {b1.shape}")
    if b2 is not None and b2.shape != (n_out,):
        raise ValueError(f"params.b2 must have shape ({n_out},), got {b2.shape}")
    return w1, b1, w2, b2


def _X(X) -> np.ndarray:
    X = _array("X", X, 2, copy=False)
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"X must have at least one row and one column, got shape {X.shape}")
    return X


def _int(name: str, v, lo: int, hi: int) -> int:
    if v.__class__ is int and lo <= v <= hi:  # the common case, without the slow ABC isinstance
        return v
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(v).__name__} {v!r}")
    v = int(v)
    if not lo <= v <= hi:
        raise ValueError(f"{name} must be between {lo} and {hi}, got {v}")
    return v


class TrainJob(NamedTuple):
    """A validated training call: private parameter copies and contiguous float64 data."""

    w1: np.ndarray
    b1: np.ndarray | None
    w2: np.ndarray
    b2: np.ndarray | None
    X: np.ndarray
    Y: np.ndarray
    epochs: int
    lr: float
    loss: str
    record_every: int

    @property
    def n_recorded(self) -> int:
        return 0 if self.record_every == 0 else -(-self.epochs // self.record_every)


def validate_train(params, X, Y, *, epochs, lr, loss, record_every) -> TrainJob:
    """Check and convert every argument of train, or raise a ValueError/TypeError naming it; all but the
    finiteness of the arrays, which Backend.train checks next with the backend's own _first_nonfinite."""
    X = _X(X)
    Y = _array("Y", Y, 2, copy=False)
    if Y.shape[0] != X.shape[0]:
        raise ValueError(f"Y must have as many rows as X ({X.shape[0]}), got shape {Y.shape}")
    w1, b1, w2, b2 = _params(params, X.shape[1])
    if Y.shape[1] != w2.shape[1]:
        raise ValueError(f"Y must have n_out={w2.shape[1]} columns to match params.w2, got shape {Y.shape}")
    epochs = _int("epochs", epochs, 0, INT64_MAX)
    record_every = _int("record_every", record_every, 0, INT64_MAX)
    if lr.__class__ is not float:
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
            raise TypeError(f"lr must be a real number, got {type(lr).__name__} {lr!r}")
        lr = float(lr)
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be finite and > 0, got {lr!r}")
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}; got {loss!r}")
    job = TrainJob(w1, b1, w2, b2, X, Y, epochs, lr, loss, record_every)
    if job.n_recorded > MAX_RECORDED:
        raise ValueError(
            f"record_every={record_every} would record {job.n_recorded} losses over {epochs} epochs; "
            f"at most {MAX_RECORDED} are allowed"
        )
    return job


def validate_predict(params, X) -> tuple:
    """Check and convert the arguments of predict: (w1, b1, w2, b2, X); finiteness as in validate_train."""
    X = _X(X)
    return (*_params(params, X.shape[1]), X)


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
    # what the backend trades, for `xorbench list` and the report's "What each backend trades" table
    fma = "no"  # "yes", "no", or where it happens ("inside BLAS")
    simd = "none"
    exp = "libm"
    fastmath = "no"
    #: None: single-threaded. Threaded backends set 0 (every core from PARALLEL_MIN samples on) and a user may
    #: set n (at most n threads); the threads benchmark runs every backend whose max_threads is not None.
    max_threads: int | None = None

    @property
    def threaded(self) -> bool:
        return self.max_threads is not None

    def threads_for(self, n_samples: int) -> int:
        """The max_threads a threaded kernel gets for a batch: 1 below PARALLEL_MIN, else max_threads (0: all)."""
        return 1 if n_samples < PARALLEL_MIN else self.max_threads

    def train(self, params, X, Y, *, epochs, lr, loss="mse", record_every=0) -> TrainResult:
        """Full-batch gradient descent for `epochs` steps; returns new params, never mutating the inputs."""
        job = validate_train(params, X, Y, epochs=epochs, lr=lr, loss=loss, record_every=record_every)
        if self.threaded:
            _int("max_threads", self.max_threads, 0, MAX_THREADS)
        self._require_finite(job.X, job.Y, job.w1, job.b1, job.w2, job.b2)
        losses = np.empty(job.n_recorded)
        final_loss = self._train(job, losses)
        return _train_result(_frozen_params(job.w1, job.b1, job.w2, job.b2), float(final_loss), _frozen(losses))

    def predict(self, params, X) -> np.ndarray:
        """Network outputs for X, shape (N, n_out)."""
        w1, b1, w2, b2, X = validate_predict(params, X)
        self._require_finite(X, None, w1, b1, w2, b2)
        out = np.empty((X.shape[0], w2.shape[1]))
        self._predict(out, w1, b1, w2, b2, X)
        return out

    def threads(self) -> str:
        """How the backend uses threads, in words."""
        return "1"

    def info(self) -> dict:
        """What the backend trades (the declared attributes above), then its versions and build facts."""
        return {"fma": self.fma, "simd": self.simd, "threads": self.threads(), "exp": self.exp,
                "fastmath": self.fastmath, **self.build_info()}

    def build_info(self) -> dict:
        """Versions, compiler and flags worth printing next to this backend's numbers."""
        return {}

    def _require_finite(self, X, Y, w1, b1, w2, b2) -> None:
        """The last validation step of train and predict: a ValueError naming the first array with NaN or inf."""
        bad = self._first_nonfinite(X, Y, w1, b1, w2, b2)
        if bad >= 0:
            raise ValueError(f"{FINITE_CHECKED[bad]} must be finite, but contains NaN or inf")

    def _first_nonfinite(self, X, Y, w1, b1, w2, b2) -> int:
        """Index of the first argument holding NaN or inf (None is skipped), or -1. Part of validation: it runs
        before the kernel, never inside it. Compiled backends override it with a cheaper check of their own."""
        return first_nonfinite(X, Y, w1, b1, w2, b2)

    # Implementations: update job.w1, job.b1, job.w2, job.b2 in place (they are private copies), write the
    # loss at the start of epoch 0, k, 2k, ... into `losses`, and return the loss of the final parameters.
    def _train(self, job: TrainJob, losses: np.ndarray) -> float:
        raise NotImplementedError

    def _predict(self, out, w1, b1, w2, b2, X) -> None:
        raise NotImplementedError
