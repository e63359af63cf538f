"""Fuzzing the input side: the normaliser, the Scorer and every reader, with invariants checked on each input.

``tests/serving/test_fuzz.py`` runs these checks as short hypothesis property tests in the normal suite; this module
is the long run, with its own fast random generators (no hypothesis, so millions of inputs take minutes)::

    python -m mlmrisk.serving.fuzz --examples 1000000 [--model DIR] [--seed 1] [--targets normalize,scorer,readers]

``--examples`` is the total number of inputs (texts, objects and input lines) spread over the targets. The model
(default: ``$MLMRISK_MODEL`` or the shipped one) provides the normaliser tables and the Scorer. On the first
failing input it stops, prints the input (``repr``) and the broken invariant, and exits 1; otherwise it prints the
counts per target and exits 0.

Invariants:

- ``normalize_batch``: one document per text, each ending with its separator; offsets consistent (``starts``
  a partition of the codes; every ``origin`` inside its own text and non-decreasing); a text normalises the same alone and inside a batch.
- ``Scorer.score_batch``: never raises on any sequence of objects (only a bare ``str``/``bytes`` is a TypeError);
  one record per input, in order; an error record exactly for non-text inputs; probability in [0, 1]; every
  evidence span is a slice of the original text.
- readers (JSONL, text, CSV, TSV; random bytes, malformed lines, odd encodings, gzip): no exception other than a
  one-line ``InputFormatError`` about the input as a whole (no header, wrong column, a corrupt gzip/zstd stream);
  line numbers strictly
  increase; JSONL/text: every physical line is a record or a counted skip (``records + skipped == lines``), so no
  line is lost.
"""

from __future__ import annotations

import argparse
import codecs
import gzip
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mlmrisk.classifier.errors import InputFormatError

# --------------------------------------------------------------------------------------------------- generators

_ALPHABETS = [
    "的一是不了人我在有他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之年过发后",
    "發展下綫線直推見點獎靜態收益動態團隊",
    "拉人头入门费静态收益动态奖金见点奖复投下线返利会员",
    "abcXYZ0123456789 .,;:!?-_/\\|·•~*#@",
    "\u200b\u200c\u200d\ufeff\u00a0\u3000\t\r\x00\x1f",
    "①②③㈠ⓐＡＢＣ１２３",
    "😀💰🔥\U0001f9e7",
    "\ud800\udfff",  # lone surrogates
    "\"'{}[]\n",
]


def random_text(rng: random.Random, max_len: int = 80) -> str:
    n = rng.choice((0, 1, 2, 5, 20, max_len, rng.randint(0, max_len)))
    if rng.random() < 0.01:
        n = rng.randint(1000, 5000)
    alphabet = "".join(rng.sample(_ALPHABETS, rng.randint(1, 4)))
    return "".join(rng.choice(alphabet) for _ in range(n))


def random_object(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.75:
        return random_text(rng)
    return rng.choice([
        None, 0, 3.5, float("nan"), True, [], ["a"], {"text": "x"}, b"", "ok".encode(), b"\xff\xfe",
        random_text(rng).encode("utf-8", "surrogatepass"), bytearray(b"abc"), object(),
    ])


def random_line(rng: random.Random, fmt: str) -> bytes:
    """One physical line (without ``\\n``) for a file of format ``fmt``: mostly plausible, often broken."""
    roll = rng.random()
    if roll < 0.1:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 40))).replace(b"\n", b"")
    if roll < 0.15:
        return b""
    text = random_text(rng, 40).replace("\n", " ")
    if fmt == "jsonl":
        import json

        value: Any = text if rng.random() < 0.8 else rng.choice([None, 5, [text], {"a": 1}])
        obj = {"id": rng.choice([rng.randint(0, 99), f"p{rng.randint(0, 99)}", None]), "text": value}
        if rng.random() < 0.1:
            del obj["text"]
        line = json.dumps(obj, ensure_ascii=rng.random() < 0.5)
        if rng.random() < 0.1:
            line = line[: rng.randint(0, len(line))]
        if rng.random() < 0.1:
            line = rng.choice(["[1, 2]", "null", "NaN", '{"text": "\\ud800"}', "{" * 2000])
        return line.encode("utf-8", "surrogatepass")
    if fmt in ("csv", "tsv"):
        sep = "," if fmt == "csv" else "\t"
        cells = [str(rng.randint(0, 99)), text]
        if rng.random() < 0.3:
            cells = ['"' + c.replace('"', '""') + '"' for c in cells]
        if rng.random() < 0.1:
            cells.append("extra")
        if rng.random() < 0.05:
            cells = ['"unterminated' + text]
        return sep.join(cells).encode("utf-8", "surrogatepass")
    return text.encode("utf-8", "surrogatepass")


