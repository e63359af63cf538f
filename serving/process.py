"""Set-up of a process that exists only to score (the CLI's scoring commands and their bulk workers).

Start-up is part of every file job (~1.3 s per process, ``docs/architecture.md``, "Where the per-core bar
stands"), and one piece of it is numba's, not ours: the first time numba loads any kernel it installs its
NumPy support, whose ``numba.np.arraymath`` probes for SciPy's BLAS (``import scipy.linalg``) so that ``np.dot``
works in jitted code. Where SciPy is installed (any environment with scikit-learn) that import costs ~0.2 s; where
it is not (the base install) it costs nothing. mlmrisk's kernels use no linear algebra.
"""

from __future__ import annotations

import importlib.util
import sys

_PROBED = "scipy.linalg"


def skip_numba_blas_probe() -> bool:
    """Load numba's CPU target with its BLAS probe failing fast; True when that saved the probe's import.

    ``scipy.linalg`` is made unimportable only while numba's target registries load (a ``None`` entry in
    ``sys.modules``), then made importable again: later ``import scipy.linalg`` works as usual, and only numba's
    own linear algebra (``np.dot`` and ``np.linalg`` inside jitted code) stays unavailable in this process. So
    this is for processes the CLI owns, never done on ``import mlmrisk``: a program that uses mlmrisk as a
    library may jit linear algebra of its own. A no-op when numba has already loaded its target, when
    ``scipy.linalg`` is already imported (nothing left to save), or when SciPy is not installed.
    """
    if "numba.np.arraymath" in sys.modules or _PROBED in sys.modules:
        return False
    if importlib.util.find_spec("scipy") is None:
        return False
    from numba.core.registry import cpu_target

    sys.modules[_PROBED] = None  # type: ignore[assignment]  # import now raises ModuleNotFoundError
    try:
        cpu_target.target_context.refresh()
    finally:
        if _PROBED in sys.modules and sys.modules[_PROBED] is None:
            del sys.modules[_PROBED]
    return True
