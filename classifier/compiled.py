"""Which implementation of the kernels runs: compiled ahead of time into the package, or numba at run time.

The kernels (``classifier/kernels.py``, ``classifier/_normalize_kernels.py``) are numba functions and stay the one
definition of the normaliser and the feature step. Building the package (``setup.py``) also compiles them ahead of
time, with ``numba.pycc``, into the extension module ``mlmrisk.classifier._compiled_kernels``: the same functions,
lowered by the same compiler, but for a generic CPU of the platform and loaded like any extension — no numba
import, no cache lookup and no compilation when a process starts. That was ~0.3–0.6 s of every process's start-up
(and of every bulk worker's), i.e. most of a short job's run time. A platform wheel therefore needs no compiler and
no numba at run time; an install where the build could not compile them (no C compiler, a numba without ``pycc``)
still works, with numba compiling the kernels on first use as before.

The extension records a fingerprint of the sources it was built from (``source_fingerprint``); one built from other
sources (a checkout edited after ``pip install -e .``) is not used, with a warning, so a stale build never decides a
score. ``MLMRISK_KERNELS`` chooses explicitly: ``auto`` (default: compiled when usable, else numba), ``compiled``
(error when unusable) or ``numba``. ``tests/classifier/test_compiled_kernels.py`` holds the two implementations
equal, output for output.

This module imports neither numba nor the extension until a kernel is asked for.
"""

from __future__ import annotations

import functools
import hashlib
import os
import warnings
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from mlmrisk.classifier.errors import MlmriskError

#: environment variable that chooses the implementation: auto | compiled | numba
BACKEND_ENV = "MLMRISK_KERNELS"
EXTENSION = "mlmrisk.classifier._compiled_kernels"

#: Files whose text decides what the compiled kernels compute: the kernels, the modules whose constants they
#: compile in, and this file (the signatures). Any edit makes an earlier build stale.
KERNEL_SOURCES = ("kernels.py", "_normalize_kernels.py", "features.py", "normalize.py", "pinyin.py", "compiled.py")

# An argument: an array ``(numpy dtype, ndim)`` (a third item ``"readonly"`` for one the kernel never writes and
# callers may pass read-only), or a scalar ``"int64"`` / ``"float64"``.
_I = ("int64", 1)
_B = ("bool", 1)
_U8 = ("uint8", 1)
_U16 = ("uint16", 1)
_F8 = ("float64", 1)
#: the arguments after (codes, doc) of ``hash_grams``: orders, syllable tables, Latin events, the positions whose
#: characters are not hashed (``features.latin_block``), salts, bits, base
_TABLES = (_B, _B, ("int16", 1), _I, _I, _I, _U8, ("uint64", 2), "int64", "int64")
_CLEAN = (_I, _I, _I, _U8, _U16, _U16)


@dataclass(frozen=True)
class Export:
    """One compiled kernel: the numba module that defines it, its argument types and its results."""

    module: str
    args: tuple
    returns: tuple

    def signature(self) -> str:
        """The numba signature string ``numba.pycc`` compiles the export for."""
        return f"Tuple(({', '.join(map(_numba_type, self.returns))},))({', '.join(map(_numba_type, self.args))})"


def _numba_type(arg) -> str:
    if isinstance(arg, str):
        return arg
    dtype = "boolean" if arg[0] == "bool" else arg[0]
    readonly = ", readonly=True" if len(arg) > 2 and arg[2] == "readonly" else ""
    return f"Array({dtype}, {arg[1]}, 'C'{readonly})"


#: exported name → its kernel and types. The argument types are the ones the callers pass
#: (``features._batch_args``, ``normalize.normalize_batch``, ``pinyin.latin_events``); a call with other types
#: (which the compiled code would misread) goes to the numba kernel instead (``_checked``).
EXPORTS: dict[str, Export] = {
    "hash_grams": Export("kernels", (_I, _I, *_TABLES), (_I,) * 4),
    "passages": Export("kernels", (_I, _I, _I, _I, _I, "int64", _I, "int64"), (_I,) * 6),
    "feeds": Export("kernels", (_I, _I, _I, *_TABLES, "int64", "int64"), (_I,) * 10),
    "best_passage_logits": Export("kernels", (_I, _I, *_TABLES, "int64", ("float32", 2), "float64", "float64",
                                              "float64", "int64", "float64"), (_F8, _I, _F8, _I)),
    "latin_events": Export("kernels", (_I, "int64", _I, _I, "int64"), (_I,) * 3),
    "normalize_core": Export("_normalize_kernels", (("uint32", 1, "readonly"), _I, ("int32", 1), _U16, _U8, _U16,
                                                    _U16), (_I,) * 3),
    "apply_folds": Export("_normalize_kernels", (_I, _I, _U8, _I, _I, ("int64", 2), _I, ("int64", 2), _U16),
                          ("boolean",)),
    "clean": Export("_normalize_kernels", _CLEAN, (_I,) * 3),
}


