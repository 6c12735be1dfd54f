"""Follow-up questions ("那会员国一共提名了多少名联络人？", "How long did they run?") made standalone.

With an LLM answerer the question is rewritten by the model from the history (``rewrite_*.txt``).
Otherwise a heuristic: a question is a follow-up when there is an earlier user question and it has a
pronoun or demonstrative (它, 这些, 该, 其, 那, it, they, this, …), points inside what was just said
("里面…", "当中…", "举两个例子") or adds to it ("…那边呢？", "还有…", "此外…"), or is short (< 12 Chinese characters /
< 6 English words). Its retrieval query is then the question, the earlier user question (and the one
before it, when that was a follow-up too) and the
``ANSWER_TERMS`` rarest key terms of the assistant's last answer ("这个平台…" names the platform that
answer talked about). When sentences are scored, the earlier question's terms count ``CARRIED_WEIGHT``
and the answer's ``ANSWER_WEIGHT``; the earlier question and answer (``Query.carried``, ``Query.context``)
count as already said: a follow-up's answer must add to them ("那最后一次会议…" is not answered by the
meetings just listed). The
chain retrieves with both the standalone query and the question as asked (``rag.chain``). The answer
keeps the original question.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from rag.terms import Term, TermStats, question_terms
from rag.types import Turn

_ZH_REFERENCE = re.compile(r"它|它们|他们|她们|其|该|此|这|那|上述|前者|后者|对方|同一|当时|当地|"
                           r"里面|里头|当中|之中|呢[？?]?\s*$|还有|另外|此外|举.{0,2}例|例子")
_EN_REFERENCE = re.compile(r"\b(it|its|they|them|their|this|that|these|those|he|she|his|her|there|then|such)\b",
                           re.IGNORECASE)
_CJK = re.compile(r"[\u3400-\u9fff]")
_MARKERS = re.compile(r"[\[［【]\s*\^?\d+(?:\s*[,，、\-–]\s*\d+)*\s*[\]］】]")
CARRIED_WEIGHT = 0.5
ANSWER_WEIGHT = 0.3
ANSWER_TERMS = 6
REPEATED = 0.9  # share of a sentence's character bigrams the conversation holds: it was already said


@dataclass
class Query:
    question: str  # as asked
    text: str  # what retrieval searches for
    carried: str = ""  # the earlier question whose terms were carried ("" when none)
    context: str = ""  # the assistant's last answer, for a follow-up ("" when none)


def _role_content(turn: Turn | dict[str, str]) -> tuple[Any, Any]:
    return (turn.role, turn.content) if isinstance(turn, Turn) else (turn.get("role"), turn.get("content"))


def previous_question(history: Sequence[Turn | dict[str, str]]) -> str:
    """The last user question — with the one before it when it was itself a follow-up ("那它呢？" carries
    nothing on its own)."""
    asked = [c.strip() for r, c in map(_role_content, history) if r == "user" and c and c.strip()]
    if not asked:
        return ""
    if len(asked) > 1 and is_followup(asked[-1]):
        return f"{asked[-2]} {asked[-1]}"
    return asked[-1]


def previous_answer(history: Sequence[Turn | dict[str, str]]) -> str:
    """The assistant's last answer, markers removed ("" when there is none after the last user turn's)."""
    for turn in reversed(list(history)):
        role, content = _role_content(turn)
        if role == "assistant" and content and content.strip():
            return _MARKERS.sub("", content).strip()
        if role == "user":
            return ""
    return ""


def is_followup(question: str) -> bool:
    if _ZH_REFERENCE.search(question) or _EN_REFERENCE.search(question):
        return True
    cjk = len(_CJK.findall(question))
    return (cjk < 12) if cjk else len(question.split()) < 6


def answer_terms(answer: str, stats: TermStats | None, question: str = "",
                 terms_of: Callable[[str, TermStats], list[Term]] | None = None) -> list[Term]:
    """The ``ANSWER_TERMS`` rarest key terms of an earlier answer that the question does not already have
    (``terms_of``: how a text's terms are read; an English answer's are its translation's)."""
    if not answer or stats is None:
        return []
    read = terms_of or question_terms
    have = {t.text for t in read(question, stats)} if question else set()
    terms = [t for t in read(answer, stats) if t.text not in have and not t.absent and len(t.text) > 1]
    return sorted(terms, key=lambda t: -t.weight)[:ANSWER_TERMS]


def heuristic_query(question: str, history: Sequence[Turn], stats: TermStats | None = None) -> Query:
    prev = previous_question(history)
    if not prev or not is_followup(question):
        return Query(question, question)
    answer = previous_answer(history)
    extra = " ".join(t.text for t in answer_terms(answer, stats, f"{question} {prev}"))
    return Query(question, " ".join(x for x in (question, prev, extra) if x), carried=prev, context=answer)


def repeats(text: str, said: str) -> bool:
    """``text`` (a passage sentence) was already said: ≥ ``REPEATED`` of its Chinese character bigrams are in
    ``said`` (the earlier question and answer). A follow-up asking something new ("出口国那边呢？") is not
    answered by quoting the last answer again."""
    grams = bigrams(text)
    return bool(said) and len(grams) >= 4 and len(grams & bigrams(said)) >= REPEATED * len(grams)


def bigrams(text: str) -> set[str]:
    runs = re.findall(r"[\u3400-\u9fff]+", text)
    return {r[i : i + 2] for r in runs for i in range(len(r) - 1)}


def carried_terms(question: str, history: Sequence[Turn], stats: TermStats,
                  terms_of: Callable[[str, TermStats], list[Term]] | None = None) -> list[Term]:
    """For a follow-up: the earlier question's key terms at ``CARRIED_WEIGHT`` and its answer's rarest
    terms at ``ANSWER_WEIGHT``; else []. ``terms_of``: how a question's terms are read (default
    ``question_terms``; an English question's are its translation's)."""
    query = heuristic_query(question, history)
    if not query.carried:
        return []
    carried = [replace(t, weight=t.weight * CARRIED_WEIGHT) for t in (terms_of or question_terms)(query.carried, stats)]
    have = {t.text for t in carried}
    from_answer = answer_terms(previous_answer(history), stats, f"{question} {query.carried}", terms_of)
    return carried + [Term(t.text, t.weight * ANSWER_WEIGHT) for t in from_answer if t.text not in have]


def standalone_query(question: str, history: Sequence[Turn], answerer: Any = None) -> Query:
    """The retrieval query for ``question``: the LLM's rewrite when the answerer offers one, else the heuristic
    (with the answerer's term statistics, when it has them, to pick the earlier answer's key terms)."""
    if not history:
        return Query(question, question)
    rewrite = getattr(answerer, "rewrite", None)
    if rewrite is not None:
        try:
            text = (rewrite(question, history) or "").strip()
        except Exception:  # a failing rewrite must not stop the answer: fall back to the heuristic
            text = ""
        if text:
            return Query(question, text, carried=previous_question(history), context=previous_answer(history))
    stats = getattr(answerer, "stats", None)
    return heuristic_query(question, history, stats if isinstance(stats, TermStats) else None)


def as_turns(history: Sequence[Turn | dict[str, str]]) -> list[Turn]:
    """History as ``Turn`` values (accepts the JSON form ``{"role", "content"}``); other roles are skipped."""
    out: list[Turn] = []
    for t in history:
        if isinstance(t, Turn):
            out.append(t)
        elif isinstance(t, dict) and t.get("role") in ("user", "assistant") and isinstance(t.get("content"), str):
            out.append(Turn(t["role"], t["content"]))
    return out
