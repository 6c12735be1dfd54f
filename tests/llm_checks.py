"""What every final `Answer` drafted by a real LLM must satisfy, whatever the model said: judged by the
independent rule of ``eval.support_rule`` (shares no code with citeqa's enforcement)."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from eval.support_rule import MARKERS, Similarity, echoes, problems
from rag.types import Answer
from tests.answer_checks import answer_problems

_NUMBER = re.compile(r"[0-9０-９]+")


@cache
def prompt_texts() -> tuple[str, ...]:
    """The fixed wording of every prompt shipped in rag/prompts (the parts around the ``{placeholders}``):
    an answer repeating it is an echo of the instructions, not an answer."""
    folder = resources.files("rag").joinpath("prompts")
    pieces: list[str] = []
    for item in folder.iterdir():
        if item.name.endswith(".txt"):
            pieces += [p for p in re.split(r"\{\w+\}", item.read_text(encoding="utf-8")) if p.strip()]
    return tuple(pieces)


def shown_markers(text: str) -> set[int]:
    return {int(n) for m in MARKERS.findall(text) for n in _NUMBER.findall(m.translate(
        {c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)}))}


def cited_text(answer: Answer, numbers: list[int]) -> str:
    by_n = {p.n: p.chunk.text for p in answer.retrieved}
    return "\n".join(by_n[n] for n in numbers if n in by_n)


def llm_answer_problems(answer: Answer, similarity: Similarity | None) -> list[str]:
    """Everything wrong with a final answer: its structure (``answer_problems``), any shown sentence its
    citations do not support, echoed prompt or rule text, markers that point to no retrieved passage, and a
    refusal that does not offer the closest passages."""
    out = list(answer_problems(answer))
    retrieved = {p.n for p in answer.retrieved}
    stray = sorted(shown_markers(answer.answer) - retrieved)
    if stray:
        out.append(f"markers {stray} shown that point to no retrieved passage")
    if answer.refused:
        if answer.retrieved and not answer.passages:
            out.append("a refusal without the closest passages")
        if echoes(answer.answer, prompt_texts()):
            out.append(f"the refusal repeats the prompt: {answer.answer[:120]!r}")
        return out
    cited = {n for s in answer.sentences for n in s.citations}
    extra = sorted(shown_markers(answer.answer) - cited)
    if extra:
        out.append(f"markers {extra} shown that no kept sentence cites")
    for s in answer.sentences:
        passage = cited_text(answer, s.citations)
        why = problems(s.text, passage, similarity)
        if why:
            out.append(f"unsupported sentence {s.text!r} citing {s.citations}: {'; '.join(why)}")
        if echoes(s.text, prompt_texts(), passage):
            out.append(f"sentence {s.text!r} echoes the prompt's rule text")
        if _squash(s.text) not in _squash(answer.answer):
            out.append(f"sentence {s.text!r} is not in the shown text")
    return out


def _squash(text: str) -> str:
    return re.sub(r"\W", "", MARKERS.sub("", text))
