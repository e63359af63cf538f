"""The word list that evidence spans snap to (``classifier.word_snap``), built from jieba's dictionary.

Serving never loads jieba: the words travel in the model manifest. The list is kept small enough to load in
milliseconds (about 100k words, ~1 MB of JSON) by keeping two kinds of dictionary words:

* common words (jieba frequency ≥ ``MIN_FREQUENCY``), which are what a span most often cuts into; and
* any word containing an n-gram among the ``TOP_GRAMS_PER_HEAD`` heaviest positive n-grams of a head: the
  vocabulary of promotion (静态收益, 见点奖, 拉人头) that evidence spans are made of, however rare in general text.

Words are normalised with the model's own normaliser (traditional → simplified, digits → 0, folding), because
snapping runs on normalised text.
"""

from __future__ import annotations

import logging

import numpy as np

from mlmrisk.classifier.features import FeatureSpec, hash_grams
from mlmrisk.classifier.normalize import NormalizerTables, normalize_batch
from mlmrisk.classifier.word_snap import MAX_WORD

MIN_FREQUENCY = 20
TOP_GRAMS_PER_HEAD = 20_000


def jieba_dictionary() -> dict[str, int]:
    """jieba's bundled dictionary as {word: frequency}."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return {word: freq for word, freq in tokenizer.FREQ.items() if freq > 0}


def strong_buckets(head_weights: np.ndarray, top: int = TOP_GRAMS_PER_HEAD) -> np.ndarray:
    """Boolean mask over buckets: among the ``top`` largest positive weights of any head (``head_weights`` [H, B])."""
    mask = np.zeros(head_weights.shape[1] + 1, dtype=bool)  # + the invalid-gram bucket, never strong
    for column in head_weights:
        top_idx = np.argpartition(-column, min(top, column.size - 1))[:top]
        mask[top_idx[column[top_idx] > 0]] = True
    return mask


def build_snap_lexicon(head_weights: np.ndarray, tables: NormalizerTables, spec: FeatureSpec,
                       dictionary: dict[str, int] | None = None) -> list[str]:
    """Sorted normalised words for ``classifier.word_snap.SnapLexicon`` (see the module docstring)."""
    dictionary = jieba_dictionary() if dictionary is None else dictionary
    candidates = sorted(w for w in dictionary if 2 <= len(w) <= 2 * MAX_WORD)
    if not candidates:
        return []
    batch = normalize_batch(candidates, tables)
    strong = strong_buckets(head_weights)
    grams = hash_grams(batch, spec)
    multi = (grams.end - grams.start) >= 2
    has_strong = np.bincount(grams.doc[multi], weights=strong[grams.bucket[multi]], minlength=batch.n_docs) > 0
    words = set()
    for d, word in enumerate(candidates):
        normalized = batch.text(d)
        if 2 <= len(normalized) <= MAX_WORD and (dictionary[word] >= MIN_FREQUENCY or has_strong[d]):
            words.add(normalized)
    return sorted(words)
