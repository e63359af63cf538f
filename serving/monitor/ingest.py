"""Read monitored posts (account, time, text; optional channel, id) from JSONL, CSV/TSV or Parquet (gzip/zstd too).

Reading, field mapping, time parsing and the dedup key run inside DuckDB (its C++ readers parse JSON several times
faster than a Python loop, which is what keeps ``monitor`` on already-scored input cheaper than scoring). Every
record becomes one JSON object first, so JSONL, CSV and Parquet go through one extraction; a record that already
carries a numeric ``probability`` and a ``level`` (the output of ``mlmrisk score`` joined with account and time, in
the current or the new record shape) is taken as scored and never rescored.

Bad records — no account, no parsable time (ISO 8601 or epoch seconds), neither a string text nor scores, a scored
record with an ``error``, a line that is not JSON — are counted and skipped, never fatal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from mlmrisk.classifier.errors import InputFormatError
from mlmrisk.serving.readers import detect_input


@dataclass
class FieldMap:
    account: str = "account"
    time: str = "time"
    text: str = "text"
    id: str = "id"
    channel: str = "channel"

    def path(self, name: str) -> str:
        field = getattr(self, name)
        if '"' in field or "'" in field:
            raise InputFormatError(f"field name {field!r} may not contain quotes")
        return f"'$.\"{field}\"'"


def source_sql(path: str) -> str:
    """A DuckDB query yielding one ``json`` column, one row per input record."""
    spec = detect_input(path)
    quoted = spec.path.replace("'", "''")
    compression = {"gzip": "gzip", "zstd": "zstd", None: "none"}[spec.compression]
    if spec.format == "jsonl":
        return f"SELECT json FROM read_ndjson_objects('{quoted}', ignore_errors = true, compression = '{compression}')"
    if spec.format in ("csv", "tsv"):
        delim = "\\t" if spec.format == "tsv" else ","
        return (f"SELECT to_json(t) AS json FROM read_csv('{quoted}', all_varchar = true, header = true,"
                f" delim = E'{delim}', compression = '{compression}') t")
    if spec.format == "parquet":
        return f"SELECT to_json(t) AS json FROM read_parquet('{quoted}') t"
    raise InputFormatError(f"monitor reads JSONL, CSV or Parquet; {path!r} is {spec.format}")


SCORE_FIELDS = {"probability": "DOUBLE", "level": "VARCHAR", "risk": "DOUBLE", "flagged": "BOOLEAN",
                "model": "VARCHAR", "error": "JSON", "elements": "JSON", "evidence": "JSON", "normalization": "JSON",
                "lists": "JSON"}


def staging_sql(path: str, fields: FieldMap) -> str:
    """Rows of ``path`` as typed columns plus ``ok`` (usable) and the dedup ``key``.

    Each JSON document is parsed once (``json_transform`` into a struct); extracting field by field re-parsed the
    whole record, evidence arrays included, for every field and cost 5× more on scored input.
    """
    for name in ("account", "time", "text", "id", "channel"):
        fields.path(name)  # refuses quotes
    wanted = {"account": fields.account, "time": fields.time, "text": fields.text, "id": fields.id,
              "channel": fields.channel}
    struct = {src: "VARCHAR" for src in wanted.values()}
    struct.update({k: v for k, v in SCORE_FIELDS.items() if k not in struct})
    spec = json.dumps(struct).replace("'", "''")

    def col(name: str) -> str:
        return 'v."' + wanted[name] + '"'

    return f"""
    WITH src AS ({source_sql(path)}),
    t0 AS (SELECT json_transform(json, '{spec}') AS v FROM src),
    typed AS (
      SELECT NULLIF({col("account")}, '') AS account, NULLIF({col("id")}, '') AS pid,
        CASE WHEN regexp_full_match({col("time")}, '[0-9]+(\\.[0-9]+)?')
             THEN to_timestamp(CAST({col("time")} AS DOUBLE)) ELSE TRY_CAST({col("time")} AS TIMESTAMPTZ) END AS ts,
        {col("text")} AS text, {col("channel")} AS channel,
        v.probability AS probability, v.level AS level, v.risk AS risk, v.flagged AS flagged, v.model AS model,
        v.elements AS elements, v.evidence AS evidence, v.normalization AS normalization, v.lists AS lists,
        v.probability IS NOT NULL AND v.level IS NOT NULL AS is_scored,
        coalesce(json_type(v.error) <> 'NULL', false) AS has_error
      FROM t0)
    SELECT *, strftime(ts, '%Y-%m-%dT%H:%M:%S') AS time,
      account IS NOT NULL AND ts IS NOT NULL AND (text IS NOT NULL OR is_scored) AND NOT has_error AS ok,
      CASE WHEN pid IS NOT NULL THEN md5('id' || chr(31) || account || chr(31) || pid)
           ELSE md5('tt' || chr(31) || account || chr(31) || strftime(ts, '%Y-%m-%dT%H:%M:%S') || chr(31)
                    || md5(coalesce(text, ''))) END AS key
    FROM typed
    """
