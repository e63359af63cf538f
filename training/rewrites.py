"""Rewritten copies of written posts as training rows (``TrainConfig.train_rewrites``).

Why: a few evasion families change every n-gram a model has learnt, not a few. A post written wholly in Latin
pinyin (``training.perturb.pinyin_post``) keeps only the phonetic channel's syllable n-grams, and a model that never
saw such a post weighs those syllables as a minor echo of the characters; the converged fit of 2.5.0 keeps 0.76 of
the hits of whole-pinyin promotions on the evasion suite, under the issue's bar of 0.8 (docs/training.md, "Rewrites
as training rows"). Teaching the rewrite by example is the direct fix, on condition that it stays honest:

- sources are the written corpus's training posts of BOTH labels, so a Latin post is not evidence of a scheme
  by itself (each promotion of the written corpus has a matched hard negative in its cell);
- every copy keeps its source's group, fold and style, so cross-validation and each held-out era or channel
  leave it out with its source (role ``rewrite``: ``training.fit.leave_one_style_out`` treats it as written);
- copies are never rows of a report figure: real-data figures read real corpora, the written-corpus figures read
  role ``written``, and the evasion suite, the challenge set and the review set are other texts altogether.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

#: role of the rewritten copies: rows of the five heads and of the guard, weighed like written posts, never a
#: row of a report figure
REWRITE = "rewrite"


def add_training_rewrites(corpus, kinds: Sequence[str], share: float, seed: int) -> dict[str, int]:
    """Append to ``corpus`` one rewrite of a ``share`` of its written training posts (both labels), the kind drawn
    from ``kinds`` (``training.perturb.PERTURBATIONS``); deterministic in ``seed``. Returns copies per kind.

    A rewrite equal to its source (a post the perturbation leaves alone) is not added: it would only double the
    source's weight.
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
    for i in sources:
        if rng.random() >= share:
            continue
        kind = kinds[int(rng.random() * len(kinds))]
        text = perturb(corpus.text[i], kind, rng.randrange(2**31))
        if text == corpus.text[i]:
            continue
        corpus.append(text=text, label=corpus.label[i], elements=corpus.elements[i], corpus=f"rewrite:{kind}",
                      role=REWRITE, original_label=corpus.original_label[i], category=corpus.category[i],
                      group=corpus.group[i], split="train", fold=corpus.fold[i], style=dict(corpus.style[i]))
        added[kind] = added.get(kind, 0) + 1
    return added
