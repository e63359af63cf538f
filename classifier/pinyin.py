"""The phonetic channel: every normalised post as a sequence of toneless pinyin syllables.

Why: evasive posts spell the same words with other characters of the same sound (薇信, 威芯) or in Latin pinyin
(weixin, dongtaishouyi, fa zhan xia xian), and mixtures (发zhan下xian). Mapped to syllables, all of them meet the
plain spelling: 微信 → wei xin. The model hashes syllable n-grams beside the character n-grams
(``classifier.features``), so a pitch written in sound alone still carries weight.

Syllable events of a flat normalised batch:
- a Chinese character with a reading gives one event at its position (the commonest reading; heteronyms are
  rare in the vocabulary that matters here);
- a maximal run of Latin letters a–z gives one event per syllable when the WHOLE run splits into valid syllables
  (fewest syllables first, so ``xian`` is 线 not 西安); runs that do not split (``app``, ``vx``) give none.

Two events are adjacent when nothing but separators (spaces, punctuation) lies between them inside one post, so
``fa zhan`` and ``发展`` give the same bigram. The CJK lookup, the merge with the Latin events and the adjacency
test run inside the feature kernel (``classifier.kernels``); this module splits the Latin runs (``latin_events``). The char→syllable table and the syllable list are data: training
builds them with pypinyin and writes them into the model manifest; serving reads them from there.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from mlmrisk.classifier import compiled
from mlmrisk.classifier.normalize import N_CODEPOINTS

LATIN_A, LATIN_Z = ord("a"), ord("z")
#: a Latin run longer than this is not pinyin (URLs, base64…); segmenting it would only cost time.
MAX_LATIN_RUN = 40
NO_SYLLABLE = -1


@dataclass(frozen=True, eq=False)
class PinyinTables:
    """char → syllable id lookup and the syllable inventory (for splitting Latin runs)."""

    char_syllable: np.ndarray  # int16[N_CODEPOINTS]: syllable class id, NO_SYLLABLE where a character has no reading
    syllables: tuple[str, ...]
    #: class id of each syllable (``syllables`` order); None: every syllable is its own class (its index)
    syllable_class: np.ndarray | None = None

    @classmethod
    def from_spec(cls, spec: Mapping) -> "PinyinTables":
        """Build from the manifest's ``pinyin`` spec: ``syllables`` and ``ranges`` of [first code, base64 int16],
        and, when the model folds near-homophones, ``classes`` (one class id per syllable)."""
        table = np.full(N_CODEPOINTS, NO_SYLLABLE, dtype=np.int16)
        for first, packed in spec["ranges"]:
            ids = np.frombuffer(base64.b64decode(packed), dtype="<i2")
            table[int(first) : int(first) + ids.size] = ids
        syllables = tuple(spec["syllables"])
        classes = spec.get("classes")
        if classes is None:
            return cls(table, syllables)
        if (not isinstance(classes, list) or len(classes) != len(syllables)
                or not all(type(c) is int and 0 <= c < len(syllables) for c in classes)
                or int(table.max(initial=NO_SYLLABLE)) >= len(syllables)):
            raise ValueError("pinyin spec: 'classes' needs one whole class id in [0, number of syllables) per "
                             "syllable, and every character's syllable must be listed")
        syllable_class = np.asarray(classes, dtype=np.int16)
        read = table >= 0
        table[read] = syllable_class[table[read]]
        return cls(table, syllables, syllable_class)

    @staticmethod
    def spec_from_readings(readings: Mapping[int, str], fold: Sequence[str] = ()) -> dict:
        """The manifest spec from {code point: toneless syllable} (training builds ``readings`` with pypinyin).

        ``fold`` (rules of :func:`fold_syllable`) puts near-homophones in one class (卫星 wei xing and 微信 wei xin);
        the spec then carries ``fold`` (for the record) and ``classes``. Without rules the spec is as before, so
        models trained without folding keep their manifest byte for byte.
        """
        rules = parse_fold_rules(fold)
        syllables = sorted(set(readings.values()))
        index = {s: i for i, s in enumerate(syllables)}
        codes = sorted(readings)
        ranges = []
        if codes:
            # one packed range per stretch of code points with at most 256 unread ones in between
            first = prev = codes[0]
            block: dict[int, int] = {}
            for code in codes:
                if code - prev > 256:
                    ranges.append(_pack(first, prev, block))
                    first, block = code, {}
                block[code] = index[readings[code]]
                prev = code
            ranges.append(_pack(first, prev, block))
        spec: dict = {"syllables": syllables, "ranges": ranges}
        if rules:
            folded = [fold_syllable(s, rules) for s in syllables]
            class_of = {f: i for i, f in enumerate(sorted(set(folded)))}
            spec["fold"] = list(fold)
            spec["classes"] = [class_of[f] for f in folded]
        return spec

    @functools.cached_property
    def _inventory(self) -> dict[str, int]:
        """syllable → class id (the id its events carry)."""
        if self.syllable_class is None:
            return {s: i for i, s in enumerate(self.syllables)}
        return {s: int(c) for s, c in zip(self.syllables, self.syllable_class)}

    @functools.cached_property
    def _keys(self) -> tuple[np.ndarray, np.ndarray]:
        """The syllables in base 27 (a = 1 … z = 26), sorted, and their ids: the numba splitter's inventory."""
        keys = np.array([_base27(s) for s in self.syllables], dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        ids = (np.arange(len(self.syllables), dtype=np.int64) if self.syllable_class is None
               else self.syllable_class.astype(np.int64))
        return keys[order], ids[order]

    @functools.cached_property
    def _max_syllable(self) -> int:
        return max((len(s) for s in self.syllables), default=0)

    def split_latin(self, run: str) -> tuple[tuple[int, int, int], ...]:
        """(syllable id, start, end) of a Latin run that splits wholly into syllables, else ()."""
        return _split_cached(self, run)


def parse_fold_rules(rules: Sequence[str]) -> tuple[tuple[str, str, str], ...]:
    """``"zh-=z-"`` (an initial) and ``"-ing=-in"`` (a final) → (kind, from, to); anything else is a ValueError."""
    parsed = []
    for rule in rules:
        source, sep, target = str(rule).partition("=")
        for kind, ok in (("initial", source.endswith("-") and target.endswith("-")),
                         ("final", source.startswith("-") and target.startswith("-"))):
            if sep and ok and source.strip("-").isalpha() and source.strip("-").islower() \
                    and (target.strip("-") == "" or (target.strip("-").isalpha() and target.strip("-").islower())):
                parsed.append((kind, source.strip("-"), target.strip("-")))
                break
        else:
            raise ValueError(f"pinyin fold rule {rule!r}: expected 'zh-=z-' (an initial) or '-ing=-in' (a final)")
    # longest pattern first, so zh- wins over z- and -iang over -ang
    return tuple(sorted(parsed, key=lambda r: (r[0], -len(r[1]))))


def fold_syllable(syllable: str, rules: Sequence[tuple[str, str, str]]) -> str:
    """The syllable with at most one initial and one final rule applied (``parse_fold_rules``' output).

    Why: homophone evasion leans on the sounds that many speakers and every pinyin input method's 模糊音 setting
    merge (in/ing, en/eng, z/zh…): 卫星 for 微信, 唞鹰 for 抖音. Folding them in the syllable table costs nothing
    at scoring time: the lookup is the same, only the ids change.
    """
    done = {"initial": False, "final": False}
    for kind, source, target in rules:
        if done[kind]:
            continue
        if kind == "initial" and syllable.startswith(source) and len(syllable) > len(source):
            syllable, done[kind] = target + syllable[len(source):], True
        elif kind == "final" and syllable.endswith(source) and (target or len(syllable) > len(source)):
            syllable, done[kind] = syllable[: len(syllable) - len(source)] + target, True
    return syllable


def _base27(syllable: str) -> int:
    key = 0
    for letter in syllable:
        key = key * 27 + (ord(letter) - LATIN_A + 1)
    return key


def _pack(first: int, last: int, block: Mapping[int, int]) -> list:
    ids = np.full(last - first + 1, NO_SYLLABLE, dtype="<i2")
    for code, syllable in block.items():
        ids[code - first] = syllable
    return [first, base64.b64encode(ids.tobytes()).decode("ascii")]


#: The reference splitter (scoring uses its compiled form, ``kernels.latin_events``; a property test holds the
#: two equal). Runs repeat (weixin, vx, dd), so a bounded cache keeps their splits.
@functools.lru_cache(maxsize=16384)
def _split_cached(tables: PinyinTables, run: str) -> tuple[tuple[int, int, int], ...]:
    inventory, longest = tables._inventory, tables._max_syllable
    n = len(run)
    if n < 2 or n > MAX_LATIN_RUN:
        return ()
    # best[i]: fewest syllables covering run[:i]; ties prefer the longer last syllable (xian, not xi an)
    best: list[tuple[int, int] | None] = [None] * (n + 1)
    best[0] = (0, 0)
    for i in range(1, n + 1):
        for j in range(max(0, i - longest), i):
            if best[j] is not None and run[j:i] in inventory:
                candidate = (best[j][0] + 1, j)
                if best[i] is None or candidate[0] < best[i][0]:
                    best[i] = candidate
    if best[n] is None:
        return ()
    events = []
    i = n
    while i > 0:
        j = best[i][1]
        events.append((inventory[run[j:i]], j, i))
        i = j
    return tuple(reversed(events))


def latin_events(codes: np.ndarray, tables: PinyinTables) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(syllable id, flat start, flat end), int64 each and sorted by start, of the Latin runs of a flat batch.

    The CJK events are a table lookup done inside the feature kernel (``classifier.kernels``); the Latin runs of
    2 … ``MAX_LATIN_RUN`` letters are split by ``kernels.latin_events``, the compiled form of ``split_latin``
    (which stays as its oracle: a property test holds the two equal). Splitting in Python, run by run, had cost
    about a tenth of scoring a short post.
    """
    kernels = compiled.feature_kernels()
    keys, ids = tables._keys
    if keys.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    return kernels.latin_events(codes, MAX_LATIN_RUN, keys, ids, tables._max_syllable)


def readings_from_pypinyin(code_points: Sequence[int]) -> dict[int, str]:
    """Toneless commonest reading of each code point (training only: needs pypinyin)."""
    from pypinyin import Style, lazy_pinyin

    readings = {}
    for code in code_points:
        char = chr(code)
        syllable = lazy_pinyin(char, style=Style.NORMAL, errors="ignore", v_to_u=False)
        if syllable and syllable[0].isascii() and syllable[0].isalpha():
            readings[code] = syllable[0].lower()
    return readings
