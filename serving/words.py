"""Word boundaries from jieba, used to widen evidence spans to whole words (发展下线, not 展下).

jieba is loaded lazily, on the first flagged post of a process (its dictionary takes about a second to load),
so bulk scoring of unflagged posts never pays for it. HMM is off: new-word discovery would merge n-grams into
long pseudo-words, and spans should only grow to dictionary words.
"""

from __future__ import annotations

import functools
import logging


@functools.lru_cache(maxsize=1)
def _tokenizer():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def word_boundaries(text: str) -> list[int]:
    """Offsets (code points) where a jieba word starts or ends, including 0 and len(text)."""
    boundaries = [0]
    position = 0
    for word in _tokenizer().cut(text, HMM=False):
        position += len(word)
        boundaries.append(position)
    return boundaries
