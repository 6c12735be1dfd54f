"""The `Answerer` interface: turns a question and numbered passages into a draft with [n] markers.
``rag.cite`` enforces every draft; the extractive answerer quotes verbatim and records its spans."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence

from rag.types import Lang, Passage, Turn


class Answerer(ABC):
    """Drafts an answer from numbered passages. Citations are checked afterwards by ``rag.cite``."""

    name: str = "answerer"
    streams: bool = False  # True when ``stream`` yields real deltas (partial answers are worth showing)

    @abstractmethod
    def draft(self, question: str, passages: Sequence[Passage], lang: Lang, history: Sequence[Turn] = ()) -> str:
        """Answer text with [n] markers after each sentence (n = ``Passage.n``)."""

    def stream(self, question: str, passages: Sequence[Passage], lang: Lang,
               history: Sequence[Turn] = ()) -> Iterator[str]:
        """Text deltas of the draft; the default yields the whole draft at once."""
        yield self.draft(question, passages, lang, history)

    def retry(self, question: str, passages: Sequence[Passage], lang: Lang, history: Sequence[Turn],
              previous: str, problems: Sequence[str]) -> str | None:
        """A corrected draft after enforcement dropped ``problems``; None when the answerer cannot retry."""
        return None
