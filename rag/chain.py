"""The question → answer chain: check the question, parse it once (``rag.answering.question``), retrieve,
rank the candidate answers and judge answerability (``rag.answering.model``), answer (quoting the ranked
candidates, or drafting with an LLM whose draft ``rag.cite`` enforces, with one corrective retry), and
package one ``Answer`` with its confidence.

``ask`` returns the final answer; ``ask_stream`` yields partial answers while an LLM streams (their text is
the raw draft, not yet checked: ``sentences`` is empty) and then the final, enforced one.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace

from rag.answering.base import Answerer
from rag.answering.constraints import caveat, refuses, unmet
from rag.answering.extractive import ExtractiveAnswerer
from rag.answering.model import Ranking, agreed
from rag.answering.question import Kind, Question, parse_question
from rag.cite import REFUSAL, Enforced, Support, enforce, render
from rag.components import Components, refresh
from rag.index.fusion import rrf
from rag.index.retrieve import number
from rag.params import load_params
from rag.renumber import renumber
from rag.types import Answer, Passage, Turn

log = logging.getLogger(__name__)
OFFERED = 3  # passages offered for checking with a refusal
EMPTY_QUESTION = "请输入一个问题。Please type a question."
ZH_QUOTE_NOTICE = "The documents are in Chinese; these sentences are quoted from them:"


def too_long(n: int, limit: int, rl: str) -> str:
    if rl == "en":
        return f"The question is too long ({n} characters); please shorten it to at most {limit} characters."
    return f"问题太长（{n} 个字符），请缩短到 {limit} 个字符以内。"


def as_turns(history: Sequence[Turn | dict[str, str]]) -> list[Turn]:
    """Earlier turns as `Turn`s; anything but a user or assistant turn with text is rejected."""
    turns: list[Turn] = []
    for t in history:
        role, content = (t.role, t.content) if isinstance(t, Turn) else (t.get("role"), t.get("content"))
        if role not in ("user", "assistant"):
            raise ValueError(f"history: role must be 'user' or 'assistant', got {role!r}")
        if not isinstance(content, str):
            raise ValueError(f"history: content must be text, got {type(content).__name__}")
        turns.append(t if isinstance(t, Turn) else Turn(role, content))
    return turns


class _Run:
    """One question's state while it is answered (timings, notices, mode)."""

    def __init__(self, question: Question, components: Components) -> None:
        self.t0 = time.perf_counter()
        self.c = components
        self.q = question
        self.notices: list[str] = list(components.notices)
        self.timings: dict[str, float] = {"retrieve_s": 0.0, "answer_s": 0.0}
        self.retrieved: list[Passage] = []
        self.answerer_name = components.answerer.name
        self.confidence = 0.0

    def mode(self) -> dict[str, str]:
        return {"retrieval": self.c.mode, "label": self.c.retriever.label, "answerer": self.answerer_name,
                "notice": " ".join(dict.fromkeys(self.notices))}

    def answer(self, text: str, refused: bool, enforced: Enforced | None = None, final: bool = True,
               note: str = "", unanswered: Sequence[str] = ()) -> Answer:
        """The answer as shown; ``note``: the caveat that opens it (``Answer.caveat``), "" for none;
        ``unanswered``: the question's parts it leaves unanswered (``Answer.unanswered``)."""
        timings = dict(self.timings, total_s=time.perf_counter() - self.t0)
        sentences = enforced.sentences if enforced and final and not refused else []
        cited = {n for s in sentences for n in s.citations}
        passages = [p for p in self.retrieved if p.n in cited] if sentences else self.retrieved[:OFFERED]
        answer = Answer(self.q.text, self.q.lang, text, refused, sentences, passages if final else [],
                        self.retrieved, self.mode(), timings, list(enforced.dropped) if enforced else [],
                        self.confidence, note, list(unanswered) if final and not refused else [])
        return renumber(answer) if final else answer  # citations numbered [1], [2], … as they first appear

    def refusal(self, reason: str = "", enforced: Enforced | None = None, lead: str | None = None) -> Answer:
        """A refused answer: the refusal sentence (or ``lead``), then ``reason``; closest passages offered."""
        lead = REFUSAL[self.q.reply_lang] if lead is None else lead
        return self.answer(" ".join(x for x in (lead, reason) if x), True, enforced)


