"""scikit-learn transformer over the hashed n-gram math of ``classifier.features``.

It is an ordinary estimator (``fit``/``transform``, learned attributes ending in ``_``, nothing done in
``__init__``) so that it composes with ``Pipeline``, ``clone`` and cross-validation; the exported ONNX graph
computes the same numbers from the learned ``idf_`` (a parity test holds the two together).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from mlmrisk.classifier.features import N_BUCKETS, hash_grams, smoothed_idf
from mlmrisk.classifier.normalize import NormalizedBatch, NormalizerTables, normalize_batch


def idf_from_counts(counts: sp.csr_matrix) -> np.ndarray:
    """Smoothed idf per bucket from a [posts, buckets] count matrix; buckets no post has get 0 (no weight)."""
    document_frequency = np.diff(counts.tocsc().indptr) if counts.nnz else np.zeros(counts.shape[1])
    idf = smoothed_idf(document_frequency, counts.shape[0]).astype(np.float32)
    idf[document_frequency == 0] = 0.0
    return idf


def tfidf_weight(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """x = tf · idf / max(1, sqrt(Σ tf · idf²)) — the formula of ``classifier.features``."""
    idf = np.asarray(idf, dtype=np.float64)
    weighted = counts @ sp.diags(idf)
    squared = np.asarray((counts @ sp.diags(idf * idf)).sum(axis=1)).ravel()
    norm = np.maximum(np.sqrt(squared), 1.0)
    return sp.diags(1.0 / norm) @ weighted


class HashedCharNgramVectorizer(TransformerMixin, BaseEstimator):
    """Normalise texts, hash their char 1–3-grams and weight them by TF-IDF (formula in ``classifier.features``).

    Parameters
    ----------
    normalizer_spec : dict or None
        The normaliser spec (``training.normalization_spec.build_normalization_spec``); None builds the default
        one from this repository's data at ``fit`` time.
    batch_size : int
        Posts normalised per batch; only affects speed.
    """

    _parameter_constraints: dict = {"normalizer_spec": [dict, None], "batch_size": [int]}

    def __init__(self, normalizer_spec: Mapping | None = None, batch_size: int = 4096):
        self.normalizer_spec = normalizer_spec
        self.batch_size = batch_size

    def fit(self, texts: Sequence[str], y=None) -> "HashedCharNgramVectorizer":
        if self.normalizer_spec is None:
            from mlmrisk.training.normalization_spec import build_normalization_spec

            self.normalizer_spec_ = build_normalization_spec()
        else:
            self.normalizer_spec_ = dict(self.normalizer_spec)
        self.tables_ = NormalizerTables.from_spec(self.normalizer_spec_)
        counts = self.count_grams(texts)
        self.n_documents_ = counts.shape[0]
        self.idf_ = idf_from_counts(counts)
        return self

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        check_is_fitted(self, "idf_")
        counts = self.count_grams(texts)
        return self.weight(counts)

    def weight(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """TF-IDF weights with the occurrence norm, from raw bucket counts."""
        check_is_fitted(self, "idf_")
        return tfidf_weight(counts, self.idf_)

    def normalize(self, texts: Sequence[str]) -> NormalizedBatch:
        check_is_fitted(self, "tables_")
        return normalize_batch(list(texts), self.tables_)

    def count_grams(self, texts: Sequence[str]) -> sp.csr_matrix:
        texts = list(texts)
        blocks = []
        for start in range(0, len(texts), self.batch_size):
            batch = normalize_batch(texts[start : start + self.batch_size], self.tables_)
            grams = hash_grams(batch.codes)
            rows = batch.doc[grams.position[grams.valid]]
            cols = grams.bucket[grams.valid]
            blocks.append(
                sp.csr_matrix(
                    (np.ones(rows.size, dtype=np.float64), (rows, cols)), shape=(batch.n_docs, N_BUCKETS)
                )
            )
        if not blocks:
            return sp.csr_matrix((0, N_BUCKETS), dtype=np.float64)
        matrix = sp.vstack(blocks, format="csr")
        matrix.sum_duplicates()
        return matrix
