"""Fit, cross-validate, calibrate, choose thresholds, evaluate and export a model: ``train(config, output)``.

The procedure (each step's reason is in ``docs/training.md``):

1. Build the corpus (``training.data``) with synthetic positives and hard negatives.
2. Count hashed n-grams once for every text (training rows, held-out rows, evasive rewrites of real positives).
3. Grouped k-fold cross-validation over the training rows. Per fold, idf is refitted on the fold's training part,
   so out-of-fold scores never see their own documents. The MLM head's C is chosen from ``C_grid`` by the
   average precision of out-of-fold scores on real data (labelled positives against real negatives).
4. Sigmoid calibration per head on the out-of-fold decision values.
5. The flag threshold maximises F1 on the real labelled task subject to a false-positive budget on the real
   benign training corpora, both out-of-fold. Reported figures use NESTED selection: each fold is flagged with a
   threshold chosen on the other folds only.
6. The final model is refitted on all training rows and evaluated on held-out rows, the laws (never trained on),
   evasive rewrites (out-of-fold) and synthetic held-out templates (reported separately), always beside the
   keyword baselines on the same texts.
7. Export: ONNX + manifest + model card + report.
"""

from __future__ import annotations

import dataclasses
import json
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed

from mlmrisk.classifier.discussion import discussion_penalty, guarded_logit, ramp_logits
from mlmrisk.classifier.features import best_passage_rows
from mlmrisk.classifier.labels import HEADS
from mlmrisk.classifier.normalize import NormalizerTables
from mlmrisk.classifier.risk import Thresholds
from mlmrisk.training.discussion import (DiscussionHead, choose_tau, discussion_labels, fit_discussion,
                                        whole_post_decision)
from mlmrisk.training.data import (DEFAULT_SHARED_DATA, GUARD_ONLY, Corpus, CorpusSpec, build_corpus,
                                   discussion_corpora, head_training_rows, shared_corpora, written_corpora)
from mlmrisk.resources import data_path
from mlmrisk.training.rewrites import REWRITE
from mlmrisk.training.heads import DEFAULT_SOLVER_TOL, LinearHeads, fit_sigmoid_calibration
from mlmrisk.training.normalization_spec import DEFAULT_MAX_CHARS, build_normalization_spec
from mlmrisk.training.vectorizer import Counted, HashedNgramVectorizer, idf_from_counts, tfidf_weight

BENIGN_FPR_CORPORA = ("weibo2018", "tnews", "online_shopping", "mudou_sms")
# 2.1: the discussion guard in the hot-path graph; 2.2: the guard trained on texts about schemes; 2.3: the guard
# in the full-path graph, on a ramp from just under the watch threshold, reading quotation (hot-path rows of 8 bytes);
# 2.4: sentence passages with a discount; 2.5: letter noise dropped by the normaliser (and, as options, the guard over
# distinct grams and Latin pinyin read by its syllables: docs/training.md, "Pasted copies, letter noise and Latin pinyin")
MODEL_VERSION = "2.5.0"


@dataclass
class TrainConfig:
    """Every setting of a training run (``mlmrisk train --set name=value`` overrides any of them)."""

    shared_data: str | None = str(DEFAULT_SHARED_DATA)
    extra_data: list[dict] = field(default_factory=list)  # {"path", "text_field", "label_field", "elements_field"}
    written_data: str | None = "default"  # the project's written corpus: "default" (data/written), a folder, or None
    written_weight: float = 3.0
    # Held-out styles of the written corpus reported by every run (each value is one refit); "channel" and
    # "writer" are also supported (see docs/training.md; they cost ~13 and ~7 refits).
    style_holdout: list[str] = field(default_factory=lambda: ["era"])
    synthetic_n: int = 8_000  # template posts beside the written corpus (docs/training.md, "Data mix": measured)
    synthetic_seed: int = 7
    synthetic_positive_fraction: float = 0.5
    # share of the synthetic posts (both classes) given a stock line (training/boilerplate.py; docs/training.md)
    synthetic_boilerplate: float = 0.0
    # perturbation kinds (training/perturb.py) of which a share of the written training posts (both labels) are
    # copied as training rows (training/rewrites.py; docs/training.md, "Rewrites as training rows")
    train_rewrites: list[str] = field(default_factory=list)
    train_rewrite_share: float = 0.0
    n_folds: int = 5
    C_grid: list[float] = field(default_factory=lambda: [16.0])
    element_C: float = 4.0
    # buckets present in fewer training posts of a head get no weight (docs/training.md, "Rare n-grams")
    min_df: int = 3
    # lbfgs gradient tolerance of every linear fit (training/heads.py: LinearHeads); models up to 2.4.0: 1e-4
    solver_tol: float = DEFAULT_SOLVER_TOL
    # The discussion guard (classifier/discussion.py; docs/training.md, "The discussion guard")
    discussion_kinds: list[str] = field(default_factory=lambda: ["anti_mlm_warning", "news", "anti_mlm"])
    discussion_C: float = 4.0
    discussion_quantile: float = 0.99
    discussion_weight: float = 2.0
    # Written posts that train the guard only, never the five heads ("default": data/written_discussion)
    discussion_data: str | None = "default"
    # share of the training promotions copied, with a stock line attached, as the guard's negatives only
    discussion_boilerplate: float = 0.15
    # the guard also reads which n-grams stand inside quotation marks (classifier/quotes.py)
    discussion_quotes: bool = True
    # Each distinct gram of a post once, not every occurrence (classifier/discussion.py: copies of a pitch pasted
    # over and over must not read as a text about schemes); measured, not yet shipped (docs/training.md)
    discussion_distinct: bool = False
    labelled_weight: float = 10.0
    max_benign_fpr: float = 0.002
    min_precision: float = 0.70
    watch_ratio: float = 0.5
    max_chars: int = DEFAULT_MAX_CHARS
    char_orders: list[int] = field(default_factory=lambda: [1, 2, 3, 4])
    pinyin_orders: list[int] = field(default_factory=lambda: [1, 2, 3])
    pinyin_fold: list[str] = field(default_factory=list)  # near-homophone folds (classifier/pinyin.py)
    bucket_bits: int = 20
    window: int = 64
    sentence_min_chars: int = 0  # sentence passages (classifier/features.py); 0 = windows only
    sentence_discount: float = 0.0  # taken off a sentence passage's MLM decision value (classifier/features.py)
    # Latin runs read as pinyin give their syllables only, no character n-grams (classifier/features.py: latin_block)
    latin_syllables_only: bool = False
    latin_post_share: float = 0.0  # …only in posts mostly written so (classifier/features.py: latin_block); 0 = all
    min_norm: float = 32.0
    negative_passages: bool = True
    positive_passages: bool = True  # MLM-head refit on best passages (docs/training.md, "Six more writers…")
    sentence_instances: str = "both"  # which of those passage sets take sentence passages (SENTENCE_INSTANCES)
    evasion_seed: int = 11
    n_jobs: int = 2
    output: str | None = None  # model directory when `mlmrisk train` gets no --output

    def override(self, assignments: Sequence[str]) -> "TrainConfig":
        """Apply ``name=value`` strings (values parsed as JSON when they parse, else kept as strings)."""
        values = dataclasses.asdict(self)
        for assignment in assignments:
            name, sep, raw = assignment.partition("=")
            name = name.strip().removeprefix("fit.")
            if not sep or name not in values:
                raise ValueError(f"--set {assignment!r}: expected NAME=VALUE with NAME one of {', '.join(values)}")
            try:
                values[name] = json.loads(raw)
            except json.JSONDecodeError:
                values[name] = raw
        return TrainConfig(**values)


