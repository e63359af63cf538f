"""Stock lines attached to posts: disclaimers, group rules, risk notices, anti-fraud slogans, footers.

Why: promoters paste lines like "本群严禁传销" or "我们不是传销，国家认可" around their pitch, and platforms paste
anti-fraud slogans under every post. The MLM head had learned 传销, 诈骗, 警惕 as strong negative evidence (the
warnings and news of the written corpus use them), so one such line cost a held-out promotion its flag in about a
quarter of cases (docs/training.md, "Stock lines"). ``data/boilerplate/eval.jsonl``, never trained on, measures
this in every training report (``boilerplate_section``). Training can attach lines of
``data/boilerplate/train.jsonl`` (another writer's) to a share of the synthetic posts of BOTH classes
(``TrainConfig.synthetic_boilerplate``), so that the lines carry no evidence either way; measured at 0.15 it
bought little and cost held-out styles, so the default is 0 (docs/training.md).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from mlmrisk.classifier.risk import Thresholds
from mlmrisk.resources import data_path


def boilerplate_lines(which: str) -> list[str]:
    """The lines of ``data/boilerplate/<which>.jsonl`` (``train`` or ``eval``); [] where the file is absent."""
    path = Path(data_path("boilerplate")) / f"{which}.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _attach(text: str, line: str, before: bool) -> str:
    return f"{line}\n{text}" if before else f"{text}\n{line}"


def attach_boilerplate(records: list[dict], fraction: float, seed: int, lines: Sequence[str] | None = None
                       ) -> list[dict]:
    """Copies of ``records`` where a ``fraction`` of the posts of each label carries one line, before or after
    (deterministic in ``seed``); the records keep their label, elements and group."""
    lines = list(boilerplate_lines("train") if lines is None else lines)
    if not lines or fraction <= 0:
        return records
    rng = random.Random(seed)
    out = []
    for record in records:
        if rng.random() < fraction:
            line = lines[int(rng.random() * len(lines))]
            record = {**record, "text": _attach(record["text"], line, rng.random() < 0.5),
                      "boilerplate": line}
        out.append(record)
    return out


def boilerplate_section(predict: Callable[[list[str]], np.ndarray], thresholds: Thresholds, texts: Sequence[str],
                        labels: Sequence[int], lines: Sequence[str]) -> dict:
    """Promotions flagged on their own that stay flagged with each evaluation line before / after them, and
    negatives flagged with a line attached (every line × every post, both positions)."""
    texts, labels = list(texts), np.asarray(labels)
    if not lines or not texts:
        return {}
    alone = predict(texts)[:, 0] >= thresholds.flag
    kept_pitches = [t for t, f, y in zip(texts, alone, labels) if f and y == 1]
    negatives = [t for t, y in zip(texts, labels) if y == 0]
    section: dict = {"lines": len(lines), "promotions_flagged_alone": len(kept_pitches),
                     "negatives": len(negatives), "negatives_flagged_alone": int((alone & (labels == 0)).sum())}
    for before in (True, False):
        where = "before" if before else "after"
        pitches = [_attach(t, line, before) for line in lines for t in kept_pitches]
        plain = [_attach(t, line, before) for line in lines for t in negatives]
        kept = predict(pitches)[:, 0] >= thresholds.flag if pitches else np.zeros(0, dtype=bool)
        false = predict(plain)[:, 0] >= thresholds.flag if plain else np.zeros(0, dtype=bool)
        section[where] = {"promotions_kept": round(float(kept.mean()), 4) if kept.size else None,
                          "negatives_flagged": round(float(false.mean()), 4) if false.size else None}
    return section
