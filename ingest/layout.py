"""Free-text layout: paragraphs of documents that do not number them (annual reports, notes, markdown).

Text extracted from PDFs is wrapped at a fixed width, sometimes with blank lines inside sentences. A
line break joins two lines of one paragraph when the first line does not end a sentence and is
"full" (nearly as wide as the lines around it); a short line that ends a sentence closes a paragraph;
a short line without punctuation before a long one is a heading or a label. Narrow columns (call-outs
such as "5550亿 / 美元 / 2023年，…") are read as one short paragraph each. Which short blocks are titles:
``ingest.titles``; which paragraphs a title labels: ``ingest.sections``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ingest.clean import CLAUSE_PUNCT, Line, is_page_number, noise_reason, squeeze, width
from ingest.sections import Item, emit
from ingest.segment import FOOT_MD, FOOT_SUP, MD_HEADING, Segmentation, pattern_level
from ingest.titles import BULLET, CREDIT, closed, split_running_titles, split_unit

if TYPE_CHECKING:
    from ingest.load import Document

_LEAD_SHARE = 0.1  # leading spaces mark new text objects only where few lines have them (not indents)


@dataclass
class _Unit:
    lines: list[Line]
    spaced: list[bool]  # keep a space before each line (a line break that is not a wrap)


@dataclass
class _Layout:
    widths: dict[int, float]
    blocks: dict[int, int]
    block_max: dict[int, float]
    streams: dict[int, int]  # line index → stream (a page, or a text object that starts a new column)
    hard: set[int]  # streams that open with a new text object or a PDF page (not just blank lines)
    doc_width: float
    narrow: float


def segment_free(document: Document, lines: list[Line], repeated: set[int]) -> Segmentation:
    items, hard = _items(document, lines, repeated, set())
    titles = {squeeze(it.text) for it in items if it.kind == "title"}
    split, heads = split_running_titles(lines, titles, repeated)
    if heads:  # a running title glued to the first line of a page's text: read again with it cut off
        starts = {lines[i].start for i in repeated}
        repeated = {ln.index for ln in split if ln.text and ln.start in starts}
        items, hard = _items(document, split, repeated, heads)
    return emit(document, items, hard)


def _layout(document: Document, lines: list[Line]) -> _Layout:
    blocks = _blocks(lines)
    widths = {ln.index: width(ln.text) for ln in lines if ln.text}
    block_max: dict[int, float] = {}
    for ln in lines:
        if ln.text:
            block_max[blocks[ln.index]] = max(block_max.get(blocks[ln.index], 0.0), widths[ln.index])
    ordered = sorted(widths.values())
    doc_width = ordered[int(0.9 * (len(ordered) - 1))] if ordered else 0.0
    streams, hard = _streams(document, lines)
    return _Layout(widths, blocks, block_max, streams, hard, doc_width, max(6.0, 0.3 * doc_width))


def _items(
    document: Document, lines: list[Line], repeated: set[int], heads: set[int]
) -> tuple[list[Item], set[int]]:
    """The document as titles, body paragraphs, footnotes, markdown headings and noise, in order; and
    the streams that open with a new text object or page."""
    lay = _layout(document, lines)
    items: list[Item] = []
    opened: set[int] = set()  # streams that already hold something other than noise
    unit: _Unit | None = None

    def add(item: Item) -> None:
        item.top = item.kind != "drop" and item.stream not in opened
        if item.kind != "drop":
            opened.add(item.stream)
        items.append(item)

    def flush() -> None:
        nonlocal unit
        if unit is None:
            return
        top = lay.streams[unit.lines[0].index] not in opened
        for piece in split_unit(unit.lines, unit.spaced, lay.doc_width, top):
            kind = "title" if piece.title else "body"
            add(Item(kind, piece.lines, piece.spaced, lay.streams[piece.lines[0].index]))
        unit = None

    for i, line in enumerate(lines):
        if line.blank:
            continue
        text = line.text
        stream = lay.streams[line.index]
        reason = "running-header" if i in repeated else noise_reason(text)
        if reason is None and is_page_number(text) and _standalone(lines, i):
            reason = "page-number"
        md = MD_HEADING.match(text)
        note = FOOT_SUP.match(text) or FOOT_MD.match(text)
        if reason or md or note:
            flush()
            if reason:
                add(Item("drop", [line], [False], stream, reason))
            elif md:
                add(Item("md", [line], [False], stream, len(md.group(1))))
            else:
                add(Item("note", [line], [False], stream, int(note.group(1))))
            continue
        if unit is not None:
            prev = unit.lines[-1]
            join, spaced = (False, False) if prev.index in heads else _decide(prev, line, lay)
            if join:
                unit.lines.append(line)
                unit.spaced.append(spaced)
                continue
            flush()
        unit = _Unit([line], [False])
    flush()
    return items, lay.hard


def _blocks(lines: list[Line]) -> dict[int, int]:
    """Block id per line: runs of non-blank lines; a line that starts with a space opens a new block."""
    out: dict[int, int] = {}
    block, previous_blank = 0, True
    for ln in lines:
        if ln.blank:
            previous_blank = True
            continue
        if previous_blank or ln.lead:
            block += 1
        out[ln.index] = block
        previous_blank = False
    return out


def _streams(document: Document, lines: list[Line]) -> tuple[dict[int, int], set[int]]:
    """Stream id per line: a new stream starts after two blank lines (a page break in extracted text), on a
    new PDF page, and at a line that starts with a space when such lines are rare (new text objects)."""
    content = [ln for ln in lines if ln.text]
    lead_breaks = sum(ln.lead for ln in content) <= _LEAD_SHARE * len(content)
    out: dict[int, int] = {}
    hard: set[int] = set()
    stream, page, previous = 0, None, None
    for ln in content:
        here = document.page_at(ln.start) if document.pages else None
        if previous is not None:
            by_object = (ln.lead and lead_breaks) or here != page
            if by_object or ln.index - previous.index > 2:
                stream += 1
                if by_object:
                    hard.add(stream)
        out[ln.index] = stream
        page, previous = here, ln
    return out, hard


def _decide(a: Line, b: Line, lay: _Layout) -> tuple[bool, bool]:
    """(join, keep a space) for the break between line ``a`` and the next content line ``b``."""
    if BULLET.match(b.text) or (pattern_level(b.text) and _label(b.text) and lay.widths[b.index] <= 30):
        return False, False  # a list item, or a heading such as "二、方法" under the last line of a paragraph
    wa, wb = lay.widths[a.index], lay.widths[b.index]
    ma, mb = lay.block_max[lay.blocks[a.index]], lay.block_max[lay.blocks[b.index]]
    full = wa >= 0.8 * max(ma, 1.0)
    if lay.blocks[a.index] == lay.blocks[b.index]:
        if CREDIT.match(b.text):
            return True, True  # a photo credit right under its caption
        if closed(a.text):
            return wa >= 0.85 * ma, False
        if wa < 0.5 * wb and wb >= lay.narrow and _label(a.text):
            return False, False  # a heading or label line directly above the text it introduces
        return True, not full
    if closed(a.text):
        return False, False
    if wa >= 0.8 * max(ma, mb) and wa >= lay.narrow:
        return True, False  # a wrapped line, with blank lines inside the sentence
    if ma <= lay.narrow and mb <= lay.narrow and lay.streams[a.index] == lay.streams[b.index]:
        return True, True  # one narrow column (call-out, table, list), not across a page break
    return False, False


def _label(text: str) -> bool:
    """Short text without clause punctuation (a heading, a name, a label)."""
    return not any(ch in text for ch in CLAUSE_PUNCT)


def _standalone(lines: list[Line], i: int) -> bool:
    before = lines[i - 1] if i > 0 else None
    after = lines[i + 1] if i + 1 < len(lines) else None
    return (before is None or before.blank) and (after is None or after.blank or after.lead)