#: ``sentence_instances``: which training passage sets (``negative_passages``, ``positive_passages``) may take a
#: sentence passage; serving scores every passage either way.
SENTENCE_INSTANCES = ("both", "negatives", "positives", "none")


def _log(message: str) -> None:
    print(f"[mlmrisk train] {message}", flush=True)


def config_vectorizer(config: "TrainConfig", normalizer_spec: Mapping) -> HashedNgramVectorizer:
    """The prepared vectorizer of a run's ``[features]`` (one place, so ``train``, ``benchmarks/compare_fits.py``
    and ``benchmarks/simulate_review.py`` count the same features)."""
    return HashedNgramVectorizer(normalizer_spec=normalizer_spec, bucket_bits=config.bucket_bits,
                                 char_orders=tuple(config.char_orders), pinyin_orders=tuple(config.pinyin_orders),
                                 window=config.window, min_norm=config.min_norm,
                                 sentence_min_chars=config.sentence_min_chars,
                                 sentence_discount=config.sentence_discount,
                                 latin_syllables_only=config.latin_syllables_only,
                                 latin_post_share=config.latin_post_share,
                                 pinyin_fold=tuple(config.pinyin_fold)).prepare()


def corpus_specs(config: TrainConfig) -> list[CorpusSpec]:
    specs = shared_corpora(Path(config.shared_data)) if config.shared_data else []
    if config.written_data:
        specs += written_corpora(None if config.written_data == "default" else Path(config.written_data))
    if config.discussion_data:
        specs += discussion_corpora(None if config.discussion_data == "default" else Path(config.discussion_data))
    for i, extra in enumerate(config.extra_data):
        path = Path(extra["path"])
        specs.append(CorpusSpec(extra.get("name") or f"user:{path.name}", path, "labelled",
                                text_field=extra.get("text_field", "text"),
                                label_field=extra.get("label_field", "label"),
                                elements_field=extra.get("elements_field")))
    return specs


def _synthetic_records(config: TrainConfig) -> list[dict]:
    from mlmrisk.training.synthetic import generate

    from mlmrisk.training.boilerplate import attach_boilerplate

    posts = generate(config.synthetic_n, seed=config.synthetic_seed,
                     positive_fraction=config.synthetic_positive_fraction)
    return attach_boilerplate([p.to_record() for p in posts], config.synthetic_boilerplate, config.synthetic_seed)


def _evasive_rewrites(corpus: Corpus, seed: int) -> tuple[list[str], np.ndarray, list[str]]:
    """Every perturbation of every real labelled positive: (texts, source row, kind)."""
    from mlmrisk.training.perturb import PERTURBATIONS, perturb

    texts, rows, kinds = [], [], []
    for i in np.flatnonzero((corpus.array("role") == "labelled") & (corpus.array("label") == 1)):
        for kind in PERTURBATIONS:
            texts.append(perturb(corpus.text[i], kind, seed + int(i)))
            rows.append(int(i))
            kinds.append(kind)
    return texts, np.asarray(rows, dtype=np.int64), kinds


def passage_decisions(model: LinearHeads, X_passages: sp.csr_matrix, passage_doc: np.ndarray, n_docs: int,
                      heads: Sequence[int], discount: np.ndarray | None = None) -> np.ndarray:
    """Per post, decision values of ``heads`` as serving computes them: the MLM head (column 0 of the model) at
    its best passage, the other heads at that same passage (elements follow the passage that drove the score).
    ``discount`` (float[Q], ``classifier.features.passage_discounts``) is taken off the MLM values first."""
    values = model.decision_function(X_passages)
    if discount is not None:
        values[:, 0] -= discount
    best = best_passage_rows(values[:, 0], passage_doc)
    out = np.full((n_docs, len(heads)), np.nan)
    out[passage_doc[best]] = values[best][:, list(heads)]
    return out


