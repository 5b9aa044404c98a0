"""JAX: the network as a JAX user writes it, autodiff for the gradients, the training loop in one jax.jit.

float64 through the jax.enable_x64 context manager, around every trace and call, so the user's own global
JAX configuration is left as it is. The contract's loss (mean or sum of squared errors), sigmoid
(jax.nn.sigmoid, overflow-safe) and update p <- p - lr * dp, with the exact gradients jax.grad gives.

Forced differences from the reference, and why its results agree within tolerance rather than to the bit:
  * XLA fuses and reorders the operations, and its exp (and logistic) are XLA's own, not libm's;
  * the epochs run in lax.fori_loop, not lax.scan: fori_loop takes the epoch count as a traced value, so one
    compiled loop serves every K, where scan would compile again for each new length;
  * losses are recorded by calling the compiled loop once per recorded epoch (a loss array's length would
    otherwise be part of the compiled shape).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .core import Backend


def forward(p, X):
    hidden = jax.nn.sigmoid(X @ p["w1"] + p["b1"]) if "b1" in p else jax.nn.sigmoid(X @ p["w1"])
    return jax.nn.sigmoid(hidden @ p["w2"] + p["b2"]) if "b2" in p else jax.nn.sigmoid(hidden @ p["w2"])


def loss_fn(p, X, Y, mse):
    sq = jnp.sum((forward(p, X) - Y) ** 2)
    return sq / Y.size if mse else sq


@jax.jit
def _loss(p, X, Y, mse):
    return lax.cond(mse, lambda: loss_fn(p, X, Y, True), lambda: loss_fn(p, X, Y, False))


@jax.jit
def _epochs(p, X, Y, lr, n, mse):
    """n epochs of full-batch gradient descent, in one compiled loop."""
    def epoch(_, p):
        g = lax.cond(mse, lambda: jax.grad(loss_fn)(p, X, Y, True), lambda: jax.grad(loss_fn)(p, X, Y, False))
        return jax.tree_util.tree_map(lambda w, d: w - lr * d, p, g)

    return lax.fori_loop(0, n, epoch, p)


class JaxBackend(Backend):
    name = "jax"
    equivalence = "reordered"
    description = "JAX: jax.grad and the whole training loop in one jax.jit (lax.fori_loop), float64, on the CPU"
    difference = "XLA fuses and reorders the operations, and its exp and logistic are its own, not libm's"
    compile_cache = False
    fma = "as XLA chooses"
    simd = "XLA's CPU code generation"
    exp = "XLA's own (jax.nn.sigmoid)"
    gil = "released"  # the compiled XLA program runs without it
    overheads = ("one dispatch of a compiled XLA program per call (plus one per recorded loss); XLA fuses each "
                 "epoch's operations; a trace and compile on the first call of each shape")

    def threads(self):
        return "XLA's CPU thread pool (pinned to 1 in benchmarks)"

    def _prepare(self, job):
        names = [n for n in ("w1", "b1", "w2", "b2") if getattr(job, n) is not None]
        with jax.enable_x64(True):
            X, Y = jnp.asarray(job.X), jnp.asarray(job.Y)
            state = {"p": {n: jnp.asarray(getattr(job, n)) for n in names}}
        lr, mse = job.lr, job.loss == "mse"

        def run(epochs, record_every, losses, want_loss=True):
            with jax.enable_x64(True):
                p, done = state["p"], 0
                for i in range(losses.size):  # one compiled loop per recorded epoch
                    losses[i] = float(_loss(p, X, Y, mse))
                    n = min(record_every, epochs - done)
                    p, done = _epochs(p, X, Y, lr, n, mse), done + n
                if done < epochs:
                    p = _epochs(p, X, Y, lr, epochs - done, mse)
                final = float(_loss(p, X, Y, mse)) if want_loss else float("nan")
            state["p"] = p
            for n in names:  # the job's arrays are the trainer's parameters
                getattr(job, n)[...] = np.asarray(p[n])
            return final

        return run

    def _predict(self, job, out):
        names = [n for n in ("w1", "b1", "w2", "b2") if getattr(job, n) is not None]
        with jax.enable_x64(True):
            out[...] = np.asarray(jax.jit(forward)({n: jnp.asarray(getattr(job, n)) for n in names},
                                                   jnp.asarray(job.X)))

    def build_info(self):
        import jaxlib
        return {"jax": jax.__version__, "jaxlib": jaxlib.__version__, "device": str(jax.devices()[0])}
