"""Champion vs challenger: score the same labelled texts with two models and say which to keep, and why.

``compare_models`` (``mlmrisk compare A B --data FILE … -o DIR``) writes ``compare.md``, ``compare.json`` and
``compare.html`` (self-contained: tables and precision–recall curves drawn as inline SVG, no scripts, no network).

Figures, for each model:

- at its OWN flag threshold (what each would do in production, the minimum evidence rule included: a text too
  short to be flagged is not counted as flagged): precision, recall, false-positive rate, pooled
  and per source (the file, or the record's ``source`` field) and per style (``era``, ``channel``, ``writer`` when
  the records carry them, as the written corpus does);
- at the SAME false-positive budget (each model's threshold set so that at most ``fpr_budget`` of the labelled
  negatives are flagged): recall, pooled. This is the like-for-like figure the recommendation rests on;
- the posts whose decision changed (flagged by one model, not the other), marked ``fixed`` or ``broke`` against
  the label.

Recommendation: **promote** when the challenger's recall at the same FPR budget rises beyond noise (the paired
difference exceeds 1.96 × its standard error, McNemar's normal approximation over the positives whose outcome
differs) and no source loses precision beyond noise at the models' own thresholds (a drop larger than 1.96 × the
standard error of the difference of two proportions, and at least 2 points); otherwise **keep the champion**, with
the reason. With fewer than ``MIN_POSITIVES`` labelled positives the answer is **need more labels**.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mlmrisk.classifier.errors import InputFormatError
from mlmrisk.serving.review import read_rows

STYLE_AXES = ("era", "channel", "writer")
MIN_POSITIVES = 10
Z = 1.96
MAX_CHANGED_SHOWN = 50


def _label(value) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return int(value)
    text = str(value).strip().lower()
    if text in ("1", "mlm", "true", "yes", "pos", "positive"):
        return 1
    if text in ("0", "not_mlm", "false", "no", "neg", "negative"):
        return 0
    raise InputFormatError(f"label {value!r} is not 0/1")


def load_labelled(paths: Sequence[Path], text_field: str = "text", label_field: str = "label") -> list[dict]:
    """Rows {id, text, label, source, era, channel, writer} of labelled files; every row is kept (no dedup)."""
    rows = []
    for path in paths:
        path = Path(path)
        for i, record in enumerate(read_rows(path)):
            if text_field not in record or label_field not in record:
                raise InputFormatError(f"{path}: record {i + 1} lacks {text_field!r} or {label_field!r} (fields: "
                                       f"{', '.join(record)}); use --text-field/--label-field")
            text = record[text_field]
            if not isinstance(text, str):
                raise InputFormatError(f"{path}: record {i + 1}: {text_field} is not a string")
            try:
                label = _label(record[label_field])
            except InputFormatError as exc:
                raise InputFormatError(f"{path}: record {i + 1}: {exc}") from None
            row = {"id": record.get("id", f"{path.name}:{i + 1}"), "text": text, "label": label,
                   "source": str(record.get("source") or path.stem)}
            for axis in STYLE_AXES:
                if record.get(axis) not in (None, ""):
                    row[axis] = str(record[axis])
            rows.append(row)
    if not rows:
        raise InputFormatError("the --data files hold no records")
    return rows


def _metrics(y: np.ndarray, flagged: np.ndarray) -> dict:
    tp = int((y & flagged).sum())
    fp = int((~y & flagged).sum())
    fn = int((y & ~flagged).sum())
    tn = int((~y & ~flagged).sum())
    return {"n": int(y.size), "positives": int(y.sum()), "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "precision": round(tp / (tp + fp), 4) if tp + fp else None,
            "recall": round(tp / (tp + fn), 4) if tp + fn else None,
            "fpr": round(fp / (fp + tn), 5) if fp + tn else None}


def threshold_at_fpr(p: np.ndarray, y: np.ndarray, budget: float) -> float:
    """The lowest threshold t (flag p ≥ t) whose false-positive rate on the negatives stays ≤ ``budget``."""
    negatives = np.sort(p[~y])[::-1]
    if negatives.size == 0:
        return float(np.min(p)) if p.size else 0.5
    allowed = int(math.floor(budget * negatives.size + 1e-9))
    if allowed >= negatives.size:
        return float(np.min(p))
    return float(np.nextafter(negatives[allowed], np.inf))


def pr_curve(p: np.ndarray, y: np.ndarray, points: int = 200) -> list[tuple[float, float]]:
    """(recall, precision) pairs over every threshold, thinned to about ``points``."""
    if not y.any():
        return []
    order = np.argsort(-p, kind="stable")
    hits = y[order]
    tp = np.cumsum(hits)
    k = np.arange(1, hits.size + 1)
    keep = np.r_[np.flatnonzero(np.diff(p[order]) != 0), hits.size - 1]  # last index of each tied score
    recall = tp[keep] / y.sum()
    precision = tp[keep] / k[keep]
    step = max(1, keep.size // points)
    idx = np.r_[np.arange(0, keep.size, step), keep.size - 1]
    return [(round(float(recall[i]), 4), round(float(precision[i]), 4)) for i in idx]


def _recommend(report: dict) -> dict:
    budget = report["same_fpr_budget"]
    a, b = budget["champion"], budget["challenger"]
    positives = report["pooled"]["champion"]["positives"]
    if positives < MIN_POSITIVES:
        return {"decision": "need more labels",
                "reason": f"only {positives} labelled positives (need ≥ {MIN_POSITIVES}) for a decision"}
    only_b, only_a = budget["positives_only_challenger"], budget["positives_only_champion"]
    gain = (only_b - only_a) / positives
    noise = Z * math.sqrt(only_a + only_b) / positives if only_a + only_b else 0.0
    losses = []
    for group, entry in report["per_source"].items():
        pa, pb = entry["champion"], entry["challenger"]
        if pa["precision"] is None or pb["precision"] is None:
            continue
        na, nb = pa["tp"] + pa["fp"], pb["tp"] + pb["fp"]
        pooled = (pa["tp"] + pb["tp"]) / (na + nb)
        se = math.sqrt(max(pooled * (1 - pooled), 1e-12) * (1 / na + 1 / nb))
        drop = pa["precision"] - pb["precision"]
        if drop > max(Z * se, 0.02):
            losses.append(f"{group} precision {pa['precision']:.3f} → {pb['precision']:.3f}")
    fpr = f"FPR ≤ {budget['fpr_budget']:g}"
    change = f"recall at {fpr} {a['recall']:.3f} → {b['recall']:.3f} ({gain:+.3f}, noise ±{noise:.3f})"
    if losses:
        return {"decision": "keep champion", "reason": f"{change}, but precision falls beyond noise on: "
                                                         + "; ".join(losses)}
    if gain > noise and gain > 0:
        return {"decision": "promote challenger", "reason": f"{change} without a precision loss beyond noise on "
                                                            "any source"}
    if gain < -noise:
        return {"decision": "keep champion", "reason": f"{change}: the challenger finds fewer positives"}
    return {"decision": "keep champion", "reason": f"{change}: no gain beyond noise"}


def compare_scores(rows: Sequence[dict], p_a: np.ndarray, p_b: np.ndarray, flag_a: float, flag_b: float,
                   fpr_budget: float, names: tuple[str, str],
                   flagged: tuple[np.ndarray, np.ndarray] | None = None) -> dict:
    """Every figure of the comparison from the two models' probabilities (see the module docstring).

    ``flagged`` are the two models' own decisions when known (``ScoredBatch.flagged``: the flag threshold AND the
    minimum evidence rule, so a too-short text is never counted as flagged — what each does in production);
    without them a post is flagged at ``p ≥ flag``. The same-budget figures rank by probability alone (a like-for-
    like comparison of the rankings, as documented above)."""
    y = np.asarray([r["label"] for r in rows], dtype=bool)
    if flagged is None:
        fa, fb = p_a >= flag_a, p_b >= flag_b
    else:
        fa, fb = (np.asarray(f, dtype=bool) for f in flagged)
        if fa.shape != y.shape or fb.shape != y.shape:
            raise ValueError(f"flagged arrays must have one entry per row ({y.size}), got {fa.shape} and {fb.shape}")
    report: dict = {"models": {"champion": names[0], "challenger": names[1]},
                    "flag_thresholds": {"champion": flag_a, "challenger": flag_b},
                    "pooled": {"champion": _metrics(y, fa), "challenger": _metrics(y, fb)}}
    sources = np.asarray([r["source"] for r in rows])
    report["per_source"] = {}
    for source in dict.fromkeys(sources.tolist()):
        m = sources == source
        report["per_source"][source] = {"champion": _metrics(y[m], fa[m]), "challenger": _metrics(y[m], fb[m])}
    report["per_style"] = {}
    for axis in STYLE_AXES:
        values = np.asarray([r.get(axis, "") for r in rows])
        present = [v for v in dict.fromkeys(values.tolist()) if v]
        if not present:
            continue
        report["per_style"][axis] = {v: {"champion": _metrics(y[values == v], fa[values == v]),
                                         "challenger": _metrics(y[values == v], fb[values == v])}
                                     for v in sorted(present)}
    ta, tb = threshold_at_fpr(p_a, y, fpr_budget), threshold_at_fpr(p_b, y, fpr_budget)
    ba, bb = p_a >= ta, p_b >= tb
    report["same_fpr_budget"] = {
        "fpr_budget": fpr_budget, "negatives": int((~y).sum()),
        "champion": {"threshold": round(ta, 6), **_metrics(y, ba)},
        "challenger": {"threshold": round(tb, 6), **_metrics(y, bb)},
        "positives_only_champion": int((y & ba & ~bb).sum()), "positives_only_challenger": int((y & bb & ~ba).sum()),
    }
    changed = np.flatnonzero(fa != fb)
    report["changed"] = [{"id": rows[i]["id"], "source": rows[i]["source"], "label": int(y[i]),
                          "champion_p": round(float(p_a[i]), 4), "challenger_p": round(float(p_b[i]), 4),
                          "now": "flagged" if fb[i] else "not flagged",
                          "effect": "fixed" if fb[i] == y[i] else "broke", "text": rows[i]["text"]}
                         for i in changed]
    report["changed_summary"] = {"fixed": sum(c["effect"] == "fixed" for c in report["changed"]),
                                 "broke": sum(c["effect"] == "broke" for c in report["changed"])}
    report["pr_curves"] = {"champion": pr_curve(p_a, y), "challenger": pr_curve(p_b, y)}
    report["recommendation"] = _recommend(report)
    if names[0] == names[1] and flag_a == flag_b and not report.get("changed"):  # one model given twice
        report["recommendation"] = {"decision": "keep champion",
                                    "reason": f"champion and challenger are the same model ({names[0]})"}
    return report


def _fmt(value) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _rows_md(groups: dict) -> list[str]:
    lines = ["| group | n | pos | A precision | B precision | A recall | B recall | A FPR | B FPR |",
             "|---|---|---|---|---|---|---|---|---|"]
    for group, e in groups.items():
        a, b = e["champion"], e["challenger"]
        lines.append(f"| {group} | {a['n']} | {a['positives']} | {_fmt(a['precision'])} | {_fmt(b['precision'])} | "
                     f"{_fmt(a['recall'])} | {_fmt(b['recall'])} | {_fmt(a['fpr'])} | {_fmt(b['fpr'])} |")
    return lines


def render_markdown(report: dict) -> str:
    m, rec, budget = report["models"], report["recommendation"], report["same_fpr_budget"]
    out = ["# Champion vs challenger", "",
           f"- A (champion): `{m['champion']}`, flag threshold {report['flag_thresholds']['champion']}",
           f"- B (challenger): `{m['challenger']}`, flag threshold {report['flag_thresholds']['challenger']}", "",
           f"**Recommendation: {rec['decision']}.** {rec['reason']}", "",
           f"## Recall at the same false-positive budget (FPR ≤ {budget['fpr_budget']:g} on "
           f"{budget['negatives']} labelled negatives)", "",
           "| model | threshold | recall | precision | FPR |", "|---|---|---|---|---|"]
    for who in ("champion", "challenger"):
        e = budget[who]
        out.append(f"| {who} | {e['threshold']} | {_fmt(e['recall'])} | {_fmt(e['precision'])} | {_fmt(e['fpr'])} |")
    out += ["", "## At each model's own flag threshold", "", *_rows_md({"pooled": report["pooled"]}), ""]
    out += ["### Per source", "", *_rows_md(report["per_source"]), ""]
    for axis, groups in report["per_style"].items():
        out += [f"### Per {axis}", "", *_rows_md(groups), ""]
    summary = report["changed_summary"]
    out += [f"## Posts that changed decision ({len(report['changed'])}: {summary['fixed']} fixed, "
            f"{summary['broke']} broke)", ""]
    if report["changed"]:
        out += ["| id | source | label | A p | B p | now | effect | text |", "|---|---|---|---|---|---|---|---|"]
        for c in report["changed"][:MAX_CHANGED_SHOWN]:
            text = c["text"].replace("\n", " ").replace("|", "｜")[:60]
            out.append(f"| {c['id']} | {c['source']} | {c['label']} | {c['champion_p']} | {c['challenger_p']} | "
                       f"{c['now']} | {c['effect']} | {text} |")
        if len(report["changed"]) > MAX_CHANGED_SHOWN:
            out.append(f"\n({len(report['changed']) - MAX_CHANGED_SHOWN} more in compare.json)")
    return "\n".join(out) + "\n"


COLORS = {"champion": "#1f77b4", "challenger": "#d62728"}


def pr_svg(curves: dict, operating: dict, title: str, size: int = 360) -> str:
    """A precision–recall chart as inline SVG (axes, grid, one polyline per model, operating points)."""
    pad = 44
    inner = size - 2 * pad

    def xy(r: float, p: float) -> tuple[float, float]:
        return pad + r * inner, pad + (1 - p) * inner

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size + 30}" role="img" '
             f'aria-label="{html.escape(title)}">',
             f'<rect x="0" y="0" width="{size}" height="{size + 30}" fill="#fff"/>',
             f'<text x="{size / 2}" y="20" text-anchor="middle" font-size="14" font-family="sans-serif">'
             f'{html.escape(title)}</text>']
    for t in np.linspace(0, 1, 6):
        x, y = xy(t, t)
        parts.append(f'<line x1="{pad}" y1="{y:.1f}" x2="{size - pad}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<line x1="{x:.1f}" y1="{pad}" x2="{x:.1f}" y2="{size - pad}" stroke="#ddd"/>')
        parts.append(f'<text x="{x:.1f}" y="{size - pad + 16}" text-anchor="middle" font-size="10" '
                     f'font-family="sans-serif">{t:.1f}</text>')
        parts.append(f'<text x="{pad - 6}" y="{y + 3:.1f}" text-anchor="end" font-size="10" '
                     f'font-family="sans-serif">{t:.1f}</text>')
    parts.append(f'<rect x="{pad}" y="{pad}" width="{inner}" height="{inner}" fill="none" stroke="#333"/>')
    parts.append(f'<text x="{size / 2}" y="{size - 8}" text-anchor="middle" font-size="12" '
                 f'font-family="sans-serif">recall</text>')
    parts.append(f'<text x="12" y="{size / 2}" text-anchor="middle" font-size="12" font-family="sans-serif" '
                 f'transform="rotate(-90 12 {size / 2})">precision</text>')
    for k, (who, curve) in enumerate(curves.items()):
        if curve:
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(r, p) for r, p in curve))
            parts.append(f'<polyline points="{points}" fill="none" stroke="{COLORS[who]}" stroke-width="2"/>')
        op = operating.get(who)
        if op and op.get("recall") is not None and op.get("precision") is not None:
            x, y = xy(op["recall"], op["precision"])
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{COLORS[who]}" stroke="#000"/>')
        lx = pad + 8 + k * 150
        parts.append(f'<line x1="{lx}" y1="{size + 18}" x2="{lx + 20}" y2="{size + 18}" stroke="{COLORS[who]}" '
                     f'stroke-width="3"/><text x="{lx + 24}" y="{size + 22}" font-size="12" '
                     f'font-family="sans-serif">{who}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_html(report: dict, markdown: str) -> str:
    """A self-contained page: the recommendation, the PR curves (inline SVG) and every table."""
    def table(groups: dict) -> str:
        head = ("<tr><th>group</th><th>n</th><th>pos</th><th>A precision</th><th>B precision</th>"
                "<th>A recall</th><th>B recall</th><th>A FPR</th><th>B FPR</th></tr>")
        body = "".join(
            f"<tr><td>{html.escape(str(g))}</td><td>{e['champion']['n']}</td><td>{e['champion']['positives']}</td>"
            + "".join(f"<td>{_fmt(e[w][k])}</td>" for k in ("precision", "recall", "fpr")
                      for w in ("champion", "challenger")) + "</tr>" for g, e in groups.items())
        return f"<table>{head}{body}</table>"

    rec, m = report["recommendation"], report["models"]
    chart = pr_svg(report["pr_curves"], report["pooled"], "Precision–recall, all labelled posts")
    sections = [f"<h2>Per source</h2>{table(report['per_source'])}"]
    for axis, groups in report["per_style"].items():
        sections.append(f"<h2>Per {html.escape(axis)}</h2>{table(groups)}")
    changed = "".join(
        f"<tr><td>{html.escape(str(c['id']))}</td><td>{c['label']}</td><td>{c['champion_p']}</td>"
        f"<td>{c['challenger_p']}</td><td>{c['effect']}</td><td>{html.escape(c['text'][:120])}</td></tr>"
        for c in report["changed"][:MAX_CHANGED_SHOWN])
    budget = report["same_fpr_budget"]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>mlmrisk: champion vs challenger</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1100px}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}td:first-child{{text-align:left}}
.rec{{font-size:1.2em;padding:.6em;background:#f3f3f3;border-left:6px solid #d62728}}</style></head>
<body><h1>Champion vs challenger</h1>
<p>A (champion): <code>{html.escape(m['champion'])}</code> · B (challenger): <code>{html.escape(m['challenger'])}</code></p>
<p class="rec"><b>{html.escape(rec['decision'])}</b>: {html.escape(rec['reason'])}</p>
<h2>Recall at the same false-positive budget (FPR ≤ {budget['fpr_budget']:g})</h2>
<table><tr><th>model</th><th>threshold</th><th>recall</th><th>precision</th><th>FPR</th></tr>
{"".join(f"<tr><td>{w}</td><td>{budget[w]['threshold']}</td><td>{_fmt(budget[w]['recall'])}</td><td>{_fmt(budget[w]['precision'])}</td><td>{_fmt(budget[w]['fpr'])}</td></tr>" for w in ("champion", "challenger"))}
</table>
<div id="pr">{chart}</div>
<h2>At each model's own flag threshold</h2>{table({"pooled": report["pooled"]})}
{"".join(sections)}
<h2>Posts that changed decision ({len(report['changed'])})</h2>
<table><tr><th>id</th><th>label</th><th>A p</th><th>B p</th><th>effect</th><th>text</th></tr>{changed}</table>
</body></html>
"""