def retrieve(components: Components, question: Question, k: int) -> list[Passage]:
    """The passages for ``question`` read with what it carries from the conversation (``with_conversation``);
    without a conversation, the question's own passages."""
    own = components.retriever.retrieve(question.text, k, question.lang)
    return with_conversation(components, question, own, k) if question.carried else own


def with_conversation(components: Components, question: Question, own: list[Passage], k: int) -> list[Passage]:
    """The ranking of the question with the earlier exchange (finds the topic) fused with ``own``, that of the
    question as asked (what it asks now). New passage objects: ``own`` keeps its numbering."""
    first = components.retriever.retrieve(question.search_text, k, question.lang)
    by_id = {p.chunk.id: p for p in first + own}  # a passage both find keeps its scores for the question as asked
    params = load_params()
    fused = rrf([[p.chunk.id for p in first], [p.chunk.id for p in own]], [params.answer.carried_weight, 1.0],
                params.fusion.rrf_k(question.lang))
    return number([replace(by_id[cid]) for cid, _ in fused][:k])


def read(components: Components, question: Question, k: int) -> tuple[list[Passage], Ranking]:
    """The passages and the answer model's ranking for ``question``. A question asked in a conversation is
    read with what it carries (``with_conversation``: the conversation's passages fused with its own) and
    also alone; the reading alone wins when the model answers it and is more confident in it: a new topic is
    answered from its own passages, a question that leans on the conversation ("which countries is it
    piloted in?") from the carried ones, and a refusal offers the passages of the conversation's topic.
    A question that points back with a demonstrative ("这个项目…", "these alerts…") names its topic in the
    conversation, so read alone it is judged with the conversation too: where both readings choose the same
    sentence, its confidence is theirs averaged (``agreed``), and "when will this project end?" is not
    answered from another project."""
    own = components.retriever.retrieve(question.text, k, question.lang)
    own_ranking = components.model.rank(question, own)
    if not question.carried:
        return own, own_ranking
    carried = with_conversation(components, question, own, k)
    ranking = components.model.rank(question, carried)
    if question.points_back:
        own_ranking = agreed(own_ranking, ranking)
    if own_ranking.answerable and own_ranking.confidence > ranking.confidence:
        return own, own_ranking
    return carried, ranking


def _draft(run: _Run, answerer: Answerer, history: Sequence[Turn], stream: bool) -> Iterator[str]:
    """Text deltas (stream) or the whole draft of an LLM answerer."""
    if stream:
        yield from answerer.stream(run.q.text, run.retrieved, run.q.lang, history)
    else:
        yield answerer.draft(run.q.text, run.retrieved, run.q.lang, history)


def _llm(run: _Run, answerer: Answerer, history: Sequence[Turn], stream: bool) -> Iterator[Answer | Enforced]:
    """Partial answers while the LLM streams, then its enforced result (after one corrective retry)."""
    t = time.perf_counter()
    support = Support(_similarity(run.c))
    draft = ""
    for delta in _draft(run, answerer, history, stream and answerer.streams):
        draft += delta
        if stream and answerer.streams:
            run.timings["answer_s"] = time.perf_counter() - t
            yield run.answer(draft, False, final=False)
    enforced = enforce(draft, run.retrieved, support)
    if enforced.dropped or not (enforced.sentences or enforced.refusal):
        enforced = _retry(run, answerer, history, draft, enforced, support)
    yield enforced


