"""The monitoring risk index and its bands, mapped to the regulators' disposal tiers (docs/design_facts.md §4).

risk index = round(100 · p), p the calibrated probability that a post promotes a pyramid scheme; a text too
short to be flagged (minimum evidence, below) is capped at the watch line, ceil(100 · watch).

| level    | rule (p = MLM probability; an element is present when its probability ≥ ``element``)        | action / SAMR tier |
|----------|---------------------------------------------------------------------------------------------|--------------------|
| none     | p < ``watch``                                                                               | —                  |
| low      | ``watch`` ≤ p < ``flag``: money-making hype, contact hints, no Art. 7 element proven          | log, watch         |
| medium   | flagged (p ≥ ``flag``) with at most one element, none at high confidence                     | human review; 提醒 / 约谈 / 告诫 |
| high     | flagged with ≥ 2 elements, or one element with probability ≥ ``element_confident``           | remove, keep evidence; 行政查处 |
| severe   | flagged, p ≥ ``severe``, ≥ 3 elements including team pay (团队计酬) or a money game (资金盘)   | freeze, evidence package; 移送公安 after 线下实证 |

Minimum evidence: a text with fewer than ``MIN_CONTENT_CHARS`` content characters (after normalisation; spaces,
punctuation and digits do not count: ``NormalizedBatch.evidence_chars``) is never flagged, stays at most ``low``
and its risk index at most the watch line. Comment sections are full of one- and two-word replies (团队, 团队加油,
分红到账了, 拉我进群; 分红到账了8 with a digit) that share
vocabulary with promotion but cannot describe a scheme; the length prior of the features damps them, and this rule
makes the guarantee exact. A deny-list hit still flags.

A single post rarely proves "severe" in law (≥ 30 participants, ≥ 3 levels need offline evidence); the band says
the post *describes* such a scheme. A deny-list hit raises the level to at least the list's level.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum

import numpy as np

from mlmrisk.classifier.labels import ELEMENTS


class RiskLevel(str, Enum):
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    SEVERE = "severe"

    @property
    def rank(self) -> int:
        return LEVELS.index(self)


LEVELS: tuple[RiskLevel, ...] = tuple(RiskLevel)


@dataclass(frozen=True)
class Thresholds:
    """Probability cut-offs; ``flag`` is chosen on cross-validated data at training time and kept in the manifest."""

    flag: float = 0.5
    watch: float = 0.2
    element: float = 0.5
    element_confident: float = 0.9
    severe: float = 0.9

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"threshold {name}={value!r} must lie in [0, 1]")
        if self.watch > self.flag:
            raise ValueError(f"watch threshold {self.watch} must not exceed the flag threshold {self.flag}")

    def to_dict(self) -> dict:
        return asdict(self)


#: Fewest content characters a post needs to be flagged (see the module docstring).
MIN_CONTENT_CHARS = 6


def flagged_mask(probability: np.ndarray, thresholds: Thresholds, content_chars: np.ndarray | None = None) -> np.ndarray:
    """Posts at or above the flag threshold that show enough text to be flagged (the minimum evidence rule)."""
    flagged = np.asarray(probability, dtype=np.float64) >= thresholds.flag
    if content_chars is not None:
        flagged &= np.asarray(content_chars) >= MIN_CONTENT_CHARS
    return flagged


def logit(probability: np.ndarray | float) -> np.ndarray:
    """float64: the log-odds of probabilities, clipped to [1e-6, 1 − 1e-6] first (0 and 1 have none). Used where
    a threshold or a score is compared on the logit scale (the discussion guard's ramp, the review queue's spread)."""
    p = np.clip(np.asarray(probability, dtype=np.float64), 1e-6, 1.0 - 1e-6)
    return np.log(p / (1.0 - p))


def risk_index(probability: np.ndarray, content_chars: np.ndarray | None = None,
               thresholds: Thresholds | None = None) -> np.ndarray:
    """The 0–100 index of calibrated probabilities: ``round(100 · p)``.

    With ``content_chars`` and ``thresholds``, the minimum evidence rule holds for the index too: a text too short
    to be flagged (fewer than ``MIN_CONTENT_CHARS`` content characters) gets at most ``ceil(100 · watch)``, the
    watch line. Its level is at most ``low`` anyway, but an index of 99 on 团队业绩 put one-word comments at the top
    of every list sorted by risk. ``probability`` itself stays the model's (the parity between training and
    serving is on probabilities).
    """
    risk = np.rint(np.asarray(probability, dtype=np.float64) * 100.0).astype(np.int64)
    if content_chars is not None and thresholds is not None:
        cap = int(np.ceil(round(thresholds.watch * 100.0, 6)))  # 0.07 * 100 is 7.000000000000001
        risk = np.where(np.asarray(content_chars) < MIN_CONTENT_CHARS, np.minimum(risk, cap), risk)
    return risk


def risk_levels(probability: np.ndarray, element_probability: np.ndarray, thresholds: Thresholds,
                content_chars: np.ndarray | None = None) -> np.ndarray:
    """Level rank (index into ``LEVELS``) of every post; ``element_probability`` is [N, 4] in ``ELEMENTS`` order.

    ``content_chars``: content characters per post, for the minimum evidence rule (None: not applied).
    """
    p = np.asarray(probability, dtype=np.float64)
    elements = np.asarray(element_probability, dtype=np.float64).reshape(p.size, len(ELEMENTS))
    present = elements >= thresholds.element
    n_present = present.sum(axis=1)
    confident = (elements >= thresholds.element_confident).any(axis=1)
    structural = present[:, ELEMENTS.index("team")] | present[:, ELEMENTS.index("ponzi")]
    flagged = flagged_mask(p, thresholds, content_chars)
    level = np.where(p >= thresholds.watch, LEVELS.index(RiskLevel.LOW), LEVELS.index(RiskLevel.NONE))
    level = np.where(flagged, LEVELS.index(RiskLevel.MEDIUM), level)
    level = np.where(flagged & ((n_present >= 2) | confident), LEVELS.index(RiskLevel.HIGH), level)
    severe = flagged & (p >= thresholds.severe) & (n_present >= 3) & structural
    return np.where(severe, LEVELS.index(RiskLevel.SEVERE), level).astype(np.int64)


def risk_level(probability: float, element_probability: dict[str, float], thresholds: Thresholds) -> RiskLevel:
    """Level of one post (element probabilities by name)."""
    row = np.array([[element_probability.get(e, 0.0) for e in ELEMENTS]])
    return LEVELS[int(risk_levels(np.array([probability]), row, thresholds)[0])]
