"""The numba normaliser against the numpy implementation it replaced (the oracle below, kept verbatim).

``classifier/normalize.py`` walks each post with compiled kernels; the vectorised numpy passes it replaced are kept
here, unchanged except for the entry point's name, and every ``NormalizedBatch`` field must come out identical.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
    NormalizedBatch,
    NormalizerTables,
    normalize_batch,
)

# --- oracle: the numpy implementation (classifier/normalize.py before the numba kernels) ------------------------

def oracle_normalize_batch(texts: Sequence[str], tables: NormalizerTables) -> NormalizedBatch:
    """Normalise a batch of strings (callers turn non-strings into errors before calling)."""
    n = len(texts)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return NormalizedBatch(empty, empty, empty, np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.uint16))
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    rules = np.zeros(n, dtype=np.uint16)
    if lengths.max() > tables.max_chars:
        long = lengths > tables.max_chars
        rules[long] |= RULE_BITS["truncated"]
        texts = [t[: tables.max_chars] if too_long else t for t, too_long in zip(texts, long)]
        lengths = np.minimum(lengths, tables.max_chars)

    joined = "\x00".join(texts) + "\x00"
    raw = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    spans = lengths + 1
    ends = np.cumsum(spans)
    post_end = ends - 1
    doc_raw = np.repeat(np.arange(n, dtype=np.int64), spans)
    within = np.arange(raw.size, dtype=np.int64) - np.repeat(ends - spans, spans)

    mapped = tables.char_map[raw]
    mapped[post_end] = SEPARATOR
    rule_raw = tables.char_rule[raw]
    rule_raw[post_end] = 0
    invisible = RULE_BITS["invisible"]
    changed = np.flatnonzero(rule_raw & ~np.uint16(invisible))
    if changed.size:
        np.bitwise_or.at(rules, doc_raw[changed], rule_raw[changed] & ~np.uint16(invisible))

    keep = np.flatnonzero(mapped != DROP)
    _report_invisible(mapped, keep, doc_raw, tables.char_class, rules)
    codes = mapped[keep].astype(np.int64)
    origin = within[keep]
    doc = doc_raw[keep]
    origin[codes == SEPARATOR] = -1

    _fold_numerals(codes, doc, tables, rules)
    codes, origin, doc = _clean(codes, origin, doc, tables, rules)
    for _ in range(3):  # folds and cleaning can enable each other (rare): a few rounds reach a fixed point
        folded = _apply_folds(codes, doc, tables, rules)
        if not folded:
            break
        # The one change to the verbatim original: after a fold the whole clean runs, never just the repeat
        # collapse. The original chose by whether ANY fold of the batch changed a class, so a post folded next to
        # one that did (c销) was cleaned and alone it was not: 好a钱銭a多 gave 好a钱a多 alone and 好钱多 beside c销
        # (the fold makes a repeat, collapsing it a noise pair). Posts no fold touched are fixed points of clean.
        codes, origin, doc = _clean(codes, origin, doc, tables, rules)
    starts = np.zeros(n + 1, dtype=np.int64)
    starts[1:] = np.flatnonzero(codes == SEPARATOR) + 1
    return NormalizedBatch(codes, origin, doc, starts, rules)


def _clean(codes: np.ndarray, origin: np.ndarray, doc: np.ndarray, tables: "NormalizerTables", rules: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Separators, numerals again, repeats and noise, until none of them changes anything (a few rounds at most)."""
    codes, origin, doc = _handle_separators(codes, origin, doc, tables, rules)
    _fold_numerals(codes, doc, tables, rules)
    codes, origin, doc = _collapse_repeats(codes, origin, doc, tables, rules)
    for _ in range(3):  # dropping noise can make new repeats and vice versa (rare): a few rounds reach a fixpoint
        dropped = _drop_noise(codes, origin, doc, tables, rules)
        if dropped is None:
            break
        codes, origin, doc = codes[dropped], origin[dropped], doc[dropped]
        # dropping noise can put a numeral next to its measure word or after 第 (百A元 → 百元, 第a二 → 第二): the
        # kernel folds it as the undisturbed text is folded (found by a review's fuzzing: 头a下下下a一一a第a二二二a…)
        _fold_numerals(codes, doc, tables, rules)
        codes, origin, doc = _collapse_repeats(codes, origin, doc, tables, rules)
    return codes, origin, doc


