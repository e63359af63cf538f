"""What a score is: the result of one post, with evidence that points into the ORIGINAL text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlmrisk.classifier.risk import RiskLevel
from mlmrisk.classifier.schema import element_entry, make_error_record, make_record, span_dict


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
        return span_dict(self.start, self.end, self.text, self.weight, self.source)


@dataclass(frozen=True)
class ElementResult:
    """One legal element (see ``classifier.labels.Element``): calibrated probability and supporting spans."""

    probability: float
    present: bool
    evidence: tuple[Evidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return element_entry(self.probability, self.present, [e.to_dict() for e in self.evidence])


@dataclass(frozen=True)
class InputError:
    """Why a record could not be scored. ``code`` is stable; ``message`` is for people."""

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class RiskResult:
    """The result for one input (fields and their meaning: ``classifier.schema``).

    ``elements`` is empty unless the model flags the post (a deny-list hit alone flags a post without elements:
    the element heads read a promotion's Art. 7 elements); on bad input ``error`` is set and the scores are
    None/empty. ``model`` names the model that scored it.
    """

    probability: float | None
    risk: int | None
    level: RiskLevel | None
    flagged: bool
    elements: dict[str, ElementResult] = field(default_factory=dict)
    evidence: tuple[Evidence, ...] = ()
    normalization: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()
    error: InputError | None = None
    model: str = ""

    @classmethod
    def failed(cls, error: InputError, model: str = "") -> "RiskResult":
        return cls(probability=None, risk=None, level=None, flagged=False, error=error, model=model)

    def to_dict(self) -> dict[str, Any]:
        """The schema record (``classifier.schema``); the same dict bulk jobs write for this post."""
        if self.error is not None:
            return make_error_record(model=self.model, code=self.error.code, message=self.error.message)
        return make_record(
            model=self.model, probability=float(self.probability), risk=self.risk, level=self.level.value,
            flagged=self.flagged,
            elements={name: element.to_dict() for name, element in self.elements.items()} if self.elements else None,
            evidence=[e.to_dict() for e in self.evidence], normalization=self.normalization, lists=self.lists,
        )
