"""The extractive answerer: quotes the best-ranked candidate of each answerable part of the question
(and a second one when the model rates it nearly as high), each citing its passage, with the quoted span's
offsets. A part whose quotes lack the kind of thing it asks (a figure, an amount, a date:
``rag.answering.constraints.lacks``) is not answered with them. No LLM, offline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from rag.answering.base import Answerer
from rag.answering.candidates import Candidate
from rag.answering.constraints import Unmet, lacks
from rag.answering.model import AnswerModel, Ranking, sigmoid
from rag.answering.question import Question, parse_question
from rag.types import Lang, Passage, Sentence, Turn


def _overlaps(a: Candidate, b: Candidate) -> bool:
    return a.passage is b.passage and a.start < b.end and b.start < a.end


def quoted_indices(logits: np.ndarray, second_ratio: float) -> list[int]:
    """The candidates a part quotes, by index: the best, plus the runner-up when its probability is at least
    ``second_ratio`` × the best's (none without candidates). ``eval.train`` answers as the app does with it."""
    if not len(logits):
        return []
    order = [int(i) for i in np.argsort(-logits, kind="stable")]
    probs = sigmoid(logits)
    return order[:2] if len(order) > 1 and probs[order[1]] >= second_ratio * probs[order[0]] else order[:1]


def picks(ranking: Ranking, second_ratio: float) -> list[list[Candidate]]:
    """Per part, the candidates to quote (``quoted_indices``); nothing for a part below the threshold."""
    return [[pr.candidates[i] for i in quoted_indices(pr.logits, second_ratio)] if confident else []
            for pr, confident in zip(ranking.parts, ranking.part_answerable, strict=True)]


def merge(per_part: Sequence[Sequence[Candidate]], limit: int) -> list[Candidate]:
    """The parts' candidates in part order, each part's in reading order; a sentence two parts choose is
    quoted once; at most ``limit``."""
    chosen: list[Candidate] = []
    for cands in per_part:
        new = sorted((c for c in cands if not any(_overlaps(c, d) for d in chosen)), key=lambda c: (c.passage.n, c.start))
        chosen.extend(new)
    return chosen[:limit]


def choose(ranking: Ranking, second_ratio: float, limit: int) -> list[Candidate]:
    """The candidates to quote for every answerable part (``picks``, ``merge``)."""
    return merge(picks(ranking, second_ratio), limit)


def sentences_of(chosen: Sequence[Candidate]) -> list[Sentence]:
    return [Sentence(c.text, [c.passage.n], {c.passage.n: (c.start, c.end)}) for c in chosen]


def render(sentences: Sequence[Sentence]) -> str:
    return "\n".join(f"{s.text}{''.join(f'[{n}]' for n in s.citations)}" for s in sentences)


@dataclass
class Quoted:
    """What the extractive answerer quotes: the sentences, the parts of the question they leave unanswered,
    what the quotes of a withheld part lacked (the first such; None when no part was withheld), and the
    answer's confidence (the weakest quoted part's; the ranking's when nothing is quoted)."""

    sentences: list[Sentence]
    unanswered: list[str] = field(default_factory=list)
    lacking: Unmet | None = None
    confidence: float = 0.0


class ExtractiveAnswerer(Answerer):
    name = "extractive"

    def __init__(self, model: AnswerModel, max_sentences: int) -> None:
        self.model = model
        self.max_sentences = max_sentences

    def quote(self, question: Question, ranking: Ranking) -> Quoted:
        """The quoted sentences for a ranked question. A part below the threshold, or whose quotes lack the kind
        of thing it asks, is left unanswered (its quotes are not shown); the other parts are answered."""
        kept: list[list[Candidate]] = []
        unanswered: list[str] = []
        lacking: Unmet | None = None
        shown: list[float] = []
        for part, kind, cands, conf in zip(question.parts, question.kinds,
                                           picks(ranking, self.model.params.second_ratio), ranking.part_confidence,
                                           strict=True):
            missing = lacks(kind, question.money, [c.text for c in cands]) if cands else None
            if missing is not None and lacking is None:
                lacking = missing
            if not cands or missing is not None:
                unanswered.append(part)
                kept.append([])
            else:
                kept.append(cands)
                shown.append(conf)
        return Quoted(sentences_of(merge(kept, self.max_sentences)), unanswered, lacking,
                      min(shown) if shown else ranking.confidence)

    def answer(self, question: Question, passages: Sequence[Passage]) -> tuple[Quoted, Ranking]:
        ranking = self.model.rank(question, passages)
        return self.quote(question, ranking), ranking

    def draft(self, question: str, passages: Sequence[Passage], lang: Lang, history: Sequence[Turn] = ()) -> str:
        return render(self.answer(parse_question(question, history), passages)[0].sentences)
