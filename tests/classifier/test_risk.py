"""Risk bands: a table of probability/elements → level, each with its reason (docs/design_facts.md §4)."""

from __future__ import annotations

import numpy as np
import pytest

from mlmrisk.classifier.risk import RiskLevel, Thresholds, risk_index, risk_level

T = Thresholds(flag=0.6, watch=0.3)
CASES = [
    (0.1, {}, RiskLevel.NONE, "below the watch threshold"),
    (0.4, {"lart": 0.99, "fee": 0.99}, RiskLevel.LOW, "elements alone never flag a post the MLM head does not"),
    (0.7, {"fee": 0.6}, RiskLevel.MEDIUM, "flagged with one element"),
    (0.7, {}, RiskLevel.MEDIUM, "flagged with no element"),
    (0.7, {"fee": 0.95}, RiskLevel.HIGH, "one element at high confidence"),
    (0.7, {"lart": 0.6, "team": 0.6}, RiskLevel.HIGH, "two elements"),
    (0.95, {"lart": 0.6, "fee": 0.6, "team": 0.6}, RiskLevel.SEVERE, "three elements incl. team pay, confident"),
    (0.8, {"lart": 0.6, "fee": 0.6, "team": 0.6}, RiskLevel.HIGH, "severe needs p ≥ 0.9"),
    (0.95, {"lart": 0.6, "fee": 0.6, "ponzi": 0.6}, RiskLevel.SEVERE, "a money game counts as structure"),
]


@pytest.mark.parametrize("p,elements,level,why", CASES, ids=[c[3] for c in CASES])
def test_levels(p, elements, level, why):
    assert risk_level(p, elements, T) == level, why


def test_index_and_validation():
    assert list(risk_index([0.0, 0.494, 0.5, 1.0])) == [0, 49, 50, 100]
    # texts too short to be flagged: at most the watch line (ceil(100 · watch)); longer ones as they are
    t = Thresholds(flag=0.6, watch=0.305)
    assert list(risk_index([0.99, 0.99, 0.2, 0.99], [2, 5, 3, 6], t)) == [31, 31, 20, 99]
    assert list(risk_index([0.99], [2], Thresholds(flag=0.5, watch=0.07))) == [7]  # 0.07 · 100 is 7.000000000000001
    with pytest.raises(ValueError):
        Thresholds(flag=0.2, watch=0.5)
    with pytest.raises(ValueError):
        Thresholds(flag=1.5)


MIN_EVIDENCE_CASES = [
    # probability, content characters, expected level, why
    (0.95, 2, "low", "团队 alone: two characters cannot describe a scheme, whatever the score"),
    (0.95, 5, "low", "分红到账了: still below the minimum evidence"),
    (0.95, 6, "medium", "six content characters may be flagged"),
    (0.10, 2, "none", "below watch stays none"),
]


@pytest.mark.parametrize("p,chars,expected,why", MIN_EVIDENCE_CASES, ids=[c[3] for c in MIN_EVIDENCE_CASES])
def test_minimum_evidence_rule(p, chars, expected, why):
    from mlmrisk.classifier.risk import LEVELS, Thresholds, flagged_mask, risk_levels

    thresholds = Thresholds(flag=0.5, watch=0.25)
    level = LEVELS[int(risk_levels(np.array([p]), np.zeros((1, 4)), thresholds, np.array([chars]))[0])].value
    assert level == expected, why
    assert bool(flagged_mask(np.array([p]), thresholds, np.array([chars]))[0]) == (expected == "medium"), why


def test_digits_are_not_evidence(tables):
    """A number is not a word: 分红到账了8 (a comment padded to six characters by a digit, in any digit style)
    counts five; ``content_chars`` (the Latin-share denominator) still counts the 0 a number folds to. A Chinese
    numeral in a number context folds to 0 too (三级 → 0级) and stops counting; one standing alone (八) stays."""
    from mlmrisk.classifier.normalize import normalize_batch

    batch = normalize_batch(["分红到账了8", "分红到账了８８", "分红到账了⑧", "分红到账了八", "交100元奖10", "  ", "发展三级下线"], tables)
    assert batch.evidence_chars().tolist() == [5, 5, 5, 6, 3, 0, 5]
    assert batch.content_chars().tolist() == [6, 6, 6, 6, 5, 0, 6]  # a run of digits folds to one 0

