"""Follow-up questions ("那会员国一共提名了多少名联络人？", "How long did they run?") made standalone.

With an LLM answerer the question is rewritten by the model from the history (``rewrite_*.txt``).
Otherwise a heuristic: a question is a follow-up when there is an earlier user question and it has a
pronoun or demonstrative (它, 这些, 该, 其, it, they, this, …) or is short (< 12 Chinese characters /
< 6 English words); its retrieval query is then the question followed by the earlier user question's key
terms, and those carried terms count half when sentences are scored. The answer keeps the original
question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rag.terms import Term, TermStats, question_terms
from rag.types import Turn

_ZH_REFERENCE = re.compile(r"它|它们|他们|她们|其|该|此|这|那|上述|前者|后者|对方|同一|当时|当地")
_EN_REFERENCE = re.compile(r"\b(it|its|they|them|their|this|that|these|those|he|she|his|her|there|then|such)\b",
                           re.IGNORECASE)
_CJK = re.compile(r"[\u3400-\u9fff]")
CARRIED_WEIGHT = 0.5


@dataclass
class Query:
    question: str  # as asked
    text: str  # what retrieval searches for
    carried: str = ""  # the earlier question whose terms were carried ("" when none)


def previous_question(history: Sequence[Turn | dict[str, str]]) -> str:
    for turn in reversed(list(history)):
        role, content = (turn.role, turn.content) if isinstance(turn, Turn) else (turn.get("role"), turn.get("content"))
        if role == "user" and content and content.strip():
            return content.strip()
    return ""


def is_followup(question: str) -> bool:
    if _ZH_REFERENCE.search(question) or _EN_REFERENCE.search(question):
        return True
    cjk = len(_CJK.findall(question))
    return (cjk < 12) if cjk else len(question.split()) < 6


def heuristic_query(question: str, history: Sequence[Turn]) -> Query:
    prev = previous_question(history)
    if not prev or not is_followup(question):
        return Query(question, question)
    return Query(question, f"{question} {prev}", carried=prev)


def carried_terms(question: str, history: Sequence[Turn], stats: TermStats) -> list[Term]:
    """The earlier question's key terms at half weight, when ``question`` is a follow-up; else []."""
    query = heuristic_query(question, history)
    if not query.carried:
        return []
    return [Term(t.text, t.weight * CARRIED_WEIGHT) for t in question_terms(query.carried, stats)]


def standalone_query(question: str, history: Sequence[Turn], answerer: Any = None) -> Query:
    """The retrieval query for ``question``: the LLM's rewrite when the answerer offers one, else the heuristic."""
    if not history:
        return Query(question, question)
    rewrite = getattr(answerer, "rewrite", None)
    if rewrite is not None:
        try:
            text = (rewrite(question, history) or "").strip()
        except Exception:  # a failing rewrite must not stop the answer: fall back to the heuristic
            text = ""
        if text:
            return Query(question, text, carried=previous_question(history))
    return heuristic_query(question, history)


def as_turns(history: Sequence[Turn | dict[str, str]]) -> list[Turn]:
    """History as ``Turn`` values (accepts the JSON form ``{"role", "content"}``); other roles are skipped."""
    out: list[Turn] = []
    for t in history:
        if isinstance(t, Turn):
            out.append(t)
        elif isinstance(t, dict) and t.get("role") in ("user", "assistant") and isinstance(t.get("content"), str):
            out.append(Turn(t["role"], t["content"]))
    return out
