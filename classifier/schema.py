"""The result schema: every output of mlmrisk (Python objects, JSONL, CSV, Parquet, HTTP) is derived from here.

One record per input, keys in this order:

| field | type | meaning |
|---|---|---|
| ``model`` | string | id of the model that scored it (``<model_version>+<12 hex>``, ``manifest.model_id``) |
| ``probability`` | float64 | calibrated probability of pyramid-scheme promotion (null on error) |
| ``risk`` | int | ``round(100 · probability)``, the 0–100 monitoring index (null on error); at most ``ceil(100 · watch)`` for a text too short to be flagged (``classifier.risk``) |
| ``level`` | string | ``none`` ``low`` ``medium`` ``high`` ``severe`` (null on error) |
| ``flagged`` | bool | probability ≥ the flag threshold, or a deny-list hit |
| ``elements`` | struct or null | only for posts the model flags (not for a deny-list hit alone): per legal element (``lart`` ``fee`` ``team`` ``ponzi``) its ``probability``, ``present`` and ``evidence`` |
| ``evidence`` | list of spans | posts at or above the watch threshold: spans of the ORIGINAL text that drove the score |
| ``normalization`` | list of strings | evasion rules that changed the text |
| ``lists`` | list of strings | allow/deny-list entries that applied |
| ``error`` | struct or null | ``{code, message}`` instead of scores for a record that could not be scored |

A span is ``{start, end, text, weight, source}`` with ``text == original[start:end]`` (code-point offsets).
Writers add ``id`` first and, for bulk jobs, ``line`` (the input line) and any ``--keep-fields`` last.

Adding a field is one edit here: :func:`make_record`, :data:`FIELDS` (types, for Arrow/Parquet and CSV) and
the version below. ``SCHEMA_VERSION`` goes into Parquet metadata and run summaries beside the model id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mlmrisk.classifier.labels import ELEMENTS

SCHEMA_VERSION = "2"

#: Field → type in a small type language that writers turn into Arrow types:
#: scalars ``string`` ``float64`` ``float32`` ``int64`` ``int32`` ``bool``; ``list<T>``; ``struct{name: T, …}``;
#: ``span`` (the evidence span struct).
SPAN_TYPE = "struct{start: int32, end: int32, text: string, weight: float32, source: string}"
ELEMENT_TYPE = "struct{probability: float64, present: bool, evidence: list<span>}"
FIELDS: tuple[tuple[str, str], ...] = (
    ("model", "string"),
    ("probability", "float64"),
    ("risk", "int32"),
    ("level", "string"),
    ("flagged", "bool"),
    ("elements", "struct{" + ", ".join(f"{e}: element" for e in ELEMENTS) + "}"),
    ("evidence", "list<span>"),
    ("normalization", "list<string>"),
    ("lists", "list<string>"),
    ("error", "struct{code: string, message: string}"),
)
FIELD_NAMES: tuple[str, ...] = tuple(name for name, _ in FIELDS)
#: Named types used inside FIELDS.
NAMED_TYPES = {"span": SPAN_TYPE, "element": ELEMENT_TYPE}
#: Decimal places kept in JSON (probabilities and span weights are rounded for readability, not precision).
PROBABILITY_DIGITS = 6
WEIGHT_DIGITS = 4


def span_dict(start: int, end: int, text: str, weight: float, source: str) -> dict[str, Any]:
    return {"start": start, "end": end, "text": text, "weight": round(weight, WEIGHT_DIGITS), "source": source}


def make_record(*, model: str, probability: float, risk: int, level: str, flagged: bool,
                elements: Mapping[str, Mapping[str, Any]] | None, evidence: Sequence[Mapping[str, Any]],
                normalization: Sequence[str], lists: Sequence[str]) -> dict[str, Any]:
    """The record of a scored post (see the module docstring); ``elements`` is None unless the model flags it."""
    return {"model": model, "probability": round(probability, PROBABILITY_DIGITS), "risk": risk, "level": level,
            "flagged": flagged, "elements": elements, "evidence": list(evidence),
            "normalization": list(normalization), "lists": list(lists), "error": None}


def plain_record(model: str) -> dict[str, Any]:
    """The record of an unflagged post with no evidence, list entry or rule — most posts of any archive — with
    placeholder scores: bulk jobs copy it and set ``probability``/``risk``/``level`` (and fresh lists) instead of
    calling :func:`make_record` per post, at a third of the cost. Derived from :func:`make_record`, so adding a
    field stays one edit."""
    return make_record(model=model, probability=0.0, risk=0, level="none", flagged=False, elements=None,
                       evidence=(), normalization=(), lists=())


def round_probabilities(probability: Any) -> list[float]:
    """``round(p, PROBABILITY_DIGITS)`` of every value of a float64 array, exactly as Python's ``round`` gives it,
    at numpy speed (bulk jobs round millions).

    numpy's ``rint(p·10⁶)/10⁶`` picks the same multiple of 10⁻⁶ except where ``p·10⁶`` lands on (within rounding
    error of) a half, since Python rounds the exact decimal value; those few, and values too large for the product
    to be exact (beyond ~4.5·10⁹) or not finite, are rounded by Python. Dividing the integer by 10⁶ gives the
    double nearest that decimal, as ``round`` does."""
    import numpy as np

    p = np.asarray(probability, dtype=np.float64)
    with np.errstate(all="ignore"):
        scaled = p * 10.0**PROBABILITY_DIGITS
        out = np.rint(scaled) / 10.0**PROBABILITY_DIGITS
        near_half = np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) < 1e-6
    near_half |= ~np.isfinite(scaled) | (np.abs(scaled) >= 2.0**52)  # beyond 2⁵² the product is no longer exact
    values = out.tolist()
    for i in np.flatnonzero(near_half).tolist():
        values[i] = round(float(p[i]), PROBABILITY_DIGITS)
    return values


def make_error_record(*, model: str, code: str, message: str) -> dict[str, Any]:
    """The record of an input that could not be scored: every score field null, ``error`` set."""
    return {"model": model, "probability": None, "risk": None, "level": None, "flagged": False, "elements": None,
            "evidence": [], "normalization": [], "lists": [], "error": {"code": code, "message": message}}


def element_entry(probability: float, present: bool, evidence: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {"probability": round(probability, PROBABILITY_DIGITS), "present": present, "evidence": list(evidence)}


def parse_type(spec: str) -> Any:
    """The type language as nested tuples: ``("string",)``, ``("list", T)``, ``("struct", ((name, T), …))``."""
    spec = spec.strip()
    if spec in NAMED_TYPES:
        return parse_type(NAMED_TYPES[spec])
    if spec.startswith("list<") and spec.endswith(">"):
        return ("list", parse_type(spec[5:-1]))
    if spec.startswith("struct{") and spec.endswith("}"):
        body, fields, depth, current = spec[7:-1], [], 0, ""
        for char in body + ",":
            if char == "," and depth == 0:
                name, _, inner = current.partition(":")
                fields.append((name.strip(), parse_type(inner)))
                current = ""
                continue
            depth += char in "<{"
            depth -= char in ">}"
            current += char
        return ("struct", tuple(fields))
    return (spec,)
