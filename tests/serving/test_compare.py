"""Champion vs challenger: the figures, the recommendation rule, and the HTML page rendered in headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import zlib

import numpy as np
import pytest

from mlmrisk.serving.compare import compare_scores, load_labelled, render_html, render_markdown, threshold_at_fpr


def _rows(n_pos=60, n_neg=400, seed=0):
    rng = np.random.default_rng(seed)
    rows = [{"id": i, "text": f"post {i}", "label": int(i < n_pos), "source": "forum" if i % 2 else "sms",
             "era": "2010s" if i % 3 else "2020s"} for i in range(n_pos + n_neg)]
    y = np.asarray([r["label"] for r in rows], dtype=bool)
    return rows, y, rng


def test_threshold_at_fpr_keeps_the_budget():
    p = np.asarray([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05])
    y = np.asarray([1, 0, 1, 0, 0, 0, 0, 0, 0, 0], dtype=bool)
    t = threshold_at_fpr(p, y, 0.125)  # 8 negatives: one false positive allowed
    assert ((p >= t) & ~y).sum() == 1 and (p >= t)[2]
    assert ((p >= threshold_at_fpr(p, y, 0.0)) & ~y).sum() == 0


def test_better_challenger_is_promoted_and_worse_is_not():
    rows, y, rng = _rows()
    p_a = np.where(y, rng.uniform(0.3, 0.9, y.size), rng.uniform(0.0, 0.6, y.size))
    p_b = np.where(y, rng.uniform(0.6, 1.0, y.size), rng.uniform(0.0, 0.5, y.size))
    report = compare_scores(rows, p_a, p_b, 0.5, 0.5, 0.01, ("A", "B"))
    assert report["recommendation"]["decision"] == "promote challenger", report["recommendation"]
    assert report["same_fpr_budget"]["challenger"]["recall"] > report["same_fpr_budget"]["champion"]["recall"]
    assert set(report["per_source"]) == {"forum", "sms"} and set(report["per_style"]) == {"era"}
    assert report["changed"] and {c["effect"] for c in report["changed"]} <= {"fixed", "broke"}
    back = compare_scores(rows, p_b, p_a, 0.5, 0.5, 0.01, ("B", "A"))
    assert back["recommendation"]["decision"] == "keep champion"
    same = compare_scores(rows, p_a, p_a, 0.5, 0.5, 0.01, ("A", "A2"))
    assert same["recommendation"]["decision"] == "keep champion" and "no gain" in same["recommendation"]["reason"]
    itself = compare_scores(rows, p_a, p_a, 0.5, 0.5, 0.01, ("A", "A"))  # one model given twice
    assert itself["recommendation"] == {"decision": "keep champion",
                                        "reason": "champion and challenger are the same model (A)"}
    # the same graphs with another flag threshold are not "the same model": the comparison speaks
    moved = compare_scores(rows, p_a, p_a, 0.5, 0.6, 0.01, ("A", "A"))
    assert "same model" not in moved["recommendation"]["reason"]
    few = compare_scores(rows[:5] + rows[60:100], p_a[list(range(5)) + list(range(60, 100))],
                         p_b[list(range(5)) + list(range(60, 100))], 0.5, 0.5, 0.01, ("A", "B"))
    assert few["recommendation"]["decision"] == "need more labels"


def test_own_decisions_count_as_flagged_not_the_bare_threshold():
    """A too-short text at p ≥ flag is not flagged in production (minimum evidence rule): given the scorers' own
    decisions, the comparison counts what each model would do, not ``p ≥ flag``."""
    rows, y, rng = _rows()
    p = np.where(y, 0.9, 0.1)
    p[-1] = 0.95  # a negative above the threshold …
    f_own = p >= 0.5
    f_own[-1] = False  # … that its scorer did not flag (too short)
    bare = compare_scores(rows, p, p, 0.5, 0.5, 0.01, ("A", "B"))
    own = compare_scores(rows, p, p, 0.5, 0.5, 0.01, ("A", "B"), flagged=(f_own, p >= 0.5))
    assert bare["pooled"]["champion"]["fp"] == 1 and own["pooled"]["champion"]["fp"] == 0
    assert own["pooled"]["challenger"] == bare["pooled"]["challenger"]
    assert [c["id"] for c in own["changed"]] == [rows[-1]["id"]] and own["changed"][0]["effect"] == "broke"
    with pytest.raises(ValueError, match="one entry per row"):
        compare_scores(rows, p, p, 0.5, 0.5, 0.01, ("A", "B"), flagged=(f_own[:-1], f_own))


def test_precision_loss_on_one_source_blocks_promotion():
    rows, y, rng = _rows(n_pos=100, n_neg=600)
    sms = np.asarray([r["source"] == "sms" for r in rows])
    p_a = np.where(y, rng.uniform(0.3, 0.9, y.size), rng.uniform(0.0, 0.45, y.size))
    p_b = np.where(y, rng.uniform(0.6, 1.0, y.size), rng.uniform(0.0, 0.45, y.size))
    p_b = np.where(~y & sms & (rng.uniform(size=y.size) < 0.3), 0.55, p_b)  # many new false flags on sms
    report = compare_scores(rows, p_a, p_b, 0.5, 0.5, 0.2, ("A", "B"))
    assert report["recommendation"]["decision"] == "keep champion"
    assert "sms precision" in report["recommendation"]["reason"]


def test_load_labelled_keeps_every_row(tmp_path):
    path = tmp_path / "mine.jsonl"
    path.write_text("".join(json.dumps({"text": "同一句话", "label": k % 2}, ensure_ascii=False) + "\n"
                            for k in range(6)), encoding="utf-8")
    rows = load_labelled([path])
    assert len(rows) == 6 and rows[0]["source"] == "mine"


def _png_pixels(data: bytes) -> np.ndarray:
    """RGB(A) pixels of an 8-bit non-interlaced PNG (what Chromium writes), without an imaging library."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and color in (2, 6)
        elif kind == b"IDAT":
            idat += chunk
    bpp = 3 if color == 2 else 4
    stride = width * bpp
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(height, stride + 1)
    out = np.zeros((height, stride), dtype=np.int64)
    prev = np.zeros(stride, dtype=np.int64)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:].astype(np.int64)
        if kind == 0:
            cur = line
        elif kind == 2:
            cur = (line + prev) & 255
        else:
            cur = line.copy()
            for x in range(stride):
                a = cur[x - bpp] if x >= bpp else 0
                b = prev[x]
                c = prev[x - bpp] if x >= bpp else 0
                if kind == 1:
                    cur[x] = (cur[x] + a) & 255
                elif kind == 3:
                    cur[x] = (cur[x] + (a + b) // 2) & 255
                else:
                    pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                    cur[x] = (cur[x] + pred) & 255
        out[y] = cur
        prev = cur
    return out.reshape(height, width, bpp)[:, :, :3]


def test_html_page_renders_in_headless_chromium(tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing under CI (.ci/run installs it)")
        pytest.skip("chromium not installed")
    rows, y, rng = _rows()
    p_a = np.where(y, rng.uniform(0.3, 0.9, y.size), rng.uniform(0.0, 0.6, y.size))
    p_b = np.where(y, rng.uniform(0.6, 1.0, y.size), rng.uniform(0.0, 0.5, y.size))
    report = compare_scores(rows, p_a, p_b, 0.5, 0.5, 0.01, ("A", "B"))
    page = tmp_path / "compare.html"
    page.write_text(render_html(report, render_markdown(report)), encoding="utf-8")
    shot = tmp_path / "shot.png"
    done = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--window-size=900,900", f"--screenshot={shot}", "--enable-logging=stderr", "--v=0", page.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert shot.is_file(), done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not console, console
    pixels = _png_pixels(shot.read_bytes())
    assert (pixels.sum(axis=2) < 600).mean() > 0.01, "the page rendered blank"
    red = (np.abs(pixels - np.asarray([214, 39, 40])).sum(axis=2) < 40).sum()
    blue = (np.abs(pixels - np.asarray([31, 119, 180])).sum(axis=2) < 40).sum()
    assert red > 50 and blue > 50, "the precision-recall curves did not render"
