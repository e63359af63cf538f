"""Networks: accounts linked by shared contact handles / invite codes / links, or by near-duplicate promotion texts (flagged posts that
offer a way to join: a handle, code, link or 私我; news reposting the same story is not a campaign).

Near-duplicates use MinHash over character 3-grams (64 permutations, fixed seed) and MinHash LSH at Jaccard ≥ 0.6
(10 bands of 6 values), verified on the signatures. Handles, codes and digits are removed before shingling, so a
campaign's text matches across accounts that paste their own contact into it. Components are computed over ALL
stored links on every run, so the result does not depend on how the posts were split into runs.

The MinHash and the LSH are datasketch's (2.x, scheme ``affine32``; the LSH's band layout for threshold 0.6), done
here in a few numpy operations over a whole batch instead of one Python object per post: the signatures and the
candidate pairs are the same (tests/serving/test_monitor_networks.py checks both against datasketch), and the
monitor no longer imports datasketch, whose LSH module pulls in SciPy (~2 s of start-up per run).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

NUM_PERM = 64
SEED = 7
THRESHOLD = 0.6
#: datasketch's MinHashLSH(threshold=0.6, num_perm=64) splits the signature into 10 bands of 6 values (the split
#: minimising its equally weighted false-positive and false-negative areas); two signatures are candidates when one
#: band is equal.
BANDS, ROWS = 10, 6
#: A handle shared by more accounts than this is a public number (a hotline, a big site), not a ring.
MAX_SHARED_ACCOUNTS = 200
_STRIP = re.compile(r"[A-Za-z0-9０-９Ａ-Ｚａ-ｚ_\s@#:：/.\-]+")
_MAX_HASH = np.uint32(0xFFFFFFFF)
#: characters hashed per numpy step (~50 MB of temporaries)
_BLOCK = 1 << 22


def shingles(text: str) -> np.ndarray:
    """Distinct 32-bit hashes of the character 3-grams (vectorised: a multiplicative hash of the code points; the
    default SHA-1 per shingle cost ~1 ms per long post)."""
    t = _STRIP.sub("", text)
    if len(t) < 8:
        return np.empty(0, dtype=np.uint64)
    cp = np.frombuffer(t.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    prime = np.uint64(1000003)
    h = ((cp[:-2] * prime) ^ cp[1:-1]) * prime ^ cp[2:]
    return np.unique((h ^ (h >> np.uint64(29))) & np.uint64(0xFFFFFFFF))


def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutations for (NUM_PERM, SEED): h → a·h + b mod 2³², a odd."""
    gen = np.random.RandomState(SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


_A, _B = _permutations()


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's finaliser (datasketch pre-mixes every input hash with it)."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def signatures(texts: Sequence[str]) -> list[bytes | None]:
    """MinHash signature (NUM_PERM uint32, as bytes) of each text; None for a text with no shingle.

    The 3-gram hashes of a whole batch are computed in one pass over the concatenated code points (the hashes of
    :func:`shingles`, without its per-text ``unique``: a minimum does not care about repeats), permuted one
    permutation at a time and reduced per text with ``minimum.reduceat``. One datasketch object per post cost
    ~180 µs, one numpy call chain per post ~95 µs; this is ~5 µs per post (27.6k flagged posts: 0.15 s).
    """
    stripped = [_STRIP.sub("", t) for t in texts]
    keep = [i for i, t in enumerate(stripped) if len(t) >= 8]
    out: list[bytes | None] = [None] * len(texts)
    lo = 0
    while lo < len(keep):  # blocks of about _BLOCK shingles
        hi, size = lo, 0
        while hi < len(keep) and (hi == lo or size + len(stripped[keep[hi]]) <= _BLOCK):
            size += len(stripped[keep[hi]])
            hi += 1
        part = keep[lo:hi]
        cp = np.frombuffer("".join(stripped[i] for i in part).encode("utf-32-le", "surrogatepass"),
                           dtype=np.uint32).astype(np.uint64)
        lengths = np.array([len(stripped[i]) for i in part])
        ends = np.cumsum(lengths)
        prime = np.uint64(1000003)
        h = ((cp[:-2] * prime) ^ cp[1:-1]) * prime ^ cp[2:]
        h = ((h ^ (h >> np.uint64(29))) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        # the grams of a text start at its first character and end two before its last
        valid = np.ones(len(cp), dtype=bool)
        valid[ends - 1] = False
        valid[ends - 2] = False
        h = _fmix32(h[valid[:-2]])
        starts = np.concatenate([[0], np.cumsum(lengths - 2)[:-1]])
        mins = np.empty((len(part), NUM_PERM), dtype=np.uint32)
        permuted = np.empty_like(h)
        for k in range(NUM_PERM):  # one permutation at a time: a (shingles × 64) block was 40× slower
            np.multiply(h, _A[k], out=permuted)
            np.add(permuted, _B[k], out=permuted)
            mins[:, k] = np.minimum.reduceat(permuted, starts)
        for i, row in zip(part, mins):
            out[i] = row.tobytes()
        lo = hi
    return out


def signature(text: str) -> bytes | None:
    return signatures([text])[0]


class UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        parent = self.parent
        parent.setdefault(x, x)
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra


def build_networks(db) -> list[dict]:
    """Groups of ≥ 2 accounts with the evidence that links them, largest first."""
    uf = UnionFind()
    links: list[dict] = []
    # 1. shared contact handles, codes, links
    rows = db.execute(
        "SELECT ckey, account, min(key) FROM contacts WHERE ckey IN ("
        "  SELECT ckey FROM contacts GROUP BY ckey HAVING count(DISTINCT account) BETWEEN 2 AND ?)"
        " GROUP BY ckey, account ORDER BY ckey, account", [MAX_SHARED_ACCOUNTS]).fetchall()
    by_key: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for ckey, account, key in rows:
        by_key[ckey].append((account, key))
    for ckey, members in by_key.items():
        accounts = [a for a, _ in members]
        for a in accounts[1:]:
            uf.union(accounts[0], a)
        kind, _, value = ckey.partition(":")
        links.append({"kind": kind, "value": value, "accounts": accounts, "posts": [k for _, k in members]})
    # 2. near-duplicate promotion texts (campaigns)
    keys, accounts, sigs = [], [], []
    for key, account, sig in db.execute("SELECT key, account, sig FROM sigs ORDER BY key").fetchall():
        keys.append(key)
        accounts.append(account)
        sigs.append(sig)
    if sigs:
        links.extend(_campaigns(keys, accounts, sigs, uf))
    # components
    groups: dict[str, set[str]] = defaultdict(set)
    by_root: dict[str, list[dict]] = defaultdict(list)
    for link in links:
        for a in link["accounts"]:
            groups[uf.find(a)].add(a)
        by_root[uf.find(link["accounts"][0])].append(link)
    networks = []
    for root, members in groups.items():
        if len(members) < 2:
            continue
        evidence = by_root[root]
        networks.append({"network": f"net:{min(members)}", "accounts": sorted(members), "size": len(members),
                         "shared": sorted(evidence, key=lambda l: (-len(l["accounts"]), l["kind"], l["value"]))})
    networks.sort(key=lambda n: (-n["size"], n["network"]))
    return networks


def candidate_pairs(matrix: np.ndarray) -> np.ndarray:
    """Pairs (i < j) of rows of ``matrix`` (signatures, one per row) equal in at least one LSH band, as an (n, 2)
    array: what datasketch's MinHashLSH query returns, found by sorting each band instead of hashing it per row."""
    n = len(matrix)
    pairs = []
    for band in range(BANDS):
        block = np.ascontiguousarray(matrix[:, band * ROWS:(band + 1) * ROWS])
        _, group = np.unique(block.view(np.dtype((np.void, block.dtype.itemsize * ROWS))).ravel(),
                             return_inverse=True)
        order = np.argsort(group, kind="stable")
        bounds = np.flatnonzero(np.diff(group[order])) + 1
        for members in np.split(order, bounds):
            if len(members) > 1:
                i, j = np.triu_indices(len(members), 1)
                pairs.append(np.stack([members[i], members[j]], axis=1))
    if not pairs:
        return np.empty((0, 2), dtype=np.int64)
    both = np.concatenate(pairs).astype(np.int64)
    both.sort(axis=1)
    codes = np.unique(both[:, 0] * n + both[:, 1])
    return np.stack([codes // n, codes % n], axis=1)


def _campaigns(keys: list[str], accounts: list[str], sigs: list[bytes], uf: UnionFind) -> list[dict]:
    # identical signatures first (copy-paste), then LSH over the distinct ones
    distinct: dict[bytes, list[int]] = defaultdict(list)
    for i, sig in enumerate(sigs):
        distinct[sig].append(i)
    reps = list(distinct)
    matrix = np.frombuffer(b"".join(reps), dtype=np.uint32).reshape(len(reps), NUM_PERM)
    cluster = UnionFind()
    pairs = candidate_pairs(matrix)
    for lo in range(0, len(pairs), 1 << 16):  # verified on the whole signatures, like datasketch's query + check
        part = pairs[lo:lo + (1 << 16)]
        same = (matrix[part[:, 0]] == matrix[part[:, 1]]).mean(axis=1) >= THRESHOLD
        for a, b in part[same].tolist():
            cluster.union(str(a), str(b))
    members: dict[str, list[int]] = defaultdict(list)
    for j, sig in enumerate(reps):
        members[cluster.find(str(j))].extend(distinct[sig])
    links = []
    for rows in members.values():
        accs = sorted({accounts[i] for i in rows})
        if len(accs) < 2:
            continue
        for a in accs[1:]:
            uf.union(accs[0], a)
        first_post = {}
        for i in sorted(rows, key=lambda i: keys[i]):
            first_post.setdefault(accounts[i], keys[i])
        links.append({"kind": "campaign", "value": min(keys[i] for i in rows), "accounts": accs,
                      "posts": [first_post[a] for a in accs]})
    return links
