"""Which part of a cited passage supports an answer, and what a refusal's closest passages were about.

Pure functions over ``rag.types`` values, shared by the Sources panel, the CLI and the Markdown export.
The answerer records the source span each sentence quotes (``Sentence.spans``); for answers without one,
``supporting_spans`` finds the passage sentence that shares most of the claim (display only).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.quote import clean_quote
from rag.renumber import MARKER_RE
from rag.sentences import sentence_spans
from rag.types import Answer, Passage


def strip_markers(text: str) -> str:
    return MARKER_RE.sub("", text).strip()


_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")


def _numbers(text: str) -> set[str]:
    return {m.replace(",", "") for m in _NUMBER_RE.findall(text)}


def _bigrams(text: str) -> set[str]:
    s = re.sub(r"\s+", "", text.lower())
    return {s[i : i + 2] for i in range(len(s) - 1)} if len(s) > 1 else {s}


_CLAUSE_END = re.compile(r"[；;]")


def clause_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans, cut again after each "；" (the unit an answer sentence usually quotes)."""
    out: list[tuple[int, int]] = []
    for a, b in sentence_spans(text):
        start = a
        for m in _CLAUSE_END.finditer(text, a, b):
            if text[start : m.end()].strip():
                out.append((start, m.end()))
            start = m.end()
        if text[start:b].strip():
            out.append((start, b))
    trimmed = []
    for a, b in out:
        while a < b and text[a].isspace():
            a += 1
        trimmed.append((a, b))
    return trimmed


def supporting_spans(text: str, claims: Sequence[str], min_overlap: float = 0.5) -> list[tuple[int, int]]:
    """Spans of ``text`` to highlight: for each claim, the passage sentence that shares most of it.

    Display only — which passages support which sentence was decided by ``rag.cite``; this merely finds
    the sentence to mark (a claim copied from the passage matches fully; a paraphrase needs half its
    character pairs; failing that — e.g. an English claim on a Chinese passage — the one sentence sharing
    most of the claim's numbers).
    """
    spans = clause_spans(text)
    chosen: set[tuple[int, int]] = set()
    for claim in claims:
        grams = _bigrams(strip_markers(claim))
        if not grams or not spans:
            continue
        scored = [(len(grams & _bigrams(text[a:b])) / len(grams), (a, b)) for a, b in spans]
        best, span = max(scored, key=lambda x: x[0])
        if best >= min_overlap:
            chosen.add(span)
            continue
        nums = _numbers(strip_markers(claim))
        shared = [(len(nums & _numbers(text[a:b])), (a, b)) for a, b in spans] if nums else []
        top = max((x[0] for x in shared), default=0)
        winners = [sp for cnt, sp in shared if cnt == top]
        if top > 0 and len(winners) == 1:
            chosen.add(winners[0])
    return sorted(chosen)


def claims_for(answer: Answer, n: int) -> list[str]:
    return [s.text for s in answer.sentences if n in s.citations]


def cited_spans(answer: Answer, passage: Passage) -> list[tuple[int, int]]:
    """Spans of ``passage.chunk.text`` that the answer's sentences citing it rest on: the spans the answerer
    recorded, else the sentences found by ``supporting_spans``."""
    text = passage.chunk.text
    recorded = sorted({s.spans[passage.n] for s in answer.sentences
                       if passage.n in s.citations and passage.n in s.spans})
    spans = [(max(0, a), min(len(text), b)) for a, b in recorded if 0 <= a < b]
    return _merge(spans) if spans else supporting_spans(text, claims_for(answer, passage.n))


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(b, out[-1][1]))
        else:
            out.append((a, b))
    return out


def supporting_quote(answer: Answer, passage: Passage) -> str:
    """The cited source sentence(s) of ``passage``, cleaned of footnote marks and opening paragraph numbers
    (the whole passage, cleaned, when no sentence can be singled out)."""
    chunk = passage.chunk
    spans = cited_spans(answer, passage) or [(0, len(chunk.text))]
    own = chunk.paragraph if chunk.numbered else None
    parts = [clean_quote(chunk.text[a:b], chunk.notes, own)[0].strip() for a, b in spans]
    return " … ".join(p for p in parts if p)


def passage_topic(passage: Passage, lang: str) -> str:
    """What a passage is about, in a few words: its document's title and its section."""
    c = passage.chunk
    title = (c.short_title_en if lang == "en" else "") or c.title or c.doc
    section = c.section.split(" > ")[-1].strip() if c.section else ""
    if lang == "en":
        return f"{title} ({section})" if section else title
    return f"《{title}》{section}" if section else f"《{title}》"


def unanswered_note(answer: Answer) -> str:
    """In the question's language: the parts of the question whose answer the model could not confirm in the
    quotes (refused, or quotes lacking what the part asks), "" for none. Not "the documents do not say": the
    quotes for another part may hold it, so the reader is sent to check them."""
    if answer.refused or not answer.unanswered:
        return ""
    if answer.language == "en":
        return f"No confirmed answer to: {' '.join(answer.unanswered)} (check the cited passages)."
    return f"以下部分未能确认答案（请核查所引段落）：{''.join(answer.unanswered)}"


def closest_note(answer: Answer, limit: int = 3) -> str:
    """In the question's language: what the closest passages (offered under Sources) were about — their
    titles and sections; "" when none were found."""
    lang = "en" if answer.language == "en" else "zh"
    topics: list[str] = []
    for p in answer.passages:
        topic = passage_topic(p, lang)
        if topic not in topics:
            topics.append(topic)
    if not topics:
        return ""
    if lang == "en":
        return f"The closest passages, listed under Sources for checking, are about: {'; '.join(topics[:limit])}."
    return f"最接近的段落（列在“来源”中供核查）涉及：{'；'.join(topics[:limit])}。"


def refusal_note(answer: Answer) -> str:
    """A refusal in the question's language, with what the closest passages were about."""
    base = "The documents do not answer this." if answer.language == "en" else "文档中没有找到答案。"
    return f"{base} {closest_note(answer)}".strip() if answer.language == "en" else base + closest_note(answer)