def compare_models(champion, challenger, data: Sequence[Path], output: Path, *, text_field: str = "text",
                   label_field: str = "label", fpr_budget: float | None = None, batch_size: int = 1024) -> dict:
    """Score ``data`` with both ``Scorer``s and write compare.md/.json/.html to ``output``; returns the report
    (with the Markdown under ``markdown``)."""
    rows = load_labelled(data, text_field, label_field)
    texts = [r["text"] for r in rows]

    def scores(scorer) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities and the scorer's own flag decisions (minimum evidence rule included)."""
        batches = [scorer.score_batch(texts[i:i + batch_size]) for i in range(0, len(texts), batch_size)]
        if not batches:
            return np.zeros(0), np.zeros(0, dtype=bool)
        return (np.concatenate([b.probability for b in batches]),
                np.concatenate([np.asarray(b.flagged, dtype=bool) for b in batches]))

    if fpr_budget is None:
        fpr_budget = float((champion.manifest.get("config") or {}).get("max_benign_fpr") or 0.01)
    (p_a, f_a), (p_b, f_b) = scores(champion), scores(challenger)
    report = compare_scores(rows, p_a, p_b, champion.thresholds.flag, challenger.thresholds.flag, fpr_budget,
                            (champion.model_id, challenger.model_id), flagged=(f_a, f_b))
    report["data"] = [str(p) for p in data]
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    markdown = render_markdown(report)
    (output / "compare.md").write_text(markdown, encoding="utf-8")
    (output / "compare.json").write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (output / "compare.html").write_text(render_html(report, markdown), encoding="utf-8")
    return {**report, "markdown": markdown}
