"""The keyword filter mlmrisk is measured against: what platforms run today.

    python benchmarks/keyword_filter.py posts.jsonl hits.jsonl keywords.txt

Reads JSONL with orjson, runs a pyahocorasick automaton over the keyword list reporting ALL hits of every post,
writes one JSONL record per post (``id``, ``hits``) with orjson. File to file, one process, like ``mlmrisk score
--workers 1``.
"""

from __future__ import annotations

import sys

import ahocorasick
import orjson


def main(source: str, target: str, keywords: str) -> None:
    automaton = ahocorasick.Automaton()
    with open(keywords, encoding="utf-8") as handle:
        for word in handle:
            word = word.strip()
            if word:
                automaton.add_word(word, word)
    automaton.make_automaton()
    with open(source, "rb") as lines, open(target, "wb") as out:
        for line in lines:
            record = orjson.loads(line)
            text = record.get("text")
            hits = [word for _, word in automaton.iter(text)] if isinstance(text, str) else []
            out.write(orjson.dumps({"id": record.get("id"), "hits": hits}, option=orjson.OPT_APPEND_NEWLINE))


if __name__ == "__main__":
    main(*sys.argv[1:4])