def _is_text(klass: np.ndarray) -> np.ndarray:
    return (klass == CLASS_CJK) | (klass == CLASS_CONTENT)


def _report_invisible(mapped: np.ndarray, keep: np.ndarray, doc_raw: np.ndarray, char_class: np.ndarray,
                      rules: np.ndarray) -> None:
    """Report ``invisible`` only for a dropped character BETWEEN two letters/digits/Chinese characters (发\u200b展).

    Weibo appends U+200B after posts and emoji carry variation selectors (❤\ufe0f): dropping those is routine.
    """
    dropped = np.flatnonzero(mapped == DROP)
    if dropped.size == 0:
        return
    j = np.searchsorted(keep, dropped)  # the kept character after the dropped one (a post end is always kept)
    has_prev = j > 0
    dropped, j = dropped[has_prev], j[has_prev]
    prev, nxt = keep[j - 1], keep[j]
    inside = (_is_text(char_class[mapped[prev]]) & _is_text(char_class[mapped[nxt]])
              & (doc_raw[prev] == doc_raw[dropped]))
    if inside.any():
        np.bitwise_or.at(rules, doc_raw[dropped[inside]], RULE_BITS["invisible"])


def _fold_numerals(codes: np.ndarray, doc: np.ndarray, tables: NormalizerTables, rules: np.ndarray) -> None:
    """Chinese numerals become ``0`` in a number context, in place: 三级 → 0级, 第五代 → 第0代, 一百元 → 000元.

    A run of numerals and digits is a number when a measure word follows it or an ordinal prefix (第) precedes
    it; 一起, 一定, 统一 are left alone. Financial forms that are also words (肆伍陆拾) are handled here too.
    """
    flags = tables.char_flags[codes]
    numberish = ((flags & FLAG_NUMERAL) != 0) | (codes == ZERO)
    positions = np.flatnonzero(numberish)
    if positions.size == 0 or not (flags[positions] & FLAG_NUMERAL).any():
        return
    first = np.ones(positions.size, dtype=bool)
    first[1:] = positions[1:] != positions[:-1] + 1
    run_id = np.cumsum(first) - 1
    run_first = positions[first]
    last = np.ones(positions.size, dtype=bool)
    last[:-1] = first[1:]
    run_last = positions[last]
    before = np.where(run_first > 0, flags[np.maximum(run_first - 1, 0)], 0)
    number = ((flags[run_last + 1] & FLAG_MEASURE) != 0) | ((before & FLAG_ORDINAL) != 0)
    fold = positions[number[run_id] & ((flags[positions] & FLAG_NUMERAL) != 0)]
    if fold.size == 0:
        return
    codes[fold] = ZERO
    np.bitwise_or.at(rules, doc[fold], RULE_BITS["numerals"])
    styled = fold[(flags[fold] & FLAG_STYLED) != 0]
    if styled.size:
        np.bitwise_or.at(rules, doc[styled], RULE_BITS["numbers"])