def random_file(rng: random.Random, fmt: str, n_lines: int) -> bytes:
    lines = [random_line(rng, fmt) for _ in range(n_lines)]
    if fmt == "csv":
        lines.insert(0, rng.choice([b"id,text", b"text", b"id,text,extra", b"", b"\"id\",\"text\""]))
    elif fmt == "tsv":
        lines.insert(0, b"id\ttext")
    data = b"\n".join(lines) + rng.choice([b"", b"\n", b"\r\n"])
    roll = rng.random()
    if roll < 0.1:
        data = b"\xef\xbb\xbf" + data
    elif roll < 0.2:
        try:
            data = data.decode("utf-8").encode(rng.choice(["gb18030", "big5", "utf-16"]))
        except (UnicodeDecodeError, UnicodeEncodeError):
            pass
    return data


# ------------------------------------------------------------------------------------------------------ checks


class FuzzFailure(AssertionError):
    """An invariant did not hold for an input; the message names both."""


def _fail(what: str, value: Any) -> None:
    raise FuzzFailure(f"{what}; input: {value!r:.2000}")


def check_normalize(texts: Sequence[str], tables: Any) -> None:
    import numpy as np

    from mlmrisk.classifier.normalize import normalize_batch

    batch = normalize_batch(list(texts), tables)
    if batch.n_docs != len(texts):
        _fail(f"{batch.n_docs} documents for {len(texts)} texts", texts)
    starts = batch.starts
    if starts[0] != 0 or starts[-1] != batch.codes.size or np.any(np.diff(starts) < 0):
        _fail("starts are not a partition of the codes", texts)
    if batch.origin.size != batch.codes.size or batch.doc.size != batch.codes.size:
        _fail("origin/doc arrays do not match the codes", texts)
    for i, text in enumerate(texts):
        if starts[i + 1] <= starts[i] or batch.origin[starts[i + 1] - 1] != -1:
            _fail(f"text {i} does not end with its separator", text)
        origin = batch.origin[starts[i]:starts[i + 1] - 1]  # the code points, without the end separator
        if origin.size and (origin.min() < 0 or origin.max() >= len(text) or np.any(np.diff(origin) < 0)):
            _fail(f"text {i}: origin offsets outside the text", text)
        if np.any(batch.doc[starts[i]:starts[i + 1]] != i):
            _fail(f"text {i}: codes attributed to another document", text)
    for i in range(min(len(texts), 3)):
        alone = normalize_batch([texts[i]], tables)
        if alone.text(0) != batch.text(i) or int(alone.rules[0]) != int(batch.rules[i]):
            _fail(f"text {i} normalises differently alone and in a batch", texts[i])


def check_scorer(scorer: Any, objects: Sequence[Any]) -> list[dict]:
    from mlmrisk.serving.scorer import coerce_text

    try:
        batch = scorer.score_batch(list(objects))
    except Exception as exc:  # noqa: BLE001 - the invariant is "never raises"
        _fail(f"score_batch raised {type(exc).__name__}: {exc}", objects)
    records = batch.records()
    if len(records) != len(objects):
        _fail(f"{len(records)} records for {len(objects)} inputs", objects)
    for obj, record in zip(objects, records):
        text = coerce_text(obj)
        if not isinstance(text, str):
            if record["error"] is None or record["error"]["code"] != text.code:
                _fail("a non-text input has no matching error record", obj)
            continue
        if record["error"] is not None:
            _fail(f"a text got an error record {record['error']}", obj)
        if not 0.0 <= record["probability"] <= 1.0:
            _fail(f"probability {record['probability']} outside [0, 1]", obj)
        spans = list(record["evidence"]) + [s for e in (record["elements"] or {}).values() for s in e["evidence"]]
        for span in spans:
            if text[span["start"]:span["end"]] != span["text"]:
                _fail(f"evidence span {span} is not a slice of the text", obj)
    return records


def expected_lines(data: bytes, encoding: str) -> int:
    """Physical lines of ``data`` as the readers see them (decoded as ``encoding``, leading BOM dropped)."""
    from mlmrisk.serving.readers import ESCAPE_ERRORS, to_utf8

    if encoding not in ("utf-8", "auto"):
        data = to_utf8(codecs.decode(data, encoding, ESCAPE_ERRORS))
    data = data.removeprefix(b"\xef\xbb\xbf")
    if not data:
        return 0
    return data.count(b"\n") + (not data.endswith(b"\n"))


