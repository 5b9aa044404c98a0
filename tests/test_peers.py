"""The peers, JAX and PyTorch: installed with pip install -e '.[peers]', run with -m peers. The shared suite runs
against them too (the backend fixture marks their runs `peers`); these are their own checks."""
import subprocess
import sys

import numpy as np
import pytest

import xorbench
from xorbench.impls import equivalence as eq
from xorbench.impls.registry import PEERS

pytestmark = pytest.mark.peers


def test_every_peer_is_available():
    status = xorbench.available()
    assert {n: status[n] for n in PEERS} == {n: None for n in PEERS}


def test_check_classifies_each_peer():
    report = eq.check(list(PEERS), epochs=500)
    assert report.ok, eq.format_table(report)
    for name in PEERS:
        assert report.worst()[name] in (eq.ULP4, eq.WITHIN, eq.IDENTICAL)
        assert report.notes[name]  # why its bits differ, in words


def test_jax_leaves_the_users_configuration_alone():
    import jax
    import jax.numpy as jnp

    before = jax.config.jax_enable_x64
    xorbench.get_backend("jax").train(xorbench.init_params(), *xorbench.xor_dataset(), epochs=5, lr=1.0)
    assert jax.config.jax_enable_x64 == before
    if not before:
        assert jnp.zeros(1).dtype == np.float32  # the user's default, still 32-bit


def test_torch_trains_with_autograd_and_sgd():
    import torch

    res = xorbench.get_backend("torch").train(xorbench.init_params(), *xorbench.xor_dataset(), epochs=2000, lr=1.0)
    assert torch.get_default_dtype() == torch.float32  # nothing global changed either
    assert res.loss < 0.01


def test_neither_peer_is_imported_unless_asked_for():
    code = ("import sys, xorbench; xorbench.get_backend('c').train(xorbench.init_params(), *xorbench.xor_dataset(), "
            "epochs=1, lr=1.0); print(sorted(m for m in ('jax', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
