"""The extractive answerer: quotes the best-ranked candidate of each answerable part of the question
(and a second one when the model rates it nearly as high), each citing its passage, with the quoted span's
offsets. No LLM, offline."""

from __future__ import annotations

from collections.abc import Sequence

from rag.answering.base import Answerer
from rag.answering.candidates import Candidate
from rag.answering.model import AnswerModel, Ranking
from rag.answering.question import Question, parse_question
from rag.types import Lang, Passage, Sentence, Turn


def _overlaps(a: Candidate, b: Candidate) -> bool:
    return a.passage is b.passage and a.start < b.end and b.start < a.end


def choose(ranking: Ranking, second_ratio: float, limit: int) -> list[Candidate]:
    """The candidates to quote: per answerable part its best, plus the runner-up when its probability is
    at least ``second_ratio`` × the best's; a sentence two parts choose is quoted once; at most ``limit``; in
    reading order within each part."""
    chosen: list[Candidate] = []
    for pr, confident in zip(ranking.parts, ranking.part_answerable, strict=True):
        if not confident or not pr.candidates:
            continue
        order = pr.order
        picked = order[:2] if len(order) > 1 and pr.probability(order[1]) >= second_ratio * pr.probability(order[0]) \
            else order[:1]
        new = [pr.candidates[i] for i in picked if not any(_overlaps(pr.candidates[i], c) for c in chosen)]
        new.sort(key=lambda c: (c.passage.n, c.start))
        chosen.extend(new)
    return chosen[:limit]


def sentences_of(chosen: Sequence[Candidate]) -> list[Sentence]:
    return [Sentence(c.text, [c.passage.n], {c.passage.n: (c.start, c.end)}) for c in chosen]


def render(sentences: Sequence[Sentence]) -> str:
    return "\n".join(f"{s.text}{''.join(f'[{n}]' for n in s.citations)}" for s in sentences)


class ExtractiveAnswerer(Answerer):
    name = "extractive"

    def __init__(self, model: AnswerModel, max_sentences: int) -> None:
        self.model = model
        self.max_sentences = max_sentences

    def sentences(self, ranking: Ranking) -> list[Sentence]:
        """The quoted sentences for a ranked question (empty when no part is answerable)."""
        return sentences_of(choose(ranking, self.model.params.second_ratio, self.max_sentences))

    def answer(self, question: Question, passages: Sequence[Passage]) -> tuple[list[Sentence], Ranking]:
        ranking = self.model.rank(question, passages)
        return self.sentences(ranking), ranking

    def draft(self, question: str, passages: Sequence[Passage], lang: Lang, history: Sequence[Turn] = ()) -> str:
        return render(self.answer(parse_question(question, history), passages)[0])
