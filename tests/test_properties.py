"""Property-based: random sizes, batch sizes, parameters and settings, every backend against the reference."""
import os

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xorbench
from xorbench.impls.tolerances import ONE_STEP_LOSS_RTOL, ONE_STEP_RTOL, loss_atol

from .conftest import assert_results_close

# a few steps keep the per-step tolerance meaningful; long runs are covered in test_equivalence
STEPS = 3


@st.composite
def problems(draw):
    n_in, n_hidden, n_out = (draw(st.integers(1, 5)), draw(st.integers(1, 9)), draw(st.integers(1, 3)))
    n = draw(st.integers(1, 17))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    X = rng.normal(scale=draw(st.sampled_from([0.1, 1.0, 5.0])), size=(n, n_in))
    Y = rng.random((n, n_out))
    params = xorbench.init_params(n_in, n_hidden, n_out, seed=seed, bias=draw(st.booleans()),
                               scheme=draw(st.sampled_from(xorbench.SCHEMES)))
    kw = dict(epochs=draw(st.integers(0, STEPS)), lr=draw(st.sampled_from([0.01, 0.5, 1.0, 3.0])),
              loss=draw(st.sampled_from(xorbench.LOSSES)), record_every=draw(st.integers(0, 2)))
    return params, X, Y, kw


@settings(max_examples=int(os.environ.get("XORBENCH_HYPOTHESIS_EXAMPLES", 60)), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(problem=problems())
def test_random_problems_match_reference(backend, reference, problem):
    params, X, Y, kw = problem
    got = backend.train(params, X, Y, **kw)
    want = reference.train(params, X, Y, **kw)
    steps = max(1, kw["epochs"])
    rtol = ONE_STEP_RTOL[backend.equivalence] * steps
    # near a perfect fit the loss cancels: bound it by the outputs' tolerance, at the start and at the end
    atol = max(loss_atol(reference.predict(p, X), Y, rtol, kw["loss"]) for p in (params, want.params))
    assert_results_close(got, want, rtol, loss_rtol=ONE_STEP_LOSS_RTOL[backend.equivalence] * steps, loss_atol=atol)
    pred = backend.predict(got.params, X)
    assert pred.shape == Y.shape and np.all((pred >= 0) & (pred <= 1))
