"""The question → answer chain: check the question, make it standalone, retrieve, decide whether the
passages can answer, draft, enforce citations (retry once for an LLM), and package one ``Answer``.

``ask`` returns the final answer; ``ask_stream`` yields partial answers while an LLM streams (their
text is the raw draft, not yet checked: ``sentences`` is empty) and then the final, enforced one.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace

from rag import evidence
from rag.answer import Answerer
from rag.cite import REFUSAL, Enforced, Support, enforce, render
from rag.components import Components, refresh
from rag.converse import Query, as_turns, standalone_query
from rag.lang import detect_language
from rag.ordinal import resolve_last
from rag.params import load_params
from rag.types import Answer, Lang, Passage, Turn

log = logging.getLogger(__name__)
OFFERED = 3  # passages offered for checking with a refusal
AS_ASKED_WEIGHT = 0.5  # weight of the question-as-asked ranking fused with a follow-up's standalone one
EMPTY_QUESTION = "请输入一个问题。Please type a question."
CROSS_LINGUAL_LEAD = "No Chinese passage could be matched to this English question in lexical-only mode."
ZH_QUOTE_NOTICE = "The documents are in Chinese; these sentences are quoted from them:"
DICTIONARY_NOTICE = ("English question matched to the Chinese text through a dictionary (CC-CEDICT); "
                     "quotes are in Chinese.")


def _dictionary_matched(components: Components, lang: Lang) -> bool:
    """An English question over a Chinese index in lexical-only mode: retrieval and answer went through the
    bilingual dictionary (``rag.translate``)."""
    t = components.translator
    return (lang == "en" and components.mode == "lexical" and components.stats.lang != "en" and t is not None
            and t.available)


def reply_language(question: str, lang: Lang) -> str:
    """The language to answer in: English for English (and English-led mixed) questions, else Chinese."""
    if lang == "en" or (lang == "mixed" and re.match(r"\s*[A-Za-z]", question)):
        return "en"
    return "zh"


def too_long(n: int, limit: int, rl: str) -> str:
    if rl == "en":
        return f"The question is too long ({n} characters); please shorten it to at most {limit} characters."
    return f"问题太长（{n} 个字符），请缩短到 {limit} 个字符以内。"


class _Run:
    """One question's state while it is answered (timings, notices, mode)."""

    def __init__(self, question: str, components: Components, history: Sequence[Turn]) -> None:
        self.t0 = time.perf_counter()
        self.c = components
        self.question = question
        self.asked = question  # what is answered: "最后一次会议" made "第五次会议" (rag.ordinal)
        self.history = history
        self.lang: Lang = detect_language(question)
        self.rl = reply_language(question, self.lang)
        self.notices: list[str] = list(components.notices)
        self.timings: dict[str, float] = {"retrieve_s": 0.0, "answer_s": 0.0}
        self.retrieved: list[Passage] = []
        self.answerer_name = components.answerer.name

    def mode(self) -> dict[str, str]:
        return {"retrieval": self.c.mode, "label": self.c.retriever.label, "answerer": self.answerer_name,
                "notice": " ".join(dict.fromkeys(self.notices))}

    def answer(self, text: str, refused: bool, enforced: Enforced | None = None, final: bool = True) -> Answer:
        timings = dict(self.timings, total_s=time.perf_counter() - self.t0)
        sentences = enforced.sentences if enforced and final and not refused else []
        cited = {n for s in sentences for n in s.citations}
        passages = [p for p in self.retrieved if p.n in cited] if sentences else self.retrieved[:OFFERED]
        return Answer(self.question, self.lang, text, refused, sentences, passages if final else [],
                      self.retrieved, self.mode(), timings, list(enforced.dropped) if enforced else [])

    def refusal(self, reason: str = "", enforced: Enforced | None = None, lead: str | None = None) -> Answer:
        """A refused answer: the refusal sentence (or ``lead``), then ``reason``; closest passages offered.
        The reason is said once, in the answer (``mode["notice"]`` keeps the standing notices)."""
        if lead is None:
            lead = CROSS_LINGUAL_LEAD if reason == evidence.CROSS_LINGUAL else REFUSAL[self.rl]
        return self.answer(" ".join(x for x in (lead, reason) if x), True, enforced)


def _draft(run: _Run, answerer: Answerer, stream: bool) -> Iterator[str]:
    """Text deltas (stream) or the whole draft; falls back to the extractive answerer if the LLM fails."""
    from rag.llm import LLMError

    c = run.c
    q = run.asked
    try:
        if stream:
            yield from answerer.stream(q, run.retrieved, run.lang, run.history)
        else:
            yield answerer.draft(q, run.retrieved, run.lang, run.history)
    except LLMError as exc:
        log.warning("%s", exc)
        if c.extractive is None or answerer is c.extractive:
            raise
        run.notices.append(f"{exc}; showing an extractive answer instead.")
        run.answerer_name = c.extractive.name
        yield "\x00"  # marks a restart: what was streamed so far is discarded
        yield c.extractive.draft(q, run.retrieved, run.lang, run.history)


