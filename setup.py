"""Only here for cffi's build hook (cffi cannot yet be configured from pyproject.toml alone): one extension per
entry of KERNELS in impls/_ffi_build.py."""
import runpy

from setuptools import setup

BUILD = "impls/_ffi_build.py"
kernels = runpy.run_path(BUILD)["KERNELS"]
setup(cffi_modules=[f"{BUILD}:build_{name.replace('-', '_')}" for name in kernels])
