"""Compiled kernels of the normaliser (numba): each rule of ``classifier/normalize.py`` as one walk over the flat array.

Imported lazily by ``normalize.normalize_batch`` on its first call, so ``import mlmrisk`` neither imports numba nor
compiles anything. Functions are compiled on their first call and cached next to this file (``__pycache__``) or in
numba's user-wide cache; when no cache location is writable they are compiled in memory on every process start.

Every kernel reproduces the decisions of the vectorised numpy passes it replaced (kept as the oracle in
``tests/classifier/test_normalize_kernel.py``) on the flat array of the whole batch, post ends included, so
results are bit-identical. The rules themselves are documented in ``normalize.py``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from mlmrisk.classifier.normalize import (
    CLASS_CJK,
    CLASS_CONTENT,
    CLASS_POST_END,
    CLASS_STRONG,
    CLASS_WEAK,
    DROP,
    FLAG_MARKED,
    FLAG_MARKED_ALONE,
    FLAG_MEASURE,
    FLAG_NUMBER_LINK,
    FLAG_NUMERAL,
    FLAG_ORDINAL,
    FLAG_ORDINARY_REPEAT,
    FLAG_PAIRED,
    FLAG_STYLED,
    LETTER_NOISE_BELOW,
    LETTER_NOISE_MIXED,
    LETTER_NOISE_SAME,
    MIN_MARKED_JOINS,
    NEWLINE,
    RULE_BITS,
    SEPARATOR,
    SPACE,
    ZERO,
)

_INVISIBLE = RULE_BITS["invisible"]
_SEPARATORS = RULE_BITS["separators"]
_REPEATS = RULE_BITS["repeats"]
_NUMBERS = RULE_BITS["numbers"]
_NOISE = RULE_BITS["noise"]
_NUMERALS = RULE_BITS["numerals"]
_FOLDING = RULE_BITS["folding"]


def _jit(function):
    """``njit(cache=True, nogil=True)``, or without the on-disk cache when numba finds no writable cache location."""
    try:
        return njit(cache=True, nogil=True)(function)
    except RuntimeError:  # "cannot cache function ...: no locator available" (read-only install, no writable home)
        return njit(nogil=True)(function)


@_jit
def _is_text(klass):
    return klass == CLASS_CJK or klass == CLASS_CONTENT


@_jit
def map_characters(raw, spans, char_map, char_rule, char_class, rules):
    """Character map, drops and their rule bits; returns (codes, origin, doc) of the kept characters.

    ``raw`` is the UTF-32 of the posts, each followed by one code point (``spans[d]`` = its length + 1) that becomes
    the post's ``SEPARATOR``. ``invisible`` is reported only for a drop between two letters/digits/Chinese
    characters of the same post.
    """
    size = raw.size
    codes = np.empty(size, dtype=np.int64)
    origin = np.empty(size, dtype=np.int64)
    doc = np.empty(size, dtype=np.int64)
    kept = 0
    i = 0
    prev_text = False  # the last kept character is a letter/digit/Chinese character of the current post
    pending = False  # a drop follows such a character
    for d in range(spans.size):
        last = spans[d] - 1
        prev_text = False
        pending = False
        for k in range(spans[d]):
            if k == last:
                mapped = SEPARATOR
            else:
                cp = raw[i]
                mapped = char_map[cp]
                bits = char_rule[cp] & ~_INVISIBLE
                if bits:
                    rules[d] |= bits
                if mapped == DROP:
                    if prev_text:
                        pending = True
                    i += 1
                    continue
            text = _is_text(char_class[mapped])
            if pending and text:
                rules[d] |= _INVISIBLE
            pending = False
            prev_text = text
            codes[kept] = mapped
            origin[kept] = -1 if mapped == SEPARATOR else k
            doc[kept] = d
            kept += 1
            i += 1
    return codes[:kept], origin[:kept], doc[:kept]


@_jit
def fold_numerals(codes, doc, char_flags, rules):
    """Chinese numerals in a number context become ``0``, in place (a run before a measure word or after 第)."""
    size = codes.size
    i = 0
    while i < size:
        c = codes[i]
        if not ((char_flags[c] & FLAG_NUMERAL) != 0 or c == ZERO):
            i += 1
            continue
        first = i
        while i < size and ((char_flags[codes[i]] & FLAG_NUMERAL) != 0 or codes[i] == ZERO):
            i += 1
        # i is the position after the run (the post end at the latest)
        before = char_flags[codes[first - 1]] if first > 0 else 0
        after = char_flags[codes[i]] if i < size else 0
        if (after & FLAG_MEASURE) != 0 or (before & FLAG_ORDINAL) != 0:
            for p in range(first, i):
                flags = char_flags[codes[p]]
                if (flags & FLAG_NUMERAL) != 0:
                    codes[p] = ZERO
                    rules[doc[p]] |= _NUMERALS
                    if (flags & FLAG_STYLED) != 0:
                        rules[doc[p]] |= _NUMBERS


@_jit
def handle_separators(codes, origin, doc, char_class, char_flags, rules):
    """Join Chinese characters split by weak separators; collapse or trim the other separator runs.

    Runs are maximal stretches of separator-class positions of the flat array (a post end is one, of the strongest
    class). Reports ``separators`` for evasive joins: ≥ ``MIN_MARKED_JOINS`` runs with a marked separator (or a lone
    marked-alone one) in a post, or a character between two identical one-character unbracketed joined runs.
    """
    size = codes.size
    out_codes = np.empty(size, dtype=np.int64)
    out_origin = np.empty(size, dtype=np.int64)
    out_doc = np.empty(size, dtype=np.int64)
    evasive_runs = np.zeros(rules.size, dtype=np.int64)
    kept = 0
    last_plain = -3  # position of the last one-character, unbracketed joined run
    i = 0
    while i < size:
        if char_class[codes[i]] < CLASS_WEAK:
            out_codes[kept] = codes[i]
            out_origin[kept] = origin[i]
            out_doc[kept] = doc[i]
            kept += 1
            i += 1
            continue
        a = i
        strong = marked = alone = paired = False
        while i < size and char_class[codes[i]] >= CLASS_WEAK:
            if char_class[codes[i]] >= CLASS_STRONG:
                strong = True
            flags = char_flags[codes[i]]
            marked = marked or (flags & FLAG_MARKED) != 0
            alone = alone or (flags & FLAG_MARKED_ALONE) != 0
            paired = paired or (flags & FLAG_PAIRED) != 0
            i += 1
        b = i - 1
        has_prev = a > 0
        has_next = i < size
        around_cjk = (has_prev and has_next and char_class[codes[a - 1]] == CLASS_CJK
                      and char_class[codes[i]] == CLASS_CJK)
        run_joins = False
        for s in range(a, b + 1):
            inner = char_class[codes[s]] != CLASS_POST_END
            leading = (not has_prev) or doc[a - 1] != doc[s]
            trailing = (not has_next) or doc[i] != doc[s]
            joining = inner and not strong and around_cjk and not leading and not trailing
            if joining:
                run_joins = True
            first_in_run = s == a or char_class[codes[s - 1]] == CLASS_POST_END
            if inner and (joining or leading or trailing or not first_in_run):
                continue
            out_codes[kept] = (NEWLINE if strong else SPACE) if inner else codes[s]
            out_origin[kept] = origin[s]
            out_doc[kept] = doc[s]
            kept += 1
        if run_joins:
            length = b - a + 1
            if marked or (alone and length == 1):
                d = doc[a]
                evasive_runs[d] += 1
                if evasive_runs[d] >= MIN_MARKED_JOINS:
                    rules[d] |= _SEPARATORS
            if not paired and length == 1:
                # 发.展.下: the character between this run and the previous one, the same separator on both sides
                if last_plain == a - 2 and codes[last_plain] == codes[a]:
                    rules[doc[last_plain]] |= _SEPARATORS
                last_plain = a
    return out_codes[:kept], out_origin[:kept], out_doc[:kept]


@_jit
def collapse_repeats(codes, origin, doc, char_class, char_flags, rules):
    """Keep the first of a run of one Chinese character or of ``0``; report evasive runs (``repeats``).

    Compacts the arrays IN PLACE and returns their kept prefix: the callers (``clean``) pass arrays they made and
    no longer need, and a post keeps nearly all of its characters, so writing three fresh arrays (and faulting in
    their pages) cost more than the walk itself. Position ``kept`` never passes ``i``, and the only read behind
    ``i`` (the character before a run) happens before this step's write.
    """
    size = codes.size
    kept = 0
    i = 0
    while i < size:
        c = codes[i]
        before = codes[i - 1] if i > 0 else 0  # read before the write below, which may land on i - 1
        if kept != i:
            codes[kept] = c
            origin[kept] = origin[i]
            doc[kept] = doc[i]
        kept += 1
        cjk = char_class[c] == CLASS_CJK
        if not (cjk or c == ZERO):
            i += 1
            continue
        j = i + 1
        while j < size and codes[j] == c:
            j += 1
        if j - i > 1:
            if c == ZERO:
                rules[doc[i + 1]] |= _NUMERALS
            elif (char_flags[c] & FLAG_ORDINARY_REPEAT) == 0:
                inside = (i > 0 and char_class[before] == CLASS_CJK
                          and char_class[codes[min(j, size - 1)]] == CLASS_CJK)
                if inside:
                    for t in range(i + 2, j):
                        if origin[t] - origin[t - 2] == 2:  # typed as one run, not joined emoticons [汗][汗][汗]
                            rules[doc[t]] |= _REPEATS
        i = j
    if kept == size:
        return codes, origin, doc
    return codes[:kept], origin[:kept], doc[:kept]


@_jit
def _letter_candidate(codes, i, char_class):
    """Position ``i`` holds a single letter (not a digit) between two Chinese characters."""
    return (codes[i] != ZERO and codes[i] < LETTER_NOISE_BELOW and char_class[codes[i]] == CLASS_CONTENT
            and char_class[codes[i - 1]] == CLASS_CJK and char_class[codes[i + 1]] == CLASS_CJK)


@_jit
def _mark_letter_chain(codes, doc, char_class, first, last, drop, rules):
    for p in range(first, last + 1):
        if _letter_candidate(codes, p, char_class):
            drop[p] = True
            rules[doc[p]] |= _NOISE


@_jit
def _letter_chains(codes, doc, char_class, drop, rules):
    """Mark letter noise in ``drop`` (``normalize.LETTER_NOISE_MIXED``): chains of single letters, each between two
    Chinese characters, one or two Chinese characters apart, of ≥ ``LETTER_NOISE_MIXED`` letters or ≥
    ``LETTER_NOISE_SAME`` of one letter. Returns whether anything was marked."""
    marked = False
    first = -1
    last = -1
    count = 0
    mixed = False
    for i in range(1, codes.size - 1):
        if not _letter_candidate(codes, i, char_class):
            continue
        if last >= 0 and (i - last == 2 or i - last == 3):
            count += 1
            mixed = mixed or codes[i] != codes[first]
        else:
            if count >= LETTER_NOISE_MIXED or (count >= LETTER_NOISE_SAME and not mixed):
                _mark_letter_chain(codes, doc, char_class, first, last, drop, rules)
                marked = True
            first = i
            count = 1
            mixed = False
        last = i
    if count >= LETTER_NOISE_MIXED or (count >= LETTER_NOISE_SAME and not mixed):
        _mark_letter_chain(codes, doc, char_class, first, last, drop, rules)
        marked = True
    return marked


@_jit
def drop_noise(codes, origin, doc, char_class, char_flags, rules):
    """Drop a letter/digit repeated between ≥3 consecutive Chinese characters (动x态x收x益 → 动态收益), and chains of
    single letters between Chinese characters (``_letter_chains``: 网e赚v新c项j目 → 网赚新项目).

    Returns (codes, origin, doc, anything dropped). Digit chains with a link word (3至5) or whose digits all
    precede a measure word (1月1日) stay. Amounts between words (充100送50元) are dropped and reported like noise:
    digits are folded to 0 before this step, so they look exactly like 动8态8收8益 here (docs/normalization_data.md,
    known gaps).
    """
    size = codes.size
    drop = np.zeros(size, dtype=np.bool_)
    dropped = _letter_chains(codes, doc, char_class, drop, rules)
    # pair i: noise candidates at i and i+2 (a letter/digit between Chinese characters) hold the same character,
    # and they are not digits around a link word (3至5). Written out twice: a helper taking the arrays costs a
    # reference count per call.
    first_pair = -1
    for i in range(1, size - 3):
        if (codes[i] == codes[i + 2] and char_class[codes[i]] == CLASS_CONTENT
                and char_class[codes[i - 1]] == CLASS_CJK and char_class[codes[i + 1]] == CLASS_CJK
                and char_class[codes[i + 3]] == CLASS_CJK
                and not (codes[i] == ZERO and (char_flags[codes[i + 1]] & FLAG_NUMBER_LINK) != 0)):
            first_pair = i
            break
    if first_pair < 0 and not dropped:
        return codes, origin, doc, False
    begin = first_pair if first_pair >= 0 else size  # no pair: only letter chains were marked
    pair = np.zeros(size, dtype=np.bool_)  # candidate i and i+2 hold the same character
    for i in range(begin, size - 3):
        pair[i] = (codes[i] == codes[i + 2] and char_class[codes[i]] == CLASS_CONTENT
                   and char_class[codes[i - 1]] == CLASS_CJK and char_class[codes[i + 1]] == CLASS_CJK
                   and char_class[codes[i + 3]] == CLASS_CJK
                   and not (codes[i] == ZERO and (char_flags[codes[i + 1]] & FLAG_NUMBER_LINK) != 0))
    chain_start = -1
    previous = -1
    numbers = True
    for i in range(begin, size):
        if not (pair[i] or (i >= 2 and pair[i - 2])):
            continue
        if chain_start >= 0 and not (pair[previous] and i == previous + 2):
            if not numbers:
                for p in range(chain_start, previous + 1, 2):
                    drop[p] = True
                    rules[doc[p]] |= _NOISE
                dropped = True
            chain_start = -1
        if chain_start < 0:
            chain_start = i
            numbers = True
        numbers = numbers and codes[i] == ZERO and (char_flags[codes[i + 1]] & FLAG_MEASURE) != 0
        previous = i
    if chain_start >= 0 and not numbers:
        for p in range(chain_start, previous + 1, 2):
            drop[p] = True
            rules[doc[p]] |= _NOISE
        dropped = True
    if not dropped:
        return codes, origin, doc, False
    out_codes = np.empty(size, dtype=np.int64)
    out_origin = np.empty(size, dtype=np.int64)
    out_doc = np.empty(size, dtype=np.int64)
    kept = 0
    for i in range(size):
        if not drop[i]:
            out_codes[kept] = codes[i]
            out_origin[kept] = origin[i]
            out_doc[kept] = doc[i]
            kept += 1
    return out_codes[:kept], out_origin[:kept], out_doc[:kept], True


@_jit
def clean(codes, origin, doc, char_class, char_flags, rules):
    """Separators, repeats and noise, until none of them changes anything (a few rounds at most).

    Noise and repeats never reach across a post end, so their rounds run per post: a post that drops noise gets
    up to three rounds (dropping noise can make new repeats and vice versa, rarely) without re-walking the batch.
    Numerals are folded again after separators are removed (三🔥级 joins into 三级, which must read as 0级 like
    三级 does) and after noise is dropped (百A元 → 百元 → 0元), so the normaliser stays idempotent.
    """
    codes, origin, doc = handle_separators(codes, origin, doc, char_class, char_flags, rules)
    fold_numerals(codes, doc, char_flags, rules)
    codes, origin, doc = collapse_repeats(codes, origin, doc, char_class, char_flags, rules)
    size = codes.size
    # Posts holding a noise pair now (see drop_noise; a pair never spans a post end). Only they can change.
    noisy = np.zeros(rules.size, dtype=np.bool_)
    any_noisy = False
    for i in range(1, size - 3):
        if (codes[i] == codes[i + 2] and char_class[codes[i]] == CLASS_CONTENT
                and char_class[codes[i - 1]] == CLASS_CJK and char_class[codes[i + 1]] == CLASS_CJK
                and char_class[codes[i + 3]] == CLASS_CJK
                and not (codes[i] == ZERO and (char_flags[codes[i + 1]] & FLAG_NUMBER_LINK) != 0)):
            noisy[doc[i]] = True
            any_noisy = True
        # two single letters of a possible letter chain (_letter_chains; a cheap test of the code point first)
        elif (codes[i] < LETTER_NOISE_BELOW and codes[i] != ZERO and _letter_candidate(codes, i, char_class)
              and (_letter_candidate(codes, i + 2, char_class)
                   or (i + 4 < size and _letter_candidate(codes, i + 3, char_class)))):
            noisy[doc[i]] = True
            any_noisy = True
    if not any_noisy:
        return codes, origin, doc
    # Only the noisy posts are cleaned further; the batch is compacted in place behind them (``kept`` never passes
    # ``start``), so posts before the first one that shrinks are not even copied.
    kept = 0
    start = 0
    while start < size:
        end = start + 1
        while end < size and doc[end] == doc[start]:
            end += 1
        length = end - start
        if noisy[doc[start]]:
            post_codes, post_origin, post_doc = codes[start:end], origin[start:end], doc[start:end]
            for _ in range(3):
                post_codes, post_origin, post_doc, dropped = drop_noise(post_codes, post_origin, post_doc,
                                                                        char_class, char_flags, rules)
                if not dropped:
                    break
                # dropping noise can put a numeral next to its measure word (百A元 → 百元): fold it as 百元 is
                fold_numerals(post_codes, post_doc, char_flags, rules)
                post_codes, post_origin, post_doc = collapse_repeats(post_codes, post_origin, post_doc, char_class,
                                                                     char_flags, rules)
            length = post_codes.size
            if post_codes.size != end - start or kept != start:  # a dropped post is a fresh array: no overlap
                for t in range(length):
                    codes[kept + t] = post_codes[t]
                    origin[kept + t] = post_origin[t]
                    doc[kept + t] = post_doc[t]
        elif kept != start:
            for t in range(length):  # forward: kept < start, so nothing is read after it is overwritten
                codes[kept + t] = codes[start + t]
                origin[kept + t] = origin[start + t]
                doc[kept + t] = doc[start + t]
        kept += length
        start = end
    if kept == size:
        return codes, origin, doc
    return codes[:kept], origin[:kept], doc[:kept]


@_jit
def normalize_core(raw, spans, char_map, char_rule, char_class, char_flags, rules):
    """Everything before folding: character map, numerals, then ``clean``. Returns (codes, origin, doc)."""
    codes, origin, doc = map_characters(raw, spans, char_map, char_rule, char_class, rules)
    fold_numerals(codes, doc, char_flags, rules)
    return clean(codes, origin, doc, char_class, char_flags, rules)


@_jit
def _fold_candidates(codes, heads):
    """Positions holding a code point that starts some folding entry (few: ~3 in a post of ~50 characters).

    One pass into an array as long as ``codes``: only the pages it writes are ever touched, so it costs less than
    a second pass counting first."""
    candidates = np.empty(codes.size, dtype=np.int64)
    count = 0
    for p in range(codes.size):
        if heads[codes[p]]:
            candidates[count] = p
            count += 1
    return candidates[:count]


@_jit
def _match_group(codes, candidates, heads, bit, phrases, lo, hi, length, entries, found_at, found_entry):
    """Matches of one length group at the candidate positions, in position order; returns how many were found.

    A function of its own so that no array variable is reassigned inside the scan: numba then keeps the arrays'
    reference counts out of the loop (reassigning ``candidates`` or the growing match arrays in ``apply_folds``'
    loop made it incref and decref them at every step, ~4 % of a bulk run).
    """
    size = codes.size
    n_found = 0
    for ci in range(candidates.size):
        p = candidates[ci]
        if p > size - length:
            break
        c = codes[p]
        if (heads[c] & bit) == 0:  # no phrase of this group starts with c
            continue
        a = lo  # binary search: the first row of the group whose phrase starts with c or later
        b = hi
        while a < b:
            middle = (a + b) >> 1
            if phrases[middle, 0] < c:
                a = middle + 1
            else:
                b = middle
        k = a
        while k < hi and phrases[k, 0] == c:
            same = True
            for j in range(1, length):
                if codes[p + j] != phrases[k, j]:
                    same = False
                    break
            if same:
                found_at[n_found] = p
                found_entry[n_found] = entries[k]
                n_found += 1
                break
            k += 1
    return n_found


@_jit
def apply_folds(codes, doc, heads, group_bounds, group_lengths, phrases, entries, targets, rules):
    """Replace folding-table variants in place, longest entries first; returns ``(any fold,)``.

    Per length group (``group_bounds[g]:group_bounds[g+1]`` rows of ``phrases``, sorted by first code point, then
    entry index), every match is found on the codes as they were before the group's replacements, and the
    replacements are applied in position order: what ``PhraseMatcher.find`` + ``normalize._apply_folds`` did.
    """
    folded = False
    candidates = _fold_candidates(codes, heads)
    # at most one match per candidate position and group
    found_at = np.empty(candidates.size, dtype=np.int64)
    found_entry = np.empty(candidates.size, dtype=np.int64)
    for g in range(group_lengths.size):
        if candidates.size == 0:
            break
        length = group_lengths[g]
        n_found = _match_group(codes, candidates, heads, 1 << min(g, 7), phrases, group_bounds[g],
                               group_bounds[g + 1], length, entries, found_at, found_entry)
        for m in range(n_found):
            p = found_at[m]
            e = found_entry[m]
            for j in range(length):
                codes[p + j] = targets[e, j]
            rules[doc[p]] |= _FOLDING
            folded = True
        if n_found:  # a replacement may create or remove phrase-starting characters
            candidates = _fold_candidates(codes, heads)
            found_at = np.empty(candidates.size, dtype=np.int64)
            found_entry = np.empty(candidates.size, dtype=np.int64)
    return (folded,)
