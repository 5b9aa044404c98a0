"""Facts about the machine and build that a reader needs to judge a number."""
from __future__ import annotations

import gc
import os
import platform
import subprocess
import sys

from xorbench.bench.profiles import RECORDED_THREAD_VARS


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_class() -> dict:
    """What tells two CPUs with the same model name apart: the x86 family and model numbers, the widest vector
    ISA, and the CPU name LLVM (so Numba) compiles for ("AMD EPYC" is Zen 3, znver3, AVX2, or Zen 4, znver4,
    AVX-512, and the fast rows' ratios differ between the two)."""
    cpuinfo = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if not line.strip():
                    break  # the first processor's block is enough
                key, _, value = line.partition(":")
                cpuinfo[key.strip()] = value.strip()
    except OSError:
        pass
    isa = vector_isa(cpuinfo.get("flags", "").split())
    try:
        import llvmlite.binding
        llvm_cpu = llvmlite.binding.get_host_cpu_name()
    except (ImportError, RuntimeError):
        llvm_cpu = None
    return {"cpu_family": cpuinfo.get("cpu family"), "cpu_model_number": cpuinfo.get("model"), "vector_isa": isa,
            "llvm_cpu": llvm_cpu}


def vector_isa(flags) -> str | None:
    """The widest x86 vector extension among the CPU's flags."""
    flags = set(flags)
    return "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "SSE2" if "sse2" in flags else None


def cpu_label(m: dict) -> str:
    """The CPU as a reader should name its class: 'AMD EPYC (znver3, AVX2)'."""
    detail = ", ".join(str(m[k]) for k in ("llvm_cpu", "vector_isa") if m.get(k))
    return f"{m.get('cpu', '?')} ({detail})" if detail else str(m.get("cpu", "?"))


def git_commit() -> str | None:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        out = subprocess.run(["git", "-C", root, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, timeout=5).stdout.strip()
    return out.stdout.strip() + ("-dirty" if dirty else "")


def versions() -> dict:
    import numpy
    v = {"python": platform.python_version(), "numpy": numpy.__version__}
    for mod in ("numba", "llvmlite", "cffi"):
        try:
            v[mod] = __import__(mod).__version__
        except ImportError:
            v[mod] = None
    return v


def facts() -> dict:
    """Machine, versions, thread settings and commit, as one JSON-able dict."""
    return {
        "cpu": cpu_model(),
        **cpu_class(),
        "cores": os.cpu_count(),
        "machine": platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "versions": versions(),
        "threads": {k: os.environ.get(k) for k in RECORDED_THREAD_VARS},
        "gc_enabled": gc.isenabled(),
        "python_executable": sys.executable,
        "commit": git_commit(),
    }


def backend_facts(names) -> dict:
    """Each backend's status, equivalence class and build facts (C flags, versions)."""
    import xorbench

    out = {}
    for name in names:
        try:
            be = xorbench.get_backend(name)
        except xorbench.BackendUnavailable as e:
            out[name] = {"available": False, "reason": str(e)}
            continue
        out[name] = {"available": True, "equivalence": be.equivalence, "description": be.description, **be.info()}
    return out
