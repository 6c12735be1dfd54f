"""Answerers turn a question and numbered passages into a draft with [n] markers; ``rag.cite`` then
enforces it. ``ExtractiveAnswerer`` (the default: no LLM, offline) quotes passage sentences verbatim.

Extractive selection. Units are the passages' sentences (whitespace-joined; sentences longer than
``LONG_SENTENCE`` split at "；"). A unit scores ``coverage(question terms, unit) + CONTEXT × coverage(terms,
its passage and title)`` (IDF-weighted key terms, ``rag.terms``), + ``TYPE_BONUS`` when it offers the kind
of answer asked for (a number with the asked unit, a date, a place: ``rag.qtype``), − a small penalty for
very long units. Then:
1. the best unit, if its term-coverage part reaches ``MIN_BEST`` (else the refusal sentence);
2. each part of a multi-part question ("…在哪里召开？采用了什么形式？", "2020年和2024年的年报分别…")
   not yet answered gets its own best unit (its key terms, plus the rest of the question's at
   ``BORROWED`` weight, + ``KEY_BONUS`` for the terms only this part has) when that scores ≥ ``MIN_PART``;
   a short elliptical part ("效果如何？") only takes a unit near what is already chosen;
3. neighbours the chosen units lean on: the previous sentence of one opening with "因此/这些/该…", and
   following sentences that refer back or share enough of the question (why-questions: the reasons).
At most ``max_answer_sentences``, shown in source order. Calibrated on the dev set's Chinese questions
plus hand-written probes (answerable and on-topic-unanswerable) over the shipped corpus.
Cross-lingual questions (English over a Chinese index, embedding model loaded) pick the units most similar
to the question instead (cosine ≥ ``MIN_DENSE_UNIT``).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from rag.cite import REFUSAL, strip_markers
from rag.converse import carried_terms
from rag.qtype import asks_number, asks_place, asks_time, asks_why, expected_unit, offers_answer
from rag.sentences import join_whitespace, sentence_spans
from rag.terms import Term, TermStats, coverage, question_terms, sub_questions
from rag.types import Lang, Passage, Turn

CONTEXT = 0.25
TYPE_BONUS = 0.25
MIN_DENSE_UNIT = 0.45
DENSE_MARGIN = 0.08
MIN_BEST = 0.35
PART_DONE = 0.8
KEEP_RATIO = 0.6
ELLIPTIC = 2  # a part with this many key terms or fewer leans on the rest of the question
MIN_PART = 0.35
WHY_FOLLOW = 0.2
KEY_BONUS = 0.5
FOLLOW = 0.35
BORROWED = 0.5
LENGTH_PENALTY = 0.1
LONG_UNIT = 100
LONG_SENTENCE = 120  # characters; longer sentences are split at "；" into parts of at least MIN_PART
MIN_PART_CHARS = 30
_LEANS = re.compile(r".{0,6}?(?:这些|这种|这项|这一|这个|此项|该)|(?:因此|因而|所以|由此|为此)")
_CONNECTIVE = re.compile(r"(?:因此|因而|所以|由此|为此|此外|另外|同时|然而|但是|但|而且|并且|这|此|该|其|它|他们|上述)")


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
    """A sentence (or part of one) of a passage, as shown."""

    passage: Passage
    start: int
    text: str
    score: float = 0.0


def passage_units(passage: Passage) -> list[Unit]:
    """Sentences of a passage (whitespace-joined, markers removed); long ones split at "；"."""
    text = join_whitespace(passage.chunk.text)
    units: list[Unit] = []
    for a, b in sentence_spans(text):
        sentence = text[a:b]
        pieces = _split_long(sentence) if len(sentence) > LONG_SENTENCE else [sentence]
        offset = a
        for piece in pieces:
            clean = strip_markers(piece).strip()
            if re.search(r"\w", clean):
                units.append(Unit(passage, offset, clean))
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

    def __init__(self, stats: TermStats, max_sentences: int = 4, embedder: Any = None) -> None:
        self.stats = stats
        self.max_sentences = max_sentences
        self.embedder = embedder

    def terms(self, question: str, history: Sequence[Turn] = ()) -> list[Term]:
        own = question_terms(question, self.stats)
        have = {t.text for t in own}
        return own + [t for t in carried_terms(question, history, self.stats) if t.text not in have]

    def _lexical(self, terms: Sequence[Term], units: Sequence[Unit]) -> list[float]:
        context = {id(u.passage): coverage(terms, f"{u.passage.chunk.title} {u.passage.chunk.text}") for u in units}
        return [coverage(terms, u.text) + CONTEXT * context[id(u.passage)] for u in units]

    def _scores(self, question: str, terms: Sequence[Term], units: Sequence[Unit]) -> list[float]:
        typed = has_type(question)
        return [lex + (TYPE_BONUS if typed and offers_answer(question, u.text) else 0.0)
                - LENGTH_PENALTY * max(0, len(u.text) - LONG_UNIT) / 100
                for lex, u in zip(self._lexical(terms, units), units, strict=True)]

    def score(self, question: str, passages: Sequence[Passage], history: Sequence[Turn] = ()) -> list[Unit]:
        """Every unit of ``passages`` (in passage order) with its score for the whole question."""
        units = [u for p in passages for u in passage_units(p)]
        for i, s in enumerate(self._scores(question, self.terms(question, history), units)):
            units[i].score = s
        return units

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

    def select(self, question: str, passages: Sequence[Passage], history: Sequence[Turn] = ()) -> list[Unit]:
        units = self.score(question, passages, history)
        if not units:
            return []
        best = max(units, key=lambda u: u.score)
        whole = self.terms(question, history)
        if self._lexical(whole, [best])[0] < MIN_BEST:
            return []
        chosen = [best]
        parts = sub_questions(question)
        own_terms = [question_terms(part, self.stats) for part in parts]
        for k, part in enumerate(parts if len(parts) > 1 else []):
            own = own_terms[k]
            if not own:
                continue
            others = {t.text for j, ts in enumerate(own_terms) if j != k for t in ts}
            key = [t for t in own if t.text not in others] or own  # what sets this part apart
            scores = [sc + KEY_BONUS * coverage(key, _titled(u))
                      for sc, u in zip(self._scores(part, part_terms(own, whole), units), units, strict=True)]
            i = max(range(len(units)), key=lambda j: scores[j])
            cand = units[i]
            done = coverage(key, " ".join(_titled(u) for u in chosen)) >= PART_DONE * coverage(key, _titled(cand))
            # a short, elliptical part ("效果如何？") only takes a sentence near what is already chosen
            near = (len(own) > ELLIPTIC or any(u.passage is cand.passage for u in chosen)
                    or cand.score >= KEEP_RATIO * best.score)
            if scores[i] >= MIN_PART and not done and near:
                chosen.append(cand)
        chosen += self._neighbours(question, chosen, units)
        return _source_order(list(dict.fromkeys(chosen))[: self.max_sentences], passages)

    def _neighbours(self, question: str, chosen: list[Unit], units: list[Unit]) -> list[Unit]:
        """Sentences the chosen ones lean on: the one before a sentence that opens with a connective or
        demonstrative ("因此，…", "这些指令…"); and up to two following ones in the same passage that continue
        it: they refer back ("限制这些温室气体…") or share ≥ ``FOLLOW`` of the question's terms (≥ ``WHY_FOLLOW``
        for a why-question, whose reasons tend to follow the sentence that matches it)."""
        index = {id(u): i for i, u in enumerate(units)}
        extra: list[Unit] = []
        for u in chosen:
            i = index[id(u)]
            if _CONNECTIVE.match(u.text) and i > 0 and units[i - 1].passage is u.passage:
                extra.append(units[i - 1])
        terms = self.terms(question)
        follow = WHY_FOLLOW if asks_why(question) else FOLLOW
        for u in chosen:
            i = index[id(u)]
            for nxt in units[i + 1 : i + 3]:
                if nxt.passage is not u.passage or nxt in chosen:
                    break
                leans = bool(_LEANS.match(nxt.text))
                if not (leans or coverage(terms, nxt.text) >= follow):
                    break
                extra.append(nxt)
        return extra

    def draft(self, question: str, passages: Sequence[Passage], lang: Lang, history: Sequence[Turn] = ()) -> str:
        if self.cross_lingual(question, lang):
            chosen = _source_order(self.select_by_similarity(question, passages), passages)
        else:
            chosen = self.select(question, passages, history)
        if not chosen:
            return REFUSAL["en" if lang == "en" else "zh"]
        return "\n".join(with_marker(u.text, u.passage.n) for u in chosen)


def _source_order(units: Sequence[Unit], passages: Sequence[Passage]) -> list[Unit]:
    """Units in the order of their documents' first appearance, then their place in the document."""
    first_seen = {p.chunk.doc: i for i, p in reversed(list(enumerate(passages)))}
    return sorted(units, key=lambda u: (first_seen[u.passage.chunk.doc], u.passage.chunk.char_start, u.start))


def _titled(unit: Unit) -> str:
    return f"{unit.passage.chunk.title} {unit.text}"


def part_terms(own: Sequence[Term], whole: Sequence[Term]) -> list[Term]:
    """A part's own terms plus the rest of the question's, scaled to ``BORROWED`` of the part's own weight
    (a part like "效果如何？" or "新规具体规定了什么？" is about what the rest of the question names)."""
    have = {t.text for t in own}
    borrowed = [t for t in whole if t.text not in have]
    total_own, total_borrowed = sum(t.weight for t in own), sum(t.weight for t in borrowed)
    if not total_own or not total_borrowed:
        return list(own)
    scale = BORROWED * total_own / total_borrowed
    return list(own) + [Term(t.text, t.weight * scale) for t in borrowed]


def has_type(question: str) -> bool:
    return bool(expected_unit(question) or asks_number(question) or asks_time(question) or asks_place(question))
