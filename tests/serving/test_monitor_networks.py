"""The monitor's numpy MinHash and LSH banding give datasketch's signatures and candidate pairs (they replaced one
datasketch object per post, and the SciPy import its LSH module pulls in)."""

from __future__ import annotations

import numpy as np
import pytest

from mlmrisk.serving.monitor import networks as N
from mlmrisk.training.simulate_stream import generate

datasketch = pytest.importorskip("datasketch")


def _datasketch_signature(text: str) -> bytes | None:
    grams = N.shingles(text)
    if not len(grams):
        return None
    m = datasketch.MinHash(num_perm=N.NUM_PERM, seed=N.SEED, hashfunc=lambda v: v)
    m.update_batch(grams.tolist())
    return m.hashvalues.astype(np.uint32).tobytes()


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return [r["text"] for r in generate("small")][:1500] + ["", "短", "加V abc12345"]


def test_signatures_equal_datasketch(texts):
    assert N.signatures(texts) == [_datasketch_signature(t) for t in texts]
    assert N.signature(texts[0]) == _datasketch_signature(texts[0])


def test_band_layout_is_datasketch_choice():
    lsh = datasketch.MinHashLSH(threshold=N.THRESHOLD, num_perm=N.NUM_PERM)
    assert (lsh.b, lsh.r) == (N.BANDS, N.ROWS)


def test_candidate_pairs_equal_datasketch_query(texts):
    reps = list(dict.fromkeys(s for s in N.signatures(texts) if s))
    matrix = np.frombuffer(b"".join(reps), dtype=np.uint32).reshape(-1, N.NUM_PERM)
    rng = np.random.default_rng(0)  # near-duplicates: copies with a share of values redrawn
    near = matrix[rng.integers(0, len(matrix), 300)].copy()
    redraw = rng.random(near.shape) < 0.3
    near[redraw] = rng.integers(0, 2**32, int(redraw.sum()), dtype=np.uint32)
    matrix = np.unique(np.vstack([matrix, near]), axis=0)
    lsh = datasketch.MinHashLSH(threshold=N.THRESHOLD, num_perm=N.NUM_PERM)

    def minhash(row):
        return datasketch.MinHash(num_perm=N.NUM_PERM, seed=N.SEED, hashvalues=row, scheme="affine32")

    for j, row in enumerate(matrix):
        lsh.insert(j, minhash(row))
    expected = {(min(j, o), max(j, o)) for j, row in enumerate(matrix) for o in lsh.query(minhash(row)) if o != j}
    found = set(map(tuple, N.candidate_pairs(matrix).tolist()))
    assert found == expected and len(found) > 100
