"""Refusal from retrieval: do the best passages hold what the question asks about?

Same-language questions: one of the top ``TOP`` passages must offer the kind of answer one part of the
question asks for, with something the question does not already say (``rag.supply``: "多少名联络人" needs
a new "75 名联络人", "哪个城市" a city the question does not name, "谁出资" a funder) AND cover that part's
key terms (``rag.terms``: IDF-weighted words, numbers, names, partial credit for paraphrases): coverage
≥ ``MIN_TYPED`` for a part asking for such a checkable kind (the offered answer is evidence too), else
≥ ``MIN_COVERAGE``. On-topic questions whose answer is absent usually fail the first test. Links are
removed from passages first (a URL matches English words); a passage is read with its document's title
("2020年…的报告" names the 2020 annual report); short forms the documents define are glossed
with their full forms (``rag.alias``: a "UNEA-6主席" caption covers "联合国环境大会第六届会议"); the words of
a name the question gives get no credit from a passage that lacks that name (``rag.names``: "环境基金" is
not covered by "全球环境基金").

Calibration (lexical-only, shipped corpus; the Chinese questions of dev + extra and four hand-written
probe sets: 159 answerable, many paraphrased; 101 on-topic unanswerable): every answerable question's
coverage ÷ its threshold is ≥ 1.1 (median 2.2); 60 of the unanswerable ones are refused here, 33 more by
the extractive answerer's sentence-level checks (``rag.select``), 8 are answered.

Cross-language questions (English over Chinese passages): keywords cannot match. In lexical-only mode
they are judged on their dictionary translation (``translated``, ``rag.translate``), and refused with the
reason (the embedding model is needed) when the dictionary renders too little of them; in hybrid mode the best
passage's dense similarity must be
≥ ``MIN_DENSE`` (a usual "same topic" cosine for multilingual bge-m3 / e5; not calibrated here: no such
model offline) and any number or Latin name in the question must occur in the top passages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rag.alias import gloss
from rag.converse import Query
from rag.lang import detect_language
from rag.names import blind
from rag.numbers import number_values
from rag.qtype import expected_slot
from rag.qtype_en import english_slot
from rag.supply import offers
from rag.terms import TermStats, coverage, norm, question_terms, strip_urls, sub_questions
from rag.types import Passage

TOP = 5
MIN_COVERAGE = 0.5
MIN_TYPED = 0.4
MIN_DENSE = 0.45
MIN_SHARE = 0.5  # share of an English question's concepts the dictionary must render (rag.translate)
MIN_FOUND = 2  # ...and at least this many of them
MIN_SUPPORT_EN = 1.0
CROSS_LINGUAL = "Cross-lingual search needs the embedding model; see README (CITEQA_EMBED_MODEL)."
_LATIN_NAME = re.compile(r"\b[A-Z][A-Za-z0-9\-]*[A-Z0-9][A-Za-z0-9\-]*\b")


@dataclass
class Verdict:
    answerable: bool
    reason: str = ""  # why not, for the notice ("" when answerable or nothing to add)
    coverage: float = 0.0


def best_coverage(question: str, passages: Sequence[Passage], stats: TermStats, typed: bool = False) -> float:
    """Max over the question's parts of the best single-passage coverage of that part's key terms;
    ``typed``: only passages offering the kind of answer the part asks for (``rag.supply``) count."""
    return max((cov for _, cov in _part_coverages(question, passages, stats, typed)), default=0.0)


def support(question: str, passages: Sequence[Passage], stats: TermStats, translator: Any = None) -> float:
    """Max over the question's parts of typed coverage ÷ the coverage that part needs (≥ 1: answerable):
    ``MIN_TYPED`` when the part asks for a checkable kind of answer the passage offers, else ``MIN_COVERAGE``.
    ``translator``: the question is English, its terms are its dictionary translation's (``rag.translate``)."""
    return max((cov / (MIN_TYPED if slot_typed else MIN_COVERAGE)
                for slot_typed, cov in _part_coverages(question, passages, stats, True, translator)), default=0.0)


