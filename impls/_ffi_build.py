"""cffi out-of-line API-mode builds of the C kernels, run by setup.py when the package is installed.

KERNELS is the one table of compiled backends: setup.py builds one extension per entry (through the
`build_<name>` functions below), impls/_cffi_kernel.py loads it by backend name, and the C bounds tests run
against every entry. Each extension is the kernel's sources plus csrc/xor_ext.c (build facts, compiler,
the NaN/inf check); it records its flags and a hash of its C sources, so `xorbench list` can show how a
kernel was built and the backend can tell when csrc/ changed after the build. Never -ffast-math or -Ofast
at link time: GCC then links crtfastmath.o, which flushes denormals for the whole process.
"""
import hashlib
import json
import os
import sysconfig
from dataclasses import dataclass

from cffi import FFI

CSRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "csrc")
SHARED = ("xor_common.h", "xor_ext.h", "xor_ext.c")  # compiled into, or included by, every extension


@dataclass(frozen=True)
class CKernel:
    """One compiled backend: its extension module, C sources and flags, and its entry points' prefix."""

    module: str  # the extension, inside the xorbench.impls package
    prefix: str  # entry points <prefix>_train and <prefix>_forward, declared in `header`
    header: str
    sources: tuple
    cflags: tuple
    ldflags: tuple = ()
    threads: bool = False  # <prefix>_train takes `int max_threads` as its last argument


KERNELS = {
    "c": CKernel("xorbench.impls._xor_c", "xor_net", "xor_net.h", ("xor_net.c",),
                 ("-std=c99", "-O3", "-ffp-contract=off")),
    # the strict kernel's own source, unchanged, with the flags users reach for: what the compiler gives for free.
    # -ffast-math at the compile step only: linking with it would add crtfastmath.o, which flushes denormals
    # for the whole process. -march=native: built for the machine it is installed on.
    # libmvec: glibc's vector exp, which GCC calls from the loops it vectorizes under -ffast-math.
    "c-autovec": CKernel("xorbench.impls._xor_autovec", "xor_net", "xor_net.h", ("xor_net.c",),
                         ("-std=c99", "-O3", "-march=native", "-ffast-math"), ("-lmvec", "-lm")),
    "c-simd": CKernel("xorbench.impls._xor_simd", "xor_simd", "xor_simd.h", ("xor_simd.c", "xor_peak.c"),
                      ("-std=gnu99", "-O3", "-ffp-contract=fast", "-fopenmp", "-Wno-psabi"),
                      ("-fopenmp", "-lmvec", "-lm"), threads=True),  # libmvec: the roofline times its exp too
}


#: the cython backend (impls/cython_impl.pyx), built by setup.py through Cython rather than cffi
CYTHON_MODULE, CYTHON_SOURCE = "xorbench.impls.cython_impl", "cython_impl.pyx"
CYTHON_CFLAGS = ("-O3", "-ffp-contract=off")


def _files(k: CKernel):
    return sorted(set(k.sources) | {k.header} | set(SHARED))


def source_hash(name: str, csrc: str = CSRC) -> str:
    """sha256 over one kernel's C sources and headers, in a fixed order."""
    h = hashlib.sha256()
    for f in _files(KERNELS[name]):
        with open(os.path.join(csrc, f), "rb") as fh:
            h.update(f.encode() + b"\0" + fh.read())
    return h.hexdigest()


def _cdef(header: str) -> str:
    """The declarations of the kernel's header and of xor_ext.h, preprocessor lines dropped, plus every integer
    XOR_ constant of them and of xor_common.h, as cdef wants them (the inline checks stay on the C side)."""
    texts = {}
    for name in (header, "xor_ext.h", "xor_common.h"):
        with open(os.path.join(CSRC, name)) as f:
            texts[name] = f.read()
    defines = ["#define " + ln.split()[1] + " ..." for t in texts.values() for ln in t.splitlines()
               if ln.startswith("#define XOR_") and len(ln.split()) > 2 and not ln.split()[2].startswith("((")]
    decls = [ln for name in ("xor_ext.h", header) for ln in texts[name].splitlines()
             if not ln.lstrip().startswith("#")]
    return "\n".join(defines + decls)


def builder(name: str) -> FFI:
    k = KERNELS[name]
    info = {"cflags": list(k.cflags), "python_cflags": sysconfig.get_config_var("CFLAGS") or "",
            "cc": sysconfig.get_config_var("CC") or "", "source_sha256": source_hash(name)}
    ffi = FFI()
    ffi.cdef(_cdef(k.header))
    ffi.set_source(
        k.module,
        f'#include "{k.header}"\n',
        sources=[os.path.relpath(os.path.join(CSRC, s)) for s in (*k.sources, "xor_ext.c")],
        include_dirs=[os.path.relpath(CSRC)],
        define_macros=[("XOR_BUILD_INFO", json.dumps(json.dumps(info)))],
        extra_compile_args=list(k.cflags),
        extra_link_args=list(k.ldflags),
    )
    return ffi


# setup.py's cffi_modules names these: build_c, build_c_simd, ... (cffi calls a function it is given)
for _name in KERNELS:
    globals()["build_" + _name.replace("-", "_")] = (lambda n: lambda: builder(n))(_name)

if __name__ == "__main__":
    for _name in KERNELS:
        builder(_name).compile(verbose=True)
