"""numba kernels of the feature step: n-gram hashing (both channels) and passage membership.

The formulas are stated once, in ``classifier.features``' docstring; this module is their only implementation
(``features.hash_grams``, ``features.passages`` and ``features.feeds`` call it). Every kernel is compiled lazily,
on first use, with ``cache=True``: a process that finds the on-disk cache (``__pycache__`` next to this file, or
numba's user-wide cache directory) loads the machine code instead of compiling it; where no cache location is
writable the kernels are compiled in memory, per process, and still work.

This module imports numba; ``classifier.features`` imports it lazily (``import mlmrisk`` and
``import mlmrisk.classifier.features`` neither import numba nor compile anything).

Output order is the one the numpy implementation had (the tests hold the two equal): grams channel by channel
(characters, then syllables), order by order ascending, then by first position; passage entries first every gram
of the posts that fit one passage, then the grams of long posts in tiling A, then those in tiling B.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from mlmrisk.classifier.features import K1, K2, K3
from mlmrisk.classifier.normalize import DIGIT_ZERO, NEWLINE, SEPARATOR, SPACE
from mlmrisk.classifier.pinyin import LATIN_A, LATIN_Z, NO_SYLLABLE

_S31 = np.uint64(31)


def _jit(fn):
    """``njit(cache=True, nogil=True)``; without a writable cache location, the same kernel compiled per process.

    numba looks for a cache location when the function is decorated and raises ``RuntimeError`` when none is
    usable (read-only install, no writable home); a slower first call beats an import error.
    """
    try:
        return njit(cache=True, nogil=True)(fn)
    except RuntimeError:  # pragma: no cover - depends on the file system
        return njit(cache=False, nogil=True)(fn)


@_jit
def latin_runs(codes, max_run):
    """Maximal runs of Latin letters a–z of length 2 … ``max_run``: (start[R], end[R]).

    Shorter runs give no syllables and longer ones are not segmented (``pinyin.MAX_LATIN_RUN``), so only these
    reach the splitter (``latin_events``).
    """
    t = codes.size
    start = np.empty(t // 2 + 1, dtype=np.int64)  # a run takes at least two positions
    end = np.empty(t // 2 + 1, dtype=np.int64)
    r = 0
    i = 0
    while i < t:
        if LATIN_A <= codes[i] <= LATIN_Z:
            j = i + 1
            while j < t and LATIN_A <= codes[j] <= LATIN_Z:
                j += 1
            if 2 <= j - i <= max_run:
                start[r] = i
                end[r] = j
                r += 1
            i = j
        else:
            i += 1
    return start[:r], end[:r]


@njit(nogil=True, inline="always")
def _mix(h, salt, shift):
    return np.int64((((h ^ (h >> _S31)) * K3) + salt) >> shift)


@njit(nogil=True, inline="always")
def _no_content(codes, a, b):
    """True when codes[a:b] (or codes[b:a]) holds only separators, spaces and newlines."""
    if b < a:
        a, b = b, a
    for i in range(a, b):
        c = codes[i]
        if c != SEPARATOR and c != SPACE and c != NEWLINE:
            return False
    return True


@_jit
def hash_grams(codes, doc, char_orders, pinyin_orders, char_syllable, latin_syllable, latin_start, latin_end,
               block, salts, bits, syllable_base):
    """Every gram of a flat normalised batch: (bucket, doc, start, end), int64[G] each.

    ``char_orders``/``pinyin_orders`` are bool masks indexed by order (length max order + 1; length ≤ 1: channel
    off). ``char_syllable`` is the int16 char → syllable table (empty: no syllable channel); the Latin events
    (from ``pinyin.latin_events``) are sorted by start. ``block`` (uint8, one per position, or empty): no
    character n-gram covers a position marked 1 (``features.latin_block``). ``salts[channel, order]``.
    """
    t = codes.size
    shift = np.uint64(64 - bits)
    max_c = char_orders.size - 1
    max_p = pinyin_orders.size - 1 if char_syllable.size else 0
    # characters: run[i] = how many non-separator symbols start at i (capped at max_c); an n-gram at i is valid
    # when run[i] ≥ n
    n_char = 0
    run = np.zeros(t + 1, dtype=np.int64)
    count_c = np.zeros(max(max_c, 0) + 2, dtype=np.int64)
    if max_c > 0:
        blocking = block.size > 0
        for i in range(t - 1, -1, -1):
            r = 0 if codes[i] == SEPARATOR or (blocking and block[i] != 0) else min(run[i + 1] + 1, max_c)
            run[i] = r
            count_c[r] += 1
        for n in range(max_c - 1, 0, -1):  # count_c[n] = grams of order n = positions with run ≥ n
            count_c[n] += count_c[n + 1]
        for n in range(1, max_c + 1):
            if char_orders[n]:
                n_char += count_c[n]
    # syllable events: a CJK character with a reading, then the Latin events starting at the same position
    n_latin = latin_start.size
    n_events = 0
    ev_sym = np.empty(0, dtype=np.uint64)
    ev_start = np.empty(0, dtype=np.int64)
    ev_end = np.empty(0, dtype=np.int64)
    ev_run = np.empty(0, dtype=np.int64)
    n_syl = 0
    count_p = np.zeros(max(max_p, 0) + 2, dtype=np.int64)
    if max_p > 0 and t > 0:
        cap = t + n_latin
        ev_sym = np.empty(cap, dtype=np.uint64)
        ev_start = np.empty(cap, dtype=np.int64)
        ev_end = np.empty(cap, dtype=np.int64)
        table_size = char_syllable.size
        k = 0
        for i in range(t):
            c = codes[i]
            if c < table_size:
                s = char_syllable[c]
                if s != NO_SYLLABLE:
                    ev_sym[n_events] = np.uint64(s + syllable_base) * K1
                    ev_start[n_events] = i
                    ev_end[n_events] = i + 1
                    n_events += 1
            while k < n_latin and latin_start[k] == i:
                ev_sym[n_events] = np.uint64(latin_syllable[k] + syllable_base) * K1
                ev_start[n_events] = i
                ev_end[n_events] = latin_end[k]
                n_events += 1
                k += 1
        # ev_run[k]: events k, k+1, … adjacent (same post, nothing but separators between), capped at max_p
        ev_run = np.zeros(n_events + 1, dtype=np.int64)
        for e in range(n_events - 1, -1, -1):
            r = 1
            if e + 1 < n_events and doc[ev_start[e + 1]] == doc[ev_start[e]] and \
                    _no_content(codes, ev_end[e], ev_start[e + 1]):
                r = min(ev_run[e + 1] + 1, max_p)
            ev_run[e] = r
            count_p[r] += 1
        for n in range(max_p - 1, 0, -1):
            count_p[n] += count_p[n + 1]
        for n in range(1, max_p + 1):
            if pinyin_orders[n]:
                n_syl += count_p[n]
    g_total = n_char + n_syl
    bucket = np.empty(g_total, dtype=np.int64)
    gdoc = np.empty(g_total, dtype=np.int64)
    gstart = np.empty(g_total, dtype=np.int64)
    gend = np.empty(g_total, dtype=np.int64)
    g = 0
    # characters, order by order: h[i] holds the hash of the n symbols from i (rolled forward in place)
    if n_char > 0:
        h = np.empty(t, dtype=np.uint64)
        for i in range(t):
            h[i] = np.uint64(codes[i]) * K1
        for n in range(1, max_c + 1):
            if n > 1:
                for i in range(t - n + 1):
                    h[i] = (h[i] * K2) ^ (np.uint64(codes[i + n - 1]) * K1)
            if char_orders[n] and count_c[n] > 0:
                salt = salts[0, n]
                for i in range(t - n + 1):
                    if run[i] >= n:
                        bucket[g] = _mix(h[i], salt, shift)
                        gdoc[g] = doc[i]
                        gstart[g] = i
                        gend[g] = i + n
                        g += 1
    if n_syl > 0:
        h = ev_sym.copy()
        for n in range(1, max_p + 1):
            if n > 1:
                for e in range(n_events - n + 1):
                    h[e] = (h[e] * K2) ^ ev_sym[e + n - 1]
            if pinyin_orders[n] and count_p[n] > 0:
                salt = salts[1, n]
                for e in range(n_events - n + 1):
                    if ev_run[e] >= n:
                        bucket[g] = _mix(h[e], salt, shift)
                        gdoc[g] = doc[ev_start[e]]
                        gstart[g] = ev_start[e]
                        gend[g] = ev_end[e + n - 1]
                        g += 1
    return bucket, gdoc, gstart, gend


@_jit
def sentence_spans(codes, starts, window, sentence_min):
    """The sentence passages of a flat batch: (post[S], local start[S], local end[S]) of every sentence (a maximal
    run between boundaries, ``NEWLINE``) with at least ``sentence_min`` content characters, of every post longer
    than ``window`` that has a boundary; in post order, then by position. None when ``sentence_min`` is 0."""
    n = starts.size - 1
    cap = 0
    if sentence_min > 0:
        for i in range(codes.size):
            cap += codes[i] == NEWLINE
        cap += n
    s_doc = np.empty(cap, dtype=np.int64)
    s_start = np.empty(cap, dtype=np.int64)
    s_end = np.empty(cap, dtype=np.int64)
    t = 0
    if sentence_min > 0:
        for d in range(n):
            s0 = starts[d]
            L = starts[d + 1] - s0 - 1
            if L <= window:
                continue
            has_boundary = False
            for i in range(s0, s0 + L):
                if codes[i] == NEWLINE:
                    has_boundary = True
                    break
            if not has_boundary:
                continue
            begin = 0
            content = 0
            for i in range(L + 1):
                c = codes[s0 + i] if i < L else NEWLINE
                if c == NEWLINE:
                    if content >= sentence_min:
                        s_doc[t] = d
                        s_start[t] = begin
                        s_end[t] = i
                        t += 1
                    begin = i + 1
                    content = 0
                elif c != SEPARATOR and c != SPACE:
                    content += 1
    return s_doc[:t], s_start[:t], s_end[:t]


@_jit
def passages(bucket, gdoc, gstart, gend, starts, window, codes, sentence_min):
    """Passage membership of every gram: (gram[K], passage[K], bucket[K] = bucket[gram], passage_doc[Q],
    passage_start[Q], passage_end[Q]) — see ``features.passages``."""
    n = starts.size - 1
    g_total = bucket.size
    half = window // 2
    shift = 0
    while (1 << shift) < window:
        shift += 1
    s_doc, s_start, s_end = sentence_spans(codes, starts, window, sentence_min)
    n_s = np.zeros(n, dtype=np.int64)
    for t in range(s_doc.size):
        n_s[s_doc[t]] += 1
    length = np.empty(n, dtype=np.int64)
    n_a = np.empty(n, dtype=np.int64)
    first = np.zeros(n + 1, dtype=np.int64)
    any_long = False
    for d in range(n):
        L = starts[d + 1] - starts[d] - 1
        length[d] = L
        a = max(1, -(-L // window))
        b = (L + half + window - 1) // window if L > window else 0
        any_long = any_long or L > window
        n_a[d] = a
        first[d + 1] = first[d] + a + b + n_s[d]
    q_total = first[n]
    passage_doc = np.empty(q_total, dtype=np.int64)
    p_start = np.empty(q_total, dtype=np.int64)
    p_end = np.empty(q_total, dtype=np.int64)
    for d in range(n):
        L = length[d]
        for q in range(first[d], first[d + 1] - n_s[d]):
            passage_doc[q] = d
            if L > window:
                k = q - first[d]
                if k < n_a[d]:
                    p_start[q] = k * window
                    p_end[q] = min((k + 1) * window, L)
                else:
                    k -= n_a[d]
                    p_start[q] = max(k * window - half, 0)
                    p_end[q] = min((k + 1) * window - half, L)
            else:
                p_start[q] = 0
                p_end[q] = L
    # sentence passages close each post's list; sentence_of[i] is the passage of the sentence holding flat
    # position i (-1: a boundary, or a sentence too short to be a passage)
    sentence_of = np.full(codes.size if s_doc.size else 0, -1, dtype=np.int64)
    d_prev = -1
    q = 0
    for t in range(s_doc.size):
        d = s_doc[t]
        if d != d_prev:
            q = first[d + 1] - n_s[d]
            d_prev = d
        passage_doc[q] = d
        p_start[q] = s_start[t]
        p_end[q] = s_end[t]
        for i in range(starts[d] + s_start[t], starts[d] + s_end[t]):
            sentence_of[i] = q
        q += 1
    if not any_long and not s_doc.size:  # one passage per post, numbered like the posts
        return np.arange(g_total), gdoc.copy(), bucket.copy(), passage_doc, p_start, p_end
    n_short = 0
    n_in_a = 0
    n_in_b = 0
    n_in_s = 0
    for g in range(g_total):
        d = gdoc[g]
        if length[d] <= window:
            n_short += 1
        else:
            s = gstart[g] - starts[d]
            e = gend[g] - starts[d] - 1
            if (e >> shift) == (s >> shift):
                n_in_a += 1
            if ((e + half) >> shift) == ((s + half) >> shift):
                n_in_b += 1
        if sentence_of.size:
            q = sentence_of[gstart[g]]
            if q >= 0 and sentence_of[gend[g] - 1] == q:
                n_in_s += 1
    k_total = n_short + n_in_a + n_in_b + n_in_s
    gram = np.empty(k_total, dtype=np.int64)
    passage = np.empty(k_total, dtype=np.int64)
    entry_bucket = np.empty(k_total, dtype=np.int64)
    i_short = 0
    i_a = n_short
    i_b = n_short + n_in_a
    i_s = n_short + n_in_a + n_in_b
    for g in range(g_total):
        d = gdoc[g]
        if length[d] <= window:
            gram[i_short] = g
            passage[i_short] = first[d]
            entry_bucket[i_short] = bucket[g]
            i_short += 1
        else:
            s = gstart[g] - starts[d]
            e = gend[g] - starts[d] - 1
            a = s >> shift
            if (e >> shift) == a:
                gram[i_a] = g
                passage[i_a] = first[d] + a
                entry_bucket[i_a] = bucket[g]
                i_a += 1
            b = (s + half) >> shift
            if ((e + half) >> shift) == b:
                gram[i_b] = g
                passage[i_b] = first[d] + n_a[d] + b
                entry_bucket[i_b] = bucket[g]
                i_b += 1
        if sentence_of.size:
            q = sentence_of[gstart[g]]
            if q >= 0 and sentence_of[gend[g] - 1] == q:
                gram[i_s] = g
                passage[i_s] = q
                entry_bucket[i_s] = bucket[g]
                i_s += 1
    return gram, passage, entry_bucket, passage_doc, p_start, p_end


@_jit
def feeds(codes, doc, starts, char_orders, pinyin_orders, char_syllable, latin_syllable, latin_start, latin_end,
          block, salts, bits, syllable_base, window, sentence_min):
    """``hash_grams`` then ``passages`` in one call: the grams and the membership."""
    bucket, gdoc, gstart, gend = hash_grams(codes, doc, char_orders, pinyin_orders, char_syllable, latin_syllable,
                                            latin_start, latin_end, block, salts, bits, syllable_base)
    gram, passage, entry_bucket, passage_doc, p_start, p_end = passages(bucket, gdoc, gstart, gend, starts, window,
                                                                         codes, sentence_min)
    return bucket, gdoc, gstart, gend, gram, passage, entry_bucket, passage_doc, p_start, p_end


@intrinsic
def _prefetch_row(typingctx, array, row):
    """Ask the CPU to start loading ``array[row, 0]`` into cache (``llvm.prefetch``; no effect on results)."""
    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        view = context.make_array(array_type)(context, builder, args[0])
        zero = context.get_constant(types.intp, 0)
        pointer = cgutils.get_item_pointer(context, builder, array_type, view, [args[1], zero])
        byte_pointer = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32]), "llvm.prefetch.p0i8")
        builder.call(function, [builder.bitcast(pointer, byte_pointer), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(array, row), codegen


@njit(nogil=True, inline="always")
def _membership(long_post, s, e, wshift, half, n_a):
    """The passages of a gram at local [s, e] (inclusive end), packed: A + 1 low, B + 1 high (0: not in one)."""
    if not long_post:
        return 1
    m = 0
    a = s >> wshift
    if (e >> wshift) == a:
        m = a + 1
    bb = (s + half) >> wshift
    if ((e + half) >> wshift) == bb:
        m |= (n_a + bb + 1) << 32
    return m


@_jit
def best_passage_logits(codes, starts, char_orders, pinyin_orders, char_syllable, latin_syllable, latin_start,
                        latin_end, block, salts, bits, syllable_base, window, table, min_norm, slope, offset,
                        sentence_min, sentence_cut):
    """The hot path in one pass: each post's best-passage logit of ONE head, float64[N], that passage's index
    among the post's passages (int64[N]: tiling A first, then tiling B, as ``feeds`` numbers them; the first of
    equals) and its lead over the runner-up passage (float64[N], inf for a post of one passage), with no gram
    arrays.

    The same grams and passage membership as ``feeds`` (the formulas of ``features``' docstring), but every
    gram is hashed and added to its passages' sums as it is found, so the cost is the hashing plus one table
    read per gram: no int64 arrays of grams, entries or passages are ever built (on short posts those arrays
    cost more in allocation and page faults than the arithmetic). ``table[bucket] = (idf·β, idf²)`` as
    float32 rows of 8 bytes (one cache line per gram; the table's size is what the reads wait for, so the
    discussion guard's weights, which need only suspicious posts, live in the full path); sums are float64. The
    passage logit is ``slope · Σ idf·β / max(min_norm, √Σ idf²) + offset`` and the post's logit is the largest of
    its passages'.

    With ``sentence_min`` > 0 a long post with a boundary also has its sentence passages (``sentence_spans``),
    numbered after the tilings as ``passages`` numbers them; their sums are taken in a second loop over the
    post's grams, so posts without a boundary pay only for finding none. A sentence passage's logit is lowered by
    ``sentence_cut`` (``slope · FeatureSpec.sentence_discount``): a sentence alone has lost the context that
    tells a warning or a news report from a pitch.

    ``block`` (uint8 per position, or empty): no character n-gram covers a marked position (``hash_grams``).

    A fourth output, int64[N], counts each post's content characters other than digits (not separators, spaces,
    newlines or 0-9): the minimum-evidence rule's input (``NormalizedBatch.evidence_chars``), here for free, as
    the kernel reads every code of the post anyway.
    """
    n = starts.size - 1
    out = np.empty(n, dtype=np.float64)
    out_passage = np.zeros(n, dtype=np.int64)
    out_lead = np.empty(n, dtype=np.float64)
    out_content = np.empty(n, dtype=np.int64)
    shift = np.uint64(64 - bits)
    max_c = char_orders.size - 1
    max_p = pinyin_orders.size - 1 if char_syllable.size else 0
    half = window // 2
    wshift = 0
    while (1 << wshift) < window:
        wshift += 1
    longest = 0
    for d in range(n):
        longest = max(longest, starts[d + 1] - starts[d] - 1)
    n_latin = latin_start.size
    cap = longest + 1 + n_latin
    ev_sym = np.empty(cap, dtype=np.uint64)
    ev_start = np.empty(cap, dtype=np.int64)
    ev_end = np.empty(cap, dtype=np.int64)
    ev_run = np.zeros(cap + 1, dtype=np.int64)
    n_pass = 2 * (longest // window + 2) + (longest + 1 if sentence_min > 0 else 0)
    sentence_of = np.empty(longest + 1 if sentence_min > 0 else 0, dtype=np.int64)
    sum_w = np.zeros(n_pass, dtype=np.float64)
    sum_q = np.zeros(n_pass, dtype=np.float64)
    max_grams = (longest + 1) * max(max_c, 1) + cap * max(max_p, 1)
    g_bucket = np.empty(max_grams, dtype=np.int64)
    g_pass = np.empty(max_grams, dtype=np.int64)  # passage A + 1 in the low 32 bits, passage B + 1 above (0: none)
    g_sentence = np.empty(max_grams if sentence_min > 0 else 0, dtype=np.int64)  # sentence passage, -1: none
    table_size = char_syllable.size
    blocking = block.size > 0
    k = 0  # next Latin event (sorted by flat start)
    for d in range(n):
        s0 = starts[d]
        L = starts[d + 1] - s0 - 1
        long_post = L > window
        n_a = 1
        n_q = 1
        if long_post:
            n_a = -(-L // window)
            n_q = n_a + (L + half + window - 1) // window
        n_g = 0
        content = 0
        for i in range(s0, s0 + L):
            c = codes[i]
            content += c != SEPARATOR and c != SPACE and c != NEWLINE and (c < DIGIT_ZERO or c > DIGIT_ZERO + 9)
        out_content[d] = content
        sentences = False  # looked for only when the spec asks for sentences and the post is long
        if long_post and sentence_min > 0:
            for i in range(s0, s0 + L):
                if codes[i] == NEWLINE:
                    sentences = True
                    break
        n_windows = n_q  # passages from here on are sentences
        if sentences:  # sentence_spans for one post, written out: local position → its sentence passage or -1
            begin = 0
            run = 0
            for i in range(L + 1):
                c = codes[s0 + i] if i < L else NEWLINE
                if c == NEWLINE:
                    q_here = n_q if run >= sentence_min else -1
                    for j in range(begin, i):
                        sentence_of[j] = q_here
                    if i < L:
                        sentence_of[i] = -1
                    if run >= sentence_min:
                        n_q += 1
                    begin = i + 1
                    run = 0
                elif c != SEPARATOR and c != SPACE:
                    run += 1
        for q in range(n_q):
            sum_w[q] = 0.0
            sum_q[q] = 0.0
        # characters
        if max_c > 0:
            # the next position whose characters are not hashed (``block``; L when none, -1 until looked for): a
            # bound on each gram's length found outside the inner loop, which a test per character there slowed by ~8 %
            next_block = -1 if blocking else L
            for i in range(L):
                if blocking and next_block < i:
                    next_block = i
                    while next_block < L and block[s0 + next_block] == 0:
                        next_block += 1
                h = np.uint64(0)
                for m in range(min(max_c, L - i, next_block - i)):  # grams from i end at a separator or a block
                    c = codes[s0 + i + m]
                    if c == SEPARATOR:
                        break
                    x = np.uint64(c) * K1
                    h = x if m == 0 else (h * K2) ^ x
                    order = m + 1
                    if char_orders[order]:
                        b = _mix(h, salts[0, order], shift)
                        _prefetch_row(table, b)
                        g_bucket[n_g] = b
                        g_pass[n_g] = _membership(long_post, i, i + order - 1, wshift, half, n_a)
                        if sentences:
                            qs = sentence_of[i]
                            g_sentence[n_g] = qs if sentence_of[i + order - 1] == qs else -1
                        n_g += 1
        # syllable events of this post: a CJK character with a reading, then the Latin events starting there
        if max_p > 0:
            n_events = 0
            while k < n_latin and latin_start[k] < s0:
                k += 1
            for i in range(s0, s0 + L):
                c = codes[i]
                if c < table_size:
                    s = char_syllable[c]
                    if s != NO_SYLLABLE:
                        ev_sym[n_events] = np.uint64(s + syllable_base) * K1
                        ev_start[n_events] = i - s0
                        ev_end[n_events] = i + 1 - s0
                        n_events += 1
                while k < n_latin and latin_start[k] == i:
                    ev_sym[n_events] = np.uint64(latin_syllable[k] + syllable_base) * K1
                    ev_start[n_events] = i - s0
                    ev_end[n_events] = latin_end[k] - s0
                    n_events += 1
                    k += 1
            ev_run[n_events] = 0
            for e in range(n_events - 1, -1, -1):
                r = 1
                if e + 1 < n_events:
                    # _no_content written out: a call taking ``codes``, even inlined, increfs and decrefs the array
                    # on every event (~4 % of a bulk run in NRT_incref/NRT_decref)
                    a = s0 + ev_end[e]
                    z = s0 + ev_start[e + 1]
                    if z < a:
                        a, z = z, a
                    adjacent = True
                    for x in range(a, z):
                        c = codes[x]
                        if c != SEPARATOR and c != SPACE and c != NEWLINE:
                            adjacent = False
                            break
                    if adjacent:
                        r = min(ev_run[e + 1] + 1, max_p)
                ev_run[e] = r
            for e in range(n_events):
                h = np.uint64(0)
                for m in range(ev_run[e]):
                    h = ev_sym[e] if m == 0 else (h * K2) ^ ev_sym[e + m]
                    order = m + 1
                    if pinyin_orders[order]:
                        b = _mix(h, salts[1, order], shift)
                        _prefetch_row(table, b)
                        g_bucket[n_g] = b
                        g_pass[n_g] = _membership(long_post, ev_start[e], ev_end[e + m] - 1, wshift, half, n_a)
                        if sentences:
                            qs = sentence_of[ev_start[e]]
                            g_sentence[n_g] = qs if sentence_of[ev_end[e + m] - 1] == qs else -1
                        n_g += 1
        if not long_post:
            sw = 0.0
            sq = 0.0
            for g in range(n_g):
                b = g_bucket[g]
                sw += np.float64(table[b, 0])
                sq += np.float64(table[b, 1])
            sum_w[0] = sw
            sum_q[0] = sq
        else:
            # Each tiling's current passage keeps its running sums in registers and stores them back when the gram
            # moves to another passage (grams come position by position, so a passage's grams mostly follow each
            # other): the same additions in the same order as adding into sum_w/sum_q in memory, so the same bits,
            # without a store-to-load chain through memory on every gram (~18 % of the kernel on real posts).
            # Written out once per tiling: a helper taking sum_w/sum_q would incref and decref them on every gram.
            ca = 0
            cb = 0
            aw = 0.0
            aq = 0.0
            bw = 0.0
            bq = 0.0
            for g in range(n_g):
                b = g_bucket[g]
                wv = np.float64(table[b, 0])
                qv = np.float64(table[b, 1])
                m = g_pass[g]
                pa = m & 0xFFFFFFFF
                pb = m >> 32
                if pa:
                    if pa != ca:
                        if ca:
                            sum_w[ca - 1] = aw
                            sum_q[ca - 1] = aq
                        ca = pa
                        aw = sum_w[pa - 1]
                        aq = sum_q[pa - 1]
                    aw += wv
                    aq += qv
                if pb:
                    if pb != cb:
                        if cb:
                            sum_w[cb - 1] = bw
                            sum_q[cb - 1] = bq
                        cb = pb
                        bw = sum_w[pb - 1]
                        bq = sum_q[pb - 1]
                    bw += wv
                    bq += qv
            if ca:
                sum_w[ca - 1] = aw
                sum_q[ca - 1] = aq
            if cb:
                sum_w[cb - 1] = bw
                sum_q[cb - 1] = bq
        if sentences:
            for g in range(n_g):
                qs = g_sentence[g]
                if qs >= 0:
                    b = g_bucket[g]
                    sum_w[qs] += np.float64(table[b, 0])
                    sum_q[qs] += np.float64(table[b, 1])
        best = -np.inf
        second = -np.inf
        best_q = 0
        for q in range(n_q):
            logit = slope * (sum_w[q] / max(min_norm, np.sqrt(sum_q[q]))) + offset
            if q >= n_windows:
                logit -= sentence_cut
            if logit > best:
                second = best
                best = logit
                best_q = q
            elif logit > second:
                second = logit
        out[d] = best
        out_passage[d] = best_q
        out_lead[d] = best - second if n_q > 1 else np.inf
    return out, out_passage, out_lead, out_content


@_jit
def latin_events(codes, max_run, keys, ids, longest):
    """Every syllable event of the Latin runs of a flat batch: (syllable id, start, end), int64 each, by start.

    The splitter of ``pinyin.PinyinTables.split_latin`` (its oracle in the tests), for all runs at once: a run of
    2 … ``max_run`` letters a–z that splits wholly into syllables gives one event per syllable, fewest syllables
    first and, among equal counts, the longest last syllable (xian, not xi an). ``keys`` are the syllables in
    base 27 (a = 1 … z = 26), sorted; ``ids`` their syllable ids; ``longest`` the longest syllable's length.
    """
    run_start, run_end = latin_runs(codes, max_run)
    n_runs = run_start.size
    total = 0
    for r in range(n_runs):
        total += run_end[r] - run_start[r]
    syllable = np.empty(total, dtype=np.int64)
    start = np.empty(total, dtype=np.int64)
    end = np.empty(total, dtype=np.int64)
    best_count = np.empty(max_run + 1, dtype=np.int64)
    best_from = np.empty(max_run + 1, dtype=np.int64)
    best_id = np.empty(max_run + 1, dtype=np.int64)
    k = 0
    for r in range(n_runs):
        a = run_start[r]
        n = run_end[r] - a
        best_count[0] = 0
        for i in range(1, n + 1):
            best_count[i] = -1
            for j in range(max(0, i - longest), i):
                if best_count[j] < 0:
                    continue
                key = 0
                for m in range(a + j, a + i):
                    key = key * 27 + (codes[m] - LATIN_A + 1)
                p = np.searchsorted(keys, key)
                if p < keys.size and keys[p] == key:
                    candidate = best_count[j] + 1
                    if best_count[i] < 0 or candidate < best_count[i]:
                        best_count[i] = candidate
                        best_from[i] = j
                        best_id[i] = ids[p]
        if best_count[n] < 0:
            continue
        first = k
        k += best_count[n]
        i = n
        slot = k - 1
        while i > 0:
            j = best_from[i]
            syllable[slot] = best_id[i]
            start[slot] = a + j
            end[slot] = a + i
            slot -= 1
            i = j
        assert slot == first - 1
    return syllable[:k], start[:k], end[:k]
