"""Hashed character n-grams with TF-IDF weights: the one home of the n-gram, hash and weighting math.

For a normalised post with code points c_0 … c_{L-1}, every character n-gram of order n ∈ {1, 2, 3} that does
not cross a post end is hashed to one of ``N_BUCKETS`` buckets (a prime, so the linear hash mixes well):

    r_1(i) = (c_i · A1) mod P
    r_n(i) = (r_{n-1}(i) · A2 + c_{i+n-1}) mod P              (n = 2, 3)
    bucket_n(i) = (r_n(i) + S_n) mod P

All intermediate values stay below 2^42, so int64 arithmetic is exact in numpy and in the ONNX graph alike.

The feature vector of a post d is

    x_{d,h} = tf_{d,h} · idf_h / max(1, sqrt(Σ_h tf_{d,h} · idf_h²))
    idf_h   = ln((1 + n) / (1 + df_h)) + 1                    (scikit-learn's smoothed idf)

The norm is taken over n-gram *occurrences* (Σ tf·idf², not Σ (tf·idf)²) because it is a plain sum over the
grams of a post, which the ONNX graph computes in one scatter-add without knowing which grams are unique
(docs/design_facts.md §2). A linear head then scores s_d = (Σ_occurrences idf_h·β_h) / norm_d + b. The ONNX builder
(``training/export.py``) reads these constants; serving never re-derives them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlmrisk.classifier.normalize import SEPARATOR

N_BUCKETS = 1_048_573  # prime just below 2^20
HASH_A1 = 1_000_003
HASH_A2 = 999_983
HASH_SALTS = {1: 0, 2: 374_761, 3: 668_265}
NGRAM_ORDERS = (1, 2, 3)


@dataclass(frozen=True)
class Grams:
    """Every valid n-gram occurrence of a batch, in the fixed layout the ONNX graph also uses.

    Layout: order 1 at every position 0..T-1, then order 2 at 0..T-2, then order 3 at 0..T-3; an occurrence
    that crosses a post end has ``valid`` False (the graph gives it bucket ``N_BUCKETS``, a zero row).
    """

    bucket: np.ndarray  # int64[G]; N_BUCKETS where not valid
    position: np.ndarray  # int64[G], start in the flat code array
    length: np.ndarray  # int64[G]
    valid: np.ndarray  # bool[G]


def gram_layout(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(position, length, valid) of every n-gram occurrence, in the layout of :class:`Grams`, without hashing.

    Evidence needs where each occurrence sits, not its bucket (the graph already returned its weights).
    """
    codes = np.asarray(codes)
    t = codes.size
    is_char = codes != SEPARATOR
    positions, lengths, valids = [], [], []
    valid = is_char
    for order in NGRAM_ORDERS:
        count = t - order + 1
        if count <= 0:
            break
        if order > 1:
            valid = valid[:count] & is_char[order - 1 :]
        positions.append(np.arange(count, dtype=np.int64))
        lengths.append(np.full(count, order, dtype=np.int64))
        valids.append(valid)
    if not positions:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=bool)
    return np.concatenate(positions), np.concatenate(lengths), np.concatenate(valids)


def gram_rows_of(positions: np.ndarray, total: int) -> np.ndarray:
    """Rows of a batch's n-gram layout (:class:`Grams`) that a sub-batch made of code ``positions`` would have.

    The batch has ``total`` codes; the sub-batch is ``positions`` (whole posts with their end separators, as
    ``NormalizedBatch.select`` builds it). Lets evidence reuse the per-n-gram rows of the batch's own graph run
    instead of running the graph again on the flagged posts. Grams absent from the batch layout (they start at
    its last separator, so they cross a post end and are invalid in the sub-batch too) get -1.
    """
    size = positions.size
    pieces, offset = [], 0
    for order in NGRAM_ORDERS:
        count = size - order + 1
        if count <= 0:
            break
        block = positions[:count]
        # a gram starting at the batch's last separator(s) does not exist there; it crosses a post end anyway
        pieces.append(np.where(block <= total - order, offset + block, -1))
        offset += total - order + 1
    return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)


def hash_grams(codes: np.ndarray) -> Grams:
    """All n-gram occurrences of a flat normalised code array (see the module docstring for the formula)."""
    codes = np.asarray(codes, dtype=np.int64)
    position, length, valid = gram_layout(codes)
    buckets = []
    rolling = (codes * HASH_A1) % N_BUCKETS
    for order in NGRAM_ORDERS:
        count = codes.size - order + 1
        if count <= 0:
            break
        if order > 1:
            rolling = (rolling[:count] * HASH_A2 + codes[order - 1 :]) % N_BUCKETS
        buckets.append((rolling + HASH_SALTS[order]) % N_BUCKETS)
    if not buckets:
        empty = np.zeros(0, dtype=np.int64)
        return Grams(empty, empty, empty, np.zeros(0, dtype=bool))
    return Grams(np.where(valid, np.concatenate(buckets), N_BUCKETS), position, length, valid)


def smoothed_idf(document_frequency: np.ndarray, n_documents: int) -> np.ndarray:
    """idf_h = ln((1 + n) / (1 + df_h)) + 1, as scikit-learn's ``TfidfTransformer(smooth_idf=True)``."""
    return np.log((1.0 + n_documents) / (1.0 + document_frequency)) + 1.0
