"""Score posts with a model directory: two ONNX graphs plus their JSON manifest, nothing else.

No scikit-learn, no pickle: the manifest carries the normaliser tables, the feature spec and the thresholds; the
graphs carry everything learned (``mlm.onnx`` the hot path for every post, ``model.onnx`` the full path for posts
at or above the screen: the watch threshold, or the discussion guard's onset just under it; docs/architecture.md). Each onnxruntime session runs one thread per process
(docs/design_facts.md §2: more intra-op threads are slower on these small ops; scale with processes instead).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal, overload
from pathlib import Path

import numpy as np
import orjson

from mlmrisk.classifier.discussion import (GUARD_INPUTS, GUARD_OUTPUT, GUARD_SCALARS, QUOTE_INPUT, QUOTE_TABLE,
                                          DiscussionGuard, distinct_grams, guard_input_names)
from mlmrisk.classifier.quotes import NOT_QUOTED, quote_index
from mlmrisk.classifier.errors import ModelLoadError
from mlmrisk.classifier.evidence import extract_evidence, top_features
from mlmrisk.classifier.features import (DISCOUNT_INPUT, FeatureSpec, Grams, Passages, best_passage_rows,
                                          passage_discounts)
from mlmrisk.classifier.features import feeds as feature_feeds
from mlmrisk.classifier.labels import ELEMENTS
from mlmrisk.classifier.manifest import (GUARD_GRAMS_KEY, MANIFEST_NAME, check_digest, check_manifest, model_id,
                                         snap_word_count, snap_words_text)
from mlmrisk.classifier.lists import PhraseList, apply_allow_list, find_deny_hits
from mlmrisk.classifier.normalize import (REPORTED_RULE_MASK, NormalizedBatch, NormalizerTables, normalize_batch,
                                          rule_names)
from mlmrisk.classifier.result import ElementResult, Evidence, InputError, RiskResult
from mlmrisk.classifier.schema import make_error_record, make_record, plain_record, round_probabilities
from mlmrisk.classifier.risk import LEVELS, Thresholds, flagged_mask, risk_index, risk_levels
from mlmrisk.classifier.word_snap import SnapLexicon
from mlmrisk.resources import default_model_dir
from mlmrisk.serving.background import Background
from mlmrisk.serving.hot_path import HotPath
from mlmrisk.serving.onnx_weights import initializers_in

if TYPE_CHECKING:  # imported where a session is opened: a job of ordinary posts never needs onnxruntime
    import onnxruntime as ort

DEFAULT_BATCH_SIZE = 1024
#: Characters per full-path run. The full graph holds a few float64 rows per n-gram, so memory grows with the
#: characters of a batch, not its post count: 8,192 long articles in one run took 3 GB. At 2^16 characters a
#: run's intermediates stay near 25 MB (a bulk worker peaked at ~300 MB in all, against ~400 MB at 2^18).
MAX_RUN_CHARS = 1 << 16
#: Characters per hot-path run (normalising and the hot-path kernel, which build no n-gram arrays). Against runs
#: of 2^16, measured on 150k real posts, interleaved: ~15 % less time per short post and per long post in
#: ``score_batch``, for ~20 MB more peak RSS in a bulk worker; most of the gain is the kernel's (its 8 MB
#: weight table stays in cache through one long call instead of being partly evicted by the normaliser's arrays
#: between many short ones). 2^20 was no better.
HOT_RUN_CHARS = 1 << 19
#: A post whose best passage leads the runner-up by less than this (in MLM logit) sends all its passages through the
#: full graph, whose float32 logits may order near-equal passages differently (see ``Scorer._best_passages_only``).
NEAR_TIE = 1e-3
#: Fast-path probabilities this close below the watch threshold also take the full path, so a post's level never
#: depends on float32 rounding between the two graphs.
WATCH_MARGIN = 1e-4
_EXPECTED_INPUTS = {"bucket": "tensor(int64)", "passage": "tensor(int64)", "passage_doc": "tensor(int64)",
                    "n_docs": "tensor(int64)"}


def find_manifest(model_dir: str | os.PathLike | None) -> tuple[Path, Path]:
    """(model directory, its manifest.json path); a clear error when the directory holds no model."""
    directory = Path(model_dir) if model_dir is not None else default_model_dir()
    manifest = directory / MANIFEST_NAME
    if not manifest.is_file():
        raise ModelLoadError(
            f"no manifest.json in {directory}: expected a model directory written by `mlmrisk train` "
            "(model.onnx + manifest.json); give the directory of such a model (--model DIR for most commands) or "
            "build one with `mlmrisk train`"
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
    """Scores of a batch as arrays (the bulk fast path); ``results()``/``records()`` build per-post objects.

    ``element_probability`` is NaN except for flagged posts; ``evidence`` holds the posts at or above the watch
    threshold. Rows whose input was bad have ``error`` set and NaN/-1/False in the arrays.
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
    model: str = ""

    def __len__(self) -> int:
        return len(self.texts)

    def _elements(self, i: int) -> dict[str, ElementResult]:
        if not self.flagged[i] or np.isnan(self.element_probability[i, 0]):
            return {}
        element_evidence = self.element_evidence.get(i, {})
        return {name: ElementResult(float(self.element_probability[i, k]),
                                    bool(self.element_probability[i, k] >= self.thresholds.element),
                                    element_evidence.get(name, ()))
                for k, name in enumerate(ELEMENTS)}

    def results(self) -> list[RiskResult]:
        out = []
        for i, error in enumerate(self.errors):
            if error is not None:
                out.append(RiskResult.failed(error, self.model))
                continue
            out.append(RiskResult(
                probability=float(self.probability[i]), risk=int(self.risk[i]), level=LEVELS[int(self.level[i])],
                flagged=bool(self.flagged[i]), elements=self._elements(i), evidence=self.evidence.get(i, ()),
                normalization=tuple(rule_names(int(self.rules[i]))), lists=self.lists.get(i, ()), model=self.model,
            ))
        return out

    def plain_rows(self) -> np.ndarray:
        """bool[N]: rows whose record is ``schema.plain_record`` with only the scores filled in (template rows that
        list no rule) — what ``records`` builds from its template."""
        return self.template_rows() & ((self.rules & REPORTED_RULE_MASK) == 0)

    def template_rows(self) -> np.ndarray:
        """bool[N]: rows that bulk JSONL writes from its byte template (``serving.writers.PlainJsonlLines``):
        scored, not flagged, no evidence or list entry — the plain rows plus those whose only addition is the
        normalisation rules they list (~4 % of ordinary posts: ``noise``, ``separators``, …), which the template
        fills in as well."""
        mask = (self.level >= 0) & ~self.flagged
        for i in self.evidence:
            mask[i] = False
        for i in self.lists:
            mask[i] = False
        return mask

    def records(self, ids: Sequence[object] | None = None, rows: Sequence[int] | None = None) -> list[dict]:
        """One schema record per input (or per index in ``rows``), in order; ``id`` first when ids are given.

        The same dicts as ``RiskResult.to_dict()`` (both come from ``classifier.schema``), built straight from
        the arrays: bulk jobs write millions of them, and most posts need nothing beyond a few scalars.
        """
        probability = self.probability.tolist()
        rounded = round_probabilities(self.probability)  # what make_record's round() gives, for the whole batch
        is_plain = self.plain_rows().tolist()
        risk = self.risk.tolist()
        level = self.level.tolist()
        flagged = self.flagged.tolist()
        rules = self.rules.tolist()
        names = [level_.value for level_ in LEVELS]
        rule_cache: dict[int, list[str]] = {}
        model = self.model
        records = []
        errors, evidence, lists = self.errors, self.evidence, self.lists
        plain = plain_record(model)
        plain_with_id = {"id": None, **plain}
        for i in range(len(self.texts)) if rows is None else rows:
            error = errors[i]
            # the common case (see plain_rows; digits, case and numerals fire on ordinary text but are not
            # listed), from a template (see classifier.schema.plain_record)
            if is_plain[i]:
                if ids is not None:
                    record = plain_with_id.copy()
                    record["id"] = ids[i]
                else:
                    record = plain.copy()
                record["probability"] = rounded[i]
                record["risk"] = risk[i]
                record["level"] = names[level[i]]
                record["evidence"] = []
                record["normalization"] = []
                record["lists"] = []
                records.append(record)
                continue
            if error is not None:
                record = make_error_record(model=model, code=error.code, message=error.message)
            else:
                bits = rules[i]
                if bits not in rule_cache:
                    rule_cache[bits] = rule_names(bits)
                # most posts are unflagged with no evidence: skip the per-element and per-span work for them
                elements = self._elements(i) if flagged[i] else None
                spans = evidence.get(i)
                record = make_record(
                    model=model, probability=probability[i], risk=risk[i], level=names[level[i]],
                    flagged=flagged[i],
                    elements={name: e.to_dict() for name, e in elements.items()} if elements else None,
                    evidence=[e.to_dict() for e in spans] if spans else (), normalization=rule_cache[bits],
                    lists=lists.get(i, ()),
                )
            records.append({"id": ids[i], **record} if ids is not None else record)
        return records


