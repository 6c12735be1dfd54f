"""Whitespace joining, sentence splitting and the clauses of a sentence, for Chinese and English text.

``join_whitespace`` turns text extracted from PDFs (lines broken inside sentences) into running text:
whitespace next to a Chinese character or punctuation disappears, other runs become one space. Removing
all whitespace from the result gives the same string as removing it from the input, so a sentence cut
from the joined text is verbatim from the source.
"""

from __future__ import annotations

import re

_CJK_OR_PUNCT = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\u2018-\u201d\u2014\u2026"
_WS_CJK = re.compile(rf"(?<=[{_CJK_OR_PUNCT}])\s+|\s+(?=[{_CJK_OR_PUNCT}])")
_WS = re.compile(r"\s+")
_CLOSERS = "”’」』）)》〉】\"'"
# Chinese terminators always end a sentence; "." / "!" / "?" only before whitespace or the end.
_END = re.compile(rf"[。！？]+[{_CLOSERS}]*|[.!?]+[{_CLOSERS}]*(?=\s|$)")
_CLAUSE_END = re.compile(r"[；;]")
ABBREVIATION = re.compile(r"(?:\b(?:e\.g|i\.e|etc|No|Nos|Mr|Mrs|Ms|Dr|vs|approx|Art|para|paras|U\.S|U\.N)|\b[A-Z])$")


def join_whitespace(text: str) -> str:
    return _WS.sub(" ", _WS_CJK.sub("", text)).strip()


def squash(text: str) -> str:
    """All whitespace removed (for verbatim comparisons)."""
    return _WS.sub("", text)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text``; the spans cover all non-blank text, in order."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _END.finditer(text):
        if m.group()[0] == "." and ABBREVIATION.search(text[start : m.start()]):
            continue
        spans.append((start, m.end()))
        start = m.end()
    spans.append((start, len(text)))
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            out.append((a, b))
    return out


def split_sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def clause_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The semicolon-divided clauses of ``text[start:end]`` (the separator left out); [] for one clause."""
    cuts = [m.start() for m in _CLAUSE_END.finditer(text, start, end)]
    bounds = [start] + [c + 1 for c in cuts]
    spans = [(a, c) for a, c in zip(bounds, [*cuts, end], strict=True)]
    spans = [(a, b) for a, b in spans if text[a:b].strip()]
    return spans if len(spans) > 1 else []
