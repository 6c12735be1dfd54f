"""Relevance by source span: which retrieved or cited passage holds which gold evidence string.

Each evidence string is located in its document's raw text by whitespace-insensitive search and mapped
back to raw offsets. A passage — any span ``(doc, char_start, char_end)`` of a raw text, whoever produced
it — is relevant to an evidence string when it covers at least ``MIN_COVER`` (80 %) of the evidence's
span. Coverage counts non-whitespace characters, so a passage boundary falling on a line break or on
blank lines inside the evidence does not change the verdict.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

MIN_COVER = 0.8


@dataclass(frozen=True)
class Span:
    doc: str
    start: int
    end: int


@dataclass
class DocText:
    """A raw text with its whitespace-free view and the map from that view back to raw offsets."""

    raw: str
    squeezed: str = field(init=False)
    offsets: list[int] = field(init=False)  # offsets[i] = raw offset of squeezed[i]

    def __post_init__(self) -> None:
        self.offsets = [i for i, ch in enumerate(self.raw) if not ch.isspace()]
        self.squeezed = "".join(self.raw[i] for i in self.offsets)

    def find_all(self, text: str) -> list[tuple[int, int]]:
        """Raw ``(start, end)`` of every whitespace-insensitive occurrence of ``text``."""
        needle = squeeze(text)
        if not needle:
            return []
        found, at = [], self.squeezed.find(needle)
        while at >= 0:
            found.append((self.offsets[at], self.offsets[at + len(needle) - 1] + 1))
            at = self.squeezed.find(needle, at + 1)
        return found

    def solid(self, start: int, end: int) -> int:
        """Number of non-whitespace characters in ``raw[start:end]``."""
        if end <= start:
            return 0
        return bisect.bisect_left(self.offsets, end) - bisect.bisect_left(self.offsets, start)


def squeeze(text: str) -> str:
    return "".join(text.split())


def locate(evidence: str, raw: str) -> tuple[int, int] | None:
    """Raw offsets of the first whitespace-insensitive occurrence of ``evidence`` in ``raw``, or None."""
    found = DocText(raw).find_all(evidence)
    return found[0] if found else None


def coverage(passage: Span, evidence: Span, text: DocText) -> float:
    """Share of the evidence's non-whitespace characters that lie inside the passage's span."""
    if passage.doc != evidence.doc:
        return 0.0
    total = text.solid(evidence.start, evidence.end)
    if total == 0:
        return 0.0
    inside = text.solid(max(passage.start, evidence.start), min(passage.end, evidence.end))
    return inside / total


@dataclass
class GoldItem:
    """An item's evidence located: ``spans[i]`` are the occurrences of evidence string ``i``."""

    spans: list[list[Span]]
    missing: list[str]  # evidence strings found in none of the item's documents

    @property
    def n(self) -> int:
        return len(self.spans)


class Relevance:
    """Locates evidence in the raw texts of the documents and judges passages against it."""

    def __init__(self, raws: Mapping[str, str], min_cover: float = MIN_COVER) -> None:
        self.texts = {doc: DocText(raw) for doc, raw in raws.items()}
        self.min_cover = min_cover

    def gold(self, docs: Sequence[str], evidence: Sequence[str]) -> GoldItem:
        """Locate each evidence string in the item's documents (all documents when none are named)."""
        names = [d for d in docs if d in self.texts] or (list(self.texts) if not docs else [])
        spans: list[list[Span]] = []
        missing: list[str] = []
        for ev in evidence:
            found = [Span(d, s, e) for d in names for s, e in self.texts[d].find_all(ev)]
            if not found:
                missing.append(ev)
            spans.append(found)
        return GoldItem(spans=spans, missing=missing)

    def covered(self, passage: Span, gold: GoldItem) -> set[int]:
        """Indices of the evidence strings this passage is relevant to."""
        text = self.texts.get(passage.doc)
        if text is None:
            return set()
        return {
            i
            for i, occurrences in enumerate(gold.spans)
            if any(coverage(passage, ev, text) >= self.min_cover for ev in occurrences)
        }

    def judge(self, passages: Iterable[Span], gold: GoldItem) -> list[set[int]]:
        """For a ranked list of passages: the evidence indices each one covers."""
        return [self.covered(p, gold) for p in passages]
