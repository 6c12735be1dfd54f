"""Answerers turn a question and numbered passages into a draft with [n] markers; ``rag.cite`` then
enforces it. ``ExtractiveAnswerer`` (the default: no LLM, offline) quotes passage sentences verbatim.

Units are the passages' sentences (whitespace-joined; sentences longer than ``LONG_SENTENCE`` split at
"；" into parts of at least ``MIN_PART_CHARS``); a sentence that is only a link or a document symbol
("1 www.unep.org/…", "UNEP/EA.6/INF/9。") is never a unit: it cannot answer anything.
Same-language questions, and English questions over Chinese text without an embedding model (through
their dictionary translation, ``rag.translate``): ``rag.select`` picks the units (scoring, the answer-type and novelty checks
that refuse restating sentences, multi-part questions, neighbours, lists). Cross-lingual
questions (English over a Chinese index, embedding model loaded) pick the units most similar to the
question instead (cosine ≥ ``MIN_DENSE_UNIT`` and within ``DENSE_MARGIN`` of the best).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from rag.cite import REFUSAL, strip_markers
from rag.converse import carried_terms, heuristic_query
from rag.sentences import join_whitespace, sentence_spans
from rag.terms import Term, TermStats, question_terms, strip_urls
from rag.types import Lang, Passage, Turn

MIN_DENSE_UNIT = 0.45
DENSE_MARGIN = 0.08
LONG_SENTENCE = 120  # characters; longer sentences are split at "；" into parts of at least MIN_PART_CHARS
MIN_PART_CHARS = 30
_DOMAIN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}(?:/[\x21-\x7e]*)?|<[^>]*>"
                     r"|(?<![A-Za-z0-9])[A-Z][A-Za-z]*(?:/[A-Za-z0-9.\-]+)+")  # links, tags, document symbols


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


@dataclass(eq=False)
class Unit:
    """A sentence (or part of one) of a passage, as shown. ``sentence`` numbers the passage's sentences
    (the parts of one split sentence share it)."""

    passage: Passage
    start: int
    text: str
    score: float = 0.0
    sentence: int = 0


def link_only(text: str) -> bool:
    """Nothing but links, document symbols ("UNEP/EA.6/INF/9"), a footnote number and punctuation
    ("1 www.unep.org/nitrogen-management-WG。")."""
    rest = _DOMAIN.sub("", strip_urls(text))
    return not re.search(r"[\u3400-\u9fff]|[A-Za-z]{3,}", rest)


def passage_units(passage: Passage) -> list[Unit]:
    """Sentences of a passage (whitespace-joined, markers removed); long ones split at "；"; links left out."""
    text = join_whitespace(passage.chunk.text)
    units: list[Unit] = []
    for k, (a, b) in enumerate(sentence_spans(text)):
        sentence = text[a:b]
        pieces = _split_long(sentence) if len(sentence) > LONG_SENTENCE else [sentence]
        offset = a
        for piece in pieces:
            clean = strip_markers(piece).strip()
            if re.search(r"\w", clean) and not link_only(clean):
                units.append(Unit(passage, offset, clean, sentence=k))
            offset += len(piece)
    return units


def _split_long(sentence: str) -> list[str]:
    parts = [p for p in re.split(r"(?<=[；;])", sentence) if p]
    merged: list[str] = []
    for p in parts:
        if merged and (len(merged[-1]) < MIN_PART_CHARS or len(p) < MIN_PART_CHARS):
            merged[-1] += p
        else:
            merged.append(p)
    return merged


def with_marker(text: str, n: int) -> str:
    """``text`` with "[n]" before its closing punctuation (or at the end)."""
    m = re.search(r"[。！？；.!?;：:，,]+[”’」』）)]*$", text)
    return f"{text[: m.start()]}[{n}]{text[m.start():]}" if m else f"{text}[{n}]"


class ExtractiveAnswerer(Answerer):
    """Quotes the passage sentences that best answer the question; cannot state anything not in them."""

    name = "extractive"

    def __init__(self, stats: TermStats, max_sentences: int = 4, embedder: Any = None, translator: Any = None) -> None:
        self.stats = stats
        self.max_sentences = max_sentences
        self.embedder = embedder
        self.translator = translator  # rag.translate.Translator: English questions without an embedder

    def terms(self, question: str, history: Sequence[Turn] = (), translated: bool = False) -> list[Term]:
        terms_of = self._terms_of(translated)
        own = terms_of(question)
        have = {t.text for t in own}
        carried = carried_terms(question, history, self.stats, (lambda q, _: terms_of(q)) if translated else None)
        return own + [t for t in carried if t.text not in have]

    def _terms_of(self, translated: bool) -> Callable[[str], list[Term]]:
        if translated:
            return self.translator.terms
        return lambda q: question_terms(q, self.stats)

    def translates(self, lang: Lang) -> bool:
        """An English question over a Chinese index, no embedding model: matched through the dictionary."""
        return (self.embedder is None and lang == "en" and self.stats.lang != "en" and self.translator is not None
                and self.translator.available)

    def cross_lingual(self, question: str, lang: Lang) -> bool:
        """An English question over a Chinese index: keywords cannot match, the embedding model must."""
        return self.embedder is not None and lang == "en" and self.stats.lang != "en"

    def select_by_similarity(self, question: str, passages: Sequence[Passage]) -> list[Unit]:
        """Cross-lingual selection: the units most similar to the question (cosine ≥ ``MIN_DENSE_UNIT`` and
        within ``DENSE_MARGIN`` of the best), in source order."""
        units = [u for p in passages for u in passage_units(p)]
        sims = self._similarities(question, units)
        if not sims or max(sims) < MIN_DENSE_UNIT:
            return []
        top = max(sims)
        ranked = sorted(range(len(units)), key=lambda i: -sims[i])
        chosen = [units[i] for i in ranked[: self.max_sentences] if sims[i] >= max(MIN_DENSE_UNIT, top - DENSE_MARGIN)]
        for u, i in zip(chosen, ranked, strict=False):
            u.score = sims[i]
        return chosen

    def _similarities(self, question: str, units: Sequence[Unit]) -> list[float]:
        if self.embedder is None or not units:
            return []
        q = self.embedder.embed_query(question)
        vecs = self.embedder.embed_documents([u.text for u in units])
        return [sum(a * b for a, b in zip(q, v, strict=False)) for v in vecs]

    def select(self, question: str, passages: Sequence[Passage], history: Sequence[Turn] = (),
               translated: bool = False) -> list[Unit]:
        """Same-language selection (``rag.select``); ``translated``: an English question's terms are its
        dictionary translation's, and the translation counts as already said (an answer must add to it)."""
        from rag.anchor_en import anchored
        from rag.qtype_en import slot_reader
        from rag.select import Selection

        units = [u for p in passages for u in passage_units(p)]
        query = heuristic_query(question, history)
        context = f"{query.carried} {query.context}".strip()  # what the conversation already said
        known = self.translator.translate(f"{question} {query.carried}").text() if translated else ""
        slot_of = slot_reader(self.translator) if translated else None  # English wording: rag.qtype_en
        selection = Selection(question, units, self.terms(question, history, translated), self.stats, context,
                              self._terms_of(translated), known, slot_of)
        chosen = selection.choose(self.max_sentences)
        if translated and not query.carried and not anchored(question, chosen, self.translator, self.stats):
            return []  # the quoted passages lack what the English question names (rag.anchor_en)
        return source_order(chosen, passages)

    def draft(self, question: str, passages: Sequence[Passage], lang: Lang, history: Sequence[Turn] = ()) -> str:
        if self.cross_lingual(question, lang):
            chosen = source_order(self.select_by_similarity(question, passages), passages)
        else:
            chosen = self.select(question, passages, history, self.translates(lang))
        if not chosen:
            return REFUSAL["en" if lang == "en" else "zh"]
        return "\n".join(with_marker(u.text, u.passage.n) for u in chosen)


def source_order(units: Sequence[Unit], passages: Sequence[Passage]) -> list[Unit]:
    """Units in the order of their documents' first appearance, then their place in the document."""
    first_seen = {p.chunk.doc: i for i, p in reversed(list(enumerate(passages)))}
    return sorted(units, key=lambda u: (first_seen[u.passage.chunk.doc], u.passage.chunk.char_start, u.start))
