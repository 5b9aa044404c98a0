"""The interface and registry: names, availability, lazy loading and helpful failures."""
import subprocess
import sys

import numpy as np
import pytest

import xorbench
from xorbench.impls import registry


def test_core_backends_are_registered_in_order():
    assert xorbench.names()[:len(xorbench.CORE)] == list(xorbench.CORE)
    assert list(xorbench.CORE) == ["python", "numpy", "numba", "cython", "c", "c-ctypes"]


def test_every_core_backend_is_available():
    """CI requires all four: an unavailable core backend is a failure, never a skip."""
    status = xorbench.available()
    assert set(xorbench.CORE) <= set(status)
    broken = {n: status[n] for n in xorbench.CORE if status[n] is not None}
    assert not broken, broken


def test_backend_names_match_registry(backend):
    assert backend.name in xorbench.names()
    assert backend.equivalence in ("bitwise", "reordered", "fast")
    assert isinstance(backend.info(), dict)


def test_missing_dependency_breaks_only_its_backend(monkeypatch):
    monkeypatch.setitem(registry.BACKENDS, "ghost", "xorbench.impls.no_such_module:Ghost")
    status = xorbench.available()
    assert "no_such_module" in status["ghost"] and "pip install" in status["ghost"]
    assert all(status[n] is None for n in xorbench.CORE)
    with pytest.raises(xorbench.BackendUnavailable, match="ghost"):
        xorbench.get_backend("ghost")


def test_init_params_shapes_and_determinism():
    for scheme in xorbench.SCHEMES:
        p = xorbench.init_params(3, 5, 2, seed=11, scheme=scheme)
        assert p.w1.shape == (3, 5) and p.b1.shape == (5,) and p.w2.shape == (5, 2) and p.b2.shape == (2,)
        assert p.sizes == (3, 5, 2) and p.bias
        assert all(a.dtype == np.float64 and not a.flags.writeable for a in p.arrays().values())
        q = xorbench.init_params(3, 5, 2, seed=11, scheme=scheme)
        assert all(np.array_equal(a, q.arrays()[k]) for k, a in p.arrays().items())
    assert not np.array_equal(xorbench.init_params(seed=1).w1, xorbench.init_params(seed=2).w1)
    u = xorbench.init_params(2, 400, 1, seed=0)
    assert -1 <= u.w1.min() < -0.9 and 0.9 < u.w1.max() < 1
    r = xorbench.init_params(2, 400, 1, seed=0, scheme="rand01")
    assert 0 <= r.w1.min() < 0.1 and r.w1.max() < 1
    x = xorbench.init_params(2, 400, 1, seed=0, scheme="xavier")
    assert np.abs(x.w1).max() <= np.sqrt(6 / 402) and not x.b1.any()
    nb = xorbench.init_params(seed=0, bias=False)
    assert nb.b1 is None and nb.b2 is None and not nb.bias and set(nb.arrays()) == {"w1", "w2"}


def test_datasets():
    X, Y = xorbench.xor_dataset()
    assert X.shape == (4, 2) and Y.shape == (4, 1)
    assert (Y.ravel() == np.logical_xor(X[:, 0], X[:, 1])).all()
    Xn, Yn = xorbench.noisy_xor(1000, noise=0.1, seed=3)
    assert Xn.shape == (1000, 2) and Yn.shape == (1000, 1)
    assert (Yn.ravel() == np.logical_xor(Xn[:, 0] > 0.5, Xn[:, 1] > 0.5)).mean() > 0.99
    assert 0.05 < np.std(Xn - np.round(Xn)) < 0.15
    assert np.array_equal(xorbench.noisy_xor(10, seed=1)[0], xorbench.noisy_xor(10, seed=1)[0])
    assert np.array_equal(xorbench.noisy_xor(4, noise=0.0)[0], X)
    with pytest.raises(ValueError, match="n"):
        xorbench.noisy_xor(0)


def test_missing_peers_say_how_to_install_them():
    """Without the peers extra, jax and torch are listed unavailable with the fix; nothing else changes."""
    code = (
        "import sys\n"
        "class Missing:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('jax', 'jaxlib', 'torch'):\n"
        "            raise ImportError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Missing())\n"
        "from xorbench.bench.cli import main\n"
        "sys.exit(main(['list']))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr  # every core backend is still there
    for name in ("jax", "torch"):
        line = next(ln for ln in out.stdout.splitlines() if ln.startswith(name + " "))
        assert "N/A" in line and "pip install -e '.[peers]'" in line
