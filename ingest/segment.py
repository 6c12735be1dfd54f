"""Raw text → paragraphs true to the source, headings (the section path) and dropped noise.

Two layouts are recognised:

* numbered reports (UN documents: ``14. 近几十年来……``): a paragraph runs from its number to the next
  number or heading; list items ``(a)``… stay with it; footnotes (``1 www…`` after a page's text,
  ``<sup>1</sup> …``, ``* UNEP/EA.6/1。``) become ``kind="footnote"`` paragraphs; text after a page
  break continues the paragraph it belongs to (as a new piece with the same number);
* free text (annual reports, notes, markdown): see ``ingest.layout``.

Every non-whitespace character of the raw text ends up in exactly one paragraph, heading or dropped
span, and ``squeeze(raw[p.start:p.end]) == squeeze(p.text)`` for every paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from ingest.clean import (
    Line,
    ends_sentence,
    is_page_number,
    join_texts,
    noise_reason,
    normalize_inline,
    repeated_page_lines,
    split_lines,
)

if TYPE_CHECKING:
    from ingest.load import Document

Kind = Literal["body", "footnote"]


@dataclass(frozen=True)
class Paragraph:
    text: str
    start: int
    end: int
    section: str
    number: int | None  # the document's own number, a running index (unnumbered documents), or None
    kind: Kind = "body"
    page: int | None = None
    numbered: bool = False  # True when ``number`` is the document's own paragraph / footnote number


@dataclass
class Segmentation:
    paragraphs: list[Paragraph] = field(default_factory=list)
    headings: list[tuple[int, int, str]] = field(default_factory=list)
    dropped: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, reason)
    numbered: bool = False  # the document numbers its paragraphs


# --- shared building blocks ------------------------------------------------------------------------

MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*$")
_CN_HEADING = re.compile(r"^[一二三四五六七八九十]{1,3}[、.．]\s*\S")
_LETTER_HEADING = re.compile(r"^[A-Z][.．]\s+\S")
_PARA_NO = re.compile(r"^(\d{1,3})[.．](?:\s+\S|(?=[\u4e00-\u9fff（“《]))")
FOOT_SUP = re.compile(r"^<sup>\s*(\d{1,3})\s*</sup>")
FOOT_MD = re.compile(r"^\[\^(\d{1,3})\]:")
_FOOT_STAR = re.compile(r"^\\?\*{1,3}\s+\S")
_FOOT_NO = re.compile(r"^(\d{1,3})\s+\S")


def heading_text(text: str) -> str:
    match = MD_HEADING.match(text)
    return normalize_inline(match.group(2) if match else text)


def pattern_level(text: str) -> int | None:
    """Level of a structural heading pattern: ``一、`` → 1, ``A.`` → 2."""
    body = heading_text(text)
    if _CN_HEADING.match(body):
        return 1
    if _LETTER_HEADING.match(body):
        return 2
    return None


class Builder:
    """Collects paragraphs, headings and dropped spans; tracks the section path."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.out = Segmentation()
        self.levels: dict[int, str] = {}
        self.lines: list[Line] = []
        self.spaced: list[bool] = []
        self.kind: Kind = "body"
        self.number: int | None = None
        self.numbered = False

    @property
    def section(self) -> str:
        return " > ".join(self.levels[k] for k in sorted(self.levels))

    def heading(self, line: Line, level: int) -> None:
        self.close()
        text = heading_text(line.text)
        self.out.headings.append((line.start, line.end, text))
        if level > 0 and text:
            self.levels = {k: v for k, v in self.levels.items() if k < level}
            self.levels[level] = text

    def drop(self, line: Line, reason: str) -> None:
        self.close()
        self.out.dropped.append((line.start, line.end, reason))

    def open(self, line: Line, kind: Kind, number: int | None, numbered: bool) -> None:
        self.close()
        self.lines, self.spaced = [line], [False]
        self.kind, self.number, self.numbered = kind, number, numbered

    def emit(
        self, lines: list[Line], spaced: list[bool], kind: Kind, number: int | None, numbered: bool
    ) -> None:
        """Add a whole paragraph at once."""
        self.close()
        self.lines, self.spaced = list(lines), list(spaced)
        self.kind, self.number, self.numbered = kind, number, numbered
        self.close()

    def add(self, line: Line, spaced: bool = False) -> None:
        self.lines.append(line)
        self.spaced.append(spaced)

    def close(self) -> None:
        if not self.lines:
            return
        text = join_texts([ln.text for ln in self.lines], self.spaced)
        start, end = self.lines[0].start, self.lines[-1].end
        page = self.document.page_at(start) if self.document.pages else None
        self.out.paragraphs.append(
            Paragraph(text, start, end, self.section, self.number, self.kind, page, self.numbered)
        )
        self.lines, self.spaced = [], []


