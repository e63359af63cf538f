"""Widen evidence spans to whole words (发展下线, not 展下) with a word list carried in the model manifest.

Why a word list and not a segmenter: segmenting the text around every flagged post with jieba cost about 0.9 ms
per post, ten times the post's score, and loading jieba's dictionary took a second and ~150 MB per worker. The
rule below needs only set lookups: a span boundary that cuts a listed word in two moves out to that word's edge
(by at most ``MAX_SNAP`` characters). The list is built at training time (``training.snap_lexicon``) from jieba's
dictionary, normalised with the model's own normaliser, so snapping runs on normalised text: a traditional or
separator-laden original (發.展下綫) snaps exactly like its clean form, and offsets map back through the
normaliser's origin index.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

#: a span grows by at most this many characters on each side.
MAX_SNAP = 3
#: longest listed word considered (a word of 4 characters can stick out of a span by 3).
MAX_WORD = 4


def _pair(text: str, i: int) -> int:
    """The pair code of ``text[i : i + 2]`` (see ``SnapLexicon.pairs``)."""
    return (ord(text[i]) << 21) | ord(text[i + 1])


def _sorted_unique(values: np.ndarray, kind: str | None = None) -> np.ndarray:
    """Sorted distinct values (sort, then drop repeats): ``np.unique`` hashes first in recent numpy, which took
    ten times as long on ~200k short strings and delayed every ``Scorer.load`` by ~0.3 s. ``kind``: numpy's sort
    kind (``"stable"``, a merge sort that finds sorted runs, for values made of a few sorted stretches)."""
    values = np.sort(values, kind=kind)
    if values.size < 2:
        return values
    keep = np.ones(values.size, dtype=bool)
    keep[1:] = values[1:] != values[:-1]
    return values[keep]


def _utf32(text: str) -> np.ndarray:
    """int64 code points of ``text`` (lone surrogates kept as their code points)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)


def _member(sorted_array: np.ndarray, value) -> bool:
    i = sorted_array.searchsorted(value)  # the method: np.searchsorted's dispatch wrapper doubled the cost
    return i < sorted_array.size and sorted_array[i] == value


@dataclass(frozen=True, eq=False)
class SnapLexicon:
    """A set of normalised words (2–``MAX_WORD`` characters) that spans must not cut.

    Held as sorted numpy arrays, not Python sets: ~200k words as a frozenset of str (plus the pair prefilter as a
    set of ints) took ~37 MB in every bulk worker; as arrays they take ~5 MB, built in a fraction of the time.
    Lookups (a binary search each) happen only while evidence is built, for posts at or above the watch
    threshold.
    """

    #: the words, sorted (fixed-width unicode, ``<U{MAX_WORD}``)
    words: np.ndarray
    #: every pair of adjacent characters inside some word, as ``code(a) << 21 | code(b)``, sorted: an edge can only
    #: cut a word if the two characters around it form such a pair, so one lookup settles most edges
    pairs: np.ndarray

    @classmethod
    def from_words(cls, words: Iterable[str] | str) -> "SnapLexicon":
        """The lexicon of ``words``: an iterable of words, or the manifest's form, one newline-joined string.

        Words outside 2–``MAX_WORD`` characters, words holding NUL and non-strings are left out. The joined form is
        read without a Python object per word (``_from_codes``): building the lexicon was ~0.1 s, paid by every
        bulk worker and every process before its first evidence.
        """
        if isinstance(words, str):
            return cls._from_codes(_utf32(words), ord("\n"))
        kept = [w for w in words if isinstance(w, str) and "\x00" not in w]
        return cls._from_codes(_utf32("\x00".join(kept)), 0)

    @classmethod
    def _from_codes(cls, codes: np.ndarray, separator: int) -> "SnapLexicon":
        """The lexicon of the words in ``codes`` (code points, words split by ``separator``; NUL never inside a
        kept word). The words become rows of a ``MAX_WORD``-wide uint32 matrix, zero-padded, which viewed as
        ``<U{MAX_WORD}`` is exactly the array of the words (numpy ends a unicode item at its first NUL)."""
        bounds = np.flatnonzero(codes == separator)
        starts = np.concatenate(([0], bounds + 1))
        ends = np.concatenate((bounds, [codes.size]))
        lengths = ends - starts
        keep = (lengths >= 2) & (lengths <= MAX_WORD)
        if separator and (codes == 0).any():
            nuls = np.concatenate(([0], np.cumsum(codes == 0)))
            keep &= nuls[ends] == nuls[starts]
        starts, lengths = starts[keep], lengths[keep]
        if not starts.size:
            return cls(np.zeros(0, dtype=f"<U{MAX_WORD}"), np.zeros(0, dtype=np.int64))
        column = np.arange(MAX_WORD)
        inside = column < lengths[:, None]
        matrix = np.where(inside, codes[np.minimum(starts[:, None] + column, codes.size - 1)], 0).astype(np.uint32)
        # column by column: the pairs of the first two characters come in word order, already sorted when the
        # words are (the manifest's are), so the stable sort below (a merge of runs) takes ~10 ms instead of ~25
        pairs = np.concatenate([((matrix[:, j].astype(np.int64) << 21) | matrix[:, j + 1])[inside[:, j + 1]]
                                for j in range(MAX_WORD - 1)])
        words = matrix.view(f"<U{MAX_WORD}").ravel()
        # the manifest's list is sorted and distinct; checked on the code-point matrix (comparing the unicode items
        # themselves took longer than the rest of the build): each word is above its predecessor at the first
        # column where the two differ
        differ = matrix[1:] != matrix[:-1]
        first = differ.argmax(axis=1)
        rows = np.arange(first.size)
        ascending = differ[rows, first] & (matrix[1:][rows, first] > matrix[:-1][rows, first])
        if not ascending.all():
            words = _sorted_unique(words)
        return cls(words, _sorted_unique(pairs, kind="stable"))

    def __len__(self) -> int:
        return int(self.words.size)

    def __contains__(self, word: str) -> bool:
        return 2 <= len(word) <= MAX_WORD and _member(self.words, word)

    def snap(self, text: str, start: int, end: int) -> tuple[int, int]:
        """``[start, end)`` of ``text`` widened so that no listed word straddles either edge.

        Of the words straddling an edge, the one reaching furthest out (within ``MAX_SNAP``) wins, so the span
        ends on a word edge rather than inside the outermost word.
        """
        words = self
        new_start = start
        straddled = start > 0 and _member(self.pairs, _pair(text, start - 1))
        for k in range(1, min(MAX_SNAP, start) + 1 if straddled else 1):
            lo = start - k
            for length in range(k + 1, MAX_WORD + 1):
                if lo + length > len(text):
                    break
                if text[lo : lo + length] in words:
                    new_start = lo
                    break
        new_end = end
        straddled = end < len(text) and _member(self.pairs, _pair(text, end - 1))
        for k in range(1, min(MAX_SNAP, len(text) - end) + 1 if straddled else 1):
            hi = end + k
            for length in range(k + 1, MAX_WORD + 1):
                if hi - length < 0:
                    break
                if text[hi - length : hi] in words:
                    new_end = hi
                    break
        return new_start, new_end
