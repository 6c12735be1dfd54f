"""Titles of free-text layouts (annual reports, brochures): which short blocks are headings.

Text extracted from designed pages stacks several titles in one narrow column ("气候行动" / "利用科学应对气候
危机"), wraps one title over lines ("塑料污染谈判取" / "得进展"), glues a running title to the first line
of the text ("自然行动 环境署加大了……") and puts a title next to the caption or the name under a quote.
The rules here are about shape, never about words of one document:

* a wrapped title fills its first lines and ends on a shorter one, so a line clearly *wider* than the one
  before it starts a new title (unless it continues it: "污染" / "和废弃物"); so does a line that opens a
  new text object (a leading space) or one after a page break;
* a title is short, has no clause punctuation outside brackets and does not end a sentence (a lone
  question such as "什么是联合国环境大会？" is a title; at the top of a page a comma is allowed);
* a block that starts with a big figure ("3000", "5550亿") is a call-out, not a title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from ingest.clean import CLAUSE_PUNCT, SENTENCE_END, Line, ends_sentence, is_cjk, join_texts, squeeze, width

BULLET = re.compile(r"^(?:[-*+•·▪●◦]\s+|\d{1,3}[.)．]\s+|\(\w{1,3}\)\s+|（\w{1,3}）)")
CREDIT = re.compile(r"(?:摄影|图片|来源|Photo(?:graph)?|Credit)\s*[：:]\s*\S[^。！？]{0,40}$", re.IGNORECASE)
_FIGURE = re.compile(r"^[约~≈+\-–]?\d[\d.,]*\s*(?:%|％|[万亿千百]+[^\s\d，。,]{0,2}|[xX×倍])?$")
# A line ending in one of these goes on on the next line; a line starting with one of these continues.
_DANGLING_END = "的之和与及或并在对为将从向把被、—–-·(（《“‘[【"
_CONTINUING_START = "和与及或并的之、）)》”’]】"
_OPENERS, _CLOSERS = "（(《“‘[【「『", "）)》”’]】」』"
_MAX_LINES = 8  # more lines than this is a list or a text column, never a heap of titles
_PREFIX = re.compile(r"^(\S{2,12})\s+(\S.*)$")
_ASIDE = re.compile(r"[（(][^（）()]{1,20}[）)]")  # "（单位：百万美元）": its punctuation does not count


def closed(text: str) -> bool:
    """The text ends a sentence, or ends with a photo credit (which closes a caption)."""
    return ends_sentence(text) or bool(CREDIT.search(text))


def is_figure(text: str) -> bool:
    """A big number with at most a short unit: the head of a call-out ("3000", "30%", "5550亿")."""
    return bool(_FIGURE.match(text.strip()))


def is_title(texts: list[str], doc_width: float, top: bool = False) -> bool:
    """Lines that read as one title. ``top``: the block opens its page (a comma is then allowed)."""
    joined = join_texts(texts)
    vertical = all(len(squeeze(t)) <= 1 for t in texts)  # one character per line
    if not joined or len(texts) > (_MAX_LINES if vertical else 3):
        return False
    core = joined.rstrip()
    question = core[-1] in "？?"
    if question:
        core = core[:-1]
        if not core or core[-1] in SENTENCE_END:
            return False
    elif closed(joined):
        return False
    allowed = "，," if top else ""
    if any(ch in _ASIDE.sub("", core) for ch in CLAUSE_PUNCT + "·*" if ch not in allowed):
        return False
    if width(joined) > min(26.0, max(8.0, 0.6 * doc_width)):
        return False
    last = core[-1:]
    if not last or last.isdigit() or last in "%％" or joined.startswith("摄影") or BULLET.match(joined):
        return False
    return sum(ch.isalpha() for ch in joined) >= 2


def continues(a: str, b: str) -> bool:
    """Line ``b`` carries on the phrase of line ``a`` (a dangling word, an open bracket, a lower-case start)."""
    a, b = a.rstrip(), b.lstrip()
    if not a or not b:
        return False
    if a[-1] in _DANGLING_END or b[0] in _CONTINUING_START or b[0].islower():
        return True
    return sum(a.count(ch) for ch in _OPENERS) > sum(a.count(ch) for ch in _CLOSERS)


def stacked(a: Line, b: Line) -> bool:
    """True when ``b`` starts a new title rather than continuing the title on line ``a``."""
    if b.lead or b.index - a.index > 2:  # a new text object, or a page break (two blank lines)
        return True
    wa, wb = width(a.text), width(b.text)
    return wb >= wa + 2 and wb >= 1.2 * wa and not continues(a.text, b.text)


def block_break(a: Line, b: Line) -> bool:
    """A blank line or a new text object lies between lines ``a`` and ``b``."""
    return b.lead or b.index - a.index > 1


@dataclass
class Piece:
    title: bool
    lines: list[Line]
    spaced: list[bool]


def split_unit(lines: list[Line], spaced: list[bool], doc_width: float, top: bool) -> list[Piece]:
    """A block of lines → titles and (at most one) body piece, in order.

    The block is cut where titles stack; when every piece is a title, each is a heading; otherwise the
    title pieces at either end that a blank line sets apart from the rest ("防治荒漠化" over the name
    under a quote) are headings and everything in between stays one body paragraph."""
    if len(lines) > _MAX_LINES or is_figure(lines[0].text):
        return [Piece(False, lines, spaced)]
    cuts = [0] + [i for i in range(1, len(lines)) if stacked(lines[i - 1], lines[i])] + [len(lines)]
    spans = list(pairwise(cuts))
    flags = [is_title([ln.text for ln in lines[s:e]], doc_width, top and s == 0) for s, e in spans]
    if all(flags):
        return [Piece(True, lines[s:e], [False] * (e - s)) for s, e in spans]
    lo, hi = 0, len(spans)
    while flags[lo] and block_break(lines[spans[lo][1] - 1], lines[spans[lo][1]]):
        lo += 1
    while flags[hi - 1] and block_break(lines[spans[hi - 1][0] - 1], lines[spans[hi - 1][0]]):
        hi -= 1
    start, end = spans[lo][0], spans[hi - 1][1]
    body = Piece(False, lines[start:end], [False] + spaced[start + 1 : end])
    head = [Piece(True, lines[s:e], [False] * (e - s)) for s, e in spans[:lo]]
    tail = [Piece(True, lines[s:e], [False] * (e - s)) for s, e in spans[hi:]]
    return head + [body] + tail


def split_running_titles(lines: list[Line], titles: set[str], skip: set[int]) -> tuple[list[Line], set[int]]:
    """Lines whose first words are a title of the document followed by a space and the text
    ("自然行动 环境署加大了……"; "行动 环境署……" under "清除污染" when "清除污染行动" is a title) are cut in two.

    Returns the new lines (renumbered) and the indices of the title parts. ``skip``: lines to keep whole."""
    out: list[Line] = []
    heads: set[int] = set()
    changed = False
    previous: Line | None = None
    for line in lines:
        match = None if line.index in skip or line.blank else _PREFIX.match(line.text)
        head = match.group(1) if match else ""
        if head and all(is_cjk(ch) and ch.isalpha() for ch in head) and width(match.group(2)) >= 8:
            above = previous.text if previous is not None and not block_break(previous, line) else ""  # same block
            if head in titles or (above and squeeze(above + head) in titles):
                cut = line.start + len(head)
                rest = line.start + line.text.index(match.group(2))
                heads.add(len(out))
                out.append(Line(len(out), line.start, cut, head, line.lead, False))
                out.append(Line(len(out), rest, line.end, match.group(2), False, False))
                changed = True
                previous = line
                continue
        out.append(Line(len(out), line.start, line.end, line.text, line.lead, line.ws_only))
        if not line.blank:
            previous = line
    return (out, heads) if changed else (lines, set())