def _collapse_repeats(
    codes: np.ndarray, origin: np.ndarray, doc: np.ndarray, tables: NormalizerTables, rules: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep only the first of a run of identical Chinese characters (下下下线 → 下线) or of ``0`` digits (000 → 0).

    ``repeats`` is reported for a run of 3 or more, typed as one, of a character that is not an interjection, with
    Chinese characters on both sides (发展下下下线). 哈哈哈 and a standalone 差差差 are routine; a double such as
    谢谢 or 拉拉 cannot be told from ordinary reduplication and is folded silently.
    ``0`` runs are the routine ``numerals`` rule.
    """
    same = np.zeros(codes.size, dtype=bool)
    same[1:] = codes[1:] == codes[:-1]
    klass = tables.char_class[codes]
    cjk_repeat = same & (klass == CLASS_CJK)
    zero_repeat = same & (codes == ZERO)
    drop = cjk_repeat | zero_repeat
    if not drop.any():
        return codes, origin, doc
    if zero_repeat.any():
        np.bitwise_or.at(rules, doc[zero_repeat], RULE_BITS["numerals"])
    third = np.zeros(codes.size, dtype=bool)
    # only runs typed as one (下下下): [汗][汗][汗] is three Weibo emoticons joined by the separator rule
    third[2:] = cjk_repeat[2:] & cjk_repeat[1:-1] & (origin[2:] - origin[:-2] == 2)
    third &= (tables.char_flags[codes] & FLAG_ORDINARY_REPEAT) == 0
    if third.any():
        # and only inside a word (发展下下下线): 差差差 and 买买买 on their own are emphasis
        index = np.arange(codes.size)
        head = np.maximum.accumulate(np.where(cjk_repeat, 0, index))
        ends_run = np.ones(codes.size, dtype=bool)
        ends_run[:-1] = ~cjk_repeat[1:]
        tail = np.minimum.accumulate(np.where(ends_run, index, codes.size - 1)[::-1])[::-1]
        cjk = klass == CLASS_CJK
        third &= (head > 0) & cjk[np.maximum(head - 1, 0)] & cjk[np.minimum(tail + 1, codes.size - 1)]
    if third.any():
        np.bitwise_or.at(rules, doc[third], RULE_BITS["repeats"])
    keep = ~drop
    return codes[keep], origin[keep], doc[keep]


def _letter_chains(codes: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    """Positions of letter noise (``normalize.LETTER_NOISE_MIXED``): single letters (not digits) between Chinese
    characters, chained at strides 2–3, ≥ LETTER_NOISE_MIXED of them or ≥ LETTER_NOISE_SAME of one letter.
    Written for the letter-noise rule as a vectorised oracle of ``_letter_chains`` in the kernels."""
    at = np.flatnonzero(candidate & (codes != ZERO) & (codes < LETTER_NOISE_BELOW))
    if at.size == 0:
        return at
    first = np.ones(at.size, dtype=bool)
    first[1:] = ~np.isin(np.diff(at), (2, 3))
    chain = np.cumsum(first) - 1
    size = np.bincount(chain)
    start = at[np.flatnonzero(first)][chain]  # each letter's chain's first position
    mixed = np.bincount(chain, weights=codes[at] != codes[start]) > 0
    keep = (size >= LETTER_NOISE_MIXED) | ((size >= LETTER_NOISE_SAME) & ~mixed)
    return at[keep[chain]]


def _drop_noise(codes: np.ndarray, origin: np.ndarray, doc: np.ndarray, tables: NormalizerTables,
                rules: np.ndarray) -> np.ndarray | None:
    """Mask of positions to keep after dropping a noise character repeated between Chinese characters.

    动x态x收x益 → 动态收益: the same single non-Chinese letter/digit between each of ≥3 consecutive Chinese
    characters. One occurrence (3级, A股, K线) is content and stays. Digits are numbers, not noise, when a link
    word sits between them (3至5岁, 4比3, 第一第二: ``number_links`` in the spec) or when every digit of the chain
    is followed by a measure word (1月1日, 3人3天). Returns None when nothing is dropped.
    """
    if codes.size < 5:
        return None
    klass = tables.char_class[codes]
    cjk = klass == CLASS_CJK
    candidate = np.zeros(codes.size, dtype=bool)
    candidate[1:-1] = (klass[1:-1] == CLASS_CONTENT) & cjk[:-2] & cjk[2:]
    if candidate.sum() < 2:
        return None
    letters = _letter_chains(codes, candidate)  # added with letter noise (not in the numpy original)
    pair = np.zeros(codes.size, dtype=bool)  # candidate i and i+2 hold the same character
    pair[:-2] = candidate[:-2] & candidate[2:] & (codes[:-2] == codes[2:])
    at = np.flatnonzero(pair)
    linked = (codes[at] == ZERO) & ((tables.char_flags[codes[at + 1]] & FLAG_NUMBER_LINK) != 0)
    pair[at[linked]] = False
    if not pair.any() and letters.size == 0:
        return None
    member = pair.copy()
    member[2:] |= pair[:-2]
    # Chains: runs of members at stride 2. A chain of digits that all precede a measure word is kept.
    positions = np.flatnonzero(member)
    first = np.ones(positions.size, dtype=bool)
    first[1:] = ~pair[positions[:-1]] | (positions[1:] != positions[:-1] + 2)
    chain = np.cumsum(first) - 1
    counted = (codes[positions] == ZERO) & ((tables.char_flags[codes[positions + 1]] & FLAG_MEASURE) != 0)
    numbers = np.bincount(chain, weights=counted, minlength=1) == np.bincount(chain, minlength=1)
    drop = np.union1d(positions[~numbers[chain]], letters)
    if drop.size == 0:
        return None
    np.bitwise_or.at(rules, doc[drop], RULE_BITS["noise"])
    keep = np.ones(codes.size, dtype=bool)
    keep[drop] = False
    return keep


def _handle_separators(
    codes: np.ndarray, origin: np.ndarray, doc: np.ndarray, tables: NormalizerTables, rules: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Join Chinese characters split by weak separators; collapse or trim the other separator runs.

    Works on the separator positions only (a fraction of the text): each run of separators is located between
    the content characters around it with one ``searchsorted``.

    ``separators`` is reported only when a join looks evasive: the run holds a marked separator (a symbol or
    emoji, or a lone ``.``/``*``/``|``/``_``), or a single Chinese character is joined on both sides by the same
    one-character separator (发 展 下 — two joins in one alternating run; not 闹,说:妈, not brackets: [汗][汗]).
    """
    char_class = tables.char_class
    klass = char_class[codes]
    sepish = klass >= CLASS_WEAK
    seps = np.flatnonzero(sepish)
    content = np.flatnonzero(~sepish)
    if seps.size == 0:
        return codes, origin, doc
    sep_class = klass[seps]
    # Runs: maximal stretches of consecutive separator positions.
    run_start = np.ones(seps.size, dtype=bool)
    run_start[1:] = seps[1:] != seps[:-1] + 1
    run_id = np.cumsum(run_start) - 1
    strong = np.bincount(run_id, weights=sep_class >= CLASS_STRONG) > 0
    j = np.searchsorted(content, seps)
    has_prev = j > 0
    has_next = j < content.size
    prev = content[np.where(has_prev, j - 1, 0)] if content.size else np.zeros_like(seps)
    nxt = content[np.where(has_next, j, 0)] if content.size else np.zeros_like(seps)
    own_doc = doc[seps]
    inner = sep_class != CLASS_POST_END
    run_strong = strong[run_id]
    leading = ~has_prev | (doc[prev] != own_doc)
    trailing = ~has_next | (doc[nxt] != own_doc)
    joining = (inner & ~run_strong & has_prev & has_next & (klass[prev] == CLASS_CJK)
               & (klass[nxt] == CLASS_CJK) & ~leading & ~trailing)
    if joining.any():
        _report_joins(codes, seps, run_start, run_id, joining, tables.char_flags, own_doc, rules)
    first_in_run = run_start | (klass[seps - 1] == CLASS_POST_END)
    drop = inner & (joining | leading | trailing | ~first_in_run)
    collapse = inner & ~drop
    codes = codes.copy()
    codes[seps[collapse]] = np.where(run_strong[collapse], NEWLINE, SPACE)
    keep = np.ones(codes.size, dtype=bool)
    keep[seps[drop]] = False
    return codes[keep], origin[keep], doc[keep]


def _report_joins(codes: np.ndarray, seps: np.ndarray, run_start: np.ndarray, run_id: np.ndarray,
                  joining: np.ndarray, char_flags: np.ndarray, own_doc: np.ndarray, rules: np.ndarray) -> None:
    """Set ``separators`` for posts where a join looks evasive (see ``_handle_separators``)."""
    flags = char_flags[codes[seps]]
    n_runs = int(run_id[-1]) + 1
    run_len = np.bincount(run_id, minlength=n_runs)
    marked = np.bincount(run_id, weights=(flags & FLAG_MARKED) != 0, minlength=n_runs) > 0
    alone = np.bincount(run_id, weights=(flags & FLAG_MARKED_ALONE) != 0, minlength=n_runs) > 0
    paired = np.bincount(run_id, weights=(flags & FLAG_PAIRED) != 0, minlength=n_runs) > 0
    run_joins = np.bincount(run_id, weights=joining, minlength=n_runs) > 0
    evasive = run_joins & (marked | (alone & (run_len == 1)))
    # Alternation: a Chinese character with a joined (unbracketed) run right before AND right after it.
    plain = run_joins & ~paired & (run_len == 1)
    first_pos = seps[run_start]
    last_pos = np.zeros(n_runs, dtype=np.int64)
    last_pos[run_id] = seps  # the last write per run wins: its last position
    joined_left = np.zeros(codes.size + 1, dtype=bool)
    joined_right = np.zeros(codes.size + 1, dtype=bool)
    joined_left[last_pos[plain] + 1] = True  # the character after a run is joined on its left
    joined_right[first_pos[plain] - 1] = True
    sandwiched = joined_left & joined_right
    sandwiched[1:-2] &= codes[:-2] == codes[2:]  # the same separator on both sides (发.展.下, not 闹,说:妈)
    sandwiched[[0, -2, -1]] = False
    run_doc = own_doc[run_start]
    if evasive.any():
        # one emoji between two Chinese characters is ordinary decoration (about 5% of Weibo posts); an evasion
        # inserts several
        count = np.bincount(run_doc[evasive], minlength=rules.size)
        np.bitwise_or.at(rules, np.flatnonzero(count >= MIN_MARKED_JOINS), RULE_BITS["separators"])
    if sandwiched.any():
        # every sandwiched character is the character after some plain run: report that run's post
        hit = sandwiched[last_pos + 1] & plain
        np.bitwise_or.at(rules, run_doc[hit], RULE_BITS["separators"])


def _apply_folds(
    codes: np.ndarray, doc: np.ndarray, tables: NormalizerTables, rules: np.ndarray
) -> bool:
    """Replace folding-table variants in place, longest entries first; returns whether any replacement happened."""
    folded = False
    candidates = tables.folds.candidates(codes)  # one scan for all lengths; most posts have no candidate
    for group in tables.folds.groups:
        if candidates.size == 0:
            break
        matches = tables.folds.find(codes, group, candidates)
        for position, entry in matches:
            codes[position : position + group.length] = tables.fold_targets[entry]
            rules[doc[position]] |= RULE_BITS["folding"]
            folded = True
        if matches:  # a replacement may create or remove phrase-starting characters
            candidates = tables.folds.candidates(codes)
    return folded


# --- the kernel version must equal the oracle ---------------------------------------------------------------------

FIELDS = ("codes", "origin", "doc", "starts", "rules")


def assert_same(texts: list[str], tables: NormalizerTables) -> None:
    expected = oracle_normalize_batch(texts, tables)
    got = normalize_batch(texts, tables)
    for name in FIELDS:
        want, have = getattr(expected, name), getattr(got, name)
        assert have.dtype == want.dtype, (name, texts)
        assert have.shape == want.shape, (name, texts)
        assert np.array_equal(have, want), (name, texts)


# The special alphabet of test_normalize.py plus what the rules look at: sentence boundaries, brackets, marked and
# alone separators, NUL, link and measure words, interjections, a character that folds ASCII into Chinese (c销).
_SAMPLE_CHARS = ("发展下线團隊獎金加薇信威芯ＡＢＣabc０１２3 .|*·🔥😀\u200b\u200d\ufeff\u2060\n。！，、传销直推见点奖"
                 "下下拉人头一二三十百级代元第叁肆①⑴❶➀㈠⒈ⅩxX1ⓐ⒜𝕒🈲㊙🈶至月")
_EXTRA_CHARS = "[]【】“”（）_…；;!?\x00\r\t\u3000c微哈拾伍0㐀比日两钱銭a"


@pytest.fixture(scope="module")
def fold_variants() -> list[str]:
    from mlmrisk.training.folding import load_folding_table

    return [e.variant for e in load_folding_table()]


def _texts(variants: list[str]):
    pieces = st.one_of(st.text(alphabet=_SAMPLE_CHARS + _EXTRA_CHARS, max_size=8), st.sampled_from(variants))
    special = st.lists(pieces, max_size=12).map("".join)
    short = st.one_of(st.just(""), st.text(max_size=60), st.text(alphabet=_SAMPLE_CHARS, max_size=60), special)
    long = st.builds(lambda text, times: text * times, st.one_of(special, st.text(min_size=1, max_size=30)),
                     st.integers(50, 1500))  # up to ~45,000 characters: beyond max_chars (truncated)
    return st.one_of(short, short, short, long)


def _check_against_oracle(tables, fold_variants, examples: int, max_size: int) -> None:
    """Hypothesis batches of up to ``max_size`` posts, each normalised by the kernels and by the oracle."""
    @settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                           HealthCheck.data_too_large])
    @given(texts=st.lists(_texts(fold_variants), min_size=1, max_size=max_size))
    def check(texts):
        assert_same(texts, tables)

    check()


