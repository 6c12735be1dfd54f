"""Which paragraphs a title of a free-text layout labels (the ``section`` of each paragraph).

Extracted pages do not keep reading order: a designed page often yields its text first and its title last,
just before the page's links or the next page ("…提供了支持。" / "支持社区应对气候变化" / links). Typeset
documents never leave a heading alone at the foot of a page (headings are kept with the text that follows),
so a title with no real text after it on its page, where the page ends with a new text object, a PDF page,
links or the end of the document, labels the text *before* it on that page. Every other title labels the
text after it, as usual. Titles stacked with nothing between them label together ("凝望未来 / 建设循环型经济
和社会"); a title repeated at the top of pages (a running title: "气候行动") is one level above the others.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ingest.clean import Line, ends_sentence, join_texts, squeeze, width
from ingest.segment import Builder, Segmentation
from ingest.titles import CREDIT

if TYPE_CHECKING:
    from ingest.load import Document

PART_LEVEL, PLAIN_LEVEL = 7, 8  # below any markdown heading level (1–6)


@dataclass
class Item:
    kind: str  # "title" | "body" | "note" | "md" | "drop"
    lines: list[Line]
    spaced: list[bool]
    stream: int  # page or text object the item starts in
    value: int | str = 0  # markdown level, footnote number or drop reason
    top: bool = False  # the first item (noise aside) of its stream

    @property
    def text(self) -> str:
        return join_texts([ln.text for ln in self.lines], None if self.kind == "title" else self.spaced)


def emit(document: Document, items: list[Item], hard: set[int]) -> Segmentation:
    """Paragraphs, headings and dropped spans of ``items``, each paragraph with its section path."""
    b = Builder(document)
    parts = part_titles(items)
    claims = trailing_claims(items, hard, parts)
    running = 0
    group: int | None = None  # stream of the plain title just before (titles stacked together)
    stream = -1
    for i, it in enumerate(items):
        line = it.lines[0]
        if it.kind == "drop":
            b.drop(line, str(it.value))
            continue
        if it.stream != stream:  # a running title labels the pages it is printed on
            stream = it.stream
            b.levels = {k: v for k, v in b.levels.items() if k != PART_LEVEL}
        if it.kind == "title":
            text = it.text
            b.close()
            b.out.headings.append((line.start, it.lines[-1].end, text))
            part = squeeze(text) in parts
            b.levels = apply_title(b.levels, text, part, group == it.stream)
            group = None if part else it.stream
            continue
        group = None
        if it.kind == "md":
            b.heading(line, int(it.value))
        elif it.kind == "note":
            b.emit([line], [False], "footnote", int(it.value), True)
        else:
            running += 1
            saved = b.levels
            if i in claims:
                b.levels = apply_titles(b.levels, claims[i], parts)
            b.emit(it.lines, it.spaced, "body", running, False)
            b.levels = saved
    b.close()
    return b.out


def apply_title(levels: dict[int, str], text: str, part: bool, stacked: bool) -> dict[int, str]:
    """The section path after ``text``: a running title replaces the part and clears the plain title;
    a plain title replaces the plain title, or joins it when the two are stacked."""
    if part:
        out = {k: v for k, v in levels.items() if k < PART_LEVEL}
        out[PART_LEVEL] = text
        return out
    out = {k: v for k, v in levels.items() if k < PLAIN_LEVEL}
    before = levels.get(PLAIN_LEVEL, "") if stacked else ""
    out[PLAIN_LEVEL] = f"{before} / {text}" if before and text not in before.split(" / ") else before or text
    return out


def apply_titles(levels: dict[int, str], titles: list[Item], parts: set[str]) -> dict[int, str]:
    group: int | None = None
    for title in titles:
        part = squeeze(title.text) in parts
        levels = apply_title(levels, title.text, part, group == title.stream)
        group = None if part else title.stream
    return levels


def part_titles(items: list[Item]) -> set[str]:
    """Titles (squeezed) that recur and open a page at least once: running titles of a report's parts."""
    titles = [it for it in items if it.kind == "title"]
    counts = Counter(squeeze(it.text) for it in titles)
    tops = {squeeze(it.text) for it in titles if it.top}
    return {text for text, n in counts.items() if n >= 2 and text in tops}


def trailing_claims(items: list[Item], hard: set[int], parts: set[str]) -> dict[int, list[Item]]:
    """Body items (by index) labelled by a title that comes after them on their page, with those titles."""
    streams: dict[int, list[int]] = {}
    for i, it in enumerate(items):
        streams.setdefault(it.stream, []).append(i)
    last = max(streams, default=0)
    claims: dict[int, list[Item]] = {}
    if last == 0:
        return claims  # no pages: the text is in reading order
    for stream, indices in streams.items():
        if any(items[i].kind == "md" for i in indices):
            continue  # markdown headings say where sections start
        groups = _title_groups(items, indices)
        plain = [g for g in groups if any(squeeze(items[i].text) not in parts for i in g)]
        if not groups:
            continue
        first = (plain or groups)[0]
        after = [i for i in indices if i > first[-1]]
        if any(items[i].kind == "body" and _substantive(items[i].text) for i in after):
            continue  # the title heads text that follows it
        following = streams.get(stream + 1, [])
        closes = (
            stream == last
            or stream + 1 in hard
            or any(items[i].kind == "drop" for i in after)
            or bool(following and items[following[0]].kind == "drop")
        )
        if closes:
            for i in indices:
                if i < first[0] and items[i].kind == "body":
                    claims[i] = [items[t] for t in first]
    return claims


def _title_groups(items: list[Item], indices: list[int]) -> list[list[int]]:
    """Runs of consecutive titles (noise between them allowed)."""
    groups: list[list[int]] = []
    current: list[int] = []
    for i in indices:
        kind = items[i].kind
        if kind == "title":
            current.append(i)
        elif kind != "drop" and current:
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


def _substantive(text: str) -> bool:
    """Real text, not a caption, a name under a quote or a label: a sentence, or a long run of text."""
    return (ends_sentence(text) and not CREDIT.search(text)) or width(text) >= 60
