"""How the single-purpose benchmarks hand back a result: JSON on stdout, and optionally in a file."""

from __future__ import annotations

import json
from pathlib import Path


def emit(result: dict, out: str | None) -> None:
    """Print ``result`` as indented JSON (CJK kept readable) and, when ``out`` is given, write it there too."""
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")
