"""The review queue: pick posts worth a human look from ``mlmrisk score`` output, read the labels back.

``select`` (``mlmrisk review select``) takes scored records (``classifier/schema.py``; JSONL or Parquet) and their
texts (kept in the records with ``score --keep-fields text``, or a ``--texts`` file joined by id) and picks up to
``budget`` posts, each with the reason it was picked:

- ``random``: a uniform random control slice (``random_share`` of the budget, drawn first from ALL scored posts),
  so the reviewed precision of the model can be estimated without the bias of the other strategies;
- ``uncertain``: closest to the model's decision boundary, calibrated probability ``UNCERTAIN_AT`` = 0.5 (in
  logit space), where a label moves the boundary most. NOT the flag threshold: that is an operating point set
  low for a false-positive budget (0.13–0.16 in ``benchmarks/simulate_review.py``); on a stream where promotion
  is rare the posts around it are mostly benign ones the model already ranks correctly, and labels there bought
  nothing (docs/retraining.md, "Does the queue pay?");
- ``disagreement``: the model and the keyword lists (``data/keywords_strict.txt``, ``keywords_broad.txt``)
  disagree: flagged without any keyword, or a strict keyword the model did not flag;
- ``novel``: the largest share of n-grams the model never saw in training (``Scorer.novelty``), weighted up when
  the post shows any risk signal (at or above watch, or a keyword).

Apart from the random slice, picks skip near-duplicates of posts already picked (Jaccard ≥ ``NEAR_DUPLICATE`` of
character 3-shingles of the NORMALISED text, through an inverted index), so a template campaign takes one slot.

Exports: the queue as JSONL; Label Studio tasks (JSON, evidence spans pre-annotated as ``predictions``, with the
labelling config beside them) and CSV. ``import_labels`` (``mlmrisk review import``) reads a Label Studio JSON
export or the filled-in CSV back into a labelled JSONL (``text, label, elements, reviewer, reviewed_at,
selected_by, reason``) that ``mlmrisk train --data FILE --elements-field elements`` accepts.
"""

from __future__ import annotations

import csv
import io
import math
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import orjson

from mlmrisk.classifier.errors import InputFormatError
from mlmrisk.classifier.labels import ELEMENTS
from mlmrisk.classifier.normalize import normalize_batch
from mlmrisk.classifier.risk import logit
from mlmrisk.resources import data_path

STRATEGY_SHARES = {"uncertain": 0.4, "disagreement": 0.35, "novel": 0.25}
UNCERTAIN_AT = 0.5  # the calibrated probability the "uncertain" strategy centres on (module docstring)
NEAR_DUPLICATE = 0.7
NOVELTY_POOL = 20_000
LABEL_CHOICES = {"mlm": 1, "not_mlm": 0}
LABEL_STUDIO_CONFIG = """<View>
  <Header value="Is this post promoting a pyramid scheme (传销 / 资金盘)? Reason picked: $reason"/>
  <Text name="text" value="$text"/>
  <Labels name="evidence" toName="text">
    <Label value="promotion" background="#d62728"/>
    <Label value="lart" background="#ff7f0e"/>
    <Label value="fee" background="#2ca02c"/>
    <Label value="team" background="#1f77b4"/>
    <Label value="ponzi" background="#9467bd"/>
  </Labels>
  <Choices name="label" toName="text" choice="single" showInLine="true">
    <Choice value="mlm"/>
    <Choice value="not_mlm"/>
    <Choice value="unsure"/>
  </Choices>
  <Choices name="elements" toName="text" choice="multiple" showInLine="true">
    <Choice value="lart"/>
    <Choice value="fee"/>
    <Choice value="team"/>
    <Choice value="ponzi"/>
  </Choices>
</View>
"""
CSV_COLUMNS = ("id", "text", "probability", "level", "reason", "reasons", "evidence", "selected_by", "label",
               "elements", "reviewer", "reviewed_at", "notes")


