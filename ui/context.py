"""Where a cited chunk sits in its document, for the "show in document" view.

Neighbours are the store's chunks of the same document adjacent by offset; the full paragraph joins
the pieces of a paragraph that chunking split. Pure functions over ``Chunk`` values.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from rag.lang import is_cjk
from rag.types import Chunk
from ui.render import DocContext


def by_document(chunks: Iterable[Chunk]) -> dict[str, list[Chunk]]:
    """The store's chunks grouped per document, in reading order (offset, then piece)."""
    docs: dict[str, list[Chunk]] = defaultdict(list)
    for c in chunks:
        docs[c.doc].append(c)
    for lst in docs.values():
        lst.sort(key=lambda c: (c.char_start, c.part))
    return dict(docs)


def _join(a: str, b: str) -> str:
    if not a or not b:
        return a + b
    return a + b if (is_cjk(a[-1]) or is_cjk(b[0])) else f"{a} {b}"


def _same_paragraph(x: Chunk, y: Chunk) -> bool:
    return (x.paragraph, x.kind, x.section, x.page) == (y.paragraph, y.kind, y.section, y.page)


def doc_context(chunk: Chunk, ordered: Sequence[Chunk], width: int = 1) -> DocContext:
    """The paragraph ``chunk`` belongs to (all its pieces) and ``width`` chunks either side of it."""
    index = next((i for i, c in enumerate(ordered) if c.id == chunk.id), None)
    if index is None:
        return DocContext(paragraph=chunk.text)
    lo = index
    while lo > 0 and ordered[lo].part > 0 and _same_paragraph(ordered[lo - 1], chunk):
        lo -= 1
    hi = index
    while hi + 1 < len(ordered) and ordered[hi + 1].part > 0 and _same_paragraph(ordered[hi + 1], chunk):
        hi += 1
    paragraph = ""
    for c in ordered[lo : hi + 1]:
        paragraph = _join(paragraph, c.text)
    return DocContext(
        paragraph=paragraph,
        before=tuple(ordered[max(0, lo - width) : lo]),
        after=tuple(ordered[hi + 1 : hi + 1 + width]),
    )
