"""The Spark job and ``score_dataframe`` write what ``mlmrisk score`` writes (same function builds the rows)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

REPO = Path(__file__).resolve().parents[2]


def _posts() -> list[dict]:
    rows = []
    for name in ("sample_posts.jsonl", "challenge_set.jsonl"):
        with open(REPO / "data" / name, encoding="utf-8") as f:
            rows.extend(json.loads(line) for line in f if line.strip())
    return rows


def _input_rows(n: int = 300) -> list[dict]:
    posts = _posts()
    out = []
    for k in range(n):
        post = posts[k % len(posts)]
        row = {"id": f"r{k}", "text": post["text"]}
        if k % 97 == 5:
            row["text"] = None  # a bad record: an error row in both outputs
        if k % 89 == 7:
            del row["id"]  # no id: both fall back to the line number
        out.append(row)
    return out


def _flat(table) -> list[dict]:
    """mlmrisk score's Parquet table flattened by the CSV rule (what the Spark job writes)."""
    from mlmrisk.serving.tabular import flatten_for_csv

    return flatten_for_csv(table).to_pylist()


def _rows(path: Path, flatten: bool = False) -> list[dict]:
    rows = _flat(pq.read_table(path)) if flatten else pq.read_table(path).to_pylist()
    for row in rows:
        row.pop("error.message")  # the message wording differs (reader vs scorer); the code is compared
    return rows


def test_spark_job_equals_mlmrisk_score(spark, tmp_path):
    from mlmrisk.serving.bulk import score_file
    from mlmrisk.serving.spark import score_path

    source = tmp_path / "posts.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _input_rows()), encoding="utf-8")
    score_file(source, tmp_path / "ref.parquet", progress=False)
    summary = score_path(source, tmp_path / "out", spark=spark)
    ref, out = _rows(tmp_path / "ref.parquet", flatten=True), _rows(tmp_path / "out")
    assert len(out) == len(ref) == 300
    assert out == ref
    assert summary["records"] == 300 and summary["bad"] == sum(r["error.code"] is not None for r in ref) > 0
    assert pq.read_table(tmp_path / "out").schema.names == list(_flat(pq.read_table(tmp_path / "ref.parquet"))[0])


def test_score_dataframe_on_an_existing_dataframe(spark, tmp_path):
    from mlmrisk.serving.bulk import score_file
    from mlmrisk.serving.spark import score_dataframe

    rows = [{"post_id": f"p{k}", "content": r["text"] or ""} for k, r in enumerate(_input_rows(120))]
    source = tmp_path / "posts.parquet"
    import pyarrow as pa

    pq.write_table(pa.Table.from_pylist(rows), source)
    score_file(source, tmp_path / "ref.parquet", text_field="content", id_field="post_id", progress=False)
    df = spark.read.parquet(str(source))
    scored = score_dataframe(df, text_col="content", id_col="post_id")
    got = [r.asDict() for r in scored.collect()]
    ref = _flat(pq.read_table(tmp_path / "ref.parquet"))
    for row in ref:
        row["line"] = None  # score_dataframe has no line numbers unless given a line_col
    assert got == ref


def test_missing_text_column_is_a_clear_error(spark):
    from mlmrisk.classifier.errors import InputFormatError
    from mlmrisk.serving.spark import score_dataframe

    df = spark.createDataFrame([("a",)], ["body"])
    with pytest.raises(InputFormatError, match="text column 'text'"):
        score_dataframe(df)
