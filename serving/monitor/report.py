"""``DIR/report.html``: one self-contained page (Plotly's JS inlined once, no network): flagged volume over time,
tier distribution, element mix, top accounts and networks, and per top account its evidence spans highlighted in
the original text.
"""

from __future__ import annotations

import html
import json
from itertools import takewhile
from pathlib import Path

from mlmrisk.classifier.account_risk import ELEMENT_NAMES, TIER_LABELS, TIERS
from mlmrisk.serving.monitor.state import ELEMENT_BITS, post_lookup

TOP_ACCOUNTS = 40
ELEMENT_LABELS = {"lart": "拉人头", "fee": "入门费", "team": "团队计酬", "ponzi": "资金盘"}


def highlight(text: str, spans: list[dict]) -> str:
    """HTML of ``text`` with each span in <mark>; overlapping spans are merged."""
    cuts = sorted((int(s["start"]), int(s["end"])) for s in spans if 0 <= int(s["start"]) < int(s["end"]) <= len(text))
    merged: list[list[int]] = []
    for a, b in cuts:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    out, pos = [], 0
    for a, b in merged:
        out.append(html.escape(text[pos:a]))
        out.append(f"<mark>{html.escape(text[a:b])}</mark>")
        pos = b
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _figures(db, accounts: list[dict], networks: list[dict]) -> list[tuple[str, object]]:
    import plotly.graph_objects as go

    days, posts, flagged = [], [], []
    for day, n, f in db.execute("SELECT day, count(*), count(*) FILTER (WHERE flagged) FROM posts GROUP BY day"
                                " ORDER BY day").fetchall():
        days.append(day)
        posts.append(n)
        flagged.append(f)
    volume = go.Figure([go.Bar(x=days, y=flagged, name="flagged posts"),
                        go.Scatter(x=days, y=posts, name="all posts", yaxis="y2", mode="lines")])
    volume.update_layout(title="Flagged volume over time", yaxis2={"overlaying": "y", "side": "right"},
                         height=340, margin={"t": 40, "b": 30})
    counts = {t: 0 for t in TIERS}
    for a in accounts:
        counts[a["tier"]] += 1
    tiers = go.Figure([go.Bar(x=[f"{t} {TIER_LABELS[t]}" for t in TIERS], y=[counts[t] for t in TIERS])])
    tiers.update_layout(title="Accounts by disposal tier", yaxis_type="log", height=320, margin={"t": 40, "b": 30})
    mix = [db.execute(f"SELECT count(*) FROM posts WHERE flagged AND (elements & {ELEMENT_BITS[e]}) <> 0")
           .fetchone()[0] for e in ELEMENT_NAMES]
    elements = go.Figure([go.Bar(x=[f"{e} {ELEMENT_LABELS[e]}" for e in ELEMENT_NAMES], y=mix)])
    elements.update_layout(title="Element mix (flagged posts)", height=320, margin={"t": 40, "b": 30})
    top = accounts[:20][::-1]
    top_fig = go.Figure([go.Bar(x=[a["risk"] for a in top], y=[a["account"] for a in top], orientation="h",
                                text=[a["tier"] for a in top])])
    top_fig.update_layout(title="Top accounts (risk index)", height=520, margin={"t": 40, "l": 160})
    nets = networks[:15][::-1]
    net_fig = go.Figure([go.Bar(x=[n["size"] for n in nets], y=[n["network"] for n in nets], orientation="h",
                                text=[f"{n['tier']} · risk {n['risk']}" for n in nets])])
    net_fig.update_layout(title="Largest networks (accounts)", height=420, margin={"t": 40, "l": 160})
    return [("volume", volume), ("tiers", tiers), ("elements", elements), ("top", top_fig), ("networks", net_fig)]


