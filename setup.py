"""Only here for the compiled backends' build hooks (cffi and Cython cannot yet be configured from pyproject.toml
alone): one cffi extension per entry of KERNELS in impls/_ffi_build.py, and the cython backend."""
import os
import runpy

from Cython.Build import cythonize
from setuptools import Extension, setup

BUILD = "impls/_ffi_build.py"
build = runpy.run_path(BUILD)
cython_ext = Extension(build["CYTHON_MODULE"], [os.path.join("impls", build["CYTHON_SOURCE"])],
                       extra_compile_args=list(build["CYTHON_CFLAGS"]), libraries=["m"])
setup(cffi_modules=[f"{BUILD}:build_{name.replace('-', '_')}" for name in build["KERNELS"]],
      ext_modules=cythonize([cython_ext], compiler_directives={"language_level": 3}))
