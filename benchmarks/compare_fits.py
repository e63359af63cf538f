"""Compare training settings on the figures that choose them, without writing a model.

    python benchmarks/compare_fits.py                                  # the default config
    python benchmarks/compare_fits.py --set positive_passages=false    # one setting changed
    python benchmarks/compare_fits.py --set written_weight=2 --channels sms,qq_group --out fits.jsonl

A full ``mlmrisk train`` takes ~30 min and answers everything; choosing a setting needs only three figures, and
this script computes exactly those with the training code's own functions (``training/fit.py``: corpus,
counts, ``_fit_fold``, calibration, ``choose_threshold``), on the same grouped folds:

- ChineseHarm out-of-fold average precision (the real task: mlm 1 vs 0, borderline and 不违规 left out);
- the flag threshold those out-of-fold scores choose, and ChineseHarm recall at it;
- per held-out era (and the channels asked for): AP, recall and precision at the flag, and the best recall at
  precision ≥ 0.90 at any threshold (how far ranking alone could go). With ``--baseline-writers``, the same on
  those writers' posts only, so corpora of different sizes are compared on the same posts.

Counts are cached per corpus (``--cache``, ~1.5 GB), so a second setting on the same data costs only the fits.
Figures are printed and appended to ``--out`` as one JSON line per run (docs/training.md quotes them).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import joblib
import numpy as np
from joblib import Parallel, delayed

import mlmrisk.classifier as classifier_package
from mlmrisk.training import fit as fit_module
from mlmrisk.training.config import data_hashes, load_config
from mlmrisk.training.data import head_training_rows
from mlmrisk.training.heads import fit_sigmoid_calibration
from mlmrisk.training.metrics import average_precision

COUNT_SETTINGS = ("shared_data", "written_data", "discussion_data", "extra_data", "synthetic_n", "synthetic_seed",
                  "synthetic_positive_fraction", "n_folds", "max_chars", "bucket_bits", "char_orders",
                  "pinyin_orders", "pinyin_fold", "window", "min_norm", "sentence_min_chars", "latin_syllables_only",
                  "latin_post_share", "train_rewrites", "train_rewrite_share")


def counted_corpus(config: fit_module.TrainConfig, cache: Path | None) -> dict:
    """Corpus columns and bucket counts (cached under a key of every setting that changes them)."""
    from mlmrisk.classifier.normalize import NormalizerTables
    from mlmrisk.training.data import build_corpus
    from mlmrisk.training.normalization_spec import build_normalization_spec

    key = json.dumps({"settings": {k: getattr(config, k) for k in COUNT_SETTINGS},
                      "data": data_hashes([spec.path for spec in fit_module.corpus_specs(config)]),
                      "code": _code_fingerprint()}, sort_keys=True, default=str)
    if cache and cache.is_file():
        stored = joblib.load(cache)
        if stored.get("key") == key:
            return stored
    spec = build_normalization_spec(max_chars=config.max_chars)
    tables = NormalizerTables.from_spec(spec)
    corpus = build_corpus(fit_module.corpus_specs(config), tables, fit_module._synthetic_records(config),
                          config.n_folds)
    if config.train_rewrites and config.train_rewrite_share:  # as mlmrisk train adds them (training/rewrites.py)
        from mlmrisk.training.rewrites import add_training_rewrites

        add_training_rewrites(corpus, config.train_rewrites, config.train_rewrite_share, config.synthetic_seed, tables)
    vectorizer = fit_module.config_vectorizer(config, spec)
    data = {"key": key, "counted": vectorizer.count(corpus.text), "style": corpus.style,
            "Y": np.column_stack([corpus.array("label"), corpus.element_matrix()]).astype(np.int64),
            "columns": {k: corpus.array(k) for k in ("role", "split", "corpus", "fold", "original_label", "category")}}
    if cache:
        joblib.dump(data, cache)
    return data


def _code_fingerprint() -> str:
    """SHA-256 over the sources that turn data into counts (training/ and classifier/), so an edit there refreshes
    the cache instead of reusing counts the current code would not produce."""
    digest = hashlib.sha256()
    for package in (fit_module, classifier_package):
        for path in sorted(Path(package.__file__).parent.glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _at(y: np.ndarray, p: np.ndarray, flag: float) -> dict:
    flagged = p >= flag
    tp, fp = int((flagged & (y == 1)).sum()), int((flagged & (y == 0)).sum())
    order = np.argsort(-p, kind="stable")
    hits = np.cumsum(y[order])
    precise = hits / np.arange(1, y.size + 1) >= 0.90
    return {"ap": round(average_precision(y, p), 3), "recall": round(tp / max(int(y.sum()), 1), 3),
            "precision": round(tp / max(tp + fp, 1), 3),
            "recall_at_p90": round(float(hits[precise].max() / y.sum()) if precise.any() else 0.0, 3)}


def compare(config: fit_module.TrainConfig, data: dict, channels: list[str], baseline_writers: list[str]) -> dict:
    counted, Y, style, col = data["counted"], data["Y"], data["style"], data["columns"]
    role, split, name, fold = col["role"], col["split"], col["corpus"], col["fold"]
    weights = fit_module.row_weights(role, config)
    if len(config.C_grid) != 1:
        raise SystemExit("compare_fits: give one C (--set 'C_grid=[16]'); choosing C is mlmrisk train's job")
    C = config.C_grid[0]
    # No discussion guard here: its guard-only posts (discussion_data) are never rows of the MLM head.
    train_rows = head_training_rows(split, role)

    def fits(jobs):
        return Parallel(n_jobs=config.n_jobs)(
            delayed(fit_module._fit_fold)(counted, Y, weights, fit_rows, predict_rows, 1, C, config.element_C,
                                          config.min_norm, config.negative_passages, config.positive_passages,
                                          min_df=config.min_df, sentence_instances=config.sentence_instances,
                                          sentence_discount=config.sentence_discount, tol=config.solver_tol)
            for fit_rows, predict_rows in jobs)

    folds = [(train_rows[fold[train_rows] != k], train_rows[fold[train_rows] == k]) for k in range(config.n_folds)]
    oof = np.full(len(Y), np.nan)
    for (_, rows), z in zip(folds, fits(folds)):
        oof[rows] = z[:, 0]
    task = (name == "chineseharm") & (split == "train") & (col["original_label"] != "2") & (col["category"] != "不违规")
    slope, offset = (v[0] for v in fit_sigmoid_calibration(oof[train_rows, None], Y[train_rows, :1]))
    p = 1.0 / (1.0 + np.exp(-(oof * slope + offset)))
    task_y = np.where(role == "labelled", Y[:, 0], -1)
    task_y = np.where((name == "chineseharm") & (col["original_label"] == "2"), -1, task_y)
    in_train = np.zeros(len(Y), dtype=bool)
    in_train[train_rows] = True
    benign = np.isin(name, fit_module.BENIGN_FPR_CORPORA)
    flag = fit_module.choose_threshold(p[in_train], task_y[in_train], benign[in_train], config.max_benign_fpr,
                                       config.min_precision)
    real = task & (Y[:, 0] == 1)
    out: dict = {"flag": flag, "chineseharm_ap": None, "chineseharm_recall_at_flag": None}
    if real.any():  # a run without ../shared/data has no real task
        out["chineseharm_ap"] = round(average_precision(Y[task, 0], oof[task]), 4)
        out["chineseharm_recall_at_flag"] = round(float((p[real] >= flag).mean()), 3)
    written = role == "written"
    writer = np.asarray([s.get("writer", "") for s in style])
    jobs, keys = [], []
    for axis, keep in (("era", None), ("channel", set(channels))):
        values = np.asarray([s.get(axis, "") for s in style])
        for value in sorted(set(values[written]) - {""}):
            if keep is not None and value not in keep:
                continue
            held = written & (values == value)
            if Y[held, 0].sum() < 3 or (1 - Y[held, 0]).sum() < 3:  # as leave_one_style_out: too few to judge
                continue
            left_out = fit_module.style_left_out(role, values, value)  # rewritten copies go out with the style
            jobs.append((train_rows[~left_out[train_rows]], np.flatnonzero(held)))
            keys.append(f"{axis}:{value}")
    for key, (_, rows), z in zip(keys, jobs, fits(jobs)):
        held_p = 1.0 / (1.0 + np.exp(-(z[:, 0] * slope + offset)))
        out[key] = _at(Y[rows, 0], held_p, flag)
        same = np.isin(writer[rows], baseline_writers)
        if baseline_writers and same.any() and not same.all():
            out[key]["baseline_writers"] = _at(Y[rows, 0][same], held_p[same], flag)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a training setting, parsed as by `mlmrisk train --set`; repeatable")
    parser.add_argument("--channels", default="sms,qq_group,short_video,official_account,forum",
                        help="channels held out one at a time beside the eras (comma-separated; '' for none)")
    parser.add_argument("--baseline-writers", default="",
                        help="writers whose posts get their own figures too (e.g. w1,w2,w3,w4,w5,w6,w7)")
    parser.add_argument("--cache", type=Path, default=None, help="file for the cached counts")
    parser.add_argument("--out", type=Path, default=None, help="append the figures as a JSON line")
    args = parser.parse_args(argv)
    config = load_config(None, args.set)  # parsed and checked exactly as `mlmrisk train --set`
    started = time.time()
    data = counted_corpus(config, args.cache)
    figures = {"settings": args.set, **compare(config, data, [c for c in args.channels.split(",") if c],
                                              [w for w in args.baseline_writers.split(",") if w])}
    figures["seconds"] = round(time.time() - started)
    line = json.dumps(figures, ensure_ascii=False)
    print(line)
    if args.out:
        with args.out.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