def run_cuts(sizes: np.ndarray, budget: int) -> list[int]:
    """Where each run of a batch starts, plus its end: consecutive posts whose ``sizes`` add up to at most
    ``budget`` (a post larger than the budget runs alone). Greedy, with one binary search per run."""
    total = np.cumsum(sizes)
    cuts = [0]
    n = int(sizes.size)
    while cuts[-1] < n:
        start = cuts[-1]
        base = int(total[start - 1]) if start else 0
        end = int(np.searchsorted(total, base + budget, side="right"))
        cuts.append(max(end, start + 1))
    return cuts if n else [0, 0]


def _replace_rows(batch: ScoredBatch, rows: np.ndarray, sub: ScoredBatch) -> None:
    """Put ``sub`` (the scores of ``batch``'s posts ``rows``, in that order) in place of those rows, in place.

    Used for the posts whose full path was deferred (``Scorer.score_batch``): their texts and errors are already
    those of ``batch``; every score, and their evidence and list entries, come from ``sub``."""
    for name in ("probability", "element_probability", "risk", "level", "flagged", "rules"):
        getattr(batch, name)[rows] = getattr(sub, name)
    for name in ("evidence", "element_evidence", "lists"):
        target, source = getattr(batch, name), getattr(sub, name)
        for k, i in enumerate(rows.tolist()):
            target.pop(i, None)
            if k in source:
                target[i] = source[k]


def _join(parts: list[ScoredBatch], cuts: list[int]) -> ScoredBatch:
    """One ScoredBatch from consecutive parts (``cuts[i]`` is where part ``i`` starts)."""
    def shifted(name: str) -> dict:
        return {cut + i: v for part, cut in zip(parts, cuts) for i, v in getattr(part, name).items()}

    return ScoredBatch(
        [t for p in parts for t in p.texts], [e for p in parts for e in p.errors],
        np.concatenate([p.probability for p in parts]), np.concatenate([p.element_probability for p in parts]),
        np.concatenate([p.risk for p in parts]), np.concatenate([p.level for p in parts]),
        np.concatenate([p.flagged for p in parts]), np.concatenate([p.rules for p in parts]),
        shifted("evidence"), shifted("element_evidence"), shifted("lists"), parts[0].thresholds, parts[0].model,
    )