def fit_heads(counted: Counted, Y: np.ndarray, weights: np.ndarray, rows: np.ndarray, idf: np.ndarray,
              n_heads: int, C: float, element_C: float, min_norm: float, negative_passages: bool,
              positive_passages: bool = False, *, min_df: int = 3, sentence_instances: str = "both",
              sentence_discount: float = 0.0, tol: float = DEFAULT_SOLVER_TOL) -> LinearHeads:
    """Fit heads 0..n_heads-1 on the posts ``rows`` (and, if asked, the passages of their long negatives).

    With ``positive_passages``, the MLM head is refitted with each long promotion's best passage under the first
    fit as a positive of its own (the element heads stay as first fitted). Serving scores a post by its best
    passage, but a long promotion trains as a whole post, whose norm dilutes the few sentences that make it a
    scheme; its best passage is the instance serving will see (one round of multiple-instance learning,
    docs/training.md).

    ``sentence_instances`` (``SENTENCE_INSTANCES``) says which of the two passage sets may take sentence passages
    (``FeatureSpec.sentence_min_chars``): a sentence of a warning is a negative that looks like a pitch, and a
    single recruiting sentence chosen as a positive teaches that one sentence is a promotion (docs/training.md,
    "Sentence passages"). ``sentence_discount`` lowers a sentence's value when the best passage is chosen, as
    serving does. ``tol``: the solver's tolerance (``LinearHeads``, ``TrainConfig.solver_tol``).
    """
    if sentence_instances not in SENTENCE_INSTANCES:
        raise ValueError(f"sentence_instances {sentence_instances!r}: expected one of {', '.join(SENTENCE_INSTANCES)}")
    is_sentence = counted.passage_sentence
    X = tfidf_weight(counted.docs[rows], idf, min_norm)
    y = Y[rows, :n_heads]
    w = weights[rows]
    per_doc = np.bincount(counted.passage_doc, minlength=counted.docs.shape[0])
    if negative_passages:
        # A long benign post is scored by its best passage, so its passages are negatives in their own right.
        long_negative = np.zeros(counted.docs.shape[0], dtype=bool)
        long_negative[rows] = (Y[rows, 0] == 0) & (per_doc[rows] > 1)
        usable = long_negative[counted.passage_doc]
        if sentence_instances not in ("both", "negatives"):
            usable &= ~is_sentence
        extra = np.flatnonzero(usable)
        if extra.size:
            X = sp.vstack([X, tfidf_weight(counted.passages[extra], idf, min_norm)], format="csr")
            y = np.vstack([y, np.zeros((extra.size, n_heads), dtype=y.dtype)])
            w = np.concatenate([w, np.ones(extra.size)])
    model = LinearHeads(C=C, element_C=element_C, min_df=min_df, tol=tol).fit(X, y, sample_weight=w)
    if not positive_passages:
        return model
    long_positive = np.zeros(counted.docs.shape[0], dtype=bool)
    long_positive[rows] = (Y[rows, 0] == 1) & (per_doc[rows] > 1)
    usable = long_positive[counted.passage_doc]
    if sentence_instances not in ("both", "positives"):
        usable &= ~is_sentence
    candidates = np.flatnonzero(usable)
    if not candidates.size:
        return model
    X_candidates = tfidf_weight(counted.passages[candidates], idf, min_norm)
    docs = counted.passage_doc[candidates]
    candidate_values = model.decision_function(X_candidates)[:, 0] - sentence_discount * is_sentence[candidates]
    best = best_passage_rows(candidate_values, docs)
    # Only the MLM head is refitted: a passage need not show every element of its post, and the element heads
    # answer for the whole promotion (docs/training.md, "Six more writers and best passages").
    X = sp.vstack([X, X_candidates[best]], format="csr")
    y = np.concatenate([y[:, 0], Y[docs[best], 0]])
    w = np.concatenate([w, weights[docs[best]]])
    mlm_head = LinearHeads(C=C, element_C=element_C, min_df=min_df, tol=tol).fit(X, y[:, None], sample_weight=w)
    model.coef_[0], model.intercept_[0] = mlm_head.coef_[0], mlm_head.intercept_[0]
    return model


def _fit_fold(counted: Counted, Y: np.ndarray, weights: np.ndarray, train_rows: np.ndarray,
              predict_rows: np.ndarray, n_heads: int, C: float, element_C: float, min_norm: float,
              negative_passages: bool, positive_passages: bool = False, discussion: np.ndarray | None = None,
              discussion_C: float = 4.0, guard_only: np.ndarray | None = None,
              discussion_quotes: bool = False, *, min_df: int = 3, sentence_instances: str = "both",
              sentence_discount: float = 0.0, discussion_distinct: bool = False,
              tol: float = DEFAULT_SOLVER_TOL) -> np.ndarray:
    """Decision values [predict_rows, n_heads] from a model fitted on ``train_rows`` (idf refitted on them); with
    ``discussion`` labels, one more column: the discussion head's whole-post decision value
    (``training/discussion.py``), fitted on the same rows. Rows marked ``guard_only`` (``discussion_data``)
    train the discussion head only: the heads and the idf are fitted without them, so they are the same fits as
    without that data."""
    head_rows = train_rows if guard_only is None else train_rows[~guard_only[train_rows]]
    idf = idf_from_counts(counted.docs[head_rows])
    model = fit_heads(counted, Y, weights, head_rows, idf, n_heads, C, element_C, min_norm, negative_passages,
                      positive_passages, min_df=min_df, sentence_instances=sentence_instances,
                      sentence_discount=sentence_discount, tol=tol)
    sub = counted.select(predict_rows)
    values = passage_decisions(model, tfidf_weight(sub.passages, idf, min_norm), sub.passage_doc, predict_rows.size,
                               range(n_heads), sentence_discount * sub.passage_sentence)
    if discussion is None:
        return values
    coef, intercept = fit_discussion(counted, discussion, weights, train_rows, idf, discussion_C, min_norm,
                                     discussion_quotes, discussion_distinct, tol=tol)
    about = whole_post_decision(counted, predict_rows, idf, min_norm, coef, intercept, discussion_distinct)
    return np.column_stack([values, about])


@dataclass(frozen=True)
class GuardPlan:
    """What held-out-style refits need of the discussion guard: labels, the main run's out-of-fold values and
    promotion rows (to set each refit's ``tau`` without the held-out style), the quantile, the weight and the
    ramp (onset, full)."""

    labels: np.ndarray
    oof: np.ndarray
    promotions: np.ndarray
    quantile: float
    weight: float
    onset: float
    full: float


#: roles of the written corpus and of the rows derived from it (the guard's own posts, rewritten copies): they weigh
#: ``written_weight`` and go out with their style in held-out refits
WRITTEN_ROLES = ("written", GUARD_ONLY, REWRITE)


