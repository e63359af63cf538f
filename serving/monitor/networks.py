"""Networks: accounts linked by shared contact handles / invite codes / links, or by near-duplicate promotion texts (flagged posts that
offer a way to join: a handle, code, link or 私我; news reposting the same story is not a campaign).

Near-duplicates use MinHash over character 3-grams (``datasketch``, 64 permutations, fixed seed) and MinHash LSH at
Jaccard ≥ 0.6, verified on the signatures. Handles, codes and digits are removed before shingling, so a campaign's
text matches across accounts that paste their own contact into it. Components are computed over ALL stored links
on every run, so the result does not depend on how the posts were split into runs.
"""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np

NUM_PERM = 64
SEED = 7
THRESHOLD = 0.6
#: A handle shared by more accounts than this is a public number (a hotline, a big site), not a ring.
MAX_SHARED_ACCOUNTS = 200
_STRIP = re.compile(r"[A-Za-z0-9０-９Ａ-Ｚａ-ｚ_\s@#:：/.\-]+")


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


def _identity(value: int) -> int:
    return value


_TEMPLATE = []


def signature(text: str) -> bytes | None:
    grams = shingles(text)
    if not len(grams):
        return None
    if not _TEMPLATE:  # the permutations are drawn once (drawing them per post cost more than hashing)
        from datasketch import MinHash

        _TEMPLATE.append(MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=_identity))
    m = _TEMPLATE[0].copy()
    m.update_batch(grams.tolist())
    return m.hashvalues.astype(np.uint32).tobytes()


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


def _campaigns(keys: list[str], accounts: list[str], sigs: list[bytes], uf: UnionFind) -> list[dict]:
    from datasketch import MinHash, MinHashLSH

    # identical signatures first (copy-paste), then LSH over the distinct ones
    distinct: dict[bytes, list[int]] = defaultdict(list)
    for i, sig in enumerate(sigs):
        distinct[sig].append(i)
    reps = list(distinct)
    matrix = np.frombuffer(b"".join(reps), dtype=np.uint32).reshape(len(reps), NUM_PERM)
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    with lsh.insertion_session() as session:
        for j in range(len(reps)):
            session.insert(j, MinHash(num_perm=NUM_PERM, seed=SEED, hashvalues=matrix[j], scheme="affine32"))
    cluster = UnionFind()
    for j in range(len(reps)):
        m = MinHash(num_perm=NUM_PERM, seed=SEED, hashvalues=matrix[j], scheme="affine32")
        for other in lsh.query(m):
            if other != j and np.mean(matrix[j] == matrix[other]) >= THRESHOLD:
                cluster.union(str(j), str(other))
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
