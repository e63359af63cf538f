"""Build step beyond ``pyproject.toml``: the kernels compiled ahead of time (``mlmrisk.classifier._compiled_kernels``).

``numba.pycc`` lowers the numba kernels named in ``classifier/compiled.py`` (``EXPORTS``) into one extension module,
so a wheel built here runs them without numba's start-up (see that module's docstring). The build is optional: when
numba's ``pycc`` or a C compiler is missing, or compiling fails, the package is built without the extension and
numba compiles the kernels at run time, as before. ``MLMRISK_REQUIRE_COMPILED=1`` turns that fallback into an
error (CI and release builds use it, so a wheel that should be fast cannot silently be slow).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import types
import warnings
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
REQUIRED = os.environ.get("MLMRISK_REQUIRE_COMPILED", "") not in ("", "0")
#: the extension's import name (``classifier/compiled.py`` loads it under the same name; checked when building)
EXTENSION = "mlmrisk.classifier._compiled_kernels"


def _expose_package() -> None:
    """Make ``mlmrisk.classifier`` importable from the checkout (``package-dir`` maps ``classifier/`` into it only
    once installed), so the kernels and their signatures are read from the very sources being packaged."""
    if "mlmrisk" not in sys.modules:
        package = types.ModuleType("mlmrisk")
        package.__path__ = [str(ROOT / "mlmrisk")]
        sys.modules["mlmrisk"] = package
    spec = importlib.util.spec_from_file_location("mlmrisk.classifier", ROOT / "classifier" / "__init__.py",
                                                  submodule_search_locations=[str(ROOT / "classifier")])
    module = importlib.util.module_from_spec(spec)
    sys.modules["mlmrisk.classifier"] = module
    spec.loader.exec_module(module)


def _release_the_gil() -> None:
    """Make ``numba.pycc`` wrap every export so that it releases the GIL while it runs, as the numba kernels do
    (``nogil=True``): pycc compiles with default flags, whose wrappers hold it, and a program scoring from two
    threads then ran slower than from one (0.72× against numba's 1.37×, ``tests/classifier/test_compiled_kernels.py``
    checks the overlap). The kernels touch no Python object, so releasing it is safe."""
    import numba.pycc.compiler as pycc_compiler

    base = pycc_compiler.Flags

    class ReleasingFlags(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.release_gil = True

    if not getattr(base, "_mlmrisk_releases_gil", False):
        ReleasingFlags._mlmrisk_releases_gil = True
        pycc_compiler.Flags = ReleasingFlags


def _pycc_extension():
    """The kernels as a ``numba.pycc`` extension (imports numba, which only ``build_ext`` needs)."""
    _expose_package()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba marks pycc as pending deprecation; the fallback covers removal
        from numba.pycc import CC
    _release_the_gil()
    from mlmrisk.classifier import compiled

    if compiled.EXTENSION != EXTENSION:
        raise RuntimeError(f"setup.py builds {EXTENSION} but classifier/compiled.py loads {compiled.EXTENSION}")
    kernel_modules = {name: importlib.import_module(f"mlmrisk.classifier.{name}")
                      for name in {export.module for export in compiled.EXPORTS.values()}}
    cc = CC(EXTENSION.rsplit(".", 1)[1], source_module="mlmrisk.classifier.compiled")
    for name, export in compiled.EXPORTS.items():
        cc.export(name, export.signature())(getattr(kernel_modules[export.module], name).py_func)
    namespace: dict = {}
    exec(f"def fingerprint():\n    return {compiled.source_fingerprint(ROOT / 'classifier')}\n", namespace)
    cc.export("fingerprint", "int64()")(namespace["fingerprint"])
    return cc.distutils_extension()


class OptionalBuildExt(build_ext):
    """Builds the compiled kernels, or leaves them out (with a message) when the machine cannot: the kernels then
    compile at run time.

    The extension is declared as a placeholder without sources and filled in here, from ``numba.pycc``: its C
    sources are numba's files by absolute path, which setuptools refuses in the package's file list (a build
    without isolation, ``pip install --no-build-isolation .``, stopped with "setup script specifies an absolute
    path"), and ``egg_info`` or ``sdist`` should not need numba at all. It is always relinked (``force``): what
    it is compiled from is Python source distutils cannot date, and an up-to-date check on numba's C files
    alone had shipped a stale module after an edit to the kernels.
    """

    def build_extension(self, ext) -> None:
        if ext.name != EXTENSION:
            return super().build_extension(ext)
        try:
            pycc_ext = _pycc_extension()
            for attribute in ("sources", "depends", "define_macros", "include_dirs", "libraries", "library_dirs",
                              "extra_compile_args", "extra_link_args"):
                setattr(ext, attribute, getattr(pycc_ext, attribute))
            pycc_ext._prepare_object_files(self)  # numba lowers the kernels to an object file in build_temp
            ext.extra_objects = pycc_ext.extra_objects
            self.force = True
            super().build_extension(ext)
        except Exception as exc:  # numba missing or without pycc, no working C compiler, an unsupported platform
            if REQUIRED:
                raise
            # an earlier build's module must not be packaged in its place (pip builds in the source tree)
            Path(self.get_ext_fullpath(ext.name)).unlink(missing_ok=True)
            print(f"mlmrisk: compiled kernels not built ({type(exc).__name__}: {exc}); "
                  "numba will compile them at run time", file=sys.stderr)


setup(ext_modules=[Extension(EXTENSION, sources=[])], cmdclass={"build_ext": OptionalBuildExt})
