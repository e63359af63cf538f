"""Exceptions raised by mlmrisk. Only ``serving/cli.py`` turns them into exit codes."""

from __future__ import annotations


class MlmriskError(Exception):
    """Base class: every message says what was seen, what was expected and what to do next."""


class ModelLoadError(MlmriskError):
    """A model directory is missing, incomplete, tampered with or of an unsupported version."""


class InputFormatError(MlmriskError):
    """An input file or option cannot be read as asked (unknown format, missing field, unreadable file)."""


class ListFormatError(MlmriskError):
    """An allow/deny list file cannot be parsed."""


class DataNotFoundError(MlmriskError):
    """Training or evaluation data is not where it was expected."""