def test_kernel_equals_oracle(tables, fold_variants):
    _check_against_oracle(tables, fold_variants, 2000, 8)


@pytest.mark.parametrize("texts", [
    [""], ["", ""], ["", "发.展.下.线", ""], ["\x00"], ["传X0㐀0㐀"], ["c销"], ["加 薇 信 🔥"], ["发x展x下x线", "拉1人1头"],
    ["发展下下下线"], ["[汗][汗][汗]"], ["在1月1日", "适合3至5岁"], ["第一第二"], ["一百元", "100元"],
    # a batch where some posts fold (one reclassing: c销 becomes Chinese) and others, with separators and repeats
    # of their own, do not: only the folded posts are settled again (normalize._settle_folded)
    ["今天.天.气 不错", "c销 发.展", "微薇信", "好好好好", "拉 人 头", "", "威芯 加我", "没有变化的帖子"],
    ["微薇信", "微薇信微薇信"], ["c销", "c销c销下.线"],
    # a fold that makes a repeat whose collapse makes a noise pair: cleaned the same alone and beside a reclassing fold
    ["好a钱銭a多"], ["好a钱銭a多", "c销"],
    # numerals that meet their context only once the noise between them is dropped
    ["头a下下下a一一a第a二二二a下a好好a月"], ["百A元"],
    # letter noise: chains of different letters (≥4) or of one letter at strides 2–3 (≥3), beside kept ones
    ["网e赚v新c项j目", "选了A选不上B选了D", "打法o投资o风险o学费"], ["就x能成x为正x式会x员"],
    ["动α态β收γ益", "在A区B栋C座", "网e赚v新c项j目x"], ["e网v赚c新", "网e赚v新c项j目d下x下a线"],
])
def test_kernel_equals_oracle_examples(tables, texts):
    assert_same(texts, tables)


