"""Property tests (hypothesis) over the normaliser, the Scorer and every reader; short runs for the normal suite.

The invariants live in ``serving/fuzz.py``, which also runs them for millions of inputs:
``python -m mlmrisk.serving.fuzz --examples 1000000`` (docs/io.md). Here each property gets a few hundred examples;
``--hypothesis-profile=fuzz`` (or ``HYPOTHESIS_PROFILE=fuzz``) raises that to 20,000 each.

    pytest tests/serving/test_fuzz.py --hypothesis-profile=fuzz   # ~20,000 examples per property
"""

from __future__ import annotations

import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlmrisk.serving import fuzz
from mlmrisk.serving.scorer import Scorer

# The "fuzz" profile is registered in tests/conftest.py (so that --hypothesis-profile=fuzz can load it).
SHORT = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                          HealthCheck.data_too_large])
RUN = SHORT
if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz":
    RUN = settings.get_profile("fuzz")
elif settings.default.max_examples >= 1000:  # a long profile loaded with --hypothesis-profile
    RUN = settings(settings.default, deadline=None, suppress_health_check=list(SHORT.suppress_health_check))

# texts that reach the interesting paths: CJK (both scripts), separators, zero-width and control characters,
# full-width forms, emoji, lone surrogates
CHARS = st.one_of(
    st.sampled_from(list("发展下线拉人头入门费静态收益動態獎金見點獎复投会员招商银行·.|/ 　\u200b\ufeff\x00\r\n①Ａ１😀")),
    st.characters(),
)
TEXTS = st.text(CHARS, max_size=60)
OBJECTS = st.one_of(TEXTS, st.none(), st.integers(), st.floats(), st.booleans(), st.binary(max_size=20),
                    st.lists(TEXTS, max_size=2), st.dictionaries(TEXTS, TEXTS, max_size=2))


@pytest.fixture(scope="module")
def scorer(tiny_model) -> Scorer:
    return Scorer.load(tiny_model[0], deny=["拉人头"], allow=["招商银行"])


def test_normalize_batch(scorer: Scorer) -> None:
    @RUN
    @given(st.lists(TEXTS, max_size=12))
    def prop(texts):
        fuzz.check_normalize(texts, scorer.tables)

    prop()


def test_score_batch_on_arbitrary_objects(scorer: Scorer) -> None:
    @RUN
    @given(st.lists(OBJECTS, max_size=10))
    def prop(objects):
        fuzz.check_scorer(scorer, objects)

    prop()
    for bare in ("一句话", b"bytes"):
        with pytest.raises(TypeError, match="not one string"):
            scorer.score_batch(bare)


@pytest.mark.parametrize("fmt", ["jsonl", "text", "csv", "tsv"])
def test_readers_account_for_every_line(fmt: str) -> None:
    line = st.one_of(st.binary(max_size=30), st.text(CHARS, max_size=30).map(lambda t: t.encode("utf-8", "surrogatepass")),
                     st.sampled_from([b'{"text": "a"}', b'{"id": 1, "text": null}', b'{"text": ', b"[]", b"",
                                      b'"quoted,\n', b"1,\xe6\x96\x87", b"\xef\xbb\xbf"]))
    with tempfile.TemporaryDirectory() as directory:
        @RUN
        @given(lines=st.lists(line.map(lambda b: b.replace(b"\n", b"")), max_size=25),
               header=st.sampled_from([b"id,text\n", b"text\n", b"id\ttext\n", b""]),
               encoding=st.sampled_from([None, "gb18030", "big5", "utf-16"]),
               chunk_size=st.integers(1, 9), compress=st.booleans())
        def prop(lines, header, encoding, chunk_size, compress):
            data = b"\n".join(lines)
            if fmt in ("csv", "tsv"):
                data = header + data
            if encoding is not None:
                try:
                    data = data.decode("utf-8").encode(encoding)
                except (UnicodeDecodeError, UnicodeEncodeError):
                    pass
            fuzz.check_reader(data, fmt, directory, chunk_size=chunk_size, compress=compress)

        prop()


def test_random_files_from_the_long_fuzzer() -> None:
    """The long run's own generators, briefly (so a change to them is exercised by the normal suite)."""
    import random

    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as directory:
        for _ in range(60):
            fmt = rng.choice(("jsonl", "text", "csv", "tsv"))
            fuzz.check_reader(fuzz.random_file(rng, fmt, rng.choice((0, 3, 40))), fmt, directory,
                              chunk_size=rng.choice((1, 5, 100)), compress=rng.random() < 0.3)


def test_corrupt_compressed_input_is_one_line(tmp_path) -> None:
    import gzip

    from mlmrisk.classifier.errors import InputFormatError
    from mlmrisk.serving.readers import iter_records

    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"text": "a"}\n' * 1000)[:-30])
    with pytest.raises(InputFormatError, match="corrupt or truncated gzip stream"):
        list(iter_records(path))
    fuzz.check_reader(b"(\xb5/\xfd", "text", str(tmp_path))  # zstd magic, no frame: the case hypothesis found
    fuzz.check_reader(b"\xfe\xff\n", "jsonl", str(tmp_path))  # UTF-16 BOM, odd trailing byte: found by the fuzz profile
    fuzz.check_reader(b"(\xb5/\xfd\n\x00\x00\x00", "jsonl", str(tmp_path))  # zstd magic, bad frame header
