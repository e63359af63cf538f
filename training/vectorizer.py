"""scikit-learn transformer over the feature math of ``classifier.features`` (grams, passages, TF-IDF).

It is an ordinary estimator (``fit``/``transform``, learned attributes ending in ``_``, nothing done in
``__init__``) so that it composes with ``clone`` and cross-validation; the exported ONNX graphs compute the same
numbers from the learned ``idf_`` (a parity test holds them together).

Two views of a text are counted in one pass: the whole post (rows for fitting the heads: a post is what a
label describes) and its passages (rows for scoring: a post's logit is the best passage's logit, exactly as the
graphs compute it).
"""

from __future__ import annotations

import functools

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from mlmrisk.classifier.features import FeatureSpec, hash_grams, passages, sentence_passages, smoothed_idf
from mlmrisk.classifier.normalize import NormalizedBatch, NormalizerTables, normalize_batch
from mlmrisk.classifier.pinyin import PinyinTables
from mlmrisk.classifier.quotes import NOT_QUOTED, QUOTE_BUCKETS, quote_index


def idf_from_counts(counts: sp.csr_matrix) -> np.ndarray:
    """Smoothed idf per bucket from a [posts, buckets] count matrix; buckets no post has get 0 (no weight)."""
    document_frequency = np.diff(counts.tocsc().indptr) if counts.nnz else np.zeros(counts.shape[1])
    idf = smoothed_idf(document_frequency, counts.shape[0]).astype(np.float32)
    idf[document_frequency == 0] = 0.0
    return idf


def occurrence_norms(counts: sp.csr_matrix, idf: np.ndarray, min_norm: float) -> np.ndarray:
    """float64[rows]: max(min_norm, sqrt(Σ tf · idf²)) per row, idf taken as float32 (what the graphs store) so
    training and serving weigh with the same numbers."""
    idf = np.asarray(idf, dtype=np.float32).astype(np.float64)
    squared = np.asarray((counts @ sp.diags(idf * idf)).sum(axis=1)).ravel()
    return np.maximum(np.sqrt(squared), min_norm)


def tfidf_weight(counts: sp.csr_matrix, idf: np.ndarray, min_norm: float) -> sp.csr_matrix:
    """x = tf · idf / max(min_norm, sqrt(Σ tf · idf²)) — the formula of ``classifier.features``."""
    weighted = counts @ sp.diags(np.asarray(idf, dtype=np.float32).astype(np.float64))
    return (sp.diags(1.0 / occurrence_norms(counts, idf, min_norm)) @ weighted).tocsr()


def best_passage(values: np.ndarray, passage_doc: np.ndarray, n_docs: int) -> np.ndarray:
    """Per post, the maximum over its passages of ``values`` ([Q] or [Q, H] → [N] or [N, H])."""
    values = np.asarray(values, dtype=np.float64)
    out = np.full((n_docs,) + values.shape[1:], -np.inf)
    np.maximum.at(out, passage_doc, values)
    return out


@dataclass(frozen=True)
class Counted:
    """Bucket counts of a list of texts: per post, and per passage with the post of each passage; ``quoted``, per
    post, counts the grams inside quotation marks by their row of the quoted channel (``classifier.quotes``:
    the discussion guard's; None where the texts were not at hand)."""

    docs: sp.csr_matrix
    passages: sp.csr_matrix
    passage_doc: np.ndarray
    #: per passage, True for a sentence passage (``FeatureSpec.sentence_min_chars``), False for a window or a
    #: short post's one passage (``classifier.features.sentence_passages``)
    passage_sentence: np.ndarray
    quoted: sp.csr_matrix | None = None

    def select(self, rows: np.ndarray) -> "Counted":
        """The counts of the given posts (in order), passages included."""
        rows = np.asarray(rows, dtype=np.int64)
        new_index = np.full(self.docs.shape[0], -1, dtype=np.int64)
        new_index[rows] = np.arange(rows.size)
        keep = np.flatnonzero(new_index[self.passage_doc] >= 0)
        keep = keep[np.argsort(new_index[self.passage_doc[keep]], kind="stable")]
        return Counted(self.docs[rows], self.passages[keep], new_index[self.passage_doc[keep]],
                       self.passage_sentence[keep], None if self.quoted is None else self.quoted[rows])

    @staticmethod
    def stack(parts: Sequence["Counted"]) -> "Counted":
        offsets = np.cumsum([0] + [p.docs.shape[0] for p in parts[:-1]])
        quoted = None
        if parts and all(p.quoted is not None for p in parts):
            quoted = sp.vstack([p.quoted for p in parts], format="csr")
        return Counted(sp.vstack([p.docs for p in parts], format="csr"),
                       sp.vstack([p.passages for p in parts], format="csr"),
                       np.concatenate([p.passage_doc + o for p, o in zip(parts, offsets)]),
                       np.concatenate([p.passage_sentence for p in parts]), quoted)


