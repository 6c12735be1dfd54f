"""Every tunable number of citeqa's retrieval and answering, in one typed object.

The values live in ``rag/data/params.json`` (package data), written by the training and calibration
scripts in ``eval/`` (``python -m eval.train``); nothing else in ``rag/`` hard-codes a tuned number.
Load once at the entry point with ``load_params()`` and pass down.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any

PARAMS_PATH = Path(__file__).parent / "data" / "params.json"


@dataclass(frozen=True)
class FusionParams:
    """Weighted reciprocal-rank fusion of the candidate rankings, per question language (``eval/calibrate_fusion.py``):
    BM25 over the question's words ("lexical"), dense, and for English questions BM25 over the dictionary
    translation of the question ("translated")."""

    rrf_k_zh: int = 60
    lexical_weight_zh: float = 1.0
    dense_weight_zh: float = 1.0
    rrf_k_en: int = 60
    lexical_weight_en: float = 0.0
    dense_weight_en: float = 1.0
    translated_weight_en: float = 0.5

    def weights(self, lang: str) -> dict[str, float]:
        """Weight per candidate list ("bm25", "translated", "dense") for a question in ``lang``."""
        if lang == "en":
            return {"bm25": self.lexical_weight_en, "translated": self.translated_weight_en,
                    "dense": self.dense_weight_en}
        return {"bm25": self.lexical_weight_zh, "dense": self.dense_weight_zh}

    def rrf_k(self, lang: str) -> int:
        return self.rrf_k_en if lang == "en" else self.rrf_k_zh


@dataclass(frozen=True)
class DenseParams:
    """Dense scoring (``rag.index.sentvec``): weight of a chunk's best sentence beside the chunk itself, per
    question language."""

    sentence_weight_zh: float = 0.5
    sentence_weight_en: float = 0.5

    def sentence_weight(self, lang: str) -> float:
        return self.sentence_weight_en if lang == "en" else self.sentence_weight_zh


@dataclass(frozen=True)
class Linear:
    """A logistic model: ``logit = features · weights + bias``."""

    weights: list[float] = field(default_factory=list)
    bias: float = 0.0


@dataclass(frozen=True)
class AnswerParams:
    """The learned candidate ranker and answerability model per question language, and the refusal
    threshold on the answerability probability (``eval/train.py`` writes them)."""

    candidate_features: list[str] = field(default_factory=list)
    answerable_features: list[str] = field(default_factory=list)
    rank: dict[str, Linear] = field(default_factory=dict)  # by question language: "zh", "en"
    answerable: dict[str, Linear] = field(default_factory=dict)
    threshold: dict[str, float] = field(default_factory=dict)
    embedder: str = ""  # the embedder (its id) whose vectors the dense models were trained on; "" = any
    top_passages: int = 4  # candidates come from this many best passages
    second_ratio: float = 0.5  # a second sentence is shown when its probability is ≥ this × the best's
    carried_weight: float = 1.0  # a follow-up: weight of the ranking with the carried question (as asked: 1)


@dataclass(frozen=True)
class Params:
    fusion: FusionParams = field(default_factory=FusionParams)
    dense: DenseParams = field(default_factory=DenseParams)
    answer: AnswerParams = field(default_factory=AnswerParams)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _build(cls: type, data: dict[str, Any]) -> Any:
    known = {f.name for f in fields(cls)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"{PARAMS_PATH.name}: unknown {cls.__name__} keys {sorted(unknown)}; "
                         "re-run `python -m eval.train` to rewrite it")
    return cls(**data)


@cache
def load_params(path: Path = PARAMS_PATH) -> Params:
    """The params in ``path``; defaults for sections it does not hold."""
    if not path.exists():
        return Params()
    data = json.loads(path.read_text(encoding="utf-8"))
    answer = dict(data.get("answer", {}))
    for key in ("rank", "answerable"):
        answer[key] = {lang: _build(Linear, v) for lang, v in answer.get(key, {}).items()}
    return Params(fusion=_build(FusionParams, data.get("fusion", {})), dense=_build(DenseParams, data.get("dense", {})),
                  answer=_build(AnswerParams, answer))


def save_params(params: Params, path: Path = PARAMS_PATH) -> None:
    path.write_text(json.dumps(params.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
