"""cffi out-of-line API-mode builds of the C kernels (run by setup.py's cffi_modules):

    ffibuilder       csrc/xor_net.c  -> impls._xor_c     strict: -O3 -ffp-contract=off, bit-identical
    ffibuilder_simd  csrc/xor_simd.c -> impls._xor_simd  fast: SIMD, FMA by -ffp-contract=fast, OpenMP

Each extension records its flags and a hash of its C sources, so `xorbench list` can show how a kernel was
built and the backend can tell when csrc/ changed after the build. Never -ffast-math or -Ofast: they
flush denormals for the whole process.
"""
import hashlib
import json
import os
import sysconfig

from cffi import FFI

CSRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "csrc")
COMMON = "xor_common.h"  # error codes, loss kinds and argument checks, shared by both kernels

KERNELS = {
    "impls._xor_c": dict(sources=["xor_net.c"], header="xor_net.h",
                         cflags=["-std=c99", "-O3", "-ffp-contract=off"], ldflags=[]),
    "impls._xor_simd": dict(sources=["xor_simd.c"], header="xor_simd.h",
                            cflags=["-std=gnu99", "-O3", "-ffp-contract=fast", "-fopenmp", "-Wno-psabi"],
                            ldflags=["-fopenmp"]),
}


def source_hash(module, csrc=CSRC):
    """sha256 over one kernel's C sources and header, in a fixed order."""
    k = KERNELS[module]
    h = hashlib.sha256()
    for name in sorted(k["sources"] + [k["header"], COMMON]):
        with open(os.path.join(csrc, name), "rb") as f:
            h.update(name.encode() + b"\0" + f.read())
    return h.hexdigest()


def _cdef(header):
    """The header's declarations, preprocessor lines dropped, and the integer constants of it and of the
    common header, as cdef wants them (the common header's inline checks stay on the C side)."""
    with open(os.path.join(CSRC, header)) as f:
        text = f.read()
    with open(os.path.join(CSRC, COMMON)) as f:
        common = f.read()
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    defines = ["#define " + ln.split()[1] + " ..." for ln in (common + "\n" + text).splitlines()
               if ln.startswith("#define XOR_") and len(ln.split()) > 2 and not ln.split()[2].startswith("((")]
    return "\n".join(defines + lines + ["const char *xor_build_info(void);", "const char *xor_compiler(void);",
                                         FIRST_NONFINITE + ";"])


FIRST_NONFINITE = ("int xor_first_nonfinite(const double *a0, int64_t n0, const double *a1, int64_t n1, "
                   "const double *a2, int64_t n2, const double *a3, int64_t n3, const double *a4, int64_t n4, "
                   "const double *a5, int64_t n5)")
# exported by both extensions; the check itself is xor_first_nonfinite_of in csrc/xor_common.h
FIRST_NONFINITE_C = FIRST_NONFINITE + " { return xor_first_nonfinite_of(a0, n0, a1, n1, a2, n2, a3, n3, a4, n4, a5, n5); }\n"


def builder(module):
    k = KERNELS[module]
    info = {"cflags": k["cflags"], "python_cflags": sysconfig.get_config_var("CFLAGS") or "",
            "cc": sysconfig.get_config_var("CC") or "", "source_sha256": source_hash(module)}
    ffi = FFI()
    ffi.cdef(_cdef(k["header"]))
    ffi.set_source(
        module,
        f'#include "{k["header"]}"\n'
        f"static const char BUILD_INFO[] = {json.dumps(json.dumps(info))};\n"
        "const char *xor_build_info(void) { return BUILD_INFO; }\n"
        "const char *xor_compiler(void) {\n#ifdef __VERSION__\n return __VERSION__;\n#else\n return \"unknown\";\n#endif\n}\n"
        + FIRST_NONFINITE_C,
        sources=[os.path.relpath(os.path.join(CSRC, s)) for s in k["sources"]],
        include_dirs=[os.path.relpath(CSRC)],
        extra_compile_args=k["cflags"],
        extra_link_args=k["ldflags"],
    )
    return ffi


ffibuilder = builder("impls._xor_c")
ffibuilder_simd = builder("impls._xor_simd")

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
    ffibuilder_simd.compile(verbose=True)
