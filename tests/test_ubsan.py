"""Both C kernels under UndefinedBehaviorSanitizer and AddressSanitizer: tests/ubsan_driver.c runs their paths (the
specialized 2-4-1 loops and the general ones, one block and many, 1 and 2 threads, samples laid out per call and
once, the redo for |z| > 707, the exp on its whole domain, refused arguments), compiled with them under
-fsanitize=undefined,address -fno-sanitize-recover=all: undefined behaviour, an access out of bounds or a leak
fails it.
UBSan checks scalar operations, not GCC's vector-extension arithmetic: that is why the exp's integer steps
(csrc/xor_vexp.h) are unsigned, where wrapping is defined, whatever a checker sees."""
import os
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
CSRC = os.path.join(HERE, os.pardir, "csrc")


def test_kernels_are_sanitizer_clean(tmp_path):
    if not os.path.isdir(CSRC):
        pytest.skip("csrc/ is not here (an installed package): run the tests from a checkout")
    cc = shutil.which(os.environ.get("CC", "gcc")) or shutil.which("cc")
    assert cc, "no C compiler (pip install -e . needs one too)"
    exe = tmp_path / "ubsan_driver"
    flags = ["-std=gnu99", "-O1", "-g", "-fsanitize=undefined,address", "-fno-sanitize-recover=all", "-fopenmp",
             "-ffp-contract=fast", "-Wno-psabi", f"-I{CSRC}"]
    sources = [os.path.join(HERE, "ubsan_driver.c")] + [os.path.join(CSRC, f) for f in
                                                         ("xor_net.c", "xor_simd.c", "xor_ext.c")]
    subprocess.run([cc, *flags, *sources, "-o", str(exe), "-lmvec", "-lm"], check=True, capture_output=True)
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "runtime error" not in run.stderr, run.stdout + run.stderr
    assert run.stdout.strip().endswith("ok")
