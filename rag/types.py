"""Plain data that flows through citeqa: Document → Chunk → Passage → Answer.

Nothing here imports a heavy library; every other module exchanges these values.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Lang = Literal["zh", "en", "mixed"]


@dataclass(frozen=True)
class Chunk:
    """A piece of one source paragraph, true to the source file.

    ``char_start``/``char_end`` are offsets into the raw text of the source file *as loaded*
    (for a PDF: the page texts joined as ``ingest.load`` documents), so
    ``raw[char_start:char_end]`` equals ``text`` once whitespace is removed from both.
    """

    id: str
    doc: str  # file name, e.g. "000_7b030ac21b7d218f.txt"
    title: str
    section: str  # heading path, " > " joined; "" when none
    paragraph: int  # UN paragraph number, or a running index for unnumbered documents
    page: int | None  # 1-based PDF page; None for text files
    char_start: int
    char_end: int
    text: str
    kind: Literal["body", "footnote", "table"] = "body"  # table: figures/captions/lists, never quoted
    part: int = 0  # index of this piece when a long paragraph is split (0 for the first / only)
    numbered: bool = False  # True when ``paragraph`` is the document's own paragraph number
    # how an analyst names the document (from the corpus manifest; "" / 0 when unknown)
    symbol: str = ""  # UN document symbol, e.g. "UNEP/EA.6/8"
    short_title: str = ""  # short title in the document's language (default: ``title``)
    short_title_en: str = ""  # short English title
    year: int = 0
    notes: tuple[int, ...] = ()  # footnote numbers whose reference marks may sit in this chunk's text

    def __post_init__(self) -> None:
        if not isinstance(self.notes, tuple):  # e.g. a list read back from JSON
            object.__setattr__(self, "notes", tuple(int(n) for n in self.notes))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Passage:
    """A chunk as retrieved: its number ``n`` in the list the answerer sees (1-based), rank and score."""

    chunk: Chunk
    score: float
    n: int = 0
    rank: int = 0
    scores: dict[str, float] = field(default_factory=dict)  # per-retriever scores, e.g. {"bm25": .., "dense": ..}

    def to_dict(self, lang: Lang = "zh") -> dict[str, Any]:
        """JSON of the passage; ``cite`` names it as an analyst would, in ``lang`` ("UNEP/EA.6/8, para. 5")."""
        from rag.reference import cite_string

        c = self.chunk
        return {
            "n": self.n,
            "doc": c.doc,
            "title": c.title,
            "symbol": c.symbol,
            "cite": cite_string(c, lang),
            "section": c.section,
            "paragraph": c.paragraph,
            "page": c.page,
            "char_start": c.char_start,
            "char_end": c.char_end,
            "text": c.text,
            "score": round(float(self.score), 6),
        }


@dataclass
class Sentence:
    """One sentence of an answer and the passage numbers it cites (all verified)."""

    text: str
    citations: list[int]
    # cited passage n -> (start, end) of the quoted source span in that passage's chunk text, when known
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text, "citations": list(self.citations)}
        if self.spans:
            out["spans"] = {str(n): list(span) for n, span in self.spans.items()}
        return out


@dataclass
class Answer:
    """What a question gets. The UI and the eval read this and nothing else."""

    question: str
    language: Lang
    answer: str  # the text shown, with [n] markers
    refused: bool
    sentences: list[Sentence]
    passages: list[Passage]  # the cited passages (for a refusal: the closest ones, offered for checking)
    retrieved: list[Passage]  # everything retrieved, numbered as the answerer saw it
    mode: dict[str, str]  # {"retrieval": "hybrid"|"lexical", "answerer": "extractive"|"llm:<model>", "notice": ...}
    timings: dict[str, float]
    dropped: list[str] = field(default_factory=list)  # sentences removed as unsupported (never shown as fact)
    # the answer model's calibrated probability that the answer is right (refusals: that of the best candidate)
    confidence: float = 0.0
    # shown before the quotes when they miss what the question asks (a figure, a date, a year it names):
    # they are the closest the documents hold, not the answer (``rag.answering.constraints``); "" otherwise
    caveat: str = ""
    # the parts of a question in parts that the documents do not answer (the others are answered)
    unanswered: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "language": self.language,
            "answer": self.answer,
            "refused": self.refused,
            "sentences": [s.to_dict() for s in self.sentences],
            "passages": [p.to_dict(self.language) for p in self.passages],
            "retrieved": [p.to_dict(self.language) for p in self.retrieved],
            "mode": dict(self.mode),
            "timings": {k: round(v, 6) for k, v in self.timings.items()},
            "confidence": round(float(self.confidence), 6),
            "caveat": self.caveat,
            "unanswered": list(self.unanswered),
        }


@dataclass(frozen=True)
class Turn:
    role: Literal["user", "assistant"]
    content: str
