"""Citation numbers in order of first appearance: an answer's first marker is [1], the next new one [2], …

``renumber(answer)`` is pure: it returns a new ``Answer`` whose text markers, sentences' citations and
spans, cited passages and retrieved passages all use the new numbers (one number per passage throughout).
Passages the text never cites (a refusal's closest passages, the rest of the retrieved list) keep their
relative order after the cited ones; ``retrieved`` keeps its rank order (only the numbers change).
"""

from __future__ import annotations

import re
from dataclasses import replace

from rag.types import Answer, Passage, Sentence

# [1]  [1, 2]  [^1]  【1】  【1，2】 — the marker forms an answer text uses
MARKER_RE = re.compile(r"\[\^?(\d+(?:\s*[,，、]\s*\d+)*)\]|【(\d+(?:\s*[,，、]\s*\d+)*)】")
_NUM_RE = re.compile(r"\d+")


def marker_numbers(text: str) -> list[int]:
    """Every cited number in ``text``, in order of appearance (repeats kept)."""
    return [int(x) for m in MARKER_RE.finditer(text) for x in _NUM_RE.findall(m.group(1) or m.group(2))]


def first_appearance(answer: Answer) -> dict[int, int]:
    """old number → new number: markers in the text first, then sentences' citations, then cited passages,
    then retrieved passages, each in its order."""
    order: list[int] = marker_numbers(answer.answer)
    order += [n for s in answer.sentences for n in s.citations]
    order += [p.n for p in answer.passages] + [p.n for p in answer.retrieved]
    mapping: dict[int, int] = {}
    for n in order:
        mapping.setdefault(n, len(mapping) + 1)
    return mapping


def _rewrite(text: str, mapping: dict[int, int]) -> str:
    def sub(m: re.Match[str]) -> str:
        numbers = [mapping.get(int(x), int(x)) for x in _NUM_RE.findall(m.group(1) or m.group(2))]
        inner = ", ".join(str(n) for n in numbers) if m.group(1) is not None else "，".join(str(n) for n in numbers)
        return f"[{inner}]" if m.group(1) is not None else f"【{inner}】"

    return MARKER_RE.sub(sub, text)


def _passages(passages: list[Passage], mapping: dict[int, int]) -> list[Passage]:
    return [replace(p, n=mapping.get(p.n, p.n)) for p in passages]


def renumber(answer: Answer) -> Answer:
    """``answer`` with its citation numbers in order of first appearance (see the module docstring)."""
    mapping = first_appearance(answer)
    if all(old == new for old, new in mapping.items()):
        return answer
    sentences = [
        Sentence(_rewrite(s.text, mapping), [mapping.get(n, n) for n in s.citations],
                 {mapping.get(n, n): span for n, span in s.spans.items()})
        for s in answer.sentences
    ]
    return replace(answer, answer=_rewrite(answer.answer, mapping), sentences=sentences,
                   passages=sorted(_passages(answer.passages, mapping), key=lambda p: p.n),
                   retrieved=_passages(answer.retrieved, mapping))  # retrieved keeps its rank order