def segment(document: Document) -> Segmentation:
    """Split a document into paragraphs, headings and dropped noise. Never raises on odd text."""
    lines = split_lines(document.raw)
    repeated = repeated_page_lines(lines, document.pages)
    if is_numbered(lines):
        out = _segment_numbered(document, lines, repeated)
        out.numbered = True
        return out
    from ingest.layout import segment_free

    return segment_free(document, lines, repeated)


def is_numbered(lines: list[Line]) -> bool:
    """A report that numbers its paragraphs 1, 2, 3, … (each number once, at least three of them)."""
    expected, ones, lengths = 1, 0, []
    for line in lines:
        match = _PARA_NO.match(line.text)
        if not match:
            continue
        n = int(match.group(1))
        ones += n == 1
        if n == expected:
            expected += 1
            lengths.append(len(line.text))
    return expected > 3 and ones == 1 and sum(lengths) / len(lengths) >= 20


def _segment_numbered(document: Document, lines: list[Line], repeated: set[int]) -> Segmentation:
    b = Builder(document)
    last_para = last_fn = 0
    zone = marker = False  # inside a footnote area / a whitespace-only line was seen (page foot)
    interrupted = True  # the open paragraph cannot take more lines (something came between)
    prev_text = ""
    page_feet = _page_feet(document, lines)
    for i, line in enumerate(lines):
        text = line.text
        if line.blank:
            marker = marker or line.ws_only
            continue
        in_note = b.kind == "footnote" and bool(b.lines) and not interrupted
        if in_note and not ends_sentence(b.lines[-1].text) and _continues_note(text):
            b.add(line)
            prev_text = text
            continue
        reason = "running-header" if i in repeated else noise_reason(text)
        if reason is None and is_page_number(text):
            reason = "page-number"
        if reason:
            b.drop(line, reason)
            interrupted = True
            continue
        md = MD_HEADING.match(text)
        level = pattern_level(text) if (md or _short_title(text)) else None
        if md or level:
            b.heading(line, level or (3 if last_para else 0))
            zone, interrupted = False, True
            continue
        window = 3 if zone or marker or ends_sentence(prev_text) else 1 if i in page_feet else 0
        fn = _footnote_start(text, last_fn, window)
        if fn is not None:
            number = fn if fn > 0 else None
            b.open(line, "footnote", number, number is not None)
            last_fn = max(last_fn, fn)
            zone, interrupted, marker, prev_text = True, False, False, text
            continue
        match = _PARA_NO.match(text)
        if match and last_para < int(match.group(1)) <= last_para + 3:
            last_para = int(match.group(1))
            b.open(line, "body", last_para, True)
        elif b.kind == "body" and b.lines and not interrupted:
            b.add(line, spaced=last_para == 0)  # front-matter lines are separate items, not wrapped text
        elif last_para:
            b.open(line, "body", last_para, True)  # the paragraph goes on after a page break
        else:
            b.open(line, "body", None, False)  # front matter before paragraph 1
        zone = interrupted = marker = False
        prev_text = text
    b.close()
    return b.out


def _page_feet(document: Document, lines: list[Line]) -> set[int]:
    """PDF lines in the lower half of their page, where footnotes sit (text files: none)."""
    if not document.pages:
        return set()
    by_page: dict[int | None, list[int]] = {}
    for line in lines:
        if line.text:
            by_page.setdefault(document.page_at(line.start), []).append(line.index)
    return {index for group in by_page.values() for index in group[len(group) // 2 :]}


def _short_title(text: str) -> bool:
    return len(text) <= 60 and not ends_sentence(text) and not any(ch in text for ch in "，。；")


def _continues_note(text: str) -> bool:
    """A line that can carry on an unfinished footnote (not a new numbered item or a bare link)."""
    if _PARA_NO.match(text) or FOOT_SUP.match(text) or MD_HEADING.match(text):
        return False
    return not text.lower().startswith(("http://", "https://"))


def _footnote_start(text: str, last_fn: int, window: int) -> int | None:
    """Footnote number (0 for ``*`` notes) when ``text`` opens a footnote, else None. A bare number
    opens one only when it comes next in sequence (within ``window``, 0 where no footnote can be)."""
    for pattern in (FOOT_SUP, FOOT_MD):
        match = pattern.match(text)
        if match:
            return int(match.group(1))
    if _FOOT_STAR.match(text):
        return 0
    match = _FOOT_NO.match(text)
    if match and last_fn < int(match.group(1)) <= last_fn + window:
        return int(match.group(1))
    return None
