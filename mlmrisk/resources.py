"""Where the package's own files are, whether installed from a wheel or editable from the checkout.

Files are found through the import system (``importlib.resources``), never through ``__file__`` arithmetic, so a
non-editable install in any venv finds the shipped model and data inside site-packages.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path


def package_path(package: str, *parts: str) -> Path:
    """A real filesystem path under an installed package (models and data ship as plain files, not zipped)."""
    return Path(str(files(package).joinpath(*parts)))


def default_model_dir() -> Path:
    """``$MLMRISK_MODEL`` if set, else the default model shipped inside the package."""
    override = os.environ.get("MLMRISK_MODEL")
    if override:
        return Path(override)
    return package_path("mlmrisk.models", "default")


def data_path(*parts: str) -> Path:
    """A file of the project's own data (``data/`` in the checkout, ``mlmrisk/data`` when installed)."""
    return package_path("mlmrisk.data", *parts)
