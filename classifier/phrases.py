"""Exact multi-phrase matching over flat code-point arrays, vectorised per phrase length.

Used by the normaliser's folding table and by allow/deny lists. Windows of each phrase length are hashed with a
polynomial hash; candidate positions (hash in the phrase set) are then verified exactly, so collisions never
produce a false match. Phrases never contain the post separator 0, so no match crosses a post end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_BASE = 1 << 21
_MOD = (1 << 31) - 1
#: up to this many candidate positions, phrases are matched by dict lookups instead of hashed windows.
FEW_CANDIDATES = 32


def window_hash(windows: np.ndarray) -> np.ndarray:
    """Polynomial hash of the rows of an int64 [m, L] array."""
    h = np.zeros(windows.shape[0], dtype=np.int64)
    for j in range(windows.shape[1]):
        h = (h * _BASE + windows[:, j]) % _MOD
    return h


@dataclass(frozen=True)
class _LengthGroup:
    length: int
    keys: np.ndarray  # int64[m], sorted
    phrases: np.ndarray  # int64[m, length], in key order
    entries: np.ndarray  # int64[m], index of the phrase in the matcher's input order
    lookup: dict[tuple[int, ...], int]  # phrase → its first index in input order (the few-candidates path)


@dataclass(frozen=True)
class PhraseMatcher:
    """A set of phrases (code-point arrays) to find in normalised text, longest first.

    ``first`` marks every code point that starts some phrase: only positions holding such a character are
    hashed, so matching costs little when (as usual) phrases are rare in the text.
    """

    groups: tuple[_LengthGroup, ...]
    first: np.ndarray  # bool[0x110000]

    @classmethod
    def build(cls, phrases: Sequence[Sequence[int]]) -> "PhraseMatcher":
        by_length: dict[int, list[int]] = {}
        for index, phrase in enumerate(phrases):
            if len(phrase) == 0:
                raise ValueError("an empty phrase cannot be matched")
            by_length.setdefault(len(phrase), []).append(index)
        groups = []
        first = np.zeros(0x110000, dtype=bool)
        for phrase in phrases:
            first[phrase[0]] = True
        for length in sorted(by_length, reverse=True):
            indices = by_length[length]
            codes = np.array([list(phrases[i]) for i in indices], dtype=np.int64)
            keys = window_hash(codes)
            order = np.argsort(keys, kind="stable")
            lookup: dict[tuple[int, ...], int] = {}
            for i in indices:
                lookup.setdefault(tuple(int(c) for c in phrases[i]), i)
            groups.append(_LengthGroup(length, keys[order], codes[order], np.asarray(indices)[order], lookup))
        return cls(tuple(groups), first)

    def candidates(self, codes: np.ndarray) -> np.ndarray:
        """Positions of ``codes`` holding a character that starts some phrase (shared by all length groups)."""
        return np.flatnonzero(self.first[codes])

    def find(self, codes: np.ndarray, group: _LengthGroup,
             candidates: np.ndarray | None = None) -> list[tuple[int, int]]:
        """(position, phrase index) of every exact match of the group's phrases in ``codes``.

        ``candidates``: ``self.candidates(codes)`` if the caller already has it (it must describe ``codes`` as
        they are now).
        """
        if codes.size < group.length:
            return []
        if candidates is None:
            candidates = self.candidates(codes)
        starts = candidates[candidates <= codes.size - group.length] if candidates.size else candidates
        if starts.size == 0:
            return []
        if starts.size <= FEW_CANDIDATES:
            # one post, or a batch where the phrases' first characters are rare: a dict lookup per candidate
            # beats the dozen numpy calls of the hashed path (folding one post took ~90 µs that way)
            length, lookup = group.length, group.lookup
            found = ((p, lookup.get(tuple(codes[p : p + length].tolist()))) for p in starts.tolist())
            return [(p, entry) for p, entry in found if entry is not None]
        windows = codes[starts[:, None] + np.arange(group.length)]
        hashes = window_hash(windows)
        # searchsorted on the sorted keys, not np.isin: isin sorts its inputs on every call, which made
        # normalising ONE short post cost ~0.4 ms (the single-text latency path)
        slot = np.minimum(np.searchsorted(group.keys, hashes), group.keys.size - 1)
        hit = group.keys[slot] == hashes
        matches = []
        n_keys = group.keys.size
        for position, k, h in zip(starts[hit].tolist(), slot[hit].tolist(), hashes[hit].tolist()):
            window = codes[position : position + group.length]
            while k < n_keys and group.keys[k] == h:  # equal hashes are adjacent; verify exactly
                if np.array_equal(window, group.phrases[k]):
                    matches.append((position, int(group.entries[k])))
                    break
                k += 1
        return matches

    def find_all(self, codes: np.ndarray) -> list[tuple[int, int, int]]:
        """(position, length, phrase index) of every match of every length, longest phrases first."""
        return [(p, g.length, e) for g in self.groups for p, e in self.find(codes, g)]
