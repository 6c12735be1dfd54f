"""Candidate answers: the sentences of the retrieved passages, each with its offsets in the passage's chunk
text, as clean quotes (``rag.quote``).

Table-like chunks are never candidates (they stay retrievable and shown as sources); neither is a piece with
fewer than ``MIN_WORD_CHARS`` word characters (a link, a page number). A footnote's sentences are candidates
like a paragraph's (UN reports state facts in footnotes; the quote is cited as the footnote).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.quote import quote_of
from rag.sentences import join_whitespace, sentence_spans
from rag.types import Passage

MIN_WORD_CHARS = 4
_WORD_CHAR = re.compile(r"[\w\u3400-\u9fff]")
_LINK = re.compile(r"https?://\S+|www\.\S+")


@dataclass(eq=False)
class Candidate:
    """A sentence of one retrieved passage."""

    passage: Passage
    start: int  # the quoted source span in passage.chunk.text
    end: int
    text: str  # as shown: the clean quote (``rag.quote``), whitespace joined
    index: int  # sentence number within the passage
    sentences: int  # sentences in the passage

    @property
    def context(self) -> str:
        """The sentence before this one (or "") and this one: what a pronoun here may refer to."""
        spans = sentence_spans(self.passage.chunk.text)
        before = spans[self.index - 1] if self.index > 0 else None
        start = before[0] if before else self.start
        return join_whitespace(self.passage.chunk.text[start:self.end])


def quotable(text: str) -> bool:
    return len(_WORD_CHAR.findall(_LINK.sub("", text))) >= MIN_WORD_CHARS


def passage_candidates(passage: Passage) -> list[Candidate]:
    chunk = passage.chunk
    if chunk.kind == "table":
        return []
    spans = sentence_spans(chunk.text)
    out: list[Candidate] = []
    for i, (a, b) in enumerate(spans):
        opens_note = chunk.kind == "footnote" and i == 0 and chunk.part == 0
        # paragraph numbers and footnote marks dropped (a footnote's own number too)
        quote = quote_of(chunk.text, a, b, chunk.notes, footnote=chunk.paragraph if opens_note else None)
        text = join_whitespace(quote.text)
        if quotable(text):
            out.append(Candidate(passage, quote.start, quote.end, text, i, len(spans)))
    return out


def candidates(passages: Sequence[Passage], top: int) -> list[Candidate]:
    """Candidates from the ``top`` best passages, in passage order."""
    return [c for p in passages[:top] for c in passage_candidates(p)]