@dataclass(frozen=True)
class FullScores:
    """The full path's view of some posts: every head at each post's best passage, and that passage's grams.

    ``membership`` (and ``gram_rows``, ``passage_norms``) hold only the best passages unless the scores were built
    with ``every_passage=True``; ``n_passages`` counts each post's passages either way.
    """

    probability: np.ndarray  # float64[n] MLM, at the best passage
    element_probability: np.ndarray  # float64[n, 4] at the same passage
    grams: Grams
    membership: Passages
    best: np.ndarray  # int64[n] passage index of each post (into membership's passages)
    gram_rows: np.ndarray  # float32[K, 6]
    passage_norms: np.ndarray  # float32[Q]
    n_passages: np.ndarray  # int64[n]
    discussion: np.ndarray  # float64[n] the discussion head's decision value d (NaN: the model has no guard)
    lowered: np.ndarray  # float64[n] what the guard took off the MLM logit (its ramp's share of the penalty)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def _guard_from(data: bytes, path: Path) -> DiscussionGuard:
    """The discussion guard's scalars from the bytes of the full-path graph (``classifier.discussion``; none: no
    guard). Its table stays in the graph, which onnxruntime runs."""
    weights = initializers_in(data, GUARD_SCALARS + (QUOTE_TABLE,), path)  # not the 4 MB table: onnxruntime runs it
    present = [name in weights for name in GUARD_SCALARS]
    if not any(present):
        return DiscussionGuard()
    if not all(present) or any(weights[name].size != 1 for name in GUARD_SCALARS):
        raise ModelLoadError(f"{path} holds only part of the discussion guard "
                             f"({sorted(weights)}); rebuild the model with `mlmrisk train`")
    intercept, tau, weight, onset, full = (float(weights[name].reshape(())) for name in GUARD_SCALARS)
    if not (np.isfinite([intercept, tau, weight, onset, full]).all() and weight >= 0 and full > onset):
        raise ModelLoadError(f"{path}: discussion guard scalars {intercept, tau, weight, onset, full} are not finite "
                             "with a weight ≥ 0 and onset < full; rebuild the model with `mlmrisk train`")
    return DiscussionGuard(intercept, tau, weight, onset, full, QUOTE_TABLE in weights)


class _GraphFiles:
    """Reads the full-path graph for the discussion guard's scalars and, when verifying, hashes every graph, on a
    thread while ``Scorer.load`` builds the tables (hashlib and file reads release the GIL).

    One after the other, hashing the ~38 MB of ONNX files (~20 ms), reading ``model.onnx`` for five scalars (~9 ms)
    and building the tables (~25 ms) were most of a scoring process's model load; each file is now read once, in
    parallel with the tables. ``guard`` reports, in this order: a file that cannot be read, a digest that does not
    match the manifest (before any error met parsing the same damaged file: it names the cause), then a graph that
    does not parse.
    """

    def __init__(self, graphs: dict[str, Path], manifest: dict, verify: bool) -> None:
        self._graphs, self._manifest, self._verify = graphs, manifest, verify
        self._digests: dict[str, str] = {}
        self._guard: DiscussionGuard | None = None
        self._unreadable: OSError | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="mlmrisk-model-files", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            full = b""
            for key, path in self._graphs.items():
                if key != "onnx" and not self._verify:
                    continue
                data = path.read_bytes()
                if self._verify:
                    self._digests[key] = hashlib.sha256(data).hexdigest()
                if key == "onnx":
                    full = data
            self._guard = _guard_from(full, self._graphs["onnx"])
        except OSError as exc:
            self._unreadable = exc
        except BaseException as exc:  # noqa: BLE001 - raised by guard(), in the loading thread
            self._error = exc

    def wait(self) -> None:
        self._thread.join()

    def guard(self) -> DiscussionGuard:
        self.wait()
        if self._unreadable is not None:
            raise ModelLoadError(f"a model file cannot be read ({self._unreadable})") from self._unreadable
        for key, digest in self._digests.items():
            check_digest(digest, {"onnx": self._manifest[key]}, str(self._graphs[key]))
        if self._error is not None:
            raise self._error
        assert self._guard is not None
        return self._guard


