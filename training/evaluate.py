"""Quality reports (JSON + Markdown), always beside the two keyword baselines on the same texts.

``build_report`` is called by ``training.fit.train`` with out-of-fold and final-model probabilities;
``evaluate_model`` scores any model directory through the SERVING path (a ``Scorer`` the caller passes in) on held-out and
evaluation data, for ``mlmrisk evaluate``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mlmrisk.classifier.labels import ELEMENTS
from mlmrisk.classifier.risk import Thresholds
from mlmrisk.training.data import Corpus
from mlmrisk.training.metrics import DATA_DIR, average_precision, binary_metrics, keyword_baselines, micro_f1

BENIGN = ("weibo2018", "tnews", "online_shopping", "mudou_sms")
OTHER_NEGATIVES = ("cail2018", "telecom_fraud")
CHALLENGE_SET = DATA_DIR / "challenge_set.jsonl"
#: Independently written posts kept out of training (data/written_holdout/README.md): evaluation only.
WRITTEN_HOLDOUT = DATA_DIR / "written_holdout"
#: Texts about schemes and pitches in their register by writers never trained on (data/discussion_holdout).
DISCUSSION_HOLDOUT = DATA_DIR / "discussion_holdout"

LICENCES = {
    "chineseharm": ("zjunlp/ChineseHarm-bench", "CC BY-NC 4.0 (non-commercial)", "train (cross-validated) + eval"),
    "weibo2018": ("dengxiuqi/weibo2018", "no licence stated upstream (research use)", "train 70% / FPR 30%"),
    "tnews": ("CLUE TNEWS via tigergeng/TextCNN", "CLUE benchmark terms (research use)", "train 70% / FPR 30%"),
    "online_shopping": ("SophonPlus/ChineseNlpCorpus", "no licence stated upstream (research use)", "train 70% / FPR 30%"),
    "mudou_sms": ("shaonianruntu/Spam-Message-Classification", "no licence stated upstream (research use)",
                  "train 70% / FPR 30%"),
    "cail2018": ("CAIL2018 (sihuajian/cail2018)", "CAIL competition terms (research use)", "train 70% / FPR 30%"),
    "telecom_fraud": ("ChangMianRen/Telecom_Fraud_Texts_5", "research use only", "train 70% / FPR 30%"),
    "laws": ("LawRefBook/Laws", "public legal texts", "evaluation only (never trained on)"),
    "synthetic": ("training/synthetic.py (this project)", "Apache-2.0 (this project)", "train 80% / held-out 20%"),
    "written": ("data/written (this project: independent writer sessions, briefs in data/written/BRIEFS.md)",
                "Apache-2.0 (this project)", "train; judged by leaving whole eras and channels out"),
    "discussion": ("data/written_discussion (this project: independent writer sessions, briefs in its README.md)",
                   "Apache-2.0 (this project)", "trains the discussion guard only (never the five heads)"),
    "stock_line_promotions": ("training promotions with a line of data/boilerplate/train.jsonl attached (this "
                              "project)", "Apache-2.0 (this project)", "the discussion guard's negatives only"),
}


def _baseline_flags(texts: Sequence[str]) -> dict[str, np.ndarray]:
    return {kw.name: kw.flag(list(texts)) for kw in keyword_baselines()}


def _with_baselines(texts: Sequence[str], y: np.ndarray, model_flags: np.ndarray, extra: dict | None = None) -> dict:
    section = {"model": binary_metrics(y, model_flags)}
    if extra:
        section["model"].update(extra)
    for name, flags in _baseline_flags(texts).items():
        section[name] = binary_metrics(y, flags)
    return section


def build_report(*, corpus: Corpus, oof_p: np.ndarray, nested_threshold: np.ndarray, final_p: np.ndarray,
                 thresholds: Thresholds, evasive, tables, vectorizer, heads) -> dict:
    """Every figure of a training run (see ``training.fit`` for where each probability comes from)."""
    name = corpus.array("corpus")
    split = corpus.array("split")
    label = corpus.array("label")
    original = corpus.array("original_label")
    texts = np.asarray(corpus.text, dtype=object)
    n = len(corpus)
    report: dict = {"thresholds": thresholds.to_dict()}

    # 1. ChineseHarm MLM task, out-of-fold: mlm 1 vs 0, borderline and 不违规 left out.
    task = (name == "chineseharm") & (split == "train") & (original != "2") & (
        corpus.array("category") != "不违规")
    # Every section is written only for sources present in the run (no tables of zeros for absent data).
    if task.any():
        p_task = oof_p[:n, 0][task]
        nested_flags = p_task >= nested_threshold[task]
        section = _with_baselines(texts[task], label[task], nested_flags,
                                  {"average_precision": round(average_precision(label[task], p_task), 4)})
        section["model_global_threshold"] = binary_metrics(label[task], p_task >= thresholds.flag)
        report["chineseharm_cv"] = section
    # 1b. Labelled files of the user (role labelled, not ChineseHarm), out-of-fold with the nested threshold.
    for corpus_name in dict.fromkeys(corpus.corpus):
        rows = (name == corpus_name) & (corpus.array("role") == "labelled") & (split == "train")
        if corpus_name == "chineseharm" or not rows.any():
            continue
        p_rows = oof_p[:n, 0][rows]
        report.setdefault("labelled_cv", {})[corpus_name] = _with_baselines(
            texts[rows], label[rows], p_rows >= nested_threshold[rows],
            {"average_precision": round(average_precision(label[rows], p_rows), 4)})

    # 2. False-positive rates with the final model on held-out real text (never trained on).
    fpr = {}
    pooled = np.zeros(n, dtype=bool)
    for corpus_name in BENIGN + OTHER_NEGATIVES + ("laws",):
        rows = (name == corpus_name) & np.isin(split, ("heldout", "eval"))
        if not rows.any():
            continue
        if corpus_name in BENIGN:
            pooled |= rows
        fpr[corpus_name] = _with_baselines(texts[rows], label[rows], final_p[rows, 0] >= thresholds.flag)
    if pooled.any():
        fpr["benign_pooled"] = _with_baselines(texts[pooled], label[pooled], final_p[pooled, 0] >= thresholds.flag)
    not_violating = (name == "chineseharm") & (split == "train") & (corpus.array("category") == "不违规")
    if not_violating.any():
        fpr["chineseharm_不违规_cv"] = _with_baselines(
            texts[not_violating], label[not_violating], oof_p[:n, 0][not_violating] >= nested_threshold[not_violating])
    report["false_positive_rates"] = fpr

    # 3. Evasive rewrites of the real positives, scored out-of-fold.
    evasive_texts, evasive_rows, evasive_kinds, evasive_p = evasive
    if evasive_p is not None and len(evasive_texts):
        clean_flags = oof_p[evasive_rows, 0] >= nested_threshold[evasive_rows]
        kinds = np.asarray(evasive_kinds)
        section = {}
        unique_rows = np.unique(evasive_rows)
        clean_recall = float((oof_p[unique_rows, 0] >= nested_threshold[unique_rows]).mean())
        clean_baselines = {k: float(v.mean()) for k, v in _baseline_flags(texts[unique_rows]).items()}
        for kind in dict.fromkeys(evasive_kinds):
            rows = kinds == kind
            flags = evasive_p[rows, 0] >= nested_threshold[evasive_rows[rows]]
            recall = float(flags.mean())
            entry = {"model": {"recall": round(recall, 4), "clean_recall": round(clean_recall, 4),
                               "ratio": round(recall / clean_recall, 4) if clean_recall else 0.0,
                               "kept_of_clean_hits": round(float((flags & clean_flags[rows]).sum()
                                                                 / max(1, clean_flags[rows].sum())), 4)}}
            for base, base_flags in _baseline_flags(np.asarray(evasive_texts, dtype=object)[rows]).items():
                r = float(base_flags.mean())
                entry[base] = {"recall": round(r, 4), "clean_recall": round(clean_baselines[base], 4),
                               "ratio": round(r / clean_baselines[base], 4) if clean_baselines[base] else 0.0}
            section[kind] = entry
        report["evasive_recall"] = section

    # 4. Elements on real positives (out-of-fold) and on synthetic held-out templates (final model).
    positives = (name == "chineseharm") & (split == "train") & (label == 1)
    if positives.any():
        report["elements_real_cv"] = _element_section(corpus, positives, oof_p[:n, 1:], thresholds)
    synthetic_heldout = (name == "synthetic") & (split == "heldout")
    if synthetic_heldout.any():
        report["synthetic_heldout"] = _with_baselines(
            texts[synthetic_heldout], label[synthetic_heldout], final_p[synthetic_heldout, 0] >= thresholds.flag)
        report["elements_synthetic_heldout"] = _element_section(
            corpus, synthetic_heldout & (label == 1), final_p[:, 1:], thresholds)

    # 5. The hand-written challenge set and the held-out writers (not real data, never trained on).
    from mlmrisk.training.fit import predict_texts

    for key, (set_texts, set_y, set_kinds) in never_trained_on().items():
        set_flags = predict_texts(heads, vectorizer, list(set_texts))[:, 0] >= thresholds.flag
        report[key] = _with_kinds(_with_baselines(set_texts, set_y, set_flags), set_y, set_kinds, set_flags)

    report["headline"] = _headline(report)
    return report


def _element_section(corpus: Corpus, rows: np.ndarray, element_p: np.ndarray, thresholds: Thresholds) -> dict:
    idx = np.flatnonzero(rows)
    truth = [corpus.elements[i] for i in idx]
    predicted = [tuple(e for k, e in enumerate(ELEMENTS) if element_p[i, k] >= thresholds.element) for i in idx]
    section = {"posts": int(idx.size), "micro": micro_f1(truth, predicted)}
    for element in ELEMENTS:
        section[element] = micro_f1([[element] if element in t else [] for t in truth],
                                    [[element] if element in p else [] for p in predicted])
    return section


def _headline(report: dict) -> dict:
    head = {}
    task = report.get("chineseharm_cv", {})
    for who in ("model", "keywords_strict", "keywords_broad"):
        if who in task:
            head[f"chineseharm_cv_{who}"] = {k: task[who][k] for k in ("precision", "recall", "f1")}
    for corpus_name, section in report.get("labelled_cv", {}).items():
        head[f"{corpus_name}_cv_model"] = {k: section["model"][k] for k in ("precision", "recall", "f1")}
    fpr = report.get("false_positive_rates", {})
    if "benign_pooled" in fpr:
        head["benign_fpr"] = {who: fpr["benign_pooled"][who]["fpr"] for who in fpr["benign_pooled"]}
    if "laws" in fpr:
        head["laws_fpr"] = {who: fpr["laws"][who]["fpr"] for who in fpr["laws"]}
    if "evasive_recall" in report:
        head["evasive_recall_ratio_min"] = min(v["model"]["ratio"] for v in report["evasive_recall"].values())
    if "elements_real_cv" in report:
        head["element_micro_f1_real_cv"] = report["elements_real_cv"]["micro"]["f1"]
    return head


def read_challenge_set(path: Path = CHALLENGE_SET) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_written_holdout(folder: Path = WRITTEN_HOLDOUT) -> list[dict]:
    """The held-out written posts (every ``*.jsonl`` of the folder, in name order); [] where it is absent."""
    return [record for path in sorted(folder.glob("*.jsonl")) for record in read_challenge_set(path)]


def never_trained_on() -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(texts, labels, kinds) of the project's evaluation-only sets that are present: ``challenge_set``,
    ``written_holdout`` and ``discussion_holdout`` — one place for the training report and ``mlmrisk evaluate``. ``kinds`` is each record's
    ``kind`` (anti_mlm_warning, single_level_referral, …; "" where a set has none)."""
    sets = {"challenge_set": read_challenge_set(), "written_holdout": read_written_holdout(),
            "discussion_holdout": read_written_holdout(DISCUSSION_HOLDOUT)}
    return {key: (np.asarray([r["text"] for r in records], dtype=object),
                  np.asarray([int(r["label"]) for r in records]),
                  np.asarray([str(r.get("kind") or "") for r in records], dtype=object))
            for key, records in sets.items() if records}


