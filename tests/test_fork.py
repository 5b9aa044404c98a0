"""A process forked after a threaded call still trains, with the same bits (GNU OpenMP cannot start threads in it)."""
import subprocess
import sys

CODE = """
import os, sys, xorbench
X, Y = xorbench.noisy_xor(4096, seed=0)
p = xorbench.init_params(2, 5, 1, seed=1)
want = {n: xorbench.get_backend(n).train(p, X, Y, epochs=3, lr=0.1).params.w1.tobytes()
        for n in ("c-simd", "numba-fast")}  # threaded: both cores
pid = os.fork()
if pid == 0:
    same = all(xorbench.get_backend(n).train(p, X, Y, epochs=3, lr=0.1).params.w1.tobytes() == w
               for n, w in want.items())
    os._exit(0 if same else 3)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def test_a_forked_child_trains_threaded_backends_with_the_same_bits():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, (out.returncode, out.stderr[-2000:])