def row_weights(role: np.ndarray, config: "TrainConfig") -> np.ndarray:
    """Sample weight of every row by its role: real labelled rows ``labelled_weight``; the written corpus, the
    guard's own posts and rewritten copies of written posts ``written_weight``; the rest (synthetic, benign) 1.
    The one place of that rule for ``train`` and ``benchmarks/compare_fits.py``."""
    role = np.asarray(role)
    return np.where(role == "labelled", config.labelled_weight,
                    np.where(np.isin(role, WRITTEN_ROLES), config.written_weight, 1.0))


def style_left_out(role: np.ndarray, values: np.ndarray, value: str) -> np.ndarray:
    """Rows a model that must never see the style ``value`` (of one axis; ``values`` per row) leaves out: the
    written posts of that style, the guard's own posts of it and the rewritten copies of its posts
    (``training.rewrites``), which carry their source's style."""
    return np.isin(role, WRITTEN_ROLES) & (np.asarray(values) == value)


def leave_one_style_out(counted: Counted, Y: np.ndarray, weights: np.ndarray, train_rows: np.ndarray,
                        corpus: Corpus, config: "TrainConfig", C: float, slope: float, offset: float,
                        discussion: "GuardPlan | None" = None,
                        guard_only: np.ndarray | None = None) -> dict[str, dict[str, np.ndarray]]:
    """Calibrated MLM probabilities of written posts from models that never saw their style.

    For every axis of ``config.style_holdout`` (era, channel, writer) and every value of it, the model is refitted
    without the written posts of that value (idf included) and scores them. Returns {axis: {value: (rows, p)}}.
    ``discussion``: the discussion head is refitted without the style too, its ``tau`` taken from the out-of-fold
    values of the training promotions OUTSIDE the style, and its penalty taken off as serving does.
    """
    role = corpus.array("role")
    written = role == "written"
    jobs, keys = [], []
    for axis in config.style_holdout:
        values = np.asarray([style.get(axis, "") for style in corpus.style])
        for value in sorted(set(values[written]) - {""}):
            held = written & (values == value)
            y = Y[held, 0]
            if y.sum() < 3 or (1 - y).sum() < 3:
                continue
            left_out = style_left_out(role, values, value)
            jobs.append((train_rows[~left_out[train_rows]], np.flatnonzero(held)))
            keys.append((axis, value, left_out))
    results = Parallel(n_jobs=config.n_jobs)(
        delayed(_fit_fold)(counted, Y, weights, fit_rows, predict_rows, 1, C, config.element_C, config.min_norm,
                           config.negative_passages, config.positive_passages,
                           None if discussion is None else discussion.labels, config.discussion_C, guard_only,
                           config.discussion_quotes, min_df=config.min_df, sentence_instances=config.sentence_instances,
                           sentence_discount=config.sentence_discount,
                           discussion_distinct=config.discussion_distinct, tol=config.solver_tol)
        for fit_rows, predict_rows in jobs)
    out: dict[str, dict[str, np.ndarray]] = {}
    for (axis, value, left_out), (_, rows), z in zip(keys, jobs, results):
        logit = z[:, 0] * slope + offset
        if discussion is not None:
            # every row the refit left out (rewritten copies of the style's promotions too) stays out of tau
            tau = choose_tau(discussion.oof[: left_out.size], discussion.promotions[: left_out.size] & ~left_out,
                             discussion.quantile)
            logit = guarded_logit(logit, z[:, 1], tau, discussion.weight, discussion.onset, discussion.full)
        p = 1.0 / (1.0 + np.exp(-logit))
        out.setdefault(axis, {})[value] = (rows, p)
    return out