def _sniffed_compression(data: bytes, compress: bool) -> bool:
    """Random bytes that start with gzip/zstd magic are read as that compression: no line oracle for them (a
    corrupt stream is a one-line input error; a truncated zstd frame ends the input where it breaks)."""
    return not compress and data.startswith((b"\x1f\x8b", b"\x28\xb5\x2f\xfd"))


def check_reader(data: bytes, fmt: str, directory: str, *, chunk_size: int = 7, compress: bool = False) -> int:
    """Read ``data`` as ``fmt``; check the invariants; return the number of records (0 if refused as a whole)."""
    from mlmrisk.serving.readers import ChunkReader, RecordError, detect_input

    path = Path(directory) / f"fuzz.{fmt}{'.gz' if compress else ''}"
    path.write_bytes(gzip.compress(data, mtime=0) if compress else data)
    try:
        spec = detect_input(path, fmt)
        reader = ChunkReader(spec, chunk_size=chunk_size, text_field="text")
        records: list = []
        skipped = 0
        with reader:
            for chunk in reader.chunks():
                parsed = reader.read(chunk)
                records.extend(parsed.records)
                skipped += parsed.skipped
    except InputFormatError as exc:
        if "\n" in str(exc):
            _fail("an input-level error message spans several lines", data)
        if fmt in ("jsonl", "text") and not _sniffed_compression(data, compress):
            _fail(f"{fmt} input refused as a whole: {exc}", data)
        return 0
    except Exception as exc:  # noqa: BLE001
        _fail(f"{fmt} reader raised {type(exc).__name__}: {exc}", data)
    last = 0
    for record in records:
        line, _rid, value = record
        if not (isinstance(value, str) or isinstance(value, RecordError)) or line <= last:
            _fail(f"{fmt}: bad record {record!r} after line {last}", data)
        last = line
    if fmt in ("jsonl", "text") and not _sniffed_compression(data, compress):
        lines = expected_lines(data, spec.encoding)
        if len(records) + skipped != lines:
            _fail(f"{fmt}: {len(records)} records + {skipped} skipped for {lines} lines (encoding "
                  f"{spec.encoding})", data)
    return len(records)


# ------------------------------------------------------------------------------------------------------- runner


def run(examples: int, model: str | None, seed: int, targets: Sequence[str], report: Callable[[str], None]) -> dict:
    from mlmrisk.serving.scorer import Scorer

    rng = random.Random(seed)
    scorer = Scorer.load(model, deny=["拉人头"], allow=["招商银行"])
    counts = {t: 0 for t in targets}
    share = examples // len(targets) + 1
    start = time.monotonic()
    last = start
    with tempfile.TemporaryDirectory(prefix="mlmrisk-fuzz-") as directory:
        while min(counts.values()) < share:
            for target in targets:
                if counts[target] >= share:
                    continue
                if target == "normalize":
                    texts = [random_text(rng) for _ in range(rng.choice((1, 50, 500)))]
                    check_normalize(texts, scorer.tables)
                    counts[target] += len(texts)
                elif target == "scorer":
                    objects = [random_object(rng) for _ in range(rng.choice((1, 20, 300)))]
                    check_scorer(scorer, objects)
                    counts[target] += len(objects)
                elif target == "readers":
                    fmt = rng.choice(("jsonl", "text", "csv", "tsv"))
                    n_lines = rng.choice((0, 1, 5, 50, 400))
                    data = random_file(rng, fmt, n_lines)
                    check_reader(data, fmt, directory, chunk_size=rng.choice((1, 7, 64, 8192)),
                                 compress=rng.random() < 0.2)
                    counts[target] += max(1, n_lines)
                else:
                    raise ValueError(f"unknown target {target!r}")
            now = time.monotonic()
            if now - last > 30:
                last = now
                report(f"{sum(counts.values()):,} inputs in {now - start:,.0f} s: "
                       + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    counts["total"] = sum(counts.values())
    counts["seconds"] = round(time.monotonic() - start, 1)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlmrisk.serving.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=100_000, help="total inputs over all targets")
    parser.add_argument("--model", default=None, help="model directory (default: $MLMRISK_MODEL or the shipped one)")
    parser.add_argument("--seed", type=int, default=int.from_bytes(os.urandom(4), "big"))
    parser.add_argument("--targets", default="normalize,scorer,readers")
    args = parser.parse_args(argv)
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    print(f"fuzzing {','.join(targets)} with seed {args.seed}", file=sys.stderr, flush=True)
    try:
        counts = run(args.examples, args.model, args.seed, targets, lambda s: print(s, file=sys.stderr, flush=True))
    except FuzzFailure as exc:
        print(f"FAILED (seed {args.seed}): {exc}", file=sys.stderr)
        return 1
    print(" ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