def _session(path: Path, extra_inputs: frozenset[str] = frozenset(), discount: bool = False) -> ort.InferenceSession:
    """An onnxruntime session on one thread. onnxruntime is imported here, on the first session (~0.04 s): the
    parent of forked bulk workers never opens one, so it no longer pays for the import before forking.
    ``extra_inputs``: int64 inputs the graph may have (the guard's); ``discount``: the graph must take the
    sentence discounts (``DISCOUNT_INPUT``), which a spec with a ``sentence_discount`` needs."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types
        raise ModelLoadError(f"onnxruntime cannot load {path}: {exc}") from exc
    inputs = {i.name: i.type for i in session.get_inputs()}
    base = {**_EXPECTED_INPUTS, **({DISCOUNT_INPUT: "tensor(float)"} if discount else {})}
    expected = {**base, **{name: "tensor(int64)" for name in extra_inputs}}
    if inputs != base and inputs != expected:
        raise ModelLoadError(f"{path} has inputs {inputs}; expected {expected}")
    return session


class Scorer:
    """Scores Chinese posts for pyramid-scheme promotion risk.

    >>> from mlmrisk import Scorer
    >>> scorer = Scorer.load()                                    # doctest: +SKIP
    >>> scorer.score(["静态收益加动态收益，直推十人拿见点奖"])[0].level   # doctest: +SKIP

    Two graphs from one model (``training/export.py``): every post goes through the MLM-only hot path; posts at
    or above the screen (``Scorer.screen``: the watch threshold, or the discussion guard's onset just under it)
    and deny-list hits go on to the full path, which scores every head at the post's best passage, applies the
    discussion guard and builds the evidence. ``score_batch(texts, full=True)`` sends every post through the
    full path (what the hot path is tested against).

    ``manifest`` is the model's manifest as loaded, except that ``evidence.snap_words`` holds the number of words
    (the words themselves are in ``lexicon``).
    """

    def __init__(self, model_dir: Path, manifest: dict, hot: HotPath, graphs: dict[str, Path],
                 tables: NormalizerTables, features: FeatureSpec, thresholds: Thresholds,
                 allow: PhraseList | None = None, deny: PhraseList | None = None,
                 lexicon: SnapLexicon | Sequence[str] | str | Mapping | Background[SnapLexicon] | None = None,
                 guard: DiscussionGuard = DiscussionGuard()):
        self.model_dir = model_dir
        self.manifest = manifest
        self.hot = hot
        self.guard = guard
        self.graphs = graphs
        self.tables = tables
        self.features = features
        self.thresholds = thresholds
        self.allow = allow
        self.deny = deny
        self.model_id = model_id(manifest)
        # words evidence spans must not cut: a SnapLexicon, its words in any manifest form (a list, the
        # newline-joined string, the packed form) built into one on first use, or the thread building it
        # (``Scorer.load(build_lexicon=True)``); see ``lexicon``
        self._lexicon_source = lexicon
        self._lazy: dict[str, object] = {}
        self._lazy_lock = threading.Lock()

    @property
    def lexicon(self) -> SnapLexicon | None:
        """The words evidence spans must not cut (None for models from before the list existed). Built from the
        manifest's ~200k words on first use — only evidence needs it (``SnapLexicon.from_words`` reads the manifest's
        joined string in ~0.04 s; word by word it took ~0.08–0.12 s), or by a thread ``load`` started
        (``build_lexicon``). The parent of forked bulk workers builds it before forking, so they share one copy
        (~5 MB)."""
        source = self._lexicon_source
        if source is None or isinstance(source, SnapLexicon):
            return source
        return self._once("lexicon", self._build_lexicon)

    def _build_lexicon(self) -> SnapLexicon:
        source = self._lexicon_source
        if isinstance(source, Background):  # Scorer.load(build_lexicon=True) started it
            lexicon = source.result()
        else:
            lexicon = SnapLexicon.from_words(snap_words_text(source))  # any manifest form, as one joined string
        self._lexicon_source = lexicon  # the stored word list (or the thread) goes; the lexicon keeps arrays
        return lexicon

    def _once(self, key: str, build):
        """Build an expensive member on first use (thread-safe): a program that scores only ordinary posts never
        pays for the full graph's session, and ``Scorer.load`` stays short."""
        value = self._lazy.get(key)
        if value is None:
            with self._lazy_lock:
                value = self._lazy.get(key)
                if value is None:
                    value = self._lazy[key] = build()
        return value

    @property
    def full(self) -> ort.InferenceSession:
        """The full-path graph (``model.onnx``): every head, per-gram rows for evidence, and with the discussion
        guard its decision value per post (fed every gram of each post too)."""
        extra = frozenset(guard_input_names(self.guard.quotes)) if self.guard.active else frozenset()
        discount = bool(self.features.sentence_discount)
        return self._once("full", lambda: _session(self.graphs["onnx"], extra, discount))

    @property
    def fast(self) -> ort.InferenceSession:
        """The hot-path graph (``mlm.onnx``) run by onnxruntime: the reference the fused kernel (``hot``) is tested
        against; scoring itself uses ``hot``."""
        return self._once("fast", lambda: _session(self.graphs["fast_onnx"],
                                                   discount=bool(self.features.sentence_discount)))

    @property
    def screen(self) -> float:
        """Posts whose hot-path probability is at least this go on to the full path: the watch threshold, or the
        discussion guard's onset where that is lower (``classifier.discussion``: every post above the onset may
        be moved by the guard), less ``WATCH_MARGIN`` so that float32 rounding can never change a level."""
        return min(self.thresholds.watch, self.guard.onset_probability) - WATCH_MARGIN


    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: str | Path | None = None, *, allow=None, deny=None, verify: bool = True,
             build_lexicon: bool = False) -> "Scorer":
        """Load a model directory (default: the shipped model) and optional allow/deny lists.

        ``allow``/``deny``: a path to a list file (plain text or JSON, see ``classifier.lists``), a list of
        phrases or ``{"phrase", "level"}`` dicts, or a ``PhraseList``. ``verify`` checks the ONNX files' SHA-256
        against the manifest. The onnxruntime sessions are opened on first use (``full``, ``fast``); a file
        onnxruntime cannot load is reported then, as a ``ModelLoadError``. ``build_lexicon``: start building the
        evidence word list at once, on a thread beside the load, instead of on the first evidence (``lexicon``):
        for a process that will show evidence soon (a bulk parent before it forks, a service before it is ready).
        """
        model_dir, manifest_path = find_manifest(path)
        try:
            manifest = orjson.loads(manifest_path.read_bytes())  # ~3× json's speed on the ~1 MB manifest
        except (OSError, orjson.JSONDecodeError) as exc:
            raise ModelLoadError(f"{manifest_path} is not readable JSON ({exc}); rebuild with `mlmrisk train`") from exc
        check_manifest(manifest, str(manifest_path))
        # Models written before the snap word list existed still load; their evidence is simply not widened.
        words = manifest.get("evidence", {}).get("snap_words")
        # Built afterwards, the word list is ~0.04 s of a bulk parent's start-up before it can fork its workers;
        # the load and the build both hold the GIL much of the time, so the overlap is partial: load + word list
        # took 0.14 s one after the other and 0.12 s side by side (medians of 8 fresh processes each).
        lexicon = (Background(lambda: SnapLexicon.from_words(snap_words_text(words)), name="mlmrisk-lexicon")
                   if words and build_lexicon else words)
        graphs: dict[str, Path] = {}
        for key in ("fast_onnx", "onnx"):
            entry = manifest.get(key)
            if not isinstance(entry, dict) or "file" not in entry:
                raise ModelLoadError(f"{manifest_path} lacks {key}.file; rebuild the model with `mlmrisk train`")
            onnx_path = model_dir / entry["file"]
            if not onnx_path.is_file():
                raise ModelLoadError(f"{onnx_path} is missing; the model directory is incomplete")
            graphs[key] = onnx_path
        files = _GraphFiles(graphs, manifest, verify)
        try:
            try:
                tables = NormalizerTables.from_spec(manifest["normalizer"])
                features = FeatureSpec.from_dict(manifest["features"])
            except (KeyError, ValueError) as exc:
                raise ModelLoadError(f"{manifest_path}: {exc}") from exc
            hot = HotPath.from_onnx(graphs["fast_onnx"], features)
        except Exception:
            files.guard()  # a digest mismatch (or an unreadable file) names the cause better than what parsing met
            raise
        except BaseException:  # Ctrl-C while loading stays Ctrl-C
            files.wait()
            raise
        guard = files.guard()
        if manifest.get(GUARD_GRAMS_KEY) == "distinct":  # check_manifest refused any other value but "occurrences"
            guard = replace(guard, distinct=True)
        thresholds = Thresholds(**manifest["thresholds"])
        allow_list = PhraseList.coerce(allow, tables, kind="allow")
        deny_list = PhraseList.coerce(deny, tables, kind="deny")
        if words:  # the list lives on in the scorer until its lexicon is built (``Scorer.lexicon``)
            manifest = {**manifest, "evidence": {**manifest["evidence"], "snap_words": snap_word_count(words)}}
        return cls(model_dir, manifest, hot, graphs, tables, features, thresholds, allow_list, deny_list,
                   lexicon or None, guard)

    # ------------------------------------------------------------------ scoring
    def score(self, texts: Sequence[object]) -> list[RiskResult]:
        """One ``RiskResult`` per input, in order (bad inputs get a result with ``error`` set)."""
        items = _sequence_of_texts(texts, "score")
        results: list[RiskResult] = []
        for start in range(0, len(items), DEFAULT_BATCH_SIZE):
            results.extend(self.score_batch(items[start : start + DEFAULT_BATCH_SIZE]).results())
        return results

    def score_iter(self, texts: Iterable[object], batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[RiskResult]:
        """Stream results for any iterable of texts, scoring ``batch_size`` at a time."""
        if isinstance(texts, (str, bytes, bytearray)):
            raise TypeError("score_iter() takes an iterable of texts, not one string; wrap it: score_iter([text])")
        batch: list[object] = []
        for text in texts:
            batch.append(text)
            if len(batch) >= batch_size:
                yield from self.score_batch(batch).results()
                batch = []
        if batch:
            yield from self.score_batch(batch).results()

    def score_batch(self, texts: Sequence[object], *, full: bool = False) -> ScoredBatch:
        """Score a batch into arrays; elements and evidence are computed only where they are shown.

        Large batches are scored in runs (bounded memory) and joined: the hot path in runs of at most
        ``HOT_RUN_CHARS`` characters, the full path — the posts at or above the screen, gathered over the whole
        batch — in runs of at most ``MAX_RUN_CHARS``. ``full=True`` sends every post through the full path in runs
        of ``MAX_RUN_CHARS`` (reference for tests; slower).
        """
        texts = _sequence_of_texts(texts, "score_batch")
        all_strings = set(map(type, texts)) <= {str}  # nearly always: then no per-post checks are needed
        if all_strings:
            lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        else:
            lengths = np.fromiter((len(t) if isinstance(t, str) else 0 for t in texts), dtype=np.int64,
                                  count=len(texts))
        sizes = np.minimum(lengths, self.tables.max_chars) + 1
        cuts = run_cuts(sizes, MAX_RUN_CHARS)
        if len(cuts) == 2:
            return self._score_run(texts, full, all_strings, lengths=lengths if all_strings else None)
        if full:
            return self._score_in_runs(texts, sizes, True, all_strings)
        # The hot path in runs of HOT_RUN_CHARS; the posts it sends on (at or above the screen, or on the deny list)
        # are gathered over the whole batch and scored by the full path together, in runs of MAX_RUN_CHARS (its
        # n-gram arrays are what needs bounding).
        cuts = run_cuts(sizes, HOT_RUN_CHARS)
        parts, deferred = [], []
        for a, b in zip(cuts, cuts[1:]):
            part, later = self._score_run(texts[a:b], False, all_strings, defer_full=True,
                                          lengths=lengths[a:b] if all_strings else None)
            parts.append(part)
            deferred.extend((a + later).tolist())
        joined = _join(parts, cuts[:-1])
        if deferred:
            sub = self._score_in_runs([texts[i] for i in deferred], sizes[deferred], False, all_strings)
            _replace_rows(joined, np.asarray(deferred, dtype=np.int64), sub)
        return joined

    def _score_in_runs(self, texts: Sequence[object], sizes: np.ndarray, full: bool, all_strings: bool) -> ScoredBatch:
        """``texts`` scored in runs of at most ``MAX_RUN_CHARS`` characters (``sizes``: each text's, as
        ``run_cuts`` counts them), joined."""
        cuts = run_cuts(sizes, MAX_RUN_CHARS)
        return _join([self._score_run(texts[a:b], full, all_strings) for a, b in zip(cuts, cuts[1:])], cuts[:-1])

    def _feeds(self, batch: NormalizedBatch) -> tuple[dict, Grams, Passages]:
        bucket, passage, passage_doc, grams, membership = feature_feeds(batch, self.features)
        feeds = {"bucket": bucket, "passage": passage, "passage_doc": passage_doc,
                 "n_docs": np.array([batch.n_docs], dtype=np.int64)}
        if self.features.sentence_discount:
            feeds[DISCOUNT_INPUT] = passage_discounts(passage_doc, batch.starts, self.features)
        return feeds, grams, membership

    def _fast(self, batch: NormalizedBatch) -> np.ndarray:
        """MLM probability of every post of ``batch`` (the hot path)."""
        return self.hot.probability(batch)

    def score_full(self, batch: NormalizedBatch, texts: Sequence[str], *, every_passage: bool = False,
                   passages: tuple[np.ndarray, np.ndarray] | None = None) -> FullScores:
        """Every head at each post's best passage (by MLM logit; the first of equals).

        The best passage is the hot-path kernel's (``_best_passages_only``), and only its entries go through the
        full graph: a long suspicious post has ~30 passages, and gathering and scattering six floats for every
        entry of every passage in onnxruntime cost ~125 ns per entry (~280 ms per 1,000 long promotion posts).
        ``every_passage=True`` runs every passage through the graph (what ``novelty`` needs: every gram's row); the
        best passage is then chosen from the graph's own float32 logits. ``passages``: each post's best passage and
        lead as ``HotPath.best_passages`` gave them for this very batch (saves running the kernel again).
        ``texts``: the batch's posts as given to ``normalize_batch`` (the discussion guard reads quotation marks
        there, which normalisation drops: ``classifier.quotes``).
        """
        feeds, grams, membership = self._feeds(batch)
        n_passages = np.bincount(membership.passage_doc, minlength=batch.n_docs)
        if not every_passage:
            feeds, membership = self._best_passages_only(batch, feeds, membership, passages)
        outputs = ["passage_logits", "passage_norms", "gram_rows"]
        if self.guard.active:  # the guard reads every gram (or each distinct gram) of a post once (classifier.discussion)
            bucket, doc = grams.bucket, grams.doc
            quote = quote_index(grams, batch, texts, self.features.n_buckets) if self.guard.quotes else None
            if self.guard.distinct:
                bucket, doc, quote = distinct_grams(bucket, doc, quote, self.features.n_buckets, NOT_QUOTED)
            feeds = {**feeds, GUARD_INPUTS[0]: bucket, GUARD_INPUTS[1]: doc}
            if quote is not None:
                feeds[QUOTE_INPUT] = quote
            outputs.append(GUARD_OUTPUT)
        logits, norms, gram_rows, *about = self.full.run(outputs, feeds)
        top = best_passage_rows(logits[:, 0].astype(np.float64), membership.passage_doc)
        best = np.zeros(batch.n_docs, dtype=np.int64)
        best[membership.passage_doc[top]] = top
        mlm_logit = logits[best, 0].astype(np.float64)
        discussion = np.full(batch.n_docs, np.nan)
        if about:
            discussion = about[0].astype(np.float64)
            mlm_logit = self.guard.apply(mlm_logit, discussion)
        return FullScores(_sigmoid(mlm_logit), _sigmoid(logits[best, 1:]), grams, membership, best,
                          gram_rows, norms, n_passages, discussion, logits[best, 0].astype(np.float64) - mlm_logit)

    def _best_passages_only(self, batch: NormalizedBatch, feeds: dict, membership: Passages,
                            passages: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[dict, Passages]:
        """The feeds and membership of the passages that can be a post's best: one per post, or all of a post's
        passages when its best is not clear.

        The hot-path kernel finds each post's best passage (float64 sums, ``HotPath.best_passages``) and its lead
        over the runner-up. Where the lead exceeds ``NEAR_TIE`` — far beyond the float32 rounding of the graph's
        logits (≤ ~6e-5 measured, at logit ~36) — the graph picks the same passage, so only it is kept. Where two
        passages nearly tie, the graph's float32 logits may order them otherwise, so all of that post's passages
        are kept and ``score_full`` chooses among them as it always did: records are those of running every
        passage.
        """
        passage, passage_doc = membership.passage, membership.passage_doc
        n_docs = batch.n_docs
        n_q = passage_doc.size
        if n_q == n_docs:  # every post is one passage: nothing to drop
            return feeds, membership
        local, lead = passages if passages is not None else self.hot.best_passages(batch)[1:3]
        first = np.searchsorted(passage_doc, np.arange(n_docs))  # passages are numbered post by post
        kept = ~(lead >= NEAR_TIE)[passage_doc]  # a NaN lead (non-finite weights) keeps every passage too
        kept[first + local] = True
        renumber = np.full(n_q, -1, dtype=np.int64)
        renumber[kept] = np.arange(int(kept.sum()))
        keep = kept[passage]
        new_passage = renumber[passage[keep]]
        kept_feeds = {"bucket": feeds["bucket"][keep], "passage": new_passage, "passage_doc": passage_doc[kept],
                      "n_docs": feeds["n_docs"]}
        if DISCOUNT_INPUT in feeds:
            kept_feeds[DISCOUNT_INPUT] = feeds[DISCOUNT_INPUT][kept]
        return kept_feeds, Passages(membership.gram[keep], new_passage, passage_doc[kept],
                                    membership.passage_start[kept], membership.passage_end[kept])

    @overload
    def _score_run(self, texts: Sequence[object], full: bool, all_strings: bool = ..., *,
                   defer_full: Literal[False] = ..., lengths: np.ndarray | None = ...) -> ScoredBatch: ...

    @overload
    def _score_run(self, texts: Sequence[object], full: bool, all_strings: bool = ..., *,
                   defer_full: Literal[True], lengths: np.ndarray | None = ...) -> tuple[ScoredBatch, np.ndarray]: ...

    def _score_run(self, texts: Sequence[object], full: bool, all_strings: bool = False, *,
                   defer_full: bool = False,
                   lengths: np.ndarray | None = None) -> ScoredBatch | tuple[ScoredBatch, np.ndarray]:
        """Score one run (at most ``MAX_RUN_CHARS`` characters — ``HOT_RUN_CHARS`` with ``defer_full`` — or one
        post); a ScoredBatch.

        ``defer_full=True`` returns ``(ScoredBatch, rows)`` instead: the rows (indices into ``texts``) that the
        full path must score are left with their hot-path values, for ``score_batch`` to score them together
        with those of the other runs and put them in place (``_replace_rows``); every other row is final.
        ``lengths``: ``len`` of every text, when all are strings (``score_batch`` has them already)."""
        n = len(texts)
        if all_strings:
            coerced: list = list(texts)
            errors: list[InputError | None] = [None] * n
            good: Sequence[int] = range(n)
            good_texts = coerced
        else:
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
        if good_texts:
            batch = normalize_batch(good_texts, self.tables, lengths=lengths)
            allowed: dict[int, list[str]] = {}
            if self.allow is not None:
                batch, allowed = self._allow(batch, good_texts)
            deny_hits = find_deny_hits(batch, self.deny) if self.deny is not None else {}
            passages = None  # the hot path's best passage and lead per post, handed to the full path
            if full:
                rows = np.arange(batch.n_docs)
                p = np.zeros(batch.n_docs)
                content_chars = batch.evidence_chars()
            else:
                logits, local, lead, content_chars = self.hot.best_passages(batch)
                p = _sigmoid(logits)
                passages = (local, lead)
                suspicious = p >= self.screen
                if deny_hits:
                    suspicious[list(deny_hits)] = True
                rows = np.flatnonzero(suspicious)
            sub_elements = np.full((batch.n_docs, len(ELEMENTS)), np.nan)
            scores = None
            if defer_full:
                deferred = np.asarray(good, dtype=np.int64)[rows]
                rows = rows[:0]
            if rows.size:
                sub = batch if rows.size == batch.n_docs else batch.select(rows)
                sub_texts = good_texts if rows.size == batch.n_docs else [good_texts[i] for i in rows]
                scores = self.score_full(sub, sub_texts, passages=None if passages is None else
                                         (passages[0][rows], passages[1][rows]))
                p = p.copy()
                p[rows] = scores.probability
                sub_elements[rows] = scores.element_probability
            model_flagged = flagged_mask(p, self.thresholds, content_chars)
            sub_flagged = model_flagged.copy()
            sub_levels = risk_levels(p, np.nan_to_num(sub_elements, nan=0.0), self.thresholds, content_chars)
            for j, hits in deny_hits.items():
                sub_levels[j] = max(int(sub_levels[j]), max(h.level.rank for h in hits))
                sub_flagged[j] = True
            # elements are shown for posts the MODEL flags only: the element heads read a promotion's Art. 7
            # elements and say nothing about a post that a deny-list hit alone flagged (a restaurant review with a
            # denied word once showed 拉人头 as present)
            sub_elements[~model_flagged] = np.nan
            index = np.asarray(good)
            probability[index] = p
            elements[index] = sub_elements
            rules[index] = batch.rules
            level[index] = sub_levels
            flagged[index] = sub_flagged
            risk[index] = risk_index(p, content_chars, self.thresholds)
            for j, names in allowed.items():
                lists[good[j]] = tuple(f"allow:{name}" for name in names)
            for j, hits in deny_hits.items():
                lists[good[j]] = lists.get(good[j], ()) + tuple(f"deny:{h.entry}" for h in hits)
            if scores is not None:
                shown = (p[rows] >= self.thresholds.watch) | sub_flagged[rows]
                if shown.any():
                    self._explain_rows(batch, good_texts, rows, shown, scores, sub_elements, deny_hits, good,
                                       evidence, element_evidence)
        scored = ScoredBatch(coerced if all_strings else [c if isinstance(c, str) else None for c in coerced], errors,
                             probability, elements,
                             risk, level, flagged, rules, evidence, element_evidence, lists, self.thresholds,
                             self.model_id)
        if defer_full:
            return scored, deferred if good_texts else np.zeros(0, dtype=np.int64)
        return scored

    def _final_probability(self, batch: NormalizedBatch, texts: Sequence[str]) -> np.ndarray:
        """float64[N]: each post's MLM probability as its record gives it (the hot path, and the full path with
        the discussion guard for posts at or above the screen)."""
        p = self._fast(batch)
        rows = np.flatnonzero(p >= self.screen)
        if rows.size:  # in runs of MAX_RUN_CHARS: a hot-path run of allow-listed posts can be far longer
            sizes = batch.starts[rows + 1] - batch.starts[rows]
            cuts = run_cuts(sizes, MAX_RUN_CHARS)
            for a, b in zip(cuts, cuts[1:]):
                part = rows[a:b]
                p[part] = self.score_full(batch.select(part), [texts[i] for i in part]).probability
        return p

    def _allow(self, batch: NormalizedBatch, texts: Sequence[str]) -> tuple[NormalizedBatch, dict[int, list[str]]]:
        """Apply the allow list: blank allowed spans, but never let that RAISE a post's score.

        Blanking removes an allowed phrase's n-grams whatever their sign; where the phrase carried negative
        weight (招商银行 reads as bank SMS to the model) blanking it would push the post up, and where it read as
        a warning to the discussion guard, blanking it would shrink the guard's penalty. Such posts keep their
        original codes, and the entry is not reported as applied. ``texts``: the batch's posts as given.
        """
        blanked, allowed = apply_allow_list(batch, self.allow)
        if not allowed:
            return blanked, allowed
        rows = np.asarray(sorted(allowed))
        row_texts = [texts[i] for i in rows]
        before = self._final_probability(batch.select(rows), row_texts)
        after = self._final_probability(blanked.select(rows), row_texts)
        restore = rows[before < after]
        if restore.size:
            keep_original = np.isin(batch.doc, restore)
            codes = np.where(keep_original, batch.codes, blanked.codes)
            blanked = NormalizedBatch(codes, batch.origin, batch.doc, batch.starts, batch.rules)
            for j in restore.tolist():
                del allowed[j]
        return blanked, allowed

    def _explain_rows(self, batch: NormalizedBatch, texts: list[str], rows: np.ndarray, shown: np.ndarray,
                      scores: FullScores, element_p: np.ndarray, deny_hits: dict, good: Sequence[int],
                      evidence: dict, element_evidence: dict) -> None:
        """Evidence spans of the posts ``rows[shown]`` from the n-grams of their best passage."""
        membership, grams = scores.membership, scores.grams
        sub_index = np.flatnonzero(shown)  # positions within the full-path sub-batch
        # entries of each shown post's best passage
        is_best = np.zeros(membership.passage_doc.size, dtype=bool)
        is_best[scores.best[sub_index]] = True
        entries = np.flatnonzero(is_best[membership.passage])
        gram = membership.gram[entries]
        passage = membership.passage[entries]
        doc_in_sub = membership.passage_doc[passage]
        sub_of_doc = np.full(rows.size, -1, dtype=np.int64)
        sub_of_doc[sub_index] = np.arange(sub_index.size)
        local_doc = sub_of_doc[doc_in_sub]
        # the full path's sub-batch holds batch rows `rows`, in order: where each of its posts starts
        sub_batch_starts = np.zeros(rows.size + 1, dtype=np.int64)
        sub_batch_starts[1:] = np.cumsum(batch.starts[rows + 1] - batch.starts[rows])
        start = grams.start[gram] - sub_batch_starts[doc_in_sub]
        end = grams.end[gram] - sub_batch_starts[doc_in_sub]
        weights = scores.gram_rows[entries, 1:] / scores.passage_norms[passage][:, None]
        shown_rows = rows[sub_index]
        view = batch.select(shown_rows)
        heads = [[0] + [k + 1 for k in range(len(ELEMENTS)) if element_p[j, k] >= self.thresholds.element]
                 for j in shown_rows]
        spans = extract_evidence(view, [texts[j] for j in shown_rows], local_doc, start, end, weights,
                                 lexicon=self.lexicon, heads=heads)
        for local, j in enumerate(shown_rows.tolist()):
            per_head = spans[local]
            main = list(per_head[0])
            for hit in deny_hits.get(int(j), ()):
                main.insert(0, Evidence(hit.start, hit.end, texts[j][hit.start:hit.end], 1.0, f"deny_list:{hit.entry}"))
            evidence[good[j]] = tuple(main)
            present = {name: per_head[k + 1] for k, name in enumerate(ELEMENTS)
                       if element_p[j, k] >= self.thresholds.element}
            if present:
                element_evidence[good[j]] = present

    def novelty(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """Per post, the share of its n-gram occurrences whose bucket the model never saw in training (idf 0).

        Read from the full graph's ``gram_rows`` (column 0 is idf², zero for a bucket no training document had).
        A post the model has seen nothing like scores near 1; an empty post 0. Used by the review queue.
        """
        texts = [t if isinstance(t, str) else "" for t in _sequence_of_texts(texts, "novelty")]
        out = np.zeros(len(texts))
        for start in range(0, len(texts), batch_size):
            part = texts[start : start + batch_size]
            batch = normalize_batch(part, self.tables)
            if batch.n_docs == 0:
                continue
            scores = self.score_full(batch, part, every_passage=True)
            unseen = np.zeros(len(scores.grams), dtype=np.float64)
            unseen[scores.membership.gram] = scores.gram_rows[:, 0] == 0
            valid = (scores.grams.bucket < self.features.n_buckets).astype(np.float64)  # bucket B: no gram
            total = np.bincount(scores.grams.doc, weights=valid, minlength=batch.n_docs)
            hits = np.bincount(scores.grams.doc, weights=unseen * valid, minlength=batch.n_docs)
            out[start : start + batch.n_docs] = np.divide(hits, total, out=np.zeros(batch.n_docs), where=total > 0)
        return out

    def explain(self, text: str, top: int = 15) -> dict:
        """Everything a reviewer needs for one text: result, normalised text, the passage, top-weighted n-grams."""
        if not isinstance(text, str):
            raise TypeError(f"explain() takes one string, got {type(text).__name__}")
        result = self.score([text])[0]
        batch = normalize_batch([text], self.tables)
        if self.allow is not None:
            batch, _ = self._allow(batch, [text])
        scores = self.score_full(batch, [text])
        membership = scores.membership
        entries = np.flatnonzero(membership.passage == scores.best[0])
        gram = membership.gram[entries]
        weights = scores.gram_rows[entries, 1:] / scores.passage_norms[scores.best[0]]
        normalized = batch.text(0)
        q = int(scores.best[0])
        guard = self.guard
        decision = scores.discussion[:1] if guard.active else np.zeros(1)
        return {"result": result, "normalized": normalized,
                "passage": {"start": int(membership.passage_start[q]), "end": int(membership.passage_end[q]),
                            "passages": int(scores.n_passages[0])},
                # the discussion guard (classifier/discussion.py): does the post read as a warning or report?
                "discussion": {"active": guard.active, "value": round(float(decision[0]), 4),
                               "starts_at": round(guard.tau, 4), "penalty": round(float(scores.lowered[0]), 4),
                               "whole_penalty": round(float(guard.penalty(decision)[0]), 4),
                               "onset": round(guard.onset_probability, 4)},
                "features": top_features(normalized, scores.grams.start[gram], scores.grams.end[gram], weights,
                                         top=top)}


def _sequence_of_texts(texts: object, method: str) -> list:
    """A list of the inputs; one string (or bytes) is refused, not scored character by character."""
    if isinstance(texts, (str, bytes, bytearray)):
        raise TypeError(f"{method}() takes a sequence of texts, not one string; for one text use {method}([text])")
    if not isinstance(texts, Sequence):
        try:
            return list(texts)  # type: ignore[call-overload]
        except TypeError:
            raise TypeError(f"{method}() takes a sequence of texts, got {type(texts).__name__}") from None
    return list(texts)
