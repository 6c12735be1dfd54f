"""Whitespace joining and sentence splitting, for Chinese and English text.

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