class HashedNgramVectorizer(TransformerMixin, BaseEstimator):
    """Normalise texts, hash their character and syllable n-grams, weigh them by TF-IDF with the length prior.

    Parameters
    ----------
    normalizer_spec : dict or None
        The normaliser spec (``training.normalization_spec.build_normalization_spec``); None builds the default.
    pinyin_spec : dict or None
        The syllable tables (``classifier.pinyin.PinyinTables.spec_from_readings``); None builds them with
        pypinyin when ``pinyin_orders`` is not empty.
    pinyin_fold : tuple of str
        Near-homophone fold rules for the syllable tables built here (``classifier.pinyin.fold_syllable``;
        ignored when ``pinyin_spec`` is given).
    bucket_bits, char_orders, pinyin_orders, window, min_norm, sentence_min_chars, sentence_discount,
    latin_syllables_only, latin_post_share
        The ``classifier.features.FeatureSpec`` (see that module for what each means).
    batch_size : int
        Posts normalised per batch; only affects speed.
    """

    def __init__(self, normalizer_spec: Mapping | None = None, pinyin_spec: Mapping | None = None,
                 bucket_bits: int = 20, char_orders: tuple[int, ...] = (1, 2, 3, 4),
                 pinyin_orders: tuple[int, ...] = (1, 2, 3), window: int = 64, min_norm: float = 1.0,
                 batch_size: int = 4096, pinyin_fold: tuple[str, ...] = (), sentence_min_chars: int = 0,
                 sentence_discount: float = 0.0, latin_syllables_only: bool = False,
                 latin_post_share: float = 0.0):
        self.normalizer_spec = normalizer_spec
        self.pinyin_fold = pinyin_fold
        self.pinyin_spec = pinyin_spec
        self.bucket_bits = bucket_bits
        self.char_orders = char_orders
        self.pinyin_orders = pinyin_orders
        self.window = window
        self.min_norm = min_norm
        self.sentence_min_chars = sentence_min_chars
        self.sentence_discount = sentence_discount
        self.latin_syllables_only = latin_syllables_only
        self.latin_post_share = latin_post_share
        self.batch_size = batch_size

    # ------------------------------------------------------------------ fitting
    def prepare(self) -> "HashedNgramVectorizer":
        """Build the normaliser and feature tables (the part of ``fit`` that needs no data)."""
        if self.normalizer_spec is None:
            from mlmrisk.training.normalization_spec import build_normalization_spec

            self.normalizer_spec_ = build_normalization_spec()
        else:
            self.normalizer_spec_ = dict(self.normalizer_spec)
        self.tables_ = NormalizerTables.from_spec(self.normalizer_spec_)
        if self.pinyin_orders:
            self.pinyin_spec_ = (dict(self.pinyin_spec) if self.pinyin_spec is not None
                                 else default_pinyin_spec(tuple(self.pinyin_fold)))
            pinyin = PinyinTables.from_spec(self.pinyin_spec_)
        else:
            self.pinyin_spec_, pinyin = None, None
        self.spec_ = FeatureSpec(self.bucket_bits, tuple(self.char_orders), tuple(self.pinyin_orders), self.window,
                                 float(self.min_norm), pinyin, int(self.sentence_min_chars),
                                 float(self.sentence_discount), bool(self.latin_syllables_only),
                                 float(self.latin_post_share))
        return self

    def fit(self, texts: Sequence[str], y=None) -> "HashedNgramVectorizer":
        self.prepare()
        self.fit_counts(self.count(texts).docs)
        return self

    def fit_counts(self, doc_counts: sp.csr_matrix) -> "HashedNgramVectorizer":
        """Learn idf from per-post counts already made with this vectorizer's tables."""
        check_is_fitted(self, "spec_")
        self.n_documents_ = doc_counts.shape[0]
        self.idf_ = idf_from_counts(doc_counts)
        return self

    # ------------------------------------------------------------------ transforming
    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Per-post TF-IDF rows (the rows the heads are fitted on)."""
        check_is_fitted(self, "idf_")
        return self.weight(self.count(texts).docs)

    def weight(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """TF-IDF weights with the occurrence norm and the length prior, from raw bucket counts."""
        check_is_fitted(self, "idf_")
        return tfidf_weight(counts, self.idf_, self.spec_.min_norm)

    def normalize(self, texts: Sequence[str]) -> NormalizedBatch:
        check_is_fitted(self, "tables_")
        return normalize_batch(list(texts), self.tables_)

    def count(self, texts: Sequence[str]) -> Counted:
        """Bucket counts per post and per passage (``classifier.features``), one normalisation pass."""
        check_is_fitted(self, "spec_")
        texts = list(texts)
        parts = []
        for start in range(0, len(texts), self.batch_size):
            part = texts[start : start + self.batch_size]
            parts.append(count_batch(normalize_batch(part, self.tables_), self.spec_, part))
        if not parts:
            empty = sp.csr_matrix((0, self.spec_.n_buckets), dtype=np.float64)
            return Counted(empty, empty, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool),
                           sp.csr_matrix((0, QUOTE_BUCKETS), dtype=np.float64))
        return Counted.stack(parts)


def count_batch(batch: NormalizedBatch, spec: FeatureSpec, texts: Sequence[str] | None = None) -> Counted:
    """Counts of one normalised batch (see :class:`Counted`); ``texts``, the batch's original texts, give the
    quoted grams' counts."""
    grams = hash_grams(batch, spec)
    quoted = None
    if texts is not None:
        index = quote_index(grams, batch, texts, spec.n_buckets)
        inside = index != NOT_QUOTED
        quoted = sp.csr_matrix((np.ones(int(inside.sum())), (grams.doc[inside], index[inside])),
                               shape=(batch.n_docs, QUOTE_BUCKETS))
        quoted.sum_duplicates()
    membership = passages(grams, batch, spec.window, spec.sentence_min_chars)
    ones = np.ones(len(grams), dtype=np.float64)
    docs = sp.csr_matrix((ones, (grams.doc, grams.bucket)), shape=(batch.n_docs, spec.n_buckets))
    q = membership.passage_doc.size
    entries = np.ones(membership.gram.size, dtype=np.float64)
    per_passage = sp.csr_matrix((entries, (membership.passage, grams.bucket[membership.gram])),
                                shape=(q, spec.n_buckets))
    docs.sum_duplicates()
    per_passage.sum_duplicates()
    return Counted(docs, per_passage, membership.passage_doc,
                   sentence_passages(membership.passage_doc, batch.starts, spec.window), quoted)



def default_pinyin_spec(fold: tuple[str, ...] = ()) -> dict:
    """Syllable tables for every CJK code point in the BMP blocks (built with pypinyin: the ``train`` extra),
    near-homophones folded by ``fold``'s rules."""
    return PinyinTables.spec_from_readings(_default_readings(), fold)


@functools.lru_cache(maxsize=1)
def _default_readings() -> dict[int, str]:
    from mlmrisk.classifier.pinyin import readings_from_pypinyin

    codes = list(range(0x3400, 0x4DC0)) + list(range(0x4E00, 0xA000))
    return readings_from_pypinyin(codes)
