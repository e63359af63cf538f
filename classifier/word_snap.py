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


@dataclass(frozen=True)
class SnapLexicon:
    """A set of normalised words (2–``MAX_WORD`` characters) that spans must not cut."""

    words: frozenset[str]
    #: every pair of adjacent characters inside some word, as ``code(a) << 21 | code(b)``: an edge can only cut a
    #: word if the two characters around it form such a pair, so one lookup settles most edges (no word straddles
    #: them). Integers built with numpy, not 2-character strings: building ~400k small strings took 0.6 s, paid by
    #: every process on its first flagged post.
    pairs: frozenset[int] = frozenset()

    @classmethod
    def from_words(cls, words: Iterable[str]) -> "SnapLexicon":
        kept = frozenset(w for w in words if isinstance(w, str) and 2 <= len(w) <= MAX_WORD and "\x00" not in w)
        if not kept:
            return cls(kept)
        codes = np.frombuffer("\x00".join(kept).encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
        inside = (codes[:-1] != 0) & (codes[1:] != 0)
        pairs = ((codes[:-1] << 21) | codes[1:])[inside]
        return cls(kept, frozenset(np.unique(pairs).tolist()))

    def __len__(self) -> int:
        return len(self.words)

    def snap(self, text: str, start: int, end: int) -> tuple[int, int]:
        """``[start, end)`` of ``text`` widened so that no listed word straddles either edge.

        Of the words straddling an edge, the one reaching furthest out (within ``MAX_SNAP``) wins, so the span
        ends on a word edge rather than inside the outermost word.
        """
        words = self.words
        new_start = start
        straddled = start > 0 and _pair(text, start - 1) in self.pairs
        for k in range(1, min(MAX_SNAP, start) + 1 if straddled else 1):
            lo = start - k
            for length in range(k + 1, MAX_WORD + 1):
                if lo + length > len(text):
                    break
                if text[lo : lo + length] in words:
                    new_start = lo
                    break
        new_end = end
        straddled = end < len(text) and _pair(text, end - 1) in self.pairs
        for k in range(1, min(MAX_SNAP, len(text) - end) + 1 if straddled else 1):
            hi = end + k
            for length in range(k + 1, MAX_WORD + 1):
                if hi - length < 0:
                    break
                if text[hi - length : hi] in words:
                    new_end = hi
                    break
        return new_start, new_end
