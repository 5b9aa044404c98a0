"""c-autovec: the strict kernel's source with -ffast-math at the compile step only, never at the link step."""
import xorbench
from xorbench.impls._ffi_build import KERNELS
from xorbench.impls.c_autovec_impl import K


def test_fast_math_is_compiled_in_but_never_linked():
    spec = KERNELS["c-autovec"]
    assert "-ffast-math" in spec.cflags and "-march=native" in spec.cflags
    assert not any("fast-math" in f or f == "-Ofast" for f in spec.ldflags)
    with open(K.path, "rb") as f:
        assert b"set_fast_math" not in f.read()  # crtfastmath.o's constructor, which flushes denormals


def test_it_is_the_strict_kernels_source():
    assert KERNELS["c-autovec"].sources == KERNELS["c"].sources
    assert xorbench.get_backend("c-autovec").info()["cflags"] == list(KERNELS["c-autovec"].cflags)
