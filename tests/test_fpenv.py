"""No backend may change the process floating-point environment (flush-to-zero, denormals-are-zero)."""
import subprocess
import sys


def test_numpy_sees_denormals_after_every_backend_is_imported_and_run():
    code = (
        "import numpy as np, xorbench\n"
        "X, Y = xorbench.xor_dataset()\n"
        "for name, why in xorbench.available().items():\n"
        "    if why is not None:\n"
        "        continue  # a peer that is not installed; the core backends are all required elsewhere\n"
        "    be = xorbench.get_backend(name)\n"
        "    be.train(xorbench.init_params(), X, Y, epochs=2, lr=1.0)\n"
        "    tiny = np.nextafter(0.0, 1.0) * 1.0\n"
        "    assert tiny != 0.0, f'denormals flushed after {name}'\n"
        "    assert np.float64(2.2250738585072014e-308) / 2 != 0.0, f'denormal division flushed after {name}'\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