def _part_coverages(question: str, passages: Sequence[Passage], stats: TermStats,
                    typed: bool, translator: Any = None) -> list[tuple[bool, float]]:
    texts = [(strip_urls(p.chunk.text), norm(gloss(f"{p.chunk.title} {strip_urls(p.chunk.text)}", stats)))
             for p in passages[:TOP]]
    out = []
    for part in sub_questions(question):
        terms = translator.terms(part) if translator is not None else question_terms(part, stats)
        known = translator.translate(part).text() if translator is not None else ""  # not new in an answer
        slot = expected_slot(part) if translator is None else english_slot(part, translator.render, translator.classifier)
        if not terms:
            continue
        best = 0.0
        for raw, text in texts:
            if not typed or offers(slot, part, raw, stats, known):
                have = terms if translator is not None else blind(terms, part, text, stats)
                best = max(best, coverage(have, text, normalised=True))
        out.append((typed and slot.typed, best))
    return out


def _numbers_missing(question: str, passages: Sequence[Passage]) -> bool:
    wanted = number_values(question, claim=True)
    if not wanted:
        return False
    have: set[float] = set()
    for p in passages[:TOP]:
        for values in number_values(p.chunk.text):
            have |= values
    return any(not (w & have) for w in wanted)


def judge(query: Query, passages: Sequence[Passage], stats: TermStats, lang: str, mode: str,
          reliability: Any = None, translator: Any = None) -> Verdict:
    """Can ``passages`` answer the question? ``reliability``: unused (kept for callers); ``translator``
    (``rag.translate.Translator``): English questions in lexical-only mode are judged through it."""
    if not passages:
        return Verdict(False, CROSS_LINGUAL if lang == "en" and mode == "lexical" else "")
    cross = lang == "en" and stats.lang != "en"
    english = [p for p in passages[:TOP] if _english_text(p.chunk.text)]
    if cross and english and best_coverage(query.question, english, stats) >= MIN_COVERAGE:
        cross = False  # English passages in a mostly Chinese index answer it as they are
    if cross:
        if mode == "lexical":
            return translated(query, passages, stats, translator)
        dense = max((p.scores.get("dense", 0.0) for p in passages[:TOP]), default=0.0)
        names = [n.lower() for n in _LATIN_NAME.findall(query.question)]
        text = " ".join(p.chunk.text for p in passages[:TOP]).lower()
        if dense < MIN_DENSE or any(n not in text for n in names) or _numbers_missing(query.question, passages):
            return Verdict(False, "", dense)
        return Verdict(True, "", dense)
    ratio = support(query.question, passages, stats)
    if query.carried:
        ratio = max(ratio, support(query.text, passages, stats))
    return Verdict(ratio >= 1.0, "", ratio * MIN_COVERAGE)


def translated(query: Query, passages: Sequence[Passage], stats: TermStats, translator: Any) -> Verdict:
    """An English question over Chinese passages, lexical-only: refused with ``CROSS_LINGUAL`` when the
    dictionary renders less than ``MIN_SHARE`` of its concepts (or none); else judged like a Chinese
    question on its translated terms — support ≥ ``MIN_SUPPORT_EN`` (stricter than 1: a dictionary's
    renderings of common words match more loosely than a question's own words)."""
    if translator is None or not translator.available:
        return Verdict(False, CROSS_LINGUAL)
    tr = translator.translate(query.text if query.carried else query.question)
    if len(tr.found) < MIN_FOUND or tr.share() < MIN_SHARE:
        return Verdict(False, CROSS_LINGUAL)
    ratio = support(query.question, passages, stats, translator)
    if query.carried:
        ratio = max(ratio, support(query.text, passages, stats, translator))
    return Verdict(ratio >= MIN_SUPPORT_EN, "", ratio * MIN_COVERAGE)


def _english_text(text: str) -> bool:
    """English prose (not a link: the "English" chunks of a Chinese report are footnotes holding a URL)."""
    from rag.answer import link_only

    return not link_only(text) and detect_language(strip_urls(text)) == "en"
