"""Free-text layout: paragraphs of documents that do not number them (annual reports, notes, markdown).

Text extracted from PDFs is wrapped at a fixed width, sometimes with blank lines inside sentences. A
line break joins two lines of one paragraph when the first line does not end a sentence and is
"full" (nearly as wide as the lines around it); a short line that ends a sentence closes a paragraph;
a short line without punctuation before a long one is a heading or a label. Narrow columns (call-outs
such as "5550亿 / 美元 / 2023年，…") are read as one short paragraph each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ingest.clean import CLAUSE_PUNCT, Line, ends_sentence, is_page_number, join_texts, noise_reason, width
from ingest.segment import FOOT_MD, FOOT_SUP, MD_HEADING, Builder, Segmentation

if TYPE_CHECKING:
    from ingest.load import Document

_PLAIN_LEVEL = 7  # title lines sit below any markdown heading level
_BULLET = re.compile(r"^(?:[-*+•·▪●◦]\s+|\d{1,3}[.)．]\s+|\(\w{1,3}\)\s+|（\w{1,3}）)")


@dataclass
class _Unit:
    lines: list[Line]
    spaced: list[bool]  # keep a space before each line (a line break that is not a wrap)


def segment_free(document: Document, lines: list[Line], repeated: set[int]) -> Segmentation:
    b = Builder(document)
    blocks = _blocks(lines)
    widths = {ln.index: width(ln.text) for ln in lines if ln.text}
    block_max: dict[int, float] = {}
    for ln in lines:
        if ln.text:
            block_max[blocks[ln.index]] = max(block_max.get(blocks[ln.index], 0.0), widths[ln.index])
    ordered = sorted(widths.values())
    doc_width = ordered[int(0.9 * (len(ordered) - 1))] if ordered else 0.0
    narrow = max(6.0, 0.3 * doc_width)
    running = 0
    unit: _Unit | None = None

    def flush() -> None:
        nonlocal unit, running
        if unit is None:
            return
        texts = [ln.text for ln in unit.lines]
        if _is_title(texts, doc_width):
            b.close()
            title = join_texts(texts, unit.spaced)
            b.out.headings.append((unit.lines[0].start, unit.lines[-1].end, title))
            b.levels = {k: v for k, v in b.levels.items() if k < _PLAIN_LEVEL}
            b.levels[_PLAIN_LEVEL] = title
        else:
            running += 1
            b.emit(unit.lines, unit.spaced, "body", running, False)
        unit = None

    for i, line in enumerate(lines):
        if line.blank:
            continue
        text = line.text
        reason = "running-header" if i in repeated else noise_reason(text)
        if reason is None and is_page_number(text) and _standalone(lines, i):
            reason = "page-number"
        md = MD_HEADING.match(text)
        note = FOOT_SUP.match(text) or FOOT_MD.match(text)
        if reason or md or note:
            flush()
            if reason:
                b.drop(line, reason)
            elif md:
                b.heading(line, len(md.group(1)))
            else:
                b.emit([line], [False], "footnote", int(note.group(1)), True)
            continue
        if unit is not None:
            prev = unit.lines[-1]
            join, spaced = _decide(prev, line, widths, block_max, blocks, narrow)
            if join:
                unit.lines.append(line)
                unit.spaced.append(spaced)
                continue
            flush()
        unit = _Unit([line], [False])
    flush()
    b.close()
    return b.out


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


def _decide(
    a: Line,
    b: Line,
    widths: dict[int, float],
    block_max: dict[int, float],
    blocks: dict[int, int],
    narrow: float,
) -> tuple[bool, bool]:
    """(join, keep a space) for the break between line ``a`` and the next content line ``b``."""
    if _BULLET.match(b.text):
        return False, False
    wa, wb = widths[a.index], widths[b.index]
    ma, mb = block_max[blocks[a.index]], block_max[blocks[b.index]]
    full = wa >= 0.8 * max(ma, 1.0)
    if blocks[a.index] == blocks[b.index]:
        if _CREDIT.match(b.text):
            return True, True  # a photo credit right under its caption
        if _closed(a.text):
            return wa >= 0.85 * ma, False
        if wa < 0.5 * wb and wb >= narrow and _label(a.text):
            return False, False  # a heading or label line directly above the text it introduces
        return True, not full
    if _closed(a.text):
        return False, False
    if wa >= 0.8 * max(ma, mb) and wa >= narrow:
        return True, False  # a wrapped line, with blank lines inside the sentence
    if ma <= narrow and mb <= narrow:
        return True, True  # one narrow column (call-out, table, list)
    return False, False


_CREDIT = re.compile(r"(?:摄影|图片|来源|Photo(?:graph)?|Credit)\s*[：:]\s*\S[^。！？]{0,40}$", re.IGNORECASE)


def _closed(text: str) -> bool:
    """The line ends a sentence, or ends with a photo credit (which closes a caption)."""
    return ends_sentence(text) or bool(_CREDIT.search(text))


def _label(text: str) -> bool:
    """Short text without clause punctuation (a heading, a name, a label)."""
    return not any(ch in text for ch in CLAUSE_PUNCT)


def _is_title(texts: list[str], doc_width: float) -> bool:
    joined = " ".join(texts)
    if len(texts) > 3 or _closed(joined) or any(ch in joined for ch in CLAUSE_PUNCT + "·*"):
        return False
    if width(joined) > min(26.0, max(8.0, 0.6 * doc_width)):
        return False
    last = joined.rstrip()[-1:]
    if not last or last.isdigit() or last in "%％" or joined.startswith("摄影") or _BULLET.match(joined):
        return False
    return sum(ch.isalpha() for ch in joined) >= 2


def _standalone(lines: list[Line], i: int) -> bool:
    before = lines[i - 1] if i > 0 else None
    after = lines[i + 1] if i + 1 < len(lines) else None
    return (before is None or before.blank) and (after is None or after.blank or after.lead)