def choose_threshold(p: np.ndarray, y: np.ndarray, benign: np.ndarray, max_benign_fpr: float,
                     min_precision: float) -> float:
    """The monitoring operating point: the highest recall on the labelled task (rows with ``y`` ≥ 0) whose
    precision is at least ``min_precision`` and whose false-positive rate on ``benign`` rows stays within budget.

    ``y`` is 1/0 for the labelled task and -1 for rows outside it. Where no threshold reaches ``min_precision``
    the best F1 is taken instead. Ties take the median tied threshold, away from the edge of any one post.
    """
    candidates = np.round(np.arange(0.02, 0.99, 0.01), 2)
    task = y >= 0
    scored = []
    for t in candidates:
        flagged = p >= t
        if benign.any() and flagged[benign].mean() > max_benign_fpr:
            continue
        tp = int((flagged & task & (y == 1)).sum())
        fp = int((flagged & task & (y == 0)).sum())
        fn = int((~flagged & task & (y == 1)).sum())
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        scored.append((float(t), precision, recall, f1))
    if not scored:
        return 0.99
    feasible = [s for s in scored if s[1] >= min_precision]
    key = (lambda s: s[2]) if feasible else (lambda s: s[3])
    pool = feasible or scored
    best = max(key(s) for s in pool)
    tied = [s[0] for s in pool if abs(key(s) - best) <= 1e-12]
    return float(tied[len(tied) // 2])


def train(config: TrainConfig, output: Path, log: Callable[[str], None] = _log) -> dict:
    """Run the whole procedure and write the model directory; returns the manifest."""
    started = time.time()
    output = Path(output)
    spec = build_normalization_spec(max_chars=config.max_chars)
    tables = NormalizerTables.from_spec(spec)
    synthetic = _synthetic_records(config) if config.synthetic_n else []
    specs = corpus_specs(config)
    corpus = build_corpus(specs, tables, synthetic, config.n_folds)
    dropped = sum(corpus.duplicates.values())
    stock_line_copies = 0
    if config.discussion_boilerplate:
        from mlmrisk.training.boilerplate import boilerplate_lines
        from mlmrisk.training.discussion import add_stock_line_promotions

        stock_line_copies = add_stock_line_promotions(corpus, config.discussion_boilerplate, config.synthetic_seed,
                                                      boilerplate_lines("train"))
        log(f"{stock_line_copies} promotions with a stock line attached train the discussion guard")
    if config.train_rewrites and config.train_rewrite_share:
        from mlmrisk.training.rewrites import add_training_rewrites

        rewrites = add_training_rewrites(corpus, config.train_rewrites, config.train_rewrite_share,
                                         config.synthetic_seed, tables)
        log(f"rewritten copies of written training posts (both labels): {json.dumps(rewrites)}")
    log(f"corpus: {len(corpus)} records after deduplication ({time.time() - started:.0f}s)"
        + (f"; dropped {dropped} duplicates of the normalised text (digits fold to 0, punctuation and spaces drop, "
           f"so 交399元 and 交1980元 are one text; the first record wins): {json.dumps(corpus.duplicates)}"
           if dropped else "")
        + (f"; {sum(corpus.conflicts.values())} of them had the other label: {json.dumps(corpus.conflicts)}"
           if corpus.conflicts else ""))
    from mlmrisk.training.config import check_training_rows, data_hashes, dump_config

    role = corpus.array("role")
    split = corpus.array("split")
    # ``train_rows``: the rows of the five heads, of calibration, thresholds and every report figure;
    # ``guard_train_rows`` adds the guard-only posts (discussion_data, stock-line copies): the guard's rows.
    train_rows = head_training_rows(split, role)
    guard_train_rows = np.flatnonzero(split == "train")
    check_training_rows(np.asarray(corpus.label)[train_rows].tolist(), "training rows")
    name = corpus.array("corpus")
    fold = corpus.array("fold")
    Y = np.column_stack([corpus.array("label"), corpus.element_matrix()]).astype(np.int64)
    weights = row_weights(role, config)

    vectorizer = config_vectorizer(config, spec)
    counted = vectorizer.count(corpus.text)
    evasive_texts, evasive_rows, evasive_kinds = _evasive_rewrites(corpus, config.evasion_seed)
    evasive_counted = vectorizer.count(evasive_texts)
    log(f"features counted ({time.time() - started:.0f}s)")

    guard_only = role == GUARD_ONLY
    all_counted = Counted.stack([counted, evasive_counted])
    evasive_index = np.arange(len(corpus), len(corpus) + len(evasive_texts))
    Y_all = np.vstack([Y, Y[evasive_rows]]) if len(evasive_texts) else Y
    weights_all = np.concatenate([weights, weights[evasive_rows]])
    fold_all = np.concatenate([fold, fold[evasive_rows]])
    # The discussion guard's labels (training/discussion.py); evasive rewrites keep their source's label.
    about = discussion_labels(corpus.style, corpus.category, config.discussion_kinds) if config.discussion_kinds else None
    if about is not None:  # a misspelt kind would silently narrow the guard's positives: say which match nothing
        unmatched = [kind for kind in config.discussion_kinds
                     if not discussion_labels(corpus.style, corpus.category, [kind])[guard_train_rows].any()]
        if unmatched:
            log(f"discussion_kinds {unmatched} match no training record")
    if about is not None and not about[guard_train_rows].any():
        log(f"no training record of the kinds {config.discussion_kinds}: the model has no discussion guard")
        about = None
    about_all = None if about is None else np.concatenate([about, about[evasive_rows]])
    guard_only_all = np.concatenate([guard_only, np.zeros(len(evasive_texts), dtype=bool)])

    def cross_validate(n_heads: int, C: float, with_discussion: bool = False) -> np.ndarray:
        """Out-of-fold decision values for training rows and evasive rewrites, shape [rows, n_heads] (one more
        column, the discussion head's, with ``with_discussion``)."""
        oof = np.full((len(corpus) + len(evasive_texts), n_heads + int(with_discussion)), np.nan)
        jobs = []
        for k in range(config.n_folds):
            fit_rows = guard_train_rows[fold[guard_train_rows] != k]
            predict_rows = np.concatenate([train_rows[fold[train_rows] == k],
                                           evasive_index[fold_all[evasive_index] == k]])
            jobs.append((fit_rows, predict_rows))
        results = Parallel(n_jobs=config.n_jobs)(
            delayed(_fit_fold)(all_counted, Y_all, weights_all, fit_rows, predict_rows, n_heads, C,
                               config.element_C, config.min_norm, config.negative_passages,
                               config.positive_passages, about_all if with_discussion else None,
                               config.discussion_C, guard_only_all, config.discussion_quotes,
                               min_df=config.min_df, sentence_instances=config.sentence_instances,
                               sentence_discount=config.sentence_discount,
                               discussion_distinct=config.discussion_distinct, tol=config.solver_tol)
            for fit_rows, predict_rows in jobs
        )
        for (_, predict_rows), values in zip(jobs, results):
            oof[predict_rows] = values
        return oof

    from mlmrisk.training.metrics import average_precision

    real_rows = train_rows[np.isin(name[train_rows], ("chineseharm",) + BENIGN_FPR_CORPORA)
                           | (role[train_rows] == "labelled")]
    search = {}
    best_C, best_ap = config.C_grid[0], -1.0
    if len(config.C_grid) > 1:  # with one value there is nothing to choose: its CV is the all-heads CV below
        for C in config.C_grid:
            oof = cross_validate(1, C)
            ap = average_precision(Y[real_rows, 0], oof[real_rows, 0])
            search[str(C)] = round(ap, 4)
            log(f"C={C}: out-of-fold average precision on real data {ap:.4f} ({time.time() - started:.0f}s)")
            if ap > best_ap:
                best_C, best_ap = C, ap
    oof = cross_validate(len(HEADS), best_C, with_discussion=about is not None)
    guard = None  # (tau, weight) of the discussion guard
    if about is not None:
        oof, oof_about = oof[:, : len(HEADS)], oof[:, len(HEADS)]
        promotions = np.zeros(len(oof_about), dtype=bool)
        promotions[train_rows] = Y[train_rows, 0] == 1
        guard = (choose_tau(oof_about, promotions, config.discussion_quantile), config.discussion_weight)
        log(f"discussion guard: tau {guard[0]:.3f} ({config.discussion_quantile} quantile of promotions, "
            f"out-of-fold), weight {guard[1]}")
    if str(best_C) not in search:
        search[str(best_C)] = round(average_precision(Y[real_rows, 0], oof[real_rows, 0]), 4)
    log(f"all heads cross-validated with C={best_C}: out-of-fold average precision on real data "
        f"{search[str(best_C)]:.4f} ({time.time() - started:.0f}s)")

    slopes, offsets = fit_sigmoid_calibration(oof[train_rows], Y[train_rows])
    positive_train = train_rows[Y[train_rows, 0] == 1]
    element_slopes, element_offsets = fit_sigmoid_calibration(oof[positive_train, 1:], Y[positive_train, 1:])
    slopes[1:], offsets[1:] = element_slopes, element_offsets
    oof_logit = oof * slopes + offsets
    unguarded_mlm = oof_logit[:, 0].copy()
    if guard is not None:  # the whole penalty comes off the calibrated MLM logit (the ramp follows the thresholds)
        oof_logit[:, 0] -= discussion_penalty(oof_about, *guard)
    oof_p = 1.0 / (1.0 + np.exp(-oof_logit))

    # Threshold: labelled task (1/0; other rows -1) vs benign false-positive budget, out-of-fold.
    task_y = np.where(role == "labelled", Y[:, 0], -1)
    task_y = np.where((name == "chineseharm") & (corpus.array("original_label") == "2"), -1, task_y)
    benign = np.isin(name, BENIGN_FPR_CORPORA)
    in_train = np.zeros(len(corpus), dtype=bool)
    in_train[train_rows] = True
    p_main = oof_p[: len(corpus), 0]
    flag = choose_threshold(p_main[in_train], task_y[in_train], benign[in_train], config.max_benign_fpr,
                            config.min_precision)
    thresholds = Thresholds(flag=flag, watch=round(flag * config.watch_ratio, 4))
    if guard is not None:
        # The guard's ramp: no post under ``onset`` (just under the watch threshold) is touched, the whole penalty
        # comes off from the flag threshold up (classifier/discussion.py). The flag threshold was chosen with the
        # whole penalty everywhere: the ramp flags exactly the same posts (whole at and above the flag threshold,
        # and nothing below it can be flagged).
        guard = (*guard, *ramp_logits(thresholds.watch, thresholds.flag))
        oof_p[:, 0] = 1.0 / (1.0 + np.exp(-guarded_logit(unguarded_mlm, oof_about, *guard)))
        p_main = oof_p[: len(corpus), 0]
        log(f"discussion guard ramp: logit {guard[2]:.3f} to {guard[3]:.3f}")
    # Each fold's own threshold, chosen on the other folds' scores as served (after the ramp), is what the report's
    # nested figures evaluate those scores at.
    nested_threshold = np.full(len(corpus), np.nan)
    for k in range(config.n_folds):
        others = in_train & (fold != k)
        t_k = choose_threshold(p_main[others], task_y[others], benign[others], config.max_benign_fpr,
                               config.min_precision)
        nested_threshold[in_train & (fold == k)] = t_k
    log(f"flag threshold {flag} (nested per fold: {sorted(set(np.round(nested_threshold[in_train], 2)))})")

    # Final model on every training row.
    vectorizer.fit_counts(counted.docs[train_rows])
    heads = fit_heads(counted, Y, weights, train_rows, vectorizer.idf_, len(HEADS), best_C, config.element_C,
                      config.min_norm, config.negative_passages, config.positive_passages, min_df=config.min_df,
                      sentence_instances=config.sentence_instances, sentence_discount=config.sentence_discount,
                      tol=config.solver_tol)
    heads.calibration_slope_, heads.calibration_offset_ = slopes, offsets
    heads.discussion_ = None
    if guard is not None:
        coef, intercept = fit_discussion(counted, about, weights, guard_train_rows, vectorizer.idf_,
                                         config.discussion_C, config.min_norm, config.discussion_quotes,
                                         config.discussion_distinct, tol=config.solver_tol)
        heads.discussion_ = DiscussionHead(coef, intercept, *guard, distinct=config.discussion_distinct)
    log(f"final model fitted ({time.time() - started:.0f}s)")

    from mlmrisk.training.evaluate import build_report, render_markdown, render_model_card

    final_p = predict_posts(heads, vectorizer, counted)
    report = build_report(
        corpus=corpus, oof_p=oof_p, nested_threshold=nested_threshold, final_p=final_p, thresholds=thresholds,
        evasive=(evasive_texts, evasive_rows, evasive_kinds, oof_p[len(corpus):] if len(evasive_texts) else None),
        tables=tables, vectorizer=vectorizer, heads=heads,
    )
    report["hyperparameter_search"] = {"C": search, "chosen_C": best_C, "element_C": config.element_C}
    report.update(generalisation_sections(
        corpus=corpus, config=config, thresholds=thresholds, oof_p=oof_p[: len(corpus)], tables=tables,
        predict=lambda texts: predict_texts(heads, vectorizer, texts),
        loso=leave_one_style_out(counted, Y, weights, guard_train_rows, corpus, config, best_C, slopes[0], offsets[0],
                                 None if guard is None else GuardPlan(about, oof_about, promotions,
                                                                      config.discussion_quantile, guard[1], guard[2], guard[3]),
                                 guard_only)
        if config.style_holdout else {},
    ))
    report["headline"].update(generalisation_headline(report))
    log(f"generalisation checks done ({time.time() - started:.0f}s)")
    # Where this run wrote its model is not part of the recipe: a rebuild from config.toml must name its own output.
    config = dataclasses.replace(config, output=None)
    config_dict = dataclasses.asdict(config)
    manifest_fields = {
        "model_version": MODEL_VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "thresholds": thresholds.to_dict(),
        "metrics": report["headline"],
        "data": {"summary": corpus.summary(), "training_rows": int(train_rows.size),
                 "guard_only_rows": int(guard_train_rows.size - train_rows.size),
                 "evasive_rewrites": len(evasive_texts), "duplicates_dropped": corpus.duplicates,
                 "duplicates_with_the_other_label": corpus.conflicts,
                 "records_skipped": corpus.skipped},
        "data_hashes": data_hashes([spec.path for spec in specs] + (
            [data_path("boilerplate", "train.jsonl")]
            if config.synthetic_boilerplate > 0 or stock_line_copies else [])),
        "config_file": "config.toml",
        "hyperparameters": {"C": best_C, "element_C": config.element_C, "labelled_weight": config.labelled_weight,
                            "min_norm": config.min_norm, "window": config.window,
                            "sentence_min_chars": config.sentence_min_chars,
                            "sentence_discount": config.sentence_discount,
                            "sentence_instances": config.sentence_instances,
                            "latin_syllables_only": config.latin_syllables_only,
                            "latin_post_share": config.latin_post_share,
                            "discussion": None if guard is None else {
                                "kinds": config.discussion_kinds, "C": config.discussion_C,
                                "quantile": config.discussion_quantile, "tau": round(guard[0], 6),
                                "weight": guard[1], "onset": round(guard[2], 6), "full": round(guard[3], 6),
                                "quotes": config.discussion_quotes, "distinct": config.discussion_distinct},
                            "char_orders": config.char_orders, "pinyin_orders": config.pinyin_orders,
                            "pinyin_fold": config.pinyin_fold,
                            "solver": "lbfgs", "solver_tol": config.solver_tol, "penalty": "l2", "min_df": config.min_df, "calibration": "sigmoid (out-of-fold)"},
        "config": config_dict,
        "versions": _versions(),
    }
    from mlmrisk.training.export import export_model

    manifest = export_model(output, vectorizer=vectorizer, heads=heads, manifest_fields=manifest_fields)
    (output / "config.toml").write_text(dump_config(config, header=(
        f"Resolved configuration of the model {manifest.get('model_version')} written {manifest_fields['created']}.\n"
        "Rebuild with: mlmrisk train config.toml --output NEW_DIR (input SHA-256 in manifest.json data_hashes)")),
        encoding="utf-8")
    (output / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (output / "report.md").write_text(render_markdown(report), encoding="utf-8")
    (output / "MODEL_CARD.md").write_text(render_model_card(manifest, report), encoding="utf-8")
    log(f"model written to {output} in {time.time() - started:.0f}s")
    return manifest


def generalisation_sections(*, corpus: Corpus, config: TrainConfig, thresholds: Thresholds, oof_p: np.ndarray,
                            tables: NormalizerTables, predict: Callable[[Sequence[str]], np.ndarray],
                            loso: dict) -> dict:
    """Short texts, embedded pitches, held-out styles, level spread and the real-only baseline (see
    ``training/generalisation.py``); every figure on text the scoring model did not train on."""
    from mlmrisk.training import generalisation as gen
    from mlmrisk.training.evaluate import read_challenge_set
    from mlmrisk.training.metrics import average_precision, binary_metrics, recall_at_precision

    name, split, role = corpus.array("corpus"), corpus.array("split"), corpus.array("role")
    label = corpus.array("label")
    texts = np.asarray(corpus.text, dtype=object)
    benign_heldout = list(texts[np.isin(name, BENIGN_FPR_CORPORA) & (split == "heldout")])
    out: dict = {}
    if benign_heldout:
        out["short_texts"] = gen.short_text_section(predict, thresholds, benign_heldout, config.evasion_seed, tables)
    challenge = read_challenge_set()
    challenge_pos = [r["text"] for r in challenge if int(r["label"]) == 1]
    if benign_heldout and challenge_pos:
        out["embedded"] = gen.embedded_section(predict, thresholds, challenge_pos, benign_heldout, config.evasion_seed)
    task = (name == "chineseharm") & (split == "train") & (corpus.array("original_label") != "2") & (
        corpus.array("category") != "不违规")
    levels = {}
    if (task & (label == 1)).any():  # sections only for sources present
        levels["chineseharm_positives_cv"] = gen.level_distribution(oof_p[task & (label == 1)], thresholds)
    if challenge_pos:
        levels["challenge_positives"] = gen.level_distribution(predict(challenge_pos), thresholds)
    out["levels"] = levels
    from mlmrisk.training.boilerplate import boilerplate_lines, boilerplate_section
    from mlmrisk.training.evaluate import never_trained_on

    held_writers = never_trained_on().get("written_holdout")
    if held_writers is not None:  # stock lines never trained on, attached to posts never trained on
        out["boilerplate"] = boilerplate_section(predict, thresholds, held_writers[0], held_writers[1],
                                                 boilerplate_lines("eval"))

    real_train = (split == "train") & np.isin(role, ("labelled", "benign", "negative"))
    written = np.flatnonzero(role == "written")
    eval_sets = {}
    if written.size:
        eval_sets["written"] = (list(texts[written]), label[written])
    if challenge:
        eval_sets["challenge_set"] = ([r["text"] for r in challenge], np.asarray([int(r["label"]) for r in challenge]))
    baseline_written = None
    written_index = np.full(len(corpus), -1, dtype=np.int64)
    written_index[written] = np.arange(written.size)
    if task.any() and label[task].max() == 1:
        baseline = gen.real_only_baseline(texts, label, corpus.array("fold"), real_train, task, eval_sets,
                                          tol=config.solver_tol)
        baseline.pop("_oof")
        scores = baseline.pop("_scores")
        baseline_written = scores.get("written")
        baseline["chineseharm_cv"]["model_average_precision"] = round(average_precision(label[task], oof_p[task, 0]), 4)
        out["real_only_baseline"] = baseline
    if loso:
        section: dict = {}
        for axis, values in loso.items():
            pooled_rows, pooled_p = [], []
            section[axis] = {}
            for value, (rows, p) in values.items():
                entry = {"n": int(rows.size), "positives": int(label[rows].sum()),
                         "average_precision": round(average_precision(label[rows], p), 4),
                         "recall_at_precision_0.9": round(recall_at_precision(label[rows], p, 0.9), 4),
                         "at_flag": binary_metrics(label[rows], p >= thresholds.flag)}
                if baseline_written is not None:
                    entry["real_only_baseline_average_precision"] = round(
                        average_precision(label[rows], baseline_written[written_index[rows]]), 4)
                section[axis][value] = entry
                pooled_rows.append(rows)
                pooled_p.append(p)
            rows, p = np.concatenate(pooled_rows), np.concatenate(pooled_p)
            pooled = {"n": int(rows.size), "average_precision": round(average_precision(label[rows], p), 4),
                      "recall_at_precision_0.9": round(recall_at_precision(label[rows], p, 0.9), 4),
                      "at_flag": binary_metrics(label[rows], p >= thresholds.flag)}
            if baseline_written is not None:
                pooled["real_only_baseline_average_precision"] = round(
                    average_precision(label[rows], baseline_written[written_index[rows]]), 4)
            section[axis]["_pooled"] = pooled
        out["leave_one_style_out"] = section
    labelled_task = (name == "chineseharm") & (split == "train") & (corpus.array("original_label") != "2")
    out["operating_points"] = operating_points(
        oof_p[: len(corpus), 0], label, labelled_task, np.isin(name, BENIGN_FPR_CORPORA) & (split == "train"), loso,
        thresholds.flag)
    return out


OPERATING_GRID = tuple(float(t) for t in np.round(np.arange(20, 81, 5) / 100, 2))


def operating_points(p: np.ndarray, label: np.ndarray, task: np.ndarray, benign: np.ndarray, loso: dict,
                     flag: float) -> list[dict]:
    """What each candidate flag threshold would give, so a user can choose a different operating point knowingly.

    Per threshold: out-of-fold precision / recall on the real labelled task (``task`` rows), the out-of-fold
    false-positive rate on the benign training corpora, and for each held-out style axis the pooled precision /
    recall and the worst style's recall and precision (each style scored by a model refitted without it). Every
    score is of a row its model did not train on, but the real-task and benign columns are ONE threshold applied
    to all folds (not nested): the shipped flag was chosen on those very scores, so its row there is optimistic
    (the report's nested figures are the honest ones); the held-out-style columns play no part in the choice.
    """
    from mlmrisk.training.metrics import binary_metrics

    pooled_scores = {axis: (np.concatenate([r for r, _ in values.values()]),
                            np.concatenate([q for _, q in values.values()])) for axis, values in (loso or {}).items()}
    rows = []
    for t in sorted(set(OPERATING_GRID) | {float(flag)}):
        flagged = p >= t
        point: dict = {"threshold": float(t), "shipped": t == float(flag)}
        if task.any():
            m = binary_metrics(label[task], flagged[task])
            point["chineseharm_cv"] = {"precision": m["precision"], "recall": m["recall"]}
        if benign.any():
            point["benign_fpr_cv"] = round(float(flagged[benign].mean()), 5)
        for axis, values in (loso or {}).items():
            per = {v: binary_metrics(label[r], q >= t) for v, (r, q) in values.items()}
            all_rows, all_p = pooled_scores[axis]
            pooled = binary_metrics(label[all_rows], all_p >= t)
            worst_r = min(per, key=lambda v: per[v]["recall"])
            worst_p = min(per, key=lambda v: per[v]["precision"])
            point[axis] = {"precision": pooled["precision"], "recall": pooled["recall"],
                           "worst_recall": [worst_r, per[worst_r]["recall"]],
                           "worst_precision": [worst_p, per[worst_p]["precision"]]}
        rows.append(point)
    return rows


def generalisation_headline(report: dict) -> dict:
    """Headline figures of the generalisation sections that are present (see ``generalisation_sections``)."""
    head: dict = {}
    short = report.get("short_texts")
    if short:
        head["short_comments_flagged"] = short["comments"]["flagged"]
        head["short_comments_high_or_severe"] = short["comments"]["high_or_severe"]
        head["short_comments_scored_above_flag"] = short["comments"].get("scored_above_flag")
        head["fragments_1_6_flagged_rate"] = short["fragments_1_6"]["flagged_rate"]
    embedded = report.get("embedded", {})
    for key in ("padded_100", "padded_300"):
        if key in embedded:
            head[f"embedded_{key}_kept"] = embedded[key]["rate"]
    boilerplate = report.get("boilerplate", {})
    for where in ("before", "after"):
        if where in boilerplate:
            head[f"boilerplate_{where}_promotions_kept"] = boilerplate[where]["promotions_kept"]
    for axis, values in report.get("leave_one_style_out", {}).items():
        pooled = values.get("_pooled")
        if pooled:
            head[f"leave_one_{axis}_out_average_precision"] = pooled["average_precision"]
        recalls = {value: entry["at_flag"]["recall"] for value, entry in values.items() if value != "_pooled"}
        if recalls:
            worst = min(recalls, key=recalls.get)
            head[f"leave_one_{axis}_out_worst_recall"] = {"style": worst, "recall": recalls[worst]}
    baseline = report.get("real_only_baseline", {}).get("chineseharm_cv")
    if baseline:
        head["chineseharm_cv_average_precision"] = baseline["model_average_precision"]
        head["real_only_baseline_chineseharm_cv_average_precision"] = baseline["average_precision"]
    return head


def predict_posts(heads: LinearHeads, vectorizer: HashedNgramVectorizer, counted: Counted) -> np.ndarray:
    """Calibrated probabilities [N, heads] of posts, exactly as serving computes them (best passage)."""
    z = passage_decisions(heads, vectorizer.weight(counted.passages), counted.passage_doc, counted.docs.shape[0],
                          range(heads.n_heads_), vectorizer.spec_.sentence_discount * counted.passage_sentence)
    logit = z * heads.calibration_slope_ + heads.calibration_offset_
    guard = getattr(heads, "discussion_", None)
    if guard is not None:  # the post-level discussion guard on the MLM head (classifier/discussion.py)
        logit[:, 0] = guard.apply(logit[:, 0], guard.decision(counted, vectorizer.idf_, vectorizer.spec_.min_norm))
    return 1.0 / (1.0 + np.exp(-logit))


def predict_texts(heads: LinearHeads, vectorizer: HashedNgramVectorizer, texts: Sequence[str]) -> np.ndarray:
    return predict_posts(heads, vectorizer, vectorizer.count(texts))


def _versions() -> dict:
    import onnx
    import onnxruntime
    import sklearn

    return {"python": platform.python_version(), "numpy": np.__version__, "scikit-learn": sklearn.__version__,
            "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__}
