"""The import arrows: training → classifier ← serving, never training ↔ serving; the core imports neither.

Checked on the source (every import statement, including those inside functions), so a lazy import cannot hide an
arrow the wrong way.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

FORBIDDEN = {
    "classifier": ("mlmrisk.serving", "mlmrisk.training", "mlmrisk.cli", "sklearn", "onnx", "onnxruntime", "jieba",
                   "pickle", "joblib"),
    "serving": ("mlmrisk.training", "mlmrisk.cli", "sklearn", "scipy", "onnx", "jieba", "pickle", "joblib"),
    "training": ("mlmrisk.serving", "mlmrisk.cli"),
}
#: No exceptions: serving runs graphs through onnxruntime and reads the hot path's weights out of ``mlm.onnx`` with
#: its own reader (``serving/onnx_weights.py``), so the ``onnx`` package is a training dependency only.
ALLOWED: set[tuple[str, str]] = set()


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def violates(name: str, forbidden: str) -> bool:
    return name == forbidden or name.startswith(forbidden + ".")


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_import_arrows(package):
    bad = []
    for path in sorted((REPO / package).rglob("*.py")):
        for name in imported_modules(path):
            rel = path.relative_to(REPO).as_posix()
            bad.extend(f"{rel} imports {name}" for f in FORBIDDEN[package]
                       if violates(name, f) and (rel, f) not in ALLOWED)
    assert not bad, "\n".join(bad)


def test_no_relative_or_bare_top_level_imports():
    """Every project import goes through the one installed name, ``mlmrisk``."""
    bad = []
    for package in ("classifier", "serving", "training", "mlmrisk", "tests", "benchmarks"):
        for path in sorted((REPO / package).rglob("*.py")):
            for name in imported_modules(path):
                if name.split(".")[0] in {"classifier", "serving", "training"}:
                    bad.append(f"{path.relative_to(REPO)} imports {name}")
    assert not bad, "\n".join(bad)


def test_no_design_md_citations_in_code():
    """DESIGN.md lives outside the repository; code cites docs/ instead."""
    bad = [str(p.relative_to(REPO)) for package in ("classifier", "serving", "training", "mlmrisk")
           for p in (REPO / package).rglob("*.py") if "DESIGN" in p.read_text(encoding="utf-8")]
    assert not bad, bad


def test_a_jsonl_job_imports_neither_pyarrow_nor_scikit_learn(tmp_path):
    """The commonest bulk job (JSONL in, JSONL out) pays no start-up for Arrow or training code."""
    import subprocess
    import sys

    out = tmp_path / "out.jsonl"
    probe = ("import sys; from mlmrisk.cli import main; "
             f"rc = main(['score', {str(REPO / 'data' / 'sample_posts.jsonl')!r}, '-o', {str(out)!r}]); "
             "print(rc, sorted(m for m in ('pyarrow', 'sklearn') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines and lines[-1] == "0 []", done.stdout + done.stderr
    assert out.stat().st_size > 0


def test_scoring_ordinary_posts_opens_no_onnxruntime():
    """onnxruntime runs only the full path: a process (or the parent of forked bulk workers) that has loaded a
    scorer and met only ordinary posts has not imported it; the first suspicious post does."""
    import subprocess
    import sys

    probe = ("import sys; from mlmrisk import Scorer; s = Scorer.load(); s.score(['今天天气很好', '你好']); "
             "before = 'onnxruntime' in sys.modules; s.score(['加入我们发展下线拿团队奖金，入门费3980']); "
             "print(before, 'onnxruntime' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"], done.stdout + done.stderr