def write_report(db, path: Path, accounts: list[dict], networks: list[dict], alerts: list[dict], overview: dict) -> None:
    figures = _figures(db, accounts, networks)
    charts = []
    for i, (name, fig) in enumerate(figures):
        charts.append(f'<div class="chart" id="chart-{name}">'
                      + fig.to_html(full_html=False, include_plotlyjs=(i == 0), div_id=f"fig-{name}",
                                    config={"displaylogo": False, "responsive": True}) + "</div>")
    sections = []
    shown = list(takewhile(lambda a: a["tier"] != "none", accounts[:TOP_ACCOUNTS]))  # sorted by risk
    texts = post_lookup(db, [ev["key"] for a in shown for ev in a["reasons"]["top_evidence"]], "text")
    for a in shown:
        r = a["reasons"]
        items = []
        for ev in r["top_evidence"]:
            text = texts.get(ev["key"], ("",))[0]
            items.append(f'<li><span class="meta">{html.escape(str(ev["post"]))} · {html.escape(ev["time"])} · '
                         f'p={ev["probability"]:.3f} · {html.escape(ev["level"])}</span>'
                         f'<div class="post">{highlight(text, ev["spans"])}</div></li>')
        elements = ", ".join(f"{ELEMENT_LABELS[k]} ×{v}" for k, v in r["elements"].items()) or "—"
        sections.append(
            f'<section class="account" id="acct-{html.escape(a["account"])}"><h3>{html.escape(a["account"])} — risk '
            f'{a["risk"]} · <span class="tier tier-{a["tier"]}">{html.escape(a["tier"])} {html.escape(a["tier_label"])}'
            f'</span></h3><p>{r["posts"]} posts, {r["flagged_posts"]} flagged on {r["flagged_days"]} days '
            f'({r["flagged_with_contact"]} with a contact); elements: {html.escape(elements)}; '
            f'{html.escape(r["first_seen"])} → {html.escape(r["last_seen"])}; trend {html.escape(r["trend"])}; '
            f'channels {html.escape(", ".join(r["channels"]) or "—")}; network '
            f'{html.escape(str(r["network"]))} ({r["network_size"]} accounts)</p><ol>{"".join(items)}</ol></section>')
    alert_rows = "".join(
        f"<tr><td>{html.escape(x['kind'])}</td><td>{html.escape(x['name'])}</td><td>{html.escape(x['tier'])} "
        f"{html.escape(x['tier_label'])}</td><td>{html.escape(str(x['previous_tier'] or '— (new)'))}</td>"
        f"<td>{x['risk']}</td></tr>"
        for x in alerts[:50])
    page = f"""<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><title>mlmrisk monitor report</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; color: #222; }}
.grid {{ display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }}
.chart {{ border: 1px solid #ddd; padding: .3em; }}
mark {{ background: #ffd54f; }}
.post {{ white-space: pre-wrap; background: #fafafa; border-left: 3px solid #bbb; padding: .4em; margin: .2em 0 .8em; }}
.meta {{ color: #666; font-size: .9em; }}
.tier-severe {{ color: #b71c1c; }} .tier-medium {{ color: #e65100; }} .tier-light {{ color: #f9a825; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: 2px 6px; }}
</style></head><body>
<h1>mlmrisk · 线上监测 风险指数 report</h1>
<p id="summary">{overview.get("posts", 0)} posts, {overview.get("accounts", 0)} accounts, {len(networks)} networks,
{overview.get("first_day")} → {overview.get("last_day")}.</p>
<details><summary>All run figures</summary><table>{"".join(
    f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(json.dumps(v, ensure_ascii=False))}</td></tr>"
    for k, v in overview.items())}</table></details>
<div class="grid">{"".join(charts)}</div>
<h2>Evidence by account (highlighted: the spans that carried the score)</h2>
{"".join(sections)}
<h2>Alerts (new or up a tier since the previous run; {len(alerts)} in all, first 50 here, all in alerts.jsonl)</h2>
<table><tr><th>kind</th><th>name</th><th>tier</th><th>previous</th><th>risk</th></tr>{alert_rows}</table>
</body></html>
"""
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