def _run(question: str, components: Components, history: Sequence[Turn | dict[str, str]], k: int | None,
         stream: bool) -> Iterator[Answer]:
    from rag.llm import LLMError

    # Turns are cut to the question limit: a huge earlier turn must not slow every follow-up.
    cap = components.settings.max_question_chars
    turns = [t if len(t.content) <= cap else Turn(t.role, t.content[:cap]) for t in as_turns(history)]
    run = _Run(parse_question(question[: cap + 1], turns), components)
    text = question.strip()
    if not re.search(r"\w", text):
        run.notices.append("Empty question.")
        yield run.answer(EMPTY_QUESTION, True)
        return
    if len(text) > cap:
        yield run.refusal(too_long(len(text), cap, run.q.reply_lang), lead="")
        return
    refresh(components)
    t = time.perf_counter()
    run.retrieved, ranking = read(components, run.q, k or components.settings.top_k)
    run.timings["retrieve_s"] = time.perf_counter() - t
    if not run.retrieved and components.store.version() is None:
        yield run.refusal("The index is empty — run `citeqa ingest` first.")
        return
    t = time.perf_counter()
    extractive = components.extractive
    run.confidence = ranking.confidence
    answerer = components.answerer
    enforced: Enforced | None = None
    # The extractive answer is the model's own call; an LLM drafts from the passages and its draft is enforced
    # sentence by sentence (its refusal counts), with the model's confidence reported beside it.
    if not isinstance(answerer, ExtractiveAnswerer):
        try:
            for out in _llm(run, answerer, turns, stream):
                if isinstance(out, Answer):
                    yield out
                else:
                    enforced = out
        except LLMError as exc:
            log.warning("%s", exc)
            run.notices.append(f"{exc}; showing an extractive answer instead.")
            enforced = None
    unanswered: list[str] = []
    kinds: tuple[Kind, ...] | None = None  # the kinds the quotes must show: all the question's, for an LLM draft
    if enforced is None:
        assert extractive is not None
        run.answerer_name = extractive.name
        if not ranking.answerable:
            yield run.refusal()
            return
        quoted = extractive.quote(run.q, ranking)  # each part's quotes checked against its own kind
        if not quoted.sentences:  # quotes without the kind of thing asked are not its answer
            yield run.refusal(lead=caveat(quoted.lacking, run.q.reply_lang)) if quoted.lacking else run.refusal()
            return
        enforced, unanswered, kinds = Enforced(quoted.sentences, [], False), quoted.unanswered, ()
        run.confidence = quoted.confidence  # the parts shown
    run.timings["answer_s"] = time.perf_counter() - t
    if not enforced.sentences:
        yield run.refusal("", enforced)
        return
    shown = render(enforced.sentences)
    if run.q.reply_lang == "en" and run.answerer_name == "extractive":
        shown = f"{ZH_QUOTE_NOTICE}\n{shown}"
    cited = {n for s in enforced.sentences for n in s.citations}
    missing = unmet(run.q, [s.text for s in enforced.sentences],
                    [t for p in run.retrieved if p.n in cited for t in (p.chunk.text, p.chunk.title)], kinds)
    if missing is not None and refuses(missing):  # quotes without the kind of thing asked are not its answer
        yield run.refusal(lead=caveat(missing, run.q.reply_lang))
        return
    # the quotes are the closest the documents hold, not the answer: say so first
    note = caveat(missing, run.q.reply_lang) if missing is not None else ""
    yield run.answer(f"{note}\n{shown}" if note else shown, False, enforced, note=note, unanswered=unanswered)


def _retry(run: _Run, answerer: Answerer, history: Sequence[Turn], draft: str, first: Enforced,
           support: Support) -> Enforced:
    """One corrective round for answerers that can retry; the better enforced result wins."""
    from rag.llm import LLMError

    problems = first.dropped or [draft.strip()[:300]]
    try:
        redraft = answerer.retry(run.q.text, run.retrieved, run.q.lang, history, draft, problems)
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
    vectors = components.model.vectors if components.model is not None else None
    if vectors is None or not vectors.available:
        return None

    def cosine(a: str, b: str) -> float:
        return float(vectors.documents([b])[0] @ vectors.query(a))

    return cosine


def ask(question: str, components: Components, history: Sequence[Turn | dict[str, str]] = (),
        k: int | None = None) -> Answer:
    """Answer ``question`` from the indexed documents (``history``: earlier turns, for follow-ups)."""
    return list(_run(question, components, history, k, stream=False))[-1]


def ask_stream(question: str, components: Components, history: Sequence[Turn | dict[str, str]] = (),
               k: int | None = None) -> Iterator[Answer]:
    """Partial answers while the answerer streams, then the final enforced answer (the last one yielded)."""
    yield from _run(question, components, history, k, stream=True)
