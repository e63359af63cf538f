"""Plain metric helpers and the keyword-filter baselines the model is always compared with."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlmrisk.resources import data_path

DATA_DIR = data_path()
KEYWORD_LISTS = {"keywords_strict": DATA_DIR / "keywords_strict.txt", "keywords_broad": DATA_DIR / "keywords_broad.txt"}


def binary_metrics(y_true: Sequence[int], flagged: Sequence[bool]) -> dict:
    """Counts, precision, recall, F1 and false-positive rate of a 0/1 decision."""
    y = np.asarray(y_true, dtype=bool)
    f = np.asarray(flagged, dtype=bool)
    tp = int((y & f).sum())
    fp = int((~y & f).sum())
    fn = int((y & ~f).sum())
    tn = int((~y & ~f).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    fpr = fp / (fp + tn) if fp + tn else 0.0
    return {"n": int(y.size), "positives": int(y.sum()), "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "fpr": round(fpr, 5)}


def average_precision(y_true: Sequence[int], scores: Sequence[float]) -> float:
    y = np.asarray(y_true, dtype=bool)
    if not y.any():
        return 0.0
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    hits = y[order]
    precision_at = np.cumsum(hits) / np.arange(1, hits.size + 1)
    return float(precision_at[hits].mean())


def micro_f1(true_sets: Sequence[Sequence[str]], predicted_sets: Sequence[Sequence[str]]) -> dict:
    """Micro-averaged precision/recall/F1 of element sets."""
    tp = fp = fn = 0
    for truth, predicted in zip(true_sets, predicted_sets):
        truth, predicted = set(truth), set(predicted)
        tp += len(truth & predicted)
        fp += len(predicted - truth)
        fn += len(truth - predicted)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": round(precision, 4), "recall": round(recall, 4),
            "f1": round(f1, 4)}


def read_keywords(path: Path) -> list[str]:
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words.append(line)
    return words


@dataclass
class KeywordFilter:
    """What platforms run today: an Aho–Corasick automaton over raw text, flagging any hit."""

    name: str
    words: list[str]

    def __post_init__(self) -> None:
        import ahocorasick

        self._automaton = ahocorasick.Automaton()
        for word in self.words:
            self._automaton.add_word(word, word)
        self._automaton.make_automaton()

    @classmethod
    def from_file(cls, name: str, path: Path | None = None) -> "KeywordFilter":
        return cls(name, read_keywords(path or KEYWORD_LISTS[name]))

    def hits(self, text: str) -> list[str]:
        return [word for _, word in self._automaton.iter(text)]

    def flag(self, texts: Sequence[str]) -> np.ndarray:
        automaton = self._automaton
        return np.fromiter((next(automaton.iter(t), None) is not None for t in texts), dtype=bool, count=len(texts))


@functools.lru_cache(maxsize=1)
def keyword_baselines() -> tuple[KeywordFilter, ...]:
    """Both baselines, built once per process (a report applies them to every section)."""
    return tuple(KeywordFilter.from_file(name) for name in KEYWORD_LISTS)


def recall_at_precision(y_true: Sequence[int], scores: Sequence[float], min_precision: float) -> float:
    """The highest recall of any threshold whose precision is at least ``min_precision`` (0.0 if none): a point on
    the precision-recall curve, i.e. what the best threshold FOR THIS SET would give. A deployed flag is one
    global threshold, so reports show this beside the figures at the shipped flag, never instead of them."""
    y = np.asarray(y_true, dtype=bool)
    if not y.any():
        return 0.0
    s = np.asarray(scores, dtype=np.float64)
    order = np.argsort(-s, kind="stable")
    s = s[order]
    hits = np.cumsum(y[order])
    k = np.arange(1, y.size + 1)
    last_of_tie = np.r_[s[1:] != s[:-1], True]  # a threshold takes every post of a tied score
    ok = last_of_tie & (hits / k >= min_precision)
    return float(hits[ok].max() / y.sum()) if ok.any() else 0.0
