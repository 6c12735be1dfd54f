"""Paragraphs → chunks: one paragraph per chunk where it fits, long ones split between sentences.

Split points, in order of preference: sentence ends (。！？!? and ". "), then ；/; — and only inside a
sentence longer than ~2× ``chunk_size`` at a comma, then (a last resort for text without any
punctuation) at a space or between CJK characters; never inside a Latin word or a number.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import replace
from typing import TYPE_CHECKING

from ingest.clean import squeeze
from ingest.segment import Paragraph, segment
from rag.types import Chunk

if TYPE_CHECKING:
    from ingest.load import Document
    from ingest.manifest import DocMeta

_SENTENCE = re.compile(r"[。！？!?…]+[”’」』）)】》\"']*|\.[”’\"')\]]*(?=\s)")
_CLAUSE = re.compile(r"[；;]")
_COMMA = re.compile(r"[，,、：:]")


_TERMINATOR = re.compile(r"[。！？!?；;]|\.(?:\s|$)")
_FIELD = re.compile(r"\S+")
_DIGIT = re.compile(r"\d")
_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD_CHAR = re.compile(r"\w")


def looks_tabular(text: str) -> bool:
    """A table cell run, figure caption or contributor list flattened by PDF extraction: no sentence
    terminator anywhere, and mostly figures or short fields ("挪威 12.2", "预算 收入* 支出", "419")."""
    if _TERMINATOR.search(text):
        return False
    words = _WORD_CHAR.findall(text)
    fields = _FIELD.findall(text)
    if not words:
        return True
    digits = len(_DIGIT.findall(text)) / len(words)
    short = sum(len(f) <= 8 for f in fields) / len(fields)
    # spaces inside Chinese text separate cells, not words
    return digits >= 0.2 or (bool(_CJK.search(text)) and len(fields) >= 3 and short >= 0.75)


def chunk_document(document: Document, title: str, chunk_size: int = 400, meta: DocMeta | None = None) -> list[Chunk]:
    """The document's chunks, each carrying what a reference names (symbol, short titles, year from the
    manifest entry ``meta``) and the footnote numbers whose marks may sit in it (see ``note_regions``)."""
    seg = segment(document)
    chunks: list[Chunk] = []
    parts: dict[tuple[str, int | None, int], int] = {}  # pieces of one paragraph continue its part count
    for index, para in enumerate(seg.paragraphs):
        key = (para.kind, para.number, index if para.number is None else -1)
        for start, end in split_text(para.text, chunk_size):
            part = parts.get(key, 0)
            parts[key] = part + 1
            chunks.append(_make_chunk(document, title, para, start, end, part))
    short_zh, short_en = meta.short_titles() if meta is not None else ("", "")
    regions = note_regions([(p.start, p.end, p.kind == "footnote", p.number) for p in seg.paragraphs])
    return [replace(c, symbol=meta.symbol.strip() if meta else "", short_title=short_zh or title,
                    short_title_en=short_en, year=(meta.year or 0) if meta else 0,
                    notes=notes_in(c.char_start, c.char_end, regions) if c.kind == "body" else ())
            for c in chunks]


def note_regions(paragraphs: list[tuple[int, int, bool, int | None]]) -> list[tuple[int, int, tuple[int, ...]]]:
    """(start, end, numbers): the stretch of the document where the marks of a block of footnotes sit.

    ``paragraphs`` are (start, end, is_footnote, footnote number) in any order. Footnotes with no body
    text between them form a block (a page foot, or the endnotes); their marks sit in the text between
    the previous block and this one.
    """
    out: list[tuple[int, int, tuple[int, ...]]] = []
    prev_end, block = 0, []  # block: the current run of footnotes
    for start, end, is_note, number in sorted(paragraphs, key=lambda p: p[0]) + [(1 << 62, 1 << 62, False, None)]:
        if is_note:
            block.append((start, end, number))
            continue
        if block:
            out.append((prev_end, block[0][0], tuple(n for _, _, n in block if n)))
            prev_end, block = block[-1][1], []
    return out


def notes_in(start: int, end: int, regions: list[tuple[int, int, tuple[int, ...]]]) -> tuple[int, ...]:
    """Footnote numbers whose marks may sit in the text at [start, end)."""
    return tuple(n for a, b, numbers in regions if start < b and end > a for n in numbers)


def _make_chunk(document: Document, title: str, para: Paragraph, start: int, end: int, part: int) -> Chunk:
    text = para.text[start:end]
    raw_start, raw_end = map_span(document.raw, para, start, end)
    page = document.page_at(raw_start) if document.pages else None
    digest = hashlib.sha256(
        f"{document.doc}\x1f{raw_start}\x1f{raw_end}\x1f{text}".encode("utf-8", "surrogatepass")
    ).hexdigest()[:16]
    return Chunk(
        id=digest,
        doc=document.doc,
        title=title,
        section=para.section,
        paragraph=para.number if para.number is not None else 0,
        page=page,
        char_start=raw_start,
        char_end=raw_end,
        text=text,
        kind="table" if para.kind == "body" and looks_tabular(text) else para.kind,
        part=part,
        numbered=para.numbered,
    )


def map_span(raw: str, para: Paragraph, start: int, end: int) -> tuple[int, int]:
    """Raw offsets of ``para.text[start:end]``: from its first to its last non-whitespace character."""
    before = len(squeeze(para.text[:start]))
    wanted = len(squeeze(para.text[start:end]))
    seen, raw_start, raw_end = 0, para.start, para.end
    for pos in range(para.start, para.end):
        if raw[pos].isspace():
            continue
        if seen == before:
            raw_start = pos
        seen += 1
        if seen == before + wanted:
            raw_end = pos + 1
            break
    return raw_start, raw_end


def split_text(text: str, chunk_size: int) -> list[tuple[int, int]]:
    """(start, end) pieces of ``text``, each at most about ``chunk_size`` characters, whitespace-trimmed."""
    if len(text) <= chunk_size:
        return [(0, len(text))] if text.strip() else []
    units: list[tuple[int, int]] = []
    for s, e in _cut(text, 0, len(text), _SENTENCE):
        if e - s <= chunk_size:
            units.append((s, e))
            continue
        for cs, ce in _cut(text, s, e, _CLAUSE):
            if ce - cs <= 2 * chunk_size:
                units.append((cs, ce))
                continue
            for ms, me in _cut(text, cs, ce, _COMMA):
                units.extend(_hard(text, ms, me, chunk_size) if me - ms > 2 * chunk_size else [(ms, me)])
    return [_trim(text, s, e) for s, e in _pack(units, chunk_size) if text[s:e].strip()]


def _cut(text: str, start: int, end: int, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """Split [start, end) after every match of ``pattern``."""
    out, pos = [], start
    for match in pattern.finditer(text, start, end):
        if match.end() > pos:
            out.append((pos, match.end()))
            pos = match.end()
    if pos < end:
        out.append((pos, end))
    return out


def _hard(text: str, start: int, end: int, chunk_size: int) -> list[tuple[int, int]]:
    """Cut text without punctuation near ``chunk_size``, at a space or between non-word characters."""
    out, pos = [], start
    while end - pos > chunk_size:
        cut = pos + chunk_size
        space = text.rfind(" ", pos + chunk_size // 2, cut)
        if space > pos:
            cut = space
        else:
            while cut > pos + chunk_size // 2 and _inside_word(text, cut):
                cut -= 1
            if _inside_word(text, cut):
                cut = pos + chunk_size
                while cut < end and _inside_word(text, cut):
                    cut += 1
        out.append((pos, cut))
        pos = cut
    out.append((pos, end))
    return out


def _inside_word(text: str, i: int) -> bool:
    """True when a cut before ``text[i]`` would split a Latin word or a number."""
    if i <= 0 or i >= len(text):
        return False
    a, b = text[i - 1], text[i]
    return a.isascii() and b.isascii() and (a.isalnum() or a in "._-/%") and (b.isalnum() or b in "._-/%")


def _pack(units: list[tuple[int, int]], chunk_size: int) -> list[tuple[int, int]]:
    """Group consecutive units into pieces of balanced size (about ``chunk_size`` each)."""
    total = sum(e - s for s, e in units)
    target = total / max(1, math.ceil(total / chunk_size))
    pieces: list[tuple[int, int]] = []
    cur_start = cur_end = None
    for s, e in units:
        if cur_start is None:
            cur_start, cur_end = s, e
        elif (e - cur_start) > chunk_size or (cur_end - cur_start) >= target:
            pieces.append((cur_start, cur_end))
            cur_start, cur_end = s, e
        else:
            cur_end = e
    if cur_start is not None:
        pieces.append((cur_start, cur_end))
    return pieces


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