def _run(question: str, components: Components, history: Sequence[Turn], k: int | None,
         stream: bool) -> Iterator[Answer]:
    # Turns are cut to the question limit: a refused 100k-character question in the history would
    # otherwise make every follow-up take minutes (jieba over the carried text).
    cap = components.settings.max_question_chars
    history = [t if len(t.content) <= cap else Turn(t.role, t.content[:cap]) for t in as_turns(history)]
    run = _Run(question, components, history)
    text = question.strip()
    if not re.search(r"\w", text):
        run.notices.append("Empty question.")
        yield run.answer(EMPTY_QUESTION, True)
        return
    limit = components.settings.max_question_chars
    if len(text) > limit:
        yield run.refusal(too_long(len(text), limit, run.rl), lead="")
        return
    refresh(components)
    answerer = components.answerer
    run.answerer_name = answerer.name
    t = time.perf_counter()
    query = standalone_query(text, history, answerer)
    run.retrieved = retrieve(components, query, k or components.settings.top_k, run.lang)
    run.timings["retrieve_s"] = time.perf_counter() - t
    if not run.retrieved and components.store.version() is None:
        yield run.refusal("The index is empty — run `citeqa ingest` first.")
        return
    if run.lang != "en":
        run.asked = resolve_last(text, run.retrieved)
        query = replace(query, question=run.asked)
    verdict = evidence.judge(query, run.retrieved, components.stats, run.lang, components.mode,
                             None, components.translator)
    if _dictionary_matched(components, run.lang) and verdict.reason != evidence.CROSS_LINGUAL:
        run.notices.append(DICTIONARY_NOTICE)
    if not verdict.answerable:
        yield run.refusal(verdict.reason)
        return
    t = time.perf_counter()
    stream = stream and answerer.streams
    support = Support(_similarity(components))
    draft = ""
    for delta in _draft(run, answerer, stream):
        draft = "" if delta == "\x00" else draft + delta
        if stream and delta != "\x00":
            run.timings["answer_s"] = time.perf_counter() - t
            yield run.answer(draft, False, final=False)
    enforced = enforce(draft, run.retrieved, support)
    if run.answerer_name == answerer.name and (enforced.dropped or not (enforced.sentences or enforced.refusal)):
        enforced = _retry(run, answerer, draft, enforced, support)
    run.timings["answer_s"] = time.perf_counter() - t
    if not enforced.sentences:
        yield run.refusal("", enforced)
        return
    shown = render(enforced.sentences)
    if run.rl == "en" and run.answerer_name == "extractive":
        shown = f"{ZH_QUOTE_NOTICE}\n{shown}"
    yield run.answer(shown, False, enforced)


def retrieve(components: Components, query: Query, k: int, lang: Lang) -> list[Passage]:
    """The passages for ``query``: for a follow-up made standalone, the rankings of the standalone query and
    of the question as asked fused (``AS_ASKED_WEIGHT``): the carried terms find the topic, the question's
    own words what it asks now. Chinese queries also carry the short forms the documents define for the
    full names they hold (``rag.alias``: "联合国环境大会第六届会议" → "UNEA-6", found in name captions), and the ranking of the
    query with those full forms abbreviated is fused in."""
    from rag.alias import abbreviate, expand
    from rag.docref import scoped, titles_of
    from rag.index.fusion import rrf
    from rag.index.retrieve import number

    text = expand(query.text, components.stats) if lang != "en" else query.text
    first = components.retriever.retrieve(text, k, lang)
    short = abbreviate(query.text, components.stats) if lang != "en" else ""
    if short:
        extra = components.retriever.retrieve(short, k, lang)
        by_id = {p.chunk.id: p for p in extra + first}
        fused = rrf([[p.chunk.id for p in first], [p.chunk.id for p in extra]], [1.0, 1.0], load_params().fusion.rrf_k(lang))
        first = number([by_id[cid] for cid, _ in fused][:k])
    if lang != "en":  # a part naming its source document ("2024年年报…") is also searched inside it (rag.docref)
        first = scoped(lambda t: components.retriever.retrieve(t, components.settings.candidates, lang), query.text,
                       first, titles_of(getattr(components.lexical, "chunks", [])), k, load_params().fusion.rrf_k(lang))
    if query.text.strip() == query.question.strip():
        return first
    second = components.retriever.retrieve(query.question, k, lang)
    by_id = {p.chunk.id: p for p in second + first}
    fused = rrf([[p.chunk.id for p in first], [p.chunk.id for p in second]], [1.0, AS_ASKED_WEIGHT],
                load_params().fusion.rrf_k(lang))
    return number([by_id[cid] for cid, _ in fused][:k])


def _retry(run: _Run, answerer: Answerer, draft: str, first: Enforced, support: Support) -> Enforced:
    """One corrective round for answerers that can retry; the better enforced result wins."""
    from rag.llm import LLMError

    problems = first.dropped or [draft.strip()[:300]]
    try:
        redraft = answerer.retry(run.asked, run.retrieved, run.lang, run.history, draft, problems)
    except LLMError as exc:
        run.notices.append(str(exc))
        return first
    if redraft is None:
        return first
    second = enforce(redraft, run.retrieved, support)
    dropped = list(dict.fromkeys(first.dropped + second.dropped))
    best = second if second.sentences or not first.sentences else first
    return Enforced(best.sentences, dropped, best.refusal)


def _similarity(components: Components):  # type: ignore[no-untyped-def]
    embedder = components.retriever.embedder if hasattr(components.retriever, "embedder") else None
    if embedder is None:
        return None

    def cosine(a: str, b: str) -> float:
        qa = embedder.embed_query(a)
        db = embedder.embed_documents([b])[0]
        return float(sum(x * y for x, y in zip(qa, db, strict=False)))

    return cosine


def ask(question: str, components: Components, history: Sequence[Turn] = (), k: int | None = None) -> Answer:
    """Answer ``question`` from the indexed documents (``history``: earlier turns, for follow-ups)."""
    answers = list(_run(question, components, history, k, stream=False))
    return answers[-1]


def ask_stream(question: str, components: Components, history: Sequence[Turn] = (),
               k: int | None = None) -> Iterator[Answer]:
    """Partial answers while the answerer streams, then the final enforced answer (the last one yielded)."""
    yield from _run(question, components, history, k, stream=True)