@pytest.mark.parametrize("few", [0, 10**9])
def test_both_rebuilds_of_folded_posts_equal_the_oracle(tables, fold_variants, monkeypatch, few):
    """``_settle_folded`` puts the settled posts back with one slice per untouched stretch when few posts folded
    and with masks over the batch when many did; each way alone must give the oracle's arrays."""
    import mlmrisk.classifier.normalize as module

    monkeypatch.setattr(module, "_FEW_FOLDED", few)
    _check_against_oracle(tables, fold_variants, 300, 10)
    assert_same(["今天.天.气 不错", "c销 发.展", "微薇信", "好a钱銭a多", "", "c销c销下.线", "没有变化的帖子"], tables)


def test_a_post_normalises_the_same_in_any_batch(tables, fold_variants):
    """A post's result must not depend on its neighbours (the fold/clean rounds run on the folded posts only)."""
    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                      HealthCheck.data_too_large])
    @given(texts=st.lists(_texts(fold_variants), min_size=2, max_size=6))
    def check(texts):
        batch = normalize_batch(texts, tables)
        for i, text in enumerate(texts):
            alone = normalize_batch([text], tables)
            lo, hi = batch.starts[i], batch.starts[i + 1]
            assert np.array_equal(batch.codes[lo:hi], alone.codes)
            assert np.array_equal(batch.origin[lo:hi], alone.origin)
            assert np.all(batch.doc[lo:hi] == i)
            assert batch.rules[i] == alone.rules[0]

    check()


