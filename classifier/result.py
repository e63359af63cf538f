"""What a score is: the result of one post, with evidence that points into the ORIGINAL text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlmrisk.classifier.risk import RiskLevel


@dataclass(frozen=True)
class Evidence:
    """A span of the original text that drove a score.

    ``start``/``end`` are Python string indices (code points) into the text as it was given, so
    ``text[start:end]`` is what a reviewer highlights. ``source`` names what found it: ``model`` (the MLM head),
    ``model:<element>`` (an element head) or ``deny_list:<entry>``.
    """

    start: int
    end: int
    text: str
    weight: float
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text, "weight": round(self.weight, 4),
                "source": self.source}


@dataclass(frozen=True)
class ElementResult:
    """One legal element (see ``classifier.labels.Element``): calibrated probability and supporting spans."""

    probability: float
    present: bool
    evidence: tuple[Evidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"probability": round(self.probability, 6), "present": self.present,
                "evidence": [e.to_dict() for e in self.evidence]}


@dataclass(frozen=True)
class InputError:
    """Why a record could not be scored. ``code`` is stable; ``message`` is for people."""

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class RiskResult:
    """The result for one input. On bad input ``error`` is set and the scores are None/empty."""

    probability: float | None
    risk: int | None
    level: RiskLevel | None
    flagged: bool
    elements: dict[str, ElementResult] = field(default_factory=dict)
    evidence: tuple[Evidence, ...] = ()
    normalization: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()
    error: InputError | None = None

    @classmethod
    def failed(cls, error: InputError) -> "RiskResult":
        return cls(probability=None, risk=None, level=None, flagged=False, error=error)

    def to_dict(self) -> dict[str, Any]:
        if self.error is not None:
            return {"error": self.error.to_dict()}
        return {
            "probability": round(float(self.probability), 6),
            "risk": self.risk,
            "level": self.level.value,
            "flagged": self.flagged,
            "elements": {name: element.to_dict() for name, element in self.elements.items()},
            "evidence": [e.to_dict() for e in self.evidence],
            "normalization": list(self.normalization),
            "lists": list(self.lists),
        }
