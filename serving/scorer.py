"""Score posts with a model directory: one ONNX file plus its JSON manifest, nothing else.

No scikit-learn, no pickle: the manifest carries the normaliser tables and thresholds, the ONNX graph carries
everything learned. One onnxruntime session with one thread per process (docs/design_facts.md §2: more intra-op threads are
slower on these small ops; scale with processes instead).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from mlmrisk.classifier.errors import ModelLoadError
from mlmrisk.classifier.evidence import extract_evidence, top_features
from mlmrisk.classifier.features import gram_rows_of
from mlmrisk.classifier.labels import ELEMENTS
from mlmrisk.classifier.manifest import MANIFEST_NAME, check_digest, check_manifest, model_id, sha256_file
from mlmrisk.classifier.lists import PhraseList, apply_allow_list, find_deny_hits
from mlmrisk.classifier.normalize import NormalizedBatch, NormalizerTables, normalize_batch, rule_names
from mlmrisk.classifier.result import ElementResult, Evidence, InputError, RiskResult
from mlmrisk.classifier.risk import LEVELS, Thresholds, risk_index, risk_levels
from mlmrisk.classifier.word_snap import SnapLexicon
from mlmrisk.resources import default_model_dir

DEFAULT_BATCH_SIZE = 1024
#: Characters per graph run. The graph holds a few float64 rows per n-gram, so memory grows with the characters
#: of a batch, not its post count: 8,192 long articles in one run took 3 GB. At 2^16 characters a run's
#: intermediates stay near 25 MB (a bulk worker peaked at ~300 MB in all, against ~400 MB at 2^18) and
#: throughput is the same or better (smaller runs stay in cache).
MAX_RUN_CHARS = 1 << 16
_EXPECTED_INPUTS = {"codes": "tensor(int64)", "starts": "tensor(int64)"}


def find_manifest(model_dir: str | os.PathLike | None) -> tuple[Path, Path]:
    """(model directory, its manifest.json path); a clear error when the directory holds no model."""
    directory = Path(model_dir) if model_dir is not None else default_model_dir()
    manifest = directory / MANIFEST_NAME
    if not manifest.is_file():
        raise ModelLoadError(
            f"no manifest.json in {directory}: expected a model directory written by `mlmrisk train` "
            "(model.onnx + manifest.json); pass --model DIR or rebuild with `mlmrisk train`"
        )
    return directory, manifest


def coerce_text(value: object) -> str | InputError:
    """A scorable string, or the reason it is not one (None, numbers, lists, invalid UTF-8 bytes…)."""
    if isinstance(value, str):
        return value
    if value is None:
        return InputError("missing_text", "text is null or missing")
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            return InputError("invalid_utf8", f"text bytes are not valid UTF-8 ({exc.reason} at byte {exc.start})")
    return InputError("not_a_string", f"text must be a string, got {type(value).__name__}")


@dataclass
class ScoredBatch:
    """Scores of a batch as arrays (fast path for bulk jobs); ``results()``/``records()`` build per-post objects.

    Rows whose input was bad have ``error`` set and NaN/-1/False in the arrays.
    """

    texts: list[str | None]
    errors: list[InputError | None]
    probability: np.ndarray  # float64[N]
    element_probability: np.ndarray  # float64[N, 4]
    risk: np.ndarray  # int64[N]
    level: np.ndarray  # int64[N], index into LEVELS; -1 for errors
    flagged: np.ndarray  # bool[N]
    rules: np.ndarray  # uint16[N]
    evidence: dict[int, tuple[Evidence, ...]]
    element_evidence: dict[int, dict[str, tuple[Evidence, ...]]]
    lists: dict[int, tuple[str, ...]]
    thresholds: Thresholds

    def __len__(self) -> int:
        return len(self.texts)

    def results(self) -> list[RiskResult]:
        out = []
        for i, error in enumerate(self.errors):
            if error is not None:
                out.append(RiskResult.failed(error))
                continue
            element_evidence = self.element_evidence.get(i, {})
            elements = {
                name: ElementResult(
                    float(self.element_probability[i, k]),
                    bool(self.element_probability[i, k] >= self.thresholds.element),
                    element_evidence.get(name, ()),
                )
                for k, name in enumerate(ELEMENTS)
            }
            out.append(
                RiskResult(
                    probability=float(self.probability[i]),
                    risk=int(self.risk[i]),
                    level=LEVELS[int(self.level[i])],
                    flagged=bool(self.flagged[i]),
                    elements=elements,
                    evidence=self.evidence.get(i, ()),
                    normalization=tuple(rule_names(int(self.rules[i]))),
                    lists=self.lists.get(i, ()),
                )
            )
        return out

    def records(self, ids: Sequence[object] | None = None, rows: Sequence[int] | None = None) -> list[dict]:
        """One JSON-ready dict per input (or per index in ``rows``), in order; ``id`` first when ids are given.

        The same dicts as ``RiskResult.to_dict()``, built straight from the arrays: bulk jobs write millions of
        them, and going through result objects cost more than scoring.
        """
        element_threshold = self.thresholds.element
        probability = np.round(self.probability, 6).tolist()
        elements = np.round(self.element_probability, 6).tolist()
        present = (self.element_probability >= element_threshold).tolist()
        risk = self.risk.tolist()
        level = self.level.tolist()
        flagged = self.flagged.tolist()
        rules = self.rules.tolist()
        names = [level_.value for level_ in LEVELS]
        rule_cache: dict[int, list[str]] = {}
        records = []
        for i in range(len(self.texts)) if rows is None else rows:
            record = {"id": ids[i]} if ids is not None else {}
            error = self.errors[i]
            if error is not None:
                record["error"] = error.to_dict()
                records.append(record)
                continue
            element_evidence = self.element_evidence.get(i, {})
            bits = rules[i]
            if bits not in rule_cache:
                rule_cache[bits] = rule_names(bits)
            record.update({
                "probability": probability[i], "risk": risk[i], "level": names[level[i]], "flagged": flagged[i],
                "elements": {
                    name: {"probability": elements[i][k], "present": present[i][k],
                           "evidence": [e.to_dict() for e in element_evidence.get(name, ())]}
                    for k, name in enumerate(ELEMENTS)
                },
                "evidence": [e.to_dict() for e in self.evidence.get(i, ())],
                "normalization": list(rule_cache[bits]),
                "lists": list(self.lists.get(i, ())),
            })
            records.append(record)
        return records


def _join(parts: list[ScoredBatch], cuts: list[int]) -> ScoredBatch:
    """One ScoredBatch from consecutive parts (``cuts[i]`` is where part ``i`` starts)."""
    def shifted(name: str) -> dict:
        return {cut + i: v for part, cut in zip(parts, cuts) for i, v in getattr(part, name).items()}

    return ScoredBatch(
        [t for p in parts for t in p.texts], [e for p in parts for e in p.errors],
        np.concatenate([p.probability for p in parts]), np.concatenate([p.element_probability for p in parts]),
        np.concatenate([p.risk for p in parts]), np.concatenate([p.level for p in parts]),
        np.concatenate([p.flagged for p in parts]), np.concatenate([p.rules for p in parts]),
        shifted("evidence"), shifted("element_evidence"), shifted("lists"), parts[0].thresholds,
    )


class Scorer:
    """Scores Chinese posts for pyramid-scheme promotion risk.

    >>> from serving import Scorer
    >>> scorer = Scorer.load()                                    # doctest: +SKIP
    >>> scorer.score(["静态收益加动态收益，直推十人拿见点奖"])[0].level   # doctest: +SKIP

    ``manifest`` is the model's manifest as loaded, except that ``evidence.snap_words`` holds the number of words
    (the words themselves are in ``lexicon``).
    """

    def __init__(self, model_dir: Path, manifest: dict, session: ort.InferenceSession, tables: NormalizerTables,
                 thresholds: Thresholds, allow: PhraseList | None = None, deny: PhraseList | None = None,
                 lexicon: SnapLexicon | None = None):
        self.model_dir = model_dir
        self.manifest = manifest
        self.session = session
        self.tables = tables
        self.thresholds = thresholds
        self.allow = allow
        self.deny = deny
        self.lexicon = lexicon

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: str | Path | None = None, *, allow=None, deny=None, verify: bool = True) -> "Scorer":
        """Load a model directory (default: the shipped model) and optional allow/deny lists.

        ``allow``/``deny``: a path to a list file (plain text or JSON, see ``classifier.lists``), a list of
        phrases, or a ``PhraseList``. ``verify`` checks the ONNX file's SHA-256 against the manifest.
        """
        model_dir, manifest_path = find_manifest(path)
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelLoadError(f"{manifest_path} is not readable JSON ({exc}); rebuild with `mlmrisk train`") from exc
        check_manifest(manifest, str(manifest_path))
        onnx_path = model_dir / manifest["onnx"]["file"]
        if not onnx_path.is_file():
            raise ModelLoadError(f"{onnx_path} is missing; the model directory is incomplete")
        if verify:
            check_digest(sha256_file(onnx_path), manifest, str(onnx_path))
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        try:
            session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelLoadError(f"onnxruntime cannot load {onnx_path}: {exc}") from exc
        inputs = {i.name: i.type for i in session.get_inputs()}
        if inputs != _EXPECTED_INPUTS:
            raise ModelLoadError(f"{onnx_path} has inputs {inputs}; expected {_EXPECTED_INPUTS}")
        tables = NormalizerTables.from_spec(manifest["normalizer"])
        thresholds = Thresholds(**manifest["thresholds"])
        allow_list = PhraseList.coerce(allow, tables, kind="allow")
        deny_list = PhraseList.coerce(deny, tables, kind="deny")
        # Models written before the snap word list existed still load; their evidence is simply not widened.
        words = manifest.get("evidence", {}).get("snap_words")
        lexicon = SnapLexicon.from_words(words) if words else None
        if words:  # the list lives on in the lexicon; a 120k-item list kept here only adds to every GC pass
            manifest = {**manifest, "evidence": {**manifest["evidence"], "snap_words": len(words)}}
        return cls(model_dir, manifest, session, tables, thresholds, allow_list, deny_list, lexicon)

    @property
    def model_id(self) -> str:
        return model_id(self.manifest)

    # ------------------------------------------------------------------ scoring
    def score(self, texts: Sequence[object]) -> list[RiskResult]:
        """One ``RiskResult`` per input, in order (bad inputs get a result with ``error`` set)."""
        if isinstance(texts, (str, bytes)):
            raise TypeError("score() takes a sequence of texts; for one text use score([text])[0]")
        results: list[RiskResult] = []
        items = list(texts)
        for start in range(0, len(items), DEFAULT_BATCH_SIZE):
            results.extend(self.score_batch(items[start : start + DEFAULT_BATCH_SIZE]).results())
        return results

    def score_iter(self, texts: Iterable[object], batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[RiskResult]:
        """Stream results for any iterable of texts, scoring ``batch_size`` at a time."""
        batch: list[object] = []
        for text in texts:
            batch.append(text)
            if len(batch) >= batch_size:
                yield from self.score_batch(batch).results()
                batch = []
        if batch:
            yield from self.score_batch(batch).results()

    def score_batch(self, texts: Sequence[object]) -> ScoredBatch:
        """Score a batch into arrays; evidence is computed for flagged posts only.

        Large batches are scored in runs of at most ``MAX_RUN_CHARS`` characters (bounded memory) and joined.
        """
        lengths = [len(t) if isinstance(t, str) else 0 for t in texts]
        cuts, total = [0], 0
        for i, length in enumerate(lengths):
            total += min(length, self.tables.max_chars) + 1
            if total > MAX_RUN_CHARS and i > cuts[-1]:
                cuts.append(i)
                total = min(length, self.tables.max_chars) + 1
        if len(cuts) == 1:
            return self._score_run(texts)
        cuts.append(len(texts))
        parts = [self._score_run(texts[a:b]) for a, b in zip(cuts, cuts[1:])]
        return _join(parts, cuts)

    def _score_run(self, texts: Sequence[object]) -> ScoredBatch:
        n = len(texts)
        coerced = [coerce_text(t) for t in texts]
        errors = [c if isinstance(c, InputError) else None for c in coerced]
        good = [i for i, c in enumerate(coerced) if not isinstance(c, InputError)]
        good_texts = [coerced[i] for i in good]
        probability = np.full(n, np.nan)
        elements = np.full((n, len(ELEMENTS)), np.nan)
        risk = np.full(n, -1, dtype=np.int64)
        level = np.full(n, -1, dtype=np.int64)
        flagged = np.zeros(n, dtype=bool)
        rules = np.zeros(n, dtype=np.uint16)
        evidence: dict[int, tuple[Evidence, ...]] = {}
        element_evidence: dict[int, dict[str, tuple[Evidence, ...]]] = {}
        lists: dict[int, tuple[str, ...]] = {}
        reused: list[np.ndarray] | None = None
        if good_texts:
            batch = normalize_batch(good_texts, self.tables)
            allowed: dict[int, list[str]] = {}
            if self.allow is not None:
                batch, probs, allowed = self._allow(batch)
            else:
                # The per-n-gram rows come out with the scores (the graph computes them anyway), so flagged
                # posts need no second graph run for their evidence. Measured: a second run over the flagged
                # posts cost more than copying the rows out for every post, even at 8 % flagged.
                probs, *reused = self._run(batch, ("probabilities", "gram_rows", "norms"))
            index = np.asarray(good)
            probability[index] = probs[:, 0]
            elements[index] = probs[:, 1:]
            rules[index] = batch.rules
            sub_levels = risk_levels(probs[:, 0], probs[:, 1:], self.thresholds)
            sub_flagged = probs[:, 0] >= self.thresholds.flag
            deny_hits = find_deny_hits(batch, self.deny) if self.deny is not None else {}
            for j, hits in deny_hits.items():
                forced = max(h.level.rank for h in hits)
                sub_levels[j] = max(int(sub_levels[j]), forced)
                sub_flagged[j] = True
            level[index] = sub_levels
            flagged[index] = sub_flagged
            risk[index] = risk_index(probs[:, 0])
            for j, names in allowed.items():
                lists[good[j]] = tuple(f"allow:{name}" for name in names)
            for j, hits in deny_hits.items():
                lists[good[j]] = lists.get(good[j], ()) + tuple(f"deny:{h.entry}" for h in hits)
            hit_rows = np.flatnonzero(sub_flagged)
            if hit_rows.size:
                self._explain_rows(batch, good_texts, hit_rows, probs, deny_hits, good, evidence, element_evidence,
                                   reused)
        return ScoredBatch([c if isinstance(c, str) else None for c in coerced], errors, probability, elements,
                           risk, level, flagged, rules, evidence, element_evidence, lists, self.thresholds)

    def _allow(self, batch: NormalizedBatch) -> tuple[NormalizedBatch, np.ndarray, dict[int, list[str]]]:
        """Apply the allow list: blank allowed spans, but never let that RAISE a post's score.

        Blanking removes an allowed phrase's n-grams whatever their sign; where the phrase carried negative
        weight (招商银行 reads as bank SMS to the model) blanking it would push the post up. Such posts keep their
        original codes and score, and the entry is not reported as applied.
        """
        blanked, allowed = apply_allow_list(batch, self.allow)
        probs = self._run(blanked)
        if not allowed:
            return blanked, probs, allowed
        rows = np.asarray(sorted(allowed))
        original = self._run(batch.select(rows))
        restore = rows[original[:, 0] < probs[rows, 0]]
        if restore.size:
            probs[restore] = original[original[:, 0] < probs[rows, 0]]
            keep_original = np.isin(batch.doc, restore)
            codes = np.where(keep_original, batch.codes, blanked.codes)
            blanked = NormalizedBatch(codes, batch.origin, batch.doc, batch.starts, batch.rules)
            for j in restore.tolist():
                del allowed[j]
        return blanked, probs, allowed

    def _run(self, batch: NormalizedBatch, outputs: Sequence[str] = ("probabilities",)) -> np.ndarray:
        feeds = {"codes": batch.codes, "starts": batch.starts}
        result = self.session.run(list(outputs), feeds)
        return result[0].astype(np.float64) if len(outputs) == 1 else result

    def _explain_rows(self, batch: NormalizedBatch, texts: list[str], rows: np.ndarray, probs: np.ndarray,
                      deny_hits: dict, good: list[int], evidence: dict, element_evidence: dict,
                      reused: list[np.ndarray] | None = None) -> None:
        """Evidence spans for the given rows of ``batch`` (flagged posts), from the graph's per-gram weights.

        ``reused``: the (gram_rows, norms) of the graph run over the whole ``batch``; without it (allow lists change
        the codes) the flagged posts are run again.
        """
        # Evidence works on the flagged posts of one run, so its memory is bounded by MAX_RUN_CHARS as well.
        if reused is not None and rows.size == batch.n_docs:  # every post flagged (e.g. one interactive text)
            sub, (gram_rows, norms) = batch, reused
        elif reused is not None:
            sub = batch.select(rows)
            rows_of_sub = gram_rows_of(batch.positions(rows), batch.codes.size)
            # index -1 (a gram that only the sub-batch has, crossing a post end) + 1 = the zero row
            gram_rows, norms = reused[0][np.concatenate(([0], rows_of_sub + 1))], reused[1][rows]
        else:
            sub = batch.select(rows)
            _, gram_rows, norms = self._run(sub, ("probabilities", "gram_rows", "norms"))
        shown = [[0] + [k + 1 for k in range(len(ELEMENTS)) if probs[j, k + 1] >= self.thresholds.element]
                 for j in rows]
        spans = extract_evidence(sub, [texts[j] for j in rows], gram_rows[1:, 1:], norms,
                                 lexicon=self.lexicon, heads=shown)
        for local, j in enumerate(rows):
            per_head = spans[local]
            main = list(per_head[0])
            for hit in deny_hits.get(int(j), ()):
                main.insert(0, Evidence(hit.start, hit.end, texts[j][hit.start:hit.end], 1.0, f"deny_list:{hit.entry}"))
            evidence[good[j]] = tuple(main)
            element_evidence[good[j]] = {
                name: per_head[k + 1]
                for k, name in enumerate(ELEMENTS)
                if probs[j, k + 1] >= self.thresholds.element
            }

    def explain(self, text: str, top: int = 15) -> dict:
        """Everything a reviewer needs for one text: result, normalised text, rules, top-weighted n-grams."""
        result = self.score([text])[0]
        batch = normalize_batch([text], self.tables)
        if self.allow is not None:
            batch, _, _ = self._allow(batch)
        _, gram_rows, norms = self._run(batch, ("probabilities", "gram_rows", "norms"))
        return {"result": result, "normalized": batch.text(0),
                "features": top_features(batch, gram_rows[1:, 1:], norms, top=top)}
