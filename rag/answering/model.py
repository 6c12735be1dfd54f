"""The learned answer model: candidates ranked by a logistic model over general features, and the
answer's confidence from a second logistic model over answerability features. Both per question
language; parameters from ``rag.params`` (written by ``eval/train.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from rag.answering.candidates import Candidate, candidates
from rag.answering.features import (
    ANSWERABLE_FEATURES,
    CANDIDATE_FEATURES,
    DENSE_ANSWERABLE,
    DENSE_CANDIDATE,
    answerable_features,
    candidate_features,
    dense_probe,
    passage_scores,
    without_dense,
)
from rag.answering.question import Question
from rag.answering.signals import TermWeights, Vectors
from rag.index.retrieve import Translator
from rag.params import AnswerParams, Linear
from rag.types import Passage


class ModelMissing(RuntimeError):
    """The answer model's parameters are absent or were trained on other features."""


@dataclass
class PartRanking:
    """The candidates for one part of a question, scored."""

    part: str
    candidates: list[Candidate]
    rows: np.ndarray  # CANDIDATE_FEATURES per candidate
    logits: np.ndarray

    @property
    def order(self) -> list[int]:
        return [int(i) for i in np.argsort(-self.logits, kind="stable")]

    def probability(self, i: int) -> float:
        return float(sigmoid(self.logits[i]))


@dataclass
class Ranking:
    parts: list[PartRanking]
    answerable_rows: np.ndarray  # ANSWERABLE_FEATURES per part
    part_confidence: list[float]  # per part: probability that its best candidate answers it
    threshold: float

    @property
    def part_answerable(self) -> list[bool]:
        return [c >= self.threshold for c in self.part_confidence]

    @property
    def answerable(self) -> bool:
        return any(self.part_answerable)

    @property
    def confidence(self) -> float:
        """The answer's confidence: the weakest answered part's (the best part's when all are refused)."""
        answered = [c for c in self.part_confidence if c >= self.threshold]
        return min(answered) if answered else max(self.part_confidence, default=0.0)


def agreed(alone: Ranking, carried: Ranking) -> Ranking:
    """``alone`` (a question read without its conversation) with each part's confidence averaged with
    ``carried``'s (read with it) where both readings choose the same best sentence: two readings of one answer.

    Args:
        alone: the ranking of the question as asked.
        carried: the ranking of the same question read with the conversation (the same parts).

    Returns:
        A new ``Ranking``; parts whose best sentences differ keep ``alone``'s confidence.
    """
    conf = list(alone.part_confidence)
    for i, (a, c) in enumerate(zip(alone.parts, carried.parts, strict=True)):
        if a.candidates and c.candidates and a.candidates[a.order[0]].text == c.candidates[c.order[0]].text:
            conf[i] = (conf[i] + carried.part_confidence[i]) / 2
    return replace(alone, part_confidence=conf)


def sigmoid(x: np.ndarray | float) -> np.ndarray | float:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


def model_key(question: Question, dense: bool) -> str:
    """Which trained model answers: per question language, and a lexical-only variant without dense vectors."""
    return ("en" if question.lang == "en" else "zh") + ("" if dense else ".lexical")


def _linear(models: dict[str, Linear], lang: str, width: int, what: str) -> Linear:
    model = models.get(lang)
    if model is None or len(model.weights) != width:
        raise ModelMissing(f"No trained {what} model for '{lang}' questions in rag/data/params.json — "
                           "run `python -m eval.train` to train it")
    return model


def apply(model: Linear, rows: np.ndarray) -> np.ndarray:
    return rows @ np.asarray(model.weights) + model.bias if len(rows) else np.zeros(0)


class AnswerModel:
    """Scores a question's candidates and its answerability."""

    def __init__(self, params: AnswerParams, weights: TermWeights, vectors: Vectors,
                 translator: Translator | None = None) -> None:
        self.params = params
        self.weights = weights
        self.vectors = vectors
        self.translator = translator

    @property
    def dense(self) -> bool:
        """Whether the dense models answer: an embedder is loaded and it is the one they were trained on (with
        another model the similarities are on another scale; the lexical-only models answer)."""
        trained = self.params.embedder
        return self.vectors.available and (not trained or self.vectors.embedder_id == trained)

    def features(self, question: Question, passages: Sequence[Passage]) -> list[PartRanking]:
        """Candidates and their feature rows per part (logits left at zero)."""
        cands = candidates(passages, self.params.top_passages)
        out = []
        for part, kind in zip(question.parts, question.kinds, strict=True):
            rows = candidate_features(question, part, kind, cands, self.weights, self.vectors, self.translator,
                                      passages)
            out.append(PartRanking(part, cands, rows, np.zeros(len(cands))))
        return out

    def passage_scores(self, question: Question, part: str, passages: Sequence[Passage]) -> np.ndarray:
        """The top five passages' ``passage_scores`` (cosine and token alignment with the part)."""
        return passage_scores(dense_probe(question, part, self.translator), [p.chunk.text for p in passages[:5]],
                              self.vectors)

    def rank(self, question: Question, passages: Sequence[Passage]) -> Ranking:
        if tuple(self.params.candidate_features) != CANDIDATE_FEATURES or \
                tuple(self.params.answerable_features) != ANSWERABLE_FEATURES:
            raise ModelMissing("rag/data/params.json was trained on other features — run `python -m eval.train`")
        dense = self.dense
        lang = model_key(question, dense)
        ranker = _linear(self.params.rank, lang, len(CANDIDATE_FEATURES), "ranking")
        judge = _linear(self.params.answerable, lang, len(ANSWERABLE_FEATURES), "answerability")
        parts = self.features(question, passages)
        rows = []
        for pr in parts:
            if not dense:
                pr.rows = without_dense(pr.rows, CANDIDATE_FEATURES, DENSE_CANDIDATE)
            pr.logits = apply(ranker, pr.rows)
            row = answerable_features(pr.logits, pr.rows, pr.candidates, self.passage_scores(question, pr.part, passages))
            rows.append(row if dense else without_dense(row, ANSWERABLE_FEATURES, DENSE_ANSWERABLE))
        arows = np.asarray(rows)
        confidence = [float(p) for p in sigmoid(apply(judge, arows))] if len(arows) else []
        return Ranking(parts, arows, confidence, self.params.threshold.get(lang, 0.5))
