"""Terminal rendering of ``Scorer.explain``: the text with evidence highlighted, elements, rules, top n-grams."""

from __future__ import annotations

from mlmrisk.classifier.labels import Element

_RESET = "\033[0m"
_LEVEL_COLOURS = {"none": "\033[32m", "low": "\033[36m", "medium": "\033[33m", "high": "\033[31m", "severe": "\033[1;31m"}
_HIGHLIGHT = "\033[1;30;43m"
_DENY = "\033[1;37;41m"


def highlight(text: str, spans: list[tuple[int, int, str]], color: bool) -> str:
    """``text`` with the spans marked: ANSI colours, or 【…】 brackets when colour is off."""
    marks = sorted(spans)
    out, position = [], 0
    for start, end, source in marks:
        if start < position:
            start = position
        if start >= end:
            continue
        out.append(text[position:start])
        piece = text[start:end]
        if color:
            out.append((_DENY if source.startswith("deny") else _HIGHLIGHT) + piece + _RESET)
        else:
            out.append(f"【{piece}】")
        position = end
    out.append(text[position:])
    return "".join(out)


def render_explanation(text: str, explanation: dict, color: bool) -> str:
    result = explanation["result"]
    if result.error is not None:
        return f"cannot score: {result.error.message}"
    level = result.level.value
    paint = (lambda s, c: f"{c}{s}{_RESET}") if color else (lambda s, c: s)
    lines = [
        f"level {paint(level.upper(), _LEVEL_COLOURS[level])}   risk {result.risk}/100   "
        f"probability {result.probability:.4f}   flagged {'yes' if result.flagged else 'no'}   model {result.model}",
        "",
        highlight(text, [(e.start, e.end, e.source) for e in result.evidence], color),
        "",
        "elements (禁止传销条例 Art. 7 + 资金盘):",
    ]
    for name, element in result.elements.items():
        mark = "✔" if element.present else " "
        spans = ", ".join(e.text for e in element.evidence)
        lines.append(f"  {mark} {name:6} {Element(name).chinese:5} p={element.probability:.3f}  {spans}")
    lines.append("")
    lines.append(f"normalisation rules fired: {', '.join(result.normalization) or 'none'}")
    lines.append(f"normalised text: {explanation['normalized']}")
    if result.lists:
        lines.append(f"lists applied: {', '.join(result.lists)}")
    discussion = explanation.get("discussion") or {}
    if discussion.get("active"):
        if discussion["penalty"] > 0:
            verdict = f"reads as a warning or report: logit lowered by {discussion['penalty']:.2f}"
        elif discussion.get("whole_penalty", 0) > 0:
            verdict = (f"reads as a warning or report, but scores under the guard's onset (p {discussion['onset']:.2f}): "
                       "nothing taken off")
        else:
            verdict = "does not read as a warning or report"
        lines.append(f"discussion guard: {discussion['value']:+.2f} (starts at {discussion['starts_at']:+.2f}); "
                     f"{verdict}")
    lines.append("")
    lines.append("top-weighted n-grams (contribution to the MLM score, after normalisation):")
    for feature in explanation["features"]:
        lines.append(f"  {feature['contribution']['mlm']:+8.4f}  ×{feature['count']:<3} {feature['ngram']!r}")
    return "\n".join(lines)