def test_kernel_equals_oracle_on_real_posts(tables, shared_data):
    import json

    for name in ("weibo2018", "mudou_spam_sms", "online_shopping_10cats", "cail2018_facts"):
        with open(shared_data / "negatives" / f"{name}.jsonl", encoding="utf-8") as f:
            texts = [json.loads(line)["text"] for _, line in zip(range(2000), f)]
        for start in range(0, len(texts), 500):
            assert_same(texts[start : start + 500], tables)


# --- lazy compilation, cache fallback -----------------------------------------------------------------------------


def test_import_does_not_load_numba():
    """``import mlmrisk`` (and the scorer) neither imports numba nor compiles: the kernels load on first use."""
    import subprocess
    import sys

    code = ("import sys, mlmrisk, mlmrisk.classifier.normalize, mlmrisk.serving.scorer; "
            "assert 'numba' not in sys.modules and 'mlmrisk.classifier._normalize_kernels' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_kernels_work_without_a_writable_cache(monkeypatch):
    """No writable cache location (read-only install, read-only home): compile in memory instead of failing."""
    import errno
    import importlib.util

    import numba.core.caching as caching

    from mlmrisk.classifier import _normalize_kernels

    def unwritable(self):
        raise OSError(errno.EROFS, "read-only file system")

    monkeypatch.setattr(caching._CacheLocator, "ensure_cache_path", unwritable)
    spec = importlib.util.spec_from_file_location("normalize_kernels_uncached", _normalize_kernels.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # njit(cache=True) raises here without the fallback
    assert isinstance(module.fold_numerals._cache, caching.NullCache)
    codes = np.array([ord("三"), ord("级"), SEPARATOR], dtype=np.int64)
    flags = np.zeros(0x110000, dtype=np.uint16)
    flags[ord("三")], flags[ord("级")] = FLAG_NUMERAL, FLAG_MEASURE
    rules = np.zeros(1, dtype=np.uint16)
    module.fold_numerals(codes, np.zeros(3, dtype=np.int64), flags, rules)
    assert codes.tolist() == [ZERO, ord("级"), SEPARATOR] and rules[0] == RULE_BITS["numerals"]


def test_numerals_after_a_separator_join_are_idempotent(tables):
    """三/元 joins into 三元, and numerals are folded again after the join, so one pass gives 0元."""
    once = oracle_normalize_batch(["三/元"], tables).text(0)
    assert normalize_batch([once], tables).text(0) == once