# ---------------------------------------------------------------------------------------------------- reading
def read_rows(path: Path) -> list[dict]:
    """Records of a JSONL, JSON (a list), CSV/TSV or Parquet file."""
    path = Path(path)
    if not path.is_file():
        raise InputFormatError(f"{path} does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return pq.read_table(path).to_pylist()
        raw = path.read_bytes()
        if suffix in (".csv", ".tsv"):
            text = raw.decode("utf-8-sig")
            return list(csv.DictReader(io.StringIO(text), delimiter="\t" if suffix == ".tsv" else ","))
        if suffix == ".json":
            value = orjson.loads(raw)
            if not isinstance(value, list):
                raise InputFormatError(f"{path}: expected a JSON list of records")
            return value
        return [orjson.loads(line) for line in raw.splitlines() if line.strip()]
    except (orjson.JSONDecodeError, UnicodeDecodeError, csv.Error) as exc:
        raise InputFormatError(f"{path}: cannot be read as {suffix or 'JSONL'} ({exc})") from None
    except OSError as exc:
        raise InputFormatError(f"{path}: {exc}") from None


def read_keywords(path: Path) -> list[str]:
    words = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words.append(line)
    return words


class KeywordMatcher:
    """The keyword baselines over raw text: pyahocorasick when installed, else plain ``in``."""

    def __init__(self, words: Sequence[str]):
        self.words = list(dict.fromkeys(words))
        try:
            import ahocorasick
        except ImportError:
            self._automaton = None
        else:
            self._automaton = ahocorasick.Automaton()
            for word in self.words:
                self._automaton.add_word(word, word)
            if self.words:
                self._automaton.make_automaton()
            else:
                self._automaton = None

    def hits(self, text: str) -> list[str]:
        if self._automaton is None:
            return [w for w in self.words if w in text]
        return list(dict.fromkeys(word for _, word in self._automaton.iter(text)))


def keyword_matchers() -> dict[str, KeywordMatcher]:
    return {name: KeywordMatcher(read_keywords(data_path(f"keywords_{name}.txt"))) for name in ("strict", "broad")}


def join_texts(records: Sequence[dict], texts_path: Path | None, text_field: str, id_field: str) -> list[str | None]:
    """The text of each scored record: from the record itself (``--keep-fields text``) or the ``--texts`` file."""
    if texts_path is None:
        if records and not any(isinstance(r.get(text_field), str) for r in records):
            raise InputFormatError(f"the scored records hold no {text_field!r} field: score with `--keep-fields "
                                   f"{text_field}` or pass the posts with --texts FILE (joined by id)")
        return [r.get(text_field) if isinstance(r.get(text_field), str) else None for r in records]
    by_id: dict[str, str] = {}
    for i, row in enumerate(read_rows(texts_path)):
        if text_field not in row:
            raise InputFormatError(f"{texts_path}: no field {text_field!r} (fields: {', '.join(row)}); "
                                   "use --text-field")
        key = row.get(id_field, i)  # `mlmrisk score` numbers records without an id by position
        by_id[str(key)] = row[text_field]
    texts = [by_id.get(str(r.get("id"))) for r in records]
    if records and not any(isinstance(t, str) for t in texts):
        raise InputFormatError(f"no id of the scored records matches a {id_field!r} of {texts_path}; "
                               "use --id-field")
    return texts


# ---------------------------------------------------------------------------------------------------- selection
class _Shingles:
    """Near-duplicate check against the posts picked so far (character 3-shingles, inverted index)."""

    def __init__(self, threshold: float = NEAR_DUPLICATE):
        self.threshold = threshold
        self.index: dict[str, list[int]] = {}
        self.sizes: list[int] = []

    @staticmethod
    def shingles(text: str) -> set[str]:
        text = "".join(text.split())
        return {text[i : i + 3] for i in range(max(1, len(text) - 2))}

    def is_near_duplicate(self, shingles: set[str]) -> bool:
        overlap: Counter = Counter()
        for s in shingles:
            for k in self.index.get(s, ()):
                overlap[k] += 1
        for k, inter in overlap.items():
            if inter / (len(shingles) + self.sizes[k] - inter) >= self.threshold:
                return True
        return False

    def add(self, shingles: set[str]) -> None:
        k = len(self.sizes)
        self.sizes.append(len(shingles))
        for s in shingles:
            self.index.setdefault(s, []).append(k)


def select(records: Sequence[dict], texts: Sequence[str | None], scorer, budget: int, *, seed: int = 0,
           random_share: float = 0.1, shares: dict[str, float] | None = None,
           uncertain_at: float | None = UNCERTAIN_AT) -> list[dict]:
    """Pick up to ``budget`` posts for review; each item says why (``reason``, and every reason in ``reasons``).

    ``uncertain_at`` is the probability the ``uncertain`` strategy centres on; ``None`` centres it on the flag
    threshold instead (the queue before the simulation measured that this wastes the labels; kept so the
    simulation can show both).
    """
    shares = shares or STRATEGY_SHARES
    ok = [i for i, (r, t) in enumerate(zip(records, texts))
          if isinstance(t, str) and t.strip() and not r.get("error") and r.get("probability") is not None]
    if not ok:
        return []
    rng = np.random.default_rng(seed)
    cand = np.asarray(ok)
    ctext = [texts[i] for i in ok]
    p = np.asarray([float(records[i]["probability"]) for i in ok])
    # the record's own decision (flag threshold AND minimum evidence rule); p ≥ flag only for records without one
    flagged = np.asarray([bool(records[i]["flagged"]) if "flagged" in records[i] else p[j] >= scorer.thresholds.flag
                          for j, i in enumerate(ok)], dtype=bool)
    matchers = keyword_matchers()
    strict = [matchers["strict"].hits(t) for t in ctext]
    broad = [matchers["broad"].hits(t) for t in ctext]
    has_strict = np.asarray([bool(h) for h in strict])
    has_broad = np.asarray([bool(h) for h in broad])
    n = cand.size

    # novelty on a pool: every post with a risk signal, then a random sample, up to NOVELTY_POOL
    signal = (p >= scorer.thresholds.watch) | has_broad | has_strict
    pool = np.flatnonzero(signal)
    rest = np.flatnonzero(~signal)
    if pool.size < NOVELTY_POOL and rest.size:
        pool = np.concatenate([pool, rng.permutation(rest)[: NOVELTY_POOL - pool.size]])
    pool = pool[:NOVELTY_POOL]
    novelty = np.full(n, np.nan)
    if pool.size:
        novelty[pool] = scorer.novelty([ctext[j] for j in pool])

    centre = scorer.thresholds.flag if uncertain_at is None else uncertain_at
    distance = np.abs(logit(p) - logit(np.asarray(centre)))
    model_only = flagged & ~has_broad
    keyword_only = has_strict & ~flagged
    reasons_of = [[] for _ in range(n)]
    near_boundary = distance <= np.quantile(distance, min(1.0, 4 * budget / max(n, 1)))
    for j in range(n):
        if near_boundary[j]:
            reasons_of[j].append("uncertain")
        if model_only[j] or keyword_only[j]:
            reasons_of[j].append("disagreement")
    novel_score = np.nan_to_num(novelty, nan=-1.0) * np.where(signal, 1.0, 0.5)
    novel_cut = np.quantile(novel_score[pool], 0.9) if pool.size else np.inf
    for j in np.flatnonzero(novel_score >= max(novel_cut, 1e-9)):
        reasons_of[j].append("novel")

    # ranked candidate lists per strategy
    ko = np.flatnonzero(keyword_only)
    ko = ko[np.lexsort((-p[ko], -np.asarray([len(strict[j]) for j in ko])))]
    mo = np.flatnonzero(model_only)
    mo = mo[np.argsort(-p[mo], kind="stable")]
    disagreement = [int(x) for pair in zip(ko, mo) for x in pair]
    disagreement += [int(x) for x in (ko[len(mo):] if ko.size > mo.size else mo[len(ko):])]
    ranked = {
        "uncertain": [int(j) for j in np.argsort(distance, kind="stable")],
        "disagreement": disagreement,
        "novel": [int(j) for j in np.argsort(-novel_score, kind="stable") if novel_score[j] > 0],
    }

    picked: dict[int, str] = {}
    n_random = min(n, budget, int(round(budget * random_share)))
    for j in rng.choice(n, size=n_random, replace=False) if n_random else []:
        picked[int(j)] = "random"
    normalised = {}

    def norm_text(j: int) -> str:
        if j not in normalised:
            normalised[j] = normalize_batch([ctext[j]], scorer.tables).text(0)
        return normalised[j]

    dedup = _Shingles()
    for j in picked:
        dedup.add(_Shingles.shingles(norm_text(j)))
    cursor = {name: 0 for name in ranked}

    def take(name: str, quota: int) -> int:
        got = 0
        items = ranked[name]
        while got < quota and cursor[name] < len(items) and len(picked) < budget:
            j = items[cursor[name]]
            cursor[name] += 1
            if j in picked:
                continue
            sh = _Shingles.shingles(norm_text(j))
            if dedup.is_near_duplicate(sh):
                continue
            dedup.add(sh)
            picked[j] = name
            got += 1
        return got

    remaining = budget - len(picked)
    total_share = sum(shares.values())
    for name, share in shares.items():
        take(name, int(math.floor(remaining * share / total_share)))
    while len(picked) < budget:  # fill from the strategies in turn; then at random
        if not sum(take(name, 1) for name in ranked):
            break
    if len(picked) < budget:
        for j in rng.permutation(n):
            if len(picked) >= budget:
                break
            if int(j) not in picked:
                picked[int(j)] = "random_fill"

    selected_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    queue = []
    for rank, (j, reason) in enumerate(picked.items()):
        record = records[int(cand[j])]
        reasons = list(dict.fromkeys([reason] + reasons_of[j]))
        queue.append({
            "id": record.get("id", int(cand[j])), "text": ctext[j], "probability": float(p[j]),
            "level": record.get("level"), "flagged": bool(flagged[j]), "reason": reason, "reasons": reasons,
            "keywords": {"strict": strict[j], "broad": broad[j]},
            "novelty": None if np.isnan(novelty[j]) else round(float(novelty[j]), 4),
            "evidence": record.get("evidence") or [], "elements": record.get("elements"),
            "scored_by": record.get("model"), "selected_by": scorer.model_id, "selected_at": selected_at,
            "queue_rank": rank,
        })
    return queue


# ---------------------------------------------------------------------------------------------------- exports
def label_studio_tasks(queue: Sequence[dict]) -> list[dict]:
    """Label Studio tasks: the post and its metadata in ``data``; the model's evidence spans (label
    ``promotion``; element evidence under the element's label) and its decision as ``predictions``."""
    tasks = []
    for item in queue:
        result = []
        for k, span in enumerate(item.get("evidence") or []):
            result.append({"id": f"ev{k}", "from_name": "evidence", "to_name": "text", "type": "labels",
                           "value": {"start": span["start"], "end": span["end"], "text": span["text"],
                                     "labels": ["promotion"]}, "score": span.get("weight")})
        for element, entry in (item.get("elements") or {}).items():
            if not entry or not entry.get("present"):
                continue
            for k, span in enumerate(entry.get("evidence") or []):
                result.append({"id": f"{element}{k}", "from_name": "evidence", "to_name": "text", "type": "labels",
                               "value": {"start": span["start"], "end": span["end"], "text": span["text"],
                                         "labels": [element]}})
        result.append({"id": "decision", "from_name": "label", "to_name": "text", "type": "choices",
                       "value": {"choices": ["mlm" if item["flagged"] else "not_mlm"]}})
        present = [e for e, entry in (item.get("elements") or {}).items() if entry and entry.get("present")]
        if present:
            result.append({"id": "elements", "from_name": "elements", "to_name": "text", "type": "choices",
                           "value": {"choices": present}})
        data = {"text": item["text"], "post_id": item["id"], "reason": item["reason"],
                "reasons": ", ".join(item["reasons"]), "probability": round(item["probability"], 4),
                "selected_by": item["selected_by"]}
        tasks.append({"data": data, "predictions": [{"model_version": item["selected_by"],
                                                     "score": round(item["probability"], 4), "result": result}]})
    return tasks


def write_label_studio(queue: Sequence[dict], path: Path) -> Path:
    path = Path(path)
    path.write_bytes(orjson.dumps(label_studio_tasks(queue), option=orjson.OPT_INDENT_2))
    config = path.with_name(path.stem + ".label_config.xml")
    config.write_text(LABEL_STUDIO_CONFIG, encoding="utf-8")
    return config


def write_csv(queue: Sequence[dict], path: Path) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for item in queue:
            writer.writerow({"id": item["id"], "text": item["text"], "probability": round(item["probability"], 4),
                             "level": item["level"], "reason": item["reason"], "reasons": " ".join(item["reasons"]),
                             "evidence": " | ".join(s["text"] for s in item.get("evidence") or []),
                             "selected_by": item["selected_by"], "label": "", "elements": "", "reviewer": "",
                             "reviewed_at": "", "notes": ""})


def check_scored_by(records: Sequence[dict], model_id: str, path: Path) -> None:
    """The queue's uncertainty and novelty are read off the records' scores and the selecting model's features, so
    both must come from one model: records scored by another model (a challenger scored the file, the default model
    selects) or not scored at all are refused instead of giving a queue stamped with the wrong model."""
    scored = [r for r in records if isinstance(r, dict) and r.get("probability") is not None]
    if records and not scored:
        raise InputFormatError(f"{path}: no scored records (no probability field); run `mlmrisk score` on it first")
    models = sorted({str(r["model"]) for r in scored if r.get("model")})
    other = [m for m in models if m != model_id]
    if other:
        raise InputFormatError(f"{path} was scored by {', '.join(other)}, but the queue would be selected with "
                               f"{model_id}; pass --model DIR of the model that scored it")


def select_file(scored: Path, output: Path, *, scorer, budget: int, texts_path: Path | None = None,
                text_field: str = "text", id_field: str = "id", seed: int = 0, random_share: float = 0.1,
                label_studio: Path | None = None, csv_path: Path | None = None) -> dict:
    """``mlmrisk review select``: read, pick, write the queue (and the exports asked for); returns a summary."""
    records = read_rows(scored)
    check_scored_by(records, scorer.model_id, scored)
    texts = join_texts(records, texts_path, text_field, id_field)
    queue = select(records, texts, scorer, budget, seed=seed, random_share=random_share)
    output = Path(output)
    output.write_bytes(b"".join(orjson.dumps(item) + b"\n" for item in queue))
    if label_studio:
        write_label_studio(queue, label_studio)
    if csv_path:
        write_csv(queue, csv_path)
    return {"scored": len(records), "with_text": sum(isinstance(t, str) for t in texts), "picked": len(queue),
            "by_reason": dict(Counter(item["reason"] for item in queue)), "output": str(output),
            "model": scorer.model_id}


# ---------------------------------------------------------------------------------------------------- import
def _label(value) -> int | None:
    """1/0 from a reviewer's label (mlm/not_mlm, 1/0, yes/no, true/false); None for blank or unsure."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return int(value) if value in (0, 1) else None
    text = str(value).strip().lower()
    if text in ("mlm", "1", "yes", "y", "true", "pos", "positive"):
        return 1
    if text in ("not_mlm", "0", "no", "n", "false", "neg", "negative"):
        return 0
    return None


def _elements(value) -> list[str]:
    if not value:
        return []
    items = value if isinstance(value, list) else str(value).replace(",", " ").replace(";", " ").split()
    bad = [e for e in items if e not in ELEMENTS]
    if bad:
        raise InputFormatError(f"unknown element {bad[0]!r}; expected some of {', '.join(ELEMENTS)}")
    return list(dict.fromkeys(items))


def _reviewer(value) -> str | None:
    if isinstance(value, dict):
        return value.get("email") or (str(value["id"]) if "id" in value else None)
    return None if value is None else str(value)


def _from_label_studio(task: dict) -> dict | None:
    annotations = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
    if not annotations:
        return None
    annotation = max(annotations, key=lambda a: str(a.get("updated_at") or a.get("created_at") or ""))
    label, elements, chosen = None, [], None
    for item in annotation.get("result") or []:
        value = item.get("value") or {}
        if item.get("from_name") == "label" and item.get("type") == "choices":
            choices = value.get("choices") or []
            label = _label(choices[0]) if choices else None
            chosen = choices[0] if choices else None
            if choices and choices[0] == "unsure":
                return {"_unsure": True}
        elif item.get("from_name") == "elements":
            elements += value.get("choices") or []
        elif item.get("type") == "labels":
            elements += [lab for lab in value.get("labels") or [] if lab in ELEMENTS]
    if label is None:
        # a label choice this importer does not know (a project with other choice names) is not "unsure"
        return {"_unknown": str(chosen)} if chosen is not None else {"_unsure": True}
    data = task.get("data") or {}
    return {"id": data.get("post_id", task.get("id")), "text": data.get("text"), "label": label,
            "elements": _elements(elements) if label else [], "reviewer": _reviewer(annotation.get("completed_by")),
            "reviewed_at": annotation.get("updated_at") or annotation.get("created_at"),
            "selected_by": data.get("selected_by"), "reason": data.get("reason")}


def _from_csv_row(row: dict) -> dict | None:
    label = _label(row.get("label"))
    if label is None:
        given = (row.get("label") or "").strip()
        if not given:
            return None
        return {"_unsure": True} if given.lower() == "unsure" else {"_unknown": given}
    return {"id": row.get("id"), "text": row.get("text"), "label": label,
            "elements": _elements(row.get("elements")) if label else [], "reviewer": row.get("reviewer") or None,
            "reviewed_at": row.get("reviewed_at") or None, "selected_by": row.get("selected_by") or None,
            "reason": row.get("reason") or None}


def _instant(value) -> datetime | None:
    """A review time as an aware UTC instant (ISO 8601: ``2026-11-30T10:05:00Z``, ``+08:00`` offsets, a space for
    the ``T``; a naive time is taken as UTC), or None when it does not parse: times are compared as instants, not
    as strings (``Z`` against ``+08:00``, ``T`` against a space)."""
    if value is None or value == "":
        return None
    try:
        moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def import_labels(exports: Iterable[Path], output: Path) -> dict:
    """Reviewers' exports (Label Studio JSON, or the queue CSV filled in) → labelled JSONL; returns counts.

    Tasks without an annotation (or rows without a label) are left out; ``unsure`` too, and labels this importer
    does not know (counted apart, with examples, so a project whose choices have other names is noticed). The same
    post labelled more than once keeps the label reviewed last (``reviewed_at``; without timestamps, the one read
    last); those whose labels disagree are counted as ``conflicts``.
    """
    labelled: dict[str, dict] = {}
    counts = Counter()
    unknown: Counter = Counter()
    for path in exports:
        path = Path(path)
        rows = read_rows(path)
        if path.suffix.lower() in (".csv", ".tsv"):
            missing = {"text", "label"} - set(rows[0]) if rows else set()
            if missing:
                raise InputFormatError(f"{path}: no column {', '.join(sorted(missing))}; expected the queue CSV "
                                       f"columns {', '.join(CSV_COLUMNS)}")
            parsed = [_from_csv_row(r) for r in rows]
        else:
            if rows and not all(isinstance(r, dict) and "data" in r for r in rows):
                raise InputFormatError(f"{path}: expected a Label Studio JSON export (a list of tasks with data "
                                       "and annotations)")
            parsed = [_from_label_studio(r) for r in rows]
        for item in parsed:
            counts["read"] += 1
            if item is None:
                counts["unlabelled"] += 1
            elif item.get("_unsure"):
                counts["unsure"] += 1
            elif "_unknown" in item:
                unknown[item["_unknown"]] += 1
            elif not isinstance(item.get("text"), str) or not item["text"].strip():
                counts["no_text"] += 1
            else:
                key = str(item["id"]) if item.get("id") is not None else item["text"]
                earlier = labelled.get(key)
                if earlier is not None:
                    counts["conflicts"] += earlier["label"] != item["label"]
                    then, now = _instant(earlier.get("reviewed_at")), _instant(item.get("reviewed_at"))
                    if then is not None and now is not None and now < then:
                        continue  # the earlier-read label was given later
                labelled[key] = item
    items = list(labelled.values())
    Path(output).write_bytes(b"".join(orjson.dumps(item) + b"\n" for item in items))
    return {"read": counts["read"], "labelled": len(items), "positives": sum(i["label"] for i in items),
            "unlabelled": counts["unlabelled"], "unsure": counts["unsure"], "no_text": counts["no_text"],
            "unknown_labels": sum(unknown.values()), "unknown_label_values": [v for v, _ in unknown.most_common(5)],
            "conflicts": counts["conflicts"], "output": str(output)}
