"""The package version (one place: pyproject.toml reads it from here)."""

__version__ = "2.0.0"
