"""Rewritten copies of written posts as training rows (``TrainConfig.train_rewrites``).

Why: a few evasion families change every n-gram a model has learnt, not a few. A post written wholly in Latin
pinyin (``training.perturb.pinyin_post``) keeps only the phonetic channel's syllable n-grams, and a model that never
saw such a post weighs those syllables as a minor echo of the characters: a converged fit without copies kept 23
of 33 whole-pinyin pitches of the independent review set, one with them 28 (docs/training.md, "The converged
fit"). Teaching the rewrite by example is the direct fix, on condition that it stays honest:

- sources are the written corpus's training posts of BOTH labels, so a Latin post is not evidence of a scheme
  by itself (each promotion of the written corpus has a matched hard negative in its cell);
- every copy keeps its source's group, fold and style, so cross-validation and each held-out era or channel
  leave it out with its source (role ``rewrite``: ``training.fit.leave_one_style_out`` treats it as written);
- copies are never the rows a figure is measured on: real-data figures read real corpora, the written-corpus
  figures role ``written``, and the evasion suite, the challenge set and the review set are other texts. They do
  train, so through the fits they move what every fit moves: idf, the calibration (out-of-fold), the guard's
  ``tau`` and the flag threshold. The evasion suite and the report's evasive-rewrite section write their
  rewrites with the same functions (on other posts), so a trained kind there is measured in its own distribution;
  the independent review set (``data/review_holdout``), written by other code, is the check that it generalises.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from mlmrisk.classifier.normalize import NormalizerTables, normalize_batch

#: role of the rewritten copies: rows of the five heads and of the guard, weighed like written posts, never a
#: row a report figure is measured on
REWRITE = "rewrite"


def add_training_rewrites(corpus, kinds: Sequence[str], share: float, seed: int,
                          tables: NormalizerTables) -> dict[str, int]:
    """Append to ``corpus`` one rewrite of a ``share`` of its written training posts (both labels), the kind drawn
    from ``kinds`` (``training.perturb.PERTURBATIONS``); deterministic in ``seed``. Returns copies per kind.

    A rewrite that normalises (``tables``) to its source's text or to an earlier copy's is not added: the normaliser
    undoes it (traditional characters, full-width forms, separators…), so it would only double a post's weight.
    """
    from mlmrisk.training.perturb import PERTURBATIONS, perturb

    kinds = list(kinds)
    unknown = [k for k in kinds if k not in PERTURBATIONS]
    if unknown:
        raise ValueError(f"unknown rewrite kind(s) {', '.join(unknown)} (expected from {', '.join(PERTURBATIONS)})")
    added: dict[str, int] = {}
    if share <= 0 or not kinds:
        return added
    rng = random.Random(seed)
    sources = [i for i in range(len(corpus)) if corpus.role[i] == "written" and corpus.split[i] == "train"]
    drawn = []
    for i in sources:
        if rng.random() >= share:
            continue
        kind = kinds[int(rng.random() * len(kinds))]
        drawn.append((i, kind, perturb(corpus.text[i], kind, rng.randrange(2**31))))
    if not drawn:
        return added
    seen: set[str] = set()
    for start in range(0, len(drawn), 4096):
        part = drawn[start : start + 4096]
        batch = normalize_batch([corpus.text[i] for i, _, _ in part] + [text for _, _, text in part], tables)
        for j, (i, kind, text) in enumerate(part):
            normalised = batch.text(len(part) + j)
            if normalised == batch.text(j) or normalised in seen:
                continue
            seen.add(normalised)
            _append_copy(corpus, i, kind, text)
            added[kind] = added.get(kind, 0) + 1
    return added


def _append_copy(corpus, i: int, kind: str, text: str) -> None:
    corpus.append(text=text, label=corpus.label[i], elements=corpus.elements[i], corpus=f"rewrite:{kind}",
                  role=REWRITE, original_label=corpus.original_label[i], category=corpus.category[i],
                  group=corpus.group[i], split="train", fold=corpus.fold[i], style=dict(corpus.style[i]))
