"""PyTorch, written the way a PyTorch user writes it: tensors with requires_grad, loss.backward(),
torch.optim.SGD, float64, eager mode, one Python loop over epochs.

The parameters are tensors that share memory with the trainer's own arrays (torch.from_numpy), so SGD's
in-place update is the trainer's. The contract's loss (mean or sum of squared errors), sigmoid (torch.sigmoid,
overflow-safe) and update p <- p - lr * dp (SGD without momentum or weight decay).

Forced differences from the reference, and why its results agree within tolerance rather than to the bit:
  * matrix products go through PyTorch's BLAS, which reorders sums and may use FMA;
  * torch.sigmoid and the reductions are PyTorch's own vectorized kernels, not libm's exp and left-to-right sums;
  * the gradients come from autograd's graph, in its order of operations.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from .core import Backend


def forward(params, X):
    w1, b1, w2, b2 = params
    hidden = torch.sigmoid(X @ w1 + b1) if b1 is not None else torch.sigmoid(X @ w1)
    return torch.sigmoid(hidden @ w2 + b2) if b2 is not None else torch.sigmoid(hidden @ w2)


class TorchBackend(Backend):
    name = "torch"
    equivalence = "reordered"
    description = "PyTorch eager: requires_grad tensors, loss.backward(), torch.optim.SGD, float64, on the CPU"
    difference = ("PyTorch's BLAS and reductions reorder sums, torch.sigmoid is its own kernel, and autograd "
                  "orders the backward pass its own way")
    checks_signals = True  # the epoch loop is Python: Ctrl-C lands between epochs
    fma = "inside PyTorch's kernels"
    simd = "PyTorch's vectorized CPU kernels"
    exp = "PyTorch's own (torch.sigmoid)"
    gil = "held by its Python epoch loop (released inside each tensor operation)"
    overheads = ("framework dispatch for every operation, forward and backward (about 20 small tensor "
                 "operations and an autograd graph per epoch), and the optimizer's step; no compile")

    def threads(self):
        return f"PyTorch's intra-op pool, {torch.get_num_threads()} threads (pinned to 1 in benchmarks)"

    def _prepare(self, job):
        params = [None if a is None else torch.from_numpy(a).requires_grad_() for a in (job.w1, job.b1, job.w2,
                                                                                         job.b2)]
        opt = torch.optim.SGD([p for p in params if p is not None], lr=job.lr)
        X, Y = torch.from_numpy(job.X), torch.from_numpy(job.Y)
        mse = job.loss == "mse"

        def loss_of(out):
            sq = ((out - Y) ** 2).sum()
            return sq / Y.numel() if mse else sq

        def run(epochs, record_every, losses, want_loss=True):  # never sliced: checks_signals
            for e in range(epochs):
                opt.zero_grad()
                loss = loss_of(forward(params, X))
                if record_every and e % record_every == 0:
                    losses[e // record_every] = loss.item()
                loss.backward()
                opt.step()
            if not want_loss:
                return math.nan
            with torch.no_grad():
                return loss_of(forward(params, X)).item()

        return run

    def _predict(self, job, out):
        with torch.no_grad():
            params = [None if a is None else torch.from_numpy(a) for a in (job.w1, job.b1, job.w2, job.b2)]
            out[...] = forward(params, torch.from_numpy(job.X)).numpy()

    def build_info(self):
        return {"torch": torch.__version__}
