"""Checks of how the score generalises beyond the rows it was fitted on: short texts, pitches hidden in long
text, held-out styles of the written corpus, and the real-only baseline every report carries.

Each check takes a ``predict`` function (texts → calibrated probabilities [N, heads], exactly as serving
computes them) so it runs the same on a model being trained and on a shipped one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from mlmrisk.classifier.normalize import NormalizerTables, normalize_batch
from mlmrisk.classifier.risk import LEVELS, Thresholds, flagged_mask, risk_levels
from mlmrisk.resources import data_path
from mlmrisk.training.metrics import average_precision, binary_metrics
from mlmrisk.training.heads import DEFAULT_SOLVER_TOL, SOLVER_MAX_ITER

Predict = Callable[[Sequence[str]], np.ndarray]
EMBED_SIZES = (100, 300)


def load_short_comments() -> list[str]:
    """The project's list of common short comments and words (``data/short_comments.txt``)."""
    lines = data_path("short_comments.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def fragments(texts: Sequence[str], n: int, seed: int, min_len: int = 1, max_len: int = 6) -> list[str]:
    """``n`` random substrings of 1–6 characters of ordinary posts (what comment sections are full of)."""
    rng = np.random.default_rng(seed)
    pool = [t for t in texts if len(t) >= max_len]
    out = []
    for _ in range(n):
        text = pool[int(rng.integers(len(pool)))]
        size = int(rng.integers(min_len, max_len + 1))
        start = int(rng.integers(0, len(text) - size + 1))
        out.append(text[start : start + size])
    return out


def _levels(p: np.ndarray, thresholds: Thresholds, content_chars: np.ndarray | None = None) -> list[str]:
    ranks = risk_levels(p[:, 0], p[:, 1:], thresholds, content_chars)
    return [LEVELS[int(r)].value for r in ranks]


def short_text_section(predict: Predict, thresholds: Thresholds, benign_texts: Sequence[str], seed: int,
                       tables: NormalizerTables) -> dict:
    """Flag rates of the short-comment list and of random 1–6-character fragments of benign posts, as serving
    flags them (with the minimum-evidence rule, ``classifier.risk``), and how many scored above the flag
    threshold before the rule (``scored_above_flag``: what the model alone does)."""
    comments = load_short_comments()
    p = predict(comments)
    chars = normalize_batch(comments, tables).evidence_chars()
    levels = _levels(p, thresholds, chars)
    above = p[:, 0] >= thresholds.flag
    flagged = flagged_mask(p[:, 0], thresholds, chars)
    frag = fragments(benign_texts, 5000, seed)
    frag_p = predict(frag)[:, 0]
    frag_flagged = flagged_mask(frag_p, thresholds, normalize_batch(frag, tables).evidence_chars())
    return {
        "comments": {"n": len(comments), "flagged": int(flagged.sum()),
                     "high_or_severe": int(sum(level in ("high", "severe") for level in levels)),
                     "flagged_texts": [c for c, f in zip(comments, flagged) if f],
                     "scored_above_flag": int(above.sum()),
                     "scored_above_flag_texts": [c for c, f in zip(comments, above) if f]},
        "fragments_1_6": {"n": len(frag), "flagged_rate": round(float(frag_flagged.mean()), 5),
                          "scored_above_flag_rate": round(float((frag_p >= thresholds.flag).mean()), 5)},
    }


def embedded_section(predict: Predict, thresholds: Thresholds, pitches: Sequence[str], filler: Sequence[str],
                     seed: int) -> dict:
    """Of the pitches flagged on their own, the share still flagged inside ~100 / ~300 characters of ordinary text
    (half before, half after; the filler is benign held-out text)."""
    rng = np.random.default_rng(seed)
    alone = predict(list(pitches))[:, 0] >= thresholds.flag
    kept = [t for t, f in zip(pitches, alone) if f]
    section: dict = {"pitches": len(pitches), "flagged_alone": len(kept)}
    if not kept:
        return section
    pool = [t for t in filler if len(t) >= 10]
    for size in EMBED_SIZES:
        padded = []
        for text in kept:
            chunks, total = [], 0
            while total < size:
                piece = pool[int(rng.integers(len(pool)))]
                chunks.append(piece)
                total += len(piece) + 1
            joined = "。".join(chunks)[:size]
            half = len(joined) // 2
            padded.append(joined[:half] + "。" + text + "。" + joined[half:])
        still = predict(padded)[:, 0] >= thresholds.flag
        section[f"padded_{size}"] = {"flagged": int(still.sum()), "rate": round(float(still.mean()), 4)}
    return section


def level_distribution(p: np.ndarray, thresholds: Thresholds) -> dict:
    """How flagged posts spread over medium / high / severe."""
    flagged = p[:, 0] >= thresholds.flag
    levels = _levels(p[flagged], thresholds) if flagged.any() else []
    return {"flagged": int(flagged.sum()), **{name: levels.count(name) for name in ("medium", "high", "severe")}}


def real_only_baseline(texts: Sequence[str], y: np.ndarray, folds: np.ndarray, train_mask: np.ndarray,
                       task_mask: np.ndarray, eval_sets: dict[str, tuple[Sequence[str], np.ndarray]],
                       tol: float = DEFAULT_SOLVER_TOL) -> dict:
    """A plain char 1–3 TF-IDF + logistic regression trained on the REAL labelled and benign data alone.

    ``tol``: the solver's tolerance, the run's ``solver_tol``, so the baseline is fitted as far as the model is.

    ``train_mask`` selects its training rows (real only: no synthetic, no written posts); out-of-fold scores on
    ``task_mask`` rows (the ChineseHarm task) use the same folds as the model; ``eval_sets`` are scored by the
    model fitted on all its rows. Every report carries it: a shipped data mix must not rank real text worse.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts = np.asarray(texts, dtype=object)

    def fit(rows: np.ndarray):
        vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True)
        X = vectorizer.fit_transform(texts[rows])
        model = LogisticRegression(C=16.0, max_iter=SOLVER_MAX_ITER, class_weight="balanced", tol=tol).fit(X, y[rows])
        return lambda t: model.predict_proba(vectorizer.transform(list(t)))[:, 1]

    oof = np.full(len(texts), np.nan)
    for k in np.unique(folds[task_mask]):
        scorer = fit(np.flatnonzero(train_mask & (folds != k)))
        rows = np.flatnonzero(task_mask & (folds == k))
        oof[rows] = scorer(texts[rows])
    task = np.flatnonzero(task_mask)
    out = {"chineseharm_cv": {"average_precision": round(average_precision(y[task], oof[task]), 4)}}
    final = fit(np.flatnonzero(train_mask))
    scores = {}
    for name, (eval_texts, eval_y) in eval_sets.items():
        p = final(eval_texts)
        scores[name] = p
        entry = {"n": int(len(eval_y))}
        if eval_y.min() != eval_y.max():
            entry["average_precision"] = round(average_precision(eval_y, p), 4)
        entry["at_0.5"] = binary_metrics(eval_y, p >= 0.5)
        out[name] = entry
    out["_oof"] = oof
    out["_scores"] = scores
    return out
