"""How an analyst names a cited passage: "UNEP/EA.6/8, para. 5" / 「UNEP/EA.6/8，第5段」.

A document with a UN symbol is named by it; one without by its short title and year. The place is the
document's own paragraph number ("para. 5"), else the PDF page ("p. 3"), else a running paragraph number
that says it was counted, not printed ("para. 122 (counted)"); footnotes are named as footnotes.
Pure functions over ``Chunk``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rag.types import Chunk

_ZH = {
    "sep": "，", "para": "第{}段", "page": "第{}页", "counted": "第{}段（按顺序计）", "note": "脚注{}",
    "year": "{}（{}年）", "part": "（第{}部分）",
}
_EN = {
    "sep": ", ", "para": "para. {}", "page": "p. {}", "counted": "para. {} (counted)", "note": "footnote {}",
    "year": "{} {}", "part": " (part {})",
}


def _words(lang: str) -> dict[str, str]:
    return _EN if lang == "en" else _ZH


def document_label(chunk: Chunk, lang: str) -> str:
    """The document's name in a reference: its symbol, else its short title (in ``lang`` when the manifest
    has one) with the year added unless the title already holds it."""
    if chunk.symbol.strip():
        return chunk.symbol.strip()
    title = (chunk.short_title_en if lang == "en" else "") or chunk.short_title or chunk.title or chunk.doc
    title = title.strip()
    if chunk.year and str(chunk.year) not in title:
        return _words(lang)["year"].format(title, chunk.year)
    return title


def place_label(chunk: Chunk, lang: str) -> str:
    """Where in the document: footnote, printed paragraph number, PDF page, or a counted paragraph;
    "" for the untitled material before the first paragraph (running index 0)."""
    w = _words(lang)
    if chunk.kind == "footnote" and chunk.paragraph:
        return w["note"].format(chunk.paragraph)
    if chunk.numbered and chunk.paragraph:
        return w["para"].format(chunk.paragraph)
    if chunk.page is not None:
        return w["page"].format(chunk.page)
    if chunk.paragraph:
        return w["counted"].format(chunk.paragraph)
    return ""


def cite_string(chunk: Chunk, lang: str) -> str:
    """The reference for ``chunk`` in ``lang`` ("en"; anything else reads as Chinese)."""
    place = place_label(chunk, lang)
    label = document_label(chunk, lang)
    return f"{label}{_words(lang)['sep']}{place}" if place else label


def part_note(chunk: Chunk, lang: str) -> str:
    """"" for a paragraph's first (or only) piece, else which piece of a long paragraph this is ("(part 2)"):
    shown beside the reference in a source list, so two pieces of one paragraph are told apart. Not part of
    the reference itself (an analyst cites the paragraph)."""
    return _words(lang)["part"].format(chunk.part + 1) if chunk.part > 0 else ""


def listed_reference(chunk: Chunk, lang: str) -> str:
    """The reference with its ``part_note``: how a source list names the passage."""
    return cite_string(chunk, lang) + part_note(chunk, lang)
