"""cffi out-of-line API-mode build of csrc/xor_net.c into impls._xor_c (run by setup.py's cffi_modules).

The flags are recorded in the extension itself, with a hash of the C sources, so `xorbench list` can show
how the kernel was built and impls.c_impl can tell when csrc/ changed after the build.
"""
import hashlib
import json
import os
import sysconfig

from cffi import FFI

CSRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "csrc")
SOURCES = ["xor_net.c"]
HEADERS = ["xor_net.h"]
# No -ffast-math / -Ofast, ever: they flush denormals for the whole process.
CFLAGS = ["-std=c99", "-O3", "-ffp-contract=off"]


def source_hash(csrc=CSRC):
    """sha256 over the C sources and headers, in a fixed order."""
    h = hashlib.sha256()
    for name in sorted(SOURCES + HEADERS):
        with open(os.path.join(csrc, name), "rb") as f:
            h.update(name.encode() + b"\0" + f.read())
    return h.hexdigest()


def _cdef():
    """The header's declarations, preprocessor lines dropped, as cffi's cdef wants them."""
    with open(os.path.join(CSRC, "xor_net.h")) as f:
        text = f.read()
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    consts = [ln for ln in text.splitlines() if ln.startswith("#define XOR_") and len(ln.split()) > 2]
    defines = ["#define " + ln.split()[1] + " ..." for ln in consts]
    return "\n".join(defines + lines + ["const char *xor_net_build_info(void);"])


BUILD_INFO = {
    "cflags": CFLAGS,
    "python_cflags": sysconfig.get_config_var("CFLAGS") or "",
    "cc": sysconfig.get_config_var("CC") or "",
    "source_sha256": source_hash(),
}

ffibuilder = FFI()
ffibuilder.cdef(_cdef())
ffibuilder.set_source(
    "impls._xor_c",
    '#include "xor_net.h"\n'
    f"static const char BUILD_INFO[] = {json.dumps(json.dumps(BUILD_INFO))};\n"
    "const char *xor_net_build_info(void) { return BUILD_INFO; }\n",
    sources=[os.path.relpath(os.path.join(CSRC, s)) for s in SOURCES],
    include_dirs=[os.path.relpath(CSRC)],
    extra_compile_args=CFLAGS,
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
