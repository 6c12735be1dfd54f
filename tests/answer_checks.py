"""What every `Answer` must look like, whatever the question: used by the fault, server and hostile tests."""

from __future__ import annotations

import json
import re

from rag.types import Answer

MARKER = re.compile(r"\[(\d+)\]")


def answer_problems(answer: Answer, known_ids: set[str] | None = None) -> list[str]:
    """Everything wrong with `answer` (empty when it is well formed): citations point into the retrieved
    passages, a non-refusal has cited sentences, the shown markers are those of the sentences, the JSON
    of `citeqa ask --json` serialises; with `known_ids`, every passage is a chunk of the index."""
    problems: list[str] = []
    if not isinstance(answer, Answer):
        return [f"not an Answer: {type(answer).__name__}"]
    if not isinstance(answer.answer, str) or not answer.answer.strip():
        problems.append("empty answer text")
    if answer.language not in ("zh", "en", "mixed"):
        problems.append(f"language {answer.language!r}")
    numbers = [p.n for p in answer.retrieved]
    if len(set(numbers)) != len(numbers) or any(n < 1 for n in numbers):
        problems.append(f"retrieved passages numbered {numbers}")
    by_n = {p.n: p.chunk.id for p in answer.retrieved}
    for p in answer.passages:
        if by_n.get(p.n) != p.chunk.id:
            problems.append(f"passage [{p.n}] {p.chunk.id} is not among the retrieved")
    cited = {n for s in answer.sentences for n in s.citations}
    if not cited <= set(by_n):
        problems.append(f"citations {sorted(cited - set(by_n))} point to no retrieved passage")
    if answer.refused:
        if answer.sentences:
            problems.append("a refusal with cited sentences")
    else:
        if not answer.sentences or any(not s.citations for s in answer.sentences):
            problems.append("an answer with an uncited sentence (or none)")
        if {p.n for p in answer.passages} != cited:
            problems.append("the passages shown are not exactly the cited ones")
        shown = {int(n) for n in MARKER.findall(answer.answer)}
        if not cited <= shown:
            problems.append(f"markers {sorted(cited - shown)} missing from the shown text")
    if known_ids is not None:
        unknown = [p.chunk.id for p in answer.retrieved if p.chunk.id not in known_ids]
        if unknown:
            problems.append(f"passages not in the index: {unknown[:3]}")
    try:
        json.dumps(answer.to_dict(), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        problems.append(f"to_dict() does not serialise: {exc}")
    return problems


def cited_docs(answer: Answer) -> set[str]:
    return {p.chunk.doc for p in answer.passages if any(p.n in s.citations for s in answer.sentences)}