def source_fingerprint(directory: Path | None = None) -> int:
    """A 60-bit digest of ``KERNEL_SOURCES`` (read from ``directory``, default: beside this file)."""
    directory = directory or Path(__file__).parent
    digest = hashlib.sha256()
    for name in KERNEL_SOURCES:
        digest.update(name.encode() + b"\0" + (directory / name).read_bytes() + b"\0")
    return int(digest.hexdigest()[:15], 16)


def _requested() -> str:
    choice = os.environ.get(BACKEND_ENV, "auto").strip().lower() or "auto"
    if choice not in ("auto", "compiled", "numba"):
        raise MlmriskError(f"{BACKEND_ENV}={choice!r}: expected auto, compiled or numba")
    return choice


def compiled_module() -> tuple[SimpleNamespace | None, str]:
    """(the extension's kernels, "") when it is present and built from these sources, else (None, why not)."""
    try:
        module = import_module(EXTENSION)
    except ImportError as exc:
        return None, f"not built ({exc})"
    except Exception as exc:  # it unpickles its functions' environments on import: a broken build fails there
        return None, f"unusable ({type(exc).__name__}: {exc})"
    try:
        built_from = module.fingerprint()
        here = source_fingerprint()
    except (AttributeError, OSError) as exc:
        return None, f"unverifiable ({exc})"
    if built_from != here:
        return None, "built from other sources than these (rebuild with `pip install .`, or `pip install -e .`)"
    missing = [name for name in EXPORTS if not hasattr(module, name)]
    if missing:
        return None, f"missing {missing}"
    return SimpleNamespace(**{name: _checked(name, export, getattr(module, name))
                              for name, export in EXPORTS.items()}), ""


#: calls that went to numba because their arguments were not the declared types, per export (the parity tests
#: require none: a caller whose dtypes drifted would otherwise lose the compiled kernels without notice)
FALLBACKS: dict[str, int] = {}

_INTEGERS = (int, np.integer)
_FLOATS = (float, np.floating)


def _checked(name: str, export: Export, compiled):
    """The compiled kernel behind a check of its arguments. A compiled export reads its arguments as the declared
    types without checking them — an array of another dtype, rank or layout, an unaligned or read-only one where
    the kernel writes, or a float where an integer is declared would be misread or silently converted — so any
    such call goes to the numba kernel instead (which specialises, or refuses, as it always did)."""
    arrays = tuple((i, np.dtype(arg[0]), arg[1], len(arg) < 3) for i, arg in enumerate(export.args)
                   if not isinstance(arg, str))
    scalars = tuple((i, _INTEGERS if arg == "int64" else _FLOATS) for i, arg in enumerate(export.args)
                    if isinstance(arg, str))
    n_args = len(export.args)

    def kernel(*args):
        if (len(args) == n_args
                and all(type(args[i]) is np.ndarray and args[i].dtype == dtype and args[i].ndim == ndim
                        and args[i].flags.c_contiguous and args[i].flags.aligned
                        and (args[i].flags.writeable or not written) for i, dtype, ndim, written in arrays)
                and all(isinstance(args[i], kinds) and not isinstance(args[i], (bool, np.bool_))
                        for i, kinds in scalars)):
            return compiled(*args)
        FALLBACKS[name] = FALLBACKS.get(name, 0) + 1
        return getattr(import_module(f"mlmrisk.classifier.{export.module}"), name)(*args)

    kernel.__name__ = kernel.__qualname__ = name
    kernel.__doc__ = f"``{export.module}.{name}``, compiled ahead of time (numba for other argument types)."
    return kernel


@functools.cache
def _backend() -> tuple[str, SimpleNamespace | None, str]:
    """(implementation, the compiled kernels or None, why the compiled kernels are not used: "" when they are)."""
    choice = _requested()
    if choice == "numba":
        return "numba", None, f"not requested ({BACKEND_ENV}=numba)"
    kernels, why = compiled_module()
    if kernels is not None:
        return "compiled", kernels, ""
    if choice == "compiled":
        raise MlmriskError(f"{BACKEND_ENV}=compiled, but mlmrisk's compiled kernels are {why}")
    if not why.startswith("not built"):
        warnings.warn(f"mlmrisk's compiled kernels are {why}; numba compiles the kernels instead", RuntimeWarning,
                      stacklevel=3)
    return "numba", None, why


def backend() -> str:
    """``"compiled"`` or ``"numba"``: the implementation this process uses (decided once, on first use)."""
    return _backend()[0]


def describe() -> str:
    """One line for people (``mlmrisk --version``): which kernels run and, for numba, why."""
    name, _, why = _backend()
    return "compiled ahead of time" if name == "compiled" else f"numba at run time; the compiled kernels are {why}"


def feature_kernels():
    """The feature kernels: ``hash_grams``, ``passages``, ``feeds``, ``best_passage_logits``, ``latin_events``."""
    kernels = _backend()[1]
    return kernels if kernels is not None else import_module("mlmrisk.classifier.kernels")


def normalize_kernels():
    """The normaliser kernels: ``normalize_core``, ``apply_folds``, ``clean``."""
    kernels = _backend()[1]
    return kernels if kernels is not None else import_module("mlmrisk.classifier._normalize_kernels")
