# Only here for cffi's build hook: cffi cannot yet be configured from pyproject.toml alone.
from setuptools import setup

setup(cffi_modules=["impls/_ffi_build.py:ffibuilder", "impls/_ffi_build.py:ffibuilder_simd"])