def negatives_by_kind(labels: np.ndarray, kinds: np.ndarray, flags: np.ndarray) -> dict[str, dict[str, int]]:
    """Flagged negatives per kind of negative ({} for a set without kinds): where the boundary is weak."""
    kinds, flags = np.asarray(kinds), np.asarray(flags)
    negative = (np.asarray(labels) == 0) & (kinds != "")
    out: dict[str, dict[str, int]] = {}
    for kind in sorted(set(kinds[negative])):
        rows = negative & (kinds == kind)
        out[str(kind)] = {"n": int(rows.sum()), "flagged": int(flags[rows].sum())}
    return out


def _with_kinds(section: dict, labels: np.ndarray, kinds: np.ndarray, flags: np.ndarray) -> dict:
    by_kind = negatives_by_kind(labels, kinds, flags)
    if by_kind:
        section["negatives_by_kind"] = by_kind
    return section


def _table(section: dict, columns: Sequence[str]) -> list[str]:
    lines = ["| | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for who, values in section.items():
        if isinstance(values, dict) and all(c in values for c in columns):
            lines.append(f"| {who} | " + " | ".join(str(values[c]) for c in columns) + " |")
    return lines


def render_markdown(report: dict) -> str:
    """The report as Markdown tables."""
    out = ["# mlmrisk quality report", "",
           f"Thresholds: `{json.dumps(report['thresholds'])}`", ""]
    if "chineseharm_cv" in report:
        out += ["## Real MLM task (ChineseHarm, mlm 1 vs 0, out-of-fold, nested threshold)", ""]
        out += _table(report["chineseharm_cv"], ("n", "positives", "tp", "fp", "precision", "recall", "f1")) + [""]
    for corpus, section in report.get("labelled_cv", {}).items():
        out += [f"## Your labelled data: {corpus} (out-of-fold, nested threshold)", ""]
        out += _table(section, ("n", "positives", "tp", "fp", "precision", "recall", "f1")) + [""]
    if report.get("false_positive_rates"):
        out += ["## False-positive rates (held-out real text, final model)", "",
            "| corpus | n | model | keywords_strict | keywords_broad |", "|---|---|---|---|---|"]
    for corpus, section in report.get("false_positive_rates", {}).items():
        out.append(f"| {corpus} | {section['model']['n']} | {section['model']['fpr']:.4f} | "
                   f"{section['keywords_strict']['fpr']:.4f} | {section['keywords_broad']['fpr']:.4f} |")
    if report.get("false_positive_rates"):
        out.append("")
    if "evasive_recall" in report:
        out += ["## Recall on evasive rewrites of the real positives (out-of-fold)", "",
                "| rewrite | model recall | model clean | ratio | strict recall | broad recall |",
                "|---|---|---|---|---|---|"]
        for kind, s in report["evasive_recall"].items():
            out.append(f"| {kind} | {s['model']['recall']} | {s['model']['clean_recall']} | {s['model']['ratio']} | "
                       f"{s['keywords_strict']['recall']} | {s['keywords_broad']['recall']} |")
        out.append("")
    for key, title in (("elements_real_cv", "Elements on real positives (out-of-fold)"),
                       ("elements_synthetic_heldout", "Elements on synthetic held-out templates")):
        if key in report:
            out += [f"## {title}", "", "| element | precision | recall | f1 |", "|---|---|---|---|"]
            for element, m in report[key].items():
                if isinstance(m, dict):
                    out.append(f"| {element} | {m['precision']} | {m['recall']} | {m['f1']} |")
            out.append("")
    for key, title in (("synthetic_heldout", "Synthetic held-out templates (NOT real data)"),
                       ("challenge_set", "Hand-written challenge set (NOT real data, never trained on)"),
                       ("written_holdout", "Independently written held-out posts, w14–w17 (NOT real data, never "
                                           "trained on)"),
                       ("discussion_holdout", "Texts about schemes and pitches in their register, w22–w23 (NOT real "
                                              "data, never trained on)")):
        if key in report:
            out += [f"## {title}", ""] + _table(report[key], ("n", "positives", "precision", "recall", "f1", "fpr")) + [""]
            by_kind = report[key].get("negatives_by_kind", {})
            if by_kind:
                out += ["Negatives flagged by the model, by kind:", "", "| kind | n | flagged |", "|---|---|---|"]
                out += [f"| {kind} | {v['n']} | {v['flagged']} |" for kind, v in by_kind.items()] + [""]
    for axis, values in (report.get("leave_one_style_out") or {}).items():
        out += [f"## Held out by {axis} (written corpus; each value refitted without its posts)", "",
                "| style | n | AP | AP real-only baseline | precision at the flag | recall at the flag | "
                "best recall at precision ≥ 0.9 |",
                "|---|---|---|---|---|---|---|"]
        for value, entry in values.items():
            flag = entry.get("at_flag", {})
            out.append(f"| {value} | {entry.get('n')} | {entry.get('average_precision')} | "
                       f"{entry.get('real_only_baseline_average_precision', '')} | {flag.get('precision')} | "
                       f"{flag.get('recall')} | {entry.get('recall_at_precision_0.9', '')} |")
        out.append("")
    points = report.get("operating_points") or []
    # a run without the real labelled task (your data only) has no ChineseHarm column to fill: no table then
    if points and any(pt.get("chineseharm_cv") for pt in points):
        axes = [a for a in ("era", "channel") if a in points[0]]
        head = "| flag | ChineseHarm P / R (out-of-fold, one threshold) | benign FPR (out-of-fold) |" + "".join(
            f" held-out {a}, pooled: P / R | worst {a}: recall; precision |" for a in axes)
        out += ["## Operating points (other flag thresholds; out-of-fold and held-out-style scores)", "",
                "What another flag threshold would give; the shipped flag is in bold. Real figures from "
                "out-of-fold scores with ONE threshold for all folds (not nested: the shipped flag was chosen on "
                "these scores, so its row is optimistic; the nested figures are under \"Real MLM task\"), "
                "written-corpus figures from the leave-one-style-out refits, which take no part in the choice.",
                "", head, "|" + "---|" * (3 + 2 * len(axes))]
        for pt in points:
            t = f"**{pt['threshold']}**" if pt.get("shipped") else str(pt["threshold"])
            ch = pt.get("chineseharm_cv", {})
            fpr = pt.get("benign_fpr_cv")
            fpr_text = "" if fpr is None else f"{100 * fpr:.3f} %"
            row = f"| {t} | {ch.get('precision', '')} / {ch.get('recall', '')} | {fpr_text} |"
            for a in axes:
                v = pt[a]
                row += (f" {v['precision']} / {v['recall']} | {v['worst_recall'][0]} {v['worst_recall'][1]}; "
                        f"{v['worst_precision'][0]} {v['worst_precision'][1]} |")
            out.append(row)
        out.append("")
    boilerplate = report.get("boilerplate") or {}
    if "before" in boilerplate:
        out += ["## Stock lines attached to the held-out writers' posts (data/boilerplate/eval.jsonl, never trained on)",
                "", f"{boilerplate['lines']} lines × {boilerplate['promotions_flagged_alone']} promotions flagged on "
                f"their own and × {boilerplate['negatives']} negatives ({boilerplate['negatives_flagged_alone']} "
                "flagged on their own).", "", "| line | promotions still flagged | negatives flagged |", "|---|---|---|"]
        out += [f"| {where} the post | {boilerplate[where]['promotions_kept']} | {boilerplate[where]['negatives_flagged']} |"
                for where in ("before", "after")] + [""]
    if "hyperparameter_search" in report:
        out += ["## Hyper-parameter search (out-of-fold average precision on real data)", "",
                f"`{json.dumps(report['hyperparameter_search'])}`", ""]
    return "\n".join(out) + "\n"


def render_model_card(manifest: dict, report: dict) -> str:
    """A human-readable card: what the model is for, what it was trained on (with licences), how good it is."""
    summary = manifest.get("data", {}).get("summary", {})
    lines = [
        f"# Model card: mlmrisk {manifest.get('model_version')}", "",
        "Detects promotion of pyramid schemes (传销 / 网络传销, 禁止传销条例 Art. 7: 拉人头, 入门费, 团队计酬) and "
        "money games (资金盘) in Chinese text, and turns it into a 0–100 monitoring risk index with element "
        "probabilities and evidence spans.", "",
        "## Intended use",
        "Online monitoring (线上监测) and triage for human review (线下实证) on platforms and by regulators. A flag "
        "is a reason to look, not a finding of law: a single post rarely proves the ≥30 participants / ≥3 levels "
        "of 刑法 224-1. Not for automated sanctions without review.", "",
        "## Model",
        f"Hashed character n-grams {manifest['features']['char_orders']} and pinyin-syllable n-grams "
        f"{manifest['features']['pinyin_orders']} (2^{manifest['features']['bucket_bits']} buckets), TF-IDF with an "
        f"occurrence norm and a length prior (min_norm {manifest['features']['min_norm']}), scored per passage of "
        f"{manifest['features']['window']} characters (best passage), "
        f"five L2 logistic-regression heads (MLM + {', '.join(ELEMENTS)}), sigmoid-calibrated on out-of-fold scores"
        + ("; a sixth head over the whole post (the discussion guard"
           + (", which also reads which n-grams stand inside quotation marks"
              if ((manifest.get("hyperparameters") or {}).get("discussion") or {}).get("quotes") else "")
           + ") lowers the MLM score of suspicious posts that read as a warning or report about a scheme, down to "
           "just under the watch threshold. " if (manifest.get("hyperparameters") or {}).get("discussion")
           else ". ") +
        f"Hyper-parameters: `{json.dumps(manifest.get('hyperparameters'), ensure_ascii=False)}`. "
        f"Thresholds: `{json.dumps(manifest.get('thresholds'))}`. ONNX SHA-256 `{manifest['onnx']['sha256']}`.", "",
        "Probabilities are calibrated on cross-validated scores over the TRAINING MIX (synthetic positives make "
        "positives far commoner there than on a platform); read them as a relative risk. The flag threshold was "
        "chosen on real data.", "",
        "## Training and evaluation data", "",
        "| corpus | source | licence | use | records (split_label: count) |", "|---|---|---|---|---|",
    ]
    for corpus, counts in summary.items():
        source, licence, use = LICENCES.get(corpus, (corpus, "as provided by the user", "train (cross-validated)"))
        if corpus.startswith("rewrite:"):  # training.rewrites: copies of written posts
            source, licence, use = (f"data/written training posts rewritten by training/perturb.py "
                                    f"{corpus.split(':', 1)[1]} (this project)", "Apache-2.0 (this project)",
                                    "train, with its source's fold and style (never a row a figure is measured on)")
        lines.append(f"| {corpus} | {source} | {licence} | {use} | {json.dumps(counts)} |")
    lines += [
        "", "Licences marked non-commercial or research-only bind this model's weights: check them before any "
        "commercial use. The ChineseHarm annotation of MLM elements is this project's.", "",
        "## Quality (see report.md for every table)", "",
    ]
    lines += render_markdown(report).splitlines()[2:]
    lines += [
        "", "## Limitations",
        "- Only 23 real positive posts exist in the available data; the other positives are written for the project "
        "or synthetic. Real-data "
        "figures therefore have wide confidence intervals (one post is ~4 points of recall).",
        "- Character n-grams see wording, not intent: a post that quotes promotion to warn against it can still "
        "score high when its warning is brief (the discussion guard reads the framing, and needs enough of it); "
        "legal 直销 and single-level referral are the nearest false-positive classes. The guard is also a lever "
        "for evasion: a pitch wrapped in warning language scores lower, and a single stock line that mentions 传销 "
        "or fraud (a disclaimer, a group rule, an anti-fraud slogan) costs a share of the flags that the report "
        "measures (stock lines attached to the held-out writers' posts)."
        + (f" Texts that quote a pitch in detail (warnings, news and court reports, relatives' accounts; writers "
           f"never trained on) are flagged in {report['discussion_holdout']['model']['fpr']:.0%} of cases."
           if (report.get("discussion_holdout") or {}).get("model") else ""),
        "- Images, links and QR codes are not read.",
    ]
    return "\n".join(lines) + "\n"


def evaluate_model(scorer, shared_data: Path | None, extra: Sequence[dict] = (), batch_size: int = 2048) -> dict:
    """Score held-out and evaluation data with the serving path and the baselines (``mlmrisk evaluate``).

    ``scorer`` is a loaded serving ``Scorer`` (anything with ``score_batch``, ``tables``, ``manifest``,
    ``model_id`` and ``thresholds``). It is passed in rather than loaded here so that ``training`` never imports
    ``serving`` (the arrows are ``training → classifier ← serving``); the CLI, above both, wires them.
    """
    from mlmrisk.training.data import CorpusSpec, build_corpus, shared_corpora

    specs = shared_corpora(Path(shared_data)) if shared_data else []
    for item in extra:
        path = Path(item["path"])
        specs.append(CorpusSpec(item.get("name") or f"user:{path.name}", path, "eval",
                                text_field=item.get("text_field", "text"),
                                label_field=item.get("label_field", "label"),
                                elements_field=item.get("elements_field")))
    user = [spec.name for spec in specs if spec.role == "eval" and spec.name.startswith("user:")]
    # The user's files are evaluated row for row: no deduplication against shared data or within the file.
    corpus = build_corpus(specs, scorer.tables, (), scorer.manifest.get("config", {}).get("n_folds", 5),
                          keep_all=user)
    report: dict = {"model": scorer.model_id, "thresholds": scorer.thresholds.to_dict(), "sections": {}}
    if corpus.skipped:
        report["records_without_text"] = corpus.skipped
    trained_on = set(scorer.manifest.get("data", {}).get("summary", {})) - set(user)
    name = corpus.array("corpus")
    split = corpus.array("split")
    texts = np.asarray(corpus.text, dtype=object)
    label = corpus.array("label")
    for corpus_name in dict.fromkeys(corpus.corpus):
        rows = name == corpus_name
        if corpus_name in trained_on:
            rows &= np.isin(split, ("heldout", "eval"))
        if not rows.any():
            report["sections"][corpus_name] = {
                "note": "every record was used in training: see the cross-validated figures in the manifest",
                "cross_validated": scorer.manifest.get("metrics", {})}
            continue
        flags = np.concatenate([scorer.score_batch(list(texts[rows][i:i + batch_size])).flagged
                                for i in range(0, int(rows.sum()), batch_size)])
        report["sections"][corpus_name] = _with_baselines(texts[rows], label[rows], flags)
    for key, (set_texts, set_y, set_kinds) in never_trained_on().items():
        flags = np.concatenate([scorer.score_batch(list(set_texts[i:i + batch_size])).flagged
                                for i in range(0, len(set_texts), batch_size)])
        report["sections"][key] = _with_kinds(_with_baselines(set_texts, set_y, flags), set_y, set_kinds, flags)
    return report
